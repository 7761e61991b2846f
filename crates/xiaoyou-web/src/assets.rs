//! Static assets compiled into the binary.

use axum::http::header;
use axum::response::IntoResponse;

const STYLESHEET: &str = include_str!("../assets/style.css");

pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}

const IMPORT_SCRIPT: &str = include_str!("../assets/import.js");

/// Keeps an import job's progress current without reloading the page.
pub async fn import_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        IMPORT_SCRIPT,
    )
}

const CONFIRM_SCRIPT: &str = include_str!("../assets/confirm.js");

/// Asks before consequential forms are sent.
pub async fn confirm_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CONFIRM_SCRIPT,
    )
}
