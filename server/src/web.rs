//! The HTTP server: Leptos pages and server functions, static files, health check and request guards.

use app::config::Config;
use app::store::Db;
use app::{shell, App, PageFiles};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use tower_http::services::ServeDir;

#[derive(Clone)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub db: Db,
    pub config: std::sync::Arc<Config>,
    /// Live streams open in this process, per session (see `live::Streams`).
    pub streams: crate::live::Streams,
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos.clone()
    }
}

pub fn router(db: Db, mut leptos: LeptosOptions, config: Config) -> Router {
    let release = std::sync::Arc::new(crate::offline::Release::for_site(&leptos));
    // Leptos' hydration scripts then name the hashed main script and wasm (read from the same list).
    leptos.hash_files = release.names.hashed;
    let page_files = PageFiles {
        css: release.names.css.clone(),
        split_loader: release.names.split_loader.clone(),
    };
    let routes = generate_route_list(App);
    let config = std::sync::Arc::new(config);
    let state = AppState {
        leptos: leptos.clone(),
        db: db.clone(),
        config: config.clone(),
        streams: Default::default(),
    };
    let ctx = {
        let db = db.clone();
        move || {
            provide_context(db.clone());
            provide_context(config.clone());
            provide_context(app::api::session::SessionCache::default());
            // The page's scripts carry the nonce the security headers name (see `guard::guard`).
            if let Some(n) = use_context::<http::request::Parts>()
                .and_then(|p| p.extensions.get::<app::config::PageNonce>().cloned())
            {
                provide_context(leptos::nonce::Nonce::from_value(n.0));
            }
        }
    };
    let fn_ctx = ctx.clone();
    let err_ctx = ctx.clone();
    let package = ServeDir::new(&*leptos.site_root)
        .precompressed_br()
        .precompressed_gzip();
    let err_files = page_files.clone();
    let sw_release = release.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route(
            "/sw.js",
            get(move || std::future::ready(crate::offline::service_worker(&sw_release))),
        )
        .route(
            "/app-shell",
            get(move || std::future::ready(crate::offline::app_shell(&release.names))),
        )
        .route("/api/live", get(crate::live::stream))
        .route(
            "/api/attachments",
            axum::routing::post(crate::live::upload).layer(axum::extract::DefaultBodyLimit::max(
                app::domain::timeline::MAX_ATTACHMENT_BYTES + 64 * 1024,
            )),
        )
        .route("/attachments/{id}", get(crate::live::download))
        .route(
            "/api/{*fn_name}",
            axum::routing::post(move |req: Request| call_server_fn(fn_ctx.clone(), req)),
        )
        .leptos_routes_with_context(&state, routes, ctx, {
            let leptos = leptos.clone();
            move || shell(leptos.clone(), page_files.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            err_ctx,
            move |o| shell(o, err_files.clone()),
        ))
        .layer(middleware::from_fn(crate::compress::compress))
        // After the compression layer: these files are compressed once, by the release build.
        .route(
            &format!("/{}/{{*file}}", leptos.site_pkg_dir),
            get(move |req: Request| package_file(package.clone(), req)),
        )
        .layer(middleware::from_fn_with_state(
            state.config.clone(),
            crate::guard::guard,
        ))
        .with_state(state)
}

/// A file of the browser package, as written by the build: its brotli or gzip twin when the browser
/// accepts one (the release build writes them at the highest quality). A name with a content hash is
/// kept by browsers for a year; any other (a dev build's) is checked with the server each time.
async fn package_file(mut files: ServeDir, req: Request) -> Response {
    use tower::Service;
    let immutable = crate::offline::is_hashed(req.uri().path());
    let mut res = match files.call(req).await {
        Ok(res) => res.map(axum::body::Body::new),
        Err(never) => match never {},
    };
    if res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED {
        let h = res.headers_mut();
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if immutable {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            }),
        );
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if immutable {
            // Never asked for again, so nothing to compare with; and most of the 250 files are a few hundred
            // bytes, so each header line costs the offline copy about a tenth of its size.
            h.remove(header::LAST_MODIFIED);
            h.remove(header::ACCEPT_RANGES);
        }
    }
    res
}

/// A server function, or a plain "not found" for a name that is none (Leptos' own answer would repeat
/// the address it was sent).
async fn call_server_fn(ctx: impl Fn() + Clone + Send + 'static, req: Request) -> Response {
    if leptos::server_fn::axum::get_server_fn_service(req.uri().path(), req.method().clone()).is_none() {
        return (StatusCode::NOT_FOUND, "Not found.").into_response();
    }
    leptos_axum::handle_server_fns_with_context(ctx, req)
        .await
        .into_response()
}

pub async fn serve(db: Db) -> Result<(), String> {
    let _ = app::api::session::SERVER_DB.set(db.clone());
    let conf = get_configuration(None).map_err(|e| e.to_string())?;
    let leptos = conf.leptos_options;
    let addr = leptos.site_addr;
    let config = Config::from_env(addr);
    if config.origins.is_empty() {
        tracing::warn!("listening on all interfaces: set PROSPECTA_ORIGIN to the address people open (e.g. https://crm.example.com); until then only browsers that send Sec-Fetch-Site may write");
    }
    let _ = app::api::session::SERVER_CONFIG.set(std::sync::Arc::new(config.clone()));
    tokio::spawn(janitor(db.clone()));
    let app = router(db, leptos, config);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    // Without TCP_NODELAY every streamed response waits on the peer's delayed-ACK timer (~40 ms).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tracing::info!("Prospecta listening on http://{addr}");
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| e.to_string())
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}

/// Every few minutes, in every process (each step is idempotent): sessions past their end, sign-in
/// failures past their window, and files uploaded a day ago that no note ever referred to.
async fn janitor(db: Db) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        every.tick().await;
        let now = app::store::now_ms();
        if let Err(e) = app::store::users::purge(&db, now).await {
            tracing::warn!("janitor: {e}");
        }
        if let Err(e) = app::store::timeline::purge_unlinked_files(&db, now).await {
            tracing::warn!("janitor: {e}");
        }
    }
}

/// "ok" for anyone (a load balancer's check); the database kind and schema version for a signed-in admin,
/// or for anyone when the server is set to tell (`PROSPECTA_HEALTH_DETAILS=1`, a monitor on a private network).
async fn healthz(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let version = match s.db.schema_version().await {
        Ok(v) => v,
        Err(e) => {
            tracing::error!("health check: {e}");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({ "status": "database unavailable" })),
            )
                .into_response();
        }
    };
    let admin = || async {
        app::api::session::user_from_headers(&s.db, &s.config, &headers)
            .await
            .is_ok_and(|u| app::domain::access::can_manage_users(&u.actor()))
    };
    if s.config.health_details || admin().await {
        axum::Json(serde_json::json!({ "status": "ok", "database": s.db.kind.as_str(), "schema_version": version }))
            .into_response()
    } else {
        axum::Json(serde_json::json!({ "status": "ok" })).into_response()
    }
}
