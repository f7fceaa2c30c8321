//! Server-side request helpers: the database handle, the signed-in user, cookies and time display.

use crate::error::{AppError, AppResult};
use crate::store::{users, Db};
use http::header::{COOKIE, SET_COOKIE};
use http::HeaderValue;
use leptos::prelude::*;
use sha2::{Digest, Sha256};

pub const COOKIE_NAME: &str = "prospecta_session";
pub const SESSION_TTL_MS: i64 = 14 * 24 * 3600 * 1000;

/// Set once by the server at start-up: a request whose reactive owner is already gone (the browser hung
/// up mid-render) can still finish its query instead of failing.
pub static SERVER_DB: std::sync::OnceLock<Db> = std::sync::OnceLock::new();

pub fn db() -> AppResult<Db> {
    use_context::<Db>().or_else(|| SERVER_DB.get().cloned()).ok_or_else(|| AppError::internal("no database in context"))
}

fn request_parts() -> Option<http::request::Parts> {
    use_context::<http::request::Parts>()
}

fn session_token() -> Option<String> {
    token_in(&request_parts()?.headers)
}

fn token_in(headers: &http::HeaderMap) -> Option<String> {
    headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == COOKIE_NAME && !v.is_empty()).then(|| v.to_string())
    })
}

/// The signed-in user for a plain axum handler (live stream, file up- and downloads).
pub async fn user_from_headers(db: &Db, headers: &http::HeaderMap) -> AppResult<users::User> {
    let Some(token) = token_in(headers) else { return Err(AppError::SignInRequired) };
    match users::session_user(db, &hash_token(&token)).await? {
        users::SessionLookup::Valid(u) => Ok(u),
        _ => Err(AppError::SessionExpired),
    }
}

pub fn hash_token(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// One session lookup per request, however many server functions and resources the page asks for.
#[derive(Clone, Default)]
pub struct SessionCache(std::sync::Arc<tokio::sync::OnceCell<users::SessionLookup>>);

async fn lookup() -> AppResult<users::SessionLookup> {
    let Some(token) = session_token() else { return Ok(users::SessionLookup::Unknown) };
    let db = db()?;
    let find = || async { users::session_user(&db, &hash_token(&token)).await };
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

/// The signed-in user, or a clear error saying to sign in (again).
pub async fn require_user() -> AppResult<users::User> {
    if session_token().is_none() {
        return Err(AppError::SignInRequired);
    }
    match lookup().await? {
        users::SessionLookup::Valid(u) => Ok(u),
        users::SessionLookup::Expired | users::SessionLookup::Unknown => Err(AppError::SessionExpired),
    }
}

fn secure() -> bool {
    let https = request_parts()
        .and_then(|p| p.headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).map(|v| v.eq_ignore_ascii_case("https")))
        .unwrap_or(false);
    https || std::env::var("PROSPECTA_SECURE_COOKIES").is_ok_and(|v| v == "1")
}

fn set_cookie(value: &str, max_age_s: i64) {
    let cookie = format!(
        "{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{}",
        if secure() { "; Secure" } else { "" }
    );
    if let (Some(res), Ok(v)) = (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(&cookie)) {
        res.append_header(SET_COOKIE, v);
    }
}

pub async fn start_session(user: &users::User) -> AppResult<()> {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    users::create_session(&db()?, &hash_token(&token), user.id, SESSION_TTL_MS).await?;
    set_cookie(&token, SESSION_TTL_MS / 1000);
    Ok(())
}

pub async fn end_session() -> AppResult<()> {
    if let Some(token) = session_token() {
        users::delete_session(&db()?, &hash_token(&token)).await?;
    }
    set_cookie("", 0);
    Ok(())
}

pub fn hash_password(password: &str) -> AppResult<String> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(AppError::internal)
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
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
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let Some(t) = chrono::Utc.timestamp_millis_opt(ms).single() else { return String::new() };
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
        assert_eq!(super::hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
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
