//! Ids chosen by a browser. A client mints the UUIDs of what it creates (so it can work offline), and a
//! client is not trusted: the id it sends may already name another record, maybe another team's. Every
//! creation of a client-minted id asks `ensure_new` first, one check for every entity: an id already in use
//! in any table is refused, so no two records ever share one and nothing keyed by an id alone can mix them.

use crate::error::{AppError, AppResult};
use sqlx::{Any, Transaction};
use uuid::Uuid;

/// Every table whose rows are named by a UUID in an `id` column. A schema test (`server/tests/attacks.rs`)
/// lists the tables with an `id` column and fails when one is neither here nor in `NOT_RECORD_IDS`.
pub const RECORD_ID_TABLES: &[&str] = &[
    "leads",
    "opportunities",
    "accounts",
    "contacts",
    "timeline_items",
    "stakeholders",
    "deal_competitors",
    "competitors",
    "attachments",
    "notifications",
    "conflicts",
    "users",
    "teams",
];

/// Tables with an `id` column that does not name a record: `workspace` (always 1), `processes` (keys an admin
/// chooses, such as `trade_show`), and `clients` (a browser's id; an online form uses its lead's id as its
/// client id, so it must not count as taken).
pub const NOT_RECORD_IDS: &[&str] = &["workspace", "processes", "clients"];

fn check_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let probes: Vec<String> = RECORD_ID_TABLES
            .iter()
            .map(|t| format!("SELECT CAST(1 AS BIGINT) AS taken FROM {t} WHERE id = $1"))
            .collect();
        format!("SELECT taken FROM ({}) ids LIMIT 1", probes.join(" UNION ALL "))
    })
}

/// Refuses an id that already names something, in any table. Call it inside the creating transaction,
/// before the insert.
pub(crate) async fn ensure_new(tx: &mut Transaction<'_, Any>, id: Uuid) -> AppResult<()> {
    let taken: Option<i64> = sqlx::query_scalar(check_sql())
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    match taken {
        Some(_) => Err(id_taken()),
        None => Ok(()),
    }
}

/// The refusal, in words for the person whose change it was (a synced change lists it as its reason).
pub(crate) fn id_taken() -> AppError {
    AppError::BadRequest(
        "This record's id is already in use, so it was not saved. Reload the page and try again.".into(),
    )
}
