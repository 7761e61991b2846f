//! Downloads: list exports and the import template.

use crate::AppState;
use crate::error::WebError;
use crate::session::Signed;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use xiaoyou_app::export::{self, ExportFile, ExportFormat};
use xiaoyou_core::ClassId;

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file download with a Chinese file name (RFC 6266 `filename*`).
pub fn download(file: ExportFile, content_type: &'static str) -> Response {
    let encoded: String = file
        .file_name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"export\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        file.bytes,
    )
        .into_response()
}

async fn register(
    state: &AppState,
    signed: &Signed,
    id: i64,
    format: ExportFormat,
) -> Result<ExportFile, WebError> {
    Ok(export::class_register(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        ClassId(id),
        format,
    )
    .await?)
}

pub async fn register_xlsx(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    Ok(download(
        register(&state, &signed, id, ExportFormat::Xlsx).await?,
        XLSX,
    ))
}

pub async fn register_csv(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    Ok(download(
        register(&state, &signed, id, ExportFormat::Csv).await?,
        "text/csv; charset=utf-8",
    ))
}

pub async fn import_template(_signed: Signed) -> Result<Response, WebError> {
    let bytes = xiaoyou_app::import::template::roster_template()?;
    Ok(download(
        ExportFile {
            file_name: "校友名册导入模板.xlsx".to_owned(),
            bytes,
        },
        XLSX,
    ))
}
