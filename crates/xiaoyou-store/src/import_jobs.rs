//! Import jobs: a file waiting for its column mapping, queued, running or finished; and the
//! column mappings a school saved for its own header names.

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use xiaoyou_core::{SchoolId, UserId};

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStage {
    /// Uploaded; the user is confirming which column is which.
    Mapping,
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl JobStage {
    pub fn code(self) -> &'static str {
        match self {
            JobStage::Mapping => "mapping",
            JobStage::Queued => "queued",
            JobStage::Running => "running",
            JobStage::Done => "done",
            JobStage::Failed => "failed",
            JobStage::Cancelled => "cancelled",
        }
    }

    pub fn from_code(code: &str) -> Option<JobStage> {
        [
            JobStage::Mapping,
            JobStage::Queued,
            JobStage::Running,
            JobStage::Done,
            JobStage::Failed,
            JobStage::Cancelled,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            JobStage::Mapping => "待确认列对应",
            JobStage::Queued => "排队中",
            JobStage::Running => "导入中",
            JobStage::Done => "已完成",
            JobStage::Failed => "失败",
            JobStage::Cancelled => "已取消",
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobStage::Done | JobStage::Failed | JobStage::Cancelled
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJob {
    pub id: i64,
    pub school: SchoolId,
    pub user: Option<UserId>,
    pub file_name: String,
    pub stored_file: String,
    pub mapping: Option<String>,
    pub stage: JobStage,
    pub attempts: i32,
    pub message: Option<String>,
    pub run_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

type JobRow = (
    i64,
    i64,
    Option<i64>,
    String,
    String,
    Option<String>,
    String,
    i32,
    Option<String>,
    Option<i64>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

macro_rules! select_job {
    () => {
        "SELECT id, school_id, user_id, file_name, stored_file, mapping, stage, attempts, message,
            run_id, created_at, started_at, finished_at FROM import_jobs"
    };
}

fn decode(row: JobRow) -> StoreResult<ImportJob> {
    let (
        id,
        school,
        user,
        file_name,
        stored_file,
        mapping,
        stage,
        attempts,
        message,
        run_id,
        created_at,
        started_at,
        finished_at,
    ) = row;
    let stage = JobStage::from_code(&stage).ok_or_else(|| StoreError::Corrupt {
        table: "import_jobs",
        id,
        detail: format!("未知的任务状态“{stage}”"),
    })?;
    Ok(ImportJob {
        id,
        school: SchoolId(school),
        user: user.map(UserId),
        file_name,
        stored_file,
        mapping,
        stage,
        attempts,
        message,
        run_id,
        created_at,
        started_at,
        finished_at,
    })
}

const READ: &str = "读取导入任务";
const WRITE: &str = "更新导入任务";

/// Records an uploaded file waiting for its mapping; returns the job's id.
pub async fn create(
    db: &Db,
    school: SchoolId,
    user: Option<UserId>,
    file_name: &str,
    stored_file: &str,
    at: DateTime<Utc>,
) -> StoreResult<i64> {
    on_db!(db, |pool| sqlx::query_scalar(
        "INSERT INTO import_jobs (school_id, user_id, file_name, stored_file, stage, created_at)
         VALUES ($1, $2, $3, $4, 'mapping', $5) RETURNING id"
    )
    .bind(school.get())
    .bind(user.map(UserId::get))
    .bind(file_name)
    .bind(stored_file)
    .bind(at)
    .fetch_one(pool)
    .await
    .map_err(StoreError::query(WRITE, "学校或账号")))
}

pub async fn get(db: &Db, id: i64) -> StoreResult<Option<ImportJob>> {
    let row: Option<JobRow> = on_db!(db, |pool| sqlx::query_as(concat!(
        select_job!(),
        " WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query(READ, "导入任务"))?);
    row.map(decode).transpose()
}

pub async fn recent_of_school(
    db: &Db,
    school: SchoolId,
    limit: i64,
) -> StoreResult<Vec<ImportJob>> {
    let rows: Vec<JobRow> = on_db!(db, |pool| sqlx::query_as(concat!(
        select_job!(),
        " WHERE school_id = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(school.get())
    .bind(limit)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query(READ, "导入任务"))?);
    rows.into_iter().map(decode).collect()
}

/// Queues a job whose mapping was confirmed. False when it was not waiting for its mapping.
pub async fn queue(db: &Db, id: i64, mapping: &str) -> StoreResult<bool> {
    let done = on_db!(db, |pool| {
        sqlx::query(
        "UPDATE import_jobs SET mapping = $2, stage = 'queued' WHERE id = $1 AND stage = 'mapping'"
    )
    .bind(id)
    .bind(mapping)
    .execute(pool)
    .await
    .map_err(StoreError::query(WRITE, "导入任务"))?
    .rows_affected()
    });
    Ok(done == 1)
}

/// Cancels a job that has not started. False when it had already started or ended.
pub async fn cancel(db: &Db, id: i64, at: DateTime<Utc>) -> StoreResult<bool> {
    let done = on_db!(db, |pool| sqlx::query(
        "UPDATE import_jobs SET stage = 'cancelled', finished_at = $2
         WHERE id = $1 AND stage IN ('mapping', 'queued')"
    )
    .bind(id)
    .bind(at)
    .execute(pool)
    .await
    .map_err(StoreError::query(WRITE, "导入任务"))?
    .rows_affected());
    Ok(done == 1)
}

/// Claims the oldest queued job for this worker, if any.
pub async fn claim_next(db: &Db, at: DateTime<Utc>) -> StoreResult<Option<ImportJob>> {
    loop {
        let next: Option<i64> = on_db!(db, |pool| sqlx::query_scalar(
            "SELECT id FROM import_jobs WHERE stage = 'queued' ORDER BY id LIMIT 1"
        )
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query(READ, "导入任务"))?);
        let Some(id) = next else {
            return Ok(None);
        };
        // Another instance may claim the same job first; only one update wins.
        let claimed = on_db!(db, |pool| {
            sqlx::query(
            "UPDATE import_jobs SET stage = 'running', attempts = attempts + 1, started_at = $2,
                 heartbeat_at = $2
             WHERE id = $1 AND stage = 'queued'"
        )
        .bind(id)
        .bind(at)
        .execute(pool)
        .await
        .map_err(StoreError::query(WRITE, "导入任务"))?
        .rows_affected()
        });
        if claimed == 1 {
            return get(db, id).await;
        }
    }
}

/// Marks a running job as alive (PostgreSQL instances watch each other's jobs this way).
pub async fn heartbeat(db: &Db, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
    on_db!(db, |pool| sqlx::query(
        "UPDATE import_jobs SET heartbeat_at = $2 WHERE id = $1 AND stage = 'running'"
    )
    .bind(id)
    .bind(at)
    .execute(pool)
    .await
    .map(|_| ())
    .map_err(StoreError::query(WRITE, "导入任务"))?);
    Ok(())
}

/// Ends a running job.
pub async fn finish(
    db: &Db,
    id: i64,
    stage: JobStage,
    run_id: Option<i64>,
    message: Option<&str>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    on_db!(db, |pool| sqlx::query(
        "UPDATE import_jobs SET stage = $2, run_id = $3, message = $4, finished_at = $5
         WHERE id = $1"
    )
    .bind(id)
    .bind(stage.code())
    .bind(run_id)
    .bind(message)
    .bind(at)
    .execute(pool)
    .await
    .map(|_| ())
    .map_err(StoreError::query(WRITE, "导入任务"))?);
    Ok(())
}

/// Queues again the jobs whose worker died: running, with no heartbeat since `stale_before`.
/// Their transaction died with the worker, so nothing of them was applied. Returns their ids.
pub async fn requeue_abandoned(db: &Db, stale_before: DateTime<Utc>) -> StoreResult<Vec<i64>> {
    on_db!(db, |pool| sqlx::query_scalar(
        "UPDATE import_jobs SET stage = 'queued'
         WHERE stage = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < $1)
         RETURNING id"
    )
    .bind(stale_before)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query(WRITE, "导入任务")))
}

/// The fields a school chose for header names before, by header key.
pub async fn saved_mappings(db: &Db, school: SchoolId) -> StoreResult<HashMap<String, String>> {
    let rows: Vec<(String, String)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT header_key, field FROM import_mappings WHERE school_id = $1"
    )
    .bind(school.get())
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取列对应模板", "学校"))?);
    Ok(rows.into_iter().collect())
}

/// Remembers the field chosen for each header key (an empty field: the column is ignored).
pub async fn save_mappings(
    db: &Db,
    school: SchoolId,
    mappings: &[(String, String)],
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    for (key, field) in mappings {
        on_tx!(&mut tx, |conn| sqlx::query(
            "INSERT INTO import_mappings (school_id, header_key, field, updated_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (school_id, header_key) DO UPDATE SET field = $3, updated_at = $4"
        )
        .bind(school.get())
        .bind(key)
        .bind(field)
        .bind(at)
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(StoreError::query("保存列对应模板", "学校"))?);
    }
    tx.commit().await?;
    Ok(())
}
