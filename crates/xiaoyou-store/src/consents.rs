//! Consent records: per person and audience, the latest statement wins; every statement is
//! kept with its source and time.

use crate::db::{Db, Tx};
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use xiaoyou_core::{ConsentAudience, PersonId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub audience: ConsentAudience,
    pub granted: bool,
    pub source: String,
    pub recorded_at: DateTime<Utc>,
}

pub async fn record(
    tx: &mut Tx,
    person: PersonId,
    audience: ConsentAudience,
    granted: bool,
    source: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    on_tx!(tx, |conn| {
        sqlx::query(
        "INSERT INTO consents (person_id, audience, granted, source, recorded_at) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(person.get())
    .bind(audience.code())
    .bind(granted)
    .bind(source)
    .bind(at)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("记录授权", "校友"))?
    });
    Ok(())
}

/// The latest statement per audience.
pub async fn current(db: &Db, person: PersonId) -> StoreResult<Vec<Consent>> {
    let rows: Vec<(i64, String, bool, String, DateTime<Utc>)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, audience, granted, source, recorded_at FROM consents WHERE person_id = $1
         ORDER BY recorded_at DESC, id DESC"
    )
    .bind(person.get())
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取授权", "授权"))?);
    let mut latest: Vec<Consent> = Vec::new();
    for (id, audience, granted, source, recorded_at) in rows {
        let audience = ConsentAudience::parse(&audience).map_err(|e| StoreError::Corrupt {
            table: "consents",
            id,
            detail: e.to_string(),
        })?;
        if !latest.iter().any(|c| c.audience == audience) {
            latest.push(Consent {
                audience,
                granted,
                source,
                recorded_at,
            });
        }
    }
    latest.sort_by_key(|c| c.audience);
    Ok(latest)
}

/// Whether the person currently allows the audience (their default when they said nothing).
pub async fn allows(db: &Db, person: PersonId, audience: ConsentAudience) -> StoreResult<bool> {
    Ok(current(db, person)
        .await?
        .into_iter()
        .find(|c| c.audience == audience)
        .map_or(audience.default_granted(), |c| c.granted))
}
