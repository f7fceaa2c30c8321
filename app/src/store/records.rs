//! Accounts and contacts as mutations (entities Account and Contact): created by hand, and edited field by
//! field with the same per-field merge as leads (`record_field_versions` keeps each field's version).

use super::edit::{editable_row, field_states, merge_changes, write_fields, VersionTable, Versioned};
use super::sql::{uuid_col, Engine, Val};
use super::{accounts, contacts, ids, Db};
use crate::domain::access::{self, Actor, LeadRef};
use crate::domain::customers::{normalize_with, ACCOUNT_FIELDS, CONTACT_FIELDS};
use crate::domain::duplicates::{company_key, email_key, web_domain};
use crate::domain::mutation::{ConflictPolicy, Entity, Mutation, Op};
use crate::domain::validate::FieldError;
use crate::error::{AppError, AppResult};
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Accounts and contacts as the per-field edit sees them. Both keep their field versions in one table,
/// so the rows also name the kind: an id alone must never find another kind's versions.
fn target(entity: Entity) -> Option<Versioned> {
    let (table, kind, specs) = match entity {
        Entity::Account => ("accounts", "account", ACCOUNT_FIELDS),
        Entity::Contact => ("contacts", "contact", CONTACT_FIELDS),
        _ => return None,
    };
    Some(Versioned {
        table,
        versions: VersionTable {
            table: "record_field_versions",
            id_col: "record_id",
            kind: Some(kind),
        },
        specs,
    })
}

/// The keys the duplicate check looks records up by, kept in step with the fields they come from.
fn derived(entity: Entity, values: &BTreeMap<String, String>) -> Vec<(&'static str, String)> {
    let get = |k: &str| values.get(k).map(String::as_str).unwrap_or("");
    match entity {
        Entity::Account => vec![
            ("name_key", company_key(get("name"))),
            ("web_domain", web_domain(get("website")).unwrap_or_default()),
        ],
        _ => vec![("email_key", email_key(get("email")).unwrap_or_default())],
    }
}

/// Applies one account or contact mutation inside the caller's transaction: made by hand, or edited
/// field by field (`edit`).
pub(crate) async fn apply_in(
    tx: &mut Transaction<'_, Any>,
    kind: Engine,
    actor: &Actor,
    m: &Mutation,
    policy: ConflictPolicy,
    now: i64,
) -> AppResult<()> {
    let Some(target) = target(m.entity) else {
        return Err(AppError::BadRequest("Not an account or contact.".into()));
    };
    let specs = target.specs;
    match &m.op {
        Op::Create { fields } => {
            let values = normalize_with(specs, fields, true).map_err(AppError::Invalid)?;
            ids::ensure_new(tx, m.record_id).await?;
            let get = |k: &str| values.get(k).cloned().unwrap_or_default();
            // New records belong to their author and the author's team.
            match m.entity {
                Entity::Account => {
                    let a = accounts::NewAccount {
                        id: m.record_id,
                        team_id: actor.team_id,
                        owner_id: actor.user_id,
                        name: get("name"),
                        website: get("website"),
                        industry: get("industry"),
                        phone: get("phone"),
                        city: get("city"),
                        country: get("country"),
                        email: String::new(),
                    };
                    accounts::insert_in(tx, kind, &a, actor.user_id, now).await
                }
                _ => {
                    let c = contacts::NewContact {
                        id: m.record_id,
                        team_id: actor.team_id,
                        owner_id: actor.user_id,
                        account_id: None,
                        first_name: get("first_name"),
                        last_name: get("last_name"),
                        job_title: get("job_title"),
                        email: get("email"),
                        phone: get("phone"),
                    };
                    contacts::insert_in(tx, kind, &c, actor.user_id, now).await
                }
            }
        }
        Op::Update { changes } => {
            let row = editable_row(tx, kind, actor, target.table, m.record_id).await?;
            let version = row.try_get::<i64, _>("version")?;
            let current = field_states(tx, &row, target, m.record_id).await?;
            let normalize = |raw: &BTreeMap<String, String>| {
                let clean = normalize_with(specs, raw, false)?;
                match specs
                    .iter()
                    .find(|s| s.required && clean.get(s.key).is_some_and(String::is_empty))
                {
                    Some(s) => Err(vec![FieldError::new(s.key, "Required.")]),
                    None => Ok(clean),
                }
            };
            let merged = merge_changes(tx, &current, changes, policy, normalize).await?;
            if merged.apply.is_empty() {
                return Ok(());
            }
            let mut after: BTreeMap<String, String> =
                current.iter().map(|(k, f)| (k.clone(), f.value.clone())).collect();
            after.extend(merged.apply.clone());
            let kept = derived(m.entity, &after)
                .into_iter()
                .map(|(k, v)| (k, Val::Text(v)))
                .collect();
            write_fields(
                tx,
                kind,
                target,
                m.record_id,
                &merged.apply,
                kept,
                version + 1,
                actor.user_id,
                now,
            )
            .await
        }
        _ => Err(AppError::BadRequest(
            "Accounts and contacts are created or edited here.".into(),
        )),
    }
}

/// Each field's version for an edit form.
pub async fn versions(db: &Db, entity: Entity, id: Uuid) -> AppResult<BTreeMap<String, i64>> {
    let specs = target(entity).map(|t| t.specs).unwrap_or(&[]);
    let mut out: BTreeMap<String, i64> = specs.iter().map(|s| (s.key.to_string(), 1)).collect();
    let kind = if entity == Entity::Account {
        "account"
    } else {
        "contact"
    };
    for r in sqlx::query("SELECT field, version FROM record_field_versions WHERE record_id = $1 AND record_kind = $2")
        .bind(id.to_string())
        .bind(kind)
        .fetch_all(&db.pool)
        .await?
    {
        out.insert(r.try_get("field")?, r.try_get("version")?);
    }
    Ok(out)
}

/// The editable values of an account or contact the actor can see, and whether they may edit it.
pub async fn values(db: &Db, actor: &Actor, entity: Entity, id: Uuid) -> AppResult<(BTreeMap<String, String>, bool)> {
    let Some(Versioned { table, specs, .. }) = target(entity) else {
        return Err(AppError::NotFound);
    };
    let row = sqlx::query(&format!("SELECT * FROM {table} WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    let owner = LeadRef {
        team_id: uuid_col(&row, "team_id")?,
        owner_id: uuid_col(&row, "owner_id")?,
    };
    if !access::can_read(actor, owner) {
        return Err(AppError::NotFound);
    }
    let mut out = BTreeMap::new();
    for s in specs {
        out.insert(s.key.to_string(), row.try_get::<String, _>(s.key)?);
    }
    Ok((out, access::can_edit(actor, owner)))
}
