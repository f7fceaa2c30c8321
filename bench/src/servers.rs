//! The processes the bench starts: the product binary (serving, seeding) and this program's baseline handler,
//! with the addresses they listen on. Every measurement module starts them from here.

use crate::Paths;
use anyhow::Result;
use std::process::{Command, Stdio};

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
