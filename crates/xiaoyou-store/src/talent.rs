//! Talent profiles (人才档案) and appointments by schools (聘任).

use crate::db::{Db, Tx};
use crate::error::{StoreError, StoreResult};
use chrono::{NaiveDate, Utc};
use xiaoyou_core::{
    AppointmentId, AppointmentKind, IndustryChainId, PersonId, SchoolId, TalentCategory,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TalentProfile {
    pub person: PersonId,
    pub category: TalentCategory,
    pub honours: Option<String>,
    pub expertise: Option<String>,
    pub summary: Option<String>,
    pub chains: Vec<IndustryChainId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub id: AppointmentId,
    pub person: PersonId,
    pub school: SchoolId,
    pub kind: AppointmentKind,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub note: Option<String>,
}

/// Creates or replaces a person's talent profile, including its industry chains.
pub async fn upsert_profile(tx: &mut Tx, profile: &TalentProfile) -> StoreResult<()> {
    let person = profile.person.get();
    on_tx!(&mut *tx, |conn| {
        sqlx::query(
            "INSERT INTO talent_profiles (person_id, category, honours, expertise, summary, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (person_id) DO UPDATE SET category = excluded.category, honours = excluded.honours,
                 expertise = excluded.expertise, summary = excluded.summary, updated_at = excluded.updated_at",
        )
        .bind(person)
        .bind(profile.category.code())
        .bind(profile.honours.as_deref())
        .bind(profile.expertise.as_deref())
        .bind(profile.summary.as_deref())
        .bind(Utc::now())
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
        .map_err(StoreError::query("保存人才档案", "校友"))?;
        sqlx::query("DELETE FROM talent_profile_chains WHERE person_id = $1")
            .bind(person)
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected())
            .map_err(StoreError::query("保存人才档案", "校友"))?;
        for chain in &profile.chains {
            sqlx::query(
                "INSERT INTO talent_profile_chains (person_id, industry_chain_id) VALUES ($1, $2)",
            )
            .bind(person)
            .bind(chain.get())
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected())
            .map_err(StoreError::query("保存人才档案的产业链", "产业链"))?;
        }
    });
    Ok(())
}

type ProfileRow = (String, Option<String>, Option<String>, Option<String>);

pub async fn get_profile(db: &Db, person: PersonId) -> StoreResult<Option<TalentProfile>> {
    let row: Option<ProfileRow> = on_db!(db, |pool| sqlx::query_as(
        "SELECT category, honours, expertise, summary FROM talent_profiles WHERE person_id = $1"
    )
    .bind(person.get())
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取人才档案", "人才档案"))?);
    let Some((category, honours, expertise, summary)) = row else {
        return Ok(None);
    };
    let chains: Vec<i64> = on_db!(db, |pool| {
        sqlx::query_scalar(
        "SELECT industry_chain_id FROM talent_profile_chains WHERE person_id = $1 ORDER BY industry_chain_id"
    )
    .bind(person.get())
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取人才档案", "人才档案"))?
    });
    Ok(Some(TalentProfile {
        person,
        category: TalentCategory::parse(&category).map_err(|e| StoreError::Corrupt {
            table: "talent_profiles",
            id: person.get(),
            detail: e.to_string(),
        })?,
        honours,
        expertise,
        summary,
        chains: chains.into_iter().map(IndustryChainId).collect(),
    }))
}

pub async fn insert_appointment(
    tx: &mut Tx,
    person: PersonId,
    school: SchoolId,
    kind: AppointmentKind,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    note: Option<&str>,
) -> StoreResult<Appointment> {
    let id: i64 = on_tx!(tx, |conn| {
        sqlx::query_scalar(
        "INSERT INTO appointments (person_id, school_id, kind, start_date, end_date, note, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"
    )
    .bind(person.get())
    .bind(school.get())
    .bind(kind.code())
    .bind(start_date)
    .bind(end_date)
    .bind(note)
    .bind(Utc::now())
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("新建聘任", "校友或学校"))?
    });
    Ok(Appointment {
        id: AppointmentId(id),
        person,
        school,
        kind,
        start_date,
        end_date,
        note: note.map(str::to_owned),
    })
}

pub async fn appointments_of_person(db: &Db, person: PersonId) -> StoreResult<Vec<Appointment>> {
    type Row = (
        i64,
        i64,
        String,
        Option<NaiveDate>,
        Option<NaiveDate>,
        Option<String>,
    );
    let rows: Vec<Row> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, school_id, kind, start_date, end_date, note FROM appointments
         WHERE person_id = $1 ORDER BY start_date DESC, id DESC"
    )
    .bind(person.get())
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取聘任", "聘任"))?);
    rows.into_iter()
        .map(|(id, school, kind, start_date, end_date, note)| {
            Ok(Appointment {
                id: AppointmentId(id),
                person,
                school: SchoolId(school),
                kind: AppointmentKind::parse(&kind).map_err(|e| StoreError::Corrupt {
                    table: "appointments",
                    id,
                    detail: e.to_string(),
                })?,
                start_date,
                end_date,
                note,
            })
        })
        .collect()
}
