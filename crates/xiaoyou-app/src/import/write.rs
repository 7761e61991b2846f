//! The writing half of an import: chunks of prepared rows stored inside the import's one
//! transaction. Rows already stored by an earlier import (same fingerprint) are skipped and
//! counted as unchanged; rows repeated within this file as duplicates. Colleges, majors and
//! classes are created once; the same ID number is the same person, in the database or in
//! the file (the transaction sees its own earlier chunks, so nothing is kept per file).
//!
//! A school's first roster is written chunk by chunk without looking its rows up first (see
//! [`RowCheck`]). Later rosters look every row up before writing, so that an unchanged row
//! creates nothing, not even a class renamed since.

use super::ImportReport;
use super::orgs::{FastHash, OrgKeyId, Placed};
use super::read::PreparedRow;
use crate::error::{AppError, AppResult};
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};
use xiaoyou_core::{
    ClassId, CollegeId, ContactKind, Email, MajorId, MobilePhone, PersonId, SourceId,
};
use xiaoyou_store::Tx;
use xiaoyou_store::bulk::{
    self, Batch, BulkContact, BulkEmployment, BulkPerson, BulkStudyRecord, NewRowsWritten,
};
use xiaoyou_store::org::{self, NewClass, School};

pub struct Writer<'a> {
    pub school: &'a School,
    pub source: SourceId,
    pub observed_on: Option<NaiveDate>,
    /// The numbering of the reader's organisation keys that the lists below follow.
    numbering: u32,
    colleges: Placed<CollegeId>,
    majors: HashMap<(CollegeId, OrgKeyId), MajorId, FastHash>,
    classes: Placed<ClassId>,
    /// Persons created or given a new study record, for identity resolution and search.
    pub touched: Vec<PersonId>,
    check: RowCheck,
}

/// How the writer keeps a row stored already, by an earlier import or an earlier chunk of
/// this one, from being stored again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowCheck {
    /// Each chunk's rows are looked up by fingerprint first; only those not found are written.
    LookUpFirst,
    /// For a school's first roster: a row can only repeat an earlier chunk of the file, whose
    /// colleges, majors and classes it shares. Chunks are written at once and the fingerprint
    /// index refuses a repeat as it is inserted; a chunk with a refused row is sorted out row
    /// by row, and later chunks are looked up first.
    RefusedByIndex,
    /// For a school's first roster loaded with the fingerprint index dropped, when every row
    /// creates a person of its own (no ID-number column): chunks are written at once, and
    /// repeats of an earlier chunk are removed, with their persons, when the index is built
    /// again ([`bulk::restore_fingerprint_index_in`]).
    RemovedAtEnd,
}

/// What one row put into a batch besides its study record, which names `person`: `contacts`
/// contact points and perhaps an employment, in the batch's lists in row order. (A person the
/// row created is among the batch's persons, found by id.)
struct RowParts {
    person: PersonId,
    contacts: usize,
    employment: bool,
}

/// `batch` without the rows at `positions` (described row by row by `parts`), and the parts
/// of the rows that remain. A person the batch creates stays if a remaining row names him.
fn without_rows(
    batch: Batch,
    parts: Vec<RowParts>,
    positions: &HashSet<usize>,
) -> (Batch, Vec<RowParts>) {
    let mut kept = Batch {
        consents: batch.consents,
        ..Batch::default()
    };
    let mut kept_parts = Vec::with_capacity(parts.len());
    let mut contacts = batch.contacts.into_iter();
    let mut employments = batch.employments.into_iter();
    for (at, (record, row)) in batch.study_records.into_iter().zip(parts).enumerate() {
        let row_contacts = contacts.by_ref().take(row.contacts);
        let employment = if row.employment {
            employments.next()
        } else {
            None
        };
        if positions.contains(&at) {
            row_contacts.for_each(drop);
            continue;
        }
        kept.contacts.extend(row_contacts);
        kept.employments.extend(employment);
        kept.study_records.push(record);
        kept_parts.push(row);
    }
    let named: HashSet<PersonId> = kept_parts.iter().map(|p| p.person).collect();
    kept.persons = batch
        .persons
        .into_iter()
        .filter(|p| named.contains(&p.id))
        .collect();
    (kept, kept_parts)
}

type Place = (Option<CollegeId>, Option<MajorId>, Option<ClassId>);

impl<'a> Writer<'a> {
    pub fn new(
        school: &'a School,
        source: SourceId,
        observed_on: Option<NaiveDate>,
        check: RowCheck,
    ) -> Writer<'a> {
        Writer {
            school,
            source,
            observed_on,
            numbering: 0,
            colleges: Placed::default(),
            majors: HashMap::default(),
            classes: Placed::default(),
            touched: Vec::new(),
            check,
        }
    }

    /// Stores one chunk; counts go into `report`.
    pub async fn store(
        &mut self,
        tx: &mut Tx,
        mut fresh: Vec<PreparedRow>,
        report: &mut ImportReport,
    ) -> AppResult<()> {
        // Repeats within the chunk are dropped in place: rows are large, and moving a
        // chunk's worth into a fresh vector cost the writer more than the check itself.
        let mut seen = HashSet::with_capacity_and_hasher(fresh.len(), FastHash::default());
        let before = fresh.len();
        fresh.retain(|row| seen.insert(row.fingerprint));
        report.duplicates += before - fresh.len();
        match self.check {
            RowCheck::LookUpFirst => self.store_checked(tx, fresh, report).await,
            RowCheck::RefusedByIndex => self.store_expected_new(tx, fresh, report).await,
            RowCheck::RemovedAtEnd => self.store_unchecked(tx, fresh, report).await,
        }
    }

    /// Writes the chunk as it is (see [`RowCheck::RemovedAtEnd`]).
    async fn store_unchecked(
        &mut self,
        tx: &mut Tx,
        fresh: Vec<PreparedRow>,
        report: &mut ImportReport,
    ) -> AppResult<()> {
        if fresh.iter().any(|row| row.id_card.is_some()) {
            return Err(AppError::Background(
                "名册有身份证号，不能在导入结束后再剔除重复行".into(),
            ));
        }
        let (batch, parts) = self.build_batch(tx, fresh).await?;
        bulk::write_batch(tx, batch).await?;
        self.count_stored(&parts, report);
        Ok(())
    }

    /// Takes out of the counts the rows removed at the end as repeats (see
    /// [`RowCheck::RemovedAtEnd`]).
    pub fn uncount_repeats(&mut self, removed: &bulk::RepeatsRemoved, report: &mut ImportReport) {
        report.imported = report.imported.saturating_sub(removed.rows);
        report.duplicates += removed.rows;
        if !removed.persons.is_empty() {
            let gone: HashSet<PersonId> = removed.persons.iter().copied().collect();
            self.touched.retain(|person| !gone.contains(person));
        }
    }

    /// Writes the chunk in one go; rows the database refuses as stored already (repeats of an
    /// earlier chunk) are counted and the rest written again.
    async fn store_expected_new(
        &mut self,
        tx: &mut Tx,
        fresh: Vec<PreparedRow>,
        report: &mut ImportReport,
    ) -> AppResult<()> {
        let (batch, parts) = self.build_batch(tx, fresh).await?;
        let (batch, parts) = match bulk::write_batch_of_new_rows(tx, batch).await? {
            NewRowsWritten::All => (None, parts),
            NewRowsWritten::Refused { batch, positions } => {
                self.check = RowCheck::LookUpFirst;
                let prints: Vec<_> = positions
                    .iter()
                    .filter_map(|at| batch.study_records.get(*at)?.row_fingerprint)
                    .collect();
                let known = bulk::known_fingerprints(tx, self.school.id, &prints).await?;
                let stored: HashSet<usize> = positions
                    .into_iter()
                    .filter(|at| {
                        let print = batch.study_records.get(*at).and_then(|r| r.row_fingerprint);
                        match print.and_then(|print| known.get(&print)) {
                            Some(source) => {
                                self.count_known(*source, report);
                                true
                            }
                            None => false,
                        }
                    })
                    .collect();
                let (batch, parts) = without_rows(batch, parts, &stored);
                (Some(batch), parts)
            }
        };
        if let Some(batch) = batch {
            bulk::write_batch(tx, batch).await?;
        }
        self.count_stored(&parts, report);
        Ok(())
    }

    /// Looks the chunk's rows up first and writes those not stored yet.
    async fn store_checked(
        &mut self,
        tx: &mut Tx,
        mut fresh: Vec<PreparedRow>,
        report: &mut ImportReport,
    ) -> AppResult<()> {
        let prints: Vec<_> = fresh.iter().map(|r| r.fingerprint).collect();
        let known = bulk::known_fingerprints(tx, self.school.id, &prints).await?;
        fresh.retain(|row| match known.get(&row.fingerprint) {
            Some(source) => {
                self.count_known(*source, report);
                false
            }
            None => true,
        });
        if fresh.is_empty() {
            return Ok(());
        }
        let (batch, parts) = self.build_batch(tx, fresh).await?;
        bulk::write_batch(tx, batch).await?;
        self.count_stored(&parts, report);
        Ok(())
    }

    /// A row stored before under `source`: by this import, a repeat; by another, unchanged.
    fn count_known(&self, source: SourceId, report: &mut ImportReport) {
        if source == self.source {
            report.duplicates += 1;
        } else {
            report.unchanged += 1;
        }
    }

    fn count_stored(&mut self, parts: &[RowParts], report: &mut ImportReport) {
        report.imported += parts.len();
        self.touched.extend(parts.iter().map(|p| p.person));
    }

    /// The records of the chunk's rows, in row order, and what each row contributed.
    async fn build_batch(
        &mut self,
        tx: &mut Tx,
        mut fresh: Vec<PreparedRow>,
    ) -> AppResult<(Batch, Vec<RowParts>)> {
        let mut places = Vec::with_capacity(fresh.len());
        for row in &fresh {
            places.push(self.place(tx, row).await?);
        }

        let hashes: Vec<String> = fresh
            .iter()
            .filter_map(|r| r.id_card.as_ref().map(|c| c.hash.clone()))
            .collect();
        let mut by_hash = bulk::persons_by_id_card_hashes(tx, &hashes).await?;
        let mut new_persons: HashSet<&str> = HashSet::new();
        let needed = fresh
            .iter()
            .filter(|r| match &r.id_card {
                Some(card) => {
                    !by_hash.contains_key(&card.hash) && new_persons.insert(card.hash.as_str())
                }
                None => true,
            })
            .count();
        let mut new_ids = bulk::reserve_person_ids(tx, needed).await?.into_iter();

        let rows = fresh.len();
        let mut batch = Batch {
            persons: Vec::with_capacity(needed),
            study_records: Vec::with_capacity(rows),
            contacts: Vec::with_capacity(rows),
            employments: Vec::with_capacity(rows),
            consents: Vec::new(),
        };
        let mut parts = Vec::with_capacity(rows);
        // Fields are taken out of the rows rather than the rows taken apart, so that what is
        // left of them is freed off this thread, with the chunk, afterwards.
        for (prepared, (college, major, class)) in fresh.iter_mut().zip(places) {
            let row = &mut prepared.row;
            let id_card = prepared.id_card.take();
            let existing = id_card.as_ref().and_then(|c| by_hash.get(&c.hash).copied());
            let person = match existing {
                Some(person) => person,
                None => {
                    let id = new_ids
                        .next()
                        .ok_or_else(|| AppError::Background("校友编号分配不足".into()))?;
                    if let Some(card) = &id_card {
                        by_hash.insert(card.hash.clone(), id);
                    }
                    batch.persons.push(BulkPerson {
                        id,
                        name: row.name.clone(),
                        name_key: std::mem::take(&mut prepared.name_key),
                        gender: row.gender,
                        birth_date: row.birth_date,
                        id_card,
                        native_region: None,
                        current_city: row.city.clone(),
                    });
                    id
                }
            };
            batch.study_records.push(BulkStudyRecord {
                person,
                school: self.school.id,
                college,
                major,
                class,
                level: row.level,
                enrolment_year: row.enrolment_year,
                graduation_year: row.graduation_year,
                student_no: row.student_no.take(),
                name_as_reported: row.name.as_str().to_owned(),
                source: self.source,
                source_ref: Some(std::mem::take(&mut prepared.source_ref)),
                row_fingerprint: Some(prepared.fingerprint),
            });
            let contacts = [
                (
                    ContactKind::Mobile,
                    row.mobile.take().map(MobilePhone::into_exposed),
                ),
                (
                    ContactKind::Email,
                    row.email.take().map(Email::into_exposed),
                ),
                (ContactKind::WeChat, row.wechat.take()),
                (ContactKind::QQ, row.qq.take()),
            ];
            let contacts_before = batch.contacts.len();
            for (kind, value) in contacts {
                if let Some(value) = value {
                    batch.contacts.push(BulkContact {
                        person,
                        kind,
                        value,
                        source: self.source,
                        observed_on: self.observed_on,
                        verified: false,
                    });
                }
            }
            let employment = row.employer.is_some();
            if let Some(employer) = row.employer.take() {
                batch.employments.push(BulkEmployment {
                    person,
                    enterprise: None,
                    employer_name: employer,
                    title: row.title.take(),
                    city: row.city.take(),
                    start_year: None,
                    end_year: None,
                    is_current: true,
                    source: self.source,
                });
            }
            parts.push(RowParts {
                person,
                contacts: batch.contacts.len() - contacts_before,
                employment,
            });
        }
        bulk::free_elsewhere(fresh);
        Ok((batch, parts))
    }

    /// The college, major and class of a row, each created (or found under another spelling)
    /// the first time its key is met.
    async fn place(&mut self, tx: &mut Tx, prepared: &PreparedRow) -> AppResult<Place> {
        let row = &prepared.row;
        let orgs = prepared.orgs;
        if orgs.numbering != self.numbering {
            self.numbering = orgs.numbering;
            self.colleges.clear();
            self.majors.clear();
            self.classes.clear();
        }
        let college = match (row.college.as_deref(), orgs.college) {
            (Some(name), Some(key)) => Some(match self.colleges.get(key) {
                Some(id) => id,
                None => {
                    let id = org::ensure_college(tx, self.school.id, name).await?;
                    self.colleges.set(key, id);
                    id
                }
            }),
            _ => None,
        };
        let major = match (row.major.as_deref(), orgs.major, college) {
            (Some(name), Some(key), Some(college)) => {
                Some(match self.majors.get(&(college, key)) {
                    Some(id) => *id,
                    None => {
                        let id = org::ensure_major(tx, college, name).await?;
                        self.majors.insert((college, key), id);
                        id
                    }
                })
            }
            _ => None,
        };
        let class = match (row.class.as_deref(), orgs.class) {
            (Some(name), Some(key)) => Some(match self.classes.get(key) {
                Some(id) => id,
                None => {
                    let id = org::ensure_class(
                        tx,
                        &NewClass {
                            school: self.school.id,
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
                    self.classes.set(key, id);
                    id
                }
            }),
            _ => None,
        };
        Ok((college, major, class))
    }
}
