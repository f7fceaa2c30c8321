//! The HTTP server: Leptos pages and server functions, static files, health check and request guards.

use app::store::Db;
use app::{shell, App};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};

#[derive(Clone)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub db: Db,
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos.clone()
    }
}

pub fn router(db: Db, leptos: LeptosOptions) -> Router {
    let routes = generate_route_list(App);
    let state = AppState { leptos: leptos.clone(), db: db.clone() };
    let ctx = {
        let db = db.clone();
        move || {
            provide_context(db.clone());
            provide_context(app::api::session::SessionCache::default());
        }
    };
    let fn_ctx = ctx.clone();
    let release = std::sync::Arc::new(crate::offline::Release::read(&leptos.site_root, &leptos.site_pkg_dir));
    let err_ctx = ctx.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/sw.js", get(move || std::future::ready(crate::offline::service_worker(&release))))
        .route("/app-shell", get(|| std::future::ready(crate::offline::app_shell())))
        .route("/api/live", get(crate::live::stream))
        .route(
            "/api/attachments",
            axum::routing::post(crate::live::upload).layer(axum::extract::DefaultBodyLimit::max(app::domain::timeline::MAX_ATTACHMENT_BYTES + 64 * 1024)),
        )
        .route("/attachments/{id}", get(crate::live::download))
        .route(
            "/api/{*fn_name}",
            axum::routing::post(move |req: Request| leptos_axum::handle_server_fns_with_context(fn_ctx.clone(), req)),
        )
        .leptos_routes_with_context(&state, routes, ctx, {
            let leptos = leptos.clone();
            move || shell(leptos.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(err_ctx, shell))
        .layer(middleware::from_fn(same_origin_writes))
        .with_state(state)
}

pub async fn serve(db: Db) -> Result<(), String> {
    let _ = app::api::session::SERVER_DB.set(db.clone());
    let conf = get_configuration(None).map_err(|e| e.to_string())?;
    let leptos = conf.leptos_options;
    let addr = leptos.site_addr;
    let app = router(db, leptos);
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    // Without TCP_NODELAY every streamed response waits on the peer's delayed-ACK timer (~40 ms).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tracing::info!("Prospecta listening on http://{addr}");
    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await.map_err(|e| e.to_string())
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}

async fn healthz(State(s): State<AppState>) -> Response {
    match s.db.schema_version().await {
        Ok(v) => axum::Json(serde_json::json!({ "status": "ok", "database": s.db.kind.as_str(), "schema_version": v })).into_response(),
        Err(e) => {
            tracing::error!("health check: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({ "status": "database unavailable", "database": s.db.kind.as_str() }))).into_response()
        }
    }
}

/// Refuses writes sent from another site: a POST whose Origin does not match the Host it was sent to.
async fn same_origin_writes(req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok());
        let origin = req.headers().get(header::ORIGIN).and_then(|h| h.to_str().ok());
        if let Some(origin) = origin {
            let origin_host = origin.split("://").nth(1).unwrap_or("");
            if Some(origin_host) != host {
                tracing::warn!(origin, host = host.unwrap_or(""), "refused cross-origin write");
                return (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response();
            }
        }
    }
    next.run(req).await
}
