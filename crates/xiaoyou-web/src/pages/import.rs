//! Importing a roster in the browser: upload, see what was imported and what was refused,
//! download the error report, fix and upload again.

use super::files::download;
use crate::AppState;
use crate::error::WebError;
use crate::session::{Nav, Signed};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{Html, Response};
use xiaoyou_app::AppError;
use xiaoyou_app::export::ExportFile;
use xiaoyou_app::import;
use xiaoyou_core::Action;
use xiaoyou_store::imports;
use xiaoyou_store::org::School;

struct ResultView {
    run_id: i64,
    file_name: String,
    data_rows: usize,
    imported: usize,
    unchanged: usize,
    duplicates: usize,
    refused: usize,
    unmapped: String,
    /// The first refused rows: line and reasons.
    errors: Vec<(usize, String)>,
}

struct RunLine {
    id: i64,
    time: String,
    file_name: String,
    imported: i32,
    unchanged: i32,
    refused: i32,
    has_report: bool,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    nav: Option<Nav>,
    csrf: String,
    school_id: i64,
    school_name: String,
    error: Option<String>,
    result: Option<ResultView>,
    runs: Vec<RunLine>,
}

/// A school the actor may import into: seen as a whole and editable.
async fn importable_school(state: &AppState, signed: &Signed, id: i64) -> Result<School, WebError> {
    let school = super::visible_school(state, signed.actor(), id).await?;
    if !signed.actor().scope(Action::Edit).covers_school(school.id) {
        return Err(WebError::Forbidden);
    }
    Ok(school)
}

async fn page(
    state: &AppState,
    signed: &Signed,
    school: School,
    error: Option<String>,
    result: Option<ResultView>,
) -> Result<Html<String>, WebError> {
    let runs = imports::recent_of_school(state.db(), school.id, 10)
        .await?
        .into_iter()
        .map(|run| RunLine {
            id: run.id,
            time: (run.created_at + chrono::Duration::hours(8))
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            file_name: run.file_name,
            imported: run.imported,
            unchanged: run.unchanged,
            refused: run.refused,
            has_report: run.has_error_report,
        })
        .collect();
    let page = ImportPage {
        nav: Some(Nav::of(signed)),
        csrf: signed.session.csrf_token.clone(),
        school_id: school.id.get(),
        school_name: school.name,
        error,
        result,
        runs,
    };
    Ok(Html(page.render()?))
}

pub async fn form(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let school = importable_school(&state, &signed, id).await?;
    page(&state, &signed, school, None, None).await
}

pub async fn upload(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Result<Html<String>, WebError> {
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| WebError::BadUpload)?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(|_| WebError::BadUpload)?,
            Some("file") => {
                let name = field.file_name().unwrap_or("名册").to_owned();
                let bytes = field.bytes().await.map_err(|_| WebError::BadUpload)?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    signed.check_csrf(&csrf)?;
    let school = importable_school(&state, &signed, id).await?;
    let Some((file_name, bytes)) = file.filter(|(_, bytes)| !bytes.is_empty()) else {
        return page(
            &state,
            &signed,
            school,
            Some("请选择要上传的名册文件（文件不能为空）".into()),
            None,
        )
        .await;
    };
    let key = state.key().ok_or(WebError::KeyMissing)?;
    let result = import::import_roster(
        state.db(),
        state.clock(),
        key,
        &signed.audit_context(),
        &school,
        &file_name,
        &bytes,
        &mut |_| {},
    )
    .await;
    match result {
        Ok(report) => {
            let view = ResultView {
                run_id: report.run_id,
                file_name,
                data_rows: report.data_rows,
                imported: report.imported,
                unchanged: report.unchanged,
                duplicates: report.duplicates,
                refused: report.errors.len(),
                unmapped: report.unmapped.join("、"),
                errors: report
                    .errors
                    .iter()
                    .take(50)
                    .map(|e| {
                        let reasons: Vec<String> = e
                            .problems
                            .iter()
                            .map(|p| format!("{}：{}", p.column, p.reason))
                            .collect();
                        (e.line, reasons.join("；"))
                    })
                    .collect(),
            };
            page(&state, &signed, school, None, Some(view)).await
        }
        Err(AppError::Invalid { reason, .. }) => {
            page(
                &state,
                &signed,
                school,
                Some(format!("{file_name} 未导入：{reason}")),
                None,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn error_report(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let missing = || WebError::NotFound("该错误报告");
    let run = imports::get(state.db(), id).await?.ok_or_else(missing)?;
    // Only editors of the school see its reports; to everyone else the report does not exist.
    if !signed.actor().scope(Action::Edit).covers_school(run.school) {
        return Err(missing());
    }
    let bytes = imports::error_report(state.db(), id)
        .await?
        .ok_or_else(missing)?;
    Ok(download(
        ExportFile {
            file_name: format!("{}.错误报告.xlsx", run.file_name),
            bytes,
        },
        super::files::XLSX,
    ))
}
