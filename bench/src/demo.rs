//! The part on the demo workspace (SQLite): seeded through the product's `demo`, a session minted with the
//! store, the release server and the baseline started, then the list, the files, the browser figures,
//! callgrind and the live fan-out measured against them.

use crate::util::{say, thousands, wait_for, Server, TempDir};
use crate::workspace::{mint_session, team_leads, MANAGER};
use crate::{browser, callgrind, list, live, Opts, Paths};
use anyhow::Result;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const APP: &str = "127.0.0.1:3200";
pub const BASELINE: &str = "127.0.0.1:3300";
/// The site's name (Cargo.toml's `[[workspace.metadata.leptos]] name`), which cargo-leptos bakes into the
/// binaries it builds; given to every process, so that a binary cargo-leptos did not build (this program,
/// a debug server) finds the same files and says nothing about it.
pub const OUTPUT_NAME: &str = "prospecta";

/// The product binary serving the release site on `addr` from `database_url`.
pub fn serve(paths: &Paths, database_url: &str, addr: &str) -> Command {
    let mut cmd = Command::new(&paths.bin);
    cmd.arg("serve")
        .env("DATABASE_URL", database_url)
        .env("LEPTOS_SITE_ADDR", addr)
        .env("LEPTOS_SITE_ROOT", &paths.site_root)
        .env("LEPTOS_ENV", "PROD")
        .env("LEPTOS_OUTPUT_NAME", OUTPUT_NAME)
        .env("RUST_LOG", "warn");
    cmd
}

/// This program's baseline handler on `addr`.
pub fn baseline(paths: &Paths, database_url: &str, addr: &str) -> Command {
    let mut cmd = Command::new(&paths.me);
    cmd.args(["baseline", "--addr", addr])
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn");
    cmd
}

/// `prospecta demo --leads n` on `database_url` (the product's own seeding).
pub fn seed(paths: &Paths, database_url: &str, leads: usize) -> Result<()> {
    crate::util::run(
        Command::new(&paths.bin)
            .args(["demo", "--leads", &leads.to_string()])
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null()),
    )
}

pub async fn run(opts: &Opts, paths: &Paths) -> Result<()> {
    let dir = TempDir::new("demo")?;
    let url = dir.sqlite_url("bench.db");
    say(&format!("seeding {} leads (demo workspace)", thousands(opts.leads)));
    let t0 = Instant::now();
    seed(paths, &url, opts.leads)?;
    println!("  seeded in {} s", t0.elapsed().as_secs());
    // A session for the manager of the larger team, minted by the store.
    let db = crate::open(&url).await?;
    let (token, user) = mint_session(&db, MANAGER).await?;
    let (visible, lead) = team_leads(&db, MANAGER).await?;
    let app = Server::start("the app server", serve(paths, &url, APP).stdout(Stdio::null()))?;
    let base = Server::start("the baseline", baseline(paths, &url, BASELINE).stdout(Stdio::null()))?;
    wait_for(
        &[&format!("http://{APP}/healthz")],
        None,
        100,
        Duration::from_millis(200),
    )?;
    wait_for(
        &[&format!("http://{BASELINE}/leads")],
        Some(&token),
        100,
        Duration::from_millis(200),
    )?;

    list::throughput(opts, &token, visible)?;
    list::memory(&app)?;
    list::files(&token)?;
    if !opts.no_browser {
        browser::transfer(paths, &token, lead)?;
        browser::lighthouse(paths, &token, lead, opts.leads);
    }
    if !opts.no_callgrind {
        callgrind::run_all(paths, &url, &token)?;
    }
    say(&format!(
        "live timeline: one post, {} browsers with the lead open (server-sent events, SQLite, one process)",
        opts.listeners
    ));
    live::run(&db, APP, APP, (&token, user), lead, opts.listeners).await?;
    app.stop();
    base.stop();
    db.pool.close().await;
    Ok(())
}
