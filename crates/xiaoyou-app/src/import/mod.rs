//! Importing a roster into a school: read, find the header, check every row, then store all
//! good rows in one transaction (so a failure or a killed process leaves nothing half-applied),
//! skipping rows already imported before. Refused rows go to a downloadable error report.

pub mod report;
pub mod template;
pub mod validate;

use crate::audit::{self, AuditContext, Event};
use crate::error::{AppError, AppResult};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use validate::{Problem, ValidRow};
use xiaoyou_core::{Clock, ContactKind, PersonId, PersonalDataKey, UserId};
use xiaoyou_sheet::{Field, HeaderMap, RowKind, classify_row, find_header, read_table};
use xiaoyou_store::bulk::{self, Batch, BulkContact, BulkEmployment, BulkPerson, BulkStudyRecord};
use xiaoyou_store::org::{self, NewClass, School};
use xiaoyou_store::people::StoredIdCard;
use xiaoyou_store::sources::{self, SourceKind};
use xiaoyou_store::{Db, imports};

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
    pub errors: Vec<RowError>,
    pub headers: Vec<String>,
    /// Columns no field was recognised for (kept only in the error report).
    pub unmapped: Vec<String>,
    /// Persons created or given a new study record: handed to identity resolution and search.
    pub touched_persons: Vec<PersonId>,
    /// The recorded run (history and the downloadable error report).
    pub run_id: i64,
}

/// Progress while checking and storing rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    pub done: usize,
    pub total: usize,
}

/// The fingerprint of a row's content: the same person at the same place and time, however
/// the file around it changed (line numbers and serial numbers do not count).
fn fingerprint(row: &ValidRow) -> String {
    let mut hasher = Sha256::new();
    let parts = [
        Some(xiaoyou_text::name_key(row.name.as_str())),
        row.id_card.as_ref().map(|c| c.expose().to_owned()),
        row.student_no.clone(),
        row.college.as_deref().map(xiaoyou_text::org_name_key),
        row.major.as_deref().map(xiaoyou_text::org_name_key),
        row.class.as_deref().map(xiaoyou_text::org_name_key),
        Some(row.level.code().to_owned()),
        row.enrolment_year.map(|y| y.to_string()),
        row.graduation_year.map(|y| y.to_string()),
        row.mobile.as_ref().map(|m| m.expose().to_owned()),
    ];
    for part in parts {
        let part = part.unwrap_or_default();
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// A file read and checked: its header, the good rows with their line numbers, and the report
/// so far (counts, refused rows).
pub type Checked = (HeaderMap, Vec<(usize, ValidRow)>, ImportReport);

/// Reads and checks a file without storing anything.
pub fn check(bytes: &[u8], school: &School, current_year: i32) -> AppResult<Checked> {
    let table = read_table(bytes).map_err(|e| AppError::Invalid {
        field: "文件",
        reason: e.to_string(),
    })?;
    let cells: Vec<Vec<String>> = table.rows.iter().map(|r| r.cells.clone()).collect();
    let header = find_header(&cells).map_err(|e| AppError::Invalid {
        field: "表头",
        reason: e.to_string(),
    })?;
    if header.column_of(Field::Name).is_none() {
        return Err(AppError::Invalid {
            field: "表头",
            reason: "缺少必需的“姓名”列".into(),
        });
    }
    let mut report = ImportReport {
        headers: header.headers.clone(),
        unmapped: header
            .unmapped()
            .into_iter()
            .map(|(_, h)| h.to_owned())
            .collect(),
        ..ImportReport::default()
    };
    let mut valid = Vec::new();
    for row in &table.rows[header.header_row + 1..] {
        if classify_row(&row.cells, &header) != RowKind::Data {
            continue;
        }
        report.data_rows += 1;
        match validate::validate(&header, &row.cells, school.kind, current_year) {
            Ok(ok) => valid.push((row.line, ok)),
            Err(problems) => report.errors.push(RowError {
                line: row.line,
                cells: row.cells.clone(),
                problems,
            }),
        }
    }
    if report.data_rows == 0 {
        return Err(AppError::Invalid {
            field: "文件",
            reason: "表头下没有数据行".into(),
        });
    }
    Ok((header, valid, report))
}

/// Imports a roster file into a school. Rows with problems are reported, not stored; all good
/// rows are stored in one transaction.
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
    use chrono::Datelike;
    let now = clock.now();
    let (_, rows, mut report) = check(bytes, school, now.year())?;
    let total = rows.len();
    let mut tx = db.begin().await?;
    let source = sources::insert(&mut tx, SourceKind::Import, file_name, Some(school.id)).await?;

    // Rows repeated in the file, then rows an earlier import already stored.
    let mut seen = HashSet::new();
    let mut fresh = Vec::with_capacity(total);
    for (line, row) in rows {
        let print = fingerprint(&row);
        if seen.insert(print.clone()) {
            fresh.push((line, row, print));
        } else {
            report.duplicates += 1;
        }
    }
    let prints: Vec<String> = fresh.iter().map(|(_, _, p)| p.clone()).collect();
    let known = bulk::known_fingerprints(&mut tx, school.id, &prints).await?;
    let before = fresh.len();
    fresh.retain(|(_, _, print)| !known.contains(print));
    report.unchanged = before - fresh.len();

    // Colleges, majors and classes, each created once.
    let mut colleges = HashMap::new();
    let mut majors = HashMap::new();
    let mut classes = HashMap::new();
    let mut places = Vec::with_capacity(fresh.len());
    for (_, row, _) in &fresh {
        let college = match &row.college {
            Some(name) => {
                let key = xiaoyou_text::org_name_key(name);
                match colleges.get(&key) {
                    Some(id) => Some(*id),
                    None => {
                        let id = org::ensure_college(&mut tx, school.id, name).await?;
                        colleges.insert(key, id);
                        Some(id)
                    }
                }
            }
            None => None,
        };
        let major = match (&row.major, college) {
            (Some(name), Some(college)) => {
                let key = (college, xiaoyou_text::org_name_key(name));
                match majors.get(&key) {
                    Some(id) => Some(*id),
                    None => {
                        let id = org::ensure_major(&mut tx, college, name).await?;
                        majors.insert(key, id);
                        Some(id)
                    }
                }
            }
            _ => None,
        };
        let class = match &row.class {
            Some(name) => {
                let key = xiaoyou_text::org_name_key(name);
                match classes.get(&key) {
                    Some(id) => Some(*id),
                    None => {
                        let id = org::ensure_class(
                            &mut tx,
                            &NewClass {
                                school: school.id,
                                college,
                                major,
                                name,
                                enrolment_year: row.enrolment_year,
                                graduation_year: row.graduation_year,
                                head_teacher: None,
                                head_teacher_role: None,
                            },
                        )
                        .await?;
                        classes.insert(key, id);
                        Some(id)
                    }
                }
            }
            None => None,
        };
        places.push((college, major, class));
    }

    // The same ID number is the same person, in the database or within the file; everything
    // else is left to identity resolution, which receives the touched persons.
    let sealed: Vec<Option<StoredIdCard>> = fresh
        .iter()
        .map(|(_, row, _)| {
            row.id_card.as_ref().map(|id| {
                let sealed = key.seal(id.expose());
                StoredIdCard {
                    hash: sealed.hash,
                    cipher: sealed.ciphertext,
                    masked: id.masked(),
                }
            })
        })
        .collect();
    let hashes: Vec<String> = sealed.iter().flatten().map(|s| s.hash.clone()).collect();
    let mut by_hash = bulk::persons_by_id_card_hashes(&mut tx, &hashes).await?;
    let needed = fresh.len()
        - sealed
            .iter()
            .flatten()
            .filter(|s| by_hash.contains_key(&s.hash))
            .count();
    let mut new_ids = bulk::reserve_person_ids(&mut tx, needed).await?.into_iter();

    let observed_on = Some(now.date_naive());
    let mut batch = Batch::default();
    let mut touched = Vec::with_capacity(fresh.len());
    for (index, ((line, row, print), (college, major, class))) in
        fresh.into_iter().zip(places).enumerate()
    {
        if index % 5_000 == 0 {
            progress(ImportProgress { done: index, total });
        }
        let card = sealed[index].clone();
        let existing = card.as_ref().and_then(|c| by_hash.get(&c.hash).copied());
        let person = match existing {
            Some(person) => person,
            None => {
                let id = new_ids
                    .next()
                    .ok_or_else(|| AppError::Background("校友编号分配不足".into()))?;
                if let Some(card) = &card {
                    by_hash.insert(card.hash.clone(), id);
                }
                batch.persons.push(BulkPerson {
                    id,
                    name: row.name.clone(),
                    gender: row.gender,
                    birth_date: row.birth_date,
                    id_card: card,
                    native_region: None,
                    current_city: row.city.clone(),
                });
                id
            }
        };
        batch.study_records.push(BulkStudyRecord {
            person,
            school: school.id,
            college,
            major,
            class,
            level: row.level,
            enrolment_year: row.enrolment_year,
            graduation_year: row.graduation_year,
            student_no: row.student_no.clone(),
            name_as_reported: row.name.as_str().to_owned(),
            source: source.id,
            source_ref: Some(match &row.serial {
                Some(serial) => format!("{file_name}#{line} 序号={serial}"),
                None => format!("{file_name}#{line}"),
            }),
            row_fingerprint: Some(print),
        });
        let contacts = [
            (
                ContactKind::Mobile,
                row.mobile.as_ref().map(|m| m.expose().to_owned()),
            ),
            (
                ContactKind::Email,
                row.email.as_ref().map(|e| e.expose().to_owned()),
            ),
            (ContactKind::WeChat, row.wechat.clone()),
            (ContactKind::QQ, row.qq.clone()),
        ];
        for (kind, value) in contacts {
            if let Some(value) = value {
                batch.contacts.push(BulkContact {
                    person,
                    kind,
                    value,
                    source: source.id,
                    observed_on,
                    verified: false,
                });
            }
        }
        if let Some(employer) = &row.employer {
            batch.employments.push(BulkEmployment {
                person,
                enterprise: None,
                employer_name: employer.clone(),
                title: row.title.clone(),
                city: row.city.clone(),
                start_year: None,
                end_year: None,
                is_current: true,
                source: source.id,
            });
        }
        report.imported += 1;
        touched.push(person);
        if batch.study_records.len() >= 5_000 {
            bulk::write_batch(&mut tx, &std::mem::take(&mut batch)).await?;
        }
    }
    bulk::write_batch(&mut tx, &batch).await?;
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
                "refused": report.errors.len(),
            })
            .to_string(),
        ),
    };
    audit::write(&mut tx, context, event, now).await?;
    let error_report = if report.errors.is_empty() {
        None
    } else {
        Some(report::error_report(&report.headers, &report.errors)?)
    };
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    report.run_id = imports::record(
        &mut tx,
        &imports::NewImportRun {
            school: school.id,
            user: context.actor_user_id.map(UserId),
            file_name,
            data_rows: count(report.data_rows),
            imported: count(report.imported),
            unchanged: count(report.unchanged),
            duplicates: count(report.duplicates),
            refused: count(report.errors.len()),
            error_report: error_report.as_deref(),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    bulk::sync_sequences(db).await?;
    progress(ImportProgress { done: total, total });
    touched.sort();
    touched.dedup();
    report.touched_persons = touched;
    Ok(report)
}
