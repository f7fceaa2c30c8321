//! What every request passes through before and after the app: where it came from (the client address,
//! and for writes, the origin), and the security headers every answer carries.

use crate::web::AppState;
use app::config::ClientAddr;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};

/// Refuses writes that a browser did not send from this site: a write must carry an `Origin` the server
/// allows (`Config::origins`) or `Sec-Fetch-Site: same-origin`; one with neither is refused too, since
/// every current browser sends at least one of them. Requests that carry no cookie but a bearer token (a
/// future API's clients) have no ambient authority to abuse and pass.
pub async fn same_origin_writes(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let h = req.headers();
    let bearer = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("Bearer "));
    let same_site_fetch = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("same-origin");
    let origin = h.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let allowed = same_site_fetch || origin.is_some_and(|o| s.config.allows_origin(o)) || (bearer && !h.contains_key(header::COOKIE));
    if !allowed {
        tracing::warn!(origin = origin.unwrap_or(""), path = req.uri().path(), "refused a write from another origin");
        return (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response();
    }
    next.run(req).await
}

/// Notes the client's address in the request (for the sign-in throttle): the connection's peer, or behind
/// a trusted proxy the last address it added to `X-Forwarded-For` (earlier ones the client may have forged).
pub async fn client_addr(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let forwarded = if s.config.trust_proxy {
        let list = req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
        list.rsplit(',').next().and_then(|a| a.trim().parse::<IpAddr>().ok())
    } else {
        None
    };
    if let Some(a) = forwarded.or(peer) {
        req.extensions_mut().insert(ClientAddr(a));
    }
    next.run(req).await
}

/// The content security policy of an answer without a nonce of its own: no inline script runs.
pub const DEFAULT_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// A fresh nonce: 128 random bits, hex.
pub fn nonce() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Headers on every answer: a content security policy (a page's names the nonce made here for its inline
/// scripts, which Leptos is given through the request; the offline shell sets its own), no MIME sniffing,
/// no referrer beyond this site, HSTS over HTTPS, and nothing personal kept in caches (`no-store` on
/// pages, server-function answers, the live stream and attachments).
pub async fn security_headers(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let https = app::api::session::is_https(req.headers(), &s.config);
    let page_nonce = nonce();
    req.extensions_mut().insert(app::config::PageNonce(page_nonce.clone()));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let html = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/html"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = if html { HeaderValue::from_str(&app::content_security_policy(&page_nonce)).ok() } else { None };
        h.insert(header::CONTENT_SECURITY_POLICY, policy.unwrap_or(HeaderValue::from_static(DEFAULT_POLICY)));
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if https {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    let private = path.starts_with("/api/") || path.starts_with("/attachments/") || html;
    if private && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
