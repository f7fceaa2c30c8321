//! Accounts (companies): created by qualify or by hand, found again by the duplicate check.

use super::sql::{bind_all, insert_rows, uuid_col, Engine, Val};
use crate::domain::access::{can_read, Actor, LeadRef};
use crate::domain::duplicates::{account_match, company_key, web_domain, MatchReason};
use crate::error::{AppError, AppResult};
use crate::model::{AccountView, Similar};
use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

pub struct NewAccount {
    pub id: Uuid,
    pub team_id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    pub website: String,
    pub industry: String,
    pub phone: String,
    pub city: String,
    pub country: String,
    /// The lead's email: its domain (unless free mail) stands in when there is no website.
    pub email: String,
}

const TABLE: &str = "accounts (id, team_id, owner_id, name, name_key, website, web_domain, industry, phone, city, country, created_by, created_at, updated_at)";

fn row(a: &NewAccount, by: Uuid, now: i64) -> Vec<Val> {
    vec![
        Val::Text(a.id.to_string()),
        Val::Text(a.team_id.to_string()),
        Val::Text(a.owner_id.to_string()),
        Val::Text(a.name.clone()),
        Val::Text(company_key(&a.name)),
        Val::Text(a.website.clone()),
        Val::Text(
            web_domain(&a.website)
                .or_else(|| web_domain(&a.email))
                .unwrap_or_default(),
        ),
        Val::Text(a.industry.clone()),
        Val::Text(a.phone.clone()),
        Val::Text(a.city.clone()),
        Val::Text(a.country.clone()),
        Val::Text(by.to_string()),
        Val::Int(Some(now)),
        Val::Int(Some(now)),
    ]
}

pub(crate) async fn insert_in(
    tx: &mut Transaction<'_, Any>,
    kind: Engine,
    a: &NewAccount,
    by: Uuid,
    now: i64,
) -> AppResult<()> {
    insert_rows(tx, kind, TABLE, vec![row(a, by, now)]).await
}

/// Writes many at once (benchmarks and demo data), 500 per statement.
pub async fn seed(db: &super::Db, rows: &[NewAccount], by: Uuid, now: i64) -> AppResult<()> {
    for chunk in rows.chunks(500) {
        let mut tx = db.pool.begin().await?;
        insert_rows(&mut tx, db.kind, TABLE, chunk.iter().map(|r| row(r, by, now)).collect()).await?;
        tx.commit().await?;
    }
    Ok(())
}

const COLS: &str = "a.id, a.team_id, a.owner_id, a.name, a.website, a.web_domain, a.industry, a.phone, a.city, a.country, a.created_at, u.name AS owner_name";

fn view(r: &sqlx::any::AnyRow) -> AppResult<(AccountView, LeadRef)> {
    let v = AccountView {
        id: uuid_col(r, "id")?,
        name: r.try_get("name")?,
        website: r.try_get("website")?,
        industry: r.try_get("industry")?,
        phone: r.try_get("phone")?,
        city: r.try_get("city")?,
        country: r.try_get("country")?,
        owner_name: r.try_get("owner_name")?,
        created_at: r.try_get("created_at")?,
    };
    Ok((
        v,
        LeadRef {
            owner_id: uuid_col(r, "owner_id")?,
            team_id: uuid_col(r, "team_id")?,
        },
    ))
}

/// Accounts the actor can see that may be the lead's company: same normalised name, or same web domain
/// (from the lead's website, else its email). At most 10, most recent first.
pub(crate) async fn similar_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    company: &str,
    website: &str,
    email: &str,
) -> AppResult<Vec<Similar<AccountView>>> {
    let key = company_key(company);
    let domain = web_domain(website).or_else(|| web_domain(email)).unwrap_or_default();
    let sql = format!(
        "SELECT {COLS} FROM accounts a JOIN users u ON u.id = a.owner_id
         WHERE a.name_key = $1 OR (a.web_domain = $2 AND $2 <> '') ORDER BY a.created_at DESC, a.id LIMIT 50"
    );
    let rows = sqlx::query(&sql).bind(key).bind(domain).fetch_all(&mut **tx).await?;
    let mut out = Vec::new();
    for r in &rows {
        let (v, owner) = view(r)?;
        if can_read(actor, owner) && out.len() < 10 {
            let domain: String = r.try_get("web_domain")?;
            let reasons: Vec<MatchReason> = account_match(&v.name, &domain, company, website, email);
            out.push(Similar {
                reasons: reasons.iter().map(|m| m.label().to_string()).collect(),
                record: v,
            });
        }
    }
    Ok(out)
}

pub async fn get(db: &super::Db, actor: &Actor, id: Uuid) -> AppResult<AccountView> {
    let sql = format!("SELECT {COLS} FROM accounts a JOIN users u ON u.id = a.owner_id WHERE a.id = $1");
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    let (v, owner) = view(&row)?;
    if can_read(actor, owner) {
        Ok(v)
    } else {
        Err(AppError::NotFound)
    }
}

/// Accounts the actor can see whose name contains the words typed (all when empty), by name, at most 50.
pub async fn list(db: &super::Db, actor: &Actor, q: &str) -> AppResult<Vec<AccountView>> {
    let (scope, mut binds) = super::contacts::scope_sql(actor, "a");
    let mut cond = scope;
    let q: String = q
        .trim()
        .to_lowercase()
        .chars()
        .take(crate::domain::query::MAX_SEARCH_LEN)
        .collect();
    if !q.is_empty() {
        binds.push(Val::Text(format!("%{}%", super::like_escape(&q))));
        cond.push_str(&format!(" AND LOWER(a.name) LIKE ${} ESCAPE '\\'", binds.len()));
    }
    let sql = format!(
        "SELECT {COLS} FROM accounts a JOIN users u ON u.id = a.owner_id WHERE {cond} ORDER BY a.name, a.id LIMIT 50"
    );
    let rows = bind_all(sqlx::query(&sql), &binds).fetch_all(&db.pool).await?;
    rows.iter().map(|r| view(r).map(|(v, _)| v)).collect()
}
