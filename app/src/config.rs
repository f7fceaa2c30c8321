//! What whoever runs the server may set (environment variables), read once at start and handed to every
//! request through the context. Tests build their own, so two servers in one test process can differ.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tokio::sync::Semaphore;

#[derive(Clone, Debug)]
pub struct Config {
    /// Password hashes that may run at once. Each takes about 19 MiB (argon2's defaults), so anonymous
    /// sign-in requests cannot make the server allocate gigabytes; more wait a moment, then get a 429.
    pub hashes: Arc<Semaphore>,
    /// A session ends after this long without a request (`PROSPECTA_SESSION_IDLE_HOURS`, default 12) ...
    pub session_idle_ms: i64,
    /// ... and at the latest this long after signing in (`PROSPECTA_SESSION_DAYS`, default 14).
    pub session_max_ms: i64,
    /// Bytes of note attachments each person may keep (`PROSPECTA_ATTACHMENT_QUOTA_MB`, default 200).
    pub attachment_quota: i64,
    /// Live streams one session may hold open in this process (`PROSPECTA_STREAMS_PER_SESSION`, default 8).
    pub streams_per_session: usize,
    /// Origins a write may come from (`PROSPECTA_ORIGIN`, comma-separated, e.g. `https://crm.example.com`);
    /// by default the listen address. A browser's `Sec-Fetch-Site: same-origin` is accepted as well.
    pub origins: Vec<String>,
    /// Behind a reverse proxy (`PROSPECTA_TRUST_PROXY=1`): the client address is the last one the proxy
    /// added to `X-Forwarded-For`, and `X-Forwarded-Proto: https` means HTTPS. Otherwise both are ignored.
    pub trust_proxy: bool,
    /// Served over HTTPS (`PROSPECTA_SECURE_COOKIES=1`): Secure `__Host-` cookie and HSTS.
    pub https: bool,
    /// `/healthz` names the database and schema version to anyone (`PROSPECTA_HEALTH_DETAILS=1`, for a
    /// monitor on a private network); otherwise only to a signed-in admin.
    pub health_details: bool,
}

impl Config {
    /// From the environment, for a server listening on `addr`.
    pub fn from_env(addr: SocketAddr) -> Config {
        let num = |name: &str, default: i64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .filter(|n| *n > 0)
                .unwrap_or(default)
        };
        let flag = |name: &str| std::env::var(name).is_ok_and(|v| v.trim() == "1");
        let origins = std::env::var("PROSPECTA_ORIGIN")
            .ok()
            .map(|v| v.split(',').filter_map(normalize_origin).collect::<Vec<_>>())
            .filter(|o| !o.is_empty());
        Config {
            hashes: Arc::new(Semaphore::new(num("PROSPECTA_HASHES", 4) as usize)),
            session_idle_ms: num("PROSPECTA_SESSION_IDLE_HOURS", 12) * 3_600_000,
            session_max_ms: num("PROSPECTA_SESSION_DAYS", 14) * 86_400_000,
            attachment_quota: num("PROSPECTA_ATTACHMENT_QUOTA_MB", 200) * 1024 * 1024,
            streams_per_session: num("PROSPECTA_STREAMS_PER_SESSION", 8) as usize,
            origins: origins.unwrap_or_else(|| default_origins(addr)),
            trust_proxy: flag("PROSPECTA_TRUST_PROXY"),
            https: flag("PROSPECTA_SECURE_COOKIES"),
            health_details: flag("PROSPECTA_HEALTH_DETAILS"),
        }
    }

    /// The defaults, for a server on `addr` (tests).
    pub fn for_addr(addr: SocketAddr) -> Config {
        Config {
            hashes: Arc::new(Semaphore::new(4)),
            session_idle_ms: 12 * 3_600_000,
            session_max_ms: 14 * 86_400_000,
            attachment_quota: 200 * 1024 * 1024,
            streams_per_session: 8,
            origins: default_origins(addr),
            trust_proxy: false,
            https: false,
            health_details: false,
        }
    }

    pub fn allows_origin(&self, origin: &str) -> bool {
        normalize_origin(origin).is_some_and(|o| self.origins.contains(&o))
    }
}

/// `scheme://host[:port]` in lower case, without a trailing slash; None for anything else ("null").
pub fn normalize_origin(o: &str) -> Option<String> {
    let o = o.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, rest) = o.split_once("://")?;
    (matches!(scheme, "http" | "https") && !rest.is_empty() && !rest.contains('/')).then_some(o)
}

/// The listen address as an origin; on a loopback address also as `localhost`. A server listening on all
/// interfaces cannot know its public name: browsers are then recognised by `Sec-Fetch-Site` alone, and
/// `PROSPECTA_ORIGIN` should be set.
fn default_origins(addr: SocketAddr) -> Vec<String> {
    let port = addr.port();
    match addr.ip() {
        ip if ip.is_unspecified() => Vec::new(),
        IpAddr::V4(v4) if v4.is_loopback() => vec![format!("http://{v4}:{port}"), format!("http://localhost:{port}")],
        IpAddr::V6(v6) if v6.is_loopback() => vec![format!("http://[{v6}]:{port}"), format!("http://localhost:{port}")],
        IpAddr::V4(v4) => vec![format!("http://{v4}:{port}")],
        IpAddr::V6(v6) => vec![format!("http://[{v6}]:{port}")],
    }
}

/// The nonce of a page's inline scripts, made by the server for each request: the page's scripts carry it
/// (it is given to Leptos as its nonce) and the server names it in the page's content security policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageNonce(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_default_to_the_listen_address() {
        let c = Config::for_addr("127.0.0.1:3000".parse().unwrap());
        assert!(c.allows_origin("http://127.0.0.1:3000"));
        assert!(c.allows_origin("http://LOCALHOST:3000/"));
        assert!(!c.allows_origin("http://127.0.0.1:3001"));
        assert!(!c.allows_origin("https://127.0.0.1:3000"));
        assert!(!c.allows_origin("null"));
        assert!(Config::for_addr("0.0.0.0:3000".parse().unwrap()).origins.is_empty());
    }

    #[test]
    fn origins_are_compared_in_one_spelling() {
        assert_eq!(
            normalize_origin("https://CRM.example.com/").as_deref(),
            Some("https://crm.example.com")
        );
        assert_eq!(normalize_origin("https://crm.example.com/path"), None);
        assert_eq!(normalize_origin("ftp://x"), None);
    }
}
