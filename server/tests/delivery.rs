//! What a browser receives, through the real router: the package's files precompressed and, when their
//! names carry a content hash, kept for a year; pages and server-function answers compressed on the way
//! and never cached; the live stream never compressed, so each event arrives at once.

use app::domain::mutation::{Entity, Mutation, Op};
use app::store::write;
use axum::body::Body;
use http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use leptos::server_fn::ServerFn;
use std::time::Duration;
use tower::ServiceExt;
use uuid::Uuid;

#[path = "../../app/tests/common/mod.rs"]
mod common;
mod site;
use common::*;
use site::*;

suite!(
    package_files_come_precompressed_and_hashed_ones_are_kept_a_year,
    pages_and_server_function_answers_are_compressed_and_never_cached,
    the_live_stream_is_never_compressed_and_flows_event_by_event,
);

fn get(path: &str, accept_encoding: Option<&str>, cookie: Option<&str>) -> Request<Body> {
    let mut req = Request::get(path);
    if let Some(a) = accept_encoding {
        req = req.header(header::ACCEPT_ENCODING, a);
    }
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.body(Body::empty()).unwrap()
}

fn header_of(a: &Answer, name: header::HeaderName) -> Option<&str> {
    a.headers.get(name).map(|v| v.to_str().unwrap())
}

fn gunzip(bytes: &[u8]) -> String {
    let mut out = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(bytes), &mut out).unwrap();
    out
}

/// What browsers send.
const BROWSER: Option<&str> = Some("gzip, deflate, br, zstd");

async fn package_files_come_precompressed_and_hashed_ones_are_kept_a_year(w: World) {
    let app = site(&w);
    let year = Some("public, max-age=31536000, immutable");
    for (accepts, encoding, body) in [
        (BROWSER, Some("br"), "brotli twin"),
        (Some("gzip"), Some("gzip"), "gzip twin"),
        (None, None, "\0asm plain"),
    ] {
        let a = send(&app, get(HASHED_WASM, accepts, None)).await;
        assert_eq!(a.status, StatusCode::OK, "{accepts:?}");
        assert_eq!(header_of(&a, header::CONTENT_ENCODING), encoding, "{accepts:?}");
        assert_eq!(a.body, body, "{accepts:?}");
        assert_eq!(
            header_of(&a, header::CONTENT_TYPE),
            Some("application/wasm"),
            "{accepts:?}"
        );
        assert_eq!(header_of(&a, header::CACHE_CONTROL), year, "{accepts:?}");
        assert!(
            header_of(&a, header::VARY).is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")),
            "{accepts:?}"
        );
    }
    // A name without a hash (a development build's) is checked with the server on each use.
    let plain = send(&app, get("/pkg/prospecta.js", Some("br"), None)).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(header_of(&plain, header::CACHE_CONTROL), Some("no-cache"));
    assert_eq!(plain.body, "export default 1;");
    let missing = send(&app, get("/pkg/chunk_9.BBBBBBBBBBBBBBBBBBBBBB.wasm", Some("br"), None)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_ne!(header_of(&missing, header::CACHE_CONTROL), year, "a miss is not kept");
    for path in ["/manifest.webmanifest", "/sw.js"] {
        let a = send(&app, get(path, Some("br"), None)).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(
            header_of(&a, header::CACHE_CONTROL),
            Some("no-cache"),
            "{path}: a new release is seen at once"
        );
    }
}

async fn pages_and_server_function_answers_are_compressed_and_never_cached(w: World) {
    let app = site(&w);
    let ana = session_of(&w, &w.ana).await;
    // Gzip, not brotli, on the way: brotli's setup per answer cost the list a third of its throughput.
    let page = send(&app, get("/sign-in", BROWSER, None)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(header_of(&page, header::CONTENT_ENCODING), Some("gzip"));
    assert_eq!(header_of(&page, header::CACHE_CONTROL), Some("no-store"));
    let raw = app.clone().oneshot(get("/leads", BROWSER, Some(&ana))).await.unwrap();
    assert_eq!(raw.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(raw.headers()[header::CACHE_CONTROL], "no-store");
    let html = gunzip(&raw.into_body().collect().await.unwrap().to_bytes());
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("Ana"),
        "{}",
        &html[..html.len().min(300)]
    );
    let plain = send(&app, get("/sign-in", None, None)).await;
    assert_eq!(
        header_of(&plain, header::CONTENT_ENCODING),
        None,
        "a client that accepts no encoding gets plain text"
    );
    assert!(plain.body.contains("<!DOCTYPE html>"));
    let req = Request::post(app::api::auth::CurrentUser::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT_ENCODING, "gzip, deflate, br, zstd")
        .header(header::ORIGIN, SITE)
        .header(header::COOKIE, &ana)
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let me: serde_json::Value =
        serde_json::from_str(&gunzip(&res.into_body().collect().await.unwrap().to_bytes())).unwrap();
    assert_eq!(me["name"], "Ana", "{me}");
}

async fn the_live_stream_is_never_compressed_and_flows_event_by_event(w: World) {
    let app = site(&w);
    let ana = session_of(&w, &w.ana).await;
    let lead = common::create(&w, &w.ana, &[]).await;
    let res = app
        .clone()
        .oneshot(get(&format!("/api/live?lead={lead}"), BROWSER, Some(&ana)))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    assert!(
        !res.headers().contains_key(header::CONTENT_ENCODING),
        "a compressor would hold events back until its buffer fills"
    );
    let mut body = res.into_body().into_data_stream();
    // On Postgres the news travels through LISTEN, whose connection starts with the first stream.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for n in 0..3 {
        let note = Mutation {
            entity: Entity::TimelineItem,
            client_id: Uuid::now_v7(),
            seq: 1,
            record_id: Uuid::now_v7(),
            op: Op::Create {
                fields: fields(&[
                    ("lead_id", &lead.to_string()),
                    ("kind", "note"),
                    ("body", &format!("note {n}")),
                ]),
            },
        };
        write::save(&w.db, &w.ana, &note).await.unwrap();
        // Each event is read before the next one is even written.
        assert_eq!(
            next_event(&mut body, Duration::from_secs(5)).await.as_deref(),
            Some("timeline"),
            "event {n}"
        );
    }
}
