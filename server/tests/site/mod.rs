//! The site as a browser reaches it, for the suites in this folder: the real router over a test world's
//! database, a folder of browser files as a release build leaves them, and signed-in sessions.
#![allow(dead_code)]

use super::common::World;
use app::api::session::hash_token;
use app::config::Config;
use app::domain::access::Actor;
use app::store::users;
use axum::body::Body;
use axum::Router;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use uuid::Uuid;

pub const SITE: &str = "http://127.0.0.1:3000";

pub fn config() -> Config {
    Config::for_addr("127.0.0.1:3000".parse().unwrap())
}

pub fn site_with(w: &World, config: Config) -> Router {
    let mut options = leptos::prelude::get_configuration(None).unwrap().leptos_options;
    options.site_root = site_root().into();
    prospecta_server::web::router(w.db.clone(), options, config)
}

pub fn site(w: &World) -> Router {
    site_with(w, config())
}

/// A main file of the package with a content hash in its name, and its precompressed twins as the release
/// build writes them (their bytes stand in for compressed ones).
pub const HASHED_WASM: &str = "/pkg/chunk_3.AAAAAAAAAAAAAAAAAAAAAA.wasm";

/// A folder of static files as a release has them (one per test process is enough).
pub fn site_root() -> String {
    static ROOT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("prospecta-test-site-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        std::fs::write(dir.join("pkg/prospecta.js"), "export default 1;").unwrap();
        std::fs::write(dir.join("pkg/prospecta.css"), "body{}").unwrap();
        let wasm = dir.join(HASHED_WASM.trim_start_matches('/'));
        std::fs::write(&wasm, b"\0asm plain").unwrap();
        std::fs::write(wasm.with_extension("wasm.br"), b"brotli twin").unwrap();
        std::fs::write(wasm.with_extension("wasm.gz"), b"gzip twin").unwrap();
        std::fs::write(dir.join("manifest.webmanifest"), r#"{"name":"Prospecta"}"#).unwrap();
        dir.to_string_lossy().into_owned()
    })
    .clone()
}

/// A signed-in browser of `who`: its cookie.
pub async fn session_of(w: &World, who: &Actor) -> String {
    let token = format!("{}{}", Uuid::now_v7().simple(), Uuid::now_v7().simple());
    users::create_session(&w.db, &hash_token(&token), who.user_id, 14 * 86_400_000)
        .await
        .unwrap();
    format!("prospecta_session={token}")
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

pub async fn send(app: &Router, req: Request<Body>) -> Answer {
    let res = app.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    Answer { status, headers, body }
}

/// The next server-sent event's name, or None when the stream ended (or `wait` passed).
pub async fn next_event(body: &mut axum::body::BodyDataStream, wait: std::time::Duration) -> Option<String> {
    use futures::StreamExt;
    loop {
        let chunk = tokio::time::timeout(wait, body.next()).await.ok()??.ok()?;
        let text = String::from_utf8_lossy(&chunk).into_owned();
        if let Some(name) = text.lines().find_map(|l| l.strip_prefix("event: ")) {
            return Some(name.to_string());
        }
    }
}
