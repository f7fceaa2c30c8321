//! Accounts and contacts as mutations (entities Account and Contact): created by hand, and edited field by
//! field with the same per-field merge as leads (`record_field_versions` keeps each field's version).

use super::leads::{bind_all, claim, conflict_error, rows_sql, Val};
use super::{now_ms, Db, Engine};
use crate::domain::access::{self, Actor, LeadRef};
use crate::domain::customers::{normalize_with, ACCOUNT_FIELDS, CONTACT_FIELDS};
use crate::domain::duplicates::{company_key, email_key, web_domain};
use crate::domain::fields::FieldSpec;
use crate::domain::mutation::{merge, ConflictPolicy, Entity, FieldChange, FieldState, Mutation, Op};
use crate::domain::validate::FieldError;
use crate::error::{AppError, AppResult};
use crate::model::Saved;
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;
use uuid::Uuid;

fn table_of(entity: Entity) -> Option<(&'static str, &'static [FieldSpec])> {
    match entity {
        Entity::Account => Some(("accounts", ACCOUNT_FIELDS)),
        Entity::Contact => Some(("contacts", CONTACT_FIELDS)),
        _ => None,
    }
}

/// Where a kind of record keeps the version of each field. Accounts and contacts share one table, so their
/// rows also name the kind: an id alone must never find another kind's versions.
#[derive(Clone, Copy)]
pub(crate) struct VersionTable {
    pub table: &'static str,
    pub id_col: &'static str,
    pub kind: Option<&'static str>,
}

pub(crate) const OPPORTUNITY_VERSIONS: VersionTable = VersionTable { table: "opportunity_field_versions", id_col: "opportunity_id", kind: None };

fn versions_of(entity: Entity) -> VersionTable {
    let kind = if entity == Entity::Account { "account" } else { "contact" };
    VersionTable { table: "record_field_versions", id_col: "record_id", kind: Some(kind) }
}

impl VersionTable {
    /// The condition on a record's rows, with its id as `$1` and the kind, if any, as `$2`.
    fn condition(self) -> String {
        match self.kind {
            Some(_) => format!("{} = $1 AND record_kind = $2", self.id_col),
            None => format!("{} = $1", self.id_col),
        }
    }
}

/// The keys the duplicate check looks records up by, kept in step with the fields they come from.
fn derived(entity: Entity, values: &BTreeMap<String, String>) -> Vec<(&'static str, String)> {
    let get = |k: &str| values.get(k).map(String::as_str).unwrap_or("");
    match entity {
        Entity::Account => vec![("name_key", company_key(get("name"))), ("web_domain", web_domain(get("website")).unwrap_or_default())],
        _ => vec![("email_key", email_key(get("email")).unwrap_or_default())],
    }
}

pub(crate) async fn apply_in(tx: &mut Transaction<'_, Any>, kind: Engine, actor: &Actor, m: &Mutation, policy: ConflictPolicy, now: i64) -> AppResult<()> {
    let Some((table, specs)) = table_of(m.entity) else { return Err(AppError::BadRequest("Not an account or contact.".into())) };
    match &m.op {
        Op::Create { fields } => {
            let values = normalize_with(specs, fields, true).map_err(AppError::Invalid)?;
            super::ids::ensure_new(tx, m.record_id).await?;
            let get = |k: &str| values.get(k).cloned().unwrap_or_default();
            // New records belong to their author and the author's team.
            match m.entity {
                Entity::Account => {
                    let a = crate::store::accounts::NewAccount {
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
                    crate::store::accounts::insert_in(tx, kind, &a, actor.user_id, now).await
                }
                _ => {
                    let c = crate::store::contacts::NewContact {
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
                    crate::store::contacts::insert_in(tx, kind, &c, actor.user_id, now).await
                }
            }
        }
        Op::Update { changes } => {
            let row = editable_row(tx, kind, actor, table, m.record_id).await?;
            let version = row.try_get::<i64, _>("version")?;
            let values = specs.iter().map(|s| Ok((s.key, row.try_get(s.key)?))).collect::<AppResult<Vec<_>>>()?;
            let current = field_states(tx, &row, values, versions_of(m.entity), m.record_id).await?;
            let raw: BTreeMap<String, String> = changes.iter().map(|c| (c.field.clone(), c.value.clone())).collect();
            let clean = normalize_with(specs, &raw, false).map_err(AppError::Invalid)?;
            if let Some(s) = specs.iter().find(|s| s.required && clean.get(s.key).is_some_and(String::is_empty)) {
                return Err(AppError::Invalid(vec![FieldError::new(s.key, "Required.")]));
            }
            let normalized: Vec<FieldChange> = changes.iter().map(|c| FieldChange { value: clean[&c.field].clone(), ..c.clone() }).collect();
            let merged = merge(&current, &normalized, policy);
            if policy == ConflictPolicy::Reject && !merged.conflicts.is_empty() {
                return Err(conflict_error(tx, &merged.conflicts).await?);
            }
            if merged.apply.is_empty() {
                return Ok(());
            }
            let mut after: BTreeMap<String, String> = current.iter().map(|(k, f)| (k.clone(), f.value.clone())).collect();
            after.extend(merged.apply.clone());
            let mut sets: Vec<(String, Val)> = merged.apply.iter().map(|(k, v)| (k.clone(), Val::Text(v.clone()))).collect();
            sets.extend(derived(m.entity, &after).into_iter().map(|(k, v)| (k.to_string(), Val::Text(v))));
            sets.push(("version".into(), Val::Int(Some(version + 1))));
            sets.push(("updated_at".into(), Val::Int(Some(now))));
            let sql = format!("UPDATE {table} SET {} WHERE id = ${}", sets.iter().enumerate().map(|(i, (k, _))| format!("{k} = ${}", i + 1)).collect::<Vec<_>>().join(", "), sets.len() + 1);
            let mut binds: Vec<Val> = sets.into_iter().map(|(_, v)| v).collect();
            binds.push(Val::Text(m.record_id.to_string()));
            bind_all(sqlx::query(&sql), &binds).execute(&mut **tx).await?;
            save_versions(tx, kind, versions_of(m.entity), m.record_id, merged.apply.keys(), version + 1, actor.user_id, now).await
        }
        _ => Err(AppError::BadRequest("Accounts and contacts are created or edited here.".into())),
    }
}

/// An online save: recorded as a mutation first, so a repeat is a no-op.
pub async fn save(db: &Db, actor: &Actor, m: &Mutation) -> AppResult<Saved> {
    let mut tx = db.pool.begin().await?;
    let now = now_ms();
    if !claim(&mut tx, actor, m, now).await? {
        return Ok(Saved::Duplicate);
    }
    apply_in(&mut tx, db.kind, actor, m, ConflictPolicy::Reject, now).await?;
    tx.commit().await?;
    Ok(Saved::Applied { version: 0 })
}

/// Each field's version for an edit form.
pub async fn versions(db: &Db, entity: Entity, id: Uuid) -> AppResult<BTreeMap<String, i64>> {
    let specs = table_of(entity).map(|t| t.1).unwrap_or(&[]);
    let mut out: BTreeMap<String, i64> = specs.iter().map(|s| (s.key.to_string(), 1)).collect();
    let kind = if entity == Entity::Account { "account" } else { "contact" };
    for r in sqlx::query("SELECT field, version FROM record_field_versions WHERE record_id = $1 AND record_kind = $2").bind(id.to_string()).bind(kind).fetch_all(&db.pool).await? {
        out.insert(r.try_get("field")?, r.try_get("version")?);
    }
    Ok(out)
}

/// The editable values of an account or contact the actor can see, and whether they may edit it.
pub async fn values(db: &Db, actor: &Actor, entity: Entity, id: Uuid) -> AppResult<(BTreeMap<String, String>, bool)> {
    let Some((table, specs)) = table_of(entity) else { return Err(AppError::NotFound) };
    let row = sqlx::query(&format!("SELECT * FROM {table} WHERE id = $1")).bind(id.to_string()).fetch_optional(&db.pool).await?.ok_or(AppError::NotFound)?;
    let id = |c: &str| -> AppResult<Uuid> { Uuid::parse_str(&row.try_get::<String, _>(c)?).map_err(AppError::internal) };
    let owner = LeadRef { team_id: id("team_id")?, owner_id: id("owner_id")? };
    if !access::can_read(actor, owner) {
        return Err(AppError::NotFound);
    }
    let mut out = BTreeMap::new();
    for s in specs {
        out.insert(s.key.to_string(), row.try_get::<String, _>(s.key)?);
    }
    Ok((out, access::can_edit(actor, owner)))
}

/// A versioned record (account, contact, opportunity) read and locked for an edit: NotFound when the
/// actor may not see it, Forbidden when they may see but not edit it.
pub(crate) async fn editable_row(tx: &mut Transaction<'_, Any>, kind: Engine, actor: &Actor, table: &str, id: Uuid) -> AppResult<sqlx::any::AnyRow> {
    let lock = if kind == Engine::Postgres { " FOR UPDATE" } else { "" };
    let row = sqlx::query(&format!("SELECT * FROM {table} WHERE id = $1{lock}")).bind(id.to_string()).fetch_optional(&mut **tx).await?.ok_or(AppError::NotFound)?;
    let owner = LeadRef { team_id: uuid_col(&row, "team_id")?, owner_id: uuid_col(&row, "owner_id")? };
    if !access::can_read(actor, owner) {
        return Err(AppError::NotFound);
    }
    if !access::can_edit(actor, owner) {
        return Err(AppError::Forbidden);
    }
    Ok(row)
}

pub(crate) fn uuid_col(row: &sqlx::any::AnyRow, col: &str) -> AppResult<Uuid> {
    Uuid::parse_str(&row.try_get::<String, _>(col)?).map_err(AppError::internal)
}

/// Each field's value with its version, for the per-field merge: a field never changed since the record
/// was made is at version 1, by its creator; the others as `versions` (table, key column) says.
pub(crate) async fn field_states(
    tx: &mut Transaction<'_, Any>,
    row: &sqlx::any::AnyRow,
    values: Vec<(&str, String)>,
    versions: VersionTable,
    id: Uuid,
) -> AppResult<BTreeMap<String, FieldState>> {
    let (created_by, created_at) = (uuid_col(row, "created_by")?, row.try_get::<i64, _>("created_at")?);
    let mut current: BTreeMap<String, FieldState> = values
        .into_iter()
        .map(|(k, value)| (k.to_string(), FieldState { value, version: 1, changed_by: Some(created_by), changed_at: Some(created_at) }))
        .collect();
    let sql = format!("SELECT field, version, changed_by, changed_at FROM {} WHERE {}", versions.table, versions.condition());
    let mut q = sqlx::query(&sql).bind(id.to_string());
    if let Some(kind) = versions.kind {
        q = q.bind(kind);
    }
    for v in q.fetch_all(&mut **tx).await? {
        if let Some(f) = current.get_mut(&v.try_get::<String, _>("field")?) {
            f.version = v.try_get("version")?;
            f.changed_by = Uuid::parse_str(&v.try_get::<String, _>("changed_by")?).ok();
            f.changed_at = Some(v.try_get("changed_at")?);
        }
    }
    Ok(current)
}

/// Records the new version of each changed field (who and when), for the next per-field merge.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn save_versions<'a>(
    tx: &mut Transaction<'_, Any>,
    kind: Engine,
    versions: VersionTable,
    record: Uuid,
    fields: impl Iterator<Item = &'a String>,
    version: i64,
    by: Uuid,
    now: i64,
) -> AppResult<()> {
    let rows: Vec<Vec<Val>> = fields
        .map(|k| {
            let mut row: Vec<Val> = versions.kind.map(|kind| Val::Text(kind.into())).into_iter().collect();
            row.extend([Val::Text(record.to_string()), Val::Text(k.clone()), Val::Int(Some(version)), Val::Text(by.to_string()), Val::Int(Some(now))]);
            row
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let (kind_col, key) = match versions.kind {
        Some(_) => ("record_kind, ", format!("record_kind, {}", versions.id_col)),
        None => ("", versions.id_col.to_string()),
    };
    let (sql, binds) = rows_sql(kind, &format!("{} ({kind_col}{}, field, version, changed_by, changed_at)", versions.table, versions.id_col), rows);
    let sql = format!("{sql} ON CONFLICT ({key}, field) DO UPDATE SET version = excluded.version, changed_by = excluded.changed_by, changed_at = excluded.changed_at");
    bind_all(sqlx::query(&sql), &binds).execute(&mut **tx).await?;
    Ok(())
}
