//! What a phone downloads and Lighthouse: `end2end/bench.mjs` against the running release server.

use crate::servers::APP;
use crate::util::{run, say};
use crate::Paths;
use anyhow::Result;
use std::process::Command;
use uuid::Uuid;

fn node(paths: &Paths, args: &[&str]) -> Command {
    let mut cmd = Command::new("node");
    cmd.arg("bench.mjs").args(args).current_dir(paths.root.join("end2end"));
    cmd
}

pub fn transfer(paths: &Paths, token: &str, lead: Uuid) -> Result<()> {
    say("what a phone downloads (Chromium through a byte-counting relay to the running release server)");
    run(&mut node(paths, &["transfer", APP, token, &format!("/leads/{lead}")]))
}

/// Lighthouse; a failure is reported in the table, not fatal (as before).
pub fn lighthouse(paths: &Paths, token: &str, lead: Uuid, leads: usize) {
    say(&format!(
        "Lighthouse, mobile profile, signed in as the manager (release build, {} leads)",
        crate::util::thousands(leads)
    ));
    if run(&mut node(
        paths,
        &["lighthouse", APP, token, "/leads", &format!("/leads/{lead}")],
    ))
    .is_err()
    {
        println!("  (lighthouse failed)");
    }
}
