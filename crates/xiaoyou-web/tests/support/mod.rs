//! Shared helpers of the web tests: a router over a test database, signed-in users by role,
//! requests with cookies and forms.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod site;

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Request, StatusCode, header};
use tower::ServiceExt;
use xiaoyou_app::audit::AuditContext;
use xiaoyou_app::auth::SessionPolicy;
use xiaoyou_app::auth::sessions;
use xiaoyou_app::auth::users::{self, NewAccount};
use xiaoyou_app::demo::{self, DemoOptions};
use xiaoyou_app::import::jobs::ImportJobs;
use xiaoyou_core::{Grant, PersonalDataKey, RegionCode, SystemClock};
use xiaoyou_store::Db;
use xiaoyou_web::{AppState, router};

pub const PASSWORD: &str = "Test-password-2026";

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body as text (lossy for binary downloads; see `bytes`).
    pub body: String,
    pub bytes: Vec<u8>,
}

/// The application over a test database, with import jobs keeping files in a fresh scratch
/// directory (tests run queued jobs with `jobs().run_next()`).
pub fn state(db: &Db, key: &PersonalDataKey) -> AppState {
    let directory = std::env::temp_dir().join(format!(
        "xiaoyou-web-test-imports-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let jobs = ImportJobs::new(
        db.clone(),
        key.clone(),
        std::sync::Arc::new(SystemClock),
        directory,
    )
    .unwrap();
    AppState::new(db.clone(), RegionCode::new(430_000).unwrap())
        .with_key(key.clone())
        .with_jobs(jobs)
}

pub async fn seeded(db: &Db, records: u64) -> PersonalDataKey {
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let options = DemoOptions {
        records,
        batch_persons: 2_000,
        ..DemoOptions::default()
    };
    demo::generate(db, &key, &options, &mut |_| {})
        .await
        .unwrap();
    key
}

/// A signed-in user with the given grants; returns the cookie header and the CSRF token.
pub async fn sign_in(db: &Db, username: &str, grants: &[Grant]) -> (String, String) {
    users::create(
        db,
        &SystemClock,
        &AuditContext::system("test"),
        None,
        &NewAccount {
            username,
            display_name: username,
            password: Some(PASSWORD),
            grants,
        },
    )
    .await
    .unwrap();
    let outcome = sessions::login(
        db,
        &SystemClock,
        &SessionPolicy::default(),
        username,
        PASSWORD,
        &AuditContext::default(),
    )
    .await
    .unwrap();
    (format!("xy_session={}", outcome.token), outcome.csrf_token)
}

pub async fn send(state: &AppState, request: Request<Body>) -> Response {
    let response = router(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = to_bytes(response.into_body(), 8 * 1024 * 1024)
        .await
        .unwrap();
    Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        bytes: body.to_vec(),
    }
}

pub async fn get(state: &AppState, cookie: Option<&str>, path: &str) -> Response {
    let mut request = Request::builder().uri(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    send(state, request.body(Body::empty()).unwrap()).await
}

pub async fn post(
    state: &AppState,
    cookie: Option<&str>,
    path: &str,
    form: &[(&str, &str)],
) -> Response {
    let body = form
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut request = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    send(state, request.body(Body::from(body)).unwrap()).await
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A JSON API call with a bearer token.
pub async fn api(
    state: &AppState,
    token: Option<&str>,
    method: &str,
    path: &str,
    json: Option<&str>,
) -> Response {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match json {
        Some(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_owned())
        }
        None => Body::empty(),
    };
    send(state, request.body(body).unwrap()).await
}

/// The bearer token inside a session cookie from [`sign_in`].
pub fn token_of(cookie: &str) -> &str {
    cookie.split_once('=').map_or("", |(_, token)| token)
}

/// A multipart form upload with text fields and one file.
pub async fn upload(
    state: &AppState,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
    file: (&str, &[u8]),
) -> Response {
    let boundary = "----xiaoyou-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
            file.0
        )
        .as_bytes(),
    );
    body.extend_from_slice(file.1);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::COOKIE, cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    send(state, request).await
}

/// The session cookie plus the one-time message a redirect left, as the browser would send
/// them to the next page.
pub fn with_flash(cookie: &str, redirect: &Response) -> String {
    let flash = redirect
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| value.split(';').next()?.strip_prefix("xiaoyou_flash="))
        .expect("the redirect leaves a message");
    format!("{cookie}; xiaoyou_flash={flash}")
}
