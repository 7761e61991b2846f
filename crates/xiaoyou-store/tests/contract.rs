//! The contract suite: every repository function, on SQLite always and on PostgreSQL when
//! XIAOYOU_TEST_POSTGRES_URL is set. Each test gets a fresh, migrated database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::NaiveDate;
use xiaoyou_core::*;
use xiaoyou_store::bulk::{
    self, Batch, BulkConsent, BulkContact, BulkEmployment, BulkPerson, BulkStudyRecord,
    RowFingerprint,
};
use xiaoyou_store::enterprises::{self, NewEnterprise};
use xiaoyou_store::org::{self, NewClass, NewSchool};
use xiaoyou_store::people::{
    self, NewContact, NewEmployment, NewPerson, NewStudyRecord, StoredIdCard,
};
use xiaoyou_store::regions::{self, Region};
use xiaoyou_store::sources::{self, SourceKind};
use xiaoyou_store::talent::{self, TalentProfile};
use xiaoyou_store::{Db, StoreError, chains, migrate, stats};
use xiaoyou_testkit::{TestDb, backend_tests};

fn code(raw: &str) -> RegionCode {
    RegionCode::parse(raw).unwrap()
}

async fn seed_regions(db: &Db) {
    let hunan = code("430000");
    let rows = vec![
        Region {
            code: hunan,
            name: "湖南省".into(),
            level: RegionLevel::Province,
            parent: None,
        },
        Region {
            code: code("430100"),
            name: "长沙市".into(),
            level: RegionLevel::City,
            parent: Some(hunan),
        },
        Region {
            code: code("430104"),
            name: "岳麓区".into(),
            level: RegionLevel::County,
            parent: Some(code("430100")),
        },
        Region {
            code: code("430900"),
            name: "益阳市".into(),
            level: RegionLevel::City,
            parent: Some(hunan),
        },
        Region {
            code: code("433100"),
            name: "湘西土家族苗族自治州".into(),
            level: RegionLevel::City,
            parent: Some(hunan),
        },
    ];
    let mut tx = db.begin().await.unwrap();
    assert_eq!(regions::upsert(&mut tx, &rows).await.unwrap(), 5);
    tx.commit().await.unwrap();
}

async fn new_school(db: &Db, name: &str, kind: SchoolKind) -> org::School {
    let mut tx = db.begin().await.unwrap();
    let school = org::insert_school(
        &mut tx,
        &NewSchool {
            name,
            kind,
            city: code("430100"),
            department: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    school
}

async fn migrations_are_idempotent(t: &TestDb) {
    assert!(migrate::migrate(&t.db).await.unwrap().is_empty());
    assert_eq!(
        migrate::current_version(&t.db).await.unwrap(),
        migrate::latest_version()
    );
    t.db.ping().await.unwrap();
}

async fn settings_round_trip(t: &TestDb) {
    let db = &t.db;
    assert_eq!(
        xiaoyou_store::settings::get(db, "demo.completed")
            .await
            .unwrap(),
        None
    );
    let mut tx = db.begin().await.unwrap();
    xiaoyou_store::settings::set(&mut tx, "demo.completed", "seed=1")
        .await
        .unwrap();
    xiaoyou_store::settings::set(&mut tx, "demo.completed", "seed=2")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        xiaoyou_store::settings::get(db, "demo.completed")
            .await
            .unwrap()
            .as_deref(),
        Some("seed=2")
    );
}

async fn regions_load_and_query(t: &TestDb) {
    let db = &t.db;
    seed_regions(db).await;
    // Loading again updates in place.
    seed_regions(db).await;
    let changsha = regions::get(db, code("430100")).await.unwrap().unwrap();
    assert_eq!(changsha.name, "长沙市");
    assert_eq!(changsha.parent, Some(code("430000")));
    let cities = regions::children(db, code("430000")).await.unwrap();
    assert_eq!(
        cities.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["长沙市", "益阳市", "湘西土家族苗族自治州"]
    );
    assert_eq!(regions::provinces(db).await.unwrap().len(), 1);
    let found = regions::find_city_by_name(db, code("430000"), "益阳")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.code, code("430900"));
    let found = regions::find_city_by_name(db, code("430000"), "湘西")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.code, code("433100"));
    assert!(regions::get(db, code("140100")).await.unwrap().is_none());
}

async fn industry_chains_upsert_and_list(t: &TestDb) {
    let db = &t.db;
    seed_regions(db).await;
    let hunan = code("430000");
    let mut tx = db.begin().await.unwrap();
    chains::upsert(
        &mut tx,
        hunan,
        &[
            chains::NewChain {
                code: "HN01",
                name: "工程机械",
                cluster: "先进制造",
            },
            chains::NewChain {
                code: "HN02",
                name: "轨道交通",
                cluster: "先进制造",
            },
        ],
    )
    .await
    .unwrap();
    chains::upsert(
        &mut tx,
        hunan,
        &[chains::NewChain {
            code: "HN02",
            name: "轨道交通装备",
            cluster: "先进制造",
        }],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let list = chains::list(db, hunan).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1].name, "轨道交通装备");
}

async fn schools_and_departments(t: &TestDb) {
    let db = &t.db;
    seed_regions(db).await;
    let mut tx = db.begin().await.unwrap();
    let department = org::insert_department(&mut tx, "省教育厅").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        org::list_departments(db).await.unwrap(),
        vec![department.clone()]
    );

    let school = new_school(db, "湖南城市学院", SchoolKind::University).await;
    assert_eq!(
        org::get_school(db, school.id).await.unwrap().unwrap().name,
        "湖南城市学院"
    );
    // Another spelling of the same name is the same school.
    let same = org::find_school_by_name(db, "湖南城市學院")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(same.id, school.id);
    let mut tx = db.begin().await.unwrap();
    let duplicate = org::insert_school(
        &mut tx,
        &NewSchool {
            name: " 湖南城市學院 ",
            kind: SchoolKind::University,
            city: code("430900"),
            department: None,
        },
    )
    .await;
    assert!(
        matches!(duplicate, Err(StoreError::Duplicate { .. })),
        "{duplicate:?}"
    );
    drop(tx);
    let mut tx = db.begin().await.unwrap();
    let unknown_city = org::insert_school(
        &mut tx,
        &NewSchool {
            name: "某某学院",
            kind: SchoolKind::University,
            city: code("140100"),
            department: None,
        },
    )
    .await;
    assert!(
        matches!(unknown_city, Err(StoreError::MissingReference { .. })),
        "{unknown_city:?}"
    );
    drop(tx);

    let mut tx = db.begin().await.unwrap();
    org::set_school_department(&mut tx, school.id, Some(department.id))
        .await
        .unwrap();
    let missing = org::set_school_department(&mut tx, SchoolId(9999), None).await;
    assert!(matches!(missing, Err(StoreError::NotFound { .. })));
    tx.commit().await.unwrap();
    let schools = org::list_schools(db).await.unwrap();
    assert_eq!(schools.len(), 1);
    assert_eq!(schools[0].department, Some(department.id));
}

async fn dropped_transaction_leaves_nothing(t: &TestDb) {
    let db = &t.db;
    seed_regions(db).await;
    let mut tx = db.begin().await.unwrap();
    org::insert_school(
        &mut tx,
        &NewSchool {
            name: "长郡中学",
            kind: SchoolKind::MiddleSchool,
            city: code("430100"),
            department: None,
        },
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert!(org::list_schools(db).await.unwrap().is_empty());
}

async fn colleges_majors_and_classes(t: &TestDb) {
    let db = &t.db;
    seed_regions(db).await;
    let school = new_school(db, "湖南大学", SchoolKind::University).await;
    let mut tx = db.begin().await.unwrap();
    let college = org::insert_college(&mut tx, school.id, "机械与运载工程学院")
        .await
        .unwrap();
    let major = org::insert_major(&mut tx, college.id, "车辆工程")
        .await
        .unwrap();
    let class = org::insert_class(
        &mut tx,
        &NewClass {
            school: school.id,
            college: Some(college.id),
            major: Some(major.id),
            name: "车辆工程2008级1班",
            enrolment_year: Some(2008),
            graduation_year: Some(2012),
            head_teacher: Some("李老师"),
            head_teacher_role: Some("辅导员"),
        },
    )
    .await
    .unwrap();
    let duplicate = org::insert_college(&mut tx, school.id, "机械与运载工程学院 ").await;
    assert!(matches!(duplicate, Err(StoreError::Duplicate { .. })));
    drop(tx);
    // The duplicate failed inside the transaction; nothing of it was committed.
    assert!(org::list_colleges(db, school.id).await.unwrap().is_empty());

    let mut tx = db.begin().await.unwrap();
    let college = org::insert_college(&mut tx, school.id, "机械与运载工程学院")
        .await
        .unwrap();
    let major = org::insert_major(&mut tx, college.id, "车辆工程")
        .await
        .unwrap();
    let class = org::insert_class(
        &mut tx,
        &NewClass {
            college: Some(college.id),
            major: Some(major.id),
            ..class_template(&class, school.id)
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        org::list_colleges(db, school.id).await.unwrap(),
        vec![college.clone()]
    );
    assert_eq!(
        org::get_college(db, college.id).await.unwrap(),
        Some(college.clone())
    );
    assert_eq!(
        org::list_majors_of_school(db, school.id).await.unwrap(),
        vec![major]
    );
    let stored = org::get_class(db, class.id).await.unwrap().unwrap();
    assert_eq!(stored, class);
    assert_eq!(stored.head_teacher_role.as_deref(), Some("辅导员"));
    assert_eq!(
        org::list_classes_of_college(db, college.id).await.unwrap(),
        vec![class.clone()]
    );

    let person = insert_person(db, "王伟", None).await;
    let mut tx = db.begin().await.unwrap();
    org::set_class_liaison(&mut tx, class.id, Some(person))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        org::get_class(db, class.id).await.unwrap().unwrap().liaison,
        Some(person)
    );
}

fn class_template(class: &org::Class, school: SchoolId) -> NewClass<'_> {
    NewClass {
        school,
        college: class.college,
        major: class.major,
        name: &class.name,
        enrolment_year: class.enrolment_year,
        graduation_year: class.graduation_year,
        head_teacher: class.head_teacher.as_deref(),
        head_teacher_role: class.head_teacher_role.as_deref(),
    }
}

async fn insert_person(db: &Db, name: &str, id_card: Option<StoredIdCard>) -> PersonId {
    let mut tx = db.begin().await.unwrap();
    let id = people::insert_person(
        &mut tx,
        &NewPerson {
            name: PersonName::parse(name).unwrap(),
            gender: Some(Gender::Male),
            birth_date: NaiveDate::from_ymd_opt(1990, 5, 1),
            id_card,
            native_region: Some(code("430104")),
            current_city: Some("长沙".into()),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

fn sealed_id_card(key: &PersonalDataKey, raw: &str) -> StoredIdCard {
    let id = IdCardNo::parse(raw).unwrap();
    let sealed = key.seal(id.expose());
    StoredIdCard {
        hash: sealed.hash,
        cipher: sealed.ciphertext,
        masked: id.masked(),
    }
}

async fn persons_records_contacts_and_jobs(t: &TestDb) {
    let db = &t.db;
    seed_regions(db).await;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let school = new_school(db, "湖南城市学院", SchoolKind::University).await;
    let mut tx = db.begin().await.unwrap();
    let college = org::insert_college(&mut tx, school.id, "土木工程学院")
        .await
        .unwrap();
    let major = org::insert_major(&mut tx, college.id, "土木工程")
        .await
        .unwrap();
    let class = org::insert_class(
        &mut tx,
        &NewClass {
            school: school.id,
            college: Some(college.id),
            major: Some(major.id),
            name: "土木2011级2班",
            enrolment_year: Some(2011),
            graduation_year: Some(2015),
            head_teacher: None,
            head_teacher_role: None,
        },
    )
    .await
    .unwrap();
    let source = sources::insert(
        &mut tx,
        SourceKind::Import,
        "2015届毕业生通讯录.xlsx",
        Some(school.id),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let stored_source = sources::get(db, source.id).await.unwrap().unwrap();
    assert_eq!(stored_source.kind, SourceKind::Import);
    assert_eq!(stored_source.school, Some(school.id));

    let card = sealed_id_card(&key, "11010519491231002X");
    let person = insert_person(db, "鍾麗華", Some(card.clone())).await;
    let stored = people::get_person(db, person).await.unwrap().unwrap();
    assert_eq!(stored.name, "鍾麗華", "names are kept as written");
    assert_eq!(stored.id_card_masked.as_deref(), Some("110105********002X"));
    assert_eq!(stored.native_region, Some(code("430104")));
    assert_eq!(
        people::find_by_id_card_hash(db, &card.hash).await.unwrap(),
        Some(person)
    );
    let cipher = people::id_card_cipher(db, person).await.unwrap().unwrap();
    assert_eq!(key.open(&cipher).unwrap(), "11010519491231002X");
    // The same ID number cannot belong to two persons.
    let mut tx = db.begin().await.unwrap();
    let again = people::insert_person(
        &mut tx,
        &NewPerson {
            name: PersonName::parse("钟丽华").unwrap(),
            gender: None,
            birth_date: None,
            id_card: Some(sealed_id_card(&key, "11010519491231002x")),
            native_region: None,
            current_city: None,
        },
    )
    .await;
    assert!(
        matches!(again, Err(StoreError::Duplicate { .. })),
        "{again:?}"
    );
    drop(tx);
    assert_eq!(people::count_persons(db).await.unwrap(), 1);

    let mut tx = db.begin().await.unwrap();
    let record = people::insert_study_record(
        &mut tx,
        &NewStudyRecord {
            person,
            school: school.id,
            college: Some(college.id),
            major: Some(major.id),
            class: Some(class.id),
            level: StudyLevel::Bachelor,
            enrolment_year: Some(2011),
            graduation_year: Some(2015),
            student_no: Some("201101020215"),
            name_as_reported: "鍾麗華",
            source: source.id,
            source_ref: Some("2015届毕业生通讯录.xlsx#12 序号=10"),
        },
    )
    .await
    .unwrap();
    people::insert_contact(
        &mut tx,
        &NewContact {
            person,
            kind: ContactKind::Mobile,
            value: "13800001111",
            source: source.id,
            observed_on: NaiveDate::from_ymd_opt(2015, 6, 1),
            verified: false,
        },
    )
    .await
    .unwrap();
    people::insert_contact(
        &mut tx,
        &NewContact {
            person,
            kind: ContactKind::Mobile,
            value: "13900002222",
            source: source.id,
            observed_on: NaiveDate::from_ymd_opt(2023, 3, 1),
            verified: true,
        },
    )
    .await
    .unwrap();
    people::insert_employment(
        &mut tx,
        &NewEmployment {
            person,
            enterprise: None,
            employer_name: "中国建筑第五工程局有限公司",
            title: Some("项目经理"),
            city: Some("长沙"),
            start_year: Some(2015),
            end_year: Some(2020),
            is_current: false,
            source: source.id,
        },
    )
    .await
    .unwrap();
    people::insert_employment(
        &mut tx,
        &NewEmployment {
            person,
            enterprise: None,
            employer_name: "中联重科股份有限公司",
            title: Some("高级工程师"),
            city: Some("长沙"),
            start_year: Some(2020),
            end_year: None,
            is_current: true,
            source: source.id,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let records = people::study_records_of_person(db, person).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].id, record);
    assert_eq!(records[0].school_name, "湖南城市学院");
    assert_eq!(records[0].class_name.as_deref(), Some("土木2011级2班"));
    assert_eq!(records[0].source_label, "2015届毕业生通讯录.xlsx");
    assert_eq!(
        records[0].source_ref.as_deref(),
        Some("2015届毕业生通讯录.xlsx#12 序号=10")
    );

    let contacts = people::contacts_of_person(db, person).await.unwrap();
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[0].value, "13900002222", "newest first");
    assert!(contacts[0].verified);
    assert_eq!(
        people::persons_with_contact(db, ContactKind::Mobile, "139-0000-2222")
            .await
            .unwrap(),
        vec![person]
    );

    let jobs = people::employments_of_person(db, person).await.unwrap();
    assert_eq!(jobs.len(), 2);
    assert!(jobs[0].is_current);
    assert_eq!(jobs[0].employer_name, "中联重科股份有限公司");

    let register = people::class_register(db, class.id).await.unwrap();
    assert_eq!(register.len(), 1);
    let line = &register[0];
    assert_eq!(line.mobile.as_deref(), Some("13900002222"));
    assert_eq!(line.employer.as_deref(), Some("中联重科股份有限公司"));
    assert_eq!(line.title.as_deref(), Some("高级工程师"));
    assert_eq!(line.student_no.as_deref(), Some("201101020215"));
}

async fn enterprises_with_codes_and_tags(t: &TestDb) {
    let db = &t.db;
    seed_regions(db).await;
    let hunan = code("430000");
    let mut tx = db.begin().await.unwrap();
    chains::upsert(
        &mut tx,
        hunan,
        &[chains::NewChain {
            code: "HN01",
            name: "工程机械",
            cluster: "先进制造",
        }],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let chain = chains::list(db, hunan).await.unwrap()[0].id;
    let credit = CreditCode::complete("91430100MA4L00001").unwrap();
    let mut tx = db.begin().await.unwrap();
    let id = enterprises::insert(
        &mut tx,
        &NewEnterprise {
            name: "中联重科股份有限公司",
            credit_code: Some(&credit),
            region: Some(code("430100")),
            city: Some("长沙"),
            industry_chain: Some(chain),
            tags: &[EnterpriseTag::Top500, EnterpriseTag::IndustryTop100],
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let stored = enterprises::get(db, id).await.unwrap().unwrap();
    assert_eq!(stored.credit_code.as_deref(), Some(credit.as_str()));
    assert_eq!(stored.industry_chain, Some(chain));
    assert_eq!(stored.tags.len(), 2);
    assert_eq!(
        enterprises::find(db, "whatever", Some(&credit))
            .await
            .unwrap()
            .unwrap()
            .id,
        id
    );
    assert_eq!(
        enterprises::find(db, "中聯重科股份有限公司", None)
            .await
            .unwrap()
            .unwrap()
            .id,
        id
    );
    assert!(
        enterprises::find(db, "三一重工股份有限公司", None)
            .await
            .unwrap()
            .is_none()
    );
    let mut tx = db.begin().await.unwrap();
    let duplicate = enterprises::insert(
        &mut tx,
        &NewEnterprise {
            name: "中联重科",
            credit_code: Some(&credit),
            region: None,
            city: None,
            industry_chain: None,
            tags: &[],
        },
    )
    .await;
    assert!(matches!(duplicate, Err(StoreError::Duplicate { .. })));
}

async fn talent_profiles_and_appointments(t: &TestDb) {
    let db = &t.db;
    seed_regions(db).await;
    let hunan = code("430000");
    let school = new_school(db, "中南大学", SchoolKind::University).await;
    let person = insert_person(db, "欧阳娜娜", None).await;
    let mut tx = db.begin().await.unwrap();
    chains::upsert(
        &mut tx,
        hunan,
        &[
            chains::NewChain {
                code: "HN01",
                name: "工程机械",
                cluster: "先进制造",
            },
            chains::NewChain {
                code: "HN12",
                name: "生物医药",
                cluster: "新兴产业",
            },
        ],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let chain_ids: Vec<_> = chains::list(db, hunan)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    let mut profile = TalentProfile {
        person,
        category: TalentCategory::Scholar,
        honours: Some("国家杰出青年科学基金获得者".into()),
        expertise: Some("粉末冶金".into()),
        summary: None,
        chains: chain_ids.clone(),
    };
    let mut tx = db.begin().await.unwrap();
    talent::upsert_profile(&mut tx, &profile).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        talent::get_profile(db, person).await.unwrap().unwrap(),
        profile
    );
    profile.category = TalentCategory::Academician;
    profile.chains = vec![chain_ids[1]];
    let mut tx = db.begin().await.unwrap();
    talent::upsert_profile(&mut tx, &profile).await.unwrap();
    let appointment = talent::insert_appointment(
        &mut tx,
        person,
        school.id,
        AppointmentKind::IndustryMentor,
        NaiveDate::from_ymd_opt(2024, 9, 1),
        None,
        Some("机电工程学院"),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        talent::get_profile(db, person).await.unwrap().unwrap(),
        profile
    );
    assert_eq!(
        talent::appointments_of_person(db, person).await.unwrap(),
        vec![appointment]
    );
    assert!(
        talent::get_profile(db, PersonId(person.get() + 1))
            .await
            .unwrap()
            .is_none()
    );
}

async fn bulk_load_and_statistics(t: &TestDb) {
    let db = &t.db;
    seed_regions(db).await;
    let school = new_school(db, "长沙理工大学", SchoolKind::University).await;
    let mut tx = db.begin().await.unwrap();
    let college = org::insert_college(&mut tx, school.id, "交通运输工程学院")
        .await
        .unwrap();
    let class = org::insert_class(
        &mut tx,
        &NewClass {
            school: school.id,
            college: Some(college.id),
            major: None,
            name: "交通2010级1班",
            enrolment_year: Some(2010),
            graduation_year: Some(2014),
            head_teacher: None,
            head_teacher_role: None,
        },
    )
    .await
    .unwrap();
    let source = sources::insert(&mut tx, SourceKind::Demo, "演示数据", None)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let first = bulk::next_person_id(db).await.unwrap();
    let count = 2_500;
    let mut batch = Batch::default();
    for i in 0..count {
        let person = PersonId(first.get() + i);
        batch.persons.push(BulkPerson {
            id: person,
            name: PersonName::parse(if i % 2 == 0 { "李娜" } else { "刘洋" }).unwrap(),
            name_key: if i % 2 == 0 { "李娜" } else { "刘洋" }.into(),
            gender: Some(if i % 2 == 0 {
                Gender::Female
            } else {
                Gender::Male
            }),
            birth_date: NaiveDate::from_ymd_opt(1992, 1, 1),
            id_card: None,
            native_region: None,
            current_city: Some(if i % 3 == 0 { "深圳" } else { "长沙" }.into()),
        });
        batch.study_records.push(BulkStudyRecord {
            person,
            school: school.id,
            college: Some(college.id),
            major: None,
            class: Some(class.id),
            level: StudyLevel::Bachelor,
            enrolment_year: Some(2010),
            graduation_year: Some(2014 + (i % 2) as i32),
            student_no: Some(format!("2010{i:06}")),
            name_as_reported: "李娜".into(),
            source: source.id,
            row_fingerprint: None,
            source_ref: None,
        });
        batch.contacts.push(BulkContact {
            person,
            kind: ContactKind::Mobile,
            value: format!("138{:08}", i),
            source: source.id,
            observed_on: None,
            verified: false,
        });
        batch.employments.push(BulkEmployment {
            person,
            enterprise: None,
            employer_name: "三一重工股份有限公司".into(),
            title: Some("工程师".into()),
            city: None,
            start_year: Some(2014),
            end_year: None,
            is_current: true,
            source: source.id,
        });
    }
    assert_eq!(batch.row_count(), 4 * count as usize);
    let before = xiaoyou_store::schema::describe(db).await.unwrap();
    let suspended = bulk::suspend_indexes(db, &["persons", "study_records"])
        .await
        .unwrap();
    assert_eq!(
        suspended.len(),
        10,
        "persons has three idx_ (name key, merged into, updated at), study_records seven (one unique)"
    );
    let mut tx = db.begin().await.unwrap();
    bulk::write_batch(&mut tx, batch).await.unwrap();
    tx.commit().await.unwrap();
    bulk::restore_indexes(db, suspended).await.unwrap();
    assert_eq!(
        xiaoyou_store::schema::describe(db).await.unwrap(),
        before,
        "indexes are back"
    );
    bulk::sync_sequences(db).await.unwrap();
    bulk::analyze(db).await.unwrap();

    // A normal insert after the bulk load gets the next id, not a collision.
    let after = insert_person(db, "张三", None).await;
    assert_eq!(after.get(), first.get() + count);

    let totals = stats::totals(db).await.unwrap();
    assert_eq!(totals.persons, count + 1);
    assert_eq!(totals.study_records, count);
    assert_eq!(totals.schools, 1);
    assert_eq!(totals.classes, 1);
    assert_eq!(
        stats::records_per_school(db).await.unwrap(),
        vec![(school.id, count)]
    );
    let breakdown = stats::school_breakdown(db, school.id, 5).await.unwrap();
    assert_eq!(breakdown.study_records, count);
    assert_eq!(breakdown.by_college, vec![(college.id, count)]);
    assert_eq!(
        breakdown.by_graduation_year,
        vec![(2014, 1250), (2015, 1250)]
    );
    assert_eq!(
        breakdown.top_cities,
        vec![("长沙".to_owned(), 1666), ("深圳".to_owned(), 834)]
    );
    assert_eq!(
        stats::class_sizes(db, college.id).await.unwrap(),
        vec![(class.id, count)]
    );
    assert_eq!(
        people::class_register(db, class.id).await.unwrap().len(),
        count as usize
    );
}

/// Rows in `table` (a name from this file).
async fn rows_in(db: &Db, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(pool)
            .await
            .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(pool)
            .await
            .unwrap(),
    }
}

/// A committed import source of `school`, and the first free person id after it.
async fn import_source(db: &Db, school: SchoolId, file: &str) -> (sources::Source, i64) {
    let mut tx = db.begin().await.unwrap();
    let source = sources::insert(&mut tx, SourceKind::Import, file, Some(school))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (source, bulk::next_person_id(db).await.unwrap().get())
}

/// One roster row as an import writes it: a person of its own with a study record (whose
/// fingerprint is `print` repeated), a mobile number and an employment.
fn roster_row(batch: &mut Batch, school: SchoolId, source: SourceId, person: PersonId, print: u8) {
    batch.persons.push(BulkPerson {
        id: person,
        name: PersonName::parse("王芳").unwrap(),
        name_key: "王芳".into(),
        gender: None,
        birth_date: None,
        id_card: None,
        native_region: None,
        current_city: None,
    });
    batch.study_records.push(BulkStudyRecord {
        person,
        school,
        college: None,
        major: None,
        class: None,
        level: StudyLevel::Bachelor,
        enrolment_year: None,
        graduation_year: Some(2015),
        student_no: None,
        name_as_reported: "王芳".into(),
        source,
        source_ref: None,
        row_fingerprint: Some(RowFingerprint::from_digest(&[print; 32])),
    });
    batch.contacts.push(BulkContact {
        person,
        kind: ContactKind::Mobile,
        value: format!("1390000{:04}", person.get() % 10_000),
        source,
        observed_on: None,
        verified: false,
    });
    batch.employments.push(BulkEmployment {
        person,
        enterprise: None,
        employer_name: "湖南示例企业".into(),
        title: None,
        city: None,
        start_year: None,
        end_year: None,
        is_current: true,
        source,
    });
}

/// A load written with the fingerprint index dropped: rebuilding the index removes the rows it
/// would have refused (repeats within the load, and of a row the school had before), each with
/// its person and everything of his, keeps the first of each, leaves other schools alone, and
/// leaves the index refusing repeats again.
async fn repeats_go_when_the_fingerprint_index_is_rebuilt(t: &TestDb) {
    let db = &t.db;
    seed_regions(db).await;
    let school = new_school(db, "长沙理工大学", SchoolKind::University).await;
    let other = new_school(db, "湖南城市学院", SchoolKind::University).await;
    let (source, first) = import_source(db, school.id, "名册.csv").await;
    let mut earlier = Batch::default();
    roster_row(&mut earlier, school.id, source.id, PersonId(first), 9);
    roster_row(&mut earlier, other.id, source.id, PersonId(first + 1), 1);
    let mut tx = db.begin().await.unwrap();
    bulk::write_batch(&mut tx, earlier).await.unwrap();
    tx.commit().await.unwrap();
    let schema = xiaoyou_store::schema::describe(db).await.unwrap();

    let mut tx = db.begin().await.unwrap();
    let after = bulk::study_records_estimate(&mut tx).await.unwrap();
    let mut suspended = bulk::suspend_indexes_in(&mut tx, &["study_records"], &[])
        .await
        .unwrap();
    let index = suspended
        .take(bulk::FINGERPRINT_INDEX)
        .expect("the fingerprint index was dropped with the others");
    let mut load = Batch::default();
    let prints = [1, 2, 1, 3, 2, 1, 9];
    for (at, print) in prints.into_iter().enumerate() {
        roster_row(
            &mut load,
            school.id,
            source.id,
            PersonId(first + 2 + at as i64),
            print,
        );
    }
    bulk::write_batch(&mut tx, load).await.unwrap();
    let removed = bulk::restore_fingerprint_index_in(&mut tx, index, school.id, after)
        .await
        .unwrap();
    bulk::restore_indexes_in(&mut tx, suspended).await.unwrap();
    tx.commit().await.unwrap();

    let repeats: Vec<PersonId> = [4, 6, 7, 8].map(|at| PersonId(first + at)).to_vec();
    assert_eq!(
        removed,
        bulk::RepeatsRemoved {
            rows: 4,
            persons: repeats.clone()
        }
    );
    for table in ["persons", "study_records", "contact_points", "employments"] {
        assert_eq!(rows_in(db, table).await, 2 + 3, "{table}");
    }
    for person in repeats {
        assert!(people::get_person(db, person).await.unwrap().is_none());
    }
    assert_eq!(
        xiaoyou_store::schema::describe(db).await.unwrap(),
        schema,
        "every index is back"
    );
    let mut again = Batch::default();
    roster_row(&mut again, school.id, source.id, PersonId(first + 20), 3);
    let mut tx = db.begin().await.unwrap();
    let written = bulk::write_batch_of_new_rows(&mut tx, again).await.unwrap();
    assert!(
        matches!(written, bulk::NewRowsWritten::Refused { .. }),
        "the rebuilt index refuses a repeat: {written:?}"
    );
}

/// A batch of new rows goes in whole; a batch with one row whose fingerprint the school has
/// stored leaves nothing behind, on a transaction that checks foreign keys as it goes.
async fn a_batch_with_a_stored_row_writes_nothing(t: &TestDb) {
    let db = &t.db;
    seed_regions(db).await;
    let school = new_school(db, "长沙理工大学", SchoolKind::University).await;
    let (source, first) = import_source(db, school.id, "名册.csv").await;
    let row = |batch: &mut Batch, id: i64, print: u8| {
        roster_row(batch, school.id, source.id, PersonId(id), print)
    };
    let tables = ["persons", "study_records", "contact_points", "employments"];

    let mut batch = Batch::default();
    row(&mut batch, first, 1);
    let mut tx = db.begin().await.unwrap();
    let written = bulk::write_batch_of_new_rows(&mut tx, batch).await.unwrap();
    assert!(matches!(written, bulk::NewRowsWritten::All), "{written:?}");
    tx.commit().await.unwrap();
    for table in tables {
        assert_eq!(rows_in(db, table).await, 1, "{table}");
    }

    let mut batch = Batch::default();
    row(&mut batch, first + 1, 2);
    row(&mut batch, first + 2, 1);
    row(&mut batch, first + 3, 3);
    let mut tx = db.begin().await.unwrap();
    let written = bulk::write_batch_of_new_rows(&mut tx, batch).await.unwrap();
    let bulk::NewRowsWritten::Refused { batch, positions } = written else {
        panic!("a stored fingerprint was not refused");
    };
    assert_eq!(positions, vec![1]);
    assert_eq!(batch.study_records.len(), 3, "the batch comes back whole");
    tx.commit().await.unwrap();
    for table in tables {
        assert_eq!(rows_in(db, table).await, 1, "{table} after commit");
    }
}

/// A batch naming a person id, or an ID-number hash, stored already fails as a duplicate, and
/// its transaction can be rolled back with nothing of it kept.
async fn a_batch_repeating_a_stored_person_fails(t: &TestDb) {
    let db = &t.db;
    seed_regions(db).await;
    let school = new_school(db, "长沙理工大学", SchoolKind::University).await;
    let (source, first) = import_source(db, school.id, "名册.csv").await;
    let card = |n: u8| StoredIdCard {
        hash: format!("{n:032x}"),
        cipher: vec![n; 8],
        masked: "430102********0011".into(),
    };
    let mut batch = Batch::default();
    roster_row(&mut batch, school.id, source.id, PersonId(first), 1);
    batch.persons[0].id_card = Some(card(1));
    let mut tx = db.begin().await.unwrap();
    bulk::write_batch(&mut tx, batch).await.unwrap();
    tx.commit().await.unwrap();

    for (id, hash) in [(first, 2), (first + 1, 1)] {
        let mut batch = Batch::default();
        roster_row(&mut batch, school.id, source.id, PersonId(first + 5), 5);
        roster_row(&mut batch, school.id, source.id, PersonId(id), 9);
        batch.persons[1].id_card = Some(card(hash));
        let mut tx = db.begin().await.unwrap();
        let written = bulk::write_batch(&mut tx, batch).await;
        assert!(
            matches!(written, Err(StoreError::Duplicate { what: "校友" })),
            "person {id}, hash {hash}: {written:?}"
        );
        tx.rollback().await.unwrap();
    }
    for table in ["persons", "study_records", "contact_points", "employments"] {
        assert_eq!(rows_in(db, table).await, 1, "{table}");
    }
}

/// Bulk rows keep every value as written on both backends, including the characters a bulk
/// format could take for its own (tab, newline, backslash, the text `\N`) and bytes that are
/// not text.
async fn bulk_rows_keep_every_value_as_written(t: &TestDb) {
    let db = &t.db;
    seed_regions(db).await;
    let school = new_school(db, "长沙理工大学", SchoolKind::University).await;
    let mut tx = db.begin().await.unwrap();
    let source = sources::insert(&mut tx, SourceKind::Import, "名册.xlsx", Some(school.id))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let person = bulk::next_person_id(db).await.unwrap();
    let cipher = vec![0x00, b'\\', b'\t', b'\n', 0xff, b'N'];
    let print = RowFingerprint::from_digest(&[0xa5; 32]);
    let observed = NaiveDate::from_ymd_opt(2026, 3, 9);
    let batch = Batch {
        persons: vec![BulkPerson {
            id: person,
            name: PersonName::parse("欧阳娜").unwrap(),
            name_key: "欧阳娜".into(),
            gender: Some(Gender::Female),
            birth_date: NaiveDate::from_ymd_opt(1993, 2, 28),
            id_card: Some(StoredIdCard {
                hash: "hash\\with\tcontrol".into(),
                cipher: cipher.clone(),
                masked: "4301**********123X".into(),
            }),
            native_region: Some(code("430100")),
            current_city: Some("长沙\\N".into()),
        }],
        study_records: vec![BulkStudyRecord {
            person,
            school: school.id,
            college: None,
            major: None,
            class: None,
            level: StudyLevel::Master,
            enrolment_year: Some(2015),
            graduation_year: None,
            student_no: Some("2015\t001".into()),
            name_as_reported: "歐陽娜".into(),
            source: source.id,
            source_ref: Some("名册.xlsx#第3行\r\n".into()),
            row_fingerprint: Some(print),
        }],
        contacts: vec![BulkContact {
            person,
            kind: ContactKind::Email,
            value: "ouyang\\na@example.com".into(),
            source: source.id,
            observed_on: observed,
            verified: true,
        }],
        employments: vec![BulkEmployment {
            person,
            enterprise: None,
            employer_name: "\\N".into(),
            title: Some(String::new()),
            city: None,
            start_year: Some(2019),
            end_year: Some(2023),
            is_current: false,
            source: source.id,
        }],
        consents: vec![BulkConsent {
            person,
            audience: ConsentAudience::Province,
            granted: true,
            source: "名册\t授权栏".into(),
        }],
    };
    let mut tx = db.begin().await.unwrap();
    bulk::write_batch(&mut tx, batch).await.unwrap();
    let known = bulk::known_fingerprints(&mut tx, school.id, &[print])
        .await
        .unwrap();
    assert_eq!(
        known.get(&print),
        Some(&source.id),
        "the fingerprint reads back"
    );
    tx.commit().await.unwrap();

    let stored = people::get_person(db, person).await.unwrap().unwrap();
    assert_eq!(stored.name, "欧阳娜");
    assert_eq!(stored.gender, Some(Gender::Female));
    assert_eq!(stored.birth_date, NaiveDate::from_ymd_opt(1993, 2, 28));
    assert_eq!(stored.id_card_masked.as_deref(), Some("4301**********123X"));
    assert_eq!(stored.native_region, Some(code("430100")));
    assert_eq!(stored.current_city.as_deref(), Some("长沙\\N"));
    assert_eq!(
        people::id_card_cipher(db, person).await.unwrap(),
        Some(cipher)
    );
    assert_eq!(
        people::find_by_id_card_hash(db, "hash\\with\tcontrol")
            .await
            .unwrap(),
        Some(person)
    );
    let records = people::study_records_of_person(db, person).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].level, StudyLevel::Master);
    assert_eq!(records[0].enrolment_year, Some(2015));
    assert_eq!(records[0].graduation_year, None);
    assert_eq!(records[0].student_no.as_deref(), Some("2015\t001"));
    assert_eq!(
        records[0].source_ref.as_deref(),
        Some("名册.xlsx#第3行\r\n")
    );
    let contacts = people::contacts_of_person(db, person).await.unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].kind, ContactKind::Email);
    assert_eq!(contacts[0].value, "ouyang\\na@example.com");
    assert_eq!(contacts[0].observed_on, observed);
    assert!(contacts[0].verified);
    let jobs = people::employments_of_person(db, person).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].employer_name, "\\N", "the text \\N is not a NULL");
    assert_eq!(
        jobs[0].title.as_deref(),
        Some(""),
        "an empty title is not a NULL"
    );
    assert_eq!(jobs[0].city, None);
    assert_eq!(
        (jobs[0].start_year, jobs[0].end_year),
        (Some(2019), Some(2023))
    );
    assert!(!jobs[0].is_current);
    let consents = xiaoyou_store::consents::current(db, person).await.unwrap();
    assert_eq!(consents.len(), 1);
    assert_eq!(consents[0].audience, ConsentAudience::Province);
    assert!(consents[0].granted);
    assert_eq!(consents[0].source, "名册\t授权栏");
}

backend_tests!(
    migrations_are_idempotent,
    settings_round_trip,
    regions_load_and_query,
    industry_chains_upsert_and_list,
    schools_and_departments,
    dropped_transaction_leaves_nothing,
    colleges_majors_and_classes,
    persons_records_contacts_and_jobs,
    enterprises_with_codes_and_tags,
    talent_profiles_and_appointments,
    bulk_load_and_statistics,
    bulk_rows_keep_every_value_as_written,
    a_batch_with_a_stored_row_writes_nothing,
    a_batch_repeating_a_stored_person_fails,
    repeats_go_when_the_fingerprint_index_is_rebuilt,
);

mod accounts_and_audit {
    use super::*;
    use chrono::{Duration, Utc};
    use xiaoyou_core::audit::AuditRecord;
    use xiaoyou_store::{accounts, audit};

    async fn users_grants_sessions_and_attempts(t: &TestDb) {
        let db = &t.db;
        seed_regions(db).await;
        let school = new_school(db, "湖南城市学院", SchoolKind::University).await;
        let mut tx = db.begin().await.unwrap();
        let user = accounts::insert_user(
            &mut tx,
            "yiyang-admin",
            "益阳校友办",
            "$argon2id$stub",
            true,
        )
        .await
        .unwrap();
        let duplicate = accounts::insert_user(&mut tx, "yiyang-admin", "x", "y", false).await;
        assert!(matches!(duplicate, Err(StoreError::Duplicate { .. })));
        drop(tx);
        let mut tx = db.begin().await.unwrap();
        let user = accounts::insert_user(
            &mut tx,
            "yiyang-admin",
            "益阳校友办",
            "$argon2id$stub",
            true,
        )
        .await
        .unwrap_or(user);
        let grant = Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(school.id),
        };
        accounts::insert_grant(&mut tx, user, &grant, None)
            .await
            .unwrap();
        let city_grant = Grant {
            role: Role::CityViewer,
            node: OrgNode::City(code("430100")),
        };
        accounts::insert_grant(&mut tx, user, &city_grant, None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            accounts::grants_of(db, user).await.unwrap(),
            vec![grant, city_grant]
        );
        let mut tx = db.begin().await.unwrap();
        assert!(
            accounts::delete_grant(&mut tx, user, &city_grant)
                .await
                .unwrap()
        );
        assert!(
            !accounts::delete_grant(&mut tx, user, &city_grant)
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        assert_eq!(accounts::grants_of(db, user).await.unwrap(), vec![grant]);

        let stored = accounts::find_user(db, "yiyang-admin")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.id, user);
        assert!(stored.must_change_password);
        assert_eq!(
            accounts::get_user(db, user).await.unwrap(),
            Some(stored.clone())
        );
        assert_eq!(accounts::list_users(db).await.unwrap().len(), 1);

        let until = Utc::now() + Duration::minutes(15);
        let mut tx = db.begin().await.unwrap();
        accounts::record_failure(&mut tx, user, None).await.unwrap();
        accounts::record_failure(&mut tx, user, Some(until))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let locked = accounts::get_user(db, user).await.unwrap().unwrap();
        assert_eq!(locked.failed_logins, 2);
        assert!(locked.locked_until.is_some());
        let mut tx = db.begin().await.unwrap();
        accounts::clear_failures(&mut tx, user).await.unwrap();
        accounts::set_password(&mut tx, user, "$argon2id$new", false)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let reset = accounts::get_user(db, user).await.unwrap().unwrap();
        assert_eq!(
            (
                reset.failed_logins,
                reset.locked_until,
                reset.must_change_password
            ),
            (0, None, false)
        );
        assert_eq!(reset.password_hash, "$argon2id$new");

        let now = Utc::now();
        let mut tx = db.begin().await.unwrap();
        accounts::insert_session(
            &mut tx,
            "hash-1",
            user,
            "csrf-1",
            now,
            now + Duration::hours(8),
            Some("127.0.0.1"),
        )
        .await
        .unwrap();
        accounts::insert_session(
            &mut tx,
            "hash-2",
            user,
            "csrf-2",
            now,
            now + Duration::hours(8),
            None,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let session = accounts::get_session(db, "hash-1").await.unwrap().unwrap();
        assert_eq!(
            (session.user, session.csrf_token.as_str()),
            (user, "csrf-1")
        );
        accounts::touch_session(db, "hash-1", now + Duration::minutes(5))
            .await
            .unwrap();
        assert!(
            accounts::get_session(db, "hash-1")
                .await
                .unwrap()
                .unwrap()
                .last_seen_at
                > session.last_seen_at
        );
        accounts::delete_session(db, "hash-1").await.unwrap();
        assert!(accounts::get_session(db, "hash-1").await.unwrap().is_none());
        let mut tx = db.begin().await.unwrap();
        assert_eq!(
            accounts::delete_sessions_of(&mut tx, user).await.unwrap(),
            1
        );
        tx.commit().await.unwrap();

        for _ in 0..3 {
            accounts::record_attempt(db, "yiyang-admin", "10.0.0.9", false, now)
                .await
                .unwrap();
        }
        accounts::record_attempt(db, "yiyang-admin", "10.0.0.9", true, now)
            .await
            .unwrap();
        assert_eq!(
            accounts::failures_from(db, "10.0.0.9", now - Duration::minutes(1))
                .await
                .unwrap(),
            3
        );
        assert_eq!(
            accounts::failures_from(db, "10.0.0.9", now + Duration::minutes(1))
                .await
                .unwrap(),
            0
        );

        // Scopes: a city covers its schools; a school node names itself.
        let city_scope = accounts::resolve_scope(db, &OrgNode::City(code("430100")))
            .await
            .unwrap();
        assert!(
            city_scope.covers_school(school.id),
            "the demo school sits in 长沙 in new_school"
        );
        let province = accounts::resolve_scope(db, &OrgNode::Province(code("430000")))
            .await
            .unwrap();
        assert!(province.all);
        assert_eq!(
            accounts::school_of_node(db, &OrgNode::School(school.id))
                .await
                .unwrap(),
            Some(school.id)
        );
    }

    fn record(action: &str, target: &str) -> AuditRecord {
        AuditRecord {
            occurred_at: Utc::now(),
            actor_user_id: None,
            actor_name: "系统".into(),
            actor_role: None,
            scope: None,
            action: action.into(),
            target_kind: "school".into(),
            target_id: Some(target.into()),
            school_id: target.parse().ok(),
            changes: Some(r#"{"name":[null,"湖南城市学院"]}"#.into()),
            request_id: None,
            client_addr: Some("127.0.0.1".into()),
        }
    }

    async fn audit_chain_detects_tampering(t: &TestDb) {
        let db = &t.db;
        assert_eq!(
            audit::verify(db).await.unwrap(),
            audit::ChainReport {
                rows: 0,
                first_broken: None
            }
        );
        for i in 1..=5 {
            let mut tx = db.begin().await.unwrap();
            audit::append(&mut tx, &record("create", &i.to_string()))
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        // A row appended in a transaction that rolls back leaves no trace.
        let mut tx = db.begin().await.unwrap();
        audit::append(&mut tx, &record("create", "99"))
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(
            audit::verify(db).await.unwrap(),
            audit::ChainReport {
                rows: 5,
                first_broken: None
            }
        );
        let recent = audit::recent(db, None, 2).await.unwrap();
        assert_eq!(recent.len(), 2);
        assert!(recent[0].id > recent[1].id);
        let only_three = audit::recent(db, Some(&[SchoolId(3)]), 10).await.unwrap();
        assert_eq!(only_three.len(), 1);
        assert_eq!(only_three[0].record.target_id.as_deref(), Some("3"));

        let mut tx = db.begin().await.unwrap();
        let mut other = record("unmask", "4");
        other.actor_name = "张_老师%".into();
        audit::append(&mut tx, &other).await.unwrap();
        tx.commit().await.unwrap();
        let found = audit::search(
            db,
            &audit::AuditFilter {
                actor: Some("_老师%".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            found.len(),
            1,
            "LIKE wildcards in the query are taken literally"
        );
        let found = audit::search(
            db,
            &audit::AuditFilter {
                schools: Some(vec![SchoolId(4)]),
                action: Some("create".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(found.len(), 1);
        let none = audit::search(
            db,
            &audit::AuditFilter {
                schools: Some(vec![]),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(none.is_empty());
        let recent_window = audit::search(
            db,
            &audit::AuditFilter {
                since: Some(Utc::now() - Duration::minutes(5)),
                until: Some(Utc::now() + Duration::minutes(5)),
                target_kind: Some("school".into()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(recent_window.len(), 6);
        let third = audit::page(db, 0, 10).await.unwrap()[2].id;
        let statement = "UPDATE audit_log SET target_id = '7' WHERE id = $1";
        on_each(db, statement, third).await;
        let report = audit::verify(db).await.unwrap();
        assert_eq!(report.first_broken, Some(third));
    }

    async fn on_each(db: &Db, statement: &'static str, id: i64) {
        match db {
            Db::Sqlite(pool) => {
                sqlx::query(statement).bind(id).execute(pool).await.unwrap();
            }
            Db::Postgres(pool) => {
                sqlx::query(statement).bind(id).execute(pool).await.unwrap();
            }
        }
    }

    backend_tests!(
        users_grants_sessions_and_attempts,
        audit_chain_detects_tampering
    );
}

async fn consents_latest_statement_wins(t: &TestDb) {
    use xiaoyou_store::consents;
    let db = &t.db;
    seed_regions(db).await;
    let person = insert_person(db, "刘洋", None).await;
    assert!(consents::current(db, person).await.unwrap().is_empty());
    assert!(
        consents::allows(db, person, ConsentAudience::OwnSchool)
            .await
            .unwrap(),
        "a school keeps its roster"
    );
    assert!(
        !consents::allows(db, person, ConsentAudience::Province)
            .await
            .unwrap(),
        "wider sharing needs consent"
    );
    let now = chrono::Utc::now();
    let mut tx = db.begin().await.unwrap();
    consents::record(
        &mut tx,
        person,
        ConsentAudience::Province,
        true,
        "校友本人（网页）",
        now,
    )
    .await
    .unwrap();
    consents::record(
        &mut tx,
        person,
        ConsentAudience::Province,
        false,
        "校友本人（网页）",
        now + chrono::Duration::seconds(5),
    )
    .await
    .unwrap();
    consents::record(
        &mut tx,
        person,
        ConsentAudience::Enterprises,
        true,
        "纸质登记表",
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let current = consents::current(db, person).await.unwrap();
    assert_eq!(current.len(), 2);
    assert!(
        !consents::allows(db, person, ConsentAudience::Province)
            .await
            .unwrap()
    );
    assert!(
        consents::allows(db, person, ConsentAudience::Enterprises)
            .await
            .unwrap()
    );
    assert_eq!(
        current
            .iter()
            .find(|c| c.audience == ConsentAudience::Enterprises)
            .unwrap()
            .source,
        "纸质登记表"
    );
}

backend_tests!(consents_latest_statement_wins);

/// Merging moves a person's rows to the survivor and remembers them; undoing puts every row
/// back; a person merged away is not merged again; distinct pairs are remembered.
async fn merges_move_rows_and_undo_restores(t: &TestDb) {
    use xiaoyou_store::identity::{self, MergeKind, PlannedMerge};
    let db = &t.db;
    seed_regions(db).await;
    let school = new_school(db, "湖南大学", SchoolKind::University).await;
    let (source, first) = import_source(db, school.id, "名册.xlsx").await;
    let mut batch = Batch::default();
    for i in 0..3 {
        let person = PersonId(first + i);
        batch.persons.push(BulkPerson {
            id: person,
            name: PersonName::parse("王伟").unwrap(),
            name_key: "王伟".into(),
            gender: Some(Gender::Male),
            birth_date: NaiveDate::from_ymd_opt(1990, 5, 1),
            id_card: None,
            native_region: None,
            current_city: None,
        });
        batch.study_records.push(BulkStudyRecord {
            person,
            school: school.id,
            college: None,
            major: None,
            class: None,
            level: StudyLevel::Bachelor,
            enrolment_year: Some(2008),
            graduation_year: Some(2012),
            student_no: None,
            name_as_reported: "王伟".into(),
            source: source.id,
            row_fingerprint: None,
            source_ref: Some(format!("名册.xlsx#{}", i + 2)),
        });
        batch.contacts.push(BulkContact {
            person,
            kind: ContactKind::Mobile,
            value: format!("1380000000{i}"),
            source: source.id,
            observed_on: None,
            verified: false,
        });
    }
    let mut tx = db.begin().await.unwrap();
    bulk::write_batch(&mut tx, batch).await.unwrap();
    tx.commit().await.unwrap();
    let [a, b, c] = [first, first + 1, first + 2];
    let at = chrono::Utc::now();
    // b has a talent profile with an industry chain; the survivor a has none.
    let mut tx = db.begin().await.unwrap();
    chains::upsert(
        &mut tx,
        code("430000"),
        &[chains::NewChain {
            code: "HN01",
            name: "工程机械",
            cluster: "先进制造",
        }],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let chain = chains::list(db, code("430000")).await.unwrap()[0].id;
    let profile_of_b = TalentProfile {
        person: PersonId(b),
        category: TalentCategory::Entrepreneur,
        honours: Some("湖南省优秀企业家".into()),
        expertise: None,
        summary: None,
        chains: vec![chain],
    };
    let mut tx = db.begin().await.unwrap();
    talent::upsert_profile(&mut tx, &profile_of_b)
        .await
        .unwrap();
    // b is in the school's outstanding-alumni file, with a photo.
    xiaoyou_store::alumni::set_outstanding(
        &mut tx,
        PersonId(b),
        school.id,
        "省级劳动模范",
        None,
        at,
    )
    .await
    .unwrap();
    xiaoyou_store::alumni::insert_photo(
        &mut tx,
        &xiaoyou_store::alumni::NewPhoto {
            person: PersonId(b),
            school: school.id,
            kind: xiaoyou_store::alumni::PhotoKind::Graduation,
            content_type: "image/png",
            bytes: b"\x89PNG\r\n\x1a\n",
            uploaded_by: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let files_of = |person: i64| async move {
        (
            xiaoyou_store::alumni::marks_of_person(db, PersonId(person))
                .await
                .unwrap()
                .len(),
            xiaoyou_store::alumni::photos_of_person(db, PersonId(person))
                .await
                .unwrap()
                .len(),
        )
    };

    let plan = vec![
        PlannedMerge {
            survivor: a,
            merged: b,
            score: Some(0.95),
            reasons: "出生日期相同".into(),
        },
        PlannedMerge {
            survivor: a,
            merged: c,
            score: Some(0.93),
            reasons: "手机号相同".into(),
        },
    ];
    let mut tx = db.begin().await.unwrap();
    assert_eq!(
        identity::merge_persons(&mut tx, &plan, MergeKind::Auto, None, at)
            .await
            .unwrap(),
        2
    );
    tx.commit().await.unwrap();
    let records = people::study_records_of_person(db, PersonId(a))
        .await
        .unwrap();
    assert_eq!(records.len(), 3, "every record moved to the survivor");
    assert_eq!(
        people::contacts_of_person(db, PersonId(a))
            .await
            .unwrap()
            .len(),
        3
    );
    let moved = talent::get_profile(db, PersonId(a)).await.unwrap();
    assert_eq!(
        moved,
        Some(TalentProfile {
            person: PersonId(a),
            ..profile_of_b.clone()
        }),
        "the survivor carries the merged person's talent profile and its chains"
    );
    assert_eq!(talent::get_profile(db, PersonId(b)).await.unwrap(), None);
    assert_eq!(
        files_of(a).await,
        (1, 1),
        "the outstanding file and photo moved"
    );
    assert_eq!(files_of(b).await, (0, 0));
    let lines = identity::export_page(db, 0, 10).await.unwrap();
    assert!(lines.iter().all(|(_, _, person)| *person == a), "{lines:?}");
    assert_eq!(lines[1].0.as_deref(), Some("名册.xlsx#3"));

    // Merging a person already merged away changes nothing.
    let mut tx = db.begin().await.unwrap();
    let again = vec![PlannedMerge {
        survivor: c,
        merged: b,
        score: None,
        reasons: String::new(),
    }];
    assert_eq!(
        identity::merge_persons(&mut tx, &again, MergeKind::Manual, None, at)
            .await
            .unwrap(),
        0
    );
    tx.commit().await.unwrap();

    let history = identity::merges_of(db, a).await.unwrap();
    assert_eq!(history.len(), 2);
    let of_b = history.iter().find(|m| m.merged == b).unwrap();
    let mut tx = db.begin().await.unwrap();
    assert!(identity::undo_merge(&mut tx, of_b.id, at).await.unwrap());
    assert!(
        !identity::undo_merge(&mut tx, of_b.id, at).await.unwrap(),
        "only once"
    );
    tx.commit().await.unwrap();
    assert_eq!(
        people::study_records_of_person(db, PersonId(b))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        people::contacts_of_person(db, PersonId(b))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        people::study_records_of_person(db, PersonId(a))
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        talent::get_profile(db, PersonId(b)).await.unwrap(),
        Some(profile_of_b),
        "undoing gives the talent profile back"
    );
    assert_eq!(talent::get_profile(db, PersonId(a)).await.unwrap(), None);
    assert_eq!(files_of(b).await, (1, 1), "and so are the file and photo");
    assert_eq!(files_of(a).await, (0, 0));

    let mut tx = db.begin().await.unwrap();
    identity::mark_distinct(&mut tx, b, a, None, at)
        .await
        .unwrap();
    identity::mark_distinct(&mut tx, a, b, None, at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let pairs = identity::distinct_pairs(db).await.unwrap();
    assert_eq!(pairs.into_iter().collect::<Vec<_>>(), vec![(a, b)]);
}

backend_tests!(merges_move_rows_and_undo_restores);
