//! Offline sync on the server: push (a batch of a client's mutations, through the one write path) and pull
//! (what changed since the client's cursor), plus the conflicts list of values lost to a later write.

use super::leads::{load_ids, load_where, LeadRecord};
use super::live;
use super::sql::{bind_all, placeholders, uuid_col, Val};
use super::working_set::WorkingSet;
use super::write::{decide, own_client};
use super::{now_ms, Db, Engine};
use crate::domain::access::{self, Actor};
use crate::domain::fields;
use crate::domain::mutation::ConflictPolicy;
use crate::domain::sync::{LeadCopy, Outcome, PullPage, PullRequest, PushRequest, PushResult, PULL_PAGE, RECENT_LEADS};
use crate::error::{AppError, AppResult};
use crate::model::ConflictItem;
use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

/// The client's last finished number, or 0 when it never pushed. A client id belongs to one user.
async fn client_last_applied(tx: &mut Transaction<'_, Any>, actor: &Actor, client_id: Uuid) -> AppResult<i64> {
    let row = sqlx::query("SELECT user_id, last_applied FROM clients WHERE id = $1")
        .bind(client_id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    match row {
        Some(r) if r.try_get::<String, _>("user_id")? != actor.user_id.to_string() => Err(AppError::Forbidden),
        Some(r) => Ok(r.try_get("last_applied")?),
        None => Ok(0),
    }
}

/// Why a mutation is refused for good, in words for the person who made it.
fn reason(e: &AppError) -> Option<String> {
    match e {
        AppError::NotFound => Some("This lead no longer exists or is no longer yours to see.".into()),
        AppError::Forbidden => Some("You are not allowed to change this lead.".into()),
        AppError::Invalid(errs) => Some(
            errs.iter()
                .map(|f| {
                    format!(
                        "{}: {}",
                        fields::spec(&f.field).map(|s| s.label).unwrap_or(f.field.as_str()),
                        f.message
                    )
                })
                .collect::<Vec<_>>()
                .join(" "),
        ),
        AppError::BadRequest(m) => Some(m.clone()),
        // Everything else (the database is down, ...) is worth retrying.
        _ => None,
    }
}

/// Applies a client's batch in order, in one transaction, each mutation through the one write path
/// (`write::decide`): already-finished numbers are skipped, a gap stops the batch, refusals are recorded
/// with their reason. Repeating a push changes nothing.
pub async fn push(db: &Db, actor: &Actor, req: &PushRequest) -> AppResult<PushResult> {
    push_in(db, actor, req, false).await
}

/// `push`, failing just before commit (the test's `FaultPoint::BeforeCommit`) after all its writes.
#[cfg(feature = "testing")]
pub async fn push_with_fault(
    db: &Db,
    actor: &Actor,
    req: &PushRequest,
    fault: super::testing::FaultPoint,
) -> AppResult<PushResult> {
    push_in(db, actor, req, fault == super::testing::FaultPoint::BeforeCommit).await
}

async fn push_in(db: &Db, actor: &Actor, req: &PushRequest, fail_before_commit: bool) -> AppResult<PushResult> {
    let mut tx = db.pool.begin().await?;
    let now = now_ms();
    // A write first (see `own_client`).
    let mut last = own_client(&mut tx, actor, req.client_id, now).await?;
    let mut outcomes = Vec::new();
    let mut mutations: Vec<_> = req.mutations.iter().filter(|m| m.client_id == req.client_id).collect();
    mutations.sort_by_key(|m| m.seq);
    mutations.dedup_by_key(|m| m.seq);
    let mut ws = WorkingSet::new(db.kind, now);
    let mut news = Vec::new();
    // The leads the new mutations touch, read (and locked) at once.
    let fresh: Vec<_> = mutations.iter().filter(|m| m.seq > last).map(|m| m.record_id).collect();
    ws.preload(&mut tx, &fresh).await?;
    for m in mutations {
        if m.seq <= last {
            outcomes.push((m.seq, Outcome::Duplicate));
            continue;
        }
        if m.seq != last + 1 {
            break;
        }
        // `decide` changes nothing unless it accepts, so a refusal leaves only its record.
        let result = decide(&mut tx, &mut ws, &mut news, actor, m, ConflictPolicy::LastWriteWins).await;
        match result {
            Ok(_) => {
                ws.log(m, actor, None);
                outcomes.push((m.seq, Outcome::Applied));
            }
            Err(e) => {
                let Some(why) = reason(&e) else { return Err(e) };
                ws.log(m, actor, Some(&why));
                outcomes.push((m.seq, Outcome::Rejected { reason: why }));
            }
        }
        last = m.seq;
    }
    news.extend(ws.flush(&mut tx).await?);
    live::announce(&mut tx, db.kind, &news).await?;
    sqlx::query("UPDATE clients SET last_applied = $1 WHERE id = $2")
        .bind(last)
        .bind(req.client_id.to_string())
        .execute(&mut *tx)
        .await?;
    if fail_before_commit {
        return Err(AppError::internal("injected fault before commit"));
    }
    tx.commit().await?;
    live::committed(db, &news);
    Ok(PushResult {
        last_applied: last,
        outcomes,
    })
}

fn copy_of(r: &LeadRecord) -> LeadCopy {
    LeadCopy {
        id: r.id,
        version: r.version,
        fields: r
            .fields
            .iter()
            .filter(|(_, s)| !(s.value.is_empty() && s.version == 1))
            .map(|(k, s)| (k.clone(), (s.value.clone(), s.version)))
            .collect(),
        state: r.state.as_str().to_string(),
        updated_at: r.updated_at,
    }
}

/// Leads in the local copy's scope: one's own open leads, plus the recently opened ones, within reach.
fn in_scope(actor: &Actor, extra: &[Uuid], r: &LeadRecord) -> bool {
    access::can_read(actor, r.lead_ref())
        && ((r.owner_id == actor.user_id && r.state.as_str() == "open") || extra.contains(&r.id))
}

/// What changed since the client's cursor, from one consistent snapshot. An empty copy (cursor 0) gets
/// the whole scope page by page; later pulls read the change feed.
pub async fn pull(db: &Db, actor: &Actor, req: &PullRequest) -> AppResult<PullPage> {
    let mut tx = db.pool.begin().await?;
    if db.kind == Engine::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            .execute(&mut *tx)
            .await?;
    }
    let extra: Vec<Uuid> = req.extra.iter().take(RECENT_LEADS).copied().collect();
    let last_applied = client_last_applied(&mut tx, actor, req.client_id).await?;
    let mut page = PullPage {
        from: (req.cursor, req.resume),
        last_applied,
        ..Default::default()
    };
    if req.first_waiting > 0 {
        let rows = sqlx::query(
            "SELECT seq, reason FROM mutations WHERE client_id = $1 AND status = 'rejected' AND seq >= $2 ORDER BY seq",
        )
        .bind(req.client_id.to_string())
        .bind(req.first_waiting)
        .fetch_all(&mut *tx)
        .await?;
        for r in rows {
            page.rejected.push((r.try_get("seq")?, r.try_get("reason")?));
        }
    }
    if req.cursor == 0 || req.resume.is_some() {
        // The snapshot's feed position is taken first, so anything committed later comes by the feed.
        let cursor = if req.resume.is_some() {
            req.cursor
        } else {
            sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM changes")
                .fetch_one(&mut *tx)
                .await?
                .unwrap_or(0)
        };
        // Newest first (ids are UUID v7, so by creation), resuming below the last id sent.
        let mut binds = vec![Val::Text(actor.user_id.to_string())];
        let mut below = String::new();
        if let Some(r) = req.resume {
            binds.push(Val::Text(r.to_string()));
            below = format!(" AND l.id < ${}", binds.len());
        }
        let mut extra_sql = String::new();
        if !extra.is_empty() {
            extra_sql = format!(" OR l.id IN ({})", placeholders(binds.len(), extra.len()));
            binds.extend(extra.iter().map(|u| Val::Text(u.to_string())));
        }
        let cond = format!(
            "((l.owner_id = $1 AND l.state = 'open'){extra_sql}){below} ORDER BY l.id DESC LIMIT {}",
            PULL_PAGE + 1
        );
        let mut leads = load_where(&mut tx, &cond, &binds).await?;
        let more = leads.len() > PULL_PAGE;
        leads.truncate(PULL_PAGE);
        page.resume = if more { leads.last().map(|l| l.id) } else { None };
        page.leads = leads
            .iter()
            .filter(|r| in_scope(actor, &extra, r))
            .map(copy_of)
            .collect();
        page.cursor = cursor;
        page.more = more;
    } else {
        let feed_page = (PULL_PAGE * 4) as i64;
        // Only the rows of the teams this person can read: a lead that was never theirs to see is never
        // mentioned, not even as removed. The cursor moves to the snapshot's end when the page is not full,
        // past other teams' rows.
        let top = sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM changes")
            .fetch_one(&mut *tx)
            .await?
            .unwrap_or(0);
        let mut binds = vec![
            Val::Int(Some(req.cursor)),
            Val::Int(Some(top)),
            Val::Int(Some(feed_page)),
        ];
        let team = match access::read_scope(actor) {
            access::ReadScope::All => String::new(),
            access::ReadScope::Team(t) => {
                binds.push(Val::Text(t.to_string()));
                " AND team_id = $4".to_string()
            }
        };
        let sql = format!("SELECT seq, record_id FROM changes WHERE seq > $1 AND seq <= $2 AND record_kind = 'lead'{team} ORDER BY seq LIMIT $3");
        let rows = bind_all(sqlx::query(&sql), &binds).fetch_all(&mut *tx).await?;
        // Each changed lead once, in feed order.
        let mut ids: Vec<Uuid> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut cursor = req.cursor.max(0);
        for r in &rows {
            cursor = r.try_get("seq")?;
            let id = uuid_col(r, "record_id")?;
            if seen.insert(id) {
                ids.push(id);
            }
        }
        let found: std::collections::HashMap<Uuid, LeadRecord> = load_ids(&mut tx, &ids, None)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        for id in ids {
            match found.get(&id) {
                Some(r) if in_scope(actor, &extra, r) => page.leads.push(copy_of(r)),
                _ => page.removed.push(id),
            }
        }
        page.more = rows.len() as i64 == feed_page;
        page.cursor = if page.more { cursor } else { top.max(req.cursor) };
    }
    tx.commit().await?;
    Ok(page)
}

/// The user's open conflicts, newest first, on leads they can still read.
pub async fn conflicts(db: &Db, actor: &Actor) -> AppResult<Vec<ConflictItem>> {
    let rows = sqlx::query(
        "SELECT c.id, c.lead_id, c.field, c.lost_value, c.won_value, c.at, w.name AS won_by_name, l.first_name, l.last_name, l.company_name, l.team_id, l.owner_id
         FROM conflicts c JOIN users w ON w.id = c.won_by JOIN leads l ON l.id = c.lead_id
         WHERE c.user_id = $1 AND c.resolved = 0 ORDER BY c.at DESC, c.id DESC LIMIT 200",
    )
    .bind(actor.user_id.to_string())
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let lead_ref = access::LeadRef {
            team_id: uuid_col(&r, "team_id")?,
            owner_id: uuid_col(&r, "owner_id")?,
        };
        if !access::can_read(actor, lead_ref) {
            continue;
        }
        let field: String = r.try_get("field")?;
        out.push(ConflictItem {
            id: uuid_col(&r, "id")?,
            lead_id: uuid_col(&r, "lead_id")?,
            lead_name: crate::domain::lead::full_name(
                &r.try_get::<String, _>("first_name")?,
                &r.try_get::<String, _>("last_name")?,
            ),
            company: r.try_get("company_name")?,
            label: fields::spec(&field).map(|s| s.label).unwrap_or("Field").to_string(),
            field,
            yours: r.try_get("lost_value")?,
            theirs: r.try_get("won_value")?,
            by_name: r.try_get("won_by_name")?,
            at: r.try_get("at")?,
            at_shown: String::new(),
        });
    }
    Ok(out)
}

/// Marks a conflict handled (re-applied or let go); only its owner can.
pub async fn resolve_conflict(db: &Db, actor: &Actor, id: Uuid) -> AppResult<()> {
    let n = sqlx::query("UPDATE conflicts SET resolved = 1 WHERE id = $1 AND user_id = $2")
        .bind(id.to_string())
        .bind(actor.user_id.to_string())
        .execute(&db.pool)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}
