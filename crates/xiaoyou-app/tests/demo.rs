//! The demo province on both backends: realistic, consistent and deterministic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use xiaoyou_app::demo::{self, DemoOptions};
use xiaoyou_core::PersonalDataKey;
use xiaoyou_store::{Db, org, settings, stats};
use xiaoyou_testkit::{TestDb, backend_tests};

fn small() -> DemoOptions {
    DemoOptions {
        records: 6_000,
        batch_persons: 1_000,
        ..DemoOptions::default()
    }
}

async fn generate(db: &Db) -> demo::DemoSummary {
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let mut reports = Vec::new();
    let summary = demo::generate(db, &key, &small(), &mut |p| reports.push(p))
        .await
        .unwrap();
    assert!(!reports.is_empty(), "progress is reported");
    assert!(
        reports
            .windows(2)
            .all(|w| w[0].study_records <= w[1].study_records)
    );
    summary
}

async fn demo_province_is_realistic(t: &TestDb) {
    let db = &t.db;
    let summary = generate(db).await;
    let totals = stats::totals(db).await.unwrap();
    assert_eq!(totals.study_records as u64, summary.study_records);
    assert_eq!(totals.persons as u64, summary.persons);
    assert!(
        (5_000..=8_000).contains(&summary.study_records),
        "{summary:?}"
    );
    assert!(
        summary.persons < summary.study_records,
        "some persons studied at several schools"
    );
    assert!(summary.multi_school_persons > 0);
    assert!(summary.employments > 0 && summary.contacts > 0);
    let schools = org::list_schools(db).await.unwrap();
    for name in [
        "湖南城市学院",
        "湖南生物机电职业技术学院",
        "中南大学",
        "长郡中学",
        "湖南师范大学附属中学",
    ] {
        assert!(schools.iter().any(|s| s.name == name), "{name}");
    }
    assert!(
        settings::get(db, demo::COMPLETED_KEY)
            .await
            .unwrap()
            .is_some()
    );

    // Ages agree with years: nobody enrols younger than 13 or graduates before enrolling.
    let bad: i64 = match db {
        Db::Sqlite(pool) => sqlx::query_scalar(
            "SELECT COUNT(*) FROM study_records r JOIN persons p ON p.id = r.person_id
             WHERE r.enrolment_year - CAST(strftime('%Y', p.birth_date) AS INTEGER) < 13
                OR r.graduation_year <= r.enrolment_year",
        )
        .fetch_one(pool)
        .await
        .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(
            "SELECT COUNT(*) FROM study_records r JOIN persons p ON p.id = r.person_id
             WHERE r.enrolment_year - EXTRACT(YEAR FROM p.birth_date) < 13
                OR r.graduation_year <= r.enrolment_year",
        )
        .fetch_one(pool)
        .await
        .unwrap(),
    };
    assert_eq!(bad, 0);
    // Someone studied at three schools (middle school, university, graduate school).
    let max_schools: i64 = match db {
        Db::Sqlite(pool) => sqlx::query_scalar(
            "SELECT MAX(n) FROM (SELECT COUNT(DISTINCT school_id) AS n FROM study_records GROUP BY person_id) x",
        )
        .fetch_one(pool)
        .await
        .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(
            "SELECT MAX(n) FROM (SELECT COUNT(DISTINCT school_id) AS n FROM study_records GROUP BY person_id) x",
        )
        .fetch_one(pool)
        .await
        .unwrap(),
    };
    assert!(max_schools >= 2, "{max_schools}");
}

backend_tests!(demo_province_is_realistic);

#[tokio::test]
async fn same_seed_same_province() {
    let first = TestDb::sqlite().await;
    let second = TestDb::sqlite().await;
    let a = generate(&first.db).await;
    let b = generate(&second.db).await;
    assert_eq!(
        (a.persons, a.study_records, a.contacts),
        (b.persons, b.study_records, b.contacts)
    );
    let names = |db: Db| async move {
        let Db::Sqlite(pool) = db else { panic!() };
        sqlx::query_scalar::<_, String>("SELECT name FROM persons ORDER BY id LIMIT 200")
            .fetch_all(&pool)
            .await
            .unwrap()
    };
    assert_eq!(
        names(first.db.clone()).await,
        names(second.db.clone()).await
    );
}
