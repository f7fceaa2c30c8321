//! The benchmarks' data: the demo workspace (seeded by the product's `demo`), sessions minted through the
//! store, and an empty workspace of their own for the store-level measurements.

use anyhow::{anyhow, bail, Context, Result};
use app::store::{users, Db};
use uuid::Uuid;

/// The manager of the demo's larger team: the benchmark's signed-in person.
pub const MANAGER: &str = "javier@aurora.example";

/// A store error as a tool's error.
pub fn store(e: app::error::AppError) -> anyhow::Error {
    anyhow!(e.describe())
}

/// A new random session token for `email`, minted with the store's own `create_session` (a day long).
pub async fn mint_session(db: &Db, email: &str) -> Result<(String, Uuid)> {
    let user = users::list(db)
        .await
        .map_err(store)?
        .into_iter()
        .find(|u| u.email == email)
        .with_context(|| format!("no user {email} (seed the demo first)"))?;
    let token: String = {
        use rand::Rng;
        let bytes: [u8; 32] = rand::thread_rng().gen();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    };
    users::create_session(db, &app::api::session::hash_token(&token), user.id, 86_400_000)
        .await
        .map_err(store)?;
    Ok((token, user.id))
}

/// How many leads the person's team has, and one of them.
pub async fn team_leads(db: &Db, email: &str) -> Result<(i64, Uuid)> {
    let user = users::list(db)
        .await
        .map_err(store)?
        .into_iter()
        .find(|u| u.email == email)
        .with_context(|| format!("no user {email}"))?;
    let team = user.team_id.to_string();
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM leads WHERE team_id = $1")
        .bind(&team)
        .fetch_one(&db.pool)
        .await
        .context("counting the team's leads")?;
    let lead: String = sqlx::query_scalar("SELECT id FROM leads WHERE team_id = $1 LIMIT 1")
        .bind(&team)
        .fetch_one(&db.pool)
        .await
        .context("a lead of the team")?;
    Ok((count, Uuid::parse_str(&lead).context("a lead id")?))
}

/// A benchmark user (no password: benchmarks mint sessions or call the store directly).
pub fn bench_user(name: &'static str, email: &'static str, role: app::domain::access::Role) -> users::NewUser<'static> {
    users::NewUser {
        name,
        email,
        role,
        team_id: Uuid::nil(),
        password_hash: "-",
        time_zone: "UTC",
    }
}

/// The benchmarks' own workspace and its admin, on a database that must be empty (`bench` names the measurement).
pub async fn empty_workspace(db: &Db, bench: &str) -> Result<app::model::User> {
    if users::workspace_name(db).await.map_err(store)?.is_some() {
        bail!("{bench} needs an empty database");
    }
    users::create_workspace(
        db,
        "Bench",
        bench_user("Admin", "admin@bench.example", app::domain::access::Role::Admin),
    )
    .await
    .map_err(store)
}
