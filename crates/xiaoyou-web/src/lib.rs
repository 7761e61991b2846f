//! The web face of xiaoyou: server-rendered pages in Chinese (askama templates, our own
//! stylesheet, SVG charts drawn on the server) and, as it grows, the JSON API.

mod assets;
mod chart;
mod error;
mod pages;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::get;
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use xiaoyou_core::RegionCode;
use xiaoyou_store::Db;

pub use error::WebError;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<StateInner>,
}

#[derive(Debug)]
struct StateInner {
    db: Db,
    province: RegionCode,
}

impl AppState {
    pub fn new(db: Db, province: RegionCode) -> Self {
        AppState {
            inner: Arc::new(StateInner { db, province }),
        }
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn province(&self) -> RegionCode {
        self.inner.province
    }
}

/// The whole application: pages, assets, health check, and the protective layers.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home::show))
        .route("/schools/{id}", get(pages::school::show))
        .route("/colleges/{id}", get(pages::college::show))
        .route("/classes/{id}", get(pages::class::show))
        .route("/healthz", get(pages::health))
        .route("/assets/style.css", get(assets::stylesheet))
        .fallback(pages::not_found)
        .with_state(state)
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
            ),
        ))
        .layer(TraceLayer::new_for_http())
}
