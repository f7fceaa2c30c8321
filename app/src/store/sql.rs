//! The storage folder's ground floor: the engine's few dialect differences, values to bind, multi-row
//! inserts, placeholders, column readers and the change feed's numbering. Every entity file builds on it;
//! it knows none of them (`app/tests/store_layers.rs` keeps it so).

use crate::domain::fields::{FieldSpec, Kind};
use crate::domain::validate::{self, format_cents};
use crate::error::{AppError, AppResult};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

/// The database engine behind the `Any` pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
    /// Row lock for read-then-write inside a transaction, on the leads row aliased `l`. SQLite has one
    /// writer at a time, and our transactions write first, so it needs none.
    pub fn for_update(self) -> &'static str {
        match self {
            Engine::Sqlite => "",
            Engine::Postgres => " FOR UPDATE OF l",
        }
    }

    /// The n-th (1-based) placeholder of a long statement whose parameters appear in order. SQLite looks
    /// named parameters (`$n`) up by linear scan, which makes a 10,000-parameter insert quadratic.
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Engine::Sqlite => "?".to_string(),
            Engine::Postgres => format!("${n}"),
        }
    }

    /// Held until commit by every writer of the change feed, so feed numbers follow commit order and a
    /// client that pulls "after n" never misses a change committed late. SQLite writers are serial already.
    pub fn lock_change_feed(self) -> Option<&'static str> {
        match self {
            Engine::Sqlite => None,
            Engine::Postgres => Some("SELECT pg_advisory_xact_lock(4242)"),
        }
    }
}

/// A value ready to bind: texts are '' when empty, numbers NULL.
#[derive(Clone, Debug)]
pub enum Val {
    Text(String),
    Int(Option<i64>),
    /// A text column that may be NULL (an optional reference).
    OptText(Option<String>),
}

pub(crate) fn bind_all<'q>(
    mut q: Query<'q, Any, AnyArguments<'q>>,
    vals: &'q [Val],
) -> Query<'q, Any, AnyArguments<'q>> {
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

/// A column value to canonical text: the reverse of `to_db`.
pub(crate) fn from_db(spec: &FieldSpec, row: &AnyRow) -> AppResult<String> {
    Ok(match spec.kind {
        Kind::Int { .. } => row
            .try_get::<Option<i64>, _>(spec.key)?
            .map(|n| n.to_string())
            .unwrap_or_default(),
        Kind::Money => row
            .try_get::<Option<i64>, _>(spec.key)?
            .map(format_cents)
            .unwrap_or_default(),
        Kind::Bool => match row.try_get::<Option<i64>, _>(spec.key)? {
            Some(0) => "false".into(),
            Some(_) => "true".into(),
            None => String::new(),
        },
        _ => row.try_get::<String, _>(spec.key)?,
    })
}

/// An id column (UUID text). A value that is not a UUID is the database's fault: an internal error.
pub(crate) fn uuid_col(row: &AnyRow, col: &str) -> AppResult<Uuid> {
    parse_uuid(col, &row.try_get::<String, _>(col)?)
}

/// An optional reference: NULL (or '') is None.
pub(crate) fn opt_uuid_col(row: &AnyRow, col: &str) -> AppResult<Option<Uuid>> {
    match row.try_get::<Option<String>, _>(col)? {
        Some(s) if !s.is_empty() => parse_uuid(col, &s).map(Some),
        _ => Ok(None),
    }
}

fn parse_uuid(col: &str, s: &str) -> AppResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| AppError::internal(format!("bad uuid in column {col}: {e}")))
}

/// "$s+1, ..., $s+n": placeholders for a list of `n` values bound after `start` others.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start + 1..=start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One multi-row INSERT: `table_and_cols` like "t (a, b)", one `Vec<Val>` per row.
pub(crate) async fn insert_rows(
    tx: &mut Transaction<'_, Any>,
    engine: Engine,
    table_and_cols: &str,
    rows: Vec<Vec<Val>>,
) -> AppResult<()> {
    let (sql, binds) = rows_sql(engine, table_and_cols, rows);
    bind_all(sqlx::query(&sql), &binds).execute(&mut **tx).await?;
    Ok(())
}

pub(crate) fn rows_sql(engine: Engine, table_and_cols: &str, rows: Vec<Vec<Val>>) -> (String, Vec<Val>) {
    let mut binds = Vec::new();
    let mut tuples = Vec::with_capacity(rows.len());
    for row in rows {
        let start = binds.len();
        tuples.push(format!(
            "({})",
            (1..=row.len())
                .map(|i| engine.placeholder(start + i))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        binds.extend(row);
    }
    (
        format!("INSERT INTO {table_and_cols} VALUES {}", tuples.join(", ")),
        binds,
    )
}

/// The next feed number, taking the feed lock first (held until this transaction ends).
pub(crate) async fn next_change_seq(tx: &mut Transaction<'_, Any>, engine: Engine) -> AppResult<i64> {
    if let Some(lock) = engine.lock_change_feed() {
        sqlx::query(lock).execute(&mut **tx).await?;
    }
    let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM changes")
        .fetch_one(&mut **tx)
        .await?;
    Ok(last.unwrap_or(0) + 1)
}
