//! The writing half of an import: chunks of prepared rows stored inside the import's one
//! transaction. Rows already stored by an earlier import (same fingerprint) are skipped and
//! counted as unchanged; rows repeated within this file as duplicates. Colleges, majors and
//! classes are created once; the same ID number is the same person, in the database or in
//! the file (the transaction sees its own earlier chunks, so nothing is kept per file).

use super::ImportReport;
use super::read::PreparedRow;
use crate::error::{AppError, AppResult};
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};
use xiaoyou_core::{ClassId, CollegeId, ContactKind, MajorId, PersonId, SourceId};
use xiaoyou_store::Tx;
use xiaoyou_store::bulk::{self, Batch, BulkContact, BulkEmployment, BulkPerson, BulkStudyRecord};
use xiaoyou_store::org::{self, NewClass, School};

pub struct Writer<'a> {
    pub school: &'a School,
    pub source: SourceId,
    pub observed_on: Option<NaiveDate>,
    colleges: HashMap<String, CollegeId>,
    majors: HashMap<(CollegeId, String), MajorId>,
    classes: HashMap<String, ClassId>,
    /// Persons created or given a new study record, for identity resolution and search.
    pub touched: Vec<PersonId>,
}

type Place = (Option<CollegeId>, Option<MajorId>, Option<ClassId>);

impl<'a> Writer<'a> {
    pub fn new(school: &'a School, source: SourceId, observed_on: Option<NaiveDate>) -> Writer<'a> {
        Writer {
            school,
            source,
            observed_on,
            colleges: HashMap::new(),
            majors: HashMap::new(),
            classes: HashMap::new(),
            touched: Vec::new(),
        }
    }

    /// Stores one chunk; counts go into `report`.
    pub async fn store(
        &mut self,
        tx: &mut Tx,
        rows: Vec<PreparedRow>,
        report: &mut ImportReport,
    ) -> AppResult<()> {
        let mut seen = HashSet::with_capacity(rows.len());
        let mut fresh = Vec::with_capacity(rows.len());
        for row in rows {
            if seen.insert(row.fingerprint) {
                fresh.push(row);
            } else {
                report.duplicates += 1;
            }
        }
        let prints: Vec<_> = fresh.iter().map(|r| r.fingerprint).collect();
        let known = bulk::known_fingerprints(tx, self.school.id, &prints).await?;
        fresh.retain(|row| match known.get(&row.fingerprint) {
            Some(source) if *source == self.source => {
                report.duplicates += 1;
                false
            }
            Some(_) => {
                report.unchanged += 1;
                false
            }
            None => true,
        });
        if fresh.is_empty() {
            return Ok(());
        }

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

        let mut batch = Batch::default();
        for (prepared, (college, major, class)) in fresh.into_iter().zip(places) {
            let PreparedRow {
                row,
                fingerprint,
                name_key,
                source_ref,
                id_card,
                ..
            } = prepared;
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
                        name_key,
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
                student_no: row.student_no,
                name_as_reported: row.name.as_str().to_owned(),
                source: self.source,
                source_ref: Some(source_ref),
                row_fingerprint: Some(fingerprint),
            });
            let contacts = [
                (
                    ContactKind::Mobile,
                    row.mobile.map(|m| m.expose().to_owned()),
                ),
                (ContactKind::Email, row.email.map(|e| e.expose().to_owned())),
                (ContactKind::WeChat, row.wechat),
                (ContactKind::QQ, row.qq),
            ];
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
            if let Some(employer) = row.employer {
                batch.employments.push(BulkEmployment {
                    person,
                    enterprise: None,
                    employer_name: employer,
                    title: row.title,
                    city: row.city,
                    start_year: None,
                    end_year: None,
                    is_current: true,
                    source: self.source,
                });
            }
            report.imported += 1;
            self.touched.push(person);
        }
        bulk::write_batch(tx, batch).await?;
        Ok(())
    }

    /// The college, major and class of a row, each created the first time it is met.
    async fn place(&mut self, tx: &mut Tx, prepared: &PreparedRow) -> AppResult<Place> {
        let row = &prepared.row;
        let college = match (&row.college, &prepared.college_key) {
            (Some(name), Some(key)) => match self.colleges.get(key) {
                Some(id) => Some(*id),
                None => {
                    let id = org::ensure_college(tx, self.school.id, name).await?;
                    self.colleges.insert(key.clone(), id);
                    Some(id)
                }
            },
            _ => None,
        };
        let major = match (&row.major, &prepared.major_key, college) {
            (Some(name), Some(key), Some(college)) => {
                let cache_key = (college, key.clone());
                match self.majors.get(&cache_key) {
                    Some(id) => Some(*id),
                    None => {
                        let id = org::ensure_major(tx, college, name).await?;
                        self.majors.insert(cache_key, id);
                        Some(id)
                    }
                }
            }
            _ => None,
        };
        let class = match (&row.class, &prepared.class_key) {
            (Some(name), Some(key)) => match self.classes.get(key) {
                Some(id) => Some(*id),
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
                    self.classes.insert(key.clone(), id);
                    Some(id)
                }
            },
            _ => None,
        };
        Ok((college, major, class))
    }
}
