//! Plain HTTP endpoints of the timeline: the live stream a lead page listens to (server-sent events), and
//! note attachments (upload, download). Each checks the session and that the person can read the lead,
//! before it reads anything the client sends.

use crate::web::AppState;
use app::api::session::{hash_token, lookup_token, token_in, user_from_headers};
use app::error::AppError;
use app::store::live::LiveEvent;
use app::store::timeline;
use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

/// An error as a status and a short message (details go to the log with an id, as elsewhere).
fn refuse(e: AppError) -> Response {
    let status = match &e {
        AppError::SignInRequired | AppError::SessionExpired | AppError::AccountDeactivated => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::BadRequest(_) | AppError::Invalid(_) => StatusCode::BAD_REQUEST,
        AppError::Busy(_) | AppError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, e.to_string()).into_response()
}

/// One value of a query string (`lead=…`), read leniently: a malformed query is as if the value were absent.
fn query_value(raw: Option<&str>, name: &str) -> Option<String> {
    raw?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
    })
}

/// Live streams open in this process, per session (by token hash): a session may hold only a few (see
/// `Config::streams_per_session`), so one person cannot tie up the server's connections. Several server
/// processes each count their own.
#[derive(Clone, Default)]
pub struct Streams(Arc<Mutex<HashMap<String, usize>>>);

/// A stream's place in `Streams`, given back when the stream ends (the browser hung up, or it was ended).
pub struct StreamSlot {
    streams: Streams,
    key: String,
}

impl Streams {
    fn take(&self, key: &str, max: usize) -> Option<StreamSlot> {
        let mut open = self.0.lock().ok()?;
        let n = open.entry(key.to_string()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(StreamSlot {
            streams: self.clone(),
            key: key.to_string(),
        })
    }

    /// Streams open in this process (tests and diagnostics).
    pub fn open(&self) -> usize {
        self.0.lock().map(|m| m.values().sum()).unwrap_or(0)
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.streams.0.lock() {
            if let Some(n) = open.get_mut(&self.key) {
                *n -= 1;
                if *n == 0 {
                    open.remove(&self.key);
                }
            }
        }
    }
}

/// How often an open stream checks again that its session is alive and its lead still readable, besides
/// doing so at once when told that sessions ended or the lead changed hands.
const RECHECK: std::time::Duration = std::time::Duration::from_secs(60);

/// What a stream follows, and what it checks to go on.
struct Follow {
    rx: tokio::sync::broadcast::Receiver<LiveEvent>,
    state: AppState,
    token_hash: String,
    me: Uuid,
    lead: Option<Uuid>,
    recheck: tokio::time::Interval,
    ended: bool,
    _slot: StreamSlot,
}

impl Follow {
    /// Whether the stream may go on: its session alive (a check, not a use) and its lead readable.
    async fn still_allowed(&self) -> bool {
        let Ok(user) = lookup_token(&self.state.db, &self.state.config, &self.token_hash, false).await else {
            return false;
        };
        match self.lead {
            Some(lead) => timeline::check_readable(&self.state.db, &user.actor(), lead)
                .await
                .is_ok(),
            None => true,
        }
    }
}

/// `GET /api/live`: "notify" events when the signed-in person gets a notification; with `?lead=<id>` also
/// "timeline" events (data: the item id) when that lead's timeline changes. "reload" if the stream fell
/// behind; "ended" (then the stream closes) once its session ends or its lead can no longer be read. One
/// stream per page: browsers allow few connections per server.
pub async fn stream(State(s): State<AppState>, RawQuery(q): RawQuery, headers: HeaderMap) -> Response {
    let Some(token) = token_in(&headers, &s.config) else {
        return refuse(AppError::SignInRequired);
    };
    let token_hash = hash_token(&token);
    let user = match lookup_token(&s.db, &s.config, &token_hash, true).await {
        Ok(u) => u,
        Err(e) => return refuse(e),
    };
    let lead = match query_value(q.as_deref(), "lead").map(|l| Uuid::parse_str(l.trim())) {
        None => None,
        Some(Ok(lead)) => Some(lead),
        Some(Err(_)) => return refuse(AppError::NotFound),
    };
    if let Some(lead) = lead {
        if let Err(e) = timeline::check_readable(&s.db, &user.actor(), lead).await {
            return refuse(e);
        }
    }
    let Some(slot) = s.streams.take(&token_hash, s.config.streams_per_session) else {
        let mut res = (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many pages of this session are following live news; close some and reload.",
        )
            .into_response();
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
        return res;
    };
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.reset();
    let follow = Follow {
        rx: s.db.live.subscribe(s.db.kind),
        state: s.clone(),
        token_hash,
        me: user.id,
        lead,
        recheck,
        ended: false,
        _slot: slot,
    };
    let events = futures::stream::unfold(follow, |mut f| async move {
        if f.ended {
            return None;
        }
        loop {
            let check = tokio::select! {
                ev = f.rx.recv() => match ev {
                    Ok(LiveEvent::Timeline { lead_id, item_id }) if Some(lead_id) == f.lead => {
                        return Some((Ok::<_, Infallible>(Event::default().event("timeline").data(item_id.to_string())), f));
                    }
                    Ok(LiveEvent::Notify { user_id }) if user_id == f.me => {
                        return Some((Ok(Event::default().event("notify").data(f.me.to_string())), f));
                    }
                    Ok(LiveEvent::Sessions { user_id }) => user_id == f.me,
                    Ok(LiveEvent::Moved { lead_id }) => Some(lead_id) == f.lead,
                    Ok(_) => false,
                    // Browsers drop events without data, so each carries some.
                    Err(RecvError::Lagged(_)) => return Some((Ok(Event::default().event("reload").data("behind")), f)),
                    Err(RecvError::Closed) => return None,
                },
                _ = f.recheck.tick() => true,
            };
            if check && !f.still_allowed().await {
                f.ended = true;
                return Some((
                    Ok(Event::default().event("ended").data("signed out or no longer allowed")),
                    f,
                ));
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}

/// `POST /api/attachments?lead=<id>`, the file as the body, its name in `X-File-Name` (URL-encoded):
/// answers the new attachment's id, for the note that refers to it. The session, the lead and the person's
/// quota are checked before a byte of the body is read.
pub async fn upload(State(s): State<AppState>, RawQuery(q): RawQuery, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let headers = &parts.headers;
    let user = match user_from_headers(&s.db, &s.config, headers).await {
        Ok(u) => u,
        Err(e) => return refuse(e),
    };
    let Some(lead) = query_value(q.as_deref(), "lead").and_then(|l| Uuid::parse_str(l.trim()).ok()) else {
        return refuse(AppError::NotFound);
    };
    let actor = user.actor();
    if let Err(e) = timeline::check_readable(&s.db, &actor, lead).await {
        return refuse(e);
    }
    let max = app::domain::timeline::MAX_ATTACHMENT_BYTES;
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > max as u64) {
        return refuse(AppError::BadRequest(format!(
            "Files can be at most {} MB.",
            max / (1024 * 1024)
        )));
    }
    if let Err(e) = timeline::check_quota(&s.db, &actor, announced.unwrap_or(0) as i64, s.config.attachment_quota).await
    {
        return refuse(e);
    }
    let body = match axum::body::to_bytes(Body::new(body), max).await {
        Ok(b) => b,
        Err(_) => {
            return refuse(AppError::BadRequest(format!(
                "Files can be at most {} MB.",
                max / (1024 * 1024)
            )))
        }
    };
    let raw_name = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("file");
    let name = percent_encoding::percent_decode_str(raw_name)
        .decode_utf8_lossy()
        .into_owned();
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream");
    match timeline::add_attachment(&s.db, &actor, lead, &name, ctype, &body, s.config.attachment_quota).await {
        Ok(id) => axum::Json(serde_json::json!({ "id": id })).into_response(),
        Err(e) => refuse(e),
    }
}

/// `GET /attachments/<id>`: the file, as a download.
pub async fn download(
    State(s): State<AppState>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
) -> Response {
    let user = match user_from_headers(&s.db, &s.config, &headers).await {
        Ok(u) => u,
        Err(e) => return refuse(e),
    };
    let Some(id) = id.ok().and_then(|Path(id)| Uuid::parse_str(id.trim()).ok()) else {
        return refuse(AppError::NotFound);
    };
    match timeline::attachment(&s.db, &user.actor(), id).await {
        Ok((name, ctype, data)) => {
            // Always a download, never rendered by the browser in our origin (and never sniffed into a page).
            (
                [
                    (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                    (header::CONTENT_DISPOSITION, content_disposition(&name)),
                    (header::HeaderName::from_static("x-original-type"), ctype),
                ],
                data,
            )
                .into_response()
        }
        Err(e) => refuse(e),
    }
}

/// `attachment` with the file's name twice (RFC 6266): as plain ASCII for old clients, and exactly, UTF-8
/// and percent-encoded, in `filename*`.
pub fn content_disposition(name: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    // RFC 5987 attr-char: letters, digits and !#$&+-.^_`|~ stay as they are.
    const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, ENCODE)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_sent_safely_and_exactly() {
        assert_eq!(
            content_disposition("notas café.pdf"),
            "attachment; filename=\"notas caf_.pdf\"; filename*=UTF-8''notas%20caf%C3%A9.pdf"
        );
        assert_eq!(
            content_disposition("a\"b\\c;.txt"),
            "attachment; filename=\"a_b_c;.txt\"; filename*=UTF-8''a%22b%5Cc%3B.txt"
        );
    }

    #[test]
    fn query_values_are_read_leniently() {
        assert_eq!(query_value(Some("lead=abc&x=1"), "lead").as_deref(), Some("abc"));
        assert_eq!(query_value(Some("lead=%E2%82%AC"), "lead").as_deref(), Some("€"));
        assert_eq!(query_value(Some("%%%"), "lead"), None);
        assert_eq!(query_value(None, "lead"), None);
    }

    #[test]
    fn a_session_holds_at_most_its_streams_and_gets_them_back() {
        let s = Streams::default();
        let a = s.take("t", 2).unwrap();
        let _b = s.take("t", 2).unwrap();
        assert!(s.take("t", 2).is_none());
        assert!(s.take("other", 2).is_some(), "another session has its own");
        drop(a);
        assert!(s.take("t", 2).is_some());
    }
}
