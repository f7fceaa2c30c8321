//! What the storage and sync suites share: a fresh database per test (SQLite, and Postgres when
//! PROSPECTA_TEST_POSTGRES_URL names a server), a small workspace, and mutation helpers.
#![allow(dead_code)]

use app::domain::access::{Actor, Role};
use app::domain::mutation::{FieldChange, Mutation, Op};
use app::store::write::save;
use app::store::{users, Db};
use std::collections::BTreeMap;
use uuid::Uuid;

pub struct World {
    pub db: Db,
    pub admin: Actor,
    pub manager: Actor,
    pub ana: Actor,
    pub luis: Actor,
    /// A seller in the other team.
    pub otto: Actor,
}

/// What a test database leaves behind, removed once the test has passed (a failed test keeps it to look at).
pub enum Scratch {
    Dir(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Scratch {
    pub async fn remove(self, db: Db) {
        db.pool.close().await;
        match self {
            Scratch::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Scratch::Postgres { admin_url, name } => {
                let admin = Db::connect(&admin_url).await.expect("connect to postgres");
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&admin.pool)
                    .await;
                admin.pool.close().await;
            }
        }
    }
}

pub async fn sqlite_db() -> (Db, Scratch) {
    let dir = std::env::temp_dir().join(format!("prospecta-test-{}", Uuid::now_v7()));
    let db = Db::open(&format!("sqlite://{}/t.db", dir.display()))
        .await
        .expect("open sqlite");
    (db, Scratch::Dir(dir))
}

pub async fn postgres_db() -> Option<(Db, Scratch)> {
    let base = std::env::var("PROSPECTA_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let admin = Db::connect(&base).await.expect("connect to postgres");
    let name = format!("prospecta_test_{}", Uuid::now_v7().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin.pool)
        .await
        .expect("create database");
    admin.pool.close().await;
    let (prefix, _) = base.rsplit_once('/').expect("postgres url with a database name");
    let db = Db::open(&format!("{prefix}/{name}"))
        .await
        .expect("open postgres test database");
    Some((db, Scratch::Postgres { admin_url: base, name }))
}

pub async fn world(db: Db) -> World {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let new = |name: &'static str, role: Role, team_id: Uuid| users::NewUser {
        name,
        email: Box::leak(format!("{}@t.example", name.to_lowercase()).into_boxed_str()),
        role,
        team_id,
        password_hash: "x",
        time_zone: "Europe/Madrid",
    };
    let admin = users::create_workspace(&db, "Test", new("Admin", Role::Admin, Uuid::nil()))
        .await
        .unwrap();
    let team_a = admin.team_id;
    let team_b = users::create_team(&db, "Export").await.unwrap().id;
    let manager = users::create_user(&db, new("Manager", Role::Manager, team_a))
        .await
        .unwrap();
    let ana = users::create_user(&db, new("Ana", Role::Seller, team_a)).await.unwrap();
    let luis = users::create_user(&db, new("Luis", Role::Seller, team_a))
        .await
        .unwrap();
    let otto = users::create_user(&db, new("Otto", Role::Seller, team_b))
        .await
        .unwrap();
    World {
        db,
        admin: admin.actor(),
        manager: manager.actor(),
        ana: ana.actor(),
        luis: luis.actor(),
        otto: otto.actor(),
    }
}

pub fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

pub fn create_m(extra: &[(&str, &str)]) -> Mutation {
    let id = Uuid::now_v7();
    let mut f = fields(&[
        ("topic", "Espresso machines"),
        ("last_name", "García"),
        ("company_name", "Café Central"),
    ]);
    f.extend(fields(extra));
    Mutation {
        entity: Default::default(),
        client_id: Uuid::now_v7(),
        seq: 1,
        record_id: id,
        op: Op::Create { fields: f },
    }
}

pub fn update_m(record: Uuid, client: Uuid, seq: i64, changes: &[(&str, &str, i64)]) -> Mutation {
    let changes = changes
        .iter()
        .map(|(f, v, b)| FieldChange {
            field: f.to_string(),
            value: v.to_string(),
            base_version: *b,
        })
        .collect();
    Mutation {
        entity: Default::default(),
        client_id: client,
        seq,
        record_id: record,
        op: Op::Update { changes },
    }
}

pub async fn create(w: &World, who: &Actor, extra: &[(&str, &str)]) -> Uuid {
    let m = create_m(extra);
    save(&w.db, who, &m).await.expect("create lead");
    m.record_id
}

#[macro_export]
macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (db, scratch) = super::sqlite_db().await;
                super::$name(super::world(db.clone()).await).await;
                scratch.remove(db).await;
            })*
        }
        mod on_postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                match super::postgres_db().await {
                    Some((db, scratch)) => {
                        super::$name(super::world(db.clone()).await).await;
                        scratch.remove(db).await;
                    }
                    None => eprintln!("PROSPECTA_TEST_POSTGRES_URL is not set: Postgres run skipped"),
                }
            })*
        }
    };
}
