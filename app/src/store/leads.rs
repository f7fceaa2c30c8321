//! Leads: reading lists and records, the lead's row and its feed rows, demo data (`seed`), and what
//! Qualify would find. Lead changes are decided by `working_set::WorkingSet` (see `write.rs`).

use super::sql::{
    bind_all, from_db, insert_rows, next_change_seq, placeholders, rows_sql, to_db, uuid_col, Engine, Val,
};
use super::Db;
use crate::domain::access::{self, Actor, LeadRef, ReadScope};
use crate::domain::fields::FIELDS;
use crate::domain::lead::{full_name, search_text, LeadState};
use crate::domain::mutation::FieldState;
use crate::domain::qualify::QualifyMode;
use crate::domain::query::{LeadQuery, SortKey, View, PAGE_SIZE};
use crate::error::{AppError, AppResult};
use crate::model::{LeadDetail, LeadList, LeadRow};
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;
use uuid::Uuid;

/// A lead as stored, with the state of each field.
#[derive(Clone, Debug)]
pub struct LeadRecord {
    pub id: Uuid,
    pub team_id: Uuid,
    pub owner_id: Uuid,
    pub owner_name: String,
    pub state: LeadState,
    pub version: i64,
    pub created_by: Uuid,
    pub created_at: i64,
    pub updated_at: i64,
    pub fields: BTreeMap<String, FieldState>,
}

impl LeadRecord {
    pub fn lead_ref(&self) -> LeadRef {
        LeadRef {
            owner_id: self.owner_id,
            team_id: self.team_id,
        }
    }
    pub fn value(&self, key: &str) -> &str {
        self.fields.get(key).map(|s| s.value.as_str()).unwrap_or("")
    }
}

/// Loads a lead inside a transaction (locking its row on Postgres), or None.
async fn load(tx: &mut Transaction<'_, Any>, lock: Option<Engine>, id: Uuid) -> AppResult<Option<LeadRecord>> {
    let cond = format!("l.id = $1{}", lock.map(Engine::for_update).unwrap_or(""));
    Ok(load_where(tx, &cond, &[Val::Text(id.to_string())]).await?.pop())
}

/// Loads these leads (those that exist), 500 ids per statement, in id order; with `lock`, rows are locked
/// for the transaction on Postgres.
pub(crate) async fn load_ids(
    tx: &mut Transaction<'_, Any>,
    ids: &[Uuid],
    lock: Option<Engine>,
) -> AppResult<Vec<LeadRecord>> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let binds: Vec<Val> = chunk.iter().map(|id| Val::Text(id.to_string())).collect();
        let cond = format!(
            "l.id IN ({}) ORDER BY l.id{}",
            placeholders(0, chunk.len()),
            lock.map(Engine::for_update).unwrap_or("")
        );
        out.extend(load_where(tx, &cond, &binds).await?);
    }
    Ok(out)
}

/// Loads the leads matching a condition on `l` (ordered by id), each with the state of every field.
pub(crate) async fn load_where(tx: &mut Transaction<'_, Any>, cond: &str, binds: &[Val]) -> AppResult<Vec<LeadRecord>> {
    let cols: Vec<String> = FIELDS.iter().map(|s| format!("l.{}", s.key)).collect();
    let sql = format!(
        "SELECT l.id, l.team_id, l.state, l.version, l.created_by, l.created_at, l.updated_at, u.name AS owner_name, {}
         FROM leads l JOIN users u ON u.id = l.owner_id WHERE {cond}",
        cols.join(", "),
    );
    let rows = bind_all(sqlx::query(&sql), binds).fetch_all(&mut **tx).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>("id"))
        .collect::<Result<_, _>>()?;
    // Fields without a row here were last set when the lead was created (version 1).
    let mut known: BTreeMap<(String, String), (i64, Uuid, i64)> = BTreeMap::new();
    for chunk in ids.chunks(500) {
        let binds: Vec<Val> = chunk.iter().map(|id| Val::Text(id.clone())).collect();
        let q = format!(
            "SELECT lead_id, field, version, changed_by, changed_at FROM lead_field_versions WHERE lead_id IN ({})",
            placeholders(0, chunk.len())
        );
        for v in bind_all(sqlx::query(&q), &binds).fetch_all(&mut **tx).await? {
            known.insert(
                (v.try_get("lead_id")?, v.try_get("field")?),
                (
                    v.try_get("version")?,
                    uuid_col(&v, "changed_by")?,
                    v.try_get("changed_at")?,
                ),
            );
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for (row, id) in rows.iter().zip(ids) {
        let created_by = uuid_col(row, "created_by")?;
        let created_at: i64 = row.try_get("created_at")?;
        let mut fields = BTreeMap::new();
        for spec in FIELDS {
            let (version, by, at) = known
                .get(&(id.clone(), spec.key.to_string()))
                .copied()
                .unwrap_or((1, created_by, created_at));
            fields.insert(
                spec.key.to_string(),
                FieldState {
                    value: from_db(spec, row)?,
                    version,
                    changed_by: Some(by),
                    changed_at: Some(at),
                },
            );
        }
        let state: String = row.try_get("state")?;
        out.push(LeadRecord {
            id: Uuid::parse_str(&id).map_err(AppError::internal)?,
            team_id: uuid_col(row, "team_id")?,
            owner_id: Uuid::parse_str(&fields["owner_id"].value).map_err(AppError::internal)?,
            owner_name: row.try_get("owner_name")?,
            state: LeadState::parse(&state).ok_or_else(|| AppError::internal(format!("bad state {state}")))?,
            version: row.try_get("version")?,
            created_by,
            created_at,
            updated_at: row.try_get("updated_at")?,
            fields,
        });
    }
    Ok(out)
}

/// Reads one lead for `actor`: a lead outside their reach is "not found", as if it did not exist.
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> AppResult<LeadRecord> {
    let mut tx = db.pool.begin().await?;
    let rec = load(&mut tx, None, id).await?;
    tx.commit().await?;
    match rec {
        Some(r) if access::can_read(actor, r.lead_ref()) => Ok(r),
        _ => Err(AppError::NotFound),
    }
}

pub fn detail(actor: &Actor, r: &LeadRecord) -> LeadDetail {
    let open = r.state == LeadState::Open;
    LeadDetail {
        id: r.id,
        version: r.version,
        state: r.state,
        team_id: r.team_id,
        owner_id: r.owner_id,
        owner_name: r.owner_name.clone(),
        created_at: r.created_at,
        updated_at: r.updated_at,
        created_shown: String::new(),
        updated_shown: String::new(),
        values: r.fields.iter().map(|(k, s)| (k.clone(), s.value.clone())).collect(),
        versions: r.fields.iter().map(|(k, s)| (k.clone(), s.version)).collect(),
        can_edit: open && access::can_edit(actor, r.lead_ref()),
        can_reassign: open && actor.role != access::Role::Seller && access::can_edit(actor, r.lead_ref()),
        can_delete: access::can_delete(actor),
        can_decide: access::can_edit(actor, r.lead_ref()),
        stage_since: r.fields.get("stage").and_then(|s| s.changed_at).unwrap_or(r.created_at),
    }
}

/// One page of leads for `actor`, with the total count for paging.
pub async fn list(db: &Db, actor: &Actor, q: &LeadQuery) -> AppResult<LeadList> {
    let mut wh: Vec<String> = Vec::new();
    let mut binds: Vec<Val> = Vec::new();
    let push = |cond: &str, v: Val, binds: &mut Vec<Val>, wh: &mut Vec<String>| {
        binds.push(v);
        wh.push(cond.replace('?', &format!("${}", binds.len())));
    };
    if let ReadScope::Team(t) = access::read_scope(actor) {
        push("l.team_id = ?", Val::Text(t.to_string()), &mut binds, &mut wh);
    }
    match q.view {
        View::Mine => {
            push(
                "l.owner_id = ?",
                Val::Text(actor.user_id.to_string()),
                &mut binds,
                &mut wh,
            );
            wh.push("l.state = 'open'".into());
        }
        View::Team => wh.push("l.state = 'open'".into()),
        View::Closed => wh.push("l.state <> 'open'".into()),
    }
    for (col, v) in [
        ("l.status_reason", &q.status),
        ("l.source", &q.source),
        ("l.rating", &q.rating),
        ("l.owner_id", &q.owner),
    ] {
        if !v.is_empty() {
            push(&format!("{col} = ?"), Val::Text(v.clone()), &mut binds, &mut wh);
        }
    }
    for term in q.q.to_lowercase().split_whitespace().take(8) {
        let escaped = super::like_escape(term);
        push(
            "l.search_text LIKE ? ESCAPE '\\'",
            Val::Text(format!("%{escaped}%")),
            &mut binds,
            &mut wh,
        );
    }
    let where_sql = if wh.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", wh.join(" AND "))
    };
    let dir = if q.desc { "DESC" } else { "ASC" };
    let order = match q.sort {
        SortKey::Name => format!("l.last_name {dir}, l.first_name {dir}"),
        SortKey::Company => format!("l.company_name {dir}"),
        SortKey::Topic => format!("l.topic {dir}"),
        SortKey::Status => format!("l.status_reason {dir}"),
        SortKey::Source => format!("l.source {dir}"),
        SortKey::Rating => format!("l.rating {dir}"),
        SortKey::Owner => format!("u.name {dir}"),
        SortKey::Email => format!("l.email {dir}"),
        SortKey::City => format!("l.city {dir}"),
        // Empty amounts last in both directions, on both engines.
        SortKey::Budget => format!("(l.budget_amount IS NULL) ASC, l.budget_amount {dir}"),
        SortKey::Created => format!("l.created_at {dir}"),
        SortKey::Updated => format!("l.updated_at {dir}"),
        SortKey::LastActivity => format!("l.last_activity_at {dir}"),
    };
    // The count rides along with the page as a scalar subquery (one round trip instead of two); it reuses
    // the page's placeholders. A filter lately seen matching more than the count goes to is not counted again.
    let limit = q.count_limit();
    let count_sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM leads l {where_sql} LIMIT {}) c",
        limit + 1
    );
    let count_key = format!("{count_sql} {binds:?}");
    let now = std::time::Instant::now();
    let over = db.over_cap.knows(&count_key, now);
    let matches = if over {
        String::new()
    } else {
        format!(", ({count_sql}) AS matches")
    };
    let n = binds.len();
    let sql = format!(
        "SELECT l.id, l.first_name, l.last_name, l.company_name, l.topic, l.status_reason, l.rating,
                u.name AS owner_name, l.updated_at, l.last_activity_at{matches}
         FROM leads l JOIN users u ON u.id = l.owner_id {where_sql}
         ORDER BY {order}, l.id {dir} LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut page_binds = binds.clone();
    page_binds.push(Val::Int(Some(PAGE_SIZE)));
    page_binds.push(Val::Int(Some(q.offset())));
    let rows = bind_all(sqlx::query(&sql), &page_binds).fetch_all(&db.pool).await?;
    let counted: i64 = match rows.first() {
        Some(_) if over => limit + 1,
        Some(r) => r.try_get("matches")?,
        None if q.offset() == 0 && !over => 0,
        // A page past the end (or an empty one where many were seen): count on its own so the pager can lead back.
        None => bind_all(sqlx::query(&count_sql), &binds)
            .fetch_one(&db.pool)
            .await?
            .try_get(0)?,
    };
    if !over || rows.is_empty() {
        db.over_cap.note(count_key, counted > limit, now);
    }
    let (total, more) = if counted > limit {
        (limit, true)
    } else {
        (counted, false)
    };
    let rows = rows
        .iter()
        .map(|r| {
            Ok(LeadRow {
                id: uuid_col(r, "id")?,
                name: full_name(
                    &r.try_get::<String, _>("first_name")?,
                    &r.try_get::<String, _>("last_name")?,
                ),
                company: r.try_get("company_name")?,
                topic: r.try_get("topic")?,
                status_reason: r.try_get("status_reason")?,
                rating: r.try_get("rating")?,
                owner_name: r.try_get("owner_name")?,
                updated_at: r.try_get("updated_at")?,
                updated_shown: String::new(),
                last_activity_at: r.try_get("last_activity_at")?,
                last_activity_shown: String::new(),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(LeadList {
        rows,
        total,
        more,
        page: q.page(),
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        owners: Vec::new(),
    })
}

/// How long a process trusts that a filter matches more leads than a list counts.
const OVER_CAP_FRESH: std::time::Duration = std::time::Duration::from_secs(30);
/// At most this many filters are remembered; the stale ones go first.
const OVER_CAP_KEPT: usize = 1024;

/// Lead filters (the count query with its values) seen matching more leads than the list counts, and when.
/// Counting to the cap walked a thousand index entries on each page of a big view, two thirds of the list's
/// database work. Only "more than" is kept: a filter under the cap is counted every time, so new and closed
/// leads show at once in every exact count. A big set that shrinks under the cap shows "More than …" for at
/// most `OVER_CAP_FRESH`, in each process on its own; an empty first page is always counted afresh.
#[derive(Debug, Default)]
pub struct OverCap(std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>);

impl OverCap {
    fn knows(&self, key: &str, now: std::time::Instant) -> bool {
        let Ok(seen) = self.0.lock() else { return false };
        seen.get(key)
            .is_some_and(|at| now.saturating_duration_since(*at) < OVER_CAP_FRESH)
    }

    /// After a count: remembers (or forgets) that the filter `key` matched more than the list counts.
    fn note(&self, key: String, over: bool, now: std::time::Instant) {
        let Ok(mut seen) = self.0.lock() else { return };
        if !over {
            seen.remove(&key);
            return;
        }
        if seen.len() >= OVER_CAP_KEPT && !seen.contains_key(&key) {
            seen.retain(|_, at| now.saturating_duration_since(*at) < OVER_CAP_FRESH);
            if seen.len() >= OVER_CAP_KEPT {
                return;
            }
        }
        seen.insert(key, now);
    }
}

/// Writes leads as they now are: inserted when new, every column replaced when not.
pub(crate) fn upsert_sql(kind: Engine, recs: &[&LeadRecord]) -> (String, Vec<Val>) {
    let cols = lead_columns();
    let rows = recs
        .iter()
        .map(|r| {
            lead_row(
                r.id,
                r.team_id,
                r.state,
                r.version,
                r.created_by,
                r.created_at,
                r.updated_at,
                |k| r.value(k).to_string(),
            )
        })
        .collect();
    let (sql, binds) = rows_sql(kind, &format!("leads ({})", cols.join(", ")), rows);
    let set: Vec<String> = cols.iter().skip(1).map(|c| format!("{c} = excluded.{c}")).collect();
    (
        format!("{sql} ON CONFLICT (id) DO UPDATE SET {}", set.join(", ")),
        binds,
    )
}

/// The columns of a lead row, in the order `lead_row` gives its values.
fn lead_columns() -> Vec<&'static str> {
    let mut cols = vec![
        "id",
        "team_id",
        "state",
        "version",
        "created_by",
        "created_at",
        "updated_at",
        "search_text",
    ];
    cols.extend(FIELDS.iter().map(|s| s.key));
    cols
}

#[allow(clippy::too_many_arguments)]
fn lead_row(
    id: Uuid,
    team: Uuid,
    state: LeadState,
    version: i64,
    created_by: Uuid,
    created_at: i64,
    updated_at: i64,
    value: impl Fn(&str) -> String,
) -> Vec<Val> {
    let mut row = vec![
        Val::Text(id.to_string()),
        Val::Text(team.to_string()),
        Val::Text(state.as_str().into()),
        Val::Int(Some(version)),
        Val::Text(created_by.to_string()),
        Val::Int(Some(created_at)),
        Val::Int(Some(updated_at)),
        Val::Text(search_text(
            &value("first_name"),
            &value("last_name"),
            &value("company_name"),
            &value("email"),
            &value("topic"),
        )),
    ];
    row.extend(FIELDS.iter().map(|s| to_db(s, &value(s.key))));
    row
}

/// The `changes` feed's columns, in the order `change_row` gives its values.
pub(crate) const CHANGE_COLS: &str =
    "changes (seq, record_kind, record_id, version, fields, deleted, user_id, at, team_id)";

/// A feed row: lead `id` reached `version` (or was deleted), `fields` being the changed values as JSON.
#[allow(clippy::too_many_arguments)]
pub(crate) fn change_row(
    seq: i64,
    id: Uuid,
    version: i64,
    fields: &str,
    deleted: bool,
    by: Uuid,
    at: i64,
    team: Uuid,
) -> Vec<Val> {
    vec![
        Val::Int(Some(seq)),
        Val::Text("lead".into()),
        Val::Text(id.to_string()),
        Val::Int(Some(version)),
        Val::Text(fields.to_string()),
        Val::Int(Some(deleted as i64)),
        Val::Text(by.to_string()),
        Val::Int(Some(at)),
        Val::Text(team.to_string()),
    ]
}

/// The `mutations` log's columns, in the order `mutation_row` gives its values.
pub(crate) const MUTATION_COLS: &str = "mutations (client_id, seq, record_id, user_id, status, reason, applied_at)";

/// A mutation's fate in the log: applied, or rejected with the reason.
pub(crate) fn mutation_row(
    client: Uuid,
    seq: i64,
    record: Uuid,
    by: Uuid,
    rejected: Option<&str>,
    at: i64,
) -> Vec<Val> {
    vec![
        Val::Text(client.to_string()),
        Val::Int(Some(seq)),
        Val::Text(record.to_string()),
        Val::Text(by.to_string()),
        Val::Text(if rejected.is_some() { "rejected" } else { "applied" }.into()),
        Val::Text(rejected.unwrap_or("").into()),
        Val::Int(Some(at)),
    ]
}

/// A lead as first written.
pub struct NewLeadRow {
    pub id: Uuid,
    pub team_id: Uuid,
    pub created_by: Uuid,
    pub at: i64,
    /// Canonical values, already validated.
    pub values: BTreeMap<String, String>,
}

fn insert_sql(kind: Engine, version: i64, rows: &[NewLeadRow]) -> (String, Vec<Val>) {
    let rows = rows
        .iter()
        .map(|r| {
            lead_row(
                r.id,
                r.team_id,
                LeadState::Open,
                version,
                r.created_by,
                r.at,
                r.at,
                |k| r.values.get(k).cloned().unwrap_or_default(),
            )
        })
        .collect();
    rows_sql(kind, &format!("leads ({})", lead_columns().join(", ")), rows)
}

/// Writes many new leads quickly, for demo data, benchmarks and tests: rows are already validated and
/// each batch records one mutation and one feed change per lead under `client_id`, so the log stays complete.
pub async fn seed(db: &Db, client_id: Uuid, first_seq: i64, rows: &[NewLeadRow]) -> AppResult<()> {
    let mut seq = first_seq;
    for chunk in rows.chunks(400) {
        let mut tx = db.pool.begin().await?;
        let (sql, binds) = insert_sql(db.kind, 1, chunk);
        bind_all(sqlx::query(&sql), &binds).execute(&mut *tx).await?;
        let mutations = chunk
            .iter()
            .zip(seq..)
            .map(|(r, n)| mutation_row(client_id, n, r.id, r.created_by, None, r.at));
        insert_rows(&mut tx, db.kind, MUTATION_COLS, mutations.collect()).await?;
        let feed_start = next_change_seq(&mut tx, db.kind).await?;
        let mut changes = Vec::with_capacity(chunk.len());
        for (r, n) in chunk.iter().zip(feed_start..) {
            let fields = serde_json::to_string(&r.values).map_err(AppError::internal)?;
            changes.push(change_row(n, r.id, 1, &fields, false, r.created_by, r.at, r.team_id));
        }
        insert_rows(&mut tx, db.kind, CHANGE_COLS, changes).await?;
        tx.commit().await?;
        seq += chunk.len() as i64;
    }
    Ok(())
}

/// How many changes the pull feed holds for a record (tests and diagnostics).
pub async fn change_count(db: &Db, id: Uuid) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM changes WHERE record_id = $1")
        .bind(id.to_string())
        .fetch_one(&db.pool)
        .await?)
}

/// What Qualify would find before anything is created: possible duplicates and the workspace's mode.
pub async fn qualify_preview(db: &Db, actor: &Actor, id: Uuid) -> AppResult<crate::model::QualifyPreview> {
    let mut tx = db.pool.begin().await?;
    let rec = match load(&mut tx, None, id).await? {
        Some(r) if access::can_read(actor, r.lead_ref()) => r,
        _ => return Err(AppError::NotFound),
    };
    let found = preview_in(&mut tx, actor, &rec).await?;
    tx.commit().await?;
    Ok(found)
}

/// The possible duplicates of a lead's company and person, and the workspace's mode: what the Qualify
/// panel shows, and what qualifying decides against again inside its own transaction.
pub(crate) async fn preview_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    rec: &LeadRecord,
) -> AppResult<crate::model::QualifyPreview> {
    let accounts = super::accounts::similar_in(
        tx,
        actor,
        rec.value("company_name"),
        rec.value("website"),
        rec.value("email"),
    )
    .await?;
    let contacts = super::contacts::similar_in(tx, actor, rec.value("email")).await?;
    let mode: Option<String> = sqlx::query_scalar("SELECT qualify_mode FROM workspace WHERE id = 1")
        .fetch_optional(&mut **tx)
        .await?;
    Ok(crate::model::QualifyPreview {
        mode: QualifyMode::parse(&mode.unwrap_or_default()),
        accounts,
        contacts,
    })
}

/// The workspace setting for Qualify: create everything at once, or let the seller choose.
pub async fn qualify_mode(db: &Db) -> AppResult<QualifyMode> {
    let mode: Option<String> = sqlx::query_scalar("SELECT qualify_mode FROM workspace WHERE id = 1")
        .fetch_optional(&db.pool)
        .await?;
    Ok(QualifyMode::parse(&mode.unwrap_or_default()))
}

/// Changes the workspace setting for Qualify (admins only).
pub async fn set_qualify_mode(db: &Db, actor: &Actor, mode: QualifyMode) -> AppResult<()> {
    if actor.role != access::Role::Admin {
        return Err(AppError::Forbidden);
    }
    sqlx::query("UPDATE workspace SET qualify_mode = $1 WHERE id = 1")
        .bind(mode.as_str())
        .execute(&db.pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{OverCap, OVER_CAP_FRESH, OVER_CAP_KEPT};
    use std::time::{Duration, Instant};

    #[test]
    fn a_filter_over_the_cap_is_trusted_for_a_while_and_one_under_it_never() {
        let seen = OverCap::default();
        let t0 = Instant::now();
        seen.note("team".into(), true, t0);
        seen.note("search".into(), false, t0);
        assert!(seen.knows("team", t0 + Duration::from_secs(1)));
        assert!(!seen.knows("search", t0));
        assert!(!seen.knows("team", t0 + OVER_CAP_FRESH), "counted again once stale");
        // A count under the cap forgets at once.
        seen.note("team".into(), false, t0);
        assert!(!seen.knows("team", t0));
    }

    #[test]
    fn stale_filters_make_room_and_the_memory_stays_bounded() {
        let seen = OverCap::default();
        let t0 = Instant::now();
        for i in 0..OVER_CAP_KEPT {
            seen.note(format!("old {i}"), true, t0);
        }
        seen.note("full".into(), true, t0);
        assert!(!seen.knows("full", t0), "nothing stale to drop yet");
        let later = t0 + OVER_CAP_FRESH;
        seen.note("new".into(), true, later);
        assert!(seen.knows("new", later));
        assert_eq!(seen.0.lock().unwrap().len(), 1);
    }
}
