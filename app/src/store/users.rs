//! Workspace, teams, users, sessions and the sign-in throttle.

use super::sql::uuid_col;
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
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM workspace WHERE id = 1")
        .fetch_optional(&db.pool)
        .await?;
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
        return Err(AppError::BadRequest(
            "This workspace has already been set up. Please sign in.".into(),
        ));
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
        return Err(AppError::Invalid(vec![crate::domain::validate::FieldError::new(
            "email",
            "A user with this email already exists.",
        )]));
    }
    Ok(id)
}

pub async fn create_user(db: &Db, u: NewUser<'_>) -> AppResult<User> {
    // Checked before the transaction: one that reads and then writes can be refused at once by SQLite
    // when another write commits in between. Teams are never deleted, so the answer stays true.
    let exists: Option<String> = sqlx::query_scalar("SELECT id FROM teams WHERE id = $1")
        .bind(u.team_id.to_string())
        .fetch_optional(&db.pool)
        .await?;
    let mut tx = db.pool.begin().await?;
    if exists.is_none() {
        return Err(AppError::Invalid(vec![crate::domain::validate::FieldError::new(
            "team",
            "Choose an existing team.",
        )]));
    }
    let id = insert_user(&mut tx, &u).await?;
    tx.commit().await?;
    db.people.set(None);
    get(db, id).await?.ok_or(AppError::NotFound)
}

pub async fn get(db: &Db, id: Uuid) -> AppResult<Option<User>> {
    let row = sqlx::query(&format!("SELECT {USER_COLS} WHERE u.id = $1"))
        .bind(id.to_string())
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(user_from).transpose()
}

/// The user, their password hash and whether they are active, for sign-in.
pub async fn find_for_sign_in(db: &Db, email: &str) -> AppResult<Option<(User, String, bool)>> {
    let row = sqlx::query(&format!(
        "SELECT u.active, u.password_hash, {USER_COLS} WHERE u.email = $1"
    ))
    .bind(email.trim().to_lowercase())
    .fetch_optional(&db.pool)
    .await?;
    match row {
        None => Ok(None),
        Some(r) => Ok(Some((
            user_from(&r)?,
            r.try_get("password_hash")?,
            r.try_get::<i64, _>("active")? != 0,
        ))),
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
        kept.as_ref()
            .filter(|(at, _)| at.elapsed() < PEOPLE_FRESH)
            .map(|(_, users)| users.clone())
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
    let rows = sqlx::query(&format!("SELECT {USER_COLS} WHERE u.active = 1 ORDER BY u.name"))
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(user_from).collect()
}

pub async fn find_team_by_name(db: &Db, name: &str) -> AppResult<Option<Team>> {
    let row = sqlx::query("SELECT id, name FROM teams WHERE name = $1")
        .bind(name.trim())
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| {
        Ok(Team {
            id: uuid_col(&r, "id")?,
            name: r.try_get("name")?,
        })
    })
    .transpose()
}

pub async fn teams(db: &Db) -> AppResult<Vec<Team>> {
    let rows = sqlx::query("SELECT id, name FROM teams ORDER BY name")
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Team {
                id: uuid_col(r, "id")?,
                name: r.try_get("name")?,
            })
        })
        .collect()
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
        return Err(AppError::Invalid(vec![crate::domain::validate::FieldError::new(
            "name",
            "A team with this name already exists.",
        )]));
    }
    Ok(Team {
        id,
        name: name.trim().to_string(),
    })
}

// --- Sessions: the browser holds a random token; the database holds only its hash.

/// A session's last use is written at most this often: each request would otherwise be a write.
const TOUCH_EVERY_MS: i64 = 60_000;

pub async fn create_session(db: &Db, token_hash: &str, user_id: Uuid, ttl_ms: i64) -> AppResult<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $3)",
    )
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
    /// Past its absolute end, or unused for longer than the idle limit.
    Expired,
    /// The person's account was deactivated by an admin (or the session ended with it).
    Deactivated,
    Unknown,
}

/// The session's user, if the session is alive: not past its end, used within `idle_ms`, not ended, and
/// its person active. `touch` records this as use.
pub async fn session_user(db: &Db, token_hash: &str, idle_ms: i64, touch: bool) -> AppResult<SessionLookup> {
    let row = sqlx::query(&format!("SELECT s.expires_at, s.last_seen_at, s.ended, u.active, {} JOIN sessions s ON s.user_id = u.id WHERE s.token_hash = $1", USER_COLS))
        .bind(token_hash)
        .fetch_optional(&db.pool)
        .await?;
    let Some(row) = row else {
        return Ok(SessionLookup::Unknown);
    };
    // Sessions that end on purpose are deleted; one that ended with its person's account keeps the reason.
    let ended: String = row.try_get("ended")?;
    if row.try_get::<i64, _>("active")? == 0 || !ended.is_empty() {
        return Ok(SessionLookup::Deactivated);
    }
    let now = now_ms();
    let (expires, last_seen): (i64, i64) = (row.try_get("expires_at")?, row.try_get("last_seen_at")?);
    if expires <= now || now - last_seen > idle_ms {
        delete_session(db, token_hash).await?;
        return Ok(SessionLookup::Expired);
    }
    if touch && now - last_seen > TOUCH_EVERY_MS {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(token_hash)
            .execute(&db.pool)
            .await?;
    }
    Ok(SessionLookup::Valid(user_from(&row)?))
}

pub async fn delete_session(db: &Db, token_hash: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Test and admin hook: end a session now (as if it had expired).
pub async fn expire_session(db: &Db, token_hash: &str) -> AppResult<()> {
    sqlx::query("UPDATE sessions SET expires_at = $1 WHERE token_hash = $2")
        .bind(now_ms() - 1)
        .bind(token_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Test hook: the session was last used `ms` ago.
pub async fn age_session(db: &Db, token_hash: &str, ms: i64) -> AppResult<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
        .bind(now_ms() - ms)
        .bind(token_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// How many live sessions a person has (tests).
pub async fn session_count(db: &Db, user_id: Uuid) -> AppResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND ended = '' AND expires_at > $2")
            .bind(user_id.to_string())
            .bind(now_ms())
            .fetch_one(&db.pool)
            .await?,
    )
}

const DEACTIVATED: &str = "deactivated";

/// Ends every session of a person but `keep` (the hash of the one in use, when they stay signed in there),
/// and tells their open live streams to check again.
pub async fn end_sessions(db: &Db, user_id: Uuid, keep: Option<&str>) -> AppResult<()> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user_id.to_string())
        .bind(keep.unwrap_or(""))
        .execute(&mut *tx)
        .await?;
    let news = [super::live::LiveEvent::Sessions { user_id }];
    super::live::announce(&mut tx, db.kind, &news).await?;
    tx.commit().await?;
    super::live::committed(db, &news);
    Ok(())
}

/// Forgets sessions past their end and sign-in failures older than their window.
pub async fn purge(db: &Db, now: i64) -> AppResult<u64> {
    let mut n = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&db.pool)
        .await?
        .rows_affected();
    n += sqlx::query("DELETE FROM sign_in_throttle WHERE last_failure_at < $1")
        .bind(now - crate::domain::sign_in::WINDOW_MS)
        .execute(&db.pool)
        .await?
        .rows_affected();
    Ok(n)
}

// --- People's accounts, kept by admins.

/// Every user, the deactivated too, each with whether they are active (the admin's list).
pub async fn all(db: &Db) -> AppResult<Vec<(User, bool)>> {
    let rows = sqlx::query(&format!("SELECT u.active, {USER_COLS} ORDER BY u.active DESC, u.name"))
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| Ok((user_from(r)?, r.try_get::<i64, _>("active")? != 0)))
        .collect()
}

/// Deactivates a person (their sessions end at once, and say why) or makes them active again. An admin
/// cannot deactivate themselves, nor the last active admin.
pub async fn set_active(db: &Db, admin: &crate::domain::access::Actor, user_id: Uuid, active: bool) -> AppResult<()> {
    if !crate::domain::access::can_manage_users(admin) {
        return Err(AppError::Forbidden);
    }
    if !active && user_id == admin.user_id {
        return Err(AppError::BadRequest("You cannot deactivate your own account.".into()));
    }
    let mut tx = db.pool.begin().await?;
    let n = sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
        .bind(active as i64)
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound);
    }
    let admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = 1")
        .fetch_one(&mut *tx)
        .await?;
    if admins == 0 {
        return Err(AppError::BadRequest(
            "The workspace needs at least one active admin.".into(),
        ));
    }
    let mut news = Vec::new();
    if active {
        // The sessions that ended with the account stay ended: their person signs in again.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND ended <> ''")
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query("UPDATE sessions SET ended = $1 WHERE user_id = $2")
            .bind(DEACTIVATED)
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await?;
        news.push(super::live::LiveEvent::Sessions { user_id });
        super::live::announce(&mut tx, db.kind, &news).await?;
    }
    tx.commit().await?;
    super::live::committed(db, &news);
    db.people.set(None);
    Ok(())
}

/// Stores a new password hash (the caller ends the sessions that must end).
pub async fn set_password_hash(db: &Db, user_id: Uuid, hash: &str) -> AppResult<()> {
    let n = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id.to_string())
        .execute(&db.pool)
        .await?
        .rows_affected();
    if n == 0 {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}

/// The password hash of a person, for checking their current password.
pub async fn password_hash(db: &Db, user_id: Uuid) -> AppResult<String> {
    sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(user_id.to_string())
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)
}

// --- Sign-in throttle, kept in the database so that every server process sees the same count.

/// Counts one sign-in try against each key before the password is checked, all keys or none: Err(seconds
/// to wait) when any key must wait first (then nothing is counted). The keys' rows are locked in a fixed
/// order for the transaction, so tries sent at once are counted one after the other, never as one.
pub async fn reserve_sign_in(
    db: &Db,
    keys: &[(String, crate::domain::sign_in::Limit)],
    now: i64,
) -> AppResult<Result<(), i64>> {
    let mut keys: Vec<&(String, crate::domain::sign_in::Limit)> = keys.iter().collect();
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    let mut tx = db.pool.begin().await?;
    let lock = if db.kind == super::Engine::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let mut counts = Vec::with_capacity(keys.len());
    for (key, limit) in &keys {
        // A write first: it creates the row to lock, and on SQLite takes the write lock for the transaction.
        sqlx::query("INSERT INTO sign_in_throttle (key, failures, last_failure_at) VALUES ($1, 0, 0) ON CONFLICT (key) DO NOTHING").bind(key).execute(&mut *tx).await?;
        let row = sqlx::query(&format!(
            "SELECT failures, last_failure_at FROM sign_in_throttle WHERE key = $1{lock}"
        ))
        .bind(key)
        .fetch_one(&mut *tx)
        .await?;
        let (failures, last): (i64, i64) = (row.try_get("failures")?, row.try_get("last_failure_at")?);
        if let Some(wait) = limit.wait_seconds(failures, last, now) {
            tx.rollback().await?;
            return Ok(Err(wait));
        }
        counts.push(limit.live_failures(failures, last, now) + 1);
    }
    for ((key, _), n) in keys.iter().zip(counts) {
        sqlx::query("UPDATE sign_in_throttle SET failures = $1, last_failure_at = $2 WHERE key = $3")
            .bind(n)
            .bind(now)
            .bind(key)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(Ok(()))
}

/// The password was right: the person's failures are forgotten, and the address is given back its try.
pub async fn sign_in_succeeded(db: &Db, email_key: &str, address_key: Option<&str>) -> AppResult<()> {
    sqlx::query("DELETE FROM sign_in_throttle WHERE key = $1")
        .bind(email_key)
        .execute(&db.pool)
        .await?;
    if let Some(a) = address_key {
        sqlx::query("UPDATE sign_in_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0")
            .bind(a)
            .execute(&db.pool)
            .await?;
    }
    Ok(())
}

/// A key's count of failures as stored (tests).
pub async fn throttle_failures(db: &Db, key: &str) -> AppResult<i64> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT failures FROM sign_in_throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(&db.pool)
            .await?
            .unwrap_or(0),
    )
}
