//! Small key-value facts about this instance (for example, that the demo data is complete).

use crate::db::{Db, Tx};
use crate::error::{StoreError, StoreResult};
use chrono::Utc;

pub async fn set(tx: &mut Tx, key: &str, value: &str) -> StoreResult<()> {
    on_tx!(tx, |conn| sqlx::query(
        "INSERT INTO instance_settings (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
    )
    .bind(key)
    .bind(value)
    .bind(Utc::now())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("保存实例设置", "实例设置"))?);
    Ok(())
}

pub async fn get(db: &Db, key: &str) -> StoreResult<Option<String>> {
    on_db!(db, |pool| sqlx::query_scalar(
        "SELECT value FROM instance_settings WHERE key = $1"
    )
    .bind(key)
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取实例设置", "实例设置")))
}
