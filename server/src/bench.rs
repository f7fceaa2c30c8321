//! Benchmark helpers. `prospecta bench-baseline`: the lead list served by a minimal hand-written axum handler (same session
//! check, same store query, HTML by `format!`), so the benchmark can compare the app against it.

use app::domain::query::LeadQuery;
use app::store::{leads, users, Db};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use std::collections::HashMap;

pub async fn serve_baseline(db: Db, addr: &str) -> Result<(), String> {
    let app = axum::Router::new().route("/leads", get(list)).with_state(db);
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| e.to_string())?;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    println!("baseline listening on http://{addr}");
    axum::serve(listener, app).await.map_err(|e| e.to_string())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

async fn list(State(db): State<Db>, headers: HeaderMap, Query(params): Query<HashMap<String, String>>) -> Response {
    let token = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(&format!("{}=", app::api::session::COOKIE_NAME)).map(str::to_string));
    let Some(token) = token else { return StatusCode::UNAUTHORIZED.into_response() };
    let user = match users::session_user(&db, &app::api::session::hash_token(&token)).await {
        Ok(users::SessionLookup::Valid(u)) => u,
        _ => return StatusCode::UNAUTHORIZED.into_response(),
    };
    let q = LeadQuery::from_params(|k| params.get(k).cloned());
    let list = match leads::list(&db, &user.actor(), &q).await {
        Ok(l) => l,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let mut html = String::from("<!DOCTYPE html><html><head><title>Leads</title></head><body><table>");
    for r in &list.rows {
        html.push_str(&format!(
            "<tr><td><a href=\"/leads/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.id, esc(&r.name), esc(&r.company), esc(&r.topic), esc(&r.status_reason), esc(&r.rating), esc(&r.owner_name),
            app::api::session::shown(r.updated_at, &user.time_zone)
        ));
    }
    html.push_str(&format!("</table><p>Page {} of {}</p></body></html>", list.page, list.pages));
    Html(html).into_response()
}

/// `prospecta bench-sync`: on an empty database, applies 10,000 queued mutations of one client in the
/// batches a browser sends, then pulls 10,000 leads into an empty client. Prints time and throughput.
pub async fn sync_figures(db: Db) -> Result<(), String> {
    use app::domain::access::Role;
    use app::domain::mutation::{FieldChange, Op};
    use app::domain::sync::{Outbox, PullRequest, PushRequest, Replica, PUSH_BATCH};
    use app::store::sync::{self, PushFault};
    use std::collections::BTreeMap;
    use std::time::Instant;
    let err = |e: app::error::AppError| e.describe();
    if users::workspace_name(&db).await.map_err(err)?.is_some() {
        return Err("bench-sync needs an empty database".into());
    }
    let new = |name: &'static str, email: &'static str, role| users::NewUser { name, email, role, team_id: uuid::Uuid::nil(), password_hash: "-", time_zone: "UTC" };
    let admin = users::create_workspace(&db, "Bench", new("Admin", "admin@bench.example", Role::Admin)).await.map_err(err)?;
    let seller = users::create_user(&db, users::NewUser { team_id: admin.team_id, ..new("Sara", "sara@bench.example", Role::Seller) }).await.map_err(err)?;
    let actor = seller.actor();

    // 2,000 new leads, then 8,000 edits of them: what a long day at a trade show queues up.
    let mut outbox = Outbox::new(uuid::Uuid::now_v7());
    let ids: Vec<uuid::Uuid> = (0..2_000).map(|_| uuid::Uuid::now_v7()).collect();
    for (i, id) in ids.iter().enumerate() {
        let fields = BTreeMap::from([
            ("topic".to_string(), "Espresso machines".to_string()),
            ("last_name".to_string(), format!("Visitor {i}")),
            ("company_name".to_string(), format!("Café {}", i % 300)),
            ("source".to_string(), "Trade Show".to_string()),
        ]);
        outbox.enqueue(*id, Op::Create { fields });
    }
    for i in 0..8_000 {
        let (field, value) = if i % 2 == 0 { ("city", format!("City {i}")) } else { ("description", format!("Talked about model {i}")) };
        outbox.enqueue(ids[i % ids.len()], Op::Update { changes: vec![FieldChange { field: field.into(), value, base_version: 1 }] });
    }
    let total = outbox.waiting.len();
    let started = Instant::now();
    let mut batches = 0;
    while !outbox.waiting.is_empty() {
        let batch: Vec<_> = outbox.waiting.iter().take(PUSH_BATCH).cloned().collect();
        let r = sync::push(&db, &actor, &PushRequest { client_id: outbox.client_id, mutations: batch }, PushFault::None).await.map_err(err)?;
        outbox.waiting.retain(|m| m.seq > r.last_applied);
        batches += 1;
    }
    let push_s = started.elapsed().as_secs_f64();
    println!("  push  {total} mutations in {batches} batches of {PUSH_BATCH}: {push_s:.2} s, {:.0} mutations/s (target: at least 5,000/s on SQLite)", total as f64 / push_s);

    // 10,000 leads of one seller into an empty client, page by page as the browser asks.
    let rows: Vec<leads::NewLeadRow> = (0..8_000)
        .map(|i| leads::NewLeadRow {
            id: uuid::Uuid::now_v7(),
            team_id: seller.team_id,
            created_by: seller.id,
            at: 1_700_000_000_000 + i,
            values: BTreeMap::from([
                ("topic".to_string(), "Grinders".to_string()),
                ("last_name".to_string(), format!("Lead {i}")),
                ("company_name".to_string(), format!("Bar {}", i % 500)),
                ("owner_id".to_string(), seller.id.to_string()),
                ("status_reason".to_string(), "New".to_string()),
            ]),
        })
        .collect();
    leads::seed(&db, uuid::Uuid::now_v7(), 1, &rows).await.map_err(err)?;
    let client = uuid::Uuid::now_v7();
    let mut replica = Replica::default();
    let started = Instant::now();
    let mut pages = 0;
    loop {
        let page = sync::pull(&db, &actor, &PullRequest { client_id: client, cursor: replica.cursor, resume: replica.resume, ..Default::default() }).await.map_err(err)?;
        pages += 1;
        // The browser stops at its storage bound; the bench takes everything.
        replica.cursor = page.cursor;
        replica.resume = page.resume;
        for l in page.leads {
            replica.leads.insert(l.id, l);
        }
        if !page.more && page.resume.is_none() {
            break;
        }
    }
    let pull_s = started.elapsed().as_secs_f64();
    println!("  pull  {} leads into an empty client in {pages} pages: {pull_s:.2} s, {:.0} leads/s (target: 10,000 in under 2 s)", replica.leads.len(), replica.leads.len() as f64 / pull_s);
    Ok(())
}
