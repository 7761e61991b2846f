//! Importing a roster into a school: read, find the header, check every row, then store all
//! good rows in one transaction (so a failure or a killed process leaves nothing half-applied),
//! skipping rows already imported before. Refused rows go to a downloadable error report.
//! Reading and storing overlap: [`read`] streams and checks rows on a thread of its own,
//! [`write`] stores them; [`jobs`] runs imports in the background with progress.

pub mod jobs;
pub mod mapping;
pub mod orgs;
pub mod read;
pub mod report;
pub mod template;
pub mod validate;
pub mod write;

use crate::audit::{self, AuditContext, Event};
use crate::error::{AppError, AppResult};
pub use mapping::ColumnChoices;
pub use read::ReadSeek;
use read::{Message, ReadPlan};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use validate::Problem;
use write::{RowCheck, Writer};
use xiaoyou_core::{Clock, PersonId, PersonalDataKey, SchoolId, UserId};
use xiaoyou_sheet::{Container, Field};
use xiaoyou_store::bulk;
use xiaoyou_store::org::School;
use xiaoyou_store::sources::{self, SourceKind};
use xiaoyou_store::{Db, Tx, import_jobs, imports};

/// A refused row: where it was, what it held, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub cells: Vec<String>,
    pub problems: Vec<Problem>,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub data_rows: usize,
    pub imported: usize,
    /// Rows imported by an earlier import of the same content.
    pub unchanged: usize,
    /// Rows repeated within this file.
    pub duplicates: usize,
    /// Rows refused (all of them; `errors` keeps the first [`REPORTED_ERRORS`]).
    pub refused: usize,
    pub errors: Vec<RowError>,
    pub headers: Vec<String>,
    /// Columns no field was recognised for (kept only in the error report).
    pub unmapped: Vec<String>,
    /// Persons created or given a new study record: handed to identity resolution and search.
    pub touched_persons: Vec<PersonId>,
    /// The recorded run (history and the downloadable error report).
    pub run_id: i64,
}

/// Progress while checking and storing rows: rows so far, and how far through the file the
/// reader is (`done` of `total`, in bytes or worksheet rows; `total` 0 when unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportProgress {
    pub rows_read: u64,
    pub rows_stored: u64,
    pub done: u64,
    pub total: u64,
}

impl ImportProgress {
    /// How far through the file, 0.0 to 1.0.
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            (self.done as f64 / self.total as f64).clamp(0.0, 1.0)
        }
    }
}

/// Refused rows kept for the error report; beyond this only their number is kept, so that a
/// file of nothing but bad rows cannot exhaust memory.
pub const REPORTED_ERRORS: usize = 50_000;

/// How to read a roster beyond what its header says.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub choices: ColumnChoices,
    /// The college of rows whose file has no college column or leaves it empty.
    pub default_college: Option<String>,
}

/// Imports a roster held in memory (see [`import_file`]).
#[allow(clippy::too_many_arguments)]
pub async fn import_roster(
    db: &Db,
    clock: &dyn Clock,
    key: &PersonalDataKey,
    context: &AuditContext,
    school: &School,
    file_name: &str,
    bytes: &[u8],
    progress: &mut (dyn FnMut(ImportProgress) + Send),
) -> AppResult<ImportReport> {
    let source = Box::new(std::io::Cursor::new(bytes.to_vec()));
    let options = ImportOptions {
        choices: saved_choices(db, school).await?,
        default_college: None,
    };
    import_file(
        db, clock, key, context, school, file_name, source, options, progress,
    )
    .await
}

/// The column choices a school saved before.
pub async fn saved_choices(db: &Db, school: &School) -> AppResult<ColumnChoices> {
    Ok(ColumnChoices::from_saved(
        import_jobs::saved_mappings(db, school.id).await?,
    ))
}

/// Imports a roster into a school, streaming it: a reader thread checks rows while this task
/// stores the good ones, all in one transaction, so a failure or a killed process leaves
/// nothing half-applied. Rows with problems are reported, not stored.
#[allow(clippy::too_many_arguments)]
pub async fn import_file(
    db: &Db,
    clock: &dyn Clock,
    key: &PersonalDataKey,
    context: &AuditContext,
    school: &School,
    file_name: &str,
    source: Box<dyn ReadSeek>,
    options: ImportOptions,
    progress: &mut (dyn FnMut(ImportProgress) + Send),
) -> AppResult<ImportReport> {
    use chrono::Datelike;
    let now = clock.now();
    let plan = ReadPlan {
        school_kind: school.kind,
        current_year: now.year(),
        choices: options.choices,
        default_college: options.default_college,
        key: key.clone(),
        file_name: file_name.to_owned(),
    };
    let mut source = source;
    // A file the reader cannot open says why when it is read; until then it counts as text.
    let parsed_quickly = !matches!(
        xiaoyou_sheet::container_of(&mut source),
        Ok(Container::Zip | Container::Ole)
    );
    let (sender, mut receiver) = mpsc::channel(2);
    let reader = tokio::task::spawn_blocking(move || read::read_and_check(source, &plan, &sender));

    let stored = store_chunks(
        db,
        now,
        school,
        file_name,
        parsed_quickly,
        &mut receiver,
        progress,
    )
    .await;
    // Stop the reader if storing failed, then hear why it ended.
    drop(receiver);
    let read = reader
        .await
        .map_err(|e| AppError::Background(format!("读取文件的线程异常结束：{e}")))?;
    // A file the reader refused explains itself better than the writer's "no header".
    read?;
    let (tx, mut report, writer_touched, error_report) = stored?;
    let error_report = error_report.wait(&mut report).await?;
    let report_run = finish(
        tx,
        db,
        now,
        context,
        school,
        file_name,
        &report,
        error_report,
    )
    .await?;
    report.run_id = report_run;
    progress(ImportProgress {
        rows_read: report.data_rows as u64,
        rows_stored: report.imported as u64,
        done: 1,
        total: 1,
    });
    let mut touched = writer_touched;
    touched.sort();
    touched.dedup();
    report.touched_persons = touched;
    Ok(report)
}

/// Stores the rows the reader sends. `parsed_quickly`: the file is text, which is read faster
/// than its rows are stored (a workbook is read more slowly).
async fn store_chunks(
    db: &Db,
    now: chrono::DateTime<chrono::Utc>,
    school: &School,
    file_name: &str,
    parsed_quickly: bool,
    receiver: &mut mpsc::Receiver<Message>,
    progress: &mut (dyn FnMut(ImportProgress) + Send),
) -> AppResult<(Tx, ImportReport, Vec<PersonId>, report::PendingReport)> {
    let Some(Message::Header(header)) = receiver.recv().await else {
        return Err(AppError::Invalid {
            field: "文件",
            reason: "没有读到表头".into(),
        });
    };
    let mut report = ImportReport {
        headers: header.headers.clone(),
        unmapped: header
            .unmapped()
            .into_iter()
            .map(|(_, h)| h.to_owned())
            .collect(),
        ..ImportReport::default()
    };
    // The first chunk tells how large the file is, and so how to load it.
    let mut waiting = next_chunk(receiver).await;
    let expected = waiting.as_ref().map_or(0.0, expected_rows);
    let mut tx = db.begin_bulk_load().await?;
    let source = sources::insert(&mut tx, SourceKind::Import, file_name, Some(school.id)).await?;
    let first_roster = !bulk::school_has_study_records(&mut tx, school.id).await?;
    // Without ID numbers every row creates a person of its own, so a repeated row can be
    // taken out whole at the end (see `RowCheck::RemovedAtEnd`). That pays only while the
    // writer is what the import waits for: a workbook's reader is slower, and the writer
    // enters fingerprints in the index while it waits for rows anyway.
    let own_persons = !header.columns.contains(&Some(Field::IdCard));
    let defer_fingerprints = first_roster && own_persons && parsed_quickly;
    let bulk_load = BulkLoad::begin(&mut tx, expected, school, defer_fingerprints).await?;
    let check = if bulk_load.removes_repeats_at_end() {
        RowCheck::RemovedAtEnd
    } else if first_roster {
        RowCheck::RefusedByIndex
    } else {
        RowCheck::LookUpFirst
    };
    let mut writer = Writer::new(school, source.id, Some(now.date_naive()), check);
    let mut chunks = 0u64;
    let mut timings = PhaseTimings::default();
    loop {
        let chunk = match waiting.take() {
            Some(chunk) => chunk,
            None => match timings.reading(next_chunk(receiver)).await {
                Some(chunk) => chunk,
                None => break,
            },
        };
        chunks += 1;
        // The tables grow fourfold between refreshes: a handful of ANALYZEs per import.
        if matches!(chunks, 2 | 8 | 32 | 128 | 512) {
            bulk::refresh_statistics(&mut tx).await?;
        }
        let status = read::progress_of(&chunk, report.imported as u64);
        report.data_rows = usize::try_from(chunk.data_rows).unwrap_or(usize::MAX);
        for error in chunk.errors {
            report.refused += 1;
            if report.errors.len() < REPORTED_ERRORS {
                report.errors.push(error);
            }
        }
        timings
            .storing(writer.store(&mut tx, chunk.rows, &mut report))
            .await?;
        progress(ImportProgress {
            rows_stored: report.imported as u64,
            ..status
        });
    }
    // The refused rows are all known: their report is written on another core meanwhile.
    let error_report = report::PendingReport::start(&mut report);
    let repeats = timings.indexing(bulk_load.finish(&mut tx)).await?;
    writer.uncount_repeats(&repeats, &mut report);
    tracing::debug!(
        waiting_for_reader = timings.reading.as_secs_f64(),
        storing = timings.storing.as_secs_f64(),
        rebuilding_indexes = timings.indexing.as_secs_f64(),
        rows = report.imported,
        "导入各阶段用时（秒）"
    );
    Ok((tx, report, writer.touched, error_report))
}

/// Where the storing side of an import spends its time, for the debug log.
#[derive(Default)]
struct PhaseTimings {
    reading: Duration,
    storing: Duration,
    indexing: Duration,
}

impl PhaseTimings {
    async fn reading<T>(&mut self, work: impl Future<Output = T>) -> T {
        timed(&mut self.reading, work).await
    }

    async fn storing<T>(&mut self, work: impl Future<Output = T>) -> T {
        timed(&mut self.storing, work).await
    }

    async fn indexing<T>(&mut self, work: impl Future<Output = T>) -> T {
        timed(&mut self.indexing, work).await
    }
}

async fn timed<T>(total: &mut Duration, work: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let outcome = work.await;
    *total += started.elapsed();
    outcome
}

/// Rows beyond which a SQLite import that at least doubles the study records drops secondary
/// indexes and builds them again at the end (once, sorted) instead of maintaining them row by
/// row.
const BULK_ROWS: f64 = 50_000.0;

/// The tables an import inserts rows into.
const IMPORTED_TABLES: [&str; 4] = ["persons", "study_records", "contact_points", "employments"];

/// The next chunk of checked rows, or `None` when the reader is done.
async fn next_chunk(receiver: &mut mpsc::Receiver<Message>) -> Option<read::Chunk> {
    while let Some(message) = receiver.recv().await {
        if let Message::Chunk(chunk) = message {
            return Some(chunk);
        }
    }
    None
}

/// The data rows the whole file will have, extrapolated from how far into it the first chunk
/// reached (0 when the reader cannot tell).
fn expected_rows(first: &read::Chunk) -> f64 {
    let position = first.position;
    if position.done == 0 || position.total == 0 {
        return 0.0;
    }
    first.data_rows as f64 * position.total as f64 / position.done as f64
}

/// What a bulk load suspended inside its transaction (a rollback brings all of it back).
#[derive(Default)]
struct BulkLoad {
    indexes: Option<bulk::SuspendedIndexes>,
    feed: Option<bulk::SuspendedFeed>,
    fingerprints: Option<SuspendedFingerprints>,
}

/// The school's fingerprint index, dropped for a first roster whose repeated rows are removed
/// at the end; records with ids above `after_study_record` are the load's.
struct SuspendedFingerprints {
    index: bulk::SuspendedIndex,
    school: SchoolId,
    after_study_record: i64,
}

impl BulkLoad {
    /// Suspends, inside a transaction begun with [`Db::begin_bulk_load`], what an import on
    /// SQLite does not need row by row: the search feed's row triggers always, and for a large
    /// file the secondary indexes. Of those the unique fingerprint index too when
    /// `defer_fingerprints` (see `store_chunks`): entering a million random fingerprints in it
    /// one by one costs the writer twice what building it at the end does. PostgreSQL is left
    /// alone: dropping an index there would lock readers out for the whole import, and its feed
    /// triggers already run once per statement.
    async fn begin(
        tx: &mut Tx,
        expected: f64,
        school: &School,
        defer_fingerprints: bool,
    ) -> AppResult<BulkLoad> {
        let feed = bulk::suspend_feed_triggers_in(tx, &IMPORTED_TABLES).await?;
        let stored = bulk::study_records_estimate(tx).await?;
        if !matches!(tx, Tx::Sqlite(_)) || expected < BULK_ROWS || expected < stored as f64 {
            return Ok(BulkLoad {
                feed,
                ..BulkLoad::default()
            });
        }
        let keep: &[&str] = if defer_fingerprints {
            &[]
        } else {
            &[bulk::FINGERPRINT_INDEX]
        };
        let mut indexes = bulk::suspend_indexes_in(tx, &IMPORTED_TABLES, keep).await?;
        let fingerprints =
            indexes
                .take(bulk::FINGERPRINT_INDEX)
                .map(|index| SuspendedFingerprints {
                    index,
                    school: school.id,
                    after_study_record: stored,
                });
        Ok(BulkLoad {
            indexes: Some(indexes),
            feed,
            fingerprints,
        })
    }

    /// Whether the rows' fingerprints are left to be checked when the load finishes.
    fn removes_repeats_at_end(&self) -> bool {
        self.fingerprints.is_some()
    }

    /// Rebuilds the indexes (the fingerprint index first, removing the rows it would have
    /// refused), restores the triggers and writes the feed entries.
    async fn finish(self, tx: &mut Tx) -> AppResult<bulk::RepeatsRemoved> {
        let repeats = match self.fingerprints {
            Some(f) => {
                bulk::restore_fingerprint_index_in(tx, f.index, f.school, f.after_study_record)
                    .await?
            }
            None => bulk::RepeatsRemoved::default(),
        };
        if let Some(indexes) = self.indexes {
            bulk::restore_indexes_in(tx, indexes).await?;
        }
        if let Some(feed) = self.feed {
            bulk::restore_feed_triggers_in(tx, feed).await?;
        }
        Ok(repeats)
    }
}

/// Audits the import, records the run with its error report (the xlsx of the refused rows),
/// commits.
#[allow(clippy::too_many_arguments)]
async fn finish(
    mut tx: Tx,
    db: &Db,
    now: chrono::DateTime<chrono::Utc>,
    context: &AuditContext,
    school: &School,
    file_name: &str,
    report: &ImportReport,
    error_report: Option<Vec<u8>>,
) -> AppResult<i64> {
    let event = Event {
        action: "import",
        target_kind: "school",
        target_id: Some(school.id.to_string()),
        school: Some(school.id),
        changes: Some(
            serde_json::json!({
                "file": file_name,
                "imported": report.imported,
                "unchanged": report.unchanged,
                "duplicates": report.duplicates,
                "refused": report.refused,
            })
            .to_string(),
        ),
    };
    audit::write(&mut tx, context, event, now).await?;
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let run_id = imports::record(
        &mut tx,
        &imports::NewImportRun {
            school: school.id,
            user: context.actor_user_id.map(UserId),
            file_name,
            data_rows: count(report.data_rows),
            imported: count(report.imported),
            unchanged: count(report.unchanged),
            duplicates: count(report.duplicates),
            refused: count(report.refused),
            error_report: error_report.as_deref(),
        },
        now,
    )
    .await?;
    let committing = Instant::now();
    tx.commit().await?;
    tracing::debug!(seconds = committing.elapsed().as_secs_f64(), "导入已提交");
    db.checkpoint_in_background();
    bulk::sync_sequences(db).await?;
    Ok(run_id)
}
