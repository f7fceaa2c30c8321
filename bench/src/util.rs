//! Small helpers: running commands, child servers, wrk's output, medians and number formats.

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// `==> heading`, as the bash script printed its sections.
pub fn say(s: &str) {
    println!("\n==> {s}");
}

/// Runs a command to the end (its output goes to the terminal); an error when it fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd.status().with_context(|| format!("cannot start {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed ({status})");
    }
    Ok(())
}

/// Runs a command and answers its standard output (standard error goes to the terminal).
pub fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed ({})", out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A process started in the background, ended (SIGTERM, as `kill` does) when dropped.
pub struct Server {
    pub child: Child,
    pub name: String,
}

impl Server {
    pub fn start(name: &str, cmd: &mut Command) -> Result<Server> {
        let child = cmd.spawn().with_context(|| format!("cannot start {name}: {cmd:?}"))?;
        Ok(Server {
            child,
            name: name.to_string(),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then waits for the process to end.
    pub fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill").arg(self.child.id().to_string()).status();
            for _ in 0..100 {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            eprintln!("  ({} did not stop on SIGTERM; killed)", self.name);
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// `curl -sf` of each URL (with the session cookie when given) until all answer, trying `tries` times.
pub fn wait_for(urls: &[&str], token: Option<&str>, tries: usize, pause: Duration) -> Result<()> {
    for _ in 0..tries {
        if urls.iter().all(|u| curl(token, &["-sf", "-o", "/dev/null", u]).is_ok()) {
            return Ok(());
        }
        std::thread::sleep(pause);
    }
    bail!("no answer from {} after {tries} tries", urls.join(" and "))
}

/// `curl <args>` with the session cookie when given; answers standard output.
pub fn curl(token: Option<&str>, args: &[&str]) -> Result<String> {
    let mut cmd = Command::new("curl");
    if let Some(t) = token {
        cmd.arg("-H").arg(format!("Cookie: prospecta_session={t}"));
    }
    cmd.args(args).stderr(Stdio::null());
    let out = cmd.output().context("cannot start curl")?;
    if !out.status.success() {
        bail!("curl {} failed ({})", args.join(" "), out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What the bench reads from one wrk run: the figures as wrk wrote them.
pub struct Wrk {
    pub rps: String,
    pub p50: String,
    pub p99: String,
}

impl Wrk {
    pub fn rps(&self) -> Result<f64> {
        self.rps
            .parse()
            .with_context(|| format!("wrk's requests/sec {:?}", self.rps))
    }

    /// p99 in milliseconds, as `awk` printed it (six significant digits): wrk writes 900.00us, 22.02ms or 1.02s.
    pub fn p99_ms(&self) -> Result<String> {
        let unit_at = self
            .p99
            .find(|c: char| c.is_ascii_alphabetic())
            .with_context(|| format!("wrk's p99 {:?}", self.p99))?;
        let (v, unit) = self.p99.split_at(unit_at);
        let v: f64 = v.parse().with_context(|| format!("wrk's p99 {:?}", self.p99))?;
        let factor = match unit {
            "us" => 0.001,
            "s" => 1000.0,
            "m" => 60_000.0,
            _ => 1.0,
        };
        Ok(g6(v * factor))
    }
}

/// `wrk -t2 -c32 -d<secs>s [--latency] -H Cookie -H Accept-Encoding url`, parsed.
pub fn wrk(url: &str, token: &str, encoding: &str, secs: u32, latency: bool) -> Result<Wrk> {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c32", &format!("-d{secs}s")]);
    if latency {
        cmd.arg("--latency");
    }
    cmd.arg("-H")
        .arg(format!("Cookie: prospecta_session={token}"))
        .arg("-H")
        .arg(format!("Accept-Encoding: {encoding}"))
        .arg(url);
    let text = output(&mut cmd)?;
    parse_wrk(&text).with_context(|| format!("wrk's output for {url}:\n{text}"))
}

pub fn parse_wrk(text: &str) -> Result<Wrk> {
    let mut rps = None;
    let (mut p50, mut p99) = (None, None);
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.as_slice() {
            [first, v, ..] if first.starts_with("Requests/sec") => rps = Some(v.to_string()),
            ["50%", v, ..] => p50 = Some(v.to_string()),
            ["99%", v, ..] => p99 = Some(v.to_string()),
            _ => {}
        }
    }
    match (rps, p50, p99) {
        (Some(rps), Some(p50), Some(p99)) => Ok(Wrk { rps, p50, p99 }),
        (Some(rps), _, _) => Ok(Wrk {
            rps,
            p50: String::new(),
            p99: String::new(),
        }),
        _ => bail!("no Requests/sec line"),
    }
}

/// The middle one of the numbers given (the lower middle of an even count), as written.
pub fn median(xs: &[String]) -> String {
    let mut v: Vec<&String> = xs.iter().collect();
    v.sort_by(|a, b| {
        a.parse::<f64>()
            .unwrap_or(f64::NAN)
            .total_cmp(&b.parse::<f64>().unwrap_or(f64::NAN))
    });
    if v.is_empty() {
        return String::new();
    }
    v[v.len().div_ceil(2) - 1].clone()
}

/// A number as awk prints it (`%.6g`, no trailing zeros).
pub fn g6(x: f64) -> String {
    let rounded: f64 = format!("{x:.5e}").parse().unwrap_or(x);
    format!("{rounded}")
}

/// 100000 as "100,000".
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A fresh directory under the system's temporary one, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(what: &str) -> Result<TempDir> {
        let dir = std::env::temp_dir().join(format!(
            "prospecta-bench-{what}-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(TempDir(dir))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn sqlite_url(&self, file: &str) -> String {
        format!("sqlite://{}", self.0.join(file).display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output_is_read() {
        let text = "Running 5s test @ http://127.0.0.1:3300/leads\n  2 threads and 32 connections\n  Latency Distribution\n     50%   10.92ms\n     75%   12.00ms\n     90%   15.00ms\n     99%    1.42s\n  15000 requests in 5.00s, 200.00MB read\nRequests/sec:   3073.83\nTransfer/sec:     40.00MB\n";
        let w = parse_wrk(text).unwrap();
        assert_eq!(
            (w.rps.as_str(), w.p50.as_str(), w.p99.as_str()),
            ("3073.83", "10.92ms", "1.42s")
        );
        assert_eq!(w.p99_ms().unwrap(), "1420");
        let w = Wrk {
            rps: "1".into(),
            p50: String::new(),
            p99: "900.00us".into(),
        };
        assert_eq!(w.p99_ms().unwrap(), "0.9");
        let w = Wrk {
            rps: "1".into(),
            p50: String::new(),
            p99: "28.49ms".into(),
        };
        assert_eq!(w.p99_ms().unwrap(), "28.49");
    }

    #[test]
    fn medians_and_numbers() {
        let xs: Vec<String> = ["0.50", "0.52", "0.58", "0.41", "0.48"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(median(&xs), "0.50");
        let xs: Vec<String> = ["3", "1", "2", "4"].iter().map(|s| s.to_string()).collect();
        assert_eq!(median(&xs), "2");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(300), "300");
    }
}
