//! Saved segments: a named search (the words typed and the facet filters) kept by its owner.

use crate::db::{Db, Tx};
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub id: i64,
    pub owner: i64,
    pub owner_name: String,
    pub name: String,
    pub query: String,
    /// Facet filters as JSON.
    pub filters: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

type SegmentRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
);

fn segment(row: SegmentRow) -> Segment {
    let (id, owner, owner_name, name, query, filters, created_at, updated_at) = row;
    Segment {
        id,
        owner,
        owner_name,
        name,
        query,
        filters,
        created_at,
        updated_at,
    }
}

const SELECT: &str = "SELECT s.id, s.owner_user_id, u.display_name, s.name, s.query, s.filters,
        s.created_at, s.updated_at
     FROM search_segments s JOIN users u ON u.id = s.owner_user_id";

pub async fn insert(
    tx: &mut Tx,
    owner: i64,
    name: &str,
    query: &str,
    filters: &str,
    at: DateTime<Utc>,
) -> StoreResult<i64> {
    on_tx!(tx, |conn| sqlx::query_scalar(
        "INSERT INTO search_segments (owner_user_id, name, query, filters, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id"
    )
    .bind(owner)
    .bind(name)
    .bind(query)
    .bind(filters)
    .bind(at)
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("保存人群", "人群")))
}

pub async fn get(db: &Db, id: i64) -> StoreResult<Option<Segment>> {
    let row: Option<SegmentRow> = on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE s.id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取人群", "人群"))?);
    Ok(row.map(segment))
}

/// The owner's segments, most recently changed first.
pub async fn list_of_owner(db: &Db, owner: i64) -> StoreResult<Vec<Segment>> {
    let rows: Vec<SegmentRow> = on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE s.owner_user_id = $1 ORDER BY s.updated_at DESC, s.id DESC"
    )))
    .bind(owner)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取人群", "人群"))?);
    Ok(rows.into_iter().map(segment).collect())
}

/// Renames a segment; returns whether it existed.
pub async fn rename(tx: &mut Tx, id: i64, name: &str, at: DateTime<Utc>) -> StoreResult<bool> {
    on_tx!(tx, |conn| sqlx::query(
        "UPDATE search_segments SET name = $2, updated_at = $3 WHERE id = $1"
    )
    .bind(id)
    .bind(name)
    .bind(at)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected() > 0)
    .map_err(StoreError::query("修改人群", "人群")))
}

/// Deletes a segment; returns whether it existed.
pub async fn delete(tx: &mut Tx, id: i64) -> StoreResult<bool> {
    on_tx!(tx, |conn| sqlx::query(
        "DELETE FROM search_segments WHERE id = $1"
    )
    .bind(id)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected() > 0)
    .map_err(StoreError::query("删除人群", "人群")))
}
