//! Process definitions: the shipped ones written at start-up when missing, admins' edits and lookups.
//! A definition is kept whole as JSON (`domain::process::Process`); name, order and retirement are
//! columns too, for the list.

use super::{now_ms, Db};
use crate::domain::access::{Actor, Role};
use crate::domain::process::{self, Process};
use crate::domain::validate::FieldError;
use crate::error::{AppError, AppResult};
use sqlx::{Any, Row, Transaction};

/// Writes the shipped processes unless they already exist (an admin may have changed them since).
pub async fn ensure_shipped(db: &Db) -> AppResult<()> {
    for (position, p) in [process::lead_to_opportunity(), process::trade_show()]
        .into_iter()
        .enumerate()
    {
        let json = serde_json::to_string(&p).map_err(AppError::internal)?;
        sqlx::query("INSERT INTO processes (id, name, definition, position, retired, updated_at) VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (id) DO NOTHING")
            .bind(p.key.clone())
            .bind(p.name.clone())
            .bind(json)
            .bind(position as i64 + 1)
            .bind(now_ms())
            .execute(&db.pool)
            .await?;
    }
    Ok(())
}

fn from_row(row: &sqlx::any::AnyRow) -> AppResult<Process> {
    let json: String = row.try_get("definition")?;
    let mut p: Process =
        serde_json::from_str(&json).map_err(|e| AppError::internal(format!("process definition: {e}")))?;
    p.retired = row.try_get::<i64, _>("retired")? != 0;
    Ok(p)
}

/// Every process in the admin's order, retired ones included (records may still be in them).
pub async fn all(db: &Db) -> AppResult<Vec<Process>> {
    sqlx::query(ALL)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

pub(crate) async fn all_in(tx: &mut Transaction<'_, Any>) -> AppResult<Vec<Process>> {
    sqlx::query(ALL)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

const ALL: &str = "SELECT definition, retired FROM processes ORDER BY position, id";

pub(crate) async fn get_in(tx: &mut Transaction<'_, Any>, key: &str) -> AppResult<Option<Process>> {
    let row = sqlx::query("SELECT definition, retired FROM processes WHERE id = $1")
        .bind(key)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Creates or replaces a process (admins only). A new one goes to the end of the list; an edited one keeps
/// its place. Retiring keeps the records already in it.
pub async fn save(db: &Db, actor: &Actor, p: &Process) -> AppResult<()> {
    require_admin(actor)?;
    p.validate(process::is_step_field)
        .map_err(|errors| AppError::Invalid(errors.into_iter().map(|m| FieldError::new("definition", m)).collect()))?;
    let json = serde_json::to_string(p).map_err(AppError::internal)?;
    // One statement: the new position is computed inside it, so two admins adding at once both get a place.
    sqlx::query(
        "INSERT INTO processes (id, name, definition, position, retired, updated_at)
         VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), 0) + 1 FROM processes), $4, $5)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, definition = excluded.definition,
         retired = excluded.retired, updated_at = excluded.updated_at",
    )
    .bind(p.key.clone())
    .bind(p.name.clone())
    .bind(json)
    .bind(p.retired as i64)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Puts the processes in the admin's order, first to last. Keys not given keep their place after them.
pub async fn reorder(db: &Db, actor: &Actor, keys: &[String]) -> AppResult<()> {
    require_admin(actor)?;
    let mut tx = db.pool.begin().await?;
    sqlx::query("UPDATE processes SET position = position + $1")
        .bind(keys.len() as i64)
        .execute(&mut *tx)
        .await?;
    for (i, key) in keys.iter().enumerate() {
        sqlx::query("UPDATE processes SET position = $1, updated_at = $2 WHERE id = $3")
            .bind(i as i64 + 1)
            .bind(now_ms())
            .bind(key.clone())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn require_admin(actor: &Actor) -> AppResult<()> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}
