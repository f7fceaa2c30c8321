//! Instructions per lead list request: each server runs under valgrind's callgrind, warmed up by 20
//! requests, then counts 50 on one kept-alive connection. Instructions do not drift with the machine's speed.

use crate::servers::{baseline, serve};
use crate::util::{curl, run, say, wait_for, Server};
use crate::Paths;
use anyhow::{Context, Result};
use std::process::{Command, Stdio};
use std::time::Duration;

pub fn run_all(paths: &Paths, database_url: &str, token: &str) -> Result<()> {
    say("instructions per lead list request (callgrind, 50 requests on one connection)");
    let dir = crate::util::TempDir::new("callgrind")?;
    let mut counts = Vec::new();
    for (who, port) in [("baseline", 3301), ("app", 3201)] {
        let addr = format!("127.0.0.1:{port}");
        let inner = if who == "app" {
            serve(paths, database_url, &addr)
        } else {
            baseline(paths, database_url, &addr)
        };
        let out = dir.path().join(format!("{who}.%p"));
        let mut cmd = Command::new("valgrind");
        cmd.args(["--tool=callgrind", "--instr-atstart=no"])
            .arg(format!("--callgrind-out-file={}", out.display()));
        cmd.arg(inner.get_program()).args(inner.get_args());
        for (k, v) in inner.get_envs() {
            if let Some(v) = v {
                cmd.env(k, v);
            }
        }
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        let server = Server::start(&format!("{who} under callgrind"), &mut cmd)?;
        let pid = server.pid().to_string();
        let url = format!("http://{addr}/leads?view=team");
        wait_for(&[&url], Some(token), 300, Duration::from_millis(500))?;
        let many = |n: usize| -> Vec<&str> { std::iter::repeat_n(url.as_str(), n).collect() };
        curl(Some(token), &[&["-s"][..], &many(20)].concat())?;
        control(&["-i", "on", &pid])?;
        curl(Some(token), &[&["-s"][..], &many(50)].concat())?;
        control(&["-i", "off", &pid])?;
        control(&["-d", &pid])?;
        server.stop();
        let mut total = 0.0;
        for entry in std::fs::read_dir(dir.path())? {
            let path = entry?.path();
            if !path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{who}.")))
            {
                continue;
            }
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            for line in text
                .lines()
                .filter(|l| l.starts_with("summary:") || l.starts_with("totals:"))
            {
                total += line
                    .split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(0.0);
            }
        }
        let ir = (total / 50.0).round();
        println!("  {who:<8} {ir:>9} instructions per request");
        counts.push(ir);
    }
    println!("  baseline/app instructions: {:.2}", counts[0] / counts[1]);
    Ok(())
}

fn control(args: &[&str]) -> Result<()> {
    run(Command::new("callgrind_control")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null()))
}
