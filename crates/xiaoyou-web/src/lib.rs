//! The web face of xiaoyou: server-rendered pages in Chinese (askama templates, our own
//! stylesheet, SVG charts drawn on the server) and, as it grows, the JSON API.

mod api;
mod assets;
mod chart;
mod error;
pub mod flash;
mod pages;
pub mod session;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::get;
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use xiaoyou_app::auth::SessionPolicy;
use xiaoyou_app::import::jobs::ImportJobs;
use xiaoyou_core::{Clock, PersonalDataKey, RegionCode, SystemClock};
use xiaoyou_search::SearchIndex;
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
    clock: Arc<dyn Clock>,
    policy: SessionPolicy,
    key: Option<PersonalDataKey>,
    secure_cookies: bool,
    jobs: Option<ImportJobs>,
    dashboards: pages::org::DashboardCache,
    search: Option<Arc<SearchIndex>>,
}

impl AppState {
    pub fn new(db: Db, province: RegionCode) -> Self {
        AppState {
            inner: Arc::new(StateInner {
                db,
                province,
                clock: Arc::new(SystemClock),
                policy: SessionPolicy::default(),
                key: None,
                secure_cookies: false,
                jobs: None,
                dashboards: pages::org::DashboardCache::default(),
                search: None,
            }),
        }
    }

    fn rebuild(self, change: impl FnOnce(&mut StateInner)) -> Self {
        let inner = Arc::try_unwrap(self.inner).unwrap_or_else(|shared| StateInner {
            db: shared.db.clone(),
            province: shared.province,
            clock: shared.clock.clone(),
            policy: shared.policy,
            key: shared.key.clone(),
            secure_cookies: shared.secure_cookies,
            jobs: shared.jobs.clone(),
            dashboards: shared.dashboards.clone(),
            search: shared.search.clone(),
        });
        let mut inner = inner;
        change(&mut inner);
        AppState {
            inner: Arc::new(inner),
        }
    }

    /// The key that decrypts ID numbers for an audited unmasking.
    pub fn with_key(self, key: PersonalDataKey) -> Self {
        self.rebuild(|inner| inner.key = Some(key))
    }

    /// The background import jobs (uploads wait in their directory for the column mapping).
    pub fn with_jobs(self, jobs: ImportJobs) -> Self {
        self.rebuild(|inner| inner.jobs = Some(jobs))
    }

    /// This instance's search index (it follows the database's change feed).
    pub fn with_search(self, index: Arc<SearchIndex>) -> Self {
        self.rebuild(|inner| inner.search = Some(index))
    }

    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        self.rebuild(|inner| inner.clock = clock)
    }

    /// Marks cookies `Secure` (when served over HTTPS behind a proxy).
    pub fn with_secure_cookies(self, secure: bool) -> Self {
        self.rebuild(|inner| inner.secure_cookies = secure)
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn province(&self) -> RegionCode {
        self.inner.province
    }

    pub fn clock(&self) -> &dyn Clock {
        self.inner.clock.as_ref()
    }

    pub fn policy(&self) -> &SessionPolicy {
        &self.inner.policy
    }

    pub fn key(&self) -> Option<&PersonalDataKey> {
        self.inner.key.as_ref()
    }

    pub fn secure_cookies(&self) -> bool {
        self.inner.secure_cookies
    }

    pub fn jobs(&self) -> Option<&ImportJobs> {
        self.inner.jobs.as_ref()
    }

    /// Recently counted dashboard figures of schools and colleges.
    pub(crate) fn dashboards(&self) -> &pages::org::DashboardCache {
        &self.inner.dashboards
    }

    pub fn search(&self) -> Option<&Arc<SearchIndex>> {
        self.inner.search.as_ref()
    }
}

/// The whole application: pages, assets, health check, and the protective layers.
pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The application with `extra` routes inside the same protective layers (tests use it to
/// reach the error pages through a handler that fails).
pub fn router_with(state: AppState, extra: Router<AppState>) -> Router {
    Router::new()
        .merge(extra)
        .route("/", get(pages::home::show))
        .route("/login", get(pages::login::form).post(pages::login::submit))
        .route("/logout", axum::routing::post(pages::login::logout))
        .route(
            "/account/password",
            get(pages::account::form).post(pages::account::submit),
        )
        .route("/persons/{id}", get(pages::person::show))
        .route(
            "/persons/{id}/unmask",
            axum::routing::post(pages::person::unmask),
        )
        .route(
            "/persons/{id}/consents",
            axum::routing::post(pages::person::update_consents),
        )
        .route(
            "/admin/users",
            get(pages::admin::users).post(pages::admin::create_user),
        )
        .route(
            "/admin/users/{id}/reset",
            axum::routing::post(pages::admin::reset_password),
        )
        .route("/admin/audit", get(pages::admin::audit_log))
        .route(
            "/classes/{id}/export.xlsx",
            get(pages::files::register_xlsx),
        )
        .route("/classes/{id}/export.csv", get(pages::files::register_csv))
        .route("/import/template.xlsx", get(pages::files::import_template))
        .route(
            "/schools/{id}/import",
            get(pages::import::form)
                .post(pages::import::upload)
                .layer(axum::extract::DefaultBodyLimit::max(200 * 1024 * 1024)),
        )
        .route(
            "/imports/{id}/errors.xlsx",
            get(pages::import::error_report),
        )
        .route("/imports/jobs/{id}", get(pages::import_job::show))
        .route(
            "/imports/jobs/{id}/mapping",
            axum::routing::post(pages::import_job::confirm),
        )
        .route(
            "/imports/jobs/{id}/cancel",
            axum::routing::post(pages::import_job::cancel),
        )
        .route(
            "/imports/jobs/{id}/progress",
            get(pages::import_job::progress),
        )
        .route("/assets/import.js", get(assets::import_script))
        .route("/assets/confirm.js", get(assets::confirm_script))
        .route("/identity/reviews", get(pages::identity::queue))
        .route("/identity/reviews/{id}", get(pages::identity::show))
        .route(
            "/identity/reviews/{id}/merge",
            axum::routing::post(pages::identity::merge),
        )
        .route(
            "/identity/reviews/{id}/distinct",
            axum::routing::post(pages::identity::distinct),
        )
        .route(
            "/persons/{id}/merges/{merge}/undo",
            axum::routing::post(pages::identity::undo),
        )
        .route(
            "/persons/{id}/records/{record}/split",
            axum::routing::post(pages::identity::split),
        )
        .route(
            "/admin/users/{id}/grants",
            axum::routing::post(pages::admin::change_grant),
        )
        .route("/schools/{id}", get(pages::school::show))
        .route("/colleges/{id}", get(pages::college::show))
        .route("/classes/{id}", get(pages::class::show))
        .route("/healthz", get(pages::health))
        .route("/assets/style.css", get(assets::stylesheet))
        .merge(api::routes())
        .merge(pages::alumni::routes())
        .merge(pages::org::routes())
        .merge(pages::search::routes())
        .merge(api::search::routes())
        .fallback(pages::not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn(flash::clear_after_display))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            error::panic_page,
        ))
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
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(
            RandomRequestId,
        ))
}

/// Request ids: 16 random hex characters, carried into audit rows and logs.
#[derive(Debug, Clone, Copy)]
struct RandomRequestId;

impl tower_http::request_id::MakeRequestId for RandomRequestId {
    fn make_request_id<B>(
        &mut self,
        _: &axum::http::Request<B>,
    ) -> Option<tower_http::request_id::RequestId> {
        let id = hex::encode(rand::random::<[u8; 8]>());
        HeaderValue::from_str(&id)
            .ok()
            .map(tower_http::request_id::RequestId::new)
    }
}
