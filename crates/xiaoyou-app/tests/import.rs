//! Importing rosters as schools have them, on both backends: good rows stored once, bad rows
//! reported with line, column and reason and not stored, re-imports changing nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rust_xlsxwriter::{Format, Workbook};
use xiaoyou_app::AppError;
use xiaoyou_app::audit::AuditContext;
use xiaoyou_app::import::{self, ImportReport};
use xiaoyou_core::{ContactKind, FixedClock, PersonalDataKey, RegionCode, SchoolKind};
use xiaoyou_store::org::{self, NewSchool, School};
use xiaoyou_store::sources::{self, SourceKind};
use xiaoyou_store::{DatabaseTarget, Db, Tx, people, stats};
use xiaoyou_testkit::{TestDb, backend_tests};

fn clock() -> FixedClock {
    FixedClock(chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap())
}

async fn school(db: &Db) -> School {
    xiaoyou_app::reference::load_hunan(db).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let school = org::insert_school(
        &mut tx,
        &NewSchool {
            name: "湖南城市学院",
            kind: SchoolKind::University,
            city: RegionCode::new(430_900).unwrap(),
            department: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    school
}

async fn run(
    db: &Db,
    key: &PersonalDataKey,
    school: &School,
    name: &str,
    bytes: &[u8],
) -> Result<ImportReport, AppError> {
    let mut reports = Vec::new();
    let result = import::import_roster(
        db,
        &clock(),
        key,
        &AuditContext::system("test"),
        school,
        name,
        bytes,
        &mut |p| reports.push(p),
    )
    .await;
    if result.is_ok() {
        assert!(!reports.is_empty(), "progress is reported");
    }
    result
}

/// A 2015 class roster with a merged title and a two-row header, as offices build them.
fn roster_xlsx(rows: &[[&str; 9]]) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let plain = Format::new();
    sheet
        .merge_range(0, 0, 0, 8, "湖南城市学院2015届毕业生通讯录", &plain)
        .unwrap();
    for (col, text) in [
        "序号",
        "姓名",
        "性别",
        "身份证号",
        "学院",
        "专业",
        "班级",
        "联系方式",
        "",
    ]
    .iter()
    .enumerate()
    {
        if !text.is_empty() {
            sheet.write_string(1, col as u16, *text).unwrap();
        }
    }
    sheet.merge_range(1, 7, 1, 8, "联系方式", &plain).unwrap();
    sheet.write_string(2, 7, "手机").unwrap();
    sheet.write_string(2, 8, "毕业时间").unwrap();
    for (i, row) in rows.iter().enumerate() {
        for (col, value) in row.iter().enumerate() {
            sheet
                .write_string(3 + i as u32, col as u16, *value)
                .unwrap();
        }
    }
    workbook.save_to_buffer().unwrap()
}

const GOOD: [[&str; 9]; 3] = [
    [
        "1",
        "王伟",
        "男",
        "110105194912310038",
        "土木工程学院",
        "土木工程",
        "土木1101班",
        "138 0000 1111",
        "2015.7",
    ],
    [
        "2",
        "鍾麗華",
        "女",
        "",
        "土木工程学院",
        "土木工程",
        "土木1101班",
        "+86 139-0000-2222",
        "2015届",
    ],
    [
        "3",
        "Zhang Wei",
        "",
        "",
        "建筑与城乡规划学院",
        "建筑学",
        "建筑1101班",
        "",
        "2015-07-01",
    ],
];

async fn xlsx_roster_imports_once(t: &TestDb) {
    let db = &t.db;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let school = school(db).await;
    let bytes = roster_xlsx(&GOOD);
    let report = run(db, &key, &school, "2015届通讯录.xlsx", &bytes)
        .await
        .unwrap();
    assert_eq!(
        (report.data_rows, report.imported, report.errors.len()),
        (3, 3, 0),
        "{:?}",
        report.errors
    );
    let totals = stats::totals(db).await.unwrap();
    assert_eq!(
        (
            totals.persons,
            totals.study_records,
            totals.colleges,
            totals.classes
        ),
        (3, 3, 2, 2)
    );
    let person = report.touched_persons[0];
    let records = people::study_records_of_person(db, person).await.unwrap();
    assert_eq!(records[0].graduation_year, Some(2015));
    assert_eq!(
        records[0].source_ref.as_deref(),
        Some("2015届通讯录.xlsx#4 序号=1")
    );
    assert_eq!(records[0].class_name.as_deref(), Some("土木1101班"));
    let stored = people::get_person(db, person).await.unwrap().unwrap();
    assert_eq!(stored.id_card_masked.as_deref(), Some("110105********0038"));
    let phones = people::contacts_of_person(db, person).await.unwrap();
    assert_eq!(phones[0].kind, ContactKind::Mobile);
    assert_eq!(phones[0].value, "13800001111", "phone forms normalised");

    // The same file again changes nothing.
    let again = run(db, &key, &school, "2015届通讯录（再次上传）.xlsx", &bytes)
        .await
        .unwrap();
    assert_eq!((again.imported, again.unchanged), (0, 3));
    assert_eq!(stats::totals(db).await.unwrap().study_records, 3);
}

async fn bad_rows_are_reported_and_not_stored(t: &TestDb) {
    let db = &t.db;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let school = school(db).await;
    let csv = "湖南城市学院校友信息登记\n序号,姓名,身份证号码,手机号码,毕业年份,工作单位\n\
               1,刘洋,430104199001011230,13800001234,2012,中联重科股份有限公司\n\
               2,李娜,110105194912310021,1380000,2013,\n\
               3,,,13900001111,2014,\n\
               4,陈静,,13700001111,2099年,\n\
               4,陈静,,13700001111,2014,\n\
               4,陈静,,13700001111,2014,\n\
               合计,4人,,,,\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(csv);
    let report = run(db, &key, &school, "登记表.csv", &gbk).await.unwrap();
    assert_eq!(report.data_rows, 6);
    assert_eq!(
        report.duplicates, 1,
        "a row repeated in the file is imported once"
    );
    let lines: Vec<usize> = report.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![4, 5, 6]);
    let reasons = |line: usize| {
        report
            .errors
            .iter()
            .find(|e| e.line == line)
            .unwrap()
            .problems
            .iter()
            .map(|p| format!("{}：{}", p.column, p.reason))
            .collect::<Vec<_>>()
    };
    assert!(
        reasons(4)[0].starts_with("身份证号码：身份证号校验位不符"),
        "{:?}",
        reasons(4)
    );
    assert!(
        reasons(4).contains(&"手机号码：手机号应为11位、以1开头的数字".to_owned()),
        "{:?}",
        reasons(4)
    );
    assert_eq!(reasons(5), vec!["姓名：不能为空".to_owned()]);
    assert!(reasons(6)[0].contains("无法识别的年份"), "{:?}", reasons(6));
    assert_eq!(report.imported, 2);
    assert_eq!(
        stats::totals(db).await.unwrap().persons,
        2,
        "refused rows store nothing"
    );

    // The error report opens as a spreadsheet with the original cells and the reasons.
    let xlsx = import::report::error_report(&report.headers, &report.errors).unwrap();
    let table = xiaoyou_sheet::read_table(&xlsx).unwrap();
    assert_eq!(table.rows[0].cells.last().unwrap(), "错误原因");
    assert_eq!(table.rows.len(), 4);
    assert_eq!(
        table.rows[1].cells[2], "110105194912310021",
        "ID numbers keep every character"
    );
    assert!(table.rows[1].cells.last().unwrap().contains("校验位"));
}

async fn files_that_cannot_be_imported_store_nothing(t: &TestDb) {
    let db = &t.db;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let school = school(db).await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.csv", Vec::new(), "文件为空"),
        (
            "notes.xlsx",
            "这不是表格\n只是一些说明\n".as_bytes().to_vec(),
            "找不到表头",
        ),
        ("truncated.xlsx", roster_xlsx(&GOOD)[..600].to_vec(), "损坏"),
        (
            "no-name.csv",
            "手机,毕业年份\n13800001111,2015\n".as_bytes().to_vec(),
            "姓名",
        ),
        (
            "header-only.csv",
            "姓名,手机\n".as_bytes().to_vec(),
            "没有数据行",
        ),
    ];
    for (name, bytes, expected) in cases {
        let result = run(db, &key, &school, name, &bytes).await;
        let message = match result {
            Err(error) => error.to_string(),
            Ok(report) => panic!("{name} was accepted: {report:?}"),
        };
        assert!(message.contains(expected), "{name}: {message}");
    }
    // A column of all-invalid ID numbers: every row refused, nothing stored.
    let csv = "姓名,身份证号\n王伟,110105194912310021\n李娜,430104199001011234\n";
    let report = run(db, &key, &school, "ids.csv", csv.as_bytes())
        .await
        .unwrap();
    assert_eq!((report.imported, report.errors.len()), (0, 2));
    assert_eq!(stats::totals(db).await.unwrap().persons, 0);
}

#[test]
fn the_template_imports_as_it_is() {
    let bytes = import::template::roster_template().unwrap();
    let school = School {
        id: xiaoyou_core::SchoolId(1),
        name: "湖南城市学院".into(),
        kind: SchoolKind::University,
        city: RegionCode::new(430_900).unwrap(),
        department: None,
        created_at: chrono::Utc::now(),
    };
    let preview = import::mapping::preview(
        Box::new(std::io::Cursor::new(bytes)),
        &import::ColumnChoices::default(),
    )
    .unwrap();
    let header = preview.header;
    assert!(
        header.unmapped().is_empty(),
        "every template column is recognised: {:?}",
        header.unmapped()
    );
    assert_eq!(preview.sample.len(), 1, "the example row");
    let mut cells = preview.sample[0].cells.clone();
    let checked = import::validate::validate(&header, &mut cells, school.kind, 2026);
    assert!(checked.is_ok(), "{:?}", checked.err());
    assert_eq!(
        header.columns.iter().flatten().count(),
        import::template::COLUMNS.len()
    );
}

/// A job whose worker died mid-import (left "running") is queued again on recovery and runs
/// to the end, with the columns its uploader chose; its file is removed afterwards.
async fn abandoned_jobs_run_again_with_their_mapping(t: &TestDb) {
    use std::sync::Arc;
    use xiaoyou_app::import::jobs::ImportJobs;
    use xiaoyou_store::import_jobs::{self, JobStage};
    let db = &t.db;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let school = school(db).await;
    let directory = std::env::temp_dir().join(format!(
        "xiaoyou-app-jobs-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let jobs = ImportJobs::new(db.clone(), key.clone(), Arc::new(clock()), directory).unwrap();
    let path = jobs.upload_path();
    std::fs::write(
        &path,
        "姓名,毕业年份,常用号码\n王伟,2015,13800001111\n李娜,2016,13900002222\n",
    )
    .unwrap();
    let id = jobs
        .create(school.id, None, "名册.csv", &path)
        .await
        .unwrap();
    let job = import_jobs::get(db, id).await.unwrap().unwrap();
    assert_eq!(job.stage, JobStage::Mapping);
    let choices = import::ColumnChoices {
        by_column: [(2, Some(xiaoyou_sheet::Field::Mobile))]
            .into_iter()
            .collect(),
        ..Default::default()
    };
    jobs.confirm(
        &job,
        &choices,
        &["姓名".into(), "毕业年份".into(), "常用号码".into()],
        true,
    )
    .await
    .unwrap();
    // A worker claims it and dies before committing anything.
    let claimed = import_jobs::claim_next(db, clock().0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((claimed.id, claimed.stage), (id, JobStage::Running));
    assert!(
        !jobs.run_next().await.unwrap(),
        "a running job is not claimed twice"
    );

    // On PostgreSQL another instance may still be working on it: only a job silent for a
    // minute is taken over. SQLite belongs to one process, so its restart takes it at once.
    let directory = jobs.file_of(&job).parent().unwrap().to_path_buf();
    if db.backend() == xiaoyou_store::Backend::Postgres {
        assert!(jobs.recover().await.unwrap().is_empty(), "still alive");
    }
    let later = FixedClock(clock().0 + chrono::TimeDelta::minutes(2));
    let restarted = ImportJobs::new(db.clone(), key.clone(), Arc::new(later), directory).unwrap();
    assert_eq!(restarted.recover().await.unwrap(), vec![id]);
    assert!(restarted.run_next().await.unwrap());
    let done = import_jobs::get(db, id).await.unwrap().unwrap();
    assert_eq!(done.stage, JobStage::Done, "{:?}", done.message);
    assert_eq!(done.attempts, 2);
    let run = xiaoyou_store::imports::get(db, done.run_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.imported, 2);
    assert!(
        !restarted.file_of(&done).exists(),
        "the upload is removed once imported"
    );
    assert_eq!(
        people::persons_with_contact(db, ContactKind::Mobile, "13800001111")
            .await
            .unwrap()
            .len(),
        1,
        "the column mapped by hand was imported as the mobile"
    );
    // The choice is the school's template now.
    let saved = import::saved_choices(db, &school).await.unwrap();
    assert_eq!(
        saved.choose(7, "常用号码"),
        Some(Some(xiaoyou_sheet::Field::Mobile))
    );
}

/// A scalar from raw SQL on either backend.
async fn scalar(db: &Db, sql: &'static str) -> i64 {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

/// Persons without a search-feed entry naming them. (The feed has no index by entity: the
/// subquery is read once, not once per person.)
const PERSONS_NOT_IN_FEED: &str = "SELECT COUNT(*) FROM persons WHERE id NOT IN
     (SELECT entity_id FROM search_changes WHERE entity = 'person')";

/// A roster spanning several of the writer's chunks: repeated rows and one ID number meet
/// across chunk boundaries, the search feed hears of every person, and on SQLite (where the
/// import runs on its own connection with per-row feed triggers and foreign-key checks off)
/// every reference is whole afterwards and the shared connections still check them.
async fn a_roster_of_many_chunks_feeds_search_and_keeps_references_whole(t: &TestDb) {
    let db = &t.db;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let school = school(db).await;
    let feed_triggers = "SELECT COUNT(*) FROM sqlite_master
         WHERE type = 'trigger' AND name LIKE 'search_feed_%_ins'";
    let triggers_before = match db {
        Db::Sqlite(_) => scalar(db, feed_triggers).await,
        Db::Postgres(_) => 0,
    };
    let rows = 3 * import::read::CHUNK_ROWS + 500;
    let mut csv = String::from("序号,姓名,身份证号,手机号码,学院,班级,毕业年份,工作单位\n");
    // Names from a small stock of characters; the phone number keeps the rows apart.
    let name = |i: usize| {
        let chars: Vec<char> = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平".chars().collect();
        format!(
            "李{}{}",
            chars[i % chars.len()],
            chars[i / chars.len() % chars.len()]
        )
    };
    for i in 0..rows {
        csv.push_str(&format!(
            "{n},{name},,139{i:08},学院{college},{college}班,2015,单位{i}\n",
            n = i + 1,
            name = name(i),
            college = i % 7,
        ));
    }
    // Repeats of rows from the first chunk, near the end of the file.
    for i in [3, 5] {
        csv.push_str(&format!(
            "9000{i},{name},,139{i:08},学院{i},{i}班,2015,单位{i}\n",
            name = name(i)
        ));
    }
    // One person, by ID number, in the first chunk and in the last.
    csv.push_str("90003,王伟,110105194912310038,13800001111,学院1,1班,2015,\n");
    let mut text = csv.clone();
    let head = text.find('\n').unwrap() + 1;
    text.insert_str(
        head,
        "0,王伟,110105194912310038,13800001111,学院2,2班,2011,\n",
    );
    let report = run(db, &key, &school, "多批名册.csv", text.as_bytes())
        .await
        .unwrap();
    assert_eq!(report.data_rows, rows + 4);
    assert_eq!(report.refused, 0, "{:?}", report.errors.first());
    assert_eq!(
        report.duplicates, 2,
        "rows repeated across chunks count once"
    );
    assert_eq!(report.imported, rows + 2);
    let totals = stats::totals(db).await.unwrap();
    assert_eq!(totals.study_records as usize, rows + 2);
    assert_eq!(
        totals.persons as usize,
        rows + 1,
        "one ID number is one person across chunks"
    );
    // A repeated row adds no contact point or employment either.
    assert_eq!(
        scalar(db, "SELECT COUNT(*) FROM contact_points").await as usize,
        rows + 2
    );
    assert_eq!(
        scalar(db, "SELECT COUNT(*) FROM employments").await as usize,
        rows
    );
    assert_eq!(scalar(db, PERSONS_NOT_IN_FEED).await, 0);

    if let Db::Sqlite(pool) = db {
        let broken: Vec<(String, i64, String, i64)> = sqlx::query_as("PRAGMA foreign_key_check")
            .fetch_all(pool)
            .await
            .unwrap();
        assert!(broken.is_empty(), "dangling references: {broken:?}");
        assert_eq!(scalar(db, feed_triggers).await, triggers_before);
        // Every shared connection still enforces foreign keys.
        let mut held = Vec::new();
        for _ in 0..pool.options().get_max_connections() {
            let mut conn = pool.acquire().await.unwrap();
            let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(on, 1);
            held.push(conn);
        }
        drop(held);
    }
    // The feed triggers are back: a contact added later is heard of.
    let person = report.touched_persons[0];
    let before = scalar(db, "SELECT COUNT(*) FROM search_changes").await;
    let mut tx = db.begin().await.unwrap();
    let source = sources::insert(&mut tx, SourceKind::Manual, "测试", Some(school.id))
        .await
        .unwrap();
    people::insert_contact(
        &mut tx,
        &people::NewContact {
            person,
            kind: ContactKind::Email,
            value: "later@example.com",
            source: source.id,
            observed_on: None,
            verified: false,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(scalar(db, "SELECT COUNT(*) FROM search_changes").await > before);

    // The same file again changes nothing and leaves the references whole.
    let again = run(
        db,
        &key,
        &school,
        "多批名册（再次上传）.csv",
        text.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!((again.imported, again.unchanged), (0, rows + 4));
    assert_eq!(
        stats::totals(db).await.unwrap().study_records as usize,
        rows + 2
    );
}

/// A school's first roster, large enough that SQLite loads it with the indexes dropped, the
/// fingerprint index among them since the roster has no ID numbers: rows repeated in later
/// chunks leave nothing behind when the index is built again, and are counted as repeats.
async fn a_large_first_roster_without_id_numbers_keeps_one_of_each_row(t: &TestDb) {
    let db = &t.db;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let school = school(db).await;
    let rows = 51_000;
    let mut csv = String::from("序号,姓名,手机号码,学院,班级,毕业年份,工作单位,职务\n");
    let line = |n: usize, i: usize| {
        format!(
            "{n},李{},139{i:08},学院{},{}班,2015,单位{i},工程师\n",
            ["伟", "芳", "娜", "敏", "静"][i % 5],
            i % 7,
            i % 40,
        )
    };
    for i in 0..rows {
        csv.push_str(&line(i + 1, i));
        if i == 10 {
            csv.push_str(&line(90_000, 10)); // a repeat within the chunk
        }
    }
    for i in [3, 5, 5] {
        csv.push_str(&line(90_000 + i, i)); // repeats of the first chunk's rows
    }
    let schema = xiaoyou_store::schema::describe(db).await.unwrap();
    let report = run(db, &key, &school, "全校名册.csv", csv.as_bytes())
        .await
        .unwrap();
    assert_eq!(report.refused, 0, "{:?}", report.errors.first());
    assert_eq!((report.imported, report.duplicates), (rows, 4));
    for table in ["persons", "study_records", "contact_points", "employments"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        assert_eq!(count(db, &sql).await, rows as i64, "{table}");
    }
    let persons = ids(db, "SELECT id FROM persons ORDER BY id").await;
    let touched: Vec<i64> = report.touched_persons.iter().map(|p| p.get()).collect();
    assert_eq!(
        touched, persons,
        "every person handed on exists, and only they"
    );
    assert_eq!(scalar(db, PERSONS_NOT_IN_FEED).await, 0);
    assert_eq!(
        xiaoyou_store::schema::describe(db).await.unwrap(),
        schema,
        "every index is back"
    );

    let again = run(
        db,
        &key,
        &school,
        "全校名册（再次上传）.csv",
        csv.as_bytes(),
    )
    .await
    .unwrap();
    // Looked up this time: the repeats in later chunks were stored by the first import.
    assert_eq!(
        (again.imported, again.unchanged, again.duplicates),
        (0, rows + 2, 2)
    );
}

/// A college, major or class written in several ways (traditional characters, full-width
/// brackets, stray spaces) is one college, major or class, within a chunk and across chunks.
async fn spellings_of_one_college_are_one_college(t: &TestDb) {
    let db = &t.db;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let school = school(db).await;
    let spellings = [
        ("土木工程学院", "道路桥梁(本科)", "土木2015级1班"),
        ("土木工程學院", "道路橋梁（本科）", "土木2015級1班"),
        ("土木 工程学院", "道路桥梁 (本科)", "土木2015级 1班"),
    ];
    let rows = 9_000;
    let mut csv = String::from("序号,姓名,手机号码,学院,专业,班级,毕业年份\n");
    for i in 0..rows {
        let (college, major, class) = spellings[i % 3];
        csv.push_str(&format!(
            "{},王{},137{i:08},{college},{major},{class},2019\n",
            i + 1,
            ["伟", "芳", "娜"][i % 3]
        ));
    }
    let report = run(db, &key, &school, "土木学院名册.csv", csv.as_bytes())
        .await
        .unwrap();
    assert_eq!((report.imported, report.refused), (rows, 0));
    for (table, what) in [
        ("colleges", "学院"),
        ("majors", "专业"),
        ("classes", "班级"),
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        assert_eq!(count(db, &sql).await, 1, "one {what}");
    }
    let sql = "SELECT COUNT(DISTINCT college_id) + COUNT(DISTINCT major_id) \
               + COUNT(DISTINCT class_id) FROM study_records";
    assert_eq!(count(db, sql).await, 3);
    let college: String = match db {
        Db::Sqlite(pool) => sqlx::query_scalar("SELECT name FROM colleges")
            .fetch_one(pool)
            .await
            .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar("SELECT name FROM colleges")
            .fetch_one(pool)
            .await
            .unwrap(),
    };
    assert_eq!(college, "土木工程学院", "named as first written");
}

async fn count(db: &Db, sql: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

async fn ids(db: &Db, sql: &'static str) -> Vec<i64> {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
    }
}

/// Runs statements one by one in one transaction, on one connection, as a migration does.
/// Sent through the pool one by one, a statement could land on another SQLite connection than
/// the schema change before it and, under load, fail to see a column just added ("no such
/// column", about one run in three with both cores busy); inside a transaction begun with
/// `BEGIN IMMEDIATE` the connection reads the current schema first.
async fn execute(db: &Db, statements: &[&'static str]) {
    let mut tx = db.begin().await.unwrap();
    for sql in statements {
        match &mut tx {
            Tx::Sqlite(conn) => {
                sqlx::raw_sql(*sql).execute(&mut **conn).await.unwrap();
            }
            Tx::Postgres(conn) => {
                sqlx::raw_sql(*sql).execute(&mut **conn).await.unwrap();
            }
        }
    }
    tx.commit().await.unwrap();
}

/// A database whose rows were imported before fingerprints shrank to 16 bytes (version 10)
/// still recognises them: after the upgrade the same file changes nothing.
async fn rows_imported_before_the_fingerprint_upgrade_stay_known(t: &TestDb) {
    let db = &t.db;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let school = school(db).await;
    let bytes = roster_xlsx(&GOOD);
    let first = run(db, &key, &school, "2015届通讯录.xlsx", &bytes)
        .await
        .unwrap();
    assert_eq!(first.imported, 3);

    // Turn the database back into version 9: fingerprints as 64 hex characters, of which the
    // first 16 spell the 8 bytes kept now (versions 10 and 14 keep 32, then 16 of them).
    match db {
        Db::Sqlite(_) => {
            execute(
                db,
                &[
                    "DROP INDEX idx_study_records_fingerprint",
                    "ALTER TABLE study_records ADD COLUMN old_print TEXT",
                    "UPDATE study_records SET old_print = printf('%016x', row_fingerprint)
                         || '0011223344556677ffeeddccbbaa99887766554433221100'
                     WHERE row_fingerprint IS NOT NULL",
                    "ALTER TABLE study_records DROP COLUMN row_fingerprint",
                    "ALTER TABLE study_records RENAME COLUMN old_print TO row_fingerprint",
                    "CREATE UNIQUE INDEX idx_study_records_fingerprint
                         ON study_records (school_id, row_fingerprint)",
                ],
            )
            .await
        }
        Db::Postgres(_) => {
            execute(
                db,
                &[
                    "ALTER TABLE study_records ALTER COLUMN row_fingerprint TYPE TEXT
                     USING lpad(to_hex(row_fingerprint), 16, '0')
                         || '0011223344556677ffeeddccbbaa99887766554433221100'",
                    // and ID numbers unique by a column constraint (until version 13)
                    "DROP INDEX uq_persons_id_card_hash",
                    "ALTER TABLE persons ADD CONSTRAINT persons_id_card_hash_key
                     UNIQUE (id_card_hash)",
                ],
            )
            .await
        }
    }
    execute(db, &["DELETE FROM schema_migrations WHERE version >= 10"]).await;
    assert_eq!(
        scalar(
            db,
            "SELECT COUNT(*) FROM study_records WHERE length(row_fingerprint) = 64"
        )
        .await,
        3
    );

    let applied = xiaoyou_store::migrate::migrate(db).await.unwrap();
    assert_eq!(applied, vec![10, 11, 12, 13, 14, 15]);
    let again = run(db, &key, &school, "2015届通讯录（升级后）.xlsx", &bytes)
        .await
        .unwrap();
    assert_eq!((again.imported, again.unchanged), (0, 3));
    assert_eq!(stats::totals(db).await.unwrap().study_records, 3);
}

/// On SQLite an import commits without copying its pages from the write-ahead log into the
/// database file; a checkpoint of its own does that afterwards, with no other write needed.
#[tokio::test]
async fn an_import_reaches_the_database_file_without_another_write() {
    let t = TestDb::sqlite().await;
    let db = &t.db;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let school = school(db).await;
    let dir = t.sqlite_dir().unwrap();
    let Ok(DatabaseTarget::SqliteFile(file)) = DatabaseTarget::resolve(None, &dir) else {
        panic!("a SQLite test database lives in a file");
    };
    let size = || std::fs::metadata(&file).unwrap().len();
    let before = size();
    let mut csv = String::from("序号,姓名,手机号码,学院,班级,毕业年份,工作单位\n");
    for i in 0..3_000 {
        csv.push_str(&format!(
            "{n},李娜,139{i:08},学院{college},{college}班,2015,单位{i}\n",
            n = i + 1,
            college = i % 5
        ));
    }
    let report = run(db, &key, &school, "名册.csv", csv.as_bytes())
        .await
        .unwrap();
    assert_eq!(report.imported, 3_000);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while size() <= before {
        assert!(
            std::time::Instant::now() < deadline,
            "the import's pages never reached the database file ({before} bytes)"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A person imported before ID-number hashes shrank to 16 bytes (version 12) is found again
/// by ID number after the upgrade: a later roster's row with the same number joins them.
async fn persons_imported_before_the_id_hash_upgrade_stay_known(t: &TestDb) {
    let db = &t.db;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let school = school(db).await;
    let first = run(db, &key, &school, "2015届通讯录.xlsx", &roster_xlsx(&GOOD))
        .await
        .unwrap();
    assert_eq!(first.imported, 3);
    let persons = stats::totals(db).await.unwrap().persons;

    // Turn the database back into version 11: hashes of all 32 bytes, of which the first 16
    // are the hash kept now.
    execute(
        db,
        &[
            "UPDATE persons SET id_card_hash = id_card_hash || 'ffeeddccbbaa99887766554433221100'
             WHERE id_card_hash IS NOT NULL",
            "DELETE FROM schema_migrations WHERE version = 12",
        ],
    )
    .await;
    let long = "SELECT COUNT(*) FROM persons WHERE length(id_card_hash) = 64";
    assert_eq!(scalar(db, long).await, 1);

    let applied = xiaoyou_store::migrate::migrate(db).await.unwrap();
    assert_eq!(applied, vec![12]);
    assert_eq!(scalar(db, long).await, 0);
    // 王伟 again, by the same ID number, in a later class.
    let mut later = GOOD[0];
    later[6] = "土木1902班";
    later[8] = "2019.7";
    let again = run(
        db,
        &key,
        &school,
        "2019届通讯录.xlsx",
        &roster_xlsx(&[later]),
    )
    .await
    .unwrap();
    assert_eq!(again.imported, 1);
    let totals = stats::totals(db).await.unwrap();
    assert_eq!(totals.study_records, 4);
    assert_eq!(
        totals.persons, persons,
        "the same ID number is the same person"
    );
}

backend_tests!(
    spellings_of_one_college_are_one_college,
    persons_imported_before_the_id_hash_upgrade_stay_known,
    rows_imported_before_the_fingerprint_upgrade_stay_known,
    a_roster_of_many_chunks_feeds_search_and_keeps_references_whole,
    a_large_first_roster_without_id_numbers_keeps_one_of_each_row,
    abandoned_jobs_run_again_with_their_mapping,
    xlsx_roster_imports_once,
    bad_rows_are_reported_and_not_stored,
    files_that_cannot_be_imported_store_nothing,
);
