//! The release build (as `./run bench` always built it) and the short Chromium smoke test of it.

use crate::util::{run, say};
use crate::Paths;
use anyhow::Result;
use std::process::Command;

/// Erased component types: a smaller wasm (measured 391 -> 331 KB brotli); server and browser must agree.
pub const RUSTFLAGS: &str = "--cfg erase_components";

/// A release as it is made: cargo-leptos, then the server's `finish-site` (shorter chunk names in the split
/// loader, which every first visit downloads).
pub fn build(paths: &Paths) -> Result<()> {
    say("release build (browser files hashed, with brotli and gzip twins)");
    run(Command::new("cargo")
        .args(["leptos", "build", "--release", "--split", "--precompress"])
        .env("RUSTFLAGS", RUSTFLAGS)
        .current_dir(&paths.root))?;
    run(Command::new(&paths.bin)
        .arg("finish-site")
        .arg("--pkg")
        .arg(paths.site_root.join("pkg"))
        .current_dir(&paths.root))
}

pub fn smoke(paths: &Paths) -> Result<()> {
    say("the release build works in Chromium (first start, then offline)");
    run(Command::new("npx")
        .args([
            "playwright",
            "test",
            "--project",
            "desktop-setup",
            "--project",
            "desktop",
            "-g",
            "first start|the admin adds|offline: the app|new release",
            "--reporter=line",
        ])
        .env("PROSPECTA_BIN", &paths.bin)
        .env("LEPTOS_SITE_ROOT", &paths.site_root)
        .current_dir(paths.root.join("end2end")))
}
