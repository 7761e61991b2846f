//! One import job in the browser: confirm which field each column holds (with the first rows
//! as they are), then watch the import run, then its result with the refused rows and the
//! error report.

use super::import::{importable_school, jobs_of, local_time};
use crate::AppState;
use crate::error::WebError;
use crate::session::{Nav, Signed};
use askama::Template;
use axum::Json;
use axum::extract::{Form, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::collections::HashMap;
use xiaoyou_app::AppError;
use xiaoyou_app::import::mapping::{self, ColumnChoices, Preview};
use xiaoyou_app::import::saved_choices;
use xiaoyou_core::Action;
use xiaoyou_sheet::Field;
use xiaoyou_store::import_jobs::{self, ImportJob, JobStage};
use xiaoyou_store::imports::{self, ImportRun};

/// One column on the mapping page.
struct ColumnView {
    index: usize,
    header: String,
    chosen: &'static str,
    samples: Vec<String>,
}

struct Outcome {
    run: ImportRun,
    /// The first refused rows: line and reasons, read back from the error report.
    errors: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage {
    nav: Option<Nav>,
    csrf: String,
    school_id: i64,
    school_name: String,
    job_id: i64,
    file_name: String,
    stage: &'static str,
    stage_label: &'static str,
    created: String,
    message: Option<String>,
    /// Mapping stage: the columns and the choices offered.
    columns: Vec<ColumnView>,
    fields: Vec<(&'static str, &'static str)>,
    header_line: usize,
    sheet: Option<String>,
    outcome: Option<Outcome>,
}

/// A job the actor may see: one of a school they can import into; otherwise it does not exist.
async fn visible_job(
    state: &AppState,
    signed: &Signed,
    id: i64,
) -> Result<(ImportJob, xiaoyou_store::org::School), WebError> {
    let missing = || WebError::NotFound("该导入任务");
    let job = import_jobs::get(state.db(), id)
        .await?
        .ok_or_else(missing)?;
    if !signed.actor().scope(Action::Edit).covers_school(job.school) {
        return Err(missing());
    }
    let school = importable_school(state, signed, job.school.get()).await?;
    Ok((job, school))
}

async fn read_preview(state: &AppState, job: &ImportJob) -> Result<Preview, AppError> {
    let jobs = state
        .jobs()
        .ok_or_else(|| AppError::Background("本服务未开启导入功能".into()))?;
    let school = xiaoyou_store::org::get_school(state.db(), job.school)
        .await?
        .ok_or(AppError::NotFound("学校"))?;
    let choices = saved_choices(state.db(), &school).await?;
    let source = jobs.open(job)?;
    tokio::task::spawn_blocking(move || mapping::preview(source, &choices))
        .await
        .map_err(|e| AppError::Background(format!("读取文件失败：{e}")))?
}

fn column_views(preview: &Preview) -> Vec<ColumnView> {
    preview
        .header
        .headers
        .iter()
        .enumerate()
        .map(|(index, header)| ColumnView {
            index,
            header: if header.is_empty() {
                format!("（第 {} 列，无列名）", index + 1)
            } else {
                header.clone()
            },
            chosen: preview
                .header
                .columns
                .get(index)
                .copied()
                .flatten()
                .map_or("", Field::code),
            samples: preview
                .sample
                .iter()
                .map(|row| row.cells.get(index).cloned().unwrap_or_default())
                .collect(),
        })
        .collect()
}

fn field_options() -> Vec<(&'static str, &'static str)> {
    Field::ALL.iter().map(|f| (f.code(), f.label())).collect()
}

/// The first refused rows of a finished run, from its error report (line, reasons).
async fn first_errors(
    state: &AppState,
    run: &ImportRun,
) -> Result<Vec<(String, String)>, WebError> {
    if !run.has_error_report {
        return Ok(Vec::new());
    }
    let Some(bytes) = imports::error_report(state.db(), run.id).await? else {
        return Ok(Vec::new());
    };
    let Ok(table) = xiaoyou_sheet::read_table(&bytes) else {
        return Ok(Vec::new());
    };
    Ok(table
        .rows
        .iter()
        .skip(1)
        .take(20)
        .filter_map(|row| {
            let mut cells = row.cells.iter().rev();
            let reasons = cells.next()?.clone();
            let line = cells.next()?.clone();
            Some((line, reasons))
        })
        .collect())
}

pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let (job, school) = visible_job(&state, &signed, id).await?;
    render(&state, &signed, job, school, None).await
}

async fn render(
    state: &AppState,
    signed: &Signed,
    job: ImportJob,
    school: xiaoyou_store::org::School,
    problem: Option<String>,
) -> Result<Response, WebError> {
    let mut page = JobPage {
        nav: Some(Nav::of(signed)),
        csrf: signed.session.csrf_token.clone(),
        school_id: school.id.get(),
        school_name: school.name,
        job_id: job.id,
        file_name: job.file_name.clone(),
        stage: job.stage.code(),
        stage_label: job.stage.label(),
        created: local_time(job.created_at),
        message: problem.or_else(|| job.message.clone()),
        columns: Vec::new(),
        fields: field_options(),
        header_line: 0,
        sheet: None,
        outcome: None,
    };
    match job.stage {
        JobStage::Mapping => match read_preview(state, &job).await {
            Ok(preview) => {
                page.columns = column_views(&preview);
                page.header_line = preview.header_line;
                page.sheet = preview.info.sheet.clone();
            }
            Err(AppError::Invalid { reason, .. }) => {
                // The file cannot be imported at all: the job ends here, nothing stored.
                jobs_of(state)?.refuse(&job, &reason).await?;
                page.stage = JobStage::Failed.code();
                page.stage_label = JobStage::Failed.label();
                page.message = Some(reason);
            }
            Err(other) => return Err(other.into()),
        },
        JobStage::Done => {
            if let Some(run_id) = job.run_id
                && let Some(run) = imports::get(state.db(), run_id).await?
            {
                let errors = first_errors(state, &run).await?;
                page.outcome = Some(Outcome { run, errors });
            }
        }
        _ => {}
    }
    let status = if page.message.is_some() && job.stage == JobStage::Mapping {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The mapping page's answer: `col_N` = field code or empty, `save_template`, `csrf`.
pub async fn confirm(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, WebError> {
    signed.check_csrf(form.get("csrf").map_or("", String::as_str))?;
    let (job, school) = visible_job(&state, &signed, id).await?;
    if job.stage != JobStage::Mapping {
        return Ok(Redirect::to(&format!("/imports/jobs/{id}")).into_response());
    }
    let preview = read_preview(&state, &job).await?;
    let count = preview.header.headers.len();
    let mut columns = Vec::with_capacity(count);
    for index in 0..count {
        let code = form.get(&format!("col_{index}")).map_or("", |c| c.trim());
        let field = if code.is_empty() {
            None
        } else {
            Some(Field::from_code(code).ok_or(WebError::BadUpload)?)
        };
        columns.push((index, field));
    }
    if let Err(AppError::Invalid { reason, .. }) = mapping::check_columns(count, &columns) {
        return render(&state, &signed, job, school, Some(reason)).await;
    }
    let choices = ColumnChoices {
        by_header: HashMap::new(),
        by_column: columns.into_iter().collect(),
    };
    let save = form.get("save_template").is_some_and(|v| v == "on");
    jobs_of(&state)?
        .confirm(&job, &choices, &preview.header.headers, save)
        .await?;
    Ok(Redirect::to(&format!("/imports/jobs/{id}")).into_response())
}

pub async fn cancel(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, WebError> {
    signed.check_csrf(form.get("csrf").map_or("", String::as_str))?;
    let (job, school) = visible_job(&state, &signed, id).await?;
    jobs_of(&state)?.cancel(&job).await?;
    Ok(Redirect::to(&format!("/schools/{}/import", school.id.get())).into_response())
}

#[derive(serde::Serialize)]
pub struct ProgressView {
    stage: &'static str,
    stage_label: &'static str,
    finished: bool,
    percent: Option<u32>,
    rows_read: u64,
    rows_stored: u64,
    rows_per_second: u64,
    seconds_left: Option<u64>,
}

/// The job's progress for the page's script.
pub async fn progress(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Json<ProgressView>, WebError> {
    let (job, _) = visible_job(&state, &signed, id).await?;
    let live = state.jobs().and_then(|jobs| jobs.live(job.id));
    Ok(Json(ProgressView {
        stage: job.stage.code(),
        stage_label: job.stage.label(),
        finished: job.stage.is_finished(),
        percent: live.map(|l| l.percent()),
        rows_read: live.map_or(0, |l| l.progress.rows_read),
        rows_stored: live.map_or(0, |l| l.progress.rows_stored),
        rows_per_second: live.map_or(0, |l| l.rows_per_second()),
        seconds_left: live.and_then(|l| l.seconds_left()),
    }))
}
