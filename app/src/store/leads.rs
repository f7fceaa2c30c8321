//! Leads: reading lists and records, and `apply`, the one function through which every change to a lead
//! is written (online saves now, replayed offline edits later).

use super::live::{self, LiveEvent};
use super::{now_ms, Db, Engine};
use crate::domain::access::{self, Actor, LeadRef, ReadScope};
use crate::domain::fields::{self, FieldSpec, Kind, FIELDS};
use crate::domain::lead::{full_name, search_text, LeadState};
use crate::domain::mutation::{merge, Conflict, ConflictPolicy, FieldChange, FieldState, Mutation, Op};
use crate::domain::process::{checks_from_text, MoveError, Process, Record};
use crate::domain::qualify::{self, Pick, QualifyMode, QualifyOrder};
use crate::domain::query::{LeadQuery, SortKey, View, PAGE_SIZE};
use crate::domain::validate::{self, check_required, format_cents, normalize_all, FieldError};
use crate::error::{AppError, AppResult};
use crate::model::{LeadDetail, LeadList, LeadRow, Saved};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row, Transaction};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

/// A value ready to bind: texts are '' when empty, numbers NULL.
#[derive(Clone, Debug)]
pub enum Val {
    Text(String),
    Int(Option<i64>),
    /// A text column that may be NULL (an optional reference).
    OptText(Option<String>),
}

pub(crate) fn bind_all<'q>(mut q: Query<'q, Any, AnyArguments<'q>>, vals: &'q [Val]) -> Query<'q, Any, AnyArguments<'q>> {
    for v in vals {
        q = match v {
            Val::Text(s) => q.bind(s.as_str()),
            Val::Int(n) => q.bind(*n),
            Val::OptText(s) => q.bind(s.as_deref()),
        };
    }
    q
}

/// Canonical text (see `domain::validate`) to a column value.
pub fn to_db(spec: &FieldSpec, canonical: &str) -> Val {
    match spec.kind {
        Kind::Int { .. } => Val::Int(canonical.parse().ok()),
        Kind::Money => Val::Int(validate::money_cents(canonical).ok()),
        Kind::Bool => Val::Int(match canonical {
            "true" => Some(1),
            "false" => Some(0),
            _ => None,
        }),
        _ => Val::Text(canonical.to_string()),
    }
}

fn from_db(spec: &FieldSpec, row: &AnyRow) -> AppResult<String> {
    Ok(match spec.kind {
        Kind::Int { .. } => row.try_get::<Option<i64>, _>(spec.key)?.map(|n| n.to_string()).unwrap_or_default(),
        Kind::Money => row.try_get::<Option<i64>, _>(spec.key)?.map(format_cents).unwrap_or_default(),
        Kind::Bool => match row.try_get::<Option<i64>, _>(spec.key)? {
            Some(0) => "false".into(),
            Some(_) => "true".into(),
            None => String::new(),
        },
        _ => row.try_get::<String, _>(spec.key)?,
    })
}

fn uuid_of(row: &AnyRow, col: &str) -> AppResult<Uuid> {
    let s: String = row.try_get(col)?;
    Uuid::parse_str(&s).map_err(|e| AppError::internal(format!("bad uuid in leads.{col}: {e}")))
}

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
        LeadRef { owner_id: self.owner_id, team_id: self.team_id }
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

/// "$s+1, ..., $s+n": placeholders for a list of `n` values bound after `start` others.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start + 1..=start + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Loads these leads (those that exist), 500 ids per statement, in id order; with `lock`, rows are locked
/// for the transaction on Postgres.
pub(crate) async fn load_ids(tx: &mut Transaction<'_, Any>, ids: &[Uuid], lock: Option<Engine>) -> AppResult<Vec<LeadRecord>> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let binds: Vec<Val> = chunk.iter().map(|id| Val::Text(id.to_string())).collect();
        let cond = format!("l.id IN ({}) ORDER BY l.id{}", placeholders(0, chunk.len()), lock.map(Engine::for_update).unwrap_or(""));
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
    let ids: Vec<String> = rows.iter().map(|r| r.try_get::<String, _>("id")).collect::<Result<_, _>>()?;
    // Fields without a row here were last set when the lead was created (version 1).
    let mut known: BTreeMap<(String, String), (i64, Uuid, i64)> = BTreeMap::new();
    for chunk in ids.chunks(500) {
        let binds: Vec<Val> = chunk.iter().map(|id| Val::Text(id.clone())).collect();
        let q = format!("SELECT lead_id, field, version, changed_by, changed_at FROM lead_field_versions WHERE lead_id IN ({})", placeholders(0, chunk.len()));
        for v in bind_all(sqlx::query(&q), &binds).fetch_all(&mut **tx).await? {
            known.insert((v.try_get("lead_id")?, v.try_get("field")?), (v.try_get("version")?, uuid_of(&v, "changed_by")?, v.try_get("changed_at")?));
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for (row, id) in rows.iter().zip(ids) {
        let created_by = uuid_of(row, "created_by")?;
        let created_at: i64 = row.try_get("created_at")?;
        let mut fields = BTreeMap::new();
        for spec in FIELDS {
            let (version, by, at) = known.get(&(id.clone(), spec.key.to_string())).copied().unwrap_or((1, created_by, created_at));
            fields.insert(spec.key.to_string(), FieldState { value: from_db(spec, row)?, version, changed_by: Some(by), changed_at: Some(at) });
        }
        let state: String = row.try_get("state")?;
        out.push(LeadRecord {
            id: Uuid::parse_str(&id).map_err(AppError::internal)?,
            team_id: uuid_of(row, "team_id")?,
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
            push("l.owner_id = ?", Val::Text(actor.user_id.to_string()), &mut binds, &mut wh);
            wh.push("l.state = 'open'".into());
        }
        View::Team => wh.push("l.state = 'open'".into()),
        View::Closed => wh.push("l.state <> 'open'".into()),
    }
    for (col, v) in [("l.status_reason", &q.status), ("l.source", &q.source), ("l.rating", &q.rating), ("l.owner_id", &q.owner)] {
        if !v.is_empty() {
            push(&format!("{col} = ?"), Val::Text(v.clone()), &mut binds, &mut wh);
        }
    }
    for term in q.q.to_lowercase().split_whitespace().take(8) {
        let escaped = super::like_escape(term);
        push("l.search_text LIKE ? ESCAPE '\\'", Val::Text(format!("%{escaped}%")), &mut binds, &mut wh);
    }
    let where_sql = if wh.is_empty() { String::new() } else { format!("WHERE {}", wh.join(" AND ")) };
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
    let count_sql = format!("SELECT COUNT(*) FROM (SELECT 1 FROM leads l {where_sql} LIMIT {}) c", limit + 1);
    let count_key = format!("{count_sql} {binds:?}");
    let now = std::time::Instant::now();
    let over = db.over_cap.knows(&count_key, now);
    let matches = if over { String::new() } else { format!(", ({count_sql}) AS matches") };
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
        None => bind_all(sqlx::query(&count_sql), &binds).fetch_one(&db.pool).await?.try_get(0)?,
    };
    if !over || rows.is_empty() {
        db.over_cap.note(count_key, counted > limit, now);
    }
    let (total, more) = if counted > limit { (limit, true) } else { (counted, false) };
    let rows = rows
        .iter()
        .map(|r| {
            Ok(LeadRow {
                id: uuid_of(r, "id")?,
                name: full_name(&r.try_get::<String, _>("first_name")?, &r.try_get::<String, _>("last_name")?),
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
    Ok(LeadList { rows, total, more, page: q.page(), pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1), owners: Vec::new() })
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
        seen.get(key).is_some_and(|at| now.saturating_duration_since(*at) < OVER_CAP_FRESH)
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

/// A failure to inject into `apply`: tests use `BeforeCommit` to prove nothing half-written survives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FaultPoint {
    #[default]
    None,
    /// Fail after every write of the mutation, just before commit.
    BeforeCommit,
    /// Fail while qualifying, right after the account was written.
    AfterAccount,
}

/// Applies one mutation for `actor` in one transaction: all of it or none of it.
/// A mutation already recorded (same client id and number) changes nothing and answers `Duplicate`.
pub async fn apply(db: &Db, actor: &Actor, m: &Mutation, policy: ConflictPolicy) -> AppResult<Saved> {
    apply_with_fault(db, actor, m, policy, FaultPoint::None).await
}

pub async fn apply_with_fault(db: &Db, actor: &Actor, m: &Mutation, policy: ConflictPolicy, fault: FaultPoint) -> AppResult<Saved> {
    let mut tx = db.pool.begin().await?;
    let now = now_ms();
    if !claim(&mut tx, actor, m, now).await? {
        return Ok(Saved::Duplicate);
    }
    let mut ws = WorkingSet::new(db.kind, now);
    ws.fault = fault;
    let version = ws.apply(&mut tx, actor, m, policy).await?;
    let news = ws.flush(&mut tx).await?;
    live::announce(&mut tx, db.kind, &news).await?;
    if fault == FaultPoint::BeforeCommit {
        return Err(AppError::internal("injected fault before commit"));
    }
    tx.commit().await?;
    live::committed(db, &news);
    Ok(Saved::Applied { version })
}

/// Records a single save's mutation before anything else. Writing first takes SQLite's write lock at once
/// (so the reads that follow cannot go stale) and makes a repeat a no-op: false when already recorded.
/// The client id must be the actor's own, as for a push (`sync::own_client`).
pub(crate) async fn claim(tx: &mut Transaction<'_, Any>, actor: &Actor, m: &Mutation, now: i64) -> AppResult<bool> {
    crate::store::sync::own_client(tx, actor, m.client_id, now).await?;
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

/// The one write path. Mutations are decided against leads held in memory (read once per transaction,
/// locked on Postgres), and everything they write goes to the database in a few multi-row statements at
/// `flush`: one save is a working set of one mutation, a pushed batch one of up to 200.
/// `apply` changes the set only once a mutation is accepted, so a refused one leaves no trace.
pub(crate) struct WorkingSet {
    kind: Engine,
    now: i64,
    /// Leads read in this transaction (None: no such lead), kept current as mutations apply.
    records: HashMap<Uuid, Option<LeadRecord>>,
    owner_teams: HashMap<String, Option<Uuid>>,
    /// Leads to write as they now are, and leads to delete.
    dirty: BTreeSet<Uuid>,
    deleted: BTreeSet<Uuid>,
    /// The last version of each changed field: (lead, field) -> (version, who).
    field_versions: BTreeMap<(Uuid, String), (i64, Uuid)>,
    /// Feed rows, numbered under the feed lock (taken at the first one, held to commit).
    changes: Vec<Vec<Val>>,
    next_seq: Option<i64>,
    mutations: Vec<Vec<Val>>,
    conflicts: Vec<Vec<Val>>,
    /// The app's own timeline posts (lead created, owner or status changed): (lead, row).
    events: Vec<(Uuid, Vec<Val>)>,
    /// Timeline posts of the mutation being applied, taken into `events` once it is accepted.
    posts: Vec<Vec<(&'static str, String)>>,
    /// Process definitions read in this transaction.
    processes: HashMap<String, Option<Process>>,
    /// Every process, read once when a new lead needs to start in one.
    all_processes: Option<Vec<Process>>,
    /// Leads that changed hands or were deleted: live streams following them check access again.
    moved: Vec<Uuid>,
    pub(crate) fault: FaultPoint,
}

impl WorkingSet {
    pub(crate) fn new(kind: Engine, now: i64) -> Self {
        WorkingSet {
            kind,
            now,
            records: HashMap::new(),
            owner_teams: HashMap::new(),
            dirty: BTreeSet::new(),
            deleted: BTreeSet::new(),
            field_versions: BTreeMap::new(),
            changes: Vec::new(),
            next_seq: None,
            mutations: Vec::new(),
            conflicts: Vec::new(),
            events: Vec::new(),
            posts: Vec::new(),
            processes: HashMap::new(),
            all_processes: None,
            moved: Vec::new(),
            fault: FaultPoint::None,
        }
    }

    async fn process(&mut self, tx: &mut Transaction<'_, Any>, key: &str) -> AppResult<Option<Process>> {
        if let Some(p) = self.processes.get(key) {
            return Ok(p.clone());
        }
        let p = crate::store::processes::get_in(tx, key).await?;
        self.processes.insert(key.to_string(), p.clone());
        Ok(p)
    }

    /// A lead the actor may change (and that exists for them), as it stands in this transaction.
    fn editable(&self, actor: &Actor, id: Uuid) -> AppResult<LeadRecord> {
        let rec = match self.records.get(&id) {
            Some(Some(r)) if access::can_read(actor, r.lead_ref()) => r.clone(),
            _ => return Err(AppError::NotFound),
        };
        if !access::can_edit(actor, rec.lead_ref()) {
            return Err(AppError::Forbidden);
        }
        Ok(rec)
    }

    /// Takes accepted values into a lead: a new version, per-field versions, written at flush.
    fn set_fields(&mut self, actor: &Actor, mut rec: LeadRecord, values: &BTreeMap<String, String>) -> i64 {
        let version = rec.version + 1;
        rec.version = version;
        rec.updated_at = self.now;
        for (k, v) in values {
            rec.fields.insert(k.clone(), FieldState { value: v.clone(), version, changed_by: Some(actor.user_id), changed_at: Some(self.now) });
            self.field_versions.insert((rec.id, k.clone()), (version, actor.user_id));
        }
        self.dirty.insert(rec.id);
        self.records.insert(rec.id, Some(rec));
        version
    }

    /// Checks a change of process or stage against the definitions; returns the timeline posts it makes.
    async fn check_process_change(&mut self, tx: &mut Transaction<'_, Any>, rec: &LeadRecord, apply: &BTreeMap<String, String>) -> AppResult<Vec<Vec<(&'static str, String)>>> {
        let touched = ["process_id", "stage", "process_checks"].iter().any(|k| apply.contains_key(*k));
        if !touched {
            return Ok(Vec::new());
        }
        let mut values: BTreeMap<String, String> = rec.fields.iter().map(|(k, f)| (k.clone(), f.value.clone())).collect();
        values.extend(apply.iter().map(|(k, v)| (k.clone(), v.clone())));
        let (old_key, old_stage) = (rec.value("process_id").to_string(), rec.value("stage").to_string());
        let (new_key, new_stage) = (values["process_id"].clone(), values["stage"].clone());
        let stage_error = |e: MoveError| AppError::Invalid(vec![FieldError::new("stage", e.to_string())]);
        let Some(to) = self.process(tx, &new_key).await? else { return Err(stage_error(MoveError::UnknownStage)) };
        let from = self.process(tx, &old_key).await?;
        if old_key == new_key && old_stage == new_stage {
            return Ok(Vec::new());
        }
        to.check_move(from.as_ref().map(|p| (p, old_stage.as_str())), &new_stage, Record::Lead, &values, &checks_from_text(&values["process_checks"])).map_err(stage_error)?;
        let mut posts = Vec::new();
        if old_key != new_key {
            posts.push(vec![("event", "process".to_string()), ("from", from.map(|p| p.name).unwrap_or_default()), ("to", to.name.clone())]);
        }
        if old_stage != new_stage {
            let name = |k: &str| to.stage(k).map(|s| s.name.clone()).unwrap_or_else(|| k.to_string());
            posts.push(vec![("event", "stage".to_string()), ("from", name(&old_stage)), ("to", name(&new_stage))]);
        }
        Ok(posts)
    }

    /// Reads (and on Postgres locks, in id order) the leads a batch will touch, in one go.
    pub(crate) async fn preload(&mut self, tx: &mut Transaction<'_, Any>, ids: &[Uuid]) -> AppResult<()> {
        let ids: Vec<Uuid> = ids.iter().filter(|id| !self.records.contains_key(id)).copied().collect();
        let found = load_ids(tx, &ids, Some(self.kind)).await?;
        for id in ids {
            self.records.insert(id, None);
        }
        for r in found {
            self.records.insert(r.id, Some(r));
        }
        Ok(())
    }

    async fn team_of(&mut self, tx: &mut Transaction<'_, Any>, owner: &str) -> AppResult<Option<Uuid>> {
        if let Some(t) = self.owner_teams.get(owner) {
            return Ok(*t);
        }
        let team: Option<String> = sqlx::query_scalar("SELECT team_id FROM users WHERE id = $1 AND active = 1").bind(owner).fetch_optional(&mut **tx).await?;
        let team = team.and_then(|t| Uuid::parse_str(&t).ok());
        self.owner_teams.insert(owner.to_string(), team);
        Ok(team)
    }

    /// Decides one mutation and, when accepted, takes its effect into the set. Returns the lead's version.
    pub(crate) async fn apply(&mut self, tx: &mut Transaction<'_, Any>, actor: &Actor, m: &Mutation, policy: ConflictPolicy) -> AppResult<i64> {
        self.preload(tx, &[m.record_id]).await?;
        self.posts.clear();
        let team_before = self.team_now(m.record_id);
        let before = match self.records.get(&m.record_id) {
            Some(Some(r)) => Some((r.value("owner_id").to_string(), r.value("status_reason").to_string())),
            _ => None,
        };
        let (version, changed, deleted) = match &m.op {
            Op::Create { fields } => (1, self.create(tx, actor, m.record_id, fields).await?, false),
            Op::Update { changes } => {
                let (v, c) = self.update(tx, actor, m.record_id, changes, policy).await?;
                (v, c, false)
            }
            Op::Delete => {
                self.delete(actor, m.record_id)?;
                (0, BTreeMap::new(), true)
            }
            Op::Qualify(order) => {
                let (v, c) = self.qualify(tx, actor, m.record_id, order).await?;
                (v, c, false)
            }
            Op::Disqualify { reason, note } => {
                let (v, c) = self.disqualify(tx, actor, m.record_id, reason, note).await?;
                (v, c, false)
            }
            Op::Reactivate => {
                let (v, c) = self.reactivate(actor, m.record_id)?;
                (v, c, false)
            }
            Op::Close { .. } => return Err(AppError::BadRequest("Leads are qualified or disqualified, not closed.".into())),
        };
        let mut posts = std::mem::take(&mut self.posts);
        match (&m.op, &before) {
            (Op::Create { .. }, _) => posts.insert(0, vec![("event", "created".to_string())]),
            (Op::Update { .. }, Some((owner, status))) => {
                if let Some(to) = changed.get("owner_id").filter(|to| *to != owner) {
                    posts.push(vec![("event", "owner".into()), ("from", owner.clone()), ("to", to.clone())]);
                }
                if let Some(to) = changed.get("status_reason").filter(|to| *to != status) {
                    posts.push(vec![("event", "status".into()), ("from", status.clone()), ("to", to.clone())]);
                }
            }
            _ => {}
        }
        if deleted || changed.contains_key("owner_id") {
            self.moved.push(m.record_id);
        }
        for pairs in posts {
            let d: BTreeMap<String, String> = pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            self.events.push((m.record_id, crate::store::timeline::event_row(m.record_id, actor.user_id, &d, self.now)));
        }
        if deleted || !changed.is_empty() {
            // One feed row for the lead's team, and one for the team it left: pulls read their own team's rows.
            let team_after = self.team_now(m.record_id);
            let mut teams: Vec<Uuid> = team_after.or(team_before).into_iter().collect();
            teams.extend(team_before.filter(|t| Some(*t) != team_after && team_after.is_some()));
            let fields = serde_json::to_string(&changed).map_err(AppError::internal)?;
            for team in teams {
                let seq = match self.next_seq {
                    Some(n) => n,
                    // The feed lock, then the last feed number: held until commit, so numbers follow commit order.
                    None => next_change_seq(tx, self.kind).await?,
                };
                self.next_seq = Some(seq + 1);
                self.changes.push(vec![
                    Val::Int(Some(seq)),
                    Val::Text("lead".into()),
                    Val::Text(m.record_id.to_string()),
                    Val::Int(Some(version)),
                    Val::Text(fields.clone()),
                    Val::Int(Some(deleted as i64)),
                    Val::Text(actor.user_id.to_string()),
                    Val::Int(Some(self.now)),
                    Val::Text(team.to_string()),
                ]);
            }
        }
        Ok(version)
    }

    /// The team of a lead as it stands in this transaction (None: no such lead, or deleted).
    fn team_now(&self, id: Uuid) -> Option<Uuid> {
        self.records.get(&id).and_then(|r| r.as_ref()).map(|r| r.team_id)
    }

    /// Records a pushed mutation's fate (a single save records its own before anything else).
    pub(crate) fn log(&mut self, m: &Mutation, actor: &Actor, reason: Option<&str>) {
        self.mutations.push(vec![
            Val::Text(m.client_id.to_string()),
            Val::Int(Some(m.seq)),
            Val::Text(m.record_id.to_string()),
            Val::Text(actor.user_id.to_string()),
            Val::Text(if reason.is_some() { "rejected" } else { "applied" }.into()),
            Val::Text(reason.unwrap_or("").into()),
            Val::Int(Some(self.now)),
        ]);
    }

    async fn create(&mut self, tx: &mut Transaction<'_, Any>, actor: &Actor, id: Uuid, raw: &BTreeMap<String, String>) -> AppResult<BTreeMap<String, String>> {
        let mut values = normalize_all(raw).map_err(AppError::Invalid)?;
        let missing = check_required(&values);
        if !missing.is_empty() {
            return Err(AppError::Invalid(missing));
        }
        let owner = values.get("owner_id").filter(|o| !o.is_empty()).cloned().unwrap_or_else(|| actor.user_id.to_string());
        let Some(team) = self.team_of(tx, &owner).await? else {
            return Err(AppError::Invalid(vec![FieldError::new("owner_id", "Choose an active user as owner.")]));
        };
        let owner_id = Uuid::parse_str(&owner).map_err(|_| AppError::Invalid(vec![FieldError::new("owner_id", "Choose a user from the list.")]))?;
        if !access::can_create_for(actor, owner_id, team) {
            return Err(AppError::Invalid(vec![FieldError::new("owner_id", "You cannot create leads for this owner.")]));
        }
        values.insert("owner_id".into(), owner.clone());
        if values.get("status_reason").is_none_or(|s| s.is_empty()) {
            values.insert("status_reason".into(), "New".into());
        }
        if values.get("closed_note").is_some_and(|n| !n.is_empty()) {
            return Err(AppError::Invalid(vec![FieldError::new("closed_note", "Set by disqualifying, not by hand.")]));
        }
        // Every lead has an active process: the one for its source unless the browser chose, at its first stage.
        let key = match values.get("process_id").filter(|k| !k.is_empty()) {
            Some(k) => k.clone(),
            None => {
                if self.all_processes.is_none() {
                    self.all_processes = Some(crate::store::processes::all_in(tx).await?);
                }
                let source = values.get("source").map(String::as_str).unwrap_or("");
                crate::domain::process::for_new_lead(source, self.all_processes.as_deref().unwrap_or_default()).map(|p| p.key.clone()).unwrap_or_default()
            }
        };
        let process = self.process(tx, &key).await?.ok_or_else(|| AppError::Invalid(vec![FieldError::new("process_id", "Choose a process from the list.")]))?;
        let stage = match values.get("stage").filter(|s| !s.is_empty()) {
            Some(s) => s.clone(),
            None => process.first_stage_for(Record::Lead, &values).map(|s| s.key.clone()).unwrap_or_default(),
        };
        process
            .check_move(None, &stage, Record::Lead, &values, &checks_from_text(values.get("process_checks").map(String::as_str).unwrap_or("")))
            .map_err(|e| AppError::Invalid(vec![FieldError::new("stage", e.to_string())]))?;
        values.insert("process_id".into(), key);
        values.insert("stage".into(), stage);
        if matches!(self.records.get(&id), Some(Some(_))) || self.deleted.contains(&id) {
            return Err(AppError::BadRequest("A lead with this id already exists.".into()));
        }
        crate::store::ids::ensure_new(tx, id).await?;
        let fields = FIELDS
            .iter()
            .map(|s| (s.key.to_string(), FieldState { value: values.get(s.key).cloned().unwrap_or_default(), version: 1, changed_by: Some(actor.user_id), changed_at: Some(self.now) }))
            .collect();
        let rec = LeadRecord { id, team_id: team, owner_id, owner_name: String::new(), state: LeadState::Open, version: 1, created_by: actor.user_id, created_at: self.now, updated_at: self.now, fields };
        self.records.insert(id, Some(rec));
        self.dirty.insert(id);
        Ok(values)
    }

    async fn update(&mut self, tx: &mut Transaction<'_, Any>, actor: &Actor, id: Uuid, changes: &[FieldChange], policy: ConflictPolicy) -> AppResult<(i64, BTreeMap<String, String>)> {
        let rec = match self.records.get(&id) {
            Some(Some(r)) if access::can_read(actor, r.lead_ref()) => r.clone(),
            _ => return Err(AppError::NotFound),
        };
        if !access::can_edit(actor, rec.lead_ref()) {
            return Err(AppError::Forbidden);
        }
        if rec.state != LeadState::Open {
            return Err(AppError::BadRequest("This lead is closed; reactivate it to make changes.".into()));
        }
        if let Some(c) = changes.iter().find(|c| crate::domain::fields::spec(&c.field).is_some_and(|s| s.group == crate::domain::fields::Group::Closing)) {
            return Err(AppError::Invalid(vec![FieldError::new(&c.field, "Set by disqualifying, not by hand.")]));
        }
        // Validate every sent value; a bad one refuses the whole change with a message per field.
        let raw: BTreeMap<String, String> = changes.iter().map(|c| (c.field.clone(), c.value.clone())).collect();
        let clean = normalize_all(&raw).map_err(AppError::Invalid)?;
        let normalized: Vec<_> = changes.iter().map(|c| FieldChange { value: clean[&c.field].clone(), ..c.clone() }).collect();
        let merged = merge(&rec.fields, &normalized, policy);
        if policy == ConflictPolicy::Reject && !merged.conflicts.is_empty() {
            return Err(conflict_error(tx, &merged.conflicts).await?);
        }
        if merged.apply.is_empty() {
            return Ok((rec.version, BTreeMap::new()));
        }
        let posts = self.check_process_change(tx, &rec, &merged.apply).await?;
        let mut rec = rec;
        if let Some(owner) = merged.apply.get("owner_id") {
            let new_team = self.team_of(tx, owner).await?.ok_or_else(|| AppError::Invalid(vec![FieldError::new("owner_id", "Choose an active user as owner.")]))?;
            if !access::can_reassign(actor, rec.lead_ref(), new_team) {
                return Err(AppError::Invalid(vec![FieldError::new("owner_id", "You cannot reassign this lead to that person.")]));
            }
            rec.team_id = new_team;
            rec.owner_id = Uuid::parse_str(owner).map_err(AppError::internal)?;
        }
        // Accepted: from here on the set changes. With last write wins, whoever's value was replaced
        // finds it in their conflicts list.
        for c in &merged.conflicts {
            if let Some(loser) = c.changed_by.filter(|u| *u != actor.user_id) {
                self.conflicts.push(crate::store::sync::conflict_row(loser, id, c, actor.user_id, self.now));
            }
        }
        let version = self.set_fields(actor, rec, &merged.apply);
        self.posts.extend(posts);
        Ok((version, merged.apply))
    }

    fn delete(&mut self, actor: &Actor, id: Uuid) -> AppResult<()> {
        match self.records.get(&id) {
            Some(Some(r)) if access::can_read(actor, r.lead_ref()) => {
                if !access::can_delete(actor) {
                    return Err(AppError::Forbidden);
                }
            }
            _ => return Err(AppError::NotFound),
        }
        self.records.insert(id, None);
        self.dirty.remove(&id);
        self.deleted.insert(id);
        self.field_versions.retain(|(lead, _), _| *lead != id);
        Ok(())
    }

    /// Qualify: decided against the duplicates found now (not those the browser saw), then account,
    /// contact and opportunity are written with the lead's change, in this one transaction.
    async fn qualify(&mut self, tx: &mut Transaction<'_, Any>, actor: &Actor, id: Uuid, order: &QualifyOrder) -> AppResult<(i64, BTreeMap<String, String>)> {
        use crate::store::{accounts, contacts, opportunities};
        let rec = self.editable(actor, id)?;
        let v = |k: &str| rec.value(k).to_string();
        let found = preview_in(tx, actor, &rec).await?;
        let found_accounts: Vec<Uuid> = found.accounts.iter().map(|a| a.record.id).collect();
        let found_contacts: Vec<Uuid> = found.contacts.iter().map(|c| c.record.id).collect();
        let plan = qualify::plan(rec.state, found.mode, &order.request, &found_accounts, &found_contacts).map_err(|e| AppError::BadRequest(e.to_string()))?;
        let account_id = match plan.account {
            Pick::New => {
                crate::store::ids::ensure_new(tx, order.account_id).await?;
                let a = accounts::NewAccount {
                    id: order.account_id,
                    team_id: rec.team_id,
                    owner_id: rec.owner_id,
                    name: v("company_name"),
                    website: v("website"),
                    industry: v("industry"),
                    phone: v("business_phone"),
                    city: v("city"),
                    country: v("country"),
                    email: v("email"),
                };
                accounts::insert_in(tx, self.kind, &a, actor.user_id, self.now).await?;
                Some(a.id)
            }
            Pick::Existing(a) => Some(a),
            Pick::Skip => None,
        };
        if self.fault == FaultPoint::AfterAccount {
            return Err(AppError::internal("injected fault after the account was written"));
        }
        let contact_id = match plan.contact {
            Pick::New => {
                crate::store::ids::ensure_new(tx, order.contact_id).await?;
                let c = contacts::NewContact {
                    id: order.contact_id,
                    team_id: rec.team_id,
                    owner_id: rec.owner_id,
                    account_id,
                    first_name: v("first_name"),
                    last_name: v("last_name"),
                    job_title: v("job_title"),
                    email: v("email"),
                    phone: if rec.value("mobile_phone").is_empty() { v("business_phone") } else { v("mobile_phone") },
                };
                contacts::insert_in(tx, self.kind, &c, actor.user_id, self.now).await?;
                Some(c.id)
            }
            Pick::Existing(c) => Some(c),
            Pick::Skip => None,
        };
        let mut post = vec![("event", "qualified".to_string())];
        if plan.opportunity {
            // The process goes on where the lead's part of it ends; with no process, the shipped default.
            let values: BTreeMap<String, String> = rec.fields.iter().map(|(k, f)| (k.clone(), f.value.clone())).collect();
            let process = match self.process(tx, rec.value("process_id")).await? {
                Some(p) => p,
                None => crate::domain::process::default_for(rec.value("source")),
            };
            let stage = process.first_stage_for(Record::Opportunity, &values).map(|s| s.key.clone()).unwrap_or_default();
            crate::store::ids::ensure_new(tx, order.opportunity_id).await?;
            let o = opportunities::NewOpportunity {
                id: order.opportunity_id,
                team_id: rec.team_id,
                owner_id: rec.owner_id,
                lead_id: id,
                account_id,
                contact_id,
                topic: v("topic"),
                estimated_value: qualify::estimated_value_cents(rec.value("budget_amount")),
                budget_amount: crate::domain::validate::money_cents(rec.value("budget_amount")).ok(),
                process_id: process.key.clone(),
                stage,
                process_checks: v("process_checks"),
            };
            opportunities::insert_in(tx, self.kind, &o, actor.user_id, self.now).await?;
            crate::store::deal::carry_over_in(tx, self.kind, id, o.id, self.now).await?;
            post.push(("opportunity", o.id.to_string()));
        }
        let changed: BTreeMap<String, String> = [("status_reason".to_string(), "Qualified".to_string())].into();
        let mut rec = rec;
        rec.state = LeadState::Qualified;
        let version = self.set_fields(actor, rec, &changed);
        self.posts.push(post);
        Ok((version, changed))
    }

    async fn disqualify(&mut self, tx: &mut Transaction<'_, Any>, actor: &Actor, id: Uuid, reason: &str, note: &str) -> AppResult<(i64, BTreeMap<String, String>)> {
        let rec = self.editable(actor, id)?;
        let open_opportunity = crate::store::opportunities::open_from_lead_in(tx, id).await?;
        let reason = qualify::check_disqualify(rec.state, reason, open_opportunity).map_err(AppError::BadRequest)?;
        let note = crate::domain::fields::spec("closed_note")
            .map(|s| crate::domain::validate::normalize(s, note))
            .unwrap_or_else(|| Ok(String::new()))
            .map_err(|m| AppError::Invalid(vec![FieldError::new("closed_note", m)]))?;
        let changed: BTreeMap<String, String> = [("status_reason".to_string(), reason.to_string()), ("closed_note".to_string(), note.clone())].into();
        let mut rec = rec;
        rec.state = LeadState::Disqualified;
        let version = self.set_fields(actor, rec, &changed);
        self.posts.push(vec![("event", "disqualified".into()), ("reason", reason.to_string()), ("note", note)]);
        Ok((version, changed))
    }

    fn reactivate(&mut self, actor: &Actor, id: Uuid) -> AppResult<(i64, BTreeMap<String, String>)> {
        let rec = self.editable(actor, id)?;
        qualify::check_reactivate(rec.state).map_err(AppError::BadRequest)?;
        let changed: BTreeMap<String, String> = [("status_reason".to_string(), "New".to_string()), ("closed_note".to_string(), String::new())].into();
        let mut rec = rec;
        rec.state = LeadState::Open;
        let version = self.set_fields(actor, rec, &changed);
        self.posts.push(vec![("event", "reactivated".into())]);
        Ok((version, changed))
    }

    /// Writes everything the accepted mutations did, in a handful of statements. Returns the news for
    /// live listeners (send it with `live::announce` before commit and `live::committed` after).
    pub(crate) async fn flush(self, tx: &mut Transaction<'_, Any>) -> AppResult<Vec<LiveEvent>> {
        let kind = self.kind;
        let deleted: Vec<Val> = self.deleted.iter().map(|id| Val::Text(id.to_string())).collect();
        for chunk in deleted.chunks(500) {
            bind_all(sqlx::query(&format!("DELETE FROM leads WHERE id IN ({})", placeholders(0, chunk.len()))), chunk).execute(&mut **tx).await?;
        }
        let dirty: Vec<&LeadRecord> = self.dirty.iter().filter_map(|id| self.records.get(id).and_then(|r| r.as_ref())).collect();
        for chunk in dirty.chunks(100) {
            let (sql, binds) = upsert_sql(kind, chunk);
            bind_all(sqlx::query(&sql), &binds).execute(&mut **tx).await?;
        }
        let versions: Vec<Vec<Val>> = self
            .field_versions
            .iter()
            .map(|((lead, field), (version, by))| vec![Val::Text(lead.to_string()), Val::Text(field.clone()), Val::Int(Some(*version)), Val::Text(by.to_string()), Val::Int(Some(self.now))])
            .collect();
        for chunk in versions.chunks(500) {
            let (sql, binds) = rows_sql(kind, "lead_field_versions (lead_id, field, version, changed_by, changed_at)", chunk.to_vec());
            let sql = format!("{sql} ON CONFLICT (lead_id, field) DO UPDATE SET version = excluded.version, changed_by = excluded.changed_by, changed_at = excluded.changed_at");
            bind_all(sqlx::query(&sql), &binds).execute(&mut **tx).await?;
        }
        for (table, rows) in [
            ("changes (seq, record_kind, record_id, version, fields, deleted, user_id, at, team_id)", self.changes),
            ("mutations (client_id, seq, record_id, user_id, status, reason, applied_at)", self.mutations),
            ("conflicts (id, user_id, lead_id, field, lost_value, won_value, won_by, at)", self.conflicts),
        ] {
            for chunk in rows.chunks(500) {
                insert_rows(tx, kind, table, chunk.to_vec()).await?;
            }
        }
        // A lead deleted later in the same batch takes its events with it.
        let events: Vec<(Uuid, Vec<Val>)> = self.events.into_iter().filter(|(lead, _)| !self.deleted.contains(lead)).collect();
        // Moves first: a stream following a lead that left its person's reach ends before it hears more.
        let mut live: Vec<LiveEvent> = self.moved.iter().map(|lead_id| LiveEvent::Moved { lead_id: *lead_id }).collect();
        live.extend(events.iter().filter_map(|(lead, row)| match &row[0] {
            Val::Text(id) => Uuid::parse_str(id).ok().map(|item_id| LiveEvent::Timeline { lead_id: *lead, item_id }),
            _ => None,
        }));
        crate::store::timeline::insert_events(tx, kind, events.into_iter().map(|(_, row)| row).collect()).await?;
        Ok(live)
    }
}

/// Writes leads as they now are: inserted when new, every column replaced when not.
fn upsert_sql(kind: Engine, recs: &[&LeadRecord]) -> (String, Vec<Val>) {
    let cols = lead_columns();
    let rows = recs.iter().map(|r| lead_row(r.id, r.team_id, r.state, r.version, r.created_by, r.created_at, r.updated_at, |k| r.value(k).to_string())).collect();
    let (sql, binds) = rows_sql(kind, &format!("leads ({})", cols.join(", ")), rows);
    let set: Vec<String> = cols.iter().skip(1).map(|c| format!("{c} = excluded.{c}")).collect();
    (format!("{sql} ON CONFLICT (id) DO UPDATE SET {}", set.join(", ")), binds)
}

/// The columns of a lead row, in the order `lead_row` gives its values.
fn lead_columns() -> Vec<&'static str> {
    let mut cols = vec!["id", "team_id", "state", "version", "created_by", "created_at", "updated_at", "search_text"];
    cols.extend(FIELDS.iter().map(|s| s.key));
    cols
}

#[allow(clippy::too_many_arguments)]
fn lead_row(id: Uuid, team: Uuid, state: LeadState, version: i64, created_by: Uuid, created_at: i64, updated_at: i64, value: impl Fn(&str) -> String) -> Vec<Val> {
    let mut row = vec![
        Val::Text(id.to_string()),
        Val::Text(team.to_string()),
        Val::Text(state.as_str().into()),
        Val::Int(Some(version)),
        Val::Text(created_by.to_string()),
        Val::Int(Some(created_at)),
        Val::Int(Some(updated_at)),
        Val::Text(search_text(&value("first_name"), &value("last_name"), &value("company_name"), &value("email"), &value("topic"))),
    ];
    row.extend(FIELDS.iter().map(|s| to_db(s, &value(s.key))));
    row
}

/// The next feed number, taking the feed lock first (held until this transaction ends).
async fn next_change_seq(tx: &mut Transaction<'_, Any>, kind: Engine) -> AppResult<i64> {
    if let Some(lock) = kind.lock_change_feed() {
        sqlx::query(lock).execute(&mut **tx).await?;
    }
    let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM changes").fetch_one(&mut **tx).await?;
    Ok(last.unwrap_or(0) + 1)
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
        .map(|r| lead_row(r.id, r.team_id, LeadState::Open, version, r.created_by, r.at, r.at, |k| r.values.get(k).cloned().unwrap_or_default()))
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
        let mutations = chunk.iter().zip(seq..).map(|(r, n)| {
            vec![Val::Text(client_id.to_string()), Val::Int(Some(n)), Val::Text(r.id.to_string()), Val::Text(r.created_by.to_string()), Val::Text("applied".into()), Val::Text(String::new()), Val::Int(Some(r.at))]
        });
        insert_rows(&mut tx, db.kind, "mutations (client_id, seq, record_id, user_id, status, reason, applied_at)", mutations.collect()).await?;
        let feed_start = next_change_seq(&mut tx, db.kind).await?;
        let mut changes = Vec::with_capacity(chunk.len());
        for (r, n) in chunk.iter().zip(feed_start..) {
            let fields = serde_json::to_string(&r.values).map_err(AppError::internal)?;
            changes.push(vec![
                Val::Int(Some(n)),
                Val::Text("lead".into()),
                Val::Text(r.id.to_string()),
                Val::Int(Some(1)),
                Val::Text(fields),
                Val::Int(Some(0)),
                Val::Text(r.created_by.to_string()),
                Val::Int(Some(r.at)),
                Val::Text(r.team_id.to_string()),
            ]);
        }
        insert_rows(&mut tx, db.kind, "changes (seq, record_kind, record_id, version, fields, deleted, user_id, at, team_id)", changes).await?;
        tx.commit().await?;
        seq += chunk.len() as i64;
    }
    Ok(())
}

/// One multi-row INSERT: `table_and_cols` like "t (a, b)", one `Vec<Val>` per row.
pub(crate) async fn insert_rows(tx: &mut Transaction<'_, Any>, kind: Engine, table_and_cols: &str, rows: Vec<Vec<Val>>) -> AppResult<()> {
    let (sql, binds) = rows_sql(kind, table_and_cols, rows);
    bind_all(sqlx::query(&sql), &binds).execute(&mut **tx).await?;
    Ok(())
}

pub(crate) fn rows_sql(kind: Engine, table_and_cols: &str, rows: Vec<Vec<Val>>) -> (String, Vec<Val>) {
    let mut binds = Vec::new();
    let mut tuples = Vec::with_capacity(rows.len());
    for row in rows {
        let start = binds.len();
        tuples.push(format!("({})", (1..=row.len()).map(|i| kind.placeholder(start + i)).collect::<Vec<_>>().join(", ")));
        binds.extend(row);
    }
    (format!("INSERT INTO {table_and_cols} VALUES {}", tuples.join(", ")), binds)
}

pub(crate) async fn conflict_error(tx: &mut Transaction<'_, Any>, conflicts: &[Conflict]) -> AppResult<AppError> {
    let mut views = Vec::new();
    for c in conflicts {
        let by_name: Option<String> = match c.changed_by {
            Some(u) => sqlx::query_scalar("SELECT name FROM users WHERE id = $1").bind(u.to_string()).fetch_optional(&mut **tx).await?,
            None => None,
        };
        let label = fields::spec(&c.field)
            .or_else(|| crate::domain::opportunity::spec(&c.field))
            .or_else(|| crate::domain::customers::ACCOUNT_FIELDS.iter().chain(crate::domain::customers::CONTACT_FIELDS).find(|s| s.key == c.field))
            .map(|s| s.label)
            .unwrap_or("Field")
            .to_string();
        views.push(crate::error::ConflictView {
            conflict: c.clone(),
            label,
            their_value_shown: c.theirs.clone(),
            by_name: by_name.unwrap_or_else(|| "someone".into()),
            at_shown: String::new(),
        });
    }
    Ok(AppError::Conflict(views))
}

/// How many changes the pull feed holds for a record (tests and diagnostics).
pub async fn change_count(db: &Db, id: Uuid) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM changes WHERE record_id = $1").bind(id.to_string()).fetch_one(&db.pool).await?)
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
async fn preview_in(tx: &mut Transaction<'_, Any>, actor: &Actor, rec: &LeadRecord) -> AppResult<crate::model::QualifyPreview> {
    let accounts = crate::store::accounts::similar_in(tx, actor, rec.value("company_name"), rec.value("website"), rec.value("email")).await?;
    let contacts = crate::store::contacts::similar_in(tx, actor, rec.value("email")).await?;
    let mode: Option<String> = sqlx::query_scalar("SELECT qualify_mode FROM workspace WHERE id = 1").fetch_optional(&mut **tx).await?;
    Ok(crate::model::QualifyPreview { mode: QualifyMode::parse(&mode.unwrap_or_default()), accounts, contacts })
}

/// The workspace setting for Qualify: create everything at once, or let the seller choose.
pub async fn qualify_mode(db: &Db) -> AppResult<QualifyMode> {
    let mode: Option<String> = sqlx::query_scalar("SELECT qualify_mode FROM workspace WHERE id = 1").fetch_optional(&db.pool).await?;
    Ok(QualifyMode::parse(&mode.unwrap_or_default()))
}

/// Changes the workspace setting for Qualify (admins only).
pub async fn set_qualify_mode(db: &Db, actor: &Actor, mode: QualifyMode) -> AppResult<()> {
    if actor.role != access::Role::Admin {
        return Err(AppError::Forbidden);
    }
    sqlx::query("UPDATE workspace SET qualify_mode = $1 WHERE id = 1").bind(mode.as_str()).execute(&db.pool).await?;
    Ok(())
}
