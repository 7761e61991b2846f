//! Enterprises (企业), keyed by normalised name and, when known, the unified social credit code.

use crate::db::{Db, Tx};
use crate::error::{StoreError, StoreResult};
use chrono::Utc;
use xiaoyou_core::{CreditCode, EnterpriseId, EnterpriseTag, IndustryChainId, RegionCode};
use xiaoyou_text::org_name_key;

#[derive(Debug, Clone)]
pub struct NewEnterprise<'a> {
    pub name: &'a str,
    pub credit_code: Option<&'a CreditCode>,
    pub region: Option<RegionCode>,
    pub city: Option<&'a str>,
    pub industry_chain: Option<IndustryChainId>,
    pub tags: &'a [EnterpriseTag],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enterprise {
    pub id: EnterpriseId,
    pub name: String,
    pub credit_code: Option<String>,
    pub region: Option<RegionCode>,
    pub city: Option<String>,
    pub industry_chain: Option<IndustryChainId>,
    pub tags: Vec<EnterpriseTag>,
}

fn region_param(code: RegionCode) -> i32 {
    i32::try_from(code.get()).unwrap_or(i32::MAX)
}

pub async fn insert(tx: &mut Tx, enterprise: &NewEnterprise<'_>) -> StoreResult<EnterpriseId> {
    let name = enterprise.name.trim();
    let id: i64 = on_tx!(&mut *tx, |conn| {
        sqlx::query_scalar(
        "INSERT INTO enterprises (name, name_key, credit_code, region_code, city, industry_chain_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"
    )
    .bind(name)
    .bind(org_name_key(name))
    .bind(enterprise.credit_code.map(CreditCode::as_str))
    .bind(enterprise.region.map(region_param))
    .bind(enterprise.city)
    .bind(enterprise.industry_chain.map(IndustryChainId::get))
    .bind(Utc::now())
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("新建企业", "企业"))?
    });
    for tag in enterprise.tags {
        on_tx!(&mut *tx, |conn| {
            sqlx::query(
            "INSERT INTO enterprise_tags (enterprise_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        )
        .bind(id)
        .bind(tag.code())
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
        .map_err(StoreError::query("保存企业标签", "企业"))?
        });
    }
    Ok(EnterpriseId(id))
}

type EnterpriseRow = (
    i64,
    String,
    Option<String>,
    Option<i32>,
    Option<String>,
    Option<i64>,
);

macro_rules! select {
    () => {
        "SELECT e.id, e.name, e.credit_code, e.region_code, e.city, e.industry_chain_id FROM enterprises e"
    };
}

async fn tags_of(db: &Db, id: i64) -> StoreResult<Vec<EnterpriseTag>> {
    let tags: Vec<String> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT tag FROM enterprise_tags WHERE enterprise_id = $1 ORDER BY tag"
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取企业标签", "企业"))?);
    tags.iter()
        .map(|t| {
            EnterpriseTag::parse(t).map_err(|e| StoreError::Corrupt {
                table: "enterprise_tags",
                id,
                detail: e.to_string(),
            })
        })
        .collect()
}

async fn decode(db: &Db, row: EnterpriseRow) -> StoreResult<Enterprise> {
    let (id, name, credit_code, region, city, chain) = row;
    Ok(Enterprise {
        id: EnterpriseId(id),
        name,
        credit_code,
        region: region
            .and_then(|c| u32::try_from(c).ok())
            .and_then(|c| RegionCode::new(c).ok()),
        city,
        industry_chain: chain.map(IndustryChainId),
        tags: tags_of(db, id).await?,
    })
}

pub async fn get(db: &Db, id: EnterpriseId) -> StoreResult<Option<Enterprise>> {
    let sql = concat!(select!(), " WHERE e.id = $1");
    let row: Option<EnterpriseRow> = on_db!(db, |pool| sqlx::query_as(sql)
        .bind(id.get())
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("读取企业", "企业"))?);
    match row {
        Some(row) => Ok(Some(decode(db, row).await?)),
        None => Ok(None),
    }
}

/// Finds an enterprise by credit code when given, else by any spelling of its name.
pub async fn find(
    db: &Db,
    name: &str,
    credit_code: Option<&CreditCode>,
) -> StoreResult<Option<Enterprise>> {
    let row: Option<EnterpriseRow> = match credit_code {
        Some(code) => {
            let sql = concat!(select!(), " WHERE e.credit_code = $1");
            on_db!(db, |pool| sqlx::query_as(sql)
                .bind(code.as_str())
                .fetch_optional(pool)
                .await
                .map_err(StoreError::query("查找企业", "企业"))?)
        }
        None => None,
    };
    let row = match row {
        Some(row) => Some(row),
        None => {
            let sql = concat!(select!(), " WHERE e.name_key = $1");
            on_db!(db, |pool| sqlx::query_as(sql)
                .bind(org_name_key(name))
                .fetch_optional(pool)
                .await
                .map_err(StoreError::query("查找企业", "企业"))?)
        }
    };
    match row {
        Some(row) => Ok(Some(decode(db, row).await?)),
        None => Ok(None),
    }
}
