//! The per-field edit, written once for every record edited field by field (leads, opportunities,
//! accounts, contacts): the sent values are normalized, merged against each field's version
//! (`domain::mutation::merge`), and a conflict either refuses the edit (`Reject`) or is kept for the person
//! whose value was replaced (`LastWriteWins`). A lead's accepted edit is held by the working set and
//! written at flush; the others are written at once by `write_fields`.

use super::sql::{bind_all, from_db, rows_sql, to_db, uuid_col, Engine, Val};
use crate::domain::access::{self, Actor, LeadRef};
use crate::domain::fields::{self, FieldSpec};
use crate::domain::mutation::{merge, Conflict, ConflictPolicy, FieldChange, FieldState, Merge};
use crate::domain::validate::FieldError;
use crate::error::{AppError, AppResult};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Where a kind of record keeps the version of each field. Accounts and contacts share one table, so their
/// rows also name the kind: an id alone must never find another kind's versions.
#[derive(Clone, Copy)]
pub(crate) struct VersionTable {
    pub table: &'static str,
    pub id_col: &'static str,
    pub kind: Option<&'static str>,
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

/// A record edited field by field and written at once: its table, where its field versions live, and
/// its editable fields.
#[derive(Clone, Copy)]
pub(crate) struct Versioned {
    pub table: &'static str,
    pub versions: VersionTable,
    pub specs: &'static [FieldSpec],
}

/// A versioned record (account, contact, opportunity) read and locked for an edit: NotFound when the
/// actor may not see it, Forbidden when they may see but not edit it.
pub(crate) async fn editable_row(
    tx: &mut Transaction<'_, Any>,
    engine: Engine,
    actor: &Actor,
    table: &str,
    id: Uuid,
) -> AppResult<AnyRow> {
    let lock = if engine == Engine::Postgres { " FOR UPDATE" } else { "" };
    let row = sqlx::query(&format!("SELECT * FROM {table} WHERE id = $1{lock}"))
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(AppError::NotFound)?;
    let owner = LeadRef {
        team_id: uuid_col(&row, "team_id")?,
        owner_id: uuid_col(&row, "owner_id")?,
    };
    if !access::can_read(actor, owner) {
        return Err(AppError::NotFound);
    }
    if !access::can_edit(actor, owner) {
        return Err(AppError::Forbidden);
    }
    Ok(row)
}

/// Each editable field's value with its version, for the per-field merge: a field never changed since
/// the record was made is at version 1, by its creator; the others as the version table says.
pub(crate) async fn field_states(
    tx: &mut Transaction<'_, Any>,
    row: &AnyRow,
    target: Versioned,
    id: Uuid,
) -> AppResult<BTreeMap<String, FieldState>> {
    let (created_by, created_at) = (uuid_col(row, "created_by")?, row.try_get::<i64, _>("created_at")?);
    let mut current = BTreeMap::new();
    for spec in target.specs {
        current.insert(
            spec.key.to_string(),
            FieldState {
                value: from_db(spec, row)?,
                version: 1,
                changed_by: Some(created_by),
                changed_at: Some(created_at),
            },
        );
    }
    let versions = target.versions;
    let sql = format!(
        "SELECT field, version, changed_by, changed_at FROM {} WHERE {}",
        versions.table,
        versions.condition()
    );
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

/// Normalizes the sent values (a bad one refuses the whole edit, with a message per field) and merges
/// them per field. With `Reject`, any conflict refuses the edit; with `LastWriteWins` the conflicts come
/// back with the merge for the caller to record (`conflict_row`).
pub(crate) async fn merge_changes(
    tx: &mut Transaction<'_, Any>,
    current: &BTreeMap<String, FieldState>,
    changes: &[FieldChange],
    policy: ConflictPolicy,
    normalize: impl FnOnce(&BTreeMap<String, String>) -> Result<BTreeMap<String, String>, Vec<FieldError>>,
) -> AppResult<Merge> {
    let raw: BTreeMap<String, String> = changes.iter().map(|c| (c.field.clone(), c.value.clone())).collect();
    let clean = normalize(&raw).map_err(AppError::Invalid)?;
    let mut normalized = Vec::with_capacity(changes.len());
    for c in changes {
        let value = clean
            .get(&c.field)
            .cloned()
            .ok_or_else(|| AppError::internal(format!("{} was not normalized", c.field)))?;
        normalized.push(FieldChange { value, ..c.clone() });
    }
    let merged = merge(current, &normalized, policy);
    if policy == ConflictPolicy::Reject && !merged.conflicts.is_empty() {
        return Err(conflict_error(tx, &merged.conflicts).await?);
    }
    Ok(merged)
}

/// Writes an accepted edit of a record at once: the changed columns, `kept` (columns kept in step with
/// them), the record's new version, and each changed field's version with who and when.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn write_fields(
    tx: &mut Transaction<'_, Any>,
    engine: Engine,
    target: Versioned,
    id: Uuid,
    apply: &BTreeMap<String, String>,
    kept: Vec<(&'static str, Val)>,
    version: i64,
    by: Uuid,
    now: i64,
) -> AppResult<()> {
    let value = |k: &str, v: &str| {
        target
            .specs
            .iter()
            .find(|s| s.key == k)
            .map(|s| to_db(s, v))
            .unwrap_or_else(|| Val::Text(v.to_string()))
    };
    let mut sets: Vec<(String, Val)> = apply.iter().map(|(k, v)| (k.clone(), value(k, v))).collect();
    sets.extend(kept.into_iter().map(|(k, v)| (k.to_string(), v)));
    sets.push(("version".into(), Val::Int(Some(version))));
    sets.push(("updated_at".into(), Val::Int(Some(now))));
    let assignments: Vec<String> = sets
        .iter()
        .enumerate()
        .map(|(i, (k, _))| format!("{k} = ${}", i + 1))
        .collect();
    let sql = format!(
        "UPDATE {} SET {} WHERE id = ${}",
        target.table,
        assignments.join(", "),
        sets.len() + 1
    );
    let mut binds: Vec<Val> = sets.into_iter().map(|(_, v)| v).collect();
    binds.push(Val::Text(id.to_string()));
    bind_all(sqlx::query(&sql), &binds).execute(&mut **tx).await?;
    save_versions(tx, engine, target.versions, id, apply.keys(), version, by, now).await
}

/// Records the new version of each changed field (who and when), for the next per-field merge.
#[allow(clippy::too_many_arguments)]
async fn save_versions<'a>(
    tx: &mut Transaction<'_, Any>,
    engine: Engine,
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
            row.extend([
                Val::Text(record.to_string()),
                Val::Text(k.clone()),
                Val::Int(Some(version)),
                Val::Text(by.to_string()),
                Val::Int(Some(now)),
            ]);
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
    let (sql, binds) = rows_sql(
        engine,
        &format!(
            "{} ({kind_col}{}, field, version, changed_by, changed_at)",
            versions.table, versions.id_col
        ),
        rows,
    );
    let sql = format!("{sql} ON CONFLICT ({key}, field) DO UPDATE SET version = excluded.version, changed_by = excluded.changed_by, changed_at = excluded.changed_at");
    bind_all(sqlx::query(&sql), &binds).execute(&mut **tx).await?;
    Ok(())
}

/// The refusal of an interactive edit that met newer values: each conflict with its field's label and
/// the name of whoever changed it.
async fn conflict_error(tx: &mut Transaction<'_, Any>, conflicts: &[Conflict]) -> AppResult<AppError> {
    let mut views = Vec::new();
    for c in conflicts {
        let by_name: Option<String> = match c.changed_by {
            Some(u) => {
                sqlx::query_scalar("SELECT name FROM users WHERE id = $1")
                    .bind(u.to_string())
                    .fetch_optional(&mut **tx)
                    .await?
            }
            None => None,
        };
        let label = fields::spec(&c.field)
            .or_else(|| crate::domain::opportunity::spec(&c.field))
            .or_else(|| {
                crate::domain::customers::ACCOUNT_FIELDS
                    .iter()
                    .chain(crate::domain::customers::CONTACT_FIELDS)
                    .find(|s| s.key == c.field)
            })
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

/// The `conflicts` columns, in the order `conflict_row` gives its values.
pub(crate) const CONFLICT_COLS: &str = "conflicts (id, user_id, lead_id, field, lost_value, won_value, won_by, at)";

/// A conflicts row for a synced edit (`LastWriteWins`) that replaced `loser`'s value.
pub(crate) fn conflict_row(loser: Uuid, lead: Uuid, c: &Conflict, winner: Uuid, now: i64) -> Vec<Val> {
    vec![
        Val::Text(Uuid::now_v7().to_string()),
        Val::Text(loser.to_string()),
        Val::Text(lead.to_string()),
        Val::Text(c.field.clone()),
        Val::Text(c.theirs.clone()),
        Val::Text(c.yours.clone()),
        Val::Text(winner.to_string()),
        Val::Int(Some(now)),
    ]
}
