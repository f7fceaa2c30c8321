//! The people and rivals around a deal: stakeholders (contacts with a role) and competitors linked to a
//! lead or an opportunity, and the shared competitor list. Changes are mutations (entities Stakeholder,
//! DealCompetitor, Competitor) decided here, for an online save and for a pushed batch alike.

use super::sql::{insert_rows, uuid_col, Engine, Val};
use super::{contacts, ids, Db};
use crate::domain::access::{self, Actor, LeadRef};
use crate::domain::lead::full_name;
use crate::domain::mutation::{Entity, Mutation, Op};
use crate::domain::opportunity::{self, ContactPick};
use crate::error::{AppError, AppResult};
use crate::model::{CompetitorView, DealCompetitorView, DealPeople, StakeholderView};
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The lead or opportunity a deal item hangs on, if the actor may change it (open, and theirs to edit).
async fn editable_record(tx: &mut Transaction<'_, Any>, actor: &Actor, kind: &str, id: Uuid) -> AppResult<()> {
    let sql = match kind {
        "lead" => "SELECT team_id, owner_id, state FROM leads WHERE id = $1",
        _ => "SELECT team_id, owner_id, state FROM opportunities WHERE id = $1",
    };
    let row = sqlx::query(sql)
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(AppError::NotFound)?;
    let r = LeadRef {
        team_id: uuid_col(&row, "team_id")?,
        owner_id: uuid_col(&row, "owner_id")?,
    };
    if !access::can_read(actor, r) {
        return Err(AppError::NotFound);
    }
    if !access::can_edit(actor, r) {
        return Err(AppError::Forbidden);
    }
    if row.try_get::<String, _>("state")? != "open" {
        return Err(AppError::BadRequest(format!(
            "This {kind} is closed; reactivate it to make changes."
        )));
    }
    Ok(())
}

/// Applies one deal mutation inside the caller's transaction; every check comes before any write.
pub(crate) async fn apply_in(
    tx: &mut Transaction<'_, Any>,
    kind: Engine,
    actor: &Actor,
    m: &Mutation,
    now: i64,
) -> AppResult<()> {
    let invalid = AppError::Invalid;
    if m.entity == Entity::Competitor && !access::can_manage_competitors(actor) {
        return Err(AppError::Forbidden);
    }
    match (m.entity, &m.op) {
        (Entity::Stakeholder, Op::Create { fields }) => {
            let d = opportunity::check_stakeholder(fields).map_err(invalid)?;
            editable_record(tx, actor, "lead", d.lead_id).await?;
            ids::ensure_new(tx, m.record_id).await?;
            let contact_id = match d.contact {
                ContactPick::Existing(c) => {
                    // Only a contact the actor can see may be picked.
                    contacts::get_in(tx, actor, c).await?;
                    c
                }
                ContactPick::New {
                    id,
                    first_name,
                    last_name,
                    email,
                    job_title,
                } => {
                    if id == m.record_id {
                        return Err(ids::id_taken());
                    }
                    ids::ensure_new(tx, id).await?;
                    let lead = sqlx::query("SELECT team_id, owner_id FROM leads WHERE id = $1")
                        .bind(d.lead_id.to_string())
                        .fetch_one(&mut **tx)
                        .await?;
                    let c = contacts::NewContact {
                        id,
                        team_id: uuid_col(&lead, "team_id")?,
                        owner_id: uuid_col(&lead, "owner_id")?,
                        account_id: None,
                        first_name,
                        last_name,
                        job_title,
                        email,
                        phone: String::new(),
                    };
                    contacts::insert_in(tx, kind, &c, actor.user_id, now).await?;
                    id
                }
            };
            let own = [
                contact_id.to_string(),
                d.role.label().into(),
                d.note,
                actor.user_id.to_string(),
            ];
            let row = item_row(m.record_id, "lead", d.lead_id, own, now);
            insert_rows(tx, kind, &item_target(STAKEHOLDERS), vec![row]).await
        }
        (Entity::Stakeholder, Op::Update { changes }) => {
            let fields: BTreeMap<String, String> = changes.iter().map(|c| (c.field.clone(), c.value.clone())).collect();
            let (role, note) = opportunity::check_stakeholder_edit(&fields).map_err(invalid)?;
            item_record(tx, actor, "stakeholders", m.record_id).await?;
            if let Some(r) = role {
                sqlx::query("UPDATE stakeholders SET role = $1, updated_at = $2 WHERE id = $3")
                    .bind(r.label())
                    .bind(now)
                    .bind(m.record_id.to_string())
                    .execute(&mut **tx)
                    .await?;
            }
            if let Some(n) = note {
                sqlx::query("UPDATE stakeholders SET note = $1, updated_at = $2 WHERE id = $3")
                    .bind(n)
                    .bind(now)
                    .bind(m.record_id.to_string())
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        }
        (Entity::DealCompetitor, Op::Create { fields }) => {
            let d = opportunity::check_deal_competitor(fields).map_err(invalid)?;
            editable_record(tx, actor, "lead", d.lead_id).await?;
            ids::ensure_new(tx, m.record_id).await?;
            let known: Option<String> = sqlx::query_scalar("SELECT id FROM competitors WHERE id = $1")
                .bind(d.competitor_id.to_string())
                .fetch_optional(&mut **tx)
                .await?;
            if known.is_none() {
                return Err(AppError::Invalid(vec![crate::domain::validate::FieldError::new(
                    "competitor_id",
                    "Pick a competitor from the list.",
                )]));
            }
            let own = [d.competitor_id.to_string(), d.note, actor.user_id.to_string()];
            let row = item_row(m.record_id, "lead", d.lead_id, own, now);
            insert_rows(tx, kind, &item_target(DEAL_COMPETITORS), vec![row]).await
        }
        (Entity::DealCompetitor, Op::Update { changes }) => {
            let fields: BTreeMap<String, String> = changes.iter().map(|c| (c.field.clone(), c.value.clone())).collect();
            let note = opportunity::check_deal_competitor_edit(&fields).map_err(invalid)?;
            item_record(tx, actor, "deal_competitors", m.record_id).await?;
            sqlx::query("UPDATE deal_competitors SET note = $1, updated_at = $2 WHERE id = $3")
                .bind(note)
                .bind(now)
                .bind(m.record_id.to_string())
                .execute(&mut **tx)
                .await?;
            Ok(())
        }
        (Entity::Stakeholder | Entity::DealCompetitor, Op::Delete) => {
            let table = if m.entity == Entity::Stakeholder {
                "stakeholders"
            } else {
                "deal_competitors"
            };
            item_record(tx, actor, table, m.record_id).await?;
            sqlx::query(&format!("DELETE FROM {table} WHERE id = $1"))
                .bind(m.record_id.to_string())
                .execute(&mut **tx)
                .await?;
            Ok(())
        }
        (Entity::Competitor, Op::Create { fields }) => {
            let d = opportunity::check_competitor(fields).map_err(invalid)?;
            ids::ensure_new(tx, m.record_id).await?;
            let row = vec![
                Val::Text(m.record_id.to_string()),
                Val::Text(d.name),
                Val::Text(d.website),
                Val::Text(d.strengths),
                Val::Text(d.weaknesses),
                Val::Text(actor.user_id.to_string()),
                Val::Int(Some(now)),
                Val::Int(Some(now)),
            ];
            insert_rows(
                tx,
                kind,
                "competitors (id, name, website, strengths, weaknesses, created_by, created_at, updated_at)",
                vec![row],
            )
            .await
        }
        (Entity::Competitor, Op::Update { changes }) => {
            // Only the fields changed are written: two managers editing different fields both keep theirs.
            let row = sqlx::query("SELECT name, website, strengths, weaknesses FROM competitors WHERE id = $1")
                .bind(m.record_id.to_string())
                .fetch_optional(&mut **tx)
                .await?
                .ok_or(AppError::NotFound)?;
            let mut fields = BTreeMap::new();
            for key in ["name", "website", "strengths", "weaknesses"] {
                fields.insert(key.to_string(), row.try_get::<String, _>(key)?);
            }
            fields.extend(changes.iter().map(|c| (c.field.clone(), c.value.clone())));
            let d = opportunity::check_competitor(&fields).map_err(invalid)?;
            let n = sqlx::query("UPDATE competitors SET name = $1, website = $2, strengths = $3, weaknesses = $4, updated_at = $5 WHERE id = $6")
                .bind(d.name)
                .bind(d.website)
                .bind(d.strengths)
                .bind(d.weaknesses)
                .bind(now)
                .bind(m.record_id.to_string())
                .execute(&mut **tx)
                .await?
                .rows_affected();
            if n == 0 {
                Err(AppError::NotFound)
            } else {
                Ok(())
            }
        }
        _ => Err(AppError::BadRequest("This change is not supported here.".into())),
    }
}

/// The record an existing stakeholder or linked competitor hangs on, checked like a new one.
async fn item_record(tx: &mut Transaction<'_, Any>, actor: &Actor, table: &str, id: Uuid) -> AppResult<()> {
    let row = sqlx::query(&format!("SELECT record_kind, record_id FROM {table} WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(AppError::NotFound)?;
    let kind: String = row.try_get("record_kind")?;
    editable_record(tx, actor, &kind, uuid_col(&row, "record_id")?).await
}

/// Qualifying carries the lead's stakeholders and competitors over to its opportunity (the lead keeps its own).
pub(crate) async fn carry_over_in(
    tx: &mut Transaction<'_, Any>,
    kind: Engine,
    lead: Uuid,
    opportunity: Uuid,
    now: i64,
) -> AppResult<()> {
    for item @ (table, cols) in [STAKEHOLDERS, DEAL_COMPETITORS] {
        let sql = format!(
            "SELECT {} FROM {table} WHERE record_kind = 'lead' AND record_id = $1 ORDER BY created_at, id",
            cols.join(", ")
        );
        let found = sqlx::query(&sql).bind(lead.to_string()).fetch_all(&mut **tx).await?;
        let mut rows = Vec::with_capacity(found.len());
        for r in &found {
            let own = cols
                .iter()
                .map(|c| r.try_get::<String, _>(*c))
                .collect::<Result<Vec<_>, _>>()?;
            rows.push(item_row(Uuid::now_v7(), "opportunity", opportunity, own, now));
        }
        if !rows.is_empty() {
            insert_rows(tx, kind, &item_target(item), rows).await?;
        }
    }
    Ok(())
}

/// A deal item table and its own columns, between (id, record_kind, record_id) and the two times.
type ItemTable = (&'static str, &'static [&'static str]);
const STAKEHOLDERS: ItemTable = ("stakeholders", &["contact_id", "role", "note", "created_by"]);
const DEAL_COMPETITORS: ItemTable = ("deal_competitors", &["competitor_id", "note", "created_by"]);

fn item_target((table, cols): ItemTable) -> String {
    format!(
        "{table} (id, record_kind, record_id, {}, created_at, updated_at)",
        cols.join(", ")
    )
}

/// One row for `item_target`: the item, the record it hangs on, its own values in column order, the times.
fn item_row(id: Uuid, record_kind: &str, record: Uuid, own: impl IntoIterator<Item = String>, now: i64) -> Vec<Val> {
    let mut row = vec![
        Val::Text(id.to_string()),
        Val::Text(record_kind.into()),
        Val::Text(record.to_string()),
    ];
    row.extend(own.into_iter().map(Val::Text));
    row.extend([Val::Int(Some(now)), Val::Int(Some(now))]);
    row
}

/// The stakeholders and competitors of a lead or opportunity the actor can read.
pub async fn people(db: &Db, actor: &Actor, kind: &str, record: Uuid) -> AppResult<DealPeople> {
    let kind = if kind == "lead" { "lead" } else { "opportunity" };
    let mut tx = db.pool.begin().await?;
    let sql = if kind == "lead" {
        "SELECT team_id, owner_id FROM leads WHERE id = $1"
    } else {
        "SELECT team_id, owner_id FROM opportunities WHERE id = $1"
    };
    let row = sqlx::query(sql)
        .bind(record.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    if !access::can_read(
        actor,
        LeadRef {
            team_id: uuid_col(&row, "team_id")?,
            owner_id: uuid_col(&row, "owner_id")?,
        },
    ) {
        return Err(AppError::NotFound);
    }
    let rows = sqlx::query(
        "SELECT s.id, s.contact_id, s.role, s.note, c.first_name, c.last_name, c.email, c.job_title FROM stakeholders s JOIN contacts c ON c.id = s.contact_id
         WHERE s.record_kind = $2 AND s.record_id = $1 ORDER BY s.created_at, s.id",
    )
    .bind(record.to_string())
    .bind(kind)
    .fetch_all(&mut *tx)
    .await?;
    let stakeholders = rows
        .iter()
        .map(|r| -> AppResult<StakeholderView> {
            Ok(StakeholderView {
                id: uuid_col(r, "id")?,
                contact_id: uuid_col(r, "contact_id")?,
                name: full_name(
                    &r.try_get::<String, _>("first_name")?,
                    &r.try_get::<String, _>("last_name")?,
                ),
                email: r.try_get("email")?,
                job_title: r.try_get("job_title")?,
                role: r.try_get("role")?,
                note: r.try_get("note")?,
            })
        })
        .collect::<AppResult<_>>()?;
    let rows = sqlx::query("SELECT d.id, d.competitor_id, d.note, c.name FROM deal_competitors d JOIN competitors c ON c.id = d.competitor_id WHERE d.record_kind = $2 AND d.record_id = $1 ORDER BY d.created_at, d.id")
        .bind(record.to_string())
        .bind(kind)
        .fetch_all(&mut *tx)
        .await?;
    let competitors = rows
        .iter()
        .map(|r| -> AppResult<DealCompetitorView> {
            Ok(DealCompetitorView {
                id: uuid_col(r, "id")?,
                competitor_id: uuid_col(r, "competitor_id")?,
                name: r.try_get("name")?,
                note: r.try_get("note")?,
            })
        })
        .collect::<AppResult<_>>()?;
    tx.commit().await?;
    Ok(DealPeople {
        stakeholders,
        competitors,
    })
}

/// The shared competitor list, by name.
pub async fn competitors(db: &Db) -> AppResult<Vec<CompetitorView>> {
    let rows = sqlx::query("SELECT id, name, website, strengths, weaknesses FROM competitors ORDER BY name, id")
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(CompetitorView {
                id: uuid_col(r, "id")?,
                name: r.try_get("name")?,
                website: r.try_get("website")?,
                strengths: r.try_get("strengths")?,
                weaknesses: r.try_get("weaknesses")?,
            })
        })
        .collect()
}
