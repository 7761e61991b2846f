//! SQLite's half of bulk writing. Rows go in through single-row statements prepared once per
//! batch and bound value by value straight from the rows, on the connection beneath the sqlx
//! transaction. Nothing is copied into an argument list and no multi-row statement is
//! compiled; a roster row costs SQLite little more than its B-tree work. Lookups by
//! fingerprint and by ID-number hash run the same way, one prepared probe per key.
//!
//! The work is synchronous: a batch of a few thousand rows takes tens of milliseconds. On a
//! multi-threaded runtime it runs through [`tokio::task::block_in_place`], so other tasks move
//! to another worker meanwhile.

use super::{
    Batch, BulkConsent, BulkContact, BulkEmployment, BulkPerson, BulkStudyRecord, CONSENTS,
    CONTACTS, EMPLOYMENTS, NewRowsWritten, PERSONS, RowFingerprint, STUDY_RECORDS,
};
use crate::error::{StoreError, StoreResult};
use crate::people::contact_value_key;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use sqlx::SqliteConnection;
use std::collections::HashMap;
use xiaoyou_core::{
    ClassId, CollegeId, EnterpriseId, Gender, MajorId, PersonId, SchoolId, SourceId,
};

/// Runs `work` on the raw connection beneath `conn`, inside whatever transaction it holds.
/// `context` and `what` describe a failure to reach the connection; `work` describes its own.
async fn on_raw<T>(
    conn: &mut SqliteConnection,
    context: &'static str,
    what: &'static str,
    work: impl FnOnce(&Connection) -> StoreResult<T>,
) -> StoreResult<T> {
    let mut locked = conn
        .lock_handle()
        .await
        .map_err(StoreError::query(context, what))?;
    let handle = locked.as_raw_handle();
    let result = in_place(|| {
        let raw = borrow_connection(handle).map_err(StoreError::bulk_write(context, what))?;
        work(&raw)
    });
    drop(locked);
    result
}

/// A rusqlite view of a connection sqlx owns.
#[allow(unsafe_code)]
fn borrow_connection(
    handle: std::ptr::NonNull<rusqlite::ffi::sqlite3>,
) -> rusqlite::Result<Connection> {
    // SAFETY: the handle comes from sqlx's `LockedSqliteHandle`, which keeps sqlx's worker
    // thread away from the connection until it is dropped, and `on_raw` drops it only after
    // this view. A connection made from a handle never closes it; statements prepared through
    // the view are finalized when the view is dropped.
    unsafe { Connection::from_handle(handle.as_ptr()) }
}

/// Runs blocking work without stalling other tasks of a multi-threaded runtime.
fn in_place<T>(work: impl FnOnce() -> T) -> T {
    if super::on_multi_threaded_runtime() {
        tokio::task::block_in_place(work)
    } else {
        work()
    }
}

/// Timestamps as sqlx stores them on SQLite, so that every reader decodes them alike.
fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

fn date(day: Option<chrono::NaiveDate>) -> Option<String> {
    day.map(|d| d.format("%F").to_string())
}

/// The text of the date bound last: a batch's contacts mostly share one observation date.
#[derive(Default)]
struct DateText {
    last: Option<(chrono::NaiveDate, String)>,
}

impl DateText {
    fn of(&mut self, day: Option<chrono::NaiveDate>) -> Option<&str> {
        let day = day?;
        if self.last.as_ref().is_none_or(|(known, _)| *known != day) {
            self.last = Some((day, day.format("%F").to_string()));
        }
        self.last.as_ref().map(|(_, text)| text.as_str())
    }
}

/// Writes a batch, consuming it, in dependency order.
pub(super) async fn write_batch(
    conn: &mut SqliteConnection,
    batch: Batch,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let now = timestamp(now);
    let fail = |what| StoreError::bulk_write("批量写入", what);
    let written = on_raw(conn, "批量写入", PERSONS, |raw| {
        insert_persons(raw, &batch.persons, &now).map_err(fail(PERSONS))?;
        insert_study_records(raw, &batch.study_records, &now).map_err(fail(STUDY_RECORDS))?;
        insert_contacts(raw, &batch.contacts, &now).map_err(fail(CONTACTS))?;
        insert_consents(raw, &batch.consents, &now).map_err(fail(CONSENTS))?;
        insert_employments(raw, &batch.employments, &now).map_err(fail(EMPLOYMENTS))
    })
    .await;
    super::free_elsewhere(batch);
    written
}

/// See [`super::write_batch_of_new_rows`].
pub(super) async fn write_batch_of_new_rows(
    conn: &mut SqliteConnection,
    batch: Batch,
    now: DateTime<Utc>,
) -> StoreResult<NewRowsWritten> {
    let now = timestamp(now);
    let fail = |what| StoreError::bulk_write("批量写入", what);
    let refused = on_raw(conn, "批量写入", STUDY_RECORDS, |raw| {
        raw.execute_batch("PRAGMA defer_foreign_keys = ON")
            .map_err(fail(STUDY_RECORDS))?;
        let refused = insert_new_study_records(raw, &batch.study_records, &now)
            .map_err(fail(STUDY_RECORDS))?;
        if !refused.is_empty() {
            return Ok(refused);
        }
        insert_persons(raw, &batch.persons, &now).map_err(fail(PERSONS))?;
        insert_contacts(raw, &batch.contacts, &now).map_err(fail(CONTACTS))?;
        insert_consents(raw, &batch.consents, &now).map_err(fail(CONSENTS))?;
        insert_employments(raw, &batch.employments, &now).map_err(fail(EMPLOYMENTS))?;
        Ok(refused)
    })
    .await?;
    if refused.is_empty() {
        super::free_elsewhere(batch);
        Ok(NewRowsWritten::All)
    } else {
        Ok(NewRowsWritten::Refused {
            batch,
            positions: refused,
        })
    }
}

/// Inserts study records whose fingerprint is new to their school. Returns the positions of
/// those whose fingerprint is stored already; if there are any, none of the records remains.
fn insert_new_study_records(
    raw: &Connection,
    rows: &[BulkStudyRecord],
    now: &str,
) -> rusqlite::Result<Vec<usize>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let last_before: i64 = raw.query_row(
        "SELECT COALESCE(MAX(id), 0) FROM study_records",
        [],
        |row| row.get(0),
    )?;
    let mut insert = raw.prepare(&format!(
        "{STUDY_RECORD_INSERT} ON CONFLICT (row_fingerprint, school_id) DO NOTHING"
    ))?;
    let mut refused = Vec::new();
    for (at, r) in rows.iter().enumerate() {
        if insert_study_record(&mut insert, r, now)? == 0 {
            refused.push(at);
        }
    }
    if !refused.is_empty() {
        raw.execute(
            "DELETE FROM study_records WHERE id > ?1",
            params![last_before],
        )?;
    }
    Ok(refused)
}

fn insert_persons(raw: &Connection, rows: &[BulkPerson], now: &str) -> rusqlite::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut insert = raw.prepare(
        "INSERT INTO persons (id, name, name_key, gender, birth_date, id_card_hash,
             id_card_cipher, id_card_masked, native_region_code, current_city, created_at,
             updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
    )?;
    for p in rows {
        let (hash, cipher, masked) = match &p.id_card {
            Some(card) => (
                Some(card.hash.as_str()),
                Some(card.cipher.as_slice()),
                Some(card.masked.as_str()),
            ),
            None => (None, None, None),
        };
        insert.execute(params![
            p.id.get(),
            p.name.as_str(),
            p.name_key,
            p.gender.map(Gender::code),
            date(p.birth_date),
            hash,
            cipher,
            masked,
            p.native_region.map(super::region_param),
            p.current_city.as_deref(),
            now,
        ])?;
    }
    Ok(())
}

const STUDY_RECORD_INSERT: &str = "INSERT INTO study_records (person_id, school_id, college_id,
    major_id, class_id, level, enrolment_year, graduation_year, student_no, name_as_reported,
    source_id, source_ref, row_fingerprint, reported_at, created_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)";

fn insert_study_records(
    raw: &Connection,
    rows: &[BulkStudyRecord],
    now: &str,
) -> rusqlite::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut insert = raw.prepare(STUDY_RECORD_INSERT)?;
    for r in rows {
        insert_study_record(&mut insert, r, now)?;
    }
    Ok(())
}

/// Runs `insert` (a [`STUDY_RECORD_INSERT`]) for one record; returns the rows it inserted.
fn insert_study_record(
    insert: &mut rusqlite::Statement<'_>,
    r: &BulkStudyRecord,
    now: &str,
) -> rusqlite::Result<usize> {
    insert.execute(params![
        r.person.get(),
        r.school.get(),
        r.college.map(CollegeId::get),
        r.major.map(MajorId::get),
        r.class.map(ClassId::get),
        r.level.code(),
        r.enrolment_year,
        r.graduation_year,
        r.student_no,
        r.name_as_reported,
        r.source.get(),
        r.source_ref,
        r.row_fingerprint.map(RowFingerprint::get),
        now,
    ])
}

fn insert_contacts(raw: &Connection, rows: &[BulkContact], now: &str) -> rusqlite::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut insert = raw.prepare(
        "INSERT INTO contact_points (person_id, kind, value, value_key, source_id, observed_on,
             verified, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut observed = DateText::default();
    for c in rows {
        let key = contact_value_key(c.kind, &c.value);
        insert.execute(params![
            c.person.get(),
            c.kind.code(),
            c.value,
            key.as_ref(),
            c.source.get(),
            observed.of(c.observed_on),
            c.verified,
            now,
        ])?;
    }
    Ok(())
}

fn insert_consents(raw: &Connection, rows: &[BulkConsent], now: &str) -> rusqlite::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut insert = raw.prepare(
        "INSERT INTO consents (person_id, audience, granted, source, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for c in rows {
        insert.execute(params![
            c.person.get(),
            c.audience.code(),
            c.granted,
            c.source,
            now
        ])?;
    }
    Ok(())
}

fn insert_employments(
    raw: &Connection,
    rows: &[BulkEmployment],
    now: &str,
) -> rusqlite::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut insert = raw.prepare(
        "INSERT INTO employments (person_id, enterprise_id, employer_name, title, city,
             start_year, end_year, is_current, source_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for e in rows {
        insert.execute(params![
            e.person.get(),
            e.enterprise.map(EnterpriseId::get),
            e.employer_name,
            e.title,
            e.city,
            e.start_year,
            e.end_year,
            e.is_current,
            e.source.get(),
            now,
        ])?;
    }
    Ok(())
}

/// See [`super::known_fingerprints`].
pub(super) async fn known_fingerprints(
    conn: &mut SqliteConnection,
    school: SchoolId,
    fingerprints: &[RowFingerprint],
) -> StoreResult<HashMap<RowFingerprint, SourceId>> {
    let fail = || StoreError::bulk_write("查找已导入的行", STUDY_RECORDS);
    on_raw(conn, "查找已导入的行", STUDY_RECORDS, |raw| {
        let mut lookup = raw
            .prepare(
                "SELECT source_id FROM study_records WHERE row_fingerprint = ?2 AND school_id = ?1",
            )
            .map_err(fail())?;
        let mut known = HashMap::new();
        for print in fingerprints {
            let source = lookup
                .query_row(params![school.get(), print.get()], |row| row.get(0))
                .optional()
                .map_err(fail())?;
            if let Some(source) = source {
                known.insert(*print, SourceId(source));
            }
        }
        Ok(known)
    })
    .await
}

/// See [`super::persons_by_id_card_hashes`].
pub(super) async fn persons_by_id_card_hashes(
    conn: &mut SqliteConnection,
    hashes: &[String],
) -> StoreResult<HashMap<String, PersonId>> {
    let fail = || StoreError::bulk_write("按身份证号查找校友", PERSONS);
    on_raw(conn, "按身份证号查找校友", PERSONS, |raw| {
        let mut lookup = raw
            .prepare("SELECT id FROM persons WHERE id_card_hash = ?1")
            .map_err(fail())?;
        let mut found = HashMap::new();
        for hash in hashes {
            let person = lookup
                .query_row(params![hash], |row| row.get(0))
                .optional()
                .map_err(fail())?;
            if let Some(person) = person {
                found.insert(hash.clone(), PersonId(person));
            }
        }
        Ok(found)
    })
    .await
}
