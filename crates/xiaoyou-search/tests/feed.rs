//! The index against a real database, on SQLite and PostgreSQL: a rebuild reads every live
//! study record; writes by any path reach the index through the trigger-filled change feed
//! (a new record, a deleted one, a merge, a renamed college, an enterprise); a second
//! instance with its own index follows the same feed; a missing or damaged index is rebuilt.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use xiaoyou_core::{
    CollegeId, EnterpriseId, PersonId, PersonName, RegionCode, RegionLevel, SchoolId, SchoolKind,
    Scope, SourceId, StudyLevel,
};
use xiaoyou_search::follow::open_or_rebuild;
use xiaoyou_search::schema::SCHEMA_VERSION;
use xiaoyou_search::{Dim, Opened, SearchIndex, SearchRequest, Target, WriterOptions};
use xiaoyou_store::identity::{self, MergeKind, PlannedMerge};
use xiaoyou_store::org::{self, NewClass, NewSchool};
use xiaoyou_store::people::{self, NewEmployment, NewPerson, NewStudyRecord};
use xiaoyou_store::regions::{self, Region};
use xiaoyou_store::sources::{self, SourceKind};
use xiaoyou_store::{Db, enterprises};
use xiaoyou_testkit::{TestDb, backend_tests};

struct Org {
    school_a: SchoolId,
    school_b: SchoolId,
    college_a: CollegeId,
    college_b: CollegeId,
    source: SourceId,
}

async fn seed_org(db: &Db) -> Org {
    let hunan = RegionCode::new(430_000).unwrap();
    let changsha = RegionCode::new(430_100).unwrap();
    let mut tx = db.begin().await.unwrap();
    regions::upsert(
        &mut tx,
        &[
            Region {
                code: hunan,
                name: "湖南省".into(),
                level: RegionLevel::Province,
                parent: None,
            },
            Region {
                code: changsha,
                name: "长沙市".into(),
                level: RegionLevel::City,
                parent: Some(hunan),
            },
        ],
    )
    .await
    .unwrap();
    let school = |name| NewSchool {
        name,
        kind: SchoolKind::University,
        city: changsha,
        department: None,
    };
    let a = org::insert_school(&mut tx, &school("中南大学"))
        .await
        .unwrap();
    let b = org::insert_school(&mut tx, &school("湖南大学"))
        .await
        .unwrap();
    let college_a = org::insert_college(&mut tx, a.id, "机电工程学院")
        .await
        .unwrap();
    let college_b = org::insert_college(&mut tx, b.id, "机械与运载工程学院")
        .await
        .unwrap();
    let source = sources::insert(&mut tx, SourceKind::Manual, "测试", None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    Org {
        school_a: a.id,
        school_b: b.id,
        college_a: college_a.id,
        college_b: college_b.id,
        source: source.id,
    }
}

async fn add_person(
    db: &Db,
    org: &Org,
    name: &str,
    school: SchoolId,
    college: CollegeId,
    year: i32,
    employer: Option<&str>,
) -> PersonId {
    let mut tx = db.begin().await.unwrap();
    let person = people::insert_person(
        &mut tx,
        &NewPerson {
            name: PersonName::parse(name).unwrap(),
            gender: None,
            birth_date: None,
            id_card: None,
            native_region: None,
            current_city: Some("长沙".into()),
        },
    )
    .await
    .unwrap();
    let class_name = format!("{}级机械1班", year - 4);
    let class = org::ensure_class(
        &mut tx,
        &NewClass {
            school,
            college: Some(college),
            major: None,
            name: &class_name,
            enrolment_year: Some(year - 4),
            graduation_year: Some(year),
            head_teacher: None,
            head_teacher_role: None,
        },
    )
    .await
    .unwrap();
    people::insert_study_record(
        &mut tx,
        &NewStudyRecord {
            person,
            school,
            college: Some(college),
            major: None,
            class: Some(class),
            level: StudyLevel::Bachelor,
            enrolment_year: Some(year - 4),
            graduation_year: Some(year),
            student_no: None,
            name_as_reported: name,
            source: org.source,
            source_ref: None,
        },
    )
    .await
    .unwrap();
    if let Some(employer) = employer {
        people::insert_employment(
            &mut tx,
            &NewEmployment {
                person,
                enterprise: None,
                employer_name: employer,
                title: Some("工程师"),
                city: Some("长沙"),
                start_year: Some(year),
                end_year: None,
                is_current: true,
                source: org.source,
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    person
}

fn found(index: &SearchIndex, text: &str, scope: &Scope) -> BTreeSet<i64> {
    index
        .search(
            &SearchRequest {
                text: text.into(),
                limit: 100,
                ..SearchRequest::default()
            },
            scope,
        )
        .unwrap()
        .hits
        .iter()
        .filter_map(|h| h.person)
        .collect()
}

fn scratch_dir(label: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "xiaoyou-search-test-{label}-{}-{:016x}",
        std::process::id(),
        rand_suffix()
    ))
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

async fn rebuild_then_follow_writes(t: &TestDb) {
    let db = &t.db;
    let org = seed_org(db).await;
    let wang = add_person(
        db,
        &org,
        "王伟",
        org.school_a,
        org.college_a,
        2008,
        Some("中联重科"),
    )
    .await;
    let li = add_person(db, &org, "李娜", org.school_b, org.college_b, 2010, None).await;
    let index = SearchIndex::in_memory(WriterOptions::default()).unwrap();
    let mut calls = Vec::new();
    let done = index
        .rebuild(db, &mut |done, total| calls.push((done, total)))
        .await
        .unwrap();
    assert_eq!(done, 2);
    assert_eq!(calls.last(), Some(&(2, 2)), "progress reaches the total");
    let all = Scope::everything();
    assert_eq!(found(&index, "王伟", &all), BTreeSet::from([wang.get()]));
    assert_eq!(
        found(&index, "中联重科", &all),
        BTreeSet::from([wang.get()])
    );

    // A new alumnus written after the rebuild appears after a catch-up.
    let guo = add_person(db, &org, "王偉國", org.school_a, org.college_a, 2010, None).await;
    assert!(!found(&index, "王伟国", &all).contains(&guo.get()));
    let outcome = index.catch_up(db).await.unwrap();
    assert!(outcome.entries > 0);
    assert_eq!(
        found(&index, "王伟", &all),
        BTreeSet::from([wang.get(), guo.get()])
    );
    assert_eq!(
        found(&index, "wangweiguo", &all),
        BTreeSet::from([guo.get()])
    );

    // A new job: the employer is searchable.
    let mut tx = db.begin().await.unwrap();
    people::insert_employment(
        &mut tx,
        &NewEmployment {
            person: li,
            enterprise: None,
            employer_name: "比亚迪汽车",
            title: Some("总经理"),
            city: Some("深圳"),
            start_year: Some(2020),
            end_year: None,
            is_current: true,
            source: org.source,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    index.catch_up(db).await.unwrap();
    assert_eq!(found(&index, "比亚迪", &all), BTreeSet::from([li.get()]));
    let facets = index
        .search(
            &SearchRequest {
                text: "李娜".into(),
                limit: 10,
                facets: true,
                ..SearchRequest::default()
            },
            &all,
        )
        .unwrap()
        .facets;
    assert_eq!(facets.count(Dim::City, "深圳"), 1);

    // Merging 王偉國 into 王伟: the merged person disappears, the record shows under the
    // survivor.
    let mut tx = db.begin().await.unwrap();
    identity::merge_persons(
        &mut tx,
        &[PlannedMerge {
            survivor: wang.get(),
            merged: guo.get(),
            score: Some(1.0),
            reasons: "测试".into(),
        }],
        MergeKind::Manual,
        None,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    index.catch_up(db).await.unwrap();
    assert_eq!(found(&index, "王伟国", &all), BTreeSet::new());
    let hits = index
        .search(
            &SearchRequest {
                text: "王伟".into(),
                limit: 10,
                ..SearchRequest::default()
            },
            &all,
        )
        .unwrap()
        .hits;
    assert_eq!(hits.len(), 2, "both study records, under the survivor");
    assert!(hits.iter().all(|h| h.person == Some(wang.get())));

    // Deleting a study record (and the person) removes the document.
    let sql = "DELETE FROM study_records WHERE person_id = $1";
    match db {
        Db::Sqlite(pool) => {
            sqlx::query(sql).bind(li.get()).execute(pool).await.unwrap();
        }
        Db::Postgres(pool) => {
            sqlx::query(sql).bind(li.get()).execute(pool).await.unwrap();
        }
    }
    index.catch_up(db).await.unwrap();
    assert!(found(&index, "李娜", &all).is_empty());

    // Renaming a college reaches its people's documents.
    let rename = "UPDATE colleges SET name = '智能制造学院' WHERE id = $1";
    match db {
        Db::Sqlite(pool) => {
            sqlx::query(rename)
                .bind(org.college_a.get())
                .execute(pool)
                .await
                .unwrap();
        }
        Db::Postgres(pool) => {
            sqlx::query(rename)
                .bind(org.college_a.get())
                .execute(pool)
                .await
                .unwrap();
        }
    }
    index.catch_up(db).await.unwrap();
    assert_eq!(
        found(&index, "智能制造", &all),
        BTreeSet::from([wang.get()])
    );

    // Enterprises are indexed too, as their own target.
    let mut tx = db.begin().await.unwrap();
    let firm: EnterpriseId = enterprises::insert(
        &mut tx,
        &enterprises::NewEnterprise {
            name: "三一重工股份有限公司",
            credit_code: None,
            region: None,
            city: Some("长沙"),
            industry_chain: None,
            tags: &[],
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    index.catch_up(db).await.unwrap();
    let firms = index
        .search(
            &SearchRequest {
                target: Target::Enterprises,
                text: "三一重工".into(),
                limit: 10,
                ..SearchRequest::default()
            },
            &all,
        )
        .unwrap();
    assert_eq!(firms.hits.len(), 1);
    assert_eq!(firms.hits[0].enterprise, Some(firm.get()));
}

async fn a_second_instance_follows_the_same_feed(t: &TestDb) {
    let db = &t.db;
    let org = seed_org(db).await;
    add_person(db, &org, "张三", org.school_a, org.college_a, 2008, None).await;
    let (dir_one, dir_two) = (scratch_dir("one"), scratch_dir("two"));
    let one = open_or_rebuild(&dir_one, db).await.unwrap();
    let two = open_or_rebuild(&dir_two, db).await.unwrap();
    let all = Scope::everything();
    assert_eq!(found(&one, "张三", &all).len(), 1);
    assert_eq!(found(&two, "张三", &all).len(), 1);
    // "Instance one" writes; both indexes pick it up from the database's feed.
    let new = add_person(
        db,
        &org,
        "欧阳娜娜",
        org.school_b,
        org.college_b,
        2012,
        None,
    )
    .await;
    one.catch_up(db).await.unwrap();
    two.catch_up(db).await.unwrap();
    assert_eq!(found(&one, "欧阳娜娜", &all), BTreeSet::from([new.get()]));
    assert_eq!(found(&two, "oynn", &all), BTreeSet::from([new.get()]));
    assert_eq!(one.cursor().seq, two.cursor().seq);
    // An index in use is never taken for a damaged one.
    assert!(matches!(
        SearchIndex::open(&dir_two, WriterOptions::default()),
        Err(xiaoyou_search::SearchError::Busy { .. })
    ));
    drop(one);
    // The cursor is kept on disk: reopening continues where it stopped.
    let (reopened, state) = SearchIndex::open(&dir_one, WriterOptions::default()).unwrap();
    assert_eq!(state, Opened::Ready);
    assert_eq!(found(&reopened, "欧阳娜娜", &all).len(), 1);
    drop(reopened);
    drop(two);
    let _ = std::fs::remove_dir_all(&dir_one);
    let _ = std::fs::remove_dir_all(&dir_two);
}

async fn a_missing_or_damaged_index_is_rebuilt(t: &TestDb) {
    let db = &t.db;
    let org = seed_org(db).await;
    add_person(db, &org, "赵六", org.school_a, org.college_a, 2008, None).await;
    let dir = scratch_dir("damaged");
    let index = open_or_rebuild(&dir, db).await.unwrap();
    assert_eq!(found(&index, "赵六", &Scope::everything()).len(), 1);
    drop(index);

    // Damaged: the index's meta file is garbage.
    std::fs::write(dir.join("meta.json"), b"{ not json").unwrap();
    let (_, state) = SearchIndex::open(&dir, WriterOptions::default()).unwrap();
    assert!(matches!(state, Opened::Unreadable(_)), "{state:?}");
    let index = open_or_rebuild(&dir, db).await.unwrap();
    assert_eq!(found(&index, "赵六", &Scope::everything()).len(), 1);
    drop(index);

    // Missing: the directory is gone.
    std::fs::remove_dir_all(&dir).unwrap();
    let (_, state) = SearchIndex::open(&dir, WriterOptions::default()).unwrap();
    assert_eq!(state, Opened::Missing);
    std::fs::remove_dir_all(&dir).unwrap();
    let index = open_or_rebuild(&dir, db).await.unwrap();
    assert_eq!(found(&index, "赵六", &Scope::everything()).len(), 1);
    drop(index);
    let _ = std::fs::remove_dir_all(&dir);
}

/// An index written by an earlier version (its cursor names the old schema version, or its
/// fields differ from this version's) is cleared and rebuilt with the current fields.
async fn an_index_of_an_older_version_is_rebuilt(t: &TestDb) {
    let db = &t.db;
    let org = seed_org(db).await;
    add_person(
        db,
        &org,
        "欧阳振华",
        org.school_a,
        org.college_a,
        2008,
        None,
    )
    .await;
    let dir = scratch_dir("older");
    let index = open_or_rebuild(&dir, db).await.unwrap();
    assert_eq!(found(&index, "振华", &Scope::everything()).len(), 1);
    drop(index);

    // The cursor says the index was written by the previous schema version.
    let cursor = std::fs::read_to_string(dir.join("cursor.json")).unwrap();
    let mut cursor: serde_json::Value = serde_json::from_str(&cursor).unwrap();
    assert_eq!(cursor["schema"], SCHEMA_VERSION);
    cursor["schema"] = serde_json::json!(SCHEMA_VERSION - 1);
    std::fs::write(dir.join("cursor.json"), cursor.to_string()).unwrap();
    let (index, state) = SearchIndex::open(&dir, WriterOptions::default()).unwrap();
    assert_eq!(state, Opened::Unreadable("索引由其他版本写入".into()));
    assert_eq!(index.num_docs(), 0, "the old index is cleared");
    assert_eq!(index.cursor().schema, SCHEMA_VERSION);
    drop(index);
    std::fs::remove_dir_all(&dir).unwrap();

    // An index as the previous version laid it out (single characters and jieba words, no
    // bigram fields), with its cursor: opened by this version, it is rebuilt from the database.
    std::fs::create_dir_all(&dir).unwrap();
    let mut old = tantivy::schema::Schema::builder();
    let name_gram = old.add_text_field("name_gram", tantivy::schema::TEXT);
    old.add_text_field("text_word", tantivy::schema::TEXT);
    let old = tantivy::Index::create_in_dir(&dir, old.build()).unwrap();
    let mut writer: tantivy::IndexWriter = old.writer_with_num_threads(1, 15_000_000).unwrap();
    writer
        .add_document(tantivy::doc!(name_gram => "欧 阳 振 华"))
        .unwrap();
    writer.commit().unwrap();
    drop(writer);
    std::fs::write(
        dir.join("cursor.json"),
        serde_json::json!({ "schema": SCHEMA_VERSION - 1, "seq": 0, "gaps": [] }).to_string(),
    )
    .unwrap();
    let index = open_or_rebuild(&dir, db).await.unwrap();
    assert_eq!(found(&index, "振华", &Scope::everything()).len(), 1);
    assert_eq!(found(&index, "欧阳振华", &Scope::everything()).len(), 1);
    assert_eq!(index.cursor().schema, SCHEMA_VERSION);
    drop(index);
    let _ = std::fs::remove_dir_all(&dir);
}

backend_tests!(
    rebuild_then_follow_writes,
    a_second_instance_follows_the_same_feed,
    a_missing_or_damaged_index_is_rebuilt,
    an_index_of_an_older_version_is_rebuilt
);

/// On PostgreSQL a transaction that took a lower sequence number can commit after one that
/// took a higher number; the follower must still apply it.
async fn a_late_commit_with_a_lower_number_is_not_skipped() {
    let t = TestDb::postgres().await;
    let db = &t.db;
    let org = seed_org(db).await;
    let index = SearchIndex::in_memory(WriterOptions::default()).unwrap();
    index.rebuild(db, &mut |_, _| {}).await.unwrap();
    index.catch_up(db).await.unwrap();

    // Transaction A writes first (lower numbers) but stays open.
    let mut slow = db.begin().await.unwrap();
    let late = people::insert_person(
        &mut slow,
        &NewPerson {
            name: PersonName::parse("孙悟空").unwrap(),
            gender: None,
            birth_date: None,
            id_card: None,
            native_region: None,
            current_city: None,
        },
    )
    .await
    .unwrap();
    people::insert_study_record(
        &mut slow,
        &NewStudyRecord {
            person: late,
            school: org.school_a,
            college: Some(org.college_a),
            major: None,
            class: None,
            level: StudyLevel::Bachelor,
            enrolment_year: Some(2001),
            graduation_year: Some(2005),
            student_no: None,
            name_as_reported: "孙悟空",
            source: org.source,
            source_ref: None,
        },
    )
    .await
    .unwrap();
    // Transaction B writes later (higher numbers) and commits first.
    let early = add_person(db, &org, "猪八戒", org.school_b, org.college_b, 2006, None).await;
    index.catch_up(db).await.unwrap();
    let all = Scope::everything();
    assert_eq!(found(&index, "猪八戒", &all), BTreeSet::from([early.get()]));
    assert!(found(&index, "孙悟空", &all).is_empty());
    assert!(
        !index.cursor().gaps.is_empty(),
        "the skipped numbers are remembered"
    );

    slow.commit().await.unwrap();
    index.catch_up(db).await.unwrap();
    assert_eq!(found(&index, "孙悟空", &all), BTreeSet::from([late.get()]));
    assert!(index.cursor().gaps.is_empty(), "the gap closed");
}

xiaoyou_testkit::postgres_test!(late_commit_on_postgres => a_late_commit_with_a_lower_number_is_not_skipped);
