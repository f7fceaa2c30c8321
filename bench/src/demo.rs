//! The part on the demo workspace (SQLite): seeded through the product's `demo`, a session minted with the
//! store, the release server and the baseline started, then the list, the files, the browser figures,
//! callgrind and the live fan-out measured against them.

use crate::servers::{baseline, seed, serve, APP, BASELINE};
use crate::util::{say, thousands, wait_for, Server, TempDir};
use crate::workspace::{mint_session, team_leads, MANAGER};
use crate::{browser, callgrind, list, live, Opts, Paths};
use anyhow::Result;
use std::process::Stdio;
use std::time::{Duration, Instant};

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
