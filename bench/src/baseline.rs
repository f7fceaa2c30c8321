//! `prospecta-bench baseline`: the lead list served by a minimal hand-written axum handler (same session
//! check, same store query, HTML by `format!`), so the benchmark can compare the app against it. Asked for
//! gzip, it compresses as the product does (the same layer), so that compressed pages compare like for like.

use anyhow::{Context, Result};
use app::domain::query::LeadQuery;
use app::store::{leads, users, Db};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use std::collections::HashMap;

pub async fn serve(db: Db, addr: &str) -> Result<()> {
    let app = axum::Router::new()
        .route("/leads", get(list))
        .layer(axum::middleware::from_fn(prospecta_server::compress::compress))
        .with_state(db);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    println!("baseline listening on http://{addr}");
    axum::serve(listener, app).await.context("the baseline server")
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn list(State(db): State<Db>, headers: HeaderMap, Query(params): Query<HashMap<String, String>>) -> Response {
    let token = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(&format!("{}=", app::api::session::COOKIE_NAME))
                .map(str::to_string)
        });
    let Some(token) = token else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    // As the app does: the default idle limit, and the session's use recorded (at most once a minute).
    let user = match users::session_user(&db, &app::api::session::hash_token(&token), 12 * 3_600_000, true).await {
        Ok(users::SessionLookup::Valid(u)) => u,
        _ => return StatusCode::UNAUTHORIZED.into_response(),
    };
    let q = LeadQuery::from_params(|k| params.get(k).cloned());
    let list = match leads::list(&db, &user.actor(), &q).await {
        Ok(l) => l,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let tz = app::api::session::zone(&user.time_zone);
    let mut html = String::from("<!DOCTYPE html><html><head><title>Leads</title></head><body><table>");
    for r in &list.rows {
        html.push_str(&format!(
            "<tr><td><a href=\"/leads/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.id, esc(&r.name), esc(&r.company), esc(&r.topic), esc(&r.status_reason), esc(&r.rating), esc(&r.owner_name),
            app::api::session::shown_in(r.updated_at, tz)
        ));
    }
    html.push_str(&format!(
        "</table><p>Page {} of {}</p></body></html>",
        list.page, list.pages
    ));
    Html(html).into_response()
}
