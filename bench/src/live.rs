//! Live timeline: opens `listeners` event streams on a lead of a running server, posts once through the
//! server function (possibly through another server process on the same database), and prints how long
//! until every stream had the news.

use crate::workspace::store;
use anyhow::{bail, Context, Result};
use app::store::{users, Db};

/// Calls a server function as the browser does (JSON body, session cookie, same-origin header) on a new
/// connection; answers the whole HTTP response.
pub async fn post_server_fn(addr: &str, path: &str, token: &str, body: &str) -> Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| format!("connect {addr}"))?;
    let _ = s.set_nodelay(true);
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nCookie: prospecta_session={token}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await?;
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer).await;
    Ok(answer)
}

/// The fan-out of one post; `token` is a session of `user` (each listener gets a session of its own).
pub async fn run(
    db: &Db,
    addr: &str,
    post_addr: &str,
    (token, user): (&str, uuid::Uuid),
    lead: uuid::Uuid,
    listeners: usize,
) -> Result<()> {
    use app::domain::mutation::{Entity, Mutation, Op};
    use leptos::server_fn::ServerFn;
    use std::time::Instant;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    // Each listener is a browser of its own, with a session of its own (a session may follow only a few
    // streams), all of the person whose token was given.
    let mut tokens = Vec::with_capacity(listeners);
    for i in 0..listeners {
        let t = format!("{token}-listener-{i}");
        users::create_session(db, &app::api::session::hash_token(&t), user, 3_600_000)
            .await
            .map_err(store)?;
        tokens.push(t);
    }
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(listeners);
    let mut tasks = Vec::new();
    for listener_token in &tokens {
        let mut s = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect {addr}"))?;
        let req = format!("GET /api/live?lead={lead} HTTP/1.1\r\nHost: {addr}\r\nCookie: prospecta_session={listener_token}\r\nAccept: text/event-stream\r\n\r\n");
        s.write_all(req.as_bytes()).await?;
        let ready = ready_tx.clone();
        tasks.push(tokio::spawn(async move {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let mut told = false;
            loop {
                let n = s.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf);
                if !told && text.contains("\r\n\r\n") {
                    if !text.starts_with("HTTP/1.1 200") {
                        return None;
                    }
                    told = true;
                    let _ = ready.send(()).await;
                }
                if text.contains("event: timeline") {
                    return Some(Instant::now());
                }
            }
        }));
    }
    drop(ready_tx);
    let mut open = 0;
    while open < listeners {
        match tokio::time::timeout(std::time::Duration::from_secs(10), ready_rx.recv()).await {
            Ok(Some(())) => open += 1,
            _ => bail!("only {open} of {listeners} event streams opened"),
        }
    }
    let id = uuid::Uuid::now_v7();
    let fields = std::collections::BTreeMap::from([
        ("lead_id".to_string(), lead.to_string()),
        ("kind".to_string(), "post".to_string()),
        ("body".to_string(), "Fan-out benchmark post".to_string()),
    ]);
    let m = Mutation {
        entity: Entity::TimelineItem,
        client_id: id,
        seq: 1,
        record_id: id,
        op: Op::Create { fields },
    };
    let body = serde_json::to_string(&serde_json::json!({ "mutation": m }))?;
    let path = <app::api::timeline::SaveItem as ServerFn>::PATH;
    let started = Instant::now();
    let answer = post_server_fn(post_addr, path, token, &body).await?;
    let saved_ms = started.elapsed().as_secs_f64() * 1000.0;
    if !answer.starts_with("HTTP/1.1 200") {
        bail!("the post was refused: {}", answer.lines().next().unwrap_or(""));
    }
    let mut arrivals = Vec::new();
    for t in tasks {
        if let Ok(Ok(Some(at))) = tokio::time::timeout(std::time::Duration::from_secs(10), t).await {
            arrivals.push(at.duration_since(started).as_secs_f64() * 1000.0);
        }
    }
    arrivals.sort_by(f64::total_cmp);
    let got = arrivals.len();
    let last = arrivals.last().copied().unwrap_or(f64::NAN);
    let p50 = arrivals.get(got / 2).copied().unwrap_or(f64::NAN);
    let via = if post_addr == addr {
        String::new()
    } else {
        format!(" (posted through {post_addr}, streams on {addr})")
    };
    println!("  fan-out of one post to {listeners} open event streams{via}: {got} received it; all within {last:.1} ms of the post (p50 {p50:.1} ms; the post itself answered in {saved_ms:.1} ms) (target: under 500 ms)");
    Ok(())
}
