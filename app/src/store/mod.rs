//! Storage: one layer over SQLite and Postgres through sqlx's `Any` driver. SQL is written once with
//! `$n` placeholders (both engines accept them); the few dialect differences live in `sql::Engine`.

pub mod accounts;
pub mod contacts;
pub mod deal;
pub(crate) mod edit;
pub mod ids;
pub mod leads;
pub mod live;
pub mod opportunities;
pub mod processes;
pub mod records;
pub(crate) mod sql;
pub mod sync;
#[cfg(feature = "testing")]
pub mod testing;
pub mod timeline;
pub mod users;
pub(crate) mod working_set;
pub mod write;

use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use sql::Engine;

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub kind: Engine,
    /// The workspace name, once set up. It is written once at first start and never renamed, so every
    /// process may keep it; until set up, each call asks the database.
    workspace_name: std::sync::Arc<std::sync::OnceLock<String>>,
    /// The active users, briefly kept for the owner choices (see `users::people`).
    people: std::sync::Arc<users::Recent>,
    /// Lead filters lately seen matching more leads than a list counts (see `leads::OverCap`).
    over_cap: std::sync::Arc<leads::OverCap>,
    /// Live updates for the people with a lead open (see `live`).
    pub live: live::Live,
}

pub const DEFAULT_URL: &str = "sqlite://data/prospecta.db";

impl Db {
    /// Connects and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Db, sqlx::Error> {
        let db = Self::connect(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        install_default_drivers();
        let kind = if url.starts_with("postgres") {
            Engine::Postgres
        } else {
            Engine::Sqlite
        };
        let mut url = url.to_string();
        if kind == Engine::Sqlite {
            let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap_or("");
            if let Some(dir) = std::path::Path::new(path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir)
                    .map_err(|e| sqlx::Error::Configuration(format!("cannot create {}: {e}", dir.display()).into()))?;
            }
            if !url.contains("mode=") {
                url.push_str(if url.contains('?') { "&mode=rwc" } else { "?mode=rwc" });
            }
        }
        // SQLite serves reads from a few threads best; Postgres gains from more parallel sessions.
        let default_size = if kind == Engine::Sqlite { 4 } else { 16 };
        let size = std::env::var("PROSPECTA_DB_CONNECTIONS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|n| *n > 0)
            .unwrap_or(default_size);
        let pool = AnyPoolOptions::new()
            .max_connections(size)
            // A ping before each use guards against a dropped network connection; an SQLite connection is
            // in this process and cannot drop, and the ping is one more thread round trip per query.
            .test_before_acquire(kind == Engine::Postgres)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if kind == Engine::Sqlite {
                        // WAL lets readers work while one writer commits; writers wait instead of failing.
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;").await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        Ok(Db {
            pool,
            kind,
            workspace_name: Default::default(),
            people: Default::default(),
            over_cap: Default::default(),
            live: live::Live::new(&url),
        })
    }

    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        sqlx::migrate!("../migrations").run(&self.pool).await?;
        processes::ensure_shipped(self)
            .await
            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        Ok(())
    }

    pub async fn schema_version(&self) -> Result<i64, sqlx::Error> {
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&self.pool)
            .await?;
        Ok(v.unwrap_or(0))
    }
}

/// Text for a LIKE pattern with its wildcards taken literally (escape character `\\`, `ESCAPE '\\'`).
pub(crate) fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
