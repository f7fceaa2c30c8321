//! What every request passes through, in one layer: for a write, where it came from (its origin); for
//! every answer, the security headers.

use app::config::{Config, PageNonce};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The content security policy of an answer without a nonce of its own: no inline script runs.
pub const DEFAULT_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Checks a write's origin, then adds the headers every answer carries: a content security policy (a
/// page's names the nonce made here for its inline scripts, which Leptos is given through the request; the
/// offline shell sets its own), no MIME sniffing, no referrer beyond this site, no framing, HSTS over HTTPS,
/// and nothing personal kept in caches (`no-store` on pages, server-function answers, the live stream and
/// files; `no-cache` on the rest, unless it says otherwise). Files of the browser package get only the
/// headers that apply to them (`add_package_headers`).
pub async fn guard(State(config): State<Arc<Config>>, mut req: Request, next: Next) -> Response {
    let write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if write && !same_origin(&config, req.headers()) {
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        tracing::warn!(origin, path = req.uri().path(), "refused a write from another origin");
        let mut res = (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response();
        add_headers(false, false, &mut res, "");
        return res;
    }
    let path = req.uri().path();
    if path.starts_with("/pkg/") {
        // No page, so no nonce to make.
        let mut res = next.run(req).await;
        add_package_headers(&mut res);
        return res;
    }
    let private_path = path.starts_with("/api/") || path.starts_with("/attachments/");
    let https = app::api::session::is_https(req.headers(), &config);
    let page_nonce = nonce();
    req.extensions_mut().insert(PageNonce(page_nonce.clone()));
    let mut res = next.run(req).await;
    add_headers(https, private_path, &mut res, &page_nonce);
    res
}

/// A file of the browser package (wasm, js, css) is never a document: a content security policy or a frame
/// rule would not apply to it, and with some 250 such files, most of a few hundred bytes, they would cost a
/// phone's first visit about 50 KB. It keeps what does apply: no MIME sniffing, and the referrer rule (a
/// stylesheet's own requests follow it).
fn add_package_headers(res: &mut Response) {
    let h = res.headers_mut();
    add_common_headers(h);
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
}

/// What every answer carries, document or not.
fn add_common_headers(h: &mut HeaderMap) {
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
}

/// A write a browser sent from this site: an `Origin` the server allows (`Config::origins`) or
/// `Sec-Fetch-Site: same-origin`. One with neither is refused, since every current browser sends at least
/// one of them. A request with a bearer token and no cookie (a future API's clients) has no ambient
/// authority to abuse and passes.
fn same_origin(config: &Config, h: &HeaderMap) -> bool {
    let text = |name| h.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    text("sec-fetch-site") == Some("same-origin")
        || text(header::ORIGIN.as_str()).is_some_and(|o| config.allows_origin(o))
        || (text(header::AUTHORIZATION.as_str()).is_some_and(|v| v.starts_with("Bearer "))
            && !h.contains_key(header::COOKIE))
}

fn add_headers(https: bool, private_path: bool, res: &mut Response, page_nonce: &str) {
    let h = res.headers_mut();
    let html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = if html && !page_nonce.is_empty() {
            HeaderValue::from_str(&app::content_security_policy(page_nonce)).ok()
        } else {
            None
        };
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            policy.unwrap_or(HeaderValue::from_static(DEFAULT_POLICY)),
        );
    }
    add_common_headers(h);
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    // Anything else that does not say otherwise (icons, the manifest) is checked with the server on each use.
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if private_path || html { "no-store" } else { "no-cache" }),
        );
    }
}

/// A fresh nonce: 128 random bits, as hex.
pub fn nonce() -> String {
    use rand::RngCore;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    let mut s = String::with_capacity(32);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn nonces_are_fresh_hex() {
        let (a, b) = (super::nonce(), super::nonce());
        assert_ne!(a, b);
        assert!(a.len() == 32 && a.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
}
