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
        // Each round: both servers asked for plain HTML, then as browsers ask (gzip; both compress with the
        // product's layer). Ratios: plain to plain, compressed to compressed, and the app compressed against
        // the baseline plain (what compression costs the app, all told).
        const GZ: &str = "gzip,deflate,br,zstd";
        let runs = [
            ("baseline", BASELINE, "identity"),
            ("app", APP, "identity"),
            ("base_gz", BASELINE, GZ),
            ("app_gz", APP, GZ),
        ];
        let mut rps_by_run: [Vec<f64>; 4] = Default::default();
        let mut p99_by_run: [Vec<String>; 4] = Default::default();
        let mut ratios: [Vec<String>; 3] = Default::default();
        for _ in 0..rounds {
            let mut rps = [None; 4];
            for (i, (who, addr, encoding)) in runs.iter().enumerate() {
                let url = format!("http://{addr}/leads?{qs}");
                if curl(Some(token), &["-sf", "-o", "/dev/null", &url]).is_err() {
                    println!("  {who} {name}: request failed");
                    continue;
                }
                // A short unmeasured run first, so caches and allocators are warm for both servers alike.
                wrk(&url, token, encoding, 1, false)?;
                let w = wrk(&url, token, encoding, opts.secs, true)?;
                println!(
                    "  {who:<8} {name:<7} {:>8} req/s  p50 {:>8}  p99 {:>8}",
                    w.rps, w.p50, w.p99
                );
                rps[i] = Some(w.rps()?);
                p99_by_run[i].push(w.p99_ms()?);
            }
            // Only rounds where all four ran, so that each compressed run is paired with its own plain one.
            if let [Some(base), Some(app), Some(base_gz), Some(app_gz)] = rps {
                for (by_run, r) in rps_by_run.iter_mut().zip([base, app, base_gz, app_gz]) {
                    by_run.push(r);
                }
                ratios[0].push(format!("{:.2}", app / base));
                ratios[1].push(format!("{:.2}", app_gz / base_gz));
                ratios[2].push(format!("{:.2}", app_gz / base));
            }
        }
        let list = name == "list";
        println!(
            "  app/baseline throughput, {name}, plain HTML: rounds{}; median {}{}",
            spaced(&ratios[0]),
            median(&ratios[0]),
            if list { " (target: at least 0.5)" } else { "" }
        );
        println!(
            "  the same, both compressing (gzip, fastest level): rounds{}; median {}",
            spaced(&ratios[1]),
            median(&ratios[1])
        );
        println!(
            "  the app compressing against the baseline plain: rounds{}; median {}",
            spaced(&ratios[2]),
            median(&ratios[2])
        );
        let cost = |gz: &[f64], plain: &[f64]| {
            let r: Vec<String> = gz.iter().zip(plain).map(|(g, p)| format!("{:.2}", g / p)).collect();
            median(&r)
        };
        println!(
            "  compressed over plain throughput, {name}: app {}, baseline {}",
            cost(&rps_by_run[3], &rps_by_run[1]),
            cost(&rps_by_run[2], &rps_by_run[0])
        );
        println!(
            "  p99 by round, {name}: app{} ms (median {}){}; app compressed{} ms (median {}); baseline{} ms (median {}); compressed{} ms (median {})",
            spaced(&p99_by_run[1]),
            median(&p99_by_run[1]),
            if list { ", target: under 25 ms" } else { "" },
            spaced(&p99_by_run[3]),
            median(&p99_by_run[3]),
            spaced(&p99_by_run[0]),
            median(&p99_by_run[0]),
            spaced(&p99_by_run[2]),
            median(&p99_by_run[2]),
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
