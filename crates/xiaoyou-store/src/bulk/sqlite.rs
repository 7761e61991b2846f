//! SQLite's half of bulk writing, on the connection beneath the sqlx transaction. A batch is
//! lent to SQLite as virtual tables ([`super::lent`]) and each table's rows go in through one
//! `INSERT … SELECT` per batch: nothing is copied into an argument list or bound value by
//! value, and SQLite keeps one cursor open per table for the whole batch. Lookups by
//! fingerprint and by ID-number hash are one prepared probe per key.
//!
//! The work is synchronous: a batch of a few thousand rows takes tens of milliseconds. On a
//! multi-threaded runtime it runs through [`tokio::task::block_in_place`], so other tasks move
//! to another worker meanwhile.

use super::lent::Lender;
use super::{
    Batch, CONSENTS, CONTACTS, EMPLOYMENTS, NewRowsWritten, PERSONS, RowFingerprint, STUDY_RECORDS,
};
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use sqlx::SqliteConnection;
use std::collections::HashMap;
use xiaoyou_core::{PersonId, SchoolId, SourceId};

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

/// Writes a batch, consuming it, in dependency order.
pub(super) async fn write_batch(
    conn: &mut SqliteConnection,
    batch: Batch,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let now = timestamp(now);
    on_raw(conn, "批量写入", PERSONS, |raw| {
        let (batch, written) = Lender::lend(raw, batch, |raw, batch| {
            insert_lent(raw, &PERSONS_FROM_LENT, &now, batch)?;
            insert_lent(raw, &STUDY_RECORDS_FROM_LENT, &now, batch)?;
            insert_rest(raw, &now, batch)
        });
        super::free_elsewhere(batch);
        written
    })
    .await
}

/// See [`super::write_batch_of_new_rows`].
pub(super) async fn write_batch_of_new_rows(
    conn: &mut SqliteConnection,
    batch: Batch,
    now: DateTime<Utc>,
) -> StoreResult<NewRowsWritten> {
    let now = timestamp(now);
    on_raw(conn, "批量写入", STUDY_RECORDS, |raw| {
        let (batch, refused) = Lender::lend(raw, batch, |raw, batch| {
            raw.execute_batch("PRAGMA defer_foreign_keys = ON")
                .map_err(StoreError::bulk_write("批量写入", STUDY_RECORDS))?;
            let refused = insert_new_study_records(raw, &now, batch)?;
            if refused.is_none() {
                insert_lent(raw, &PERSONS_FROM_LENT, &now, batch)?;
                insert_rest(raw, &now, batch)?;
            }
            Ok(refused)
        });
        match refused? {
            None => {
                super::free_elsewhere(batch);
                Ok(NewRowsWritten::All)
            }
            Some(positions) => Ok(NewRowsWritten::Refused { batch, positions }),
        }
    })
    .await
}

/// A statement that inserts the lent rows of one list into their table.
///
/// Each says `INSERT OR IGNORE`: a statement that inserts many rows and could stop halfway on
/// a constraint makes SQLite copy every page it is about to change into a statement journal
/// first, so that it can undo its own rows. With live indexes (an ID-number column, a school's
/// later rosters) that was most pages of those indexes for every batch, and a 1,000,000-row
/// import with ID numbers stored 10–15 % slower than row by row. A refused row is found by
/// counting instead ([`insert_lent`]); only the study records of a school's first roster
/// expect refusals ([`insert_new_study_records`]).
struct FromLent {
    sql: &'static str,
    /// What the table's rows are called in error messages.
    what: &'static str,
    /// How many rows of a batch the statement inserts.
    rows: fn(&Batch) -> usize,
}

/// Runs `statement` with `now` as the time of writing; returns the rows it inserted.
fn run_lent(raw: &Connection, statement: &FromLent, now: &str) -> StoreResult<usize> {
    raw.prepare(statement.sql)
        .and_then(|mut insert| insert.execute(params![now]))
        .map_err(StoreError::bulk_write("批量写入", statement.what))
}

/// Runs `statement` and makes sure every lent row went in: a row the table refused (its id
/// or a unique key stored already) fails the batch, as the constraint would have.
fn insert_lent(
    raw: &Connection,
    statement: &FromLent,
    now: &str,
    batch: &Batch,
) -> StoreResult<()> {
    if run_lent(raw, statement, now)? == (statement.rows)(batch) {
        Ok(())
    } else {
        Err(StoreError::Duplicate {
            what: statement.what,
        })
    }
}

/// What a batch writes after its persons and study records.
fn insert_rest(raw: &Connection, now: &str, batch: &Batch) -> StoreResult<()> {
    insert_lent(raw, &CONTACTS_FROM_LENT, now, batch)?;
    insert_lent(raw, &CONSENTS_FROM_LENT, now, batch)?;
    insert_lent(raw, &EMPLOYMENTS_FROM_LENT, now, batch)
}

const PERSONS_FROM_LENT: FromLent = FromLent {
    what: PERSONS,
    rows: |batch| batch.persons.len(),
    sql: "INSERT OR IGNORE INTO persons (id, name, name_key, gender, birth_date,
    id_card_hash, id_card_cipher, id_card_masked, native_region_code, current_city, created_at,
    updated_at)
    SELECT id, name, name_key, gender, birth_date, id_card_hash, id_card_cipher,
        id_card_masked, native_region_code, current_city, ?1, ?1
    FROM xiaoyou_lent_persons",
};

const STUDY_RECORDS_FROM_LENT: FromLent = FromLent {
    what: STUDY_RECORDS,
    rows: |batch| batch.study_records.len(),
    sql: "INSERT OR IGNORE INTO study_records (person_id, school_id,
    college_id, major_id, class_id, level, enrolment_year, graduation_year, student_no,
    name_as_reported, source_id, source_ref, row_fingerprint, reported_at, created_at)
    SELECT person_id, school_id, college_id, major_id, class_id, level, enrolment_year,
        graduation_year, student_no, name_as_reported, source_id, source_ref, row_fingerprint,
        ?1, ?1
    FROM xiaoyou_lent_study_records",
};

const CONTACTS_FROM_LENT: FromLent = FromLent {
    what: CONTACTS,
    rows: |batch| batch.contacts.len(),
    sql: "INSERT OR IGNORE INTO contact_points (person_id, kind, value,
    value_key, source_id, observed_on, verified, created_at)
    SELECT person_id, kind, value, value_key, source_id, observed_on, verified, ?1
    FROM xiaoyou_lent_contacts",
};

const CONSENTS_FROM_LENT: FromLent = FromLent {
    what: CONSENTS,
    rows: |batch| batch.consents.len(),
    sql: "INSERT OR IGNORE INTO consents (person_id, audience, granted, source,
    recorded_at)
    SELECT person_id, audience, granted, source, ?1 FROM xiaoyou_lent_consents",
};

const EMPLOYMENTS_FROM_LENT: FromLent = FromLent {
    what: EMPLOYMENTS,
    rows: |batch| batch.employments.len(),
    sql: "INSERT OR IGNORE INTO employments (person_id, enterprise_id,
    employer_name, title, city, start_year, end_year, is_current, source_id, created_at)
    SELECT person_id, enterprise_id, employer_name, title, city, start_year, end_year,
        is_current, source_id, ?1
    FROM xiaoyou_lent_employments",
};

/// Inserts the lent study records whose fingerprint is new to their school. If some have a
/// fingerprint stored already (the fingerprint index refuses them), none of the records
/// remains and their positions are returned.
fn insert_new_study_records(
    raw: &Connection,
    now: &str,
    batch: &Batch,
) -> StoreResult<Option<Vec<usize>>> {
    let fail = || StoreError::bulk_write("批量写入", STUDY_RECORDS);
    let last_before: i64 = raw
        .query_row(
            "SELECT COALESCE(MAX(id), 0) FROM study_records",
            [],
            |row| row.get(0),
        )
        .map_err(fail())?;
    let inserted = run_lent(raw, &STUDY_RECORDS_FROM_LENT, now)?;
    if inserted == batch.study_records.len() {
        return Ok(None);
    }
    refused_and_removed(raw, last_before)
        .map(Some)
        .map_err(fail())
}

/// The positions of the lent study records the fingerprint index refused (those not among the
/// records inserted after `last_before`), once the inserted ones are deleted again.
fn refused_and_removed(raw: &Connection, last_before: i64) -> rusqlite::Result<Vec<usize>> {
    let refused = raw
        .prepare(
            "SELECT lent.rowid FROM xiaoyou_lent_study_records AS lent
             WHERE lent.row_fingerprint IS NOT NULL AND NOT EXISTS (
                 SELECT 1 FROM study_records AS stored
                 WHERE stored.id > ?1 AND stored.row_fingerprint = lent.row_fingerprint
                   AND stored.school_id = lent.school_id)
             ORDER BY lent.rowid",
        )?
        .query_map(params![last_before], |row| row.get::<_, i64>(0))?
        .map(|at| at.map(|at| usize::try_from(at).unwrap_or(usize::MAX)))
        .collect::<rusqlite::Result<Vec<usize>>>()?;
    raw.execute(
        "DELETE FROM study_records WHERE id > ?1",
        params![last_before],
    )?;
    Ok(refused)
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
