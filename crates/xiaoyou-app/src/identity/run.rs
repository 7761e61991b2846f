//! A full identity run over the province: every study record read, the engine groups them
//! into persons, persons of one group are merged (each merge remembered and undoable), and
//! the uncertain pairs replace the review queue. All writes in one transaction.

use super::{Record, Settings, resolve};
use crate::audit::{self, AuditContext, Event};
use crate::error::{AppError, AppResult};
use std::collections::{BTreeSet, HashMap};
use std::time::Instant;
use xiaoyou_core::{Clock, Gender, StudyLevel};
use xiaoyou_store::Db;
use xiaoyou_store::identity::{self, MergeKind, NewReview, PlannedMerge, RecordRow};

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStage {
    Reading { records: usize },
    Resolving { done: usize, total: usize },
    Writing,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSummary {
    pub records: usize,
    pub persons_before: usize,
    pub persons_after: usize,
    pub merges: u64,
    pub review_pairs: usize,
    pub seconds: f64,
}

const PAGE: i64 = 50_000;

fn record_of(row: RecordRow, signals: &HashMap<i64, identity::PersonSignals>) -> Record {
    let found = signals.get(&row.person);
    Record {
        record: row.record,
        person: row.person,
        name: row.name,
        id_card_hash: row.id_card_hash,
        birth_date: row.birth_date,
        gender: row.gender.as_deref().and_then(|g| Gender::parse(g).ok()),
        phones: found.map(|s| s.phones.clone()).unwrap_or_default(),
        emails: found.map(|s| s.emails.clone()).unwrap_or_default(),
        school: row.school,
        level: StudyLevel::parse(&row.level).unwrap_or(StudyLevel::Bachelor),
        enrolment_year: row.enrolment_year,
        graduation_year: row.graduation_year,
        class_key: row.class_key,
        employer: found.and_then(|s| s.employer.clone()),
        // Where the person lives now; the current job's city when that is not known.
        city: row
            .current_city
            .or_else(|| found.and_then(|s| s.city.clone())),
    }
}

/// Reads every study record with its person's signals.
pub async fn load_records(
    db: &Db,
    progress: &mut (dyn FnMut(RunStage) + Send),
) -> AppResult<Vec<Record>> {
    let signals = identity::person_signals(db).await?;
    let mut records = Vec::new();
    let mut after = 0;
    loop {
        let page = identity::records_page(db, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.record;
        records.extend(page.into_iter().map(|row| record_of(row, &signals)));
        progress(RunStage::Reading {
            records: records.len(),
        });
    }
    Ok(records)
}

/// The merges that make each group one person: the survivor is the person holding an ID
/// number if one does (at most one can: ID hashes are unique), else the smallest id.
pub fn plan_merges(records: &[Record], groups: &[Vec<i64>]) -> Vec<PlannedMerge> {
    let by_record: HashMap<i64, &Record> = records.iter().map(|r| (r.record, r)).collect();
    let mut plan = Vec::new();
    for group in groups {
        let members: Vec<&Record> = group
            .iter()
            .filter_map(|id| by_record.get(id).copied())
            .collect();
        let persons: BTreeSet<i64> = members.iter().map(|r| r.person).collect();
        if persons.len() < 2 {
            continue;
        }
        let survivor = members
            .iter()
            .find(|r| r.id_card_hash.is_some())
            .map(|r| r.person)
            .or_else(|| persons.first().copied());
        let Some(survivor) = survivor else { continue };
        let reasons = format!("自动判定为同一人（{} 条学籍记录）", members.len());
        for person in persons.into_iter().filter(|p| *p != survivor) {
            plan.push(PlannedMerge {
                survivor,
                merged: person,
                score: None,
                reasons: reasons.clone(),
            });
        }
    }
    plan
}

/// Runs identity resolution over every study record.
pub async fn run_full(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    settings: &Settings,
    progress: &mut (dyn FnMut(RunStage) + Send),
) -> AppResult<RunSummary> {
    let started = Instant::now();
    let records = load_records(db, progress).await?;
    let run = Run {
        settings: *settings,
        queue: Queue::Replace,
        started,
    };
    resolve_and_write(db, clock, context, records, run, progress).await
}

/// What a run does with the uncertain pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queue {
    /// A full run's pairs replace the open queue.
    Replace,
    /// An incremental run's pairs join it.
    Add,
}

#[derive(Debug, Clone, Copy)]
struct Run {
    settings: Settings,
    queue: Queue,
    started: Instant,
}

/// Resolves the records (on a blocking thread, with progress), merges the groups, updates the
/// review queue and audits, in one transaction.
async fn resolve_and_write(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    records: Vec<Record>,
    run: Run,
    progress: &mut (dyn FnMut(RunStage) + Send),
) -> AppResult<RunSummary> {
    let never = identity::distinct_pairs(db).await?;
    let persons_before = records
        .iter()
        .map(|r| r.person)
        .collect::<BTreeSet<_>>()
        .len();
    let settings = run.settings;
    let (tx_progress, mut rx_progress) = tokio::sync::mpsc::unbounded_channel();
    let engine = tokio::task::spawn_blocking(move || {
        let mut report = |done: usize, total: usize| {
            let _ = tx_progress.send((done, total));
        };
        let resolution = resolve(&records, &settings, &never, &mut report);
        (records, resolution)
    });
    while let Some((done, total)) = rx_progress.recv().await {
        progress(RunStage::Resolving { done, total });
    }
    let (records, resolution) = engine
        .await
        .map_err(|e| AppError::Background(format!("身份识别线程异常结束：{e}")))?;
    progress(RunStage::Writing);
    let plan = plan_merges(&records, &resolution.groups);
    let reviews: Vec<NewReview> = resolution
        .review
        .iter()
        .map(|pair| NewReview {
            record_a: pair.a,
            record_b: pair.b,
            score: pair.score,
            reasons: pair.reasons.join("；"),
        })
        .collect();
    let now = clock.now();
    let mut tx = db.begin().await?;
    let merges = identity::merge_persons(&mut tx, &plan, MergeKind::Auto, None, now).await?;
    let queued = match run.queue {
        Queue::Replace => {
            identity::replace_open_reviews(&mut tx, &reviews, now).await?;
            reviews.len()
        }
        Queue::Add => identity::add_open_reviews(&mut tx, &reviews, now).await?,
    };
    // A full run is always recorded; an incremental one when it changed something.
    if run.queue == Queue::Replace || merges > 0 || queued > 0 {
        let mut changes = serde_json::json!({
            "records": records.len(),
            "merges": merges,
            "review_pairs": queued,
        });
        if run.queue == Queue::Add {
            changes["incremental"] = serde_json::Value::Bool(true);
        }
        let event = Event {
            action: "identity_run",
            target_kind: "province",
            target_id: None,
            school: None,
            changes: Some(changes.to_string()),
        };
        audit::write(&mut tx, context, event, now).await?;
    }
    tx.commit().await?;
    Ok(RunSummary {
        records: records.len(),
        persons_before,
        persons_after: persons_before.saturating_sub(usize::try_from(merges).unwrap_or(0)),
        merges,
        review_pairs: queued,
        seconds: run.started.elapsed().as_secs_f64(),
    })
}

/// Writes one line per study record: its source reference, its id, its person (CSV with a
/// byte-order mark, so Excel opens it).
pub async fn export_csv(db: &Db, out: &mut (dyn std::io::Write + Send)) -> AppResult<usize> {
    let fail = |e: std::io::Error| AppError::Background(format!("写出身份对应失败：{e}"));
    out.write_all("\u{feff}来源,学籍记录编号,自然人编号\r\n".as_bytes())
        .map_err(fail)?;
    let mut after = 0;
    let mut written = 0;
    loop {
        let page = identity::export_page(db, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.1;
        for (source, record, person) in page {
            let source = source.unwrap_or_default();
            let source = if source.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", source.replace('"', "\"\""))
            } else {
                source
            };
            write!(out, "{source},{record},{person}\r\n").map_err(fail)?;
            written += 1;
        }
    }
    out.flush().map_err(fail)?;
    Ok(written)
}

/// Resolves just the neighbourhood of persons an import or a registration touched: their
/// records and those of persons sharing a name key, phone or email with them. Confident
/// merges are made; uncertain pairs join the review queue.
pub async fn run_incremental(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    settings: &Settings,
    touched: &[i64],
) -> AppResult<RunSummary> {
    let started = Instant::now();
    if touched.is_empty() {
        return Ok(RunSummary::default());
    }
    let rows = identity::records_near(db, touched).await?;
    let persons: Vec<i64> = rows
        .iter()
        .map(|r| r.person)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let signals = identity::signals_of(db, &persons).await?;
    let records: Vec<Record> = rows.into_iter().map(|r| record_of(r, &signals)).collect();
    let run = Run {
        settings: *settings,
        queue: Queue::Add,
        started,
    };
    resolve_and_write(db, clock, context, records, run, &mut |_| {}).await
}
