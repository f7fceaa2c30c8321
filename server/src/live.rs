//! Plain HTTP endpoints of the timeline: the live stream a lead page listens to (server-sent events), and
//! note attachments (upload, download). Each checks the session and that the person can read the lead.

use crate::web::AppState;
use app::api::session::user_from_headers;
use app::error::AppError;
use app::store::live::LiveEvent;
use app::store::timeline;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

/// An error as a status and a short message (details go to the log with an id, as elsewhere).
fn refuse(e: AppError) -> Response {
    let status = match &e {
        AppError::SignInRequired | AppError::SessionExpired => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::BadRequest(_) | AppError::Invalid(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, e.to_string()).into_response()
}

#[derive(Deserialize)]
pub struct LeadParam {
    lead: String,
}

#[derive(Deserialize)]
pub struct StreamParam {
    lead: Option<String>,
}

/// `GET /api/live`: "notify" events when the signed-in person gets a notification; with `?lead=<id>` also
/// "timeline" events (data: the item id) when that lead's timeline changes. "reload" if the stream fell
/// behind. One stream per page: browsers allow few connections per server.
pub async fn stream(State(s): State<AppState>, Query(p): Query<StreamParam>, headers: HeaderMap) -> Response {
    let user = match user_from_headers(&s.db, &headers).await {
        Ok(u) => u,
        Err(e) => return refuse(e),
    };
    let lead = match p.lead.as_deref().map(|l| Uuid::parse_str(l.trim())) {
        None => None,
        Some(Ok(lead)) => Some(lead),
        Some(Err(_)) => return refuse(AppError::NotFound),
    };
    if let Some(lead) = lead {
        if let Err(e) = timeline::check_readable(&s.db, &user.actor(), lead).await {
            return refuse(e);
        }
    }
    let rx = s.db.live.subscribe(s.db.kind);
    let me = user.id;
    let events = futures::stream::unfold(rx, move |mut rx| async move {
        loop {
            let ev = match rx.recv().await {
                Ok(LiveEvent::Timeline { lead_id, item_id }) if Some(lead_id) == lead => Event::default().event("timeline").data(item_id.to_string()),
                Ok(LiveEvent::Notify { user_id }) if user_id == me => Event::default().event("notify").data(me.to_string()),
                Ok(_) => continue,
                // Browsers drop events without data, so each carries some.
                Err(RecvError::Lagged(_)) => Event::default().event("reload").data("behind"),
                Err(RecvError::Closed) => return None,
            };
            return Some((Ok::<_, Infallible>(ev), rx));
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}

/// `POST /api/attachments?lead=<id>`, the file as the body, its name in `X-File-Name` (URL-encoded):
/// answers the new attachment's id, for the note that refers to it.
pub async fn upload(State(s): State<AppState>, Query(p): Query<LeadParam>, headers: HeaderMap, body: Bytes) -> Response {
    let user = match user_from_headers(&s.db, &headers).await {
        Ok(u) => u,
        Err(e) => return refuse(e),
    };
    let Ok(lead) = Uuid::parse_str(p.lead.trim()) else { return refuse(AppError::NotFound) };
    let raw_name = headers.get("x-file-name").and_then(|v| v.to_str().ok()).unwrap_or("file");
    let name = percent_encoding::percent_decode_str(raw_name).decode_utf8_lossy().into_owned();
    let ctype = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/octet-stream");
    match timeline::add_attachment(&s.db, &user.actor(), lead, &name, ctype, &body).await {
        Ok(id) => axum::Json(serde_json::json!({ "id": id })).into_response(),
        Err(e) => refuse(e),
    }
}

/// `GET /attachments/<id>`: the file, as a download.
pub async fn download(State(s): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let user = match user_from_headers(&s.db, &headers).await {
        Ok(u) => u,
        Err(e) => return refuse(e),
    };
    let Ok(id) = Uuid::parse_str(id.trim()) else { return refuse(AppError::NotFound) };
    match timeline::attachment(&s.db, &user.actor(), id).await {
        Ok((name, ctype, data)) => {
            // Always a download, never rendered by the browser in our origin.
            let disposition = format!("attachment; filename=\"{}\"", name.replace(['"', '\\'], "_"));
            ([(header::CONTENT_TYPE, "application/octet-stream".to_string()), (header::CONTENT_DISPOSITION, disposition), (header::HeaderName::from_static("x-original-type"), ctype)], data).into_response()
        }
        Err(e) => refuse(e),
    }
}
