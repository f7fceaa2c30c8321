//! The Prospecta server binary: `serve` (default), `migrate`, `user add`, `demo`, `finish-site`.

use app::domain::access::Role;
use app::store::{users, Db, DEFAULT_URL};
use clap::{Parser, Subcommand};
use prospecta_server::{demo, web};
use std::io::Read;

// glibc's allocator spent a tenth of the list benchmark in malloc/free across worker threads.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "prospecta", about = "Lead qualification CRM")]
struct Cli {
    /// sqlite://path/to/file.db (default) or postgres://user:pass@host/db
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_URL, global = true)]
    database_url: String,
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the app (address from LEPTOS_SITE_ADDR, default 127.0.0.1:3000).
    Serve,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// Load a demo workspace: a coffee-machine vendor with sellers, a manager, two teams and leads.
    Demo {
        /// How many leads to create.
        #[arg(long, default_value_t = 400)]
        leads: usize,
    },
    /// The last step of a release build: shorter chunk names in the split loader (see site.rs).
    FinishSite {
        /// The site's package folder.
        #[arg(long, env = "PROSPECTA_SITE_PKG", default_value = "target/site/pkg")]
        pkg: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add a user; the password is read from standard input.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// seller, manager or admin
        #[arg(long, default_value = "seller")]
        role: String,
        /// Team name (created when missing)
        #[arg(long, default_value = "Sales")]
        team: String,
    },
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    if let Err(e) = run(cli).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    if let Some(Cmd::FinishSite { pkg }) = &cli.cmd {
        let done = prospecta_server::site::finish(pkg)?;
        println!(
            "{}: {} chunks renamed; split loader {} -> {} bytes",
            pkg.display(),
            done.renamed,
            done.loader_before,
            done.loader_after
        );
        return Ok(());
    }
    let db = Db::open(&cli.database_url)
        .await
        .map_err(|e| format!("cannot open the database {}: {e}", cli.database_url))?;
    match cli.cmd.unwrap_or(Cmd::Serve) {
        Cmd::Serve => web::serve(db).await,
        Cmd::Migrate => {
            println!(
                "schema version {}",
                db.schema_version().await.map_err(|e| e.to_string())?
            );
            Ok(())
        }
        Cmd::User {
            cmd:
                UserCmd::Add {
                    name,
                    email,
                    role,
                    team,
                },
        } => {
            let role = Role::parse(&role).ok_or("role must be seller, manager or admin")?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .map_err(|e| e.to_string())?;
            let password = password.trim_end_matches(['\n', '\r']).to_string();
            app::api::auth::check_person(&name, &email, &password).map_err(|e| e.describe())?;
            if users::workspace_name(&db).await.map_err(|e| e.describe())?.is_none() {
                return Err("set up the workspace first (open the app, or run `prospecta demo`)".into());
            }
            let team = match users::find_team_by_name(&db, &team).await.map_err(|e| e.describe())? {
                Some(t) => t,
                None => users::create_team(&db, &team).await.map_err(|e| e.describe())?,
            };
            let hash = app::api::session::hash_password(&password).map_err(|e| e.describe())?;
            let u = users::create_user(
                &db,
                users::NewUser {
                    name: &name,
                    email: &email,
                    role,
                    team_id: team.id,
                    password_hash: &hash,
                    time_zone: "Europe/Madrid",
                },
            )
            .await
            .map_err(|e| e.describe())?;
            println!(
                "added {} <{}> as {} in team {}",
                u.name,
                u.email,
                u.role.as_str(),
                u.team_name
            );
            Ok(())
        }
        Cmd::Demo { leads } => demo::load(&db, leads).await,
        // Done above, before the database is opened: it works on files only.
        Cmd::FinishSite { .. } => Ok(()),
    }
}
