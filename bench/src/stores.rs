//! The store-level measurements, each a process of this program on an empty database of its own: timeline,
//! qualify and sync on SQLite (Postgres: see `postgres`).

use crate::util::{run, say, thousands, TempDir};
use crate::{Opts, Paths};
use anyhow::Result;
use std::process::Command;

/// `prospecta-bench <measurement> <args>` on `database_url`.
pub fn measure(paths: &Paths, database_url: &str, args: &[String]) -> Result<()> {
    run(Command::new(&paths.me)
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("LEPTOS_SITE_ROOT", &paths.site_root)
        .env("LEPTOS_OUTPUT_NAME", crate::servers::OUTPUT_NAME)
        .env("RUST_LOG", "warn"))
}

pub fn timeline(opts: &Opts) -> Vec<String> {
    vec!["timeline".into(), "--items".into(), opts.timeline_items.to_string()]
}

pub fn qualify(opts: &Opts) -> Vec<String> {
    vec![
        "qualify".into(),
        "--existing".into(),
        opts.qualify_existing.to_string(),
        "--leads".into(),
        opts.qualify_leads.to_string(),
    ]
}

pub fn sync(opts: &Opts) -> Vec<String> {
    vec!["sync".into(), "--mutations".into(), opts.sync_mutations.to_string()]
}

pub fn sqlite(opts: &Opts, paths: &Paths) -> Result<()> {
    say(&format!(
        "timeline of a lead with {} items, on SQLite",
        thousands(opts.timeline_items)
    ));
    let dir = TempDir::new("timeline")?;
    measure(paths, &dir.sqlite_url("timeline.db"), &timeline(opts))?;
    drop(dir);

    say(&format!(
        "qualify {} leads one after the other, duplicate checks against {} accounts and contacts, on SQLite",
        thousands(opts.qualify_leads),
        thousands(opts.qualify_existing)
    ));
    let dir = TempDir::new("qualify")?;
    measure(paths, &dir.sqlite_url("qualify.db"), &qualify(opts))?;
    drop(dir);

    say(&format!(
        "offline sync on SQLite: {} queued mutations pushed, {} leads pulled",
        thousands(opts.sync_mutations),
        thousands(opts.sync_mutations)
    ));
    let dir = TempDir::new("sync")?;
    measure(paths, &dir.sqlite_url("sync.db"), &sync(opts))?;
    Ok(())
}
