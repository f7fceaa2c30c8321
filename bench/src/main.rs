//! `prospecta-bench`: the figures `./run bench` prints. `all` runs everything in order (release build,
//! browser smoke, demo seeding, list throughput against the hand-written baseline, file sizes, what a phone
//! downloads, Lighthouse, callgrind, live fan-out, timeline, qualify, sync; Postgres too when a URL is set).
//! The other subcommands are the parts it starts as processes of their own, each on an empty database.

mod baseline;
mod browser;
mod callgrind;
mod demo;
mod list;
mod live;
mod postgres;
mod qualify;
mod release;
mod servers;
mod stores;
mod sync;
mod timeline;
mod util;
mod workspace;

use anyhow::{Context, Result};
use app::store::Db;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

// As the product binary: the baseline must run with the same allocator as the app it is compared with.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "prospecta-bench", about = "Prospecta's benchmark (./run bench)")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Everything, in order, printing the table.
    All(Opts),
    /// Serve the lead list from a minimal hand-written handler (the baseline the app is compared with).
    Baseline {
        #[arg(long, default_value = "127.0.0.1:3300")]
        addr: String,
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
    /// Offline sync push and pull figures, on an empty database.
    Sync {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long, default_value_t = 10_000)]
        mutations: usize,
    },
    /// Opening and paging a long timeline, on an empty database.
    Timeline {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long, default_value_t = 10_000)]
        items: usize,
    },
    /// Qualifying leads one after the other against existing accounts and contacts, on an empty database.
    Qualify {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long, default_value_t = 100_000)]
        existing: usize,
        #[arg(long, default_value_t = 1_000)]
        leads: usize,
    },
}

/// What `all` measures, and how much of it.
#[derive(Args, Clone, Debug)]
pub struct Opts {
    /// A short run against the binaries already built (e.g. debug ones): no release build, no browser
    /// parts, 300 leads, one 1-second round, small sizes elsewhere (add --no-callgrind to skip callgrind).
    #[arg(long)]
    pub quick: bool,
    /// Skip the release build (use the binaries beside this program, or --bin).
    #[arg(long)]
    pub no_build: bool,
    /// Skip the Chromium smoke test, what a phone downloads and Lighthouse.
    #[arg(long)]
    pub no_browser: bool,
    /// Skip the instruction counts under callgrind.
    #[arg(long)]
    pub no_callgrind: bool,
    /// The product binary (default: `prospecta` beside this program).
    #[arg(long)]
    pub bin: Option<PathBuf>,
    /// Leads in the demo workspace.
    #[arg(long, default_value_t = 100_000)]
    pub leads: usize,
    /// Rounds of app and baseline taking turns on the lead list.
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// Seconds of each measured wrk run.
    #[arg(long, default_value_t = 5)]
    pub secs: u32,
    /// Open event streams for the live fan-out.
    #[arg(long, default_value_t = 200)]
    pub listeners: usize,
    /// Timeline items of the long timeline.
    #[arg(long, default_value_t = 10_000)]
    pub timeline_items: usize,
    /// Existing accounts (and as many contacts) the qualify checks against.
    #[arg(long, default_value_t = 100_000)]
    pub qualify_existing: usize,
    /// Leads qualified.
    #[arg(long, default_value_t = 1_000)]
    pub qualify_leads: usize,
    /// Queued mutations pushed (and leads pulled) by the sync figures.
    #[arg(long, default_value_t = 10_000)]
    pub sync_mutations: usize,
    /// Leads of the Postgres demo for the two-process live fan-out.
    #[arg(long, default_value_t = 1_000)]
    pub pg_leads: usize,
}

impl Opts {
    fn settle(mut self) -> Opts {
        if self.quick {
            self.no_build = true;
            self.no_browser = true;
            self.leads = 300;
            self.rounds = 1;
            self.secs = 1;
            self.listeners = 20;
            self.timeline_items = 500;
            self.qualify_existing = 1_000;
            self.qualify_leads = 50;
            self.sync_mutations = 500;
            self.pg_leads = 100;
        }
        self
    }
}

/// Where things are: the workspace, the product binary, this program, the site.
pub struct Paths {
    pub root: PathBuf,
    pub bin: PathBuf,
    pub me: PathBuf,
    pub site_root: PathBuf,
}

impl Paths {
    fn find(opts: &Opts) -> Result<Paths> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("the workspace directory")?
            .to_path_buf();
        let me = std::env::current_exe().context("this program's path")?;
        let bin = match &opts.bin {
            Some(b) => b.clone(),
            None => me.with_file_name("prospecta"),
        };
        let site_root = root.join("target/site");
        Ok(Paths {
            root,
            bin,
            me,
            site_root,
        })
    }
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn,sqlx::query=error".into()),
        )
        .init();
    let cli = Cli::parse();
    let result = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt.block_on(run(cli)),
        Err(e) => Err(e.into()),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn open(url: &str) -> Result<Db> {
    Db::open(url)
        .await
        .with_context(|| format!("cannot open the database {url}"))
}

async fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::All(opts) => {
            let opts = opts.settle();
            let paths = Paths::find(&opts)?;
            all(&opts, &paths).await
        }
        Cmd::Baseline { addr, database_url } => baseline::serve(open(&database_url).await?, &addr).await,
        Cmd::Sync {
            database_url,
            mutations,
        } => sync::run(open(&database_url).await?, mutations).await,
        Cmd::Timeline { database_url, items } => timeline::run(open(&database_url).await?, items).await,
        Cmd::Qualify {
            database_url,
            existing,
            leads,
        } => qualify::run(open(&database_url).await?, existing, leads).await,
    }
}

/// The whole table, in the order `./run bench` has always printed it.
async fn all(opts: &Opts, paths: &Paths) -> Result<()> {
    if !opts.no_build {
        release::build(paths)?;
    }
    if !opts.no_browser {
        release::smoke(paths)?;
    }
    if !paths.bin.exists() {
        anyhow::bail!("no product binary at {} (build it, or give --bin)", paths.bin.display());
    }
    demo::run(opts, paths).await?;
    stores::sqlite(opts, paths)?;
    postgres::run(opts, paths).await
}
