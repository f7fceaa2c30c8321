//! Contacts (people, optionally at an account): created by qualify or by hand, found again by email.

use super::sql::{bind_all, insert_rows, opt_uuid_col, uuid_col, Engine, Val};
use crate::domain::access::{can_read, Actor, LeadRef};
use crate::domain::duplicates::{contact_match, email_key};
use crate::domain::lead::full_name;
use crate::error::{AppError, AppResult};
use crate::model::{ContactView, Similar};
use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

pub struct NewContact {
    pub id: Uuid,
    pub team_id: Uuid,
    pub owner_id: Uuid,
    pub account_id: Option<Uuid>,
    pub first_name: String,
    pub last_name: String,
    pub job_title: String,
    pub email: String,
    pub phone: String,
}

const TABLE: &str = "contacts (id, team_id, owner_id, account_id, first_name, last_name, job_title, email, email_key, phone, created_by, created_at, updated_at)";

fn row(c: &NewContact, by: Uuid, now: i64) -> Vec<Val> {
    vec![
        Val::Text(c.id.to_string()),
        Val::Text(c.team_id.to_string()),
        Val::Text(c.owner_id.to_string()),
        Val::OptText(c.account_id.map(|a| a.to_string())),
        Val::Text(c.first_name.clone()),
        Val::Text(c.last_name.clone()),
        Val::Text(c.job_title.clone()),
        Val::Text(c.email.clone()),
        Val::Text(email_key(&c.email).unwrap_or_default()),
        Val::Text(c.phone.clone()),
        Val::Text(by.to_string()),
        Val::Int(Some(now)),
        Val::Int(Some(now)),
    ]
}

pub(crate) async fn insert_in(
    tx: &mut Transaction<'_, Any>,
    kind: Engine,
    c: &NewContact,
    by: Uuid,
    now: i64,
) -> AppResult<()> {
    insert_rows(tx, kind, TABLE, vec![row(c, by, now)]).await
}

/// Writes many at once (benchmarks and demo data), 500 per statement.
pub async fn seed(db: &super::Db, rows: &[NewContact], by: Uuid, now: i64) -> AppResult<()> {
    for chunk in rows.chunks(500) {
        let mut tx = db.pool.begin().await?;
        insert_rows(&mut tx, db.kind, TABLE, chunk.iter().map(|r| row(r, by, now)).collect()).await?;
        tx.commit().await?;
    }
    Ok(())
}

const COLS: &str = "c.id, c.team_id, c.owner_id, c.account_id, c.first_name, c.last_name, c.job_title, c.email, c.phone, a.name AS account_name";

fn view(r: &sqlx::any::AnyRow) -> AppResult<(ContactView, LeadRef)> {
    let v = ContactView {
        id: uuid_col(r, "id")?,
        name: full_name(
            &r.try_get::<String, _>("first_name")?,
            &r.try_get::<String, _>("last_name")?,
        ),
        job_title: r.try_get("job_title")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        account_id: opt_uuid_col(r, "account_id")?,
        account_name: r.try_get::<Option<String>, _>("account_name")?.unwrap_or_default(),
    };
    Ok((
        v,
        LeadRef {
            owner_id: uuid_col(r, "owner_id")?,
            team_id: uuid_col(r, "team_id")?,
        },
    ))
}

/// Contacts the actor can see with the lead's email address (at most 10).
pub(crate) async fn similar_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    email: &str,
) -> AppResult<Vec<Similar<ContactView>>> {
    let Some(key) = email_key(email) else {
        return Ok(Vec::new());
    };
    let sql = format!("SELECT {COLS} FROM contacts c LEFT JOIN accounts a ON a.id = c.account_id WHERE c.email_key = $1 ORDER BY c.created_at DESC, c.id LIMIT 50");
    let rows = sqlx::query(&sql).bind(key).fetch_all(&mut **tx).await?;
    let mut out = Vec::new();
    for r in &rows {
        let (v, owner) = view(r)?;
        if can_read(actor, owner) && out.len() < 10 {
            let reasons = contact_match(&v.email, email);
            out.push(Similar {
                reasons: reasons.iter().map(|m| m.label().to_string()).collect(),
                record: v,
            });
        }
    }
    Ok(out)
}

pub async fn get(db: &super::Db, actor: &Actor, id: Uuid) -> AppResult<ContactView> {
    let mut tx = db.pool.begin().await?;
    let v = get_in(&mut tx, actor, id).await?;
    tx.commit().await?;
    Ok(v)
}

pub(crate) async fn get_in(tx: &mut Transaction<'_, Any>, actor: &Actor, id: Uuid) -> AppResult<ContactView> {
    let sql = format!("SELECT {COLS} FROM contacts c LEFT JOIN accounts a ON a.id = c.account_id WHERE c.id = $1");
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(AppError::NotFound)?;
    let (v, owner) = view(&row)?;
    if can_read(actor, owner) {
        Ok(v)
    } else {
        Err(AppError::NotFound)
    }
}

/// Contacts the actor can see whose name or email starts with the words typed (at most 10).
pub async fn find(db: &super::Db, actor: &Actor, q: &str) -> AppResult<Vec<ContactView>> {
    let q: String = q
        .trim()
        .to_lowercase()
        .chars()
        .take(crate::domain::query::MAX_SEARCH_LEN)
        .collect();
    if q.chars().count() < 2 {
        return Ok(Vec::new());
    }
    // LIKE wildcards in what was typed are taken literally.
    let pattern = format!("{}%", super::like_escape(&q));
    let sql = format!(
        "SELECT {COLS} FROM contacts c LEFT JOIN accounts a ON a.id = c.account_id
         WHERE LOWER(c.last_name) LIKE $1 ESCAPE '\\' OR LOWER(c.first_name) LIKE $1 ESCAPE '\\' OR c.email_key LIKE $1 ESCAPE '\\'
         ORDER BY c.last_name, c.first_name, c.id LIMIT 50"
    );
    let rows = sqlx::query(&sql).bind(pattern).fetch_all(&db.pool).await?;
    let mut out = Vec::new();
    for r in &rows {
        let (v, owner) = view(r)?;
        if can_read(actor, owner) && out.len() < 10 {
            out.push(v);
        }
    }
    Ok(out)
}

/// "team_id = $1" for people who see their team, "1 = 1" for admins; on the table aliased `alias`.
pub(crate) fn scope_sql(actor: &Actor, alias: &str) -> (String, Vec<Val>) {
    match crate::domain::access::read_scope(actor) {
        crate::domain::access::ReadScope::All => ("1 = 1".into(), Vec::new()),
        crate::domain::access::ReadScope::Team(t) => (format!("{alias}.team_id = $1"), vec![Val::Text(t.to_string())]),
    }
}

/// Contacts the actor can see whose name or email contains the words typed (all when empty), at most 50.
pub async fn list(db: &super::Db, actor: &Actor, q: &str, account: Option<Uuid>) -> AppResult<Vec<ContactView>> {
    let (mut cond, mut binds) = scope_sql(actor, "c");
    let q: String = q
        .trim()
        .to_lowercase()
        .chars()
        .take(crate::domain::query::MAX_SEARCH_LEN)
        .collect();
    if !q.is_empty() {
        binds.push(Val::Text(format!("%{}%", super::like_escape(&q))));
        let n = binds.len();
        cond.push_str(&format!(" AND (LOWER(c.first_name || ' ' || c.last_name) LIKE ${n} ESCAPE '\\' OR c.email_key LIKE ${n} ESCAPE '\\')"));
    }
    if let Some(a) = account {
        binds.push(Val::Text(a.to_string()));
        cond.push_str(&format!(" AND c.account_id = ${}", binds.len()));
    }
    let sql = format!("SELECT {COLS} FROM contacts c LEFT JOIN accounts a ON a.id = c.account_id WHERE {cond} ORDER BY c.last_name, c.first_name, c.id LIMIT 50");
    let rows = bind_all(sqlx::query(&sql), &binds).fetch_all(&db.pool).await?;
    rows.iter().map(|r| view(r).map(|(v, _)| v)).collect()
}
