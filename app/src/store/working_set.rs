//! The lead's half of the write path: `WorkingSet` decides lead mutations against leads held in memory
//! and writes what they did at `flush`. `write.rs` drives it, for an online save and for a pushed batch.

use super::edit::{conflict_row, merge_changes, CONFLICT_COLS};
use super::leads::{
    change_row, load_ids, mutation_row, preview_in, upsert_sql, LeadRecord, CHANGE_COLS, MUTATION_COLS,
};
use super::live::LiveEvent;
use super::sql::{bind_all, insert_rows, next_change_seq, placeholders, rows_sql, Engine, Val};
use super::timeline::{self, Event};
use super::{accounts, contacts, deal, ids, opportunities, processes};
use crate::domain::access::{self, Actor};
use crate::domain::fields::{self, FIELDS};
use crate::domain::lead::LeadState;
use crate::domain::mutation::{ConflictPolicy, FieldChange, FieldState, Mutation, Op};
use crate::domain::process::{checks_from_text, MoveError, Process, Record};
use crate::domain::qualify::{self, Pick, QualifyOrder};
use crate::domain::validate::{check_required, normalize_all, FieldError};
use crate::error::{AppError, AppResult};
use sqlx::{Any, Transaction};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

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
    /// The app's own timeline posts (lead created, owner or status changed).
    events: Vec<Event>,
    /// Timeline posts of the mutation being applied, taken into `events` once it is accepted.
    posts: Vec<Vec<(&'static str, String)>>,
    /// Process definitions read in this transaction.
    processes: HashMap<String, Option<Process>>,
    /// Every process, read once when a new lead needs to start in one.
    all_processes: Option<Vec<Process>>,
    /// Leads that changed hands or were deleted: live streams following them check access again.
    moved: Vec<Uuid>,
    #[cfg(feature = "testing")]
    pub(crate) fault: crate::store::testing::FaultPoint,
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
            #[cfg(feature = "testing")]
            fault: Default::default(),
        }
    }

    pub(crate) fn engine(&self) -> Engine {
        self.kind
    }

    pub(crate) fn now(&self) -> i64 {
        self.now
    }

    /// Writes what the set holds so far and starts afresh (keeping a test's fault), for a write that goes
    /// to the database at once and may refer to a lead written here.
    pub(crate) async fn flush_held(&mut self, tx: &mut Transaction<'_, Any>) -> AppResult<Vec<LiveEvent>> {
        #[allow(unused_mut)]
        let mut fresh = WorkingSet::new(self.kind, self.now);
        #[cfg(feature = "testing")]
        {
            fresh.fault = self.fault;
        }
        std::mem::replace(self, fresh).flush(tx).await
    }

    /// Whether a test asked this save to fail just before commit.
    pub(crate) fn fails_before_commit(&self) -> bool {
        #[cfg(feature = "testing")]
        if self.fault == crate::store::testing::FaultPoint::BeforeCommit {
            return true;
        }
        false
    }

    async fn process(&mut self, tx: &mut Transaction<'_, Any>, key: &str) -> AppResult<Option<Process>> {
        if let Some(p) = self.processes.get(key) {
            return Ok(p.clone());
        }
        let p = processes::get_in(tx, key).await?;
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
            rec.fields.insert(
                k.clone(),
                FieldState {
                    value: v.clone(),
                    version,
                    changed_by: Some(actor.user_id),
                    changed_at: Some(self.now),
                },
            );
            self.field_versions
                .insert((rec.id, k.clone()), (version, actor.user_id));
        }
        self.dirty.insert(rec.id);
        self.records.insert(rec.id, Some(rec));
        version
    }

    /// Checks a change of process or stage against the definitions; returns the timeline posts it makes.
    async fn check_process_change(
        &mut self,
        tx: &mut Transaction<'_, Any>,
        rec: &LeadRecord,
        apply: &BTreeMap<String, String>,
    ) -> AppResult<Vec<Vec<(&'static str, String)>>> {
        let touched = ["process_id", "stage", "process_checks"]
            .iter()
            .any(|k| apply.contains_key(*k));
        if !touched {
            return Ok(Vec::new());
        }
        let mut values: BTreeMap<String, String> =
            rec.fields.iter().map(|(k, f)| (k.clone(), f.value.clone())).collect();
        values.extend(apply.iter().map(|(k, v)| (k.clone(), v.clone())));
        let (old_key, old_stage) = (rec.value("process_id").to_string(), rec.value("stage").to_string());
        let (new_key, new_stage) = (values["process_id"].clone(), values["stage"].clone());
        let stage_error = |e: MoveError| AppError::Invalid(vec![FieldError::new("stage", e.to_string())]);
        let Some(to) = self.process(tx, &new_key).await? else {
            return Err(stage_error(MoveError::UnknownStage));
        };
        let from = self.process(tx, &old_key).await?;
        if old_key == new_key && old_stage == new_stage {
            return Ok(Vec::new());
        }
        to.check_move(
            from.as_ref().map(|p| (p, old_stage.as_str())),
            &new_stage,
            Record::Lead,
            &values,
            &checks_from_text(&values["process_checks"]),
        )
        .map_err(stage_error)?;
        let mut posts = Vec::new();
        if old_key != new_key {
            posts.push(vec![
                ("event", "process".to_string()),
                ("from", from.map(|p| p.name).unwrap_or_default()),
                ("to", to.name.clone()),
            ]);
        }
        if old_stage != new_stage {
            let name = |k: &str| to.stage(k).map(|s| s.name.clone()).unwrap_or_else(|| k.to_string());
            posts.push(vec![
                ("event", "stage".to_string()),
                ("from", name(&old_stage)),
                ("to", name(&new_stage)),
            ]);
        }
        Ok(posts)
    }

    /// Reads (and on Postgres locks, in id order) the leads a batch will touch, in one go.
    pub(crate) async fn preload(&mut self, tx: &mut Transaction<'_, Any>, ids: &[Uuid]) -> AppResult<()> {
        let ids: Vec<Uuid> = ids
            .iter()
            .filter(|id| !self.records.contains_key(id))
            .copied()
            .collect();
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
        let team: Option<String> = sqlx::query_scalar("SELECT team_id FROM users WHERE id = $1 AND active = 1")
            .bind(owner)
            .fetch_optional(&mut **tx)
            .await?;
        let team = team.and_then(|t| Uuid::parse_str(&t).ok());
        self.owner_teams.insert(owner.to_string(), team);
        Ok(team)
    }

    /// Decides one mutation and, when accepted, takes its effect into the set. Returns the lead's version.
    pub(crate) async fn apply(
        &mut self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        m: &Mutation,
        policy: ConflictPolicy,
    ) -> AppResult<i64> {
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
            Op::Close { .. } => {
                return Err(AppError::BadRequest(
                    "Leads are qualified or disqualified, not closed.".into(),
                ))
            }
        };
        let mut posts = std::mem::take(&mut self.posts);
        match (&m.op, &before) {
            (Op::Create { .. }, _) => posts.insert(0, vec![("event", "created".to_string())]),
            (Op::Update { .. }, Some((owner, status))) => {
                if let Some(to) = changed.get("owner_id").filter(|to| *to != owner) {
                    posts.push(vec![
                        ("event", "owner".into()),
                        ("from", owner.clone()),
                        ("to", to.clone()),
                    ]);
                }
                if let Some(to) = changed.get("status_reason").filter(|to| *to != status) {
                    posts.push(vec![
                        ("event", "status".into()),
                        ("from", status.clone()),
                        ("to", to.clone()),
                    ]);
                }
            }
            _ => {}
        }
        if deleted || changed.contains_key("owner_id") {
            self.moved.push(m.record_id);
        }
        for pairs in posts {
            let d: BTreeMap<String, String> = pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            self.events
                .push(timeline::event(m.record_id, actor.user_id, &d, self.now));
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
                self.changes.push(change_row(
                    seq,
                    m.record_id,
                    version,
                    &fields,
                    deleted,
                    actor.user_id,
                    self.now,
                    team,
                ));
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
        self.mutations.push(mutation_row(
            m.client_id,
            m.seq,
            m.record_id,
            actor.user_id,
            reason,
            self.now,
        ));
    }

    async fn create(
        &mut self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        id: Uuid,
        raw: &BTreeMap<String, String>,
    ) -> AppResult<BTreeMap<String, String>> {
        let mut values = normalize_all(raw).map_err(AppError::Invalid)?;
        let missing = check_required(&values);
        if !missing.is_empty() {
            return Err(AppError::Invalid(missing));
        }
        let owner = values
            .get("owner_id")
            .filter(|o| !o.is_empty())
            .cloned()
            .unwrap_or_else(|| actor.user_id.to_string());
        let Some(team) = self.team_of(tx, &owner).await? else {
            return Err(AppError::Invalid(vec![FieldError::new(
                "owner_id",
                "Choose an active user as owner.",
            )]));
        };
        let owner_id = Uuid::parse_str(&owner)
            .map_err(|_| AppError::Invalid(vec![FieldError::new("owner_id", "Choose a user from the list.")]))?;
        if !access::can_create_for(actor, owner_id, team) {
            return Err(AppError::Invalid(vec![FieldError::new(
                "owner_id",
                "You cannot create leads for this owner.",
            )]));
        }
        values.insert("owner_id".into(), owner.clone());
        if values.get("status_reason").is_none_or(|s| s.is_empty()) {
            values.insert("status_reason".into(), "New".into());
        }
        if values.get("closed_note").is_some_and(|n| !n.is_empty()) {
            return Err(AppError::Invalid(vec![FieldError::new(
                "closed_note",
                "Set by disqualifying, not by hand.",
            )]));
        }
        // Every lead has an active process: the one for its source unless the browser chose, at its first stage.
        let key = match values.get("process_id").filter(|k| !k.is_empty()) {
            Some(k) => k.clone(),
            None => {
                if self.all_processes.is_none() {
                    self.all_processes = Some(processes::all_in(tx).await?);
                }
                let source = values.get("source").map(String::as_str).unwrap_or("");
                crate::domain::process::for_new_lead(source, self.all_processes.as_deref().unwrap_or_default())
                    .map(|p| p.key.clone())
                    .unwrap_or_default()
            }
        };
        let process = self
            .process(tx, &key)
            .await?
            .ok_or_else(|| AppError::Invalid(vec![FieldError::new("process_id", "Choose a process from the list.")]))?;
        let stage = match values.get("stage").filter(|s| !s.is_empty()) {
            Some(s) => s.clone(),
            None => process
                .first_stage_for(Record::Lead, &values)
                .map(|s| s.key.clone())
                .unwrap_or_default(),
        };
        process
            .check_move(
                None,
                &stage,
                Record::Lead,
                &values,
                &checks_from_text(values.get("process_checks").map(String::as_str).unwrap_or("")),
            )
            .map_err(|e| AppError::Invalid(vec![FieldError::new("stage", e.to_string())]))?;
        values.insert("process_id".into(), key);
        values.insert("stage".into(), stage);
        if matches!(self.records.get(&id), Some(Some(_))) || self.deleted.contains(&id) {
            return Err(AppError::BadRequest("A lead with this id already exists.".into()));
        }
        ids::ensure_new(tx, id).await?;
        let fields = FIELDS
            .iter()
            .map(|s| {
                (
                    s.key.to_string(),
                    FieldState {
                        value: values.get(s.key).cloned().unwrap_or_default(),
                        version: 1,
                        changed_by: Some(actor.user_id),
                        changed_at: Some(self.now),
                    },
                )
            })
            .collect();
        let rec = LeadRecord {
            id,
            team_id: team,
            owner_id,
            owner_name: String::new(),
            state: LeadState::Open,
            version: 1,
            created_by: actor.user_id,
            created_at: self.now,
            updated_at: self.now,
            fields,
        };
        self.records.insert(id, Some(rec));
        self.dirty.insert(id);
        Ok(values)
    }

    async fn update(
        &mut self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        id: Uuid,
        changes: &[FieldChange],
        policy: ConflictPolicy,
    ) -> AppResult<(i64, BTreeMap<String, String>)> {
        let rec = match self.records.get(&id) {
            Some(Some(r)) if access::can_read(actor, r.lead_ref()) => r.clone(),
            _ => return Err(AppError::NotFound),
        };
        if !access::can_edit(actor, rec.lead_ref()) {
            return Err(AppError::Forbidden);
        }
        if rec.state != LeadState::Open {
            return Err(AppError::BadRequest(
                "This lead is closed; reactivate it to make changes.".into(),
            ));
        }
        if let Some(c) = changes
            .iter()
            .find(|c| fields::spec(&c.field).is_some_and(|s| s.group == fields::Group::Closing))
        {
            return Err(AppError::Invalid(vec![FieldError::new(
                &c.field,
                "Set by disqualifying, not by hand.",
            )]));
        }
        let merged = merge_changes(tx, &rec.fields, changes, policy, normalize_all).await?;
        if merged.apply.is_empty() {
            return Ok((rec.version, BTreeMap::new()));
        }
        let posts = self.check_process_change(tx, &rec, &merged.apply).await?;
        let mut rec = rec;
        if let Some(owner) = merged.apply.get("owner_id") {
            let new_team = self.team_of(tx, owner).await?.ok_or_else(|| {
                AppError::Invalid(vec![FieldError::new("owner_id", "Choose an active user as owner.")])
            })?;
            if !access::can_reassign(actor, rec.lead_ref(), new_team) {
                return Err(AppError::Invalid(vec![FieldError::new(
                    "owner_id",
                    "You cannot reassign this lead to that person.",
                )]));
            }
            rec.team_id = new_team;
            rec.owner_id = Uuid::parse_str(owner).map_err(AppError::internal)?;
        }
        // Accepted: from here on the set changes. With last write wins, whoever's value was replaced
        // finds it in their conflicts list.
        for c in &merged.conflicts {
            if let Some(loser) = c.changed_by.filter(|u| *u != actor.user_id) {
                self.conflicts.push(conflict_row(loser, id, c, actor.user_id, self.now));
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
    async fn qualify(
        &mut self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        id: Uuid,
        order: &QualifyOrder,
    ) -> AppResult<(i64, BTreeMap<String, String>)> {
        let rec = self.editable(actor, id)?;
        let v = |k: &str| rec.value(k).to_string();
        let found = preview_in(tx, actor, &rec).await?;
        let found_accounts: Vec<Uuid> = found.accounts.iter().map(|a| a.record.id).collect();
        let found_contacts: Vec<Uuid> = found.contacts.iter().map(|c| c.record.id).collect();
        let plan = qualify::plan(rec.state, found.mode, &order.request, &found_accounts, &found_contacts)
            .map_err(|e| AppError::BadRequest(e.to_string()))?;
        let account_id = match plan.account {
            Pick::New => {
                ids::ensure_new(tx, order.account_id).await?;
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
        #[cfg(feature = "testing")]
        if self.fault == crate::store::testing::FaultPoint::AfterAccount {
            return Err(AppError::internal("injected fault after the account was written"));
        }
        let contact_id = match plan.contact {
            Pick::New => {
                ids::ensure_new(tx, order.contact_id).await?;
                let c = contacts::NewContact {
                    id: order.contact_id,
                    team_id: rec.team_id,
                    owner_id: rec.owner_id,
                    account_id,
                    first_name: v("first_name"),
                    last_name: v("last_name"),
                    job_title: v("job_title"),
                    email: v("email"),
                    phone: if rec.value("mobile_phone").is_empty() {
                        v("business_phone")
                    } else {
                        v("mobile_phone")
                    },
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
            let values: BTreeMap<String, String> =
                rec.fields.iter().map(|(k, f)| (k.clone(), f.value.clone())).collect();
            let process = match self.process(tx, rec.value("process_id")).await? {
                Some(p) => p,
                None => crate::domain::process::default_for(rec.value("source")),
            };
            let stage = process
                .first_stage_for(Record::Opportunity, &values)
                .map(|s| s.key.clone())
                .unwrap_or_default();
            ids::ensure_new(tx, order.opportunity_id).await?;
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
            deal::carry_over_in(tx, self.kind, id, o.id, self.now).await?;
            post.push(("opportunity", o.id.to_string()));
        }
        let changed: BTreeMap<String, String> = [("status_reason".to_string(), "Qualified".to_string())].into();
        let mut rec = rec;
        rec.state = LeadState::Qualified;
        let version = self.set_fields(actor, rec, &changed);
        self.posts.push(post);
        Ok((version, changed))
    }

    async fn disqualify(
        &mut self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        id: Uuid,
        reason: &str,
        note: &str,
    ) -> AppResult<(i64, BTreeMap<String, String>)> {
        let rec = self.editable(actor, id)?;
        let open_opportunity = opportunities::open_from_lead_in(tx, id).await?;
        let reason = qualify::check_disqualify(rec.state, reason, open_opportunity).map_err(AppError::BadRequest)?;
        let note = crate::domain::fields::spec("closed_note")
            .map(|s| crate::domain::validate::normalize(s, note))
            .unwrap_or_else(|| Ok(String::new()))
            .map_err(|m| AppError::Invalid(vec![FieldError::new("closed_note", m)]))?;
        let changed: BTreeMap<String, String> = [
            ("status_reason".to_string(), reason.to_string()),
            ("closed_note".to_string(), note.clone()),
        ]
        .into();
        let mut rec = rec;
        rec.state = LeadState::Disqualified;
        let version = self.set_fields(actor, rec, &changed);
        self.posts.push(vec![
            ("event", "disqualified".into()),
            ("reason", reason.to_string()),
            ("note", note),
        ]);
        Ok((version, changed))
    }

    fn reactivate(&mut self, actor: &Actor, id: Uuid) -> AppResult<(i64, BTreeMap<String, String>)> {
        let rec = self.editable(actor, id)?;
        qualify::check_reactivate(rec.state).map_err(AppError::BadRequest)?;
        let changed: BTreeMap<String, String> = [
            ("status_reason".to_string(), "New".to_string()),
            ("closed_note".to_string(), String::new()),
        ]
        .into();
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
            bind_all(
                sqlx::query(&format!(
                    "DELETE FROM leads WHERE id IN ({})",
                    placeholders(0, chunk.len())
                )),
                chunk,
            )
            .execute(&mut **tx)
            .await?;
        }
        let dirty: Vec<&LeadRecord> = self
            .dirty
            .iter()
            .filter_map(|id| self.records.get(id).and_then(|r| r.as_ref()))
            .collect();
        for chunk in dirty.chunks(100) {
            let (sql, binds) = upsert_sql(kind, chunk);
            bind_all(sqlx::query(&sql), &binds).execute(&mut **tx).await?;
        }
        let versions: Vec<Vec<Val>> = self
            .field_versions
            .iter()
            .map(|((lead, field), (version, by))| {
                vec![
                    Val::Text(lead.to_string()),
                    Val::Text(field.clone()),
                    Val::Int(Some(*version)),
                    Val::Text(by.to_string()),
                    Val::Int(Some(self.now)),
                ]
            })
            .collect();
        for chunk in versions.chunks(500) {
            let (sql, binds) = rows_sql(
                kind,
                "lead_field_versions (lead_id, field, version, changed_by, changed_at)",
                chunk.to_vec(),
            );
            let sql = format!("{sql} ON CONFLICT (lead_id, field) DO UPDATE SET version = excluded.version, changed_by = excluded.changed_by, changed_at = excluded.changed_at");
            bind_all(sqlx::query(&sql), &binds).execute(&mut **tx).await?;
        }
        for (table, rows) in [
            (CHANGE_COLS, self.changes),
            (MUTATION_COLS, self.mutations),
            (CONFLICT_COLS, self.conflicts),
        ] {
            for chunk in rows.chunks(500) {
                insert_rows(tx, kind, table, chunk.to_vec()).await?;
            }
        }
        // A lead deleted later in the same batch takes its events with it.
        let events: Vec<Event> = self
            .events
            .into_iter()
            .filter(|e| !self.deleted.contains(&e.lead_id))
            .collect();
        // Moves first: a stream following a lead that left its person's reach ends before it hears more.
        let mut live: Vec<LiveEvent> = self
            .moved
            .iter()
            .map(|lead_id| LiveEvent::Moved { lead_id: *lead_id })
            .collect();
        live.extend(events.iter().map(Event::live));
        timeline::insert_events(tx, kind, events).await?;
        Ok(live)
    }
}
