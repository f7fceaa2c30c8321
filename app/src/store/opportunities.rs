//! Opportunities: created by qualifying a lead, they carry on its business process.

use super::edit::{editable_row, field_states, merge_changes, write_fields, VersionTable, Versioned};
use super::live::LiveEvent;
use super::sql::{bind_all, insert_rows, opt_uuid_col, uuid_col, Engine, Val};
use super::{processes, timeline};
use crate::domain::access::{can_read, read_scope, Actor, LeadRef, ReadScope};
use crate::domain::mutation::{ConflictPolicy, Mutation, Op};
use crate::domain::opportunity::{self, Outcome};
use crate::domain::process::{checks_from_text, Record};
use crate::domain::validate::{format_cents, FieldError};
use crate::error::{AppError, AppResult};
use crate::model::{OpportunityRow, OpportunityView};
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The opportunity as the per-field edit sees it.
const EDITED: Versioned = Versioned {
    table: "opportunities",
    versions: VersionTable {
        table: "opportunity_field_versions",
        id_col: "opportunity_id",
        kind: None,
    },
    specs: opportunity::FIELDS,
};

pub struct NewOpportunity {
    pub id: Uuid,
    pub team_id: Uuid,
    pub owner_id: Uuid,
    pub lead_id: Uuid,
    pub account_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub topic: String,
    pub estimated_value: Option<i64>,
    pub budget_amount: Option<i64>,
    pub process_id: String,
    pub stage: String,
    pub process_checks: String,
}

pub(crate) async fn insert_in(
    tx: &mut Transaction<'_, Any>,
    kind: Engine,
    o: &NewOpportunity,
    by: Uuid,
    now: i64,
) -> AppResult<()> {
    let row = vec![
        Val::Text(o.id.to_string()),
        Val::Text(o.team_id.to_string()),
        Val::Text(o.owner_id.to_string()),
        Val::Text(o.lead_id.to_string()),
        Val::OptText(o.account_id.map(|a| a.to_string())),
        Val::OptText(o.contact_id.map(|c| c.to_string())),
        Val::Text(o.topic.clone()),
        Val::Int(o.estimated_value),
        Val::Int(o.budget_amount),
        Val::Text(o.process_id.clone()),
        Val::Text(o.stage.clone()),
        Val::Text(o.process_checks.clone()),
        Val::Int(Some(1)),
        Val::Text(by.to_string()),
        Val::Int(Some(now)),
        Val::Int(Some(now)),
    ];
    let table = "opportunities (id, team_id, owner_id, lead_id, account_id, contact_id, topic, estimated_value, budget_amount, process_id, stage, process_checks, version, created_by, created_at, updated_at)";
    insert_rows(tx, kind, table, vec![row]).await
}

/// Whether an open opportunity came from this lead (it then cannot be disqualified).
pub(crate) async fn open_from_lead_in(tx: &mut Transaction<'_, Any>, lead: Uuid) -> AppResult<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM opportunities WHERE lead_id = $1 AND state = 'open'")
        .bind(lead.to_string())
        .fetch_one(&mut **tx)
        .await?;
    Ok(n > 0)
}

const COLS: &str = "o.id, o.team_id, o.owner_id, o.lead_id, o.account_id, o.contact_id, o.topic, o.estimated_value, o.budget_amount, o.state,
    o.close_reason, o.process_id, o.stage, o.process_checks, o.customer_need, o.proposed_solution, o.decision_date, o.version, o.created_at,
    o.updated_at, u.name AS owner_name, a.name AS account_name, c.first_name, c.last_name";
const FROM: &str = "FROM opportunities o JOIN users u ON u.id = o.owner_id LEFT JOIN accounts a ON a.id = o.account_id LEFT JOIN contacts c ON c.id = o.contact_id";

fn view(r: &sqlx::any::AnyRow) -> AppResult<(OpportunityView, LeadRef)> {
    let money = |c: &str| -> AppResult<String> {
        Ok(r.try_get::<Option<i64>, _>(c)?
            .map(crate::domain::validate::format_cents)
            .unwrap_or_default())
    };
    let contact = match (
        r.try_get::<Option<String>, _>("first_name")?,
        r.try_get::<Option<String>, _>("last_name")?,
    ) {
        (Some(f), Some(l)) => crate::domain::lead::full_name(&f, &l),
        _ => String::new(),
    };
    let v = OpportunityView {
        id: uuid_col(r, "id")?,
        lead_id: uuid_col(r, "lead_id")?,
        account_id: opt_uuid_col(r, "account_id")?,
        contact_id: opt_uuid_col(r, "contact_id")?,
        account_name: r.try_get::<Option<String>, _>("account_name")?.unwrap_or_default(),
        contact_name: contact,
        topic: r.try_get("topic")?,
        estimated_value: money("estimated_value")?,
        budget_amount: money("budget_amount")?,
        state: r.try_get("state")?,
        close_reason: r.try_get("close_reason")?,
        process_id: r.try_get("process_id")?,
        stage: r.try_get("stage")?,
        process_checks: r.try_get("process_checks")?,
        customer_need: r.try_get("customer_need")?,
        proposed_solution: r.try_get("proposed_solution")?,
        decision_date: r.try_get("decision_date")?,
        owner_name: r.try_get("owner_name")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        stage_since: r.try_get("updated_at")?,
        versions: BTreeMap::new(),
        can_edit: false,
    };
    Ok((
        v,
        LeadRef {
            owner_id: uuid_col(r, "owner_id")?,
            team_id: uuid_col(r, "team_id")?,
        },
    ))
}

pub async fn get(db: &super::Db, actor: &Actor, id: Uuid) -> AppResult<OpportunityView> {
    let sql = format!("SELECT {COLS} {FROM} WHERE o.id = $1");
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    let (mut v, owner) = view(&row)?;
    if !can_read(actor, owner) {
        return Err(AppError::NotFound);
    }
    v.can_edit = v.state == "open" && crate::domain::access::can_edit(actor, owner);
    v.versions = versions(db, id).await?;
    Ok(v)
}

/// The opportunities created from a lead, newest first (a lead reactivated and qualified again has two).
pub async fn from_lead(db: &super::Db, actor: &Actor, lead: Uuid) -> AppResult<Vec<OpportunityRow>> {
    readable(db, actor, "o.lead_id", lead).await
}

/// The opportunities whose `col` is `id`, those the actor can see, newest first (at most 50).
async fn readable(db: &super::Db, actor: &Actor, col: &str, id: Uuid) -> AppResult<Vec<OpportunityRow>> {
    let sql = format!("SELECT {COLS} {FROM} WHERE {col} = $1 ORDER BY o.created_at DESC, o.id DESC LIMIT 50");
    let rows = sqlx::query(&sql).bind(id.to_string()).fetch_all(&db.pool).await?;
    let mut out = Vec::new();
    for r in &rows {
        let (v, owner) = view(r)?;
        if can_read(actor, owner) {
            out.push(v.row());
        }
    }
    Ok(out)
}

/// Which opportunities a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OppView {
    MineOpen,
    TeamOpen,
    Closed,
}

/// One page (50) of a view, most recently changed first.
pub async fn list(db: &super::Db, actor: &Actor, which: OppView) -> AppResult<Vec<OpportunityRow>> {
    let mut conds = vec![match which {
        OppView::Closed => "o.state <> 'open'".to_string(),
        _ => "o.state = 'open'".to_string(),
    }];
    let mut binds = Vec::new();
    if which == OppView::MineOpen {
        binds.push(Val::Text(actor.user_id.to_string()));
        conds.push(format!("o.owner_id = ${}", binds.len()));
    }
    if let ReadScope::Team(team) = read_scope(actor) {
        binds.push(Val::Text(team.to_string()));
        conds.push(format!("o.team_id = ${}", binds.len()));
    }
    let sql = format!(
        "SELECT {COLS} {FROM} WHERE {} ORDER BY o.updated_at DESC, o.id DESC LIMIT 50",
        conds.join(" AND ")
    );
    let rows = bind_all(sqlx::query(&sql), &binds).fetch_all(&db.pool).await?;
    rows.iter().map(|r| view(r).map(|(v, _)| v.row())).collect()
}

/// Applies one opportunity mutation inside the caller's transaction: field edits merged per field (the
/// same rule as leads), stage moves checked against the process, closing as won or lost. Returns the news
/// for the lead's timeline, where the opportunity's events are posted.
pub(crate) async fn apply_in(
    tx: &mut Transaction<'_, Any>,
    kind: Engine,
    actor: &Actor,
    m: &Mutation,
    policy: ConflictPolicy,
    now: i64,
) -> AppResult<Vec<LiveEvent>> {
    let row = editable_row(tx, kind, actor, EDITED.table, m.record_id).await?;
    if row.try_get::<String, _>("state")? != "open" {
        return Err(AppError::BadRequest("This opportunity is closed.".into()));
    }
    let lead = uuid_col(&row, "lead_id")?;
    let version = row.try_get::<i64, _>("version")?;
    let current = field_states(tx, &row, EDITED, m.record_id).await?;
    let mut values: BTreeMap<String, String> = current.iter().map(|(k, f)| (k.clone(), f.value.clone())).collect();
    values.insert(
        "budget_amount".into(),
        row.try_get::<Option<i64>, _>("budget_amount")?
            .map(format_cents)
            .unwrap_or_default(),
    );
    let process_key: String = row.try_get("process_id")?;
    let mut events = Vec::new();
    match &m.op {
        Op::Update { changes } => {
            let merged = merge_changes(tx, &current, changes, policy, opportunity::normalize_edit).await?;
            if merged.apply.is_empty() {
                return Ok(Vec::new());
            }
            let mut after = values.clone();
            after.extend(merged.apply.clone());
            if merged.apply.contains_key("stage") || merged.apply.contains_key("process_checks") {
                let p = processes::get_in(tx, &process_key)
                    .await?
                    .ok_or_else(|| AppError::internal(format!("process {process_key} is missing")))?;
                let (old, new) = (values["stage"].clone(), after["stage"].clone());
                if old != new {
                    p.check_move(
                        Some((&p, &old)),
                        &new,
                        Record::Opportunity,
                        &after,
                        &checks_from_text(&after["process_checks"]),
                    )
                    .map_err(|e| AppError::Invalid(vec![FieldError::new("stage", e.to_string())]))?;
                    let name = |k: &str| p.stage(k).map(|s| s.name.clone()).unwrap_or_else(|| k.to_string());
                    events.push(BTreeMap::from([
                        ("event".to_string(), "stage".to_string()),
                        ("from".to_string(), name(&old)),
                        ("to".to_string(), name(&new)),
                    ]));
                }
            }
            write_fields(
                tx,
                kind,
                EDITED,
                m.record_id,
                &merged.apply,
                Vec::new(),
                version + 1,
                actor.user_id,
                now,
            )
            .await?;
        }
        Op::Close { won, reason, winner } => {
            let rivals: Vec<String> = sqlx::query_scalar(
                "SELECT competitor_id FROM deal_competitors WHERE record_kind = 'opportunity' AND record_id = $1",
            )
            .bind(m.record_id.to_string())
            .fetch_all(&mut **tx)
            .await?;
            let rivals: Vec<Uuid> = rivals.iter().filter_map(|r| Uuid::parse_str(r).ok()).collect();
            let outcome = if *won { Outcome::Won } else { Outcome::Lost };
            let close =
                opportunity::check_close(true, outcome, reason, *winner, &rivals).map_err(AppError::BadRequest)?;
            sqlx::query("UPDATE opportunities SET state = $1, close_reason = $2, winner_id = $3, closed_at = $4, version = $5, updated_at = $4 WHERE id = $6")
                .bind(if *won { "won" } else { "lost" })
                .bind(close.reason.unwrap_or(""))
                .bind(close.winner.map(|w| w.to_string()))
                .bind(now)
                .bind(version + 1)
                .bind(m.record_id.to_string())
                .execute(&mut **tx)
                .await?;
            let winner_name: Option<String> = match close.winner {
                Some(w) => {
                    sqlx::query_scalar("SELECT name FROM competitors WHERE id = $1")
                        .bind(w.to_string())
                        .fetch_optional(&mut **tx)
                        .await?
                }
                None => None,
            };
            let mut d = BTreeMap::from([("event".to_string(), if *won { "won" } else { "lost" }.to_string())]);
            d.insert("reason".into(), close.reason.unwrap_or("").to_string());
            d.insert("winner".into(), winner_name.unwrap_or_default());
            events.push(d);
        }
        _ => return Err(AppError::BadRequest("Opportunities are edited or closed.".into())),
    }
    let events: Vec<timeline::Event> = events
        .iter()
        .map(|d| timeline::event(lead, actor.user_id, d, now))
        .collect();
    let news = events.iter().map(timeline::Event::live).collect();
    timeline::insert_events(tx, kind, events).await?;
    Ok(news)
}

/// Each field's version: what an edit sends back as its base.
pub async fn versions(db: &super::Db, id: Uuid) -> AppResult<BTreeMap<String, i64>> {
    let rows = sqlx::query("SELECT field, version FROM opportunity_field_versions WHERE opportunity_id = $1")
        .bind(id.to_string())
        .fetch_all(&db.pool)
        .await?;
    let mut out: BTreeMap<String, i64> = opportunity::FIELDS.iter().map(|s| (s.key.to_string(), 1)).collect();
    for r in &rows {
        out.insert(r.try_get("field")?, r.try_get("version")?);
    }
    Ok(out)
}

/// The opportunities of an account the actor can see, newest first.
pub async fn for_account(db: &super::Db, actor: &Actor, account: Uuid) -> AppResult<Vec<OpportunityRow>> {
    readable(db, actor, "o.account_id", account).await
}
