//! Opportunities: created by qualifying a lead, they carry on its business process.

use super::leads::Val;
use crate::domain::access::{can_read, read_scope, Actor, LeadRef, ReadScope};
use crate::error::{AppError, AppResult};
use crate::model::{OpportunityRow, OpportunityView};
use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

/// The opportunity's own fields that process steps may point at (the rest come from its lead).
pub const OWN_FIELDS: &[&str] = &["customer_need", "proposed_solution", "decision_date"];

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

pub(crate) async fn insert_in(tx: &mut Transaction<'_, Any>, kind: super::Kind, o: &NewOpportunity, by: Uuid, now: i64) -> AppResult<()> {
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
    super::leads::insert_rows(tx, kind, table, vec![row]).await
}

/// Whether an open opportunity came from this lead (it then cannot be disqualified).
pub(crate) async fn open_from_lead_in(tx: &mut Transaction<'_, Any>, lead: Uuid) -> AppResult<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM opportunities WHERE lead_id = $1 AND state = 'open'").bind(lead.to_string()).fetch_one(&mut **tx).await?;
    Ok(n > 0)
}

const COLS: &str = "o.id, o.team_id, o.owner_id, o.lead_id, o.account_id, o.contact_id, o.topic, o.estimated_value, o.budget_amount, o.state,
    o.close_reason, o.process_id, o.stage, o.process_checks, o.customer_need, o.proposed_solution, o.decision_date, o.version, o.created_at,
    o.updated_at, u.name AS owner_name, a.name AS account_name, c.first_name, c.last_name";
const FROM: &str = "FROM opportunities o JOIN users u ON u.id = o.owner_id LEFT JOIN accounts a ON a.id = o.account_id LEFT JOIN contacts c ON c.id = o.contact_id";

fn opt_uuid(r: &sqlx::any::AnyRow, c: &str) -> AppResult<Option<Uuid>> {
    Ok(r.try_get::<Option<String>, _>(c)?.and_then(|s| Uuid::parse_str(&s).ok()))
}

fn view(r: &sqlx::any::AnyRow) -> AppResult<(OpportunityView, LeadRef)> {
    let id = |c: &str| -> AppResult<Uuid> { Uuid::parse_str(&r.try_get::<String, _>(c)?).map_err(AppError::internal) };
    let money = |c: &str| -> AppResult<String> { Ok(r.try_get::<Option<i64>, _>(c)?.map(crate::domain::validate::format_cents).unwrap_or_default()) };
    let contact = match (r.try_get::<Option<String>, _>("first_name")?, r.try_get::<Option<String>, _>("last_name")?) {
        (Some(f), Some(l)) => crate::domain::lead::full_name(&f, &l),
        _ => String::new(),
    };
    let v = OpportunityView {
        id: id("id")?,
        lead_id: id("lead_id")?,
        account_id: opt_uuid(r, "account_id")?,
        contact_id: opt_uuid(r, "contact_id")?,
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
    };
    Ok((v, LeadRef { owner_id: id("owner_id")?, team_id: id("team_id")? }))
}

pub async fn get(db: &super::Db, actor: &Actor, id: Uuid) -> AppResult<OpportunityView> {
    let sql = format!("SELECT {COLS} {FROM} WHERE o.id = $1");
    let row = sqlx::query(&sql).bind(id.to_string()).fetch_optional(&db.pool).await?.ok_or(AppError::NotFound)?;
    let (v, owner) = view(&row)?;
    if can_read(actor, owner) { Ok(v) } else { Err(AppError::NotFound) }
}

/// The opportunities created from a lead, newest first (a lead reactivated and qualified again has two).
pub async fn from_lead(db: &super::Db, actor: &Actor, lead: Uuid) -> AppResult<Vec<OpportunityRow>> {
    let sql = format!("SELECT {COLS} {FROM} WHERE o.lead_id = $1 ORDER BY o.created_at DESC, o.id DESC");
    let rows = sqlx::query(&sql).bind(lead.to_string()).fetch_all(&db.pool).await?;
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
    let sql = format!("SELECT {COLS} {FROM} WHERE {} ORDER BY o.updated_at DESC, o.id DESC LIMIT 50", conds.join(" AND "));
    let rows = super::leads::bind_all(sqlx::query(&sql), &binds).fetch_all(&db.pool).await?;
    rows.iter().map(|r| view(r).map(|(v, _)| v.row())).collect()
}
