//! Industry chains (产业链): reference data per province.

use crate::db::{Db, Tx};
use crate::error::{StoreError, StoreResult};
use xiaoyou_core::{IndustryChainId, RegionCode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndustryChain {
    pub id: IndustryChainId,
    pub province: RegionCode,
    pub code: String,
    pub name: String,
    pub cluster: String,
}

#[derive(Debug, Clone)]
pub struct NewChain<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub cluster: &'a str,
}

fn province_param(code: RegionCode) -> i32 {
    i32::try_from(code.get()).unwrap_or(i32::MAX)
}

/// Inserts or renames the chains of a province (keyed by their code).
pub async fn upsert(
    tx: &mut Tx,
    province: RegionCode,
    chains: &[NewChain<'_>],
) -> StoreResult<usize> {
    for chain in chains {
        on_tx!(&mut *tx, |conn| {
            sqlx::query(
            "INSERT INTO industry_chains (province_code, code, name, cluster) VALUES ($1, $2, $3, $4)
             ON CONFLICT (province_code, code) DO UPDATE SET name = excluded.name, cluster = excluded.cluster"
        )
        .bind(province_param(province))
        .bind(chain.code)
        .bind(chain.name)
        .bind(chain.cluster)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
        .map_err(StoreError::query("保存产业链", "省份"))?
        });
    }
    Ok(chains.len())
}

pub async fn list(db: &Db, province: RegionCode) -> StoreResult<Vec<IndustryChain>> {
    let rows: Vec<(i64, String, String, String)> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT id, code, name, cluster FROM industry_chains WHERE province_code = $1 ORDER BY code"
    )
    .bind(province_param(province))
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取产业链", "产业链"))?
    });
    Ok(rows
        .into_iter()
        .map(|(id, code, name, cluster)| IndustryChain {
            id: IndustryChainId(id),
            province,
            code,
            name,
            cluster,
        })
        .collect())
}
