//! The demo province: Hunan's real cities, real schools with colleges, majors and classes, and
//! fictional alumni, generated deterministically from a seed.
//!
//! Classes are filled year by year, so a person who finished middle school in 2008 can enrol at
//! a university in 2008 and again for a master's degree four years later: some persons have two
//! or three study records at different schools, with ages consistent with their years.

pub mod accounts;
mod catalog;
pub mod names;
mod rng;

pub use catalog::Catalog;
pub use rng::{DemoRng, Weighted};

use crate::error::{AppError, AppResult};
use crate::reference;
use chrono::NaiveDate;
use names::NameGenerator;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use xiaoyou_core::{
    AppointmentKind, ClassId, CollegeId, ConsentAudience, ContactKind, CreditCode, EnterpriseId,
    Gender, IdCardNo, IndustryChainId, MajorId, PersonId, PersonName, PersonalDataKey, RegionCode,
    RegionLevel, SchoolId, SchoolKind, SourceId, StudyLevel, TalentCategory,
};
use xiaoyou_store::bulk::{
    self, Batch, BulkConsent, BulkContact, BulkEmployment, BulkPerson, BulkStudyRecord,
};
use xiaoyou_store::org::{self, NewClass, NewSchool};
use xiaoyou_store::people::StoredIdCard;
use xiaoyou_store::sources::{self, SourceKind};
use xiaoyou_store::talent::{self, TalentProfile};
use xiaoyou_store::{Db, chains, enterprises, regions, settings};

/// Setting written when a demo generation has finished; its value describes the run.
pub const COMPLETED_KEY: &str = "demo.completed";
/// Setting written when a demo generation starts.
pub const STARTED_KEY: &str = "demo.started";

/// Study records of the default demo (`--scale 1`).
pub const DEFAULT_RECORDS: u64 = 200_000;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub seed: u64,
    /// Target number of study records; the result is within a few percent of it.
    pub records: u64,
    /// The year the data is "as of": nobody graduates after it.
    pub current_year: i32,
    /// Persons per written batch (memory stays bounded by this).
    pub batch_persons: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            seed: 2026,
            records: DEFAULT_RECORDS,
            current_year: 2026,
            batch_persons: 20_000,
        }
    }
}

/// Where a generation stands, reported as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoProgress {
    pub study_records: u64,
    pub target: u64,
}

#[derive(Debug, Clone, Default)]
pub struct DemoSummary {
    pub schools: u64,
    pub colleges: u64,
    pub classes: u64,
    pub enterprises: u64,
    pub persons: u64,
    pub study_records: u64,
    pub contacts: u64,
    pub employments: u64,
    pub talent_profiles: u64,
    /// Persons with study records at two or more schools.
    pub multi_school_persons: u64,
    pub rows_written: u64,
    pub elapsed: Duration,
}

const DEPARTMENTS: [&str; 8] = [
    "省发展和改革委员会",
    "省教育厅",
    "省科学技术厅",
    "省工业和信息化厅",
    "省人力资源和社会保障厅",
    "省商务厅",
    "省财政厅",
    "省农业农村厅",
];

/// One planned class before it is written.
struct ClassPlan {
    school: usize,
    college: CollegeId,
    major: MajorId,
    major_name: String,
    level: StudyLevel,
    enrolment_year: i32,
    graduation_year: i32,
    number: u32,
}

struct SchoolState {
    id: SchoolId,
    name: String,
    kind: SchoolKind,
    city_name: String,
    source: SourceId,
    rows: u64,
    /// (college, major id, major name)
    majors: Vec<(CollegeId, MajorId, String)>,
}

/// Someone waiting to enter the next stage of education.
#[derive(Clone)]
struct Candidate {
    person: PersonId,
    name: String,
    birth_year: i32,
    schools: u8,
    last_school: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum NextStage {
    /// Finished middle school, may enter a university or vocational college.
    Undergraduate,
    /// Finished a secondary vocational school, may enter a higher vocational college.
    HigherVocational,
    Master,
    Doctorate,
}

struct EnterpriseChoice {
    id: EnterpriseId,
    name: String,
    city: Option<String>,
    chain: Option<IndustryChainId>,
}

/// Generates the demo province into an empty, migrated database.
pub async fn generate(
    db: &Db,
    key: &PersonalDataKey,
    options: &DemoOptions,
    progress: &mut (dyn FnMut(DemoProgress) + Send),
) -> AppResult<DemoSummary> {
    let started = Instant::now();
    let catalog = Catalog::load()?;
    let rng = DemoRng::new(options.seed);
    let mut summary = DemoSummary::default();

    let mut tx = db.begin().await?;
    settings::set(&mut tx, STARTED_KEY, &describe(options)).await?;
    tx.commit().await?;

    reference::load_hunan(db).await?;
    let hunan = RegionCode::new(reference::HUNAN).map_err(|e| AppError::Invalid {
        field: "省份",
        reason: e.to_string(),
    })?;
    let cities = regions::children(db, hunan).await?;
    let city_name = |code: u32| {
        cities
            .iter()
            .find(|c| c.code.get() == code)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| "长沙市".to_owned())
    };
    let mut counties: Vec<RegionCode> = Vec::new();
    for city in &cities {
        counties.extend(
            regions::children(db, city.code)
                .await?
                .into_iter()
                .filter(|r| r.level == RegionLevel::County)
                .map(|r| r.code),
        );
    }
    let chain_list = chains::list(db, hunan).await?;

    // Partner departments, enterprises, schools and their colleges and majors.
    let mut tx = db.begin().await?;
    let mut departments = Vec::new();
    for name in DEPARTMENTS {
        departments.push(org::insert_department(&mut tx, name).await?.id);
    }
    let mut enterprise_choices = Vec::new();
    for (index, entry) in catalog.enterprises.iter().enumerate() {
        let region = entry.city_code.and_then(|c| RegionCode::new(c).ok());
        let chain = entry
            .chain
            .as_deref()
            .and_then(|name| chain_list.iter().find(|c| c.name == name))
            .map(|c| c.id);
        let area = entry.city_code.unwrap_or(110_108);
        let body = format!(
            "91{area:06}{:09}",
            300_000_000 + index as u64 * 7919 % 700_000_000
        );
        let credit = CreditCode::complete(&body).ok();
        let city = entry.city_code.map(city_name);
        let id = enterprises::insert(
            &mut tx,
            &enterprises::NewEnterprise {
                name: &entry.name,
                credit_code: credit.as_ref(),
                region,
                city: city.as_deref(),
                industry_chain: chain,
                tags: &entry.tags,
            },
        )
        .await?;
        enterprise_choices.push(EnterpriseChoice {
            id,
            name: entry.name.clone(),
            city,
            chain,
        });
    }
    summary.enterprises = enterprise_choices.len() as u64;

    let mut schools: Vec<SchoolState> = Vec::new();
    for (index, entry) in catalog.schools.iter().enumerate() {
        let city = RegionCode::new(entry.city_code).map_err(|e| AppError::Invalid {
            field: "学校所在市州",
            reason: e.to_string(),
        })?;
        let school = org::insert_school(
            &mut tx,
            &NewSchool {
                name: &entry.name,
                kind: entry.kind,
                city,
                department: departments.get(index % departments.len()).copied(),
            },
        )
        .await?;
        let source = sources::insert(
            &mut tx,
            SourceKind::Demo,
            &format!("{}演示名册", entry.name),
            Some(school.id),
        )
        .await?;
        let mut majors = Vec::new();
        for (college_name, major_names) in &entry.colleges {
            let college = org::insert_college(&mut tx, school.id, college_name).await?;
            summary.colleges += 1;
            let major_names = if major_names.is_empty() {
                vec![college_name.clone()]
            } else {
                major_names.clone()
            };
            for major_name in major_names {
                let major = org::insert_major(&mut tx, college.id, &major_name).await?;
                majors.push((college.id, major.id, major_name));
            }
        }
        schools.push(SchoolState {
            id: school.id,
            name: entry.name.clone(),
            kind: entry.kind,
            city_name: city_name(entry.city_code),
            source: source.id,
            rows: 0,
            majors,
        });
    }
    summary.schools = schools.len() as u64;
    tx.commit().await?;

    // Plan the classes: each school's share of the records, spread over majors and years.
    let plans = plan_classes(&mut rng.fork(1), &schools, options);
    let mut by_year: HashMap<i32, Vec<usize>> = HashMap::new();
    for (index, plan) in plans.iter().enumerate() {
        by_year.entry(plan.enrolment_year).or_default().push(index);
    }
    let mut years: Vec<i32> = by_year.keys().copied().collect();
    years.sort_unstable();

    let names = NameGenerator::new(&catalog);
    let titles = Weighted::new(
        catalog
            .titles
            .iter()
            .map(|t| ((t.title.clone(), t.min_age), t.weight)),
    );
    let outside_cities = Weighted::new(catalog.cities_outside.iter().cloned());
    let hunan_cities = Weighted::new(cities.iter().map(|c| {
        let weight = if c.code.get() == 430_100 { 30 } else { 5 };
        (c.name.clone(), weight)
    }));
    let mut next_person = bulk::next_person_id(db).await?.get();
    // The tables filled in bulk get their secondary indexes back in one pass at the end.
    let suspended = bulk::suspend_indexes(
        db,
        &[
            "persons",
            "study_records",
            "contact_points",
            "employments",
            "consents",
        ],
    )
    .await?;
    let mut waiting: HashMap<(NextStage, i32), Vec<Candidate>> = HashMap::new();
    let mut batch = Batch::default();
    let mut profiles: Profiles = Vec::new();
    let mut writer = BatchWriter::spawn(db.clone());
    let mut liaisons: Vec<(ClassId, PersonId)> = Vec::new();
    let mut people_rng = rng.fork(2);
    let key_material = key;
    let mut used_id_cards: HashSet<u64> = HashSet::new();

    for year in years {
        let indexes = by_year.remove(&year).unwrap_or_default();
        // Write this year's classes first: their members' records refer to them.
        let mut tx = db.begin().await?;
        let mut class_ids = Vec::with_capacity(indexes.len());
        for &index in &indexes {
            let plan = &plans[index];
            let school = &schools[plan.school];
            let (name, head_role) = class_name(school.kind, plan);
            let teacher_gender = if people_rng.chance(0.5) {
                Gender::Male
            } else {
                Gender::Female
            };
            let head_teacher = names.name(&mut people_rng, teacher_gender);
            let class = org::insert_class(
                &mut tx,
                &NewClass {
                    school: school.id,
                    college: Some(plan.college),
                    major: Some(plan.major),
                    name: &name,
                    enrolment_year: Some(plan.enrolment_year),
                    graduation_year: Some(plan.graduation_year),
                    head_teacher: Some(&head_teacher),
                    head_teacher_role: Some(head_role),
                },
            )
            .await?;
            class_ids.push(class.id);
        }
        tx.commit().await?;
        summary.classes += class_ids.len() as u64;

        for (&index, class_id) in indexes.iter().zip(class_ids) {
            let plan = &plans[index];
            let size = people_rng.between(28, 45) as usize;
            let (reuse_from, reuse_chance) = match plan.level {
                StudyLevel::Bachelor | StudyLevel::Associate => {
                    (Some(NextStage::Undergraduate), 0.6)
                }
                StudyLevel::Master => (Some(NextStage::Master), 0.6),
                StudyLevel::Doctorate => (Some(NextStage::Doctorate), 0.6),
                _ => (None, 0.0),
            };
            let vocational_reuse = schools[plan.school].kind == SchoolKind::HigherVocational;
            let mut members: Vec<Candidate> = Vec::with_capacity(size);
            for seat in 0..size {
                let mut reused = None;
                if vocational_reuse && people_rng.chance(0.3) {
                    reused = take_candidate(
                        &mut waiting,
                        NextStage::HigherVocational,
                        year,
                        plan.level,
                        &mut people_rng,
                    );
                }
                if reused.is_none()
                    && let Some(stage) = reuse_from.filter(|_| people_rng.chance(reuse_chance))
                {
                    reused = take_candidate(&mut waiting, stage, year, plan.level, &mut people_rng);
                }
                let member = match reused {
                    Some(candidate) => {
                        if candidate.last_school != plan.school && candidate.schools == 1 {
                            summary.multi_school_persons += 1;
                        }
                        Candidate {
                            schools: candidate.schools
                                + u8::from(candidate.last_school != plan.school),
                            last_school: plan.school,
                            ..candidate
                        }
                    }
                    None => {
                        let person = PersonId(next_person);
                        next_person += 1;
                        let new = new_person(
                            &mut people_rng,
                            person,
                            plan,
                            options,
                            &names,
                            &counties,
                            &hunan_cities,
                            &outside_cities,
                            &titles,
                            &enterprise_choices,
                            &chain_list.iter().map(|c| c.id).collect::<Vec<_>>(),
                            &schools[plan.school],
                            key_material,
                            &mut used_id_cards,
                            &mut batch,
                            &mut profiles,
                        )?;
                        summary.persons += 1;
                        Candidate {
                            person,
                            name: new.0,
                            birth_year: new.1,
                            schools: 1,
                            last_school: plan.school,
                        }
                    }
                };
                let school = &mut schools[plan.school];
                school.rows += 1;
                batch.study_records.push(BulkStudyRecord {
                    person: member.person,
                    school: school.id,
                    college: Some(plan.college),
                    major: Some(plan.major),
                    class: Some(class_id),
                    level: plan.level,
                    enrolment_year: Some(plan.enrolment_year),
                    graduation_year: Some(plan.graduation_year),
                    // Like real numbers: year, school, level, class, seat (12 digits).
                    student_no: Some(format!(
                        "{}{:02}{}{:03}{:02}",
                        plan.enrolment_year,
                        plan.school % 100,
                        level_digit(plan.level),
                        (class_id.get() % 1000),
                        seat + 1
                    )),
                    name_as_reported: member.name.clone(),
                    source: school.source,
                    row_fingerprint: None,
                    source_ref: Some(format!("{}演示名册#{}", school.name, school.rows + 1)),
                });
                members.push(member);
            }
            if let Some(first) = members.first() {
                liaisons.push((class_id, first.person));
            }
            // Some move on to the next stage of education.
            let next = match plan.level {
                StudyLevel::MiddleSchool => Some((NextStage::Undergraduate, 0.7)),
                StudyLevel::SecondaryVocational => Some((NextStage::HigherVocational, 0.45)),
                StudyLevel::Bachelor => Some((NextStage::Master, 0.18)),
                StudyLevel::Master => Some((NextStage::Doctorate, 0.2)),
                _ => None,
            };
            if let Some((stage, chance)) = next {
                for member in members {
                    if plan.graduation_year < options.current_year && people_rng.chance(chance) {
                        waiting
                            .entry((stage, plan.graduation_year))
                            .or_default()
                            .push(member);
                    }
                }
            }
            if batch.persons.len() >= options.batch_persons {
                flush(&mut writer, &mut batch, &mut profiles, &mut summary).await?;
                progress(DemoProgress {
                    study_records: summary.study_records,
                    target: options.records,
                });
            }
        }
        waiting.retain(|(_, year_key), _| *year_key >= year);
    }
    flush(&mut writer, &mut batch, &mut profiles, &mut summary).await?;
    writer.finish().await?;
    progress(DemoProgress {
        study_records: summary.study_records,
        target: options.records,
    });

    bulk::restore_indexes(db, suspended).await?;
    let mut tx = db.begin().await?;
    for (class, person) in &liaisons {
        org::set_class_liaison(&mut tx, *class, Some(*person)).await?;
    }
    tx.commit().await?;
    bulk::sync_sequences(db).await?;
    bulk::analyze(db).await?;
    summary.elapsed = started.elapsed();
    let mut tx = db.begin().await?;
    settings::set(&mut tx, COMPLETED_KEY, &describe(options)).await?;
    let event = crate::audit::Event {
        action: "create",
        target_kind: "demo_province",
        target_id: None,
        school: None,
        changes: Some(format!(
            r#"{{"schools":{},"persons":{},"study_records":{}}}"#,
            summary.schools, summary.persons, summary.study_records
        )),
    };
    crate::audit::write(
        &mut tx,
        &crate::audit::AuditContext::system("xiaoyou demo"),
        event,
        chrono::Utc::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(summary)
}

fn describe(options: &DemoOptions) -> String {
    format!("seed={} records={}", options.seed, options.records)
}

type Profiles = Vec<(TalentProfile, Option<(SchoolId, AppointmentKind)>)>;

/// Writes batches on its own task while the generator builds the next one, so that both
/// cores are busy: one generating, one in the database.
struct BatchWriter {
    sender: tokio::sync::mpsc::Sender<(Batch, Profiles)>,
    handle: tokio::task::JoinHandle<AppResult<()>>,
}

impl BatchWriter {
    fn spawn(db: Db) -> Self {
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<(Batch, Profiles)>(1);
        let handle = tokio::spawn(async move {
            while let Some((batch, profiles)) = receiver.recv().await {
                write_batch(&db, batch, &profiles).await?;
            }
            Ok(())
        });
        BatchWriter { sender, handle }
    }

    /// Hands the batch over; if the writer has failed, returns its error.
    async fn send(&mut self, batch: Batch, profiles: Profiles) -> AppResult<()> {
        if self.sender.send((batch, profiles)).await.is_err() {
            let (sender, _) = tokio::sync::mpsc::channel(1);
            let failed = std::mem::replace(
                self,
                BatchWriter {
                    sender,
                    handle: tokio::spawn(async { Ok(()) }),
                },
            );
            failed.finish().await?;
            return Err(AppError::Background("写入任务意外停止".into()));
        }
        Ok(())
    }

    /// Waits until everything handed over is written.
    async fn finish(self) -> AppResult<()> {
        drop(self.sender);
        self.handle
            .await
            .map_err(|e| AppError::Background(format!("写入任务异常退出：{e}")))?
    }
}

async fn write_batch(db: &Db, batch: Batch, profiles: &Profiles) -> AppResult<()> {
    let mut tx = db.begin().await?;
    bulk::write_batch(&mut tx, batch).await?;
    for (profile, appointment) in profiles {
        talent::upsert_profile(&mut tx, profile).await?;
        if let Some((school, kind)) = appointment {
            talent::insert_appointment(
                &mut tx,
                profile.person,
                *school,
                *kind,
                NaiveDate::from_ymd_opt(2024, 9, 1),
                None,
                None,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn flush(
    writer: &mut BatchWriter,
    batch: &mut Batch,
    profiles: &mut Profiles,
    summary: &mut DemoSummary,
) -> AppResult<()> {
    summary.study_records += batch.study_records.len() as u64;
    summary.contacts += batch.contacts.len() as u64;
    summary.employments += batch.employments.len() as u64;
    summary.talent_profiles += profiles.len() as u64;
    summary.rows_written += batch.row_count() as u64 + profiles.len() as u64;
    writer
        .send(std::mem::take(batch), std::mem::take(profiles))
        .await
}

fn take_candidate(
    waiting: &mut HashMap<(NextStage, i32), Vec<Candidate>>,
    stage: NextStage,
    year: i32,
    level: StudyLevel,
    rng: &mut DemoRng,
) -> Option<Candidate> {
    // Graduates of this year, or of the two before (a gap year, work before a master's).
    for gap in 0..3 {
        if let Some(list) = waiting.get_mut(&(stage, year - gap))
            && !list.is_empty()
        {
            let index = rng.below(list.len() as u64) as usize;
            let candidate = list.swap_remove(index);
            // Never younger than the level's usual starting age allows.
            if year - candidate.birth_year >= level.usual_start_age() - 1 {
                return Some(candidate);
            }
        }
    }
    None
}

fn class_name(kind: SchoolKind, plan: &ClassPlan) -> (String, &'static str) {
    match (kind, plan.level) {
        (SchoolKind::MiddleSchool, _) => (
            format!("{}届高三{}班", plan.graduation_year, plan.number),
            "班主任",
        ),
        (_, StudyLevel::Master) => (
            format!(
                "{}{}级硕士{}班",
                plan.major_name, plan.enrolment_year, plan.number
            ),
            "导师",
        ),
        (_, StudyLevel::Doctorate) => (
            format!(
                "{}{}级博士{}班",
                plan.major_name, plan.enrolment_year, plan.number
            ),
            "导师",
        ),
        (SchoolKind::SecondaryVocational, _) => (
            format!(
                "{}{}级{}班",
                plan.major_name, plan.enrolment_year, plan.number
            ),
            "班主任",
        ),
        _ => (
            format!(
                "{}{}级{}班",
                plan.major_name, plan.enrolment_year, plan.number
            ),
            "辅导员",
        ),
    }
}

fn level_digit(level: StudyLevel) -> u8 {
    match level {
        StudyLevel::MiddleSchool | StudyLevel::SecondaryVocational => 0,
        StudyLevel::Associate => 1,
        StudyLevel::Bachelor => 2,
        StudyLevel::Master => 3,
        StudyLevel::Doctorate => 4,
    }
}

fn school_weight(kind: SchoolKind) -> u64 {
    match kind {
        SchoolKind::University => 10,
        SchoolKind::HigherVocational => 6,
        SchoolKind::SecondaryVocational => 3,
        SchoolKind::MiddleSchool => 9,
        SchoolKind::OutOfProvince => 2,
    }
}

fn plan_classes(
    rng: &mut DemoRng,
    schools: &[SchoolState],
    options: &DemoOptions,
) -> Vec<ClassPlan> {
    const MEAN_CLASS: u64 = 36;
    let total_weight: u64 = schools
        .iter()
        .map(|s| school_weight(s.kind))
        .sum::<u64>()
        .max(1);
    let last_enrolment = options.current_year - 5;
    let mut counters: HashMap<(usize, MajorId, i32, StudyLevel), u32> = HashMap::new();
    let mut plans = Vec::new();
    for (index, school) in schools.iter().enumerate() {
        if school.majors.is_empty() {
            continue;
        }
        let budget = options.records * school_weight(school.kind) / total_weight;
        let classes = (budget / MEAN_CLASS).max(1);
        let first_year = match school.kind {
            SchoolKind::University | SchoolKind::OutOfProvince | SchoolKind::MiddleSchool => 1985,
            SchoolKind::HigherVocational => 1998,
            SchoolKind::SecondaryVocational => 2000,
        };
        // More recent years have more alumni on record: weight grows with the year.
        let years =
            Weighted::new((first_year..=last_enrolment).map(|y| (y, 2 + (y - first_year) as u64)));
        for _ in 0..classes {
            let Some(&(college, major, ref major_name)) = rng.pick(&school.majors) else {
                continue;
            };
            let year = years.draw(rng).copied().unwrap_or(last_enrolment);
            let level = match school.kind {
                SchoolKind::University if year >= 1995 && rng.chance(0.12) => StudyLevel::Master,
                SchoolKind::University if year >= 2000 && rng.chance(0.03) => StudyLevel::Doctorate,
                kind => kind.default_level(),
            };
            let length = if school.kind == SchoolKind::HigherVocational {
                3
            } else {
                level.usual_years()
            };
            let number = counters.entry((index, major, year, level)).or_insert(0);
            *number += 1;
            plans.push(ClassPlan {
                school: index,
                college,
                major,
                major_name: major_name.clone(),
                level,
                enrolment_year: year,
                graduation_year: year + length,
                number: *number,
            });
        }
    }
    plans
}

/// Creates a new person's rows in the batch; returns their name and birth year.
#[allow(clippy::too_many_arguments)]
fn new_person(
    rng: &mut DemoRng,
    id: PersonId,
    plan: &ClassPlan,
    options: &DemoOptions,
    names: &NameGenerator,
    counties: &[RegionCode],
    hunan_cities: &Weighted<String>,
    outside_cities: &Weighted<String>,
    titles: &Weighted<(String, i32)>,
    enterprises: &[EnterpriseChoice],
    chain_ids: &[IndustryChainId],
    school: &SchoolState,
    key: &PersonalDataKey,
    used_id_cards: &mut HashSet<u64>,
    batch: &mut Batch,
    profiles: &mut Profiles,
) -> AppResult<(String, i32)> {
    let gender = if rng.chance(0.52) {
        Gender::Male
    } else {
        Gender::Female
    };
    let name = names.name(rng, gender);
    let birth_year =
        plan.enrolment_year - plan.level.usual_start_age() - i32::from(rng.chance(0.25));
    let birth = NaiveDate::from_ymd_opt(
        birth_year,
        1 + rng.below(12) as u32,
        1 + rng.below(28) as u32,
    );
    let native = if rng.chance(0.85) {
        rng.pick(counties).copied()
    } else {
        None
    };
    let id_card = match (birth, rng.chance(0.7)) {
        (Some(birth), true) => {
            let area = native.map_or(420_102, RegionCode::get);
            let mut sequence = rng.below(500) as u32 * 2 + u32::from(gender == Gender::Male);
            // Real numbers are unique: step to the next free sequence of the same gender.
            let body = |sequence: u32| {
                u64::from(area) * 100_000_000_000
                    + u64::from(
                        birth
                            .format("%Y%m%d")
                            .to_string()
                            .parse::<u32>()
                            .unwrap_or(0),
                    ) * 1000
                    + u64::from(sequence)
            };
            let mut attempts = 0;
            while !used_id_cards.insert(body(sequence)) && attempts < 500 {
                sequence = (sequence + 2) % 1000;
                attempts += 1;
            }
            (attempts < 500)
                .then_some(())
                .and_then(|()| IdCardNo::compose(area, birth, sequence).ok())
                .map(|card| {
                    let sealed = key.seal(card.expose());
                    StoredIdCard {
                        hash: sealed.hash,
                        cipher: sealed.ciphertext,
                        masked: card.masked(),
                    }
                })
        }
        _ => None,
    };
    let age = options.current_year - birth_year;
    let graduated = plan.graduation_year <= options.current_year;
    let in_hunan = rng.chance(0.62);
    let current_city = if !graduated {
        Some(school.city_name.clone())
    } else if in_hunan {
        hunan_cities.draw(rng).cloned()
    } else {
        outside_cities.draw(rng).cloned()
    };
    let parsed_name = PersonName::parse(&name).map_err(|e| AppError::Invalid {
        field: "演示姓名",
        reason: format!("{name}：{e}"),
    })?;
    batch.persons.push(BulkPerson {
        id,
        name_key: xiaoyou_text::name_key(parsed_name.as_str()),
        name: parsed_name,
        gender: Some(gender),
        birth_date: birth,
        id_card,
        native_region: native,
        current_city: current_city.clone(),
    });

    // What the person agreed to share, as collected on the school's registration form.
    for (audience, chance) in [
        (ConsentAudience::Province, 0.6),
        (ConsentAudience::Departments, 0.45),
        (ConsentAudience::Enterprises, 0.3),
    ] {
        if rng.chance(0.85) {
            batch.consents.push(BulkConsent {
                person: id,
                audience,
                granted: rng.chance(chance),
                source: "校友信息登记表（演示）".to_owned(),
            });
        }
    }
    let observed = |rng: &mut DemoRng, from: i32| {
        let year = rng.between(
            i64::from(from.min(options.current_year)),
            i64::from(options.current_year),
        ) as i32;
        NaiveDate::from_ymd_opt(year, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32)
    };
    if rng.chance(0.92) {
        if rng.chance(0.25) {
            batch.contacts.push(BulkContact {
                person: id,
                kind: ContactKind::Mobile,
                value: names::mobile(rng),
                source: school.source,
                observed_on: NaiveDate::from_ymd_opt(
                    plan.graduation_year.min(options.current_year),
                    6,
                    30,
                ),
                verified: false,
            });
        }
        let observed_on = observed(rng, plan.graduation_year);
        batch.contacts.push(BulkContact {
            person: id,
            kind: ContactKind::Mobile,
            value: names::mobile(rng),
            source: school.source,
            observed_on,
            verified: rng.chance(0.3),
        });
    }
    if rng.chance(0.45) {
        let observed_on = observed(rng, plan.graduation_year);
        batch.contacts.push(BulkContact {
            person: id,
            kind: ContactKind::Email,
            value: names::email(rng),
            source: school.source,
            observed_on,
            verified: false,
        });
    }
    if rng.chance(0.2) {
        batch.contacts.push(BulkContact {
            person: id,
            kind: ContactKind::WeChat,
            value: names::wechat(rng),
            source: school.source,
            observed_on: None,
            verified: false,
        });
    }

    // Work: only after the study this record is about, and only for adults.
    if !graduated || age < 19 || !rng.chance(0.88) {
        return Ok((name, birth_year));
    }
    let start_year = (plan.graduation_year + rng.between(0, 2) as i32).min(options.current_year);
    let city = current_city.unwrap_or_else(|| "长沙市".to_owned());
    let overseas = ["新加坡", "美国", "德国"]
        .iter()
        .any(|p| city.starts_with(p));
    let wants_catalogue = overseas || rng.chance(0.5);
    let employer = if wants_catalogue {
        let local: Vec<&EnterpriseChoice> = enterprises
            .iter()
            .filter(|e| match &e.city {
                Some(c) => in_hunan && c.starts_with(city.trim_end_matches('市')),
                None => !in_hunan,
            })
            .collect();
        let pool: Vec<&EnterpriseChoice> = if local.is_empty() {
            enterprises.iter().collect()
        } else {
            local
        };
        rng.pick(&pool)
            .map(|e| (Some(e.id), e.name.clone(), e.chain))
    } else {
        None
    };
    let (enterprise, employer_name, chain) =
        employer.unwrap_or_else(|| (None, names::local_employer(rng, &city), None));
    let mut title = None;
    for _ in 0..4 {
        if let Some((candidate, min_age)) = titles.draw(rng)
            && *min_age <= age
        {
            title = Some(candidate.clone());
            break;
        }
    }
    if age > 32 && rng.chance(0.3) {
        batch.employments.push(BulkEmployment {
            person: id,
            enterprise: None,
            employer_name: names::local_employer(rng, &school.city_name),
            title: Some("职员".to_owned()),
            city: Some(school.city_name.clone()),
            start_year: Some(start_year),
            end_year: Some((start_year + rng.between(2, 6) as i32).min(options.current_year)),
            is_current: false,
            source: school.source,
        });
    }
    batch.employments.push(BulkEmployment {
        person: id,
        enterprise,
        employer_name,
        title: title.clone(),
        city: Some(city),
        start_year: Some(start_year + if age > 32 { 5 } else { 0 }),
        end_year: None,
        is_current: true,
        source: school.source,
    });

    let category = match title.as_deref() {
        Some("董事长" | "总经理" | "创业者") if age >= 32 => {
            Some(TalentCategory::Entrepreneur)
        }
        Some("副总经理" | "总工程师" | "技术总监") if age >= 32 => {
            Some(TalentCategory::Executive)
        }
        Some("教授" | "研究员" | "主任医师" | "正高级工程师") => {
            Some(TalentCategory::Scholar)
        }
        _ => None,
    };
    if let Some(category) = category.filter(|_| rng.chance(0.4)) {
        let mut chains = Vec::new();
        if let Some(chain) = chain.or_else(|| rng.pick(chain_ids).copied()) {
            chains.push(chain);
        }
        let appointment = rng.chance(0.15).then(|| {
            let kind = match category {
                TalentCategory::Entrepreneur => AppointmentKind::StartupMentor,
                TalentCategory::Scholar => AppointmentKind::DistinguishedProfessor,
                _ => AppointmentKind::IndustryMentor,
            };
            (school.id, kind)
        });
        profiles.push((
            TalentProfile {
                person: id,
                category,
                honours: None,
                expertise: None,
                summary: None,
                chains,
            },
            appointment,
        ));
    }
    Ok((name, birth_year))
}
