//! Importing a roster in the browser: upload the file (kept on the server as an import job),
//! confirm the columns, watch the import's progress, see what was imported and refused,
//! download the error report, fix and upload again.

use super::files::download;
use crate::AppState;
use crate::error::WebError;
use crate::session::{Nav, Signed};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use tokio::io::AsyncWriteExt;
use xiaoyou_app::export::ExportFile;
use xiaoyou_app::import::jobs::ImportJobs;
use xiaoyou_core::{Action, UserId};
use xiaoyou_store::import_jobs::JobStage;
use xiaoyou_store::org::School;
use xiaoyou_store::{import_jobs, imports};

struct RunLine {
    id: i64,
    time: String,
    file_name: String,
    imported: i32,
    unchanged: i32,
    refused: i32,
    has_report: bool,
}

struct JobLine {
    id: i64,
    time: String,
    file_name: String,
    stage: &'static str,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    nav: Option<Nav>,
    csrf: String,
    school_id: i64,
    school_name: String,
    error: Option<String>,
    jobs: Vec<JobLine>,
    runs: Vec<RunLine>,
}

/// Beijing time, as offices read it.
pub(crate) fn local_time(at: chrono::DateTime<chrono::Utc>) -> String {
    (at + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A school the actor may import into: seen as a whole and editable.
pub(crate) async fn importable_school(
    state: &AppState,
    signed: &Signed,
    id: i64,
) -> Result<School, WebError> {
    let school = super::visible_school(state, signed.actor(), id).await?;
    if !signed.actor().scope(Action::Edit).covers_school(school.id) {
        return Err(WebError::Forbidden);
    }
    Ok(school)
}

pub(crate) fn jobs_of(state: &AppState) -> Result<&ImportJobs, WebError> {
    state.jobs().ok_or(WebError::Unavailable(
        "本服务未开启导入功能（缺少导入文件目录）",
    ))
}

async fn page(
    state: &AppState,
    signed: &Signed,
    school: School,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    let runs = imports::recent_of_school(state.db(), school.id, 10)
        .await?
        .into_iter()
        .map(|run| RunLine {
            id: run.id,
            time: local_time(run.created_at),
            file_name: run.file_name,
            imported: run.imported,
            unchanged: run.unchanged,
            refused: run.refused,
            has_report: run.has_error_report,
        })
        .collect();
    let jobs = import_jobs::recent_of_school(state.db(), school.id, 10)
        .await?
        .into_iter()
        // Waiting, running, and failed ones (whose reason the user must see); done and
        // cancelled jobs are in the run history below.
        .filter(|job| !matches!(job.stage, JobStage::Done | JobStage::Cancelled))
        .map(|job| JobLine {
            id: job.id,
            time: local_time(job.created_at),
            file_name: job.file_name,
            stage: job.stage.label(),
        })
        .collect();
    let page = ImportPage {
        nav: Some(Nav::of(signed)),
        csrf: signed.session.csrf_token.clone(),
        school_id: school.id.get(),
        school_name: school.name,
        error,
        jobs,
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
    page(&state, &signed, school, None).await
}

/// Receives the file straight to disk (never whole in memory) and opens a job for it; the
/// column mapping page comes next.
pub async fn upload(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let jobs = jobs_of(&state)?;
    let mut csrf = String::new();
    let mut received: Option<(String, std::path::PathBuf, u64)> = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|_| WebError::BadUpload)?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(|_| WebError::BadUpload)?,
            Some("file") => {
                let name = field.file_name().unwrap_or("名册").to_owned();
                let path = jobs.upload_path();
                let mut file = tokio::fs::File::create(&path)
                    .await
                    .map_err(|e| WebError::Storage(format!("无法保存上传的文件：{e}")))?;
                let mut size = 0u64;
                loop {
                    let chunk = match field.chunk().await {
                        Ok(Some(chunk)) => chunk,
                        Ok(None) => break,
                        Err(_) => {
                            let _ = tokio::fs::remove_file(&path).await;
                            return Err(WebError::BadUpload);
                        }
                    };
                    size += chunk.len() as u64;
                    if let Err(e) = file.write_all(&chunk).await {
                        let _ = tokio::fs::remove_file(&path).await;
                        return Err(WebError::Storage(format!("无法保存上传的文件：{e}")));
                    }
                }
                file.flush()
                    .await
                    .map_err(|e| WebError::Storage(format!("无法保存上传的文件：{e}")))?;
                received = Some((name, path, size));
            }
            _ => {}
        }
    }
    let discard = |received: &Option<(String, std::path::PathBuf, u64)>| {
        if let Some((_, path, _)) = received {
            let _ = std::fs::remove_file(path);
        }
    };
    if let Err(e) = signed.check_csrf(&csrf) {
        discard(&received);
        return Err(e);
    }
    let school = match importable_school(&state, &signed, id).await {
        Ok(school) => school,
        Err(e) => {
            discard(&received);
            return Err(e);
        }
    };
    let Some((file_name, path, size)) = received else {
        return Ok(page(
            &state,
            &signed,
            school,
            Some("请选择要上传的名册文件".into()),
        )
        .await?
        .into_response());
    };
    if size == 0 {
        let _ = std::fs::remove_file(&path);
        return Ok(page(
            &state,
            &signed,
            school,
            Some(format!("{file_name} 是空文件，未导入")),
        )
        .await?
        .into_response());
    }
    let job = jobs
        .create(
            school.id,
            Some(UserId(signed.actor().user.get())),
            &file_name,
            &path,
        )
        .await?;
    Ok(Redirect::to(&format!("/imports/jobs/{job}")).into_response())
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
