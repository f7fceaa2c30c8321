//! The lead list under load (wrk; app and baseline take turns), the server's peak memory, and what the
//! server sends for the list's files.

use crate::servers::{APP, BASELINE};
use crate::util::{curl, median, say, thousands, wrk, Server};
use crate::Opts;
use anyhow::{Context, Result};

/// This machine's speed drifts by a third from minute to minute, so app and baseline take turns in short
/// rounds and the ratio is the median of the rounds' ratios.
pub fn throughput(opts: &Opts, token: &str, visible: i64) -> Result<()> {
    say(&format!(
        "lead list under load: wrk, 2 threads, 32 connections; app and baseline take turns, {} s each; manager sees {visible} of {} leads",
        opts.secs,
        thousands(opts.leads)
    ));
    for name in ["list", "search"] {
        let (qs, rounds) = if name == "search" {
            ("view=team&q=garc%C3%ADa%20hotel", 1)
        } else {
            ("view=team", opts.rounds)
        };
        let (mut ratios, mut ratios_gz) = (Vec::new(), Vec::new());
        let (mut p99s_app, mut p99s_app_gz, mut p99s_baseline) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            // "app_gz": the app asked as browsers ask (it compresses pages with gzip as it sends them).
            let runs = [
                ("baseline", format!("http://{BASELINE}/leads?{qs}"), "identity"),
                ("app", format!("http://{APP}/leads?{qs}"), "identity"),
                ("app_gz", format!("http://{APP}/leads?{qs}"), "gzip,deflate,br,zstd"),
            ];
            let mut rps = [None, None, None];
            for (i, (who, url, encoding)) in runs.iter().enumerate() {
                if curl(Some(token), &["-sf", "-o", "/dev/null", url]).is_err() {
                    println!("  {who} {name}: request failed");
                    continue;
                }
                // A short unmeasured run first, so caches and allocators are warm for both servers alike.
                wrk(url, token, encoding, 1, false)?;
                let w = wrk(url, token, encoding, opts.secs, true)?;
                println!(
                    "  {who:<8} {name:<7} {:>8} req/s  p50 {:>8}  p99 {:>8}",
                    w.rps, w.p50, w.p99
                );
                rps[i] = Some(w.rps()?);
                let p99 = w.p99_ms()?;
                match i {
                    0 => p99s_baseline.push(p99),
                    1 => p99s_app.push(p99),
                    _ => p99s_app_gz.push(p99),
                }
            }
            if let [Some(baseline), Some(app), Some(app_gz)] = rps {
                ratios.push(format!("{:.2}", app / baseline));
                ratios_gz.push(format!("{:.2}", app_gz / baseline));
            }
        }
        let list = name == "list";
        println!(
            "  app/baseline throughput, {name}: rounds{}; median {}{}",
            spaced(&ratios),
            median(&ratios),
            if list { " (target: at least 0.5)" } else { "" }
        );
        println!(
            "  the same with the app's pages compressed (gzip, fastest level; the baseline sends plain HTML): rounds{}; median {}",
            spaced(&ratios_gz),
            median(&ratios_gz)
        );
        println!(
            "  p99 by round, {name}: app{} ms (median {}){}; compressed{} ms (median {}); baseline{} ms (median {})",
            spaced(&p99s_app),
            median(&p99s_app),
            if list { ", target: under 25 ms" } else { "" },
            spaced(&p99s_app_gz),
            median(&p99s_app_gz),
            spaced(&p99s_baseline),
            median(&p99s_baseline)
        );
    }
    Ok(())
}

/// " a b c", as the script's lists were printed.
fn spaced(xs: &[String]) -> String {
    xs.iter().map(|x| format!(" {x}")).collect()
}

/// The app server's peak memory (VmHWM).
pub fn memory(app: &Server) -> Result<()> {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", app.pid())).context("the app server's /proc status")?;
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    println!("  server peak memory (VmHWM): {hwm}");
    Ok(())
}

/// What the server sends for each file the lead list names, and the page itself.
pub fn files(token: &str) -> Result<()> {
    say("what the server sends for each file the lead list names (curl, Accept-Encoding: br, gzip)");
    let page = curl(Some(token), &["-s", &format!("http://{APP}/leads")])?;
    let mut names: Vec<&str> = page
        .match_indices("/pkg/")
        .map(|(at, _)| {
            let rest = &page[at..];
            &rest[..rest.find('"').unwrap_or(rest.len())]
        })
        .collect();
    names.sort();
    names.dedup();
    for f in names {
        let out = curl(
            None,
            &[
                "-s",
                "-o",
                "/dev/null",
                "-H",
                "Accept-Encoding: br, gzip",
                "-D",
                "-",
                "-w",
                "\n%{size_download}",
                &format!("http://{APP}{f}"),
            ],
        )?;
        let size = out.lines().last().unwrap_or("").trim();
        let header = |name: &str| {
            out.lines()
                .find_map(|l| {
                    l.split_once(": ")
                        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.trim_end_matches('\r').to_string())
                })
                .unwrap_or_default()
        };
        println!(
            "  {f:<52} {size:>8} bytes  {:<4} {}",
            header("content-encoding"),
            header("cache-control")
        );
    }
    let plain = curl(
        Some(token),
        &[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{size_download}",
            &format!("http://{APP}/leads"),
        ],
    )?;
    let gzip = curl(
        Some(token),
        &[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{size_download}",
            "-H",
            "Accept-Encoding: gzip, deflate, br, zstd",
            &format!("http://{APP}/leads"),
        ],
    )?;
    println!(
        "  {:<52} {plain:>8} bytes plain, {gzip} bytes as a browser asks (gzip)",
        "the page (/leads, 50 leads)"
    );
    Ok(())
}
