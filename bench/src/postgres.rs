//! The Postgres part, when `PROSPECTA_BENCH_POSTGRES_URL` or `PROSPECTA_TEST_POSTGRES_URL` is set: sync,
//! live fan-out across two server processes, qualify and timeline, each on a database this program creates
//! and drops. A failing measurement is reported and the others still run.

use crate::servers::{seed, serve};
use crate::stores::{measure, qualify, sync, timeline};
use crate::util::{say, thousands, wait_for, Server};
use crate::workspace::{mint_session, team_leads, MANAGER};
use crate::{live, Opts, Paths};
use anyhow::{Context, Result};
use sqlx::Connection;
use std::process::Stdio;
use std::time::Duration;

/// A database of its own on the server of `url`, dropped by `drop_db`.
struct Scratch {
    admin_url: String,
    name: String,
    url: String,
}

impl Scratch {
    async fn create(admin_url: &str) -> Result<Scratch> {
        let name = format!("prospecta_bench_{}", std::process::id());
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .context("a Postgres URL ends with /database")?;
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .with_context(|| format!("cannot connect to {admin_url}"))?;
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut conn)
            .await?;
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .with_context(|| format!("CREATE DATABASE {name}"))?;
        conn.close().await?;
        Ok(Scratch {
            admin_url: admin_url.to_string(),
            url: format!("{base}/{name}"),
            name,
        })
    }

    async fn drop_db(self) -> Result<()> {
        let mut conn = sqlx::PgConnection::connect(&self.admin_url).await?;
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {}", self.name))
            .execute(&mut conn)
            .await
            .with_context(|| format!("DROP DATABASE {}", self.name))?;
        conn.close().await?;
        Ok(())
    }
}

/// A measurement's failure, reported as the script's `|| true` did, without stopping the others.
fn report(r: Result<()>) {
    if let Err(e) = r {
        eprintln!("error: {e:#}");
    }
}

pub async fn run(opts: &Opts, paths: &Paths) -> Result<()> {
    let pg = std::env::var("PROSPECTA_BENCH_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| {
            std::env::var("PROSPECTA_TEST_POSTGRES_URL")
                .ok()
                .filter(|s| !s.is_empty())
        });
    let Some(pg) = pg else {
        println!("  (set PROSPECTA_BENCH_POSTGRES_URL=postgres://user:pass@host/db to measure Postgres too)");
        return Ok(());
    };

    say("offline sync on Postgres");
    let db = Scratch::create(&pg).await?;
    report(measure(paths, &db.url, &sync(opts)));
    db.drop_db().await?;

    say(&format!(
        "live timeline across two server processes on Postgres: {} streams on one, the post through the other",
        opts.listeners
    ));
    let db = Scratch::create(&pg).await?;
    report(live_two_servers(opts, paths, &db.url).await);
    db.drop_db().await?;

    say(&format!(
        "qualify {} leads against {} accounts and contacts, on Postgres",
        thousands(opts.qualify_leads),
        thousands(opts.qualify_existing)
    ));
    let db = Scratch::create(&pg).await?;
    report(measure(paths, &db.url, &qualify(opts)));
    db.drop_db().await?;

    say(&format!(
        "timeline of a lead with {} items, on Postgres",
        thousands(opts.timeline_items)
    ));
    let db = Scratch::create(&pg).await?;
    report(measure(paths, &db.url, &timeline(opts)));
    db.drop_db().await
}

async fn live_two_servers(opts: &Opts, paths: &Paths, url: &str) -> Result<()> {
    seed(paths, url, opts.pg_leads)?;
    let db = crate::open(url).await?;
    let (token, user) = mint_session(&db, MANAGER).await?;
    let (_, lead) = team_leads(&db, MANAGER).await?;
    let (a, b) = ("127.0.0.1:3201", "127.0.0.1:3202");
    let server_a = Server::start("server A", serve(paths, url, a).stdout(Stdio::null()))?;
    let server_b = Server::start("server B", serve(paths, url, b).stdout(Stdio::null()))?;
    let result = async {
        wait_for(
            &[&format!("http://{a}/healthz"), &format!("http://{b}/healthz")],
            None,
            100,
            Duration::from_millis(200),
        )?;
        live::run(&db, b, a, (&token, user), lead, opts.listeners).await
    }
    .await;
    server_a.stop();
    server_b.stop();
    db.pool.close().await;
    result
}
