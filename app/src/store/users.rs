//! Workspace, teams, users, sessions and the sign-in throttle.

use super::{now_ms, Db};
use crate::domain::access::Role;
use crate::error::{AppError, AppResult};
pub use crate::model::{Team, User};
use sqlx::Row;
use uuid::Uuid;

pub struct NewUser<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub role: Role,
    pub team_id: Uuid,
    pub password_hash: &'a str,
    pub time_zone: &'a str,
}

const USER_COLS: &str = "u.id, u.team_id, t.name AS team_name, u.name, u.email, u.role, u.time_zone FROM users u JOIN teams t ON t.id = u.team_id";

fn uuid_col(row: &sqlx::any::AnyRow, col: &str) -> AppResult<Uuid> {
    let s: String = row.try_get(col)?;
    Uuid::parse_str(&s).map_err(|e| AppError::internal(format!("bad uuid in {col}: {e}")))
}

fn user_from(row: &sqlx::any::AnyRow) -> AppResult<User> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: uuid_col(row, "id")?,
        team_id: uuid_col(row, "team_id")?,
        team_name: row.try_get("team_name")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        role: Role::parse(&role).ok_or_else(|| AppError::internal(format!("bad role {role}")))?,
        time_zone: row.try_get("time_zone")?,
    })
}

impl<'a> NewUser<'a> {
    pub fn with_hash(self, password_hash: &'a str) -> Self {
        NewUser { password_hash, ..self }
    }
}

pub async fn workspace_name(db: &Db) -> AppResult<Option<String>> {
    if let Some(name) = db.workspace_name.get() {
        return Ok(Some(name.clone()));
    }
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM workspace WHERE id = 1").fetch_optional(&db.pool).await?;
    if let Some(n) = &name {
        let _ = db.workspace_name.set(n.clone());
    }
    Ok(name)
}

/// First start: the workspace, its first team and its first admin, all or nothing.
pub async fn create_workspace(db: &Db, workspace: &str, admin: NewUser<'_>) -> AppResult<User> {
    let mut tx = db.pool.begin().await?;
    let now = now_ms();
    let created = sqlx::query("INSERT INTO workspace (id, name, created_at) VALUES (1, $1, $2) ON CONFLICT DO NOTHING")
        .bind(workspace)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if created == 0 {
        return Err(AppError::BadRequest("This workspace has already been set up. Please sign in.".into()));
    }
    let team = Uuid::now_v7();
    sqlx::query("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(team.to_string())
        .bind("Sales")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let id = insert_user(&mut tx, &NewUser { team_id: team, ..admin }).await?;
    tx.commit().await?;
    db.people.set(None);
    get(db, id).await?.ok_or(AppError::NotFound)
}

async fn insert_user(tx: &mut sqlx::Transaction<'_, sqlx::Any>, u: &NewUser<'_>) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    let res = sqlx::query(
        "INSERT INTO users (id, team_id, name, email, role, password_hash, time_zone, active, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8) ON CONFLICT DO NOTHING",
    )
    .bind(id.to_string())
    .bind(u.team_id.to_string())
    .bind(u.name)
    .bind(u.email.trim().to_lowercase())
    .bind(u.role.as_str())
    .bind(u.password_hash)
    .bind(u.time_zone)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    if res.rows_affected() == 0 {
        return Err(AppError::Invalid(vec![crate::domain::validate::FieldError::new("email", "A user with this email already exists.")]));
    }
    Ok(id)
}

pub async fn create_user(db: &Db, u: NewUser<'_>) -> AppResult<User> {
    // Checked before the transaction: one that reads and then writes can be refused at once by SQLite
    // when another write commits in between. Teams are never deleted, so the answer stays true.
    let exists: Option<String> = sqlx::query_scalar("SELECT id FROM teams WHERE id = $1").bind(u.team_id.to_string()).fetch_optional(&db.pool).await?;
    let mut tx = db.pool.begin().await?;
    if exists.is_none() {
        return Err(AppError::Invalid(vec![crate::domain::validate::FieldError::new("team", "Choose an existing team.")]));
    }
    let id = insert_user(&mut tx, &u).await?;
    tx.commit().await?;
    db.people.set(None);
    get(db, id).await?.ok_or(AppError::NotFound)
}

pub async fn get(db: &Db, id: Uuid) -> AppResult<Option<User>> {
    let row = sqlx::query(&format!("SELECT {USER_COLS} WHERE u.id = $1")).bind(id.to_string()).fetch_optional(&db.pool).await?;
    row.as_ref().map(user_from).transpose()
}

/// The user and their password hash, for sign-in.
pub async fn find_for_sign_in(db: &Db, email: &str) -> AppResult<Option<(User, String)>> {
    let row = sqlx::query(&format!("SELECT {USER_COLS_HASH} WHERE u.email = $1 AND u.active = 1", USER_COLS_HASH = USER_COLS.replacen("u.time_zone", "u.time_zone, u.password_hash", 1)))
        .bind(email.trim().to_lowercase())
        .fetch_optional(&db.pool)
        .await?;
    match row {
        None => Ok(None),
        Some(r) => Ok(Some((user_from(&r)?, r.try_get("password_hash")?))),
    }
}

/// How long a process may show the active users it read last. Users are only ever added; another
/// process's newcomer shows up in owner choices after at most this long (this process's at once).
const PEOPLE_FRESH: std::time::Duration = std::time::Duration::from_secs(5);

/// The last read of the active users and when it was made.
#[derive(Debug, Default)]
pub struct Recent(std::sync::Mutex<Option<(std::time::Instant, std::sync::Arc<Vec<User>>)>>);

impl Recent {
    fn get(&self) -> Option<std::sync::Arc<Vec<User>>> {
        let kept = self.0.lock().ok()?;
        kept.as_ref().filter(|(at, _)| at.elapsed() < PEOPLE_FRESH).map(|(_, users)| users.clone())
    }
    fn set(&self, users: Option<std::sync::Arc<Vec<User>>>) {
        if let Ok(mut kept) = self.0.lock() {
            *kept = users.map(|u| (std::time::Instant::now(), u));
        }
    }
}

/// The active users for choices such as the owner filter, read at most every few seconds: every list page
/// shows them, and a query of its own is a tenth of that page's cost. Access checks never use this.
pub async fn people(db: &Db) -> AppResult<std::sync::Arc<Vec<User>>> {
    if let Some(users) = db.people.get() {
        return Ok(users);
    }
    let users = std::sync::Arc::new(list(db).await?);
    db.people.set(Some(users.clone()));
    Ok(users)
}

pub async fn list(db: &Db) -> AppResult<Vec<User>> {
    let rows = sqlx::query(&format!("SELECT {USER_COLS} WHERE u.active = 1 ORDER BY u.name")).fetch_all(&db.pool).await?;
    rows.iter().map(user_from).collect()
}

pub async fn find_team_by_name(db: &Db, name: &str) -> AppResult<Option<Team>> {
    let row = sqlx::query("SELECT id, name FROM teams WHERE name = $1").bind(name.trim()).fetch_optional(&db.pool).await?;
    row.map(|r| Ok(Team { id: uuid_col(&r, "id")?, name: r.try_get("name")? })).transpose()
}

pub async fn teams(db: &Db) -> AppResult<Vec<Team>> {
    let rows = sqlx::query("SELECT id, name FROM teams ORDER BY name").fetch_all(&db.pool).await?;
    rows.iter().map(|r| Ok(Team { id: uuid_col(r, "id")?, name: r.try_get("name")? })).collect()
}

pub async fn create_team(db: &Db, name: &str) -> AppResult<Team> {
    let id = Uuid::now_v7();
    let res = sqlx::query("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(id.to_string())
        .bind(name.trim())
        .bind(now_ms())
        .execute(&db.pool)
        .await?;
    if res.rows_affected() == 0 {
        return Err(AppError::Invalid(vec![crate::domain::validate::FieldError::new("name", "A team with this name already exists.")]));
    }
    Ok(Team { id, name: name.trim().to_string() })
}

// --- Sessions: the browser holds a random token; the database holds only its hash.

pub async fn create_session(db: &Db, token_hash: &str, user_id: Uuid, ttl_ms: i64) -> AppResult<()> {
    let now = now_ms();
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id.to_string())
        .bind(now)
        .bind(now + ttl_ms)
        .execute(&db.pool)
        .await?;
    Ok(())
}

#[derive(Clone, Debug)]
pub enum SessionLookup {
    Valid(User),
    Expired,
    Unknown,
}

pub async fn session_user(db: &Db, token_hash: &str) -> AppResult<SessionLookup> {
    let row = sqlx::query(&format!(
        "SELECT s.expires_at, {} JOIN sessions s ON s.user_id = u.id WHERE s.token_hash = $1 AND u.active = 1",
        USER_COLS
    ))
    .bind(token_hash)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else { return Ok(SessionLookup::Unknown) };
    let expires: i64 = row.try_get("expires_at")?;
    if expires <= now_ms() {
        delete_session(db, token_hash).await?;
        return Ok(SessionLookup::Expired);
    }
    Ok(SessionLookup::Valid(user_from(&row)?))
}

pub async fn delete_session(db: &Db, token_hash: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&db.pool).await?;
    Ok(())
}

/// Test and admin hook: end a session now (as if it had expired).
pub async fn expire_session(db: &Db, token_hash: &str) -> AppResult<()> {
    sqlx::query("UPDATE sessions SET expires_at = $1 WHERE token_hash = $2").bind(now_ms() - 1).bind(token_hash).execute(&db.pool).await?;
    Ok(())
}

// --- Sign-in throttle, kept in the database so that every server process sees the same count.

pub async fn failures(db: &Db, email: &str) -> AppResult<Option<(i64, i64)>> {
    let row = sqlx::query("SELECT failures, last_failure_at FROM login_throttle WHERE email = $1")
        .bind(email.trim().to_lowercase())
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| Ok((r.try_get("failures")?, r.try_get("last_failure_at")?))).transpose()
}

pub async fn record_failure(db: &Db, email: &str, failures: i64) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO login_throttle (email, failures, last_failure_at) VALUES ($1, $2, $3)
         ON CONFLICT (email) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at",
    )
    .bind(email.trim().to_lowercase())
    .bind(failures)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn clear_failures(db: &Db, email: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM login_throttle WHERE email = $1").bind(email.trim().to_lowercase()).execute(&db.pool).await?;
    Ok(())
}
