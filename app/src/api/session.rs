//! Server-side request helpers: the database handle, the signed-in user, cookies and time display.

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::store::{users, Db};
use http::header::{COOKIE, SET_COOKIE};
use http::HeaderValue;
use leptos::prelude::*;
use sha2::{Digest, Sha256};

/// The session cookie over plain HTTP (a local install, the tests, the bench).
pub const COOKIE_NAME: &str = "prospecta_session";
/// Over HTTPS: the `__Host-` prefix makes browsers refuse the cookie unless it is Secure, set by this host
/// itself for the whole site, so a neighbouring subdomain cannot plant a session of its choosing.
pub const SECURE_COOKIE_NAME: &str = "__Host-prospecta_session";

/// Set once by the server at start-up: a request whose reactive owner is already gone (the browser hung
/// up mid-render) can still finish its query instead of failing.
pub static SERVER_DB: std::sync::OnceLock<Db> = std::sync::OnceLock::new();
/// The server's settings, for the same case.
pub static SERVER_CONFIG: std::sync::OnceLock<std::sync::Arc<Config>> = std::sync::OnceLock::new();

pub fn db() -> AppResult<Db> {
    use_context::<Db>()
        .or_else(|| SERVER_DB.get().cloned())
        .ok_or_else(|| AppError::internal("no database in context"))
}

/// The server's settings (defaults when none were given, as in a unit test).
pub fn config() -> std::sync::Arc<Config> {
    use_context::<std::sync::Arc<Config>>()
        .or_else(|| SERVER_CONFIG.get().cloned())
        .unwrap_or_else(|| std::sync::Arc::new(Config::for_addr(([127, 0, 0, 1], 3000).into())))
}

fn request_parts() -> Option<http::request::Parts> {
    use_context::<http::request::Parts>()
}

fn session_token() -> Option<String> {
    token_in(&request_parts()?.headers, &config())
}

/// Whether this request came over HTTPS: the server says so, or a trusted proxy does.
pub fn is_https(headers: &http::HeaderMap, config: &Config) -> bool {
    config.https
        || (config.trust_proxy
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("https")))
}

fn cookie_name(headers: &http::HeaderMap, config: &Config) -> &'static str {
    if is_https(headers, config) {
        SECURE_COOKIE_NAME
    } else {
        COOKIE_NAME
    }
}

/// The session token a request carries, under the one cookie name this connection uses.
pub fn token_in(headers: &http::HeaderMap, config: &Config) -> Option<String> {
    let name = cookie_name(headers, config);
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name && !v.is_empty()).then(|| v.to_string())
        })
}

/// The signed-in user for a plain axum handler (live stream, file up- and downloads).
pub async fn user_from_headers(db: &Db, config: &Config, headers: &http::HeaderMap) -> AppResult<users::User> {
    let Some(token) = token_in(headers, config) else {
        return Err(AppError::SignInRequired);
    };
    lookup_token(db, config, &hash_token(&token), true).await
}

/// The user of a session token's hash, or why there is none. `touch`: this request counts as use (a live
/// stream re-checking its session does not, or an open tab would never go idle).
pub async fn lookup_token(db: &Db, config: &Config, token_hash: &str, touch: bool) -> AppResult<users::User> {
    into_user(users::session_user(db, token_hash, config.session_idle_ms, touch).await?)
}

fn into_user(found: users::SessionLookup) -> AppResult<users::User> {
    match found {
        users::SessionLookup::Valid(u) => Ok(u),
        users::SessionLookup::Deactivated => Err(AppError::AccountDeactivated),
        users::SessionLookup::Expired | users::SessionLookup::Unknown => Err(AppError::SessionExpired),
    }
}

pub fn hash_token(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// One session lookup per request, however many server functions and resources the page asks for.
#[derive(Clone, Default)]
pub struct SessionCache(std::sync::Arc<tokio::sync::OnceCell<users::SessionLookup>>);

async fn lookup() -> AppResult<users::SessionLookup> {
    let Some(token) = session_token() else {
        return Ok(users::SessionLookup::Unknown);
    };
    let db = db()?;
    let idle = config().session_idle_ms;
    let find = || async { users::session_user(&db, &hash_token(&token), idle, true).await };
    match use_context::<SessionCache>() {
        Some(cache) => cache.0.get_or_try_init(find).await.cloned(),
        None => find().await,
    }
}

/// The signed-in user, or None when there is no valid session.
pub async fn optional_user() -> AppResult<Option<users::User>> {
    match lookup().await? {
        users::SessionLookup::Valid(u) => Ok(Some(u)),
        _ => Ok(None),
    }
}

/// The signed-in user, or a clear error saying to sign in (again), or that the account was deactivated.
pub async fn require_user() -> AppResult<users::User> {
    if session_token().is_none() {
        return Err(AppError::SignInRequired);
    }
    into_user(lookup().await?)
}

fn set_cookie(value: &str, max_age_s: i64) {
    let config = config();
    let https = request_parts().is_some_and(|p| is_https(&p.headers, &config));
    let cookie = if https {
        format!("{SECURE_COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}; Secure")
    } else {
        format!("{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}")
    };
    if let (Some(res), Ok(v)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&cookie),
    ) {
        res.append_header(SET_COOKIE, v);
    }
}

/// Signs `user` in on this browser: a new session, and the one it replaces (if any) ends.
pub async fn start_session(user: &users::User) -> AppResult<()> {
    use rand::RngCore;
    let db = db()?;
    if let Some(old) = session_token() {
        users::delete_session(&db, &hash_token(&old)).await?;
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let max = config().session_max_ms;
    users::create_session(&db, &hash_token(&token), user.id, max).await?;
    set_cookie(&token, max / 1000);
    Ok(())
}

/// The hash of this request's session token, if it carries one.
pub fn current_token_hash() -> Option<String> {
    session_token().map(|t| hash_token(&t))
}

pub async fn end_session() -> AppResult<()> {
    if let Some(token) = session_token() {
        users::delete_session(&db()?, &hash_token(&token)).await?;
    }
    set_cookie("", 0);
    Ok(())
}

/// The address this request came from: the connection's peer, or behind a trusted proxy
/// (`Config::trust_proxy`) the last address it added to `X-Forwarded-For` (earlier ones the client may
/// have written itself). None when unknown (a request made inside the process).
pub fn client_addr() -> Option<std::net::IpAddr> {
    let parts = request_parts()?;
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if !config().trust_proxy {
        return peer;
    }
    let forwarded = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    forwarded
        .rsplit(',')
        .next()
        .and_then(|a| a.trim().parse().ok())
        .or(peer)
}

/// Answers an error with an HTTP status (and `Retry-After`) for clients that read statuses. A plain form
/// post (no JavaScript) keeps its redirect back to the form, which shows the error.
pub fn answer_with_status(status: http::StatusCode, retry_after_s: Option<i64>) {
    let Some(res) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let plain_form = request_parts().is_some_and(|p| {
        p.headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    });
    if plain_form {
        return;
    }
    res.set_status(status);
    if let Some(s) = retry_after_s.and_then(|s| HeaderValue::from_str(&s.max(1).to_string()).ok()) {
        res.insert_header(http::header::RETRY_AFTER, s);
    }
}

/// Runs an argon2 hash or check with one of the server's few hashing permits (see `Config::hashes`):
/// waits at most a second for one, then answers "busy" (429).
pub async fn with_hash_permit<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    let permits = config().hashes.clone();
    let permit = match tokio::time::timeout(std::time::Duration::from_secs(1), permits.acquire_owned()).await {
        Ok(Ok(p)) => p,
        _ => {
            answer_with_status(http::StatusCode::TOO_MANY_REQUESTS, Some(1));
            return Err(AppError::Busy(1));
        }
    };
    let out = tokio::task::spawn_blocking(move || {
        let out = work();
        drop(permit);
        out
    })
    .await
    .map_err(AppError::internal)?;
    Ok(out)
}

pub fn hash_password(password: &str) -> AppResult<String> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A UTC time in the user's zone, e.g. "29 Nov 2026 14:05".
pub fn shown(ms: i64, tz: &str) -> String {
    shown_in(ms, zone(tz))
}

/// The user's zone by name (UTC when unknown). A list parses it once, not once per time shown.
pub fn zone(tz: &str) -> chrono_tz::Tz {
    tz.parse().unwrap_or(chrono_tz::UTC)
}

/// `shown` for a zone already parsed.
pub fn shown_in(ms: i64, tz: chrono_tz::Tz) -> String {
    use chrono::{Datelike, TimeZone, Timelike};
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let Some(t) = chrono::Utc.timestamp_millis_opt(ms).single() else {
        return String::new();
    };
    let t = t.with_timezone(&tz);
    // Digits are pushed by hand: a list page shows two times per row, and `format!` cost five times more.
    let mut s = String::with_capacity(18);
    // `n` in decimal, zero-padded to at least `width` digits.
    let digits = |s: &mut String, n: u32, width: u32| {
        for p in (0..width.max(n.checked_ilog10().unwrap_or(0) + 1)).rev() {
            s.push(char::from(b'0' + (n / 10u32.pow(p) % 10) as u8));
        }
    };
    digits(&mut s, t.day(), 1);
    s.push(' ');
    s.push_str(MONTHS[t.month0() as usize % 12]);
    s.push(' ');
    match u32::try_from(t.year()) {
        Ok(y) => digits(&mut s, y, 1),
        Err(_) => s.push_str(&t.year().to_string()),
    }
    s.push(' ');
    digits(&mut s, t.hour(), 2);
    s.push(':');
    digits(&mut s, t.minute(), 2);
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_session_token_is_stored_as_its_sha256_in_hex() {
        assert_eq!(
            super::hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn times_are_shown_in_the_users_zone() {
        assert_eq!(super::shown(0, "Europe/Madrid"), "1 Jan 1970 01:00");
        assert_eq!(super::shown(1_790_000_000_000, "America/New_York"), "21 Sep 2026 10:13");
        assert_eq!(super::shown(0, "Not/AZone"), "1 Jan 1970 00:00");
        assert_eq!(super::shown(1_767_225_599_000, "UTC"), "31 Dec 2025 23:59");
        assert_eq!(super::shown(i64::MAX, "UTC"), "");
        assert_eq!(super::shown(-62_135_596_800_000, "UTC"), "1 Jan 1 00:00");
        assert_eq!(super::shown(-62_198_755_200_000, "UTC"), "1 Jan -1 00:00");
        assert_eq!(super::shown(253_402_300_799_000, "UTC"), "31 Dec 9999 23:59");
        assert_eq!(super::shown(253_402_300_800_000, "UTC"), "1 Jan 10000 00:00");
    }
}
