//! The HTTP contract, through the real router: health check, cross-origin refusal, and how bad input,
//! forged ids and ended sessions are answered by server functions.

use app::api::auth::{CreateWorkspace, SignIn};
use app::api::leads::{CreateLead, GetLead};
use app::store::Db;
use axum::body::Body;
use axum::Router;
use http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use leptos::server_fn::ServerFn;
use tower::ServiceExt;

/// The test's database folder, removed when the test ends.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn app() -> (Router, Db, Scratch) {
    let dir = std::env::temp_dir().join(format!("prospecta-http-{}", uuid::Uuid::now_v7()));
    let db = Db::open(&format!("sqlite://{}/t.db", dir.display())).await.unwrap();
    let options = leptos::prelude::get_configuration(None).unwrap().leptos_options;
    let config = app::config::Config::for_addr("127.0.0.1:3000".parse().unwrap());
    (
        prospecta_server::web::router(db.clone(), options, config),
        db,
        Scratch(dir),
    )
}

struct Answer {
    status: StatusCode,
    cookie: Option<String>,
    body: String,
}

/// The site's own origin, which a browser sends with each write.
const ORIGIN: Option<&str> = Some("http://127.0.0.1:3000");

async fn post(app: &Router, path: &str, form: &str, cookie: Option<&str>, origin: Option<&str>) -> Answer {
    let mut req = Request::post(path)
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    if let Some(o) = origin {
        req = req.header(header::ORIGIN, o);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from(form.to_string())).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string());
    let body = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    Answer { status, cookie, body }
}

async fn set_up(app: &Router) -> String {
    let a = post(
        app,
        CreateWorkspace::PATH,
        "workspace=Aurora&name=Ana&email=ana%40a.example&password=long+enough+pw&time_zone=Europe%2FMadrid",
        None,
        Some("http://127.0.0.1:3000"),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.cookie.expect("a session cookie")
}

#[tokio::test]
async fn health_check_says_ok_and_names_the_database_to_an_admin_only() {
    let (app, _, _scratch) = app().await;
    let health = |cookie: Option<String>| {
        let app = app.clone();
        async move {
            let mut req = Request::get("/healthz");
            if let Some(c) = cookie {
                req = req.header(header::COOKIE, c);
            }
            let res = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            serde_json::from_slice::<serde_json::Value>(&res.into_body().collect().await.unwrap().to_bytes()).unwrap()
        }
    };
    assert_eq!(
        health(None).await,
        serde_json::json!({ "status": "ok" }),
        "nothing more for anyone"
    );
    let admin = set_up(&app).await;
    let body = health(Some(admin)).await;
    assert_eq!(body["database"], "sqlite");
    assert_eq!(body["schema_version"], 9);
}

#[tokio::test]
async fn cross_origin_posts_are_refused() {
    let (app, db, _scratch) = app().await;
    let a = post(
        &app,
        CreateWorkspace::PATH,
        "workspace=Evil&name=E&email=e%40e.example&password=long+enough+pw&time_zone=UTC",
        None,
        Some("https://evil.example"),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(
        app::store::users::workspace_name(&db).await.unwrap().is_none(),
        "nothing was written"
    );
}

#[tokio::test]
async fn session_cookie_is_http_only_and_lax() {
    let (app, _, _scratch) = app().await;
    let req = Request::post(CreateWorkspace::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .body(Body::from(
            "workspace=A&name=A&email=a%40a.example&password=long+enough+pw&time_zone=UTC",
        ))
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[tokio::test]
async fn forged_ids_and_ended_sessions_get_clear_answers() {
    let (app, _, _scratch) = app().await;
    let cookie = set_up(&app).await;
    let a = post(&app, GetLead::PATH, "id=not-a-uuid", Some(&cookie), ORIGIN).await;
    assert!(a.body.contains("NotFound"), "{}", a.body);
    let a = post(
        &app,
        GetLead::PATH,
        &format!("id={}", uuid::Uuid::now_v7()),
        Some(&cookie),
        ORIGIN,
    )
    .await;
    assert!(a.body.contains("NotFound"), "{}", a.body);
    let a = post(
        &app,
        GetLead::PATH,
        "id=x",
        Some("prospecta_session=0123456789abcdef"),
        ORIGIN,
    )
    .await;
    assert!(a.body.contains("SessionExpired"), "{}", a.body);
    let a = post(&app, GetLead::PATH, "id=x", None, ORIGIN).await;
    assert!(a.body.contains("SignInRequired"), "{}", a.body);
}

#[tokio::test]
async fn bad_lead_input_is_refused_whole() {
    let (app, db, _scratch) = app().await;
    let cookie = set_up(&app).await;
    let id = uuid::Uuid::now_v7();
    let long = "x".repeat(300);
    let form = format!("id={id}&fields%5Btopic%5D={long}&fields%5Blast_name%5D=Garc%C3%ADa&fields%5Bcompany_name%5D=Caf%C3%A9&fields%5Brating%5D=Boiling");
    let a = post(&app, CreateLead::PATH, &form, Some(&cookie), ORIGIN).await;
    assert!(
        a.body.contains("Invalid")
            && a.body.contains("At most 200 characters")
            && a.body.contains("Choose one of: Hot, Warm, Cold."),
        "{}",
        a.body
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM leads")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
    let form = format!("id={id}&fields%5Btopic%5D=Espresso&fields%5Blast_name%5D=Garc%C3%ADa&fields%5Bcompany_name%5D=Caf%C3%A9&fields%5Brating%5D=warm");
    let a = post(&app, CreateLead::PATH, &form, Some(&cookie), ORIGIN).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = post(&app, GetLead::PATH, &format!("id={id}"), Some(&cookie), ORIGIN).await;
    assert!(a.body.contains("\"rating\":\"Warm\""), "{}", a.body);
}

#[tokio::test]
async fn repeated_wrong_passwords_are_slowed_down() {
    let (app, _, _scratch) = app().await;
    set_up(&app).await;
    for _ in 0..5 {
        let a = post(
            &app,
            SignIn::PATH,
            "email=ana%40a.example&password=wrong-one",
            None,
            ORIGIN,
        )
        .await;
        assert!(a.body.contains("WrongCredentials"), "{}", a.body);
    }
    let a = post(
        &app,
        SignIn::PATH,
        "email=ana%40a.example&password=long+enough+pw",
        None,
        ORIGIN,
    )
    .await;
    assert!(
        a.body.contains("TooManyAttempts"),
        "even the right password waits: {}",
        a.body
    );
    let other = post(
        &app,
        SignIn::PATH,
        "email=someone%40else.example&password=whatever1",
        None,
        ORIGIN,
    )
    .await;
    assert!(
        other.body.contains("WrongCredentials"),
        "other emails are not affected: {}",
        other.body
    );
}

#[tokio::test]
async fn the_demo_workspace_is_alive() {
    let (_, db, _scratch) = app().await;
    prospecta_server::demo::load(&db, 300).await.unwrap();
    let people = app::store::users::list(&db).await.unwrap();
    assert_eq!(people.len(), 6);
    assert_eq!(app::store::users::teams(&db).await.unwrap().len(), 2);
    let admin = people
        .iter()
        .find(|u| u.email == "marta@aurora.example")
        .unwrap()
        .actor();
    let all = app::domain::query::LeadQuery {
        view: app::domain::query::View::Team,
        ..Default::default()
    };
    let list = app::store::leads::list(&db, &admin, &all).await.unwrap();
    assert_eq!(list.total, 300);
    let mut sources = 0;
    for source in app::domain::fields::SOURCES {
        let q = app::domain::query::LeadQuery {
            source: source.to_string(),
            ..all.clone()
        };
        sources += (app::store::leads::list(&db, &admin, &q).await.unwrap().total > 0) as usize;
    }
    assert!(sources > 3, "varied sources: {sources}");
    assert!(
        prospecta_server::demo::load(&db, 10).await.is_err(),
        "refuses a database that is already set up"
    );
}

#[tokio::test]
async fn the_service_worker_and_app_shell_are_served() {
    let (app, _, _scratch) = app().await;
    let res = app
        .clone()
        .oneshot(Request::get("/sw.js").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()[http::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert_eq!(
        res.headers()[http::header::CACHE_CONTROL],
        "no-cache",
        "a new release must be noticed at once"
    );
    let sw = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(!sw.contains("__VERSION__"), "the release version is filled in");
    assert!(
        !sw.contains("__FILES__"),
        "the release's files (listed from its pkg folder) are filled in"
    );
    assert!(sw.contains("/app-shell") && sw.contains("/manifest.webmanifest"));
    let res = app
        .oneshot(Request::get("/app-shell").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let shell = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(shell.contains("start_offline") && shell.contains("/manifest.webmanifest"));
}
