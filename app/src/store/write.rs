//! The one write path: every mutation of every entity goes through `decide`, inside one transaction,
//! whether it comes from an online save (`save`) or from a pushed batch (`sync::push`). A new entity means
//! its own decide-and-write function and one line in `decide`.

use super::live::{self, LiveEvent};
use super::working_set::WorkingSet;
use super::{deal, now_ms, opportunities, records, timeline, Db};
use crate::domain::access::Actor;
use crate::domain::mutation::{ConflictPolicy, Entity, Mutation, Op};
use crate::error::{AppError, AppResult};
use crate::model::Saved;
use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

/// Registers a client id for the actor, or finds it registered: the one ownership check of every write
/// (a push, and an online save, which records its mutation under a client id too). A client id belongs to
/// the first user who used it; anyone else is refused, so nobody can write under another's numbers.
/// Returns the client's last finished number. Being a write, it also takes SQLite's write lock, so the
/// reads after it cannot go stale, and on Postgres it locks the client's row (two tabs cannot interleave).
pub(crate) async fn own_client(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    client_id: Uuid,
    now: i64,
) -> AppResult<i64> {
    let row = sqlx::query(
        "INSERT INTO clients (id, user_id, last_applied, created_at, seen_at) VALUES ($1, $2, 0, $3, $3)
         ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at RETURNING user_id, last_applied",
    )
    .bind(client_id.to_string())
    .bind(actor.user_id.to_string())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    if row.try_get::<String, _>("user_id")? != actor.user_id.to_string() {
        return Err(AppError::Forbidden);
    }
    Ok(row.try_get("last_applied")?)
}

/// Records a single save's mutation before anything else. Writing first takes SQLite's write lock at once
/// (so the reads that follow cannot go stale) and makes a repeat a no-op: false when already recorded.
/// The client id must be the actor's own, as for a push.
async fn claim(tx: &mut Transaction<'_, Any>, actor: &Actor, m: &Mutation, now: i64) -> AppResult<bool> {
    own_client(tx, actor, m.client_id, now).await?;
    let fresh = sqlx::query(
        "INSERT INTO mutations (client_id, seq, record_id, user_id, status, reason, applied_at)
         VALUES ($1, $2, $3, $4, 'applied', '', $5) ON CONFLICT DO NOTHING",
    )
    .bind(m.client_id.to_string())
    .bind(m.seq)
    .bind(m.record_id.to_string())
    .bind(actor.user_id.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(fresh == 1)
}

/// Decides one mutation of any entity in the caller's transaction, and writes it or holds it: a lead's
/// change waits in `ws` for the flush; everything else is written at once, after the lead writes held so
/// far (an item, a deal row or a qualify's opportunity may refer to a lead made earlier in the batch).
/// News for live listeners go to `news`. Returns the version an online save answers with.
pub(crate) async fn decide(
    tx: &mut Transaction<'_, Any>,
    ws: &mut WorkingSet,
    news: &mut Vec<LiveEvent>,
    actor: &Actor,
    m: &Mutation,
    policy: ConflictPolicy,
) -> AppResult<i64> {
    if m.entity != Entity::Lead || matches!(m.op, Op::Qualify(_)) {
        news.extend(ws.flush_held(tx).await?);
    }
    let (engine, now) = (ws.engine(), ws.now());
    match m.entity {
        Entity::Lead => ws.apply(tx, actor, m, policy).await,
        Entity::Account | Entity::Contact => records::apply_in(tx, engine, actor, m, policy, now).await.map(|()| 0),
        Entity::Opportunity => opportunities::apply_in(tx, engine, actor, m, policy, now)
            .await
            .map(|n| news.extend(n))
            .map(|()| 0),
        Entity::Stakeholder | Entity::DealCompetitor | Entity::Competitor => {
            deal::apply_in(tx, engine, actor, m, now).await.map(|()| 1)
        }
        Entity::TimelineItem => timeline::apply_item(tx, engine, actor, m, now)
            .await
            .map(|n| news.extend(n))
            .map(|()| 1),
    }
}

/// Saves one mutation made online, in one transaction: all of it or none of it. Conflicts are refused
/// (the person chooses). A mutation already recorded (same client id and number) changes nothing and
/// answers `Duplicate`.
pub async fn save(db: &Db, actor: &Actor, m: &Mutation) -> AppResult<Saved> {
    save_in(db, actor, m, |_| {}).await
}

/// `save`, failing on purpose where a test says.
#[cfg(feature = "testing")]
pub async fn save_with_fault(
    db: &Db,
    actor: &Actor,
    m: &Mutation,
    fault: super::testing::FaultPoint,
) -> AppResult<Saved> {
    save_in(db, actor, m, |ws| ws.fault = fault).await
}

async fn save_in(db: &Db, actor: &Actor, m: &Mutation, prepare: impl FnOnce(&mut WorkingSet)) -> AppResult<Saved> {
    let mut tx = db.pool.begin().await?;
    let now = now_ms();
    if !claim(&mut tx, actor, m, now).await? {
        return Ok(Saved::Duplicate);
    }
    let mut ws = WorkingSet::new(db.kind, now);
    prepare(&mut ws);
    let mut news = Vec::new();
    let version = decide(&mut tx, &mut ws, &mut news, actor, m, ConflictPolicy::Reject).await?;
    let fail = ws.fails_before_commit();
    news.extend(ws.flush(&mut tx).await?);
    live::announce(&mut tx, db.kind, &news).await?;
    if fail {
        return Err(AppError::internal("injected fault before commit"));
    }
    tx.commit().await?;
    live::committed(db, &news);
    Ok(Saved::Applied { version })
}
