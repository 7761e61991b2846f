//! The history of import runs, with each run's error report.

use crate::db::{Db, Tx};
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use xiaoyou_core::{SchoolId, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRun {
    pub id: i64,
    pub school: SchoolId,
    pub user: Option<UserId>,
    pub file_name: String,
    pub data_rows: i32,
    pub imported: i32,
    pub unchanged: i32,
    pub duplicates: i32,
    pub refused: i32,
    pub has_error_report: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewImportRun<'a> {
    pub school: SchoolId,
    pub user: Option<UserId>,
    pub file_name: &'a str,
    pub data_rows: i32,
    pub imported: i32,
    pub unchanged: i32,
    pub duplicates: i32,
    pub refused: i32,
    pub error_report: Option<&'a [u8]>,
}

pub async fn record(tx: &mut Tx, run: &NewImportRun<'_>, at: DateTime<Utc>) -> StoreResult<i64> {
    on_tx!(tx, |conn| {
        sqlx::query_scalar(
        "INSERT INTO import_runs (school_id, user_id, file_name, data_rows, imported, unchanged, duplicates,
             refused, error_report, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id"
    )
    .bind(run.school.get())
    .bind(run.user.map(UserId::get))
    .bind(run.file_name)
    .bind(run.data_rows)
    .bind(run.imported)
    .bind(run.unchanged)
    .bind(run.duplicates)
    .bind(run.refused)
    .bind(run.error_report)
    .bind(at)
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("记录导入", "学校或账号"))
    })
}

type RunRow = (
    i64,
    i64,
    Option<i64>,
    String,
    i32,
    i32,
    i32,
    i32,
    i32,
    bool,
    DateTime<Utc>,
);

macro_rules! select_run {
    () => {
        "SELECT id, school_id, user_id, file_name, data_rows, imported, unchanged, duplicates, refused,
            error_report IS NOT NULL, created_at FROM import_runs"
    };
}

fn decode(row: RunRow) -> ImportRun {
    let (
        id,
        school,
        user,
        file_name,
        data_rows,
        imported,
        unchanged,
        duplicates,
        refused,
        has_error_report,
        created_at,
    ) = row;
    ImportRun {
        id,
        school: SchoolId(school),
        user: user.map(UserId),
        file_name,
        data_rows,
        imported,
        unchanged,
        duplicates,
        refused,
        has_error_report,
        created_at,
    }
}

pub async fn recent_of_school(
    db: &Db,
    school: SchoolId,
    limit: i64,
) -> StoreResult<Vec<ImportRun>> {
    let rows: Vec<RunRow> = on_db!(db, |pool| sqlx::query_as(concat!(
        select_run!(),
        " WHERE school_id = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(school.get())
    .bind(limit)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取导入记录", "导入记录"))?);
    Ok(rows.into_iter().map(decode).collect())
}

pub async fn get(db: &Db, id: i64) -> StoreResult<Option<ImportRun>> {
    let row: Option<RunRow> = on_db!(db, |pool| sqlx::query_as(concat!(
        select_run!(),
        " WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取导入记录", "导入记录"))?);
    Ok(row.map(decode))
}

pub async fn error_report(db: &Db, id: i64) -> StoreResult<Option<Vec<u8>>> {
    let report: Option<Option<Vec<u8>>> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT error_report FROM import_runs WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取错误报告", "导入记录"))?);
    Ok(report.flatten())
}
