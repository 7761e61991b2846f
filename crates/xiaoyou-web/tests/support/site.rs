//! The application on a real socket for browser tests, with the helpers they share.

use super::{PASSWORD, state};
use anyhow::{Context, anyhow};
use calamine::{Reader, Xlsx};
use std::net::SocketAddr;
use xiaoyou_app::audit::AuditContext;
use xiaoyou_app::auth::users::{self, NewAccount};
use xiaoyou_core::{Grant, PersonalDataKey, SystemClock};
use xiaoyou_store::Db;
use xiaoyou_testkit::TestDb;
use xiaoyou_web::AppState;

/// The application on a real socket, as the browser needs it; stopped on drop.
pub struct Site {
    pub base: String,
    server: tokio::task::JoinHandle<()>,
}

impl Site {
    pub async fn start(app: AppState) -> Site {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        // As `xiaoyou serve` does: handlers see the client's address (audit rows record it).
        let service = xiaoyou_web::router(app).into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(async move {
            axum::serve(listener, service).await.unwrap();
        });
        Site { base, server }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub fn backend(t: &TestDb) -> &'static str {
    if t.postgres_url().is_some() {
        "postgres"
    } else {
        "sqlite"
    }
}

/// The site over plain HTTP on 127.0.0.1: cookies without `Secure`, as a deployment without
/// TLS would set them.
pub fn site_state(db: &Db, key: &PersonalDataKey) -> AppState {
    state(db, key).with_secure_cookies(false)
}

pub async fn create_account(db: &Db, username: &str, display_name: &str, grants: &[Grant]) {
    users::create(
        db,
        &SystemClock,
        &AuditContext::system("test"),
        None,
        &NewAccount {
            username,
            display_name,
            password: Some(PASSWORD),
            grants,
        },
    )
    .await
    .unwrap();
}

/// Every cell of a sheet as text, row by row.
pub fn sheet_rows(path: &std::path::Path) -> anyhow::Result<Vec<Vec<String>>> {
    let mut workbook: Xlsx<_> = calamine::open_workbook(path)
        .with_context(|| format!("opening the download {}", path.display()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| anyhow!("the workbook has no sheet"))??;
    Ok(range
        .rows()
        .map(|row| row.iter().map(ToString::to_string).collect())
        .collect())
}
