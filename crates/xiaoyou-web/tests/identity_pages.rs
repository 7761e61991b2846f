//! Deciding identity in the browser's terms, on both backends: the review queue, the
//! side-by-side page, merge (and the merged person's page leading to the survivor), the merge
//! history with undo, "not the same person" remembered, the split of a study record; and
//! another school's admin seeing none of it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::http::StatusCode;
use support::{get, post, sign_in, state, with_flash};
use xiaoyou_app::audit::AuditContext;
use xiaoyou_app::import;
use xiaoyou_core::{Grant, OrgNode, PersonalDataKey, RegionCode, Role, SchoolKind, SystemClock};
use xiaoyou_store::identity::{self, NewReview};
use xiaoyou_store::org::{self, NewSchool};
use xiaoyou_testkit::{TestDb, backend_tests};

const ROSTER: &str = "姓名,性别,身份证号,手机号码,班级,毕业年份\n王伟,男,,13800001111,土木1班,2012\n王伟,男,,13900002222,机械2班,2016\n李娜,女,11010519491231002X,13700003333,会计1班,1971\n李娜,女,11010519491231002X,,会计研1班,1975\n";

/// A university of the given city, committed.
async fn university(db: &xiaoyou_store::Db, name: &str, city: u32) -> org::School {
    let mut tx = db.begin().await.unwrap();
    let school = org::insert_school(
        &mut tx,
        &NewSchool {
            name,
            kind: SchoolKind::University,
            city: RegionCode::new(city).unwrap(),
            department: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    school
}

async fn deciding_identity(t: &TestDb) {
    let db = &t.db;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let app = state(db, &key);
    xiaoyou_app::reference::load_hunan(db).await.unwrap();
    let school = university(db, "湖南城市学院", 430_900).await;
    let other = university(db, "长沙理工大学", 430_100).await;
    let report = import::import_roster(
        db,
        &SystemClock,
        &key,
        &AuditContext::system("test"),
        &school,
        "名册.csv",
        ROSTER.as_bytes(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.imported, 4, "{:?}", report.errors);
    let records = identity::records_page(db, 0, 10).await.unwrap();
    let wang: Vec<_> = records.iter().filter(|r| r.name == "王伟").collect();
    let li: Vec<_> = records.iter().filter(|r| r.name == "李娜").collect();
    assert_ne!(
        wang[0].person, wang[1].person,
        "two persons until someone decides"
    );
    assert_eq!(
        li[0].person, li[1].person,
        "the same ID number is one person"
    );
    let mut tx = db.begin().await.unwrap();
    identity::replace_open_reviews(
        &mut tx,
        &[NewReview {
            record_a: wang[0].record,
            record_b: wang[1].record,
            score: 0.78,
            reasons: "姓名相同；同校".into(),
        }],
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let (cookie, csrf) = sign_in(
        db,
        "school",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(school.id),
        }],
    )
    .await;
    let (stranger, _) = sign_in(
        db,
        "stranger",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(other.id),
        }],
    )
    .await;

    let queue = get(&app, Some(&cookie), "/identity/reviews").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(
        queue.body.contains("同一人核对") && queue.body.contains("王伟"),
        "{}",
        queue.body
    );
    let pair = queue
        .body
        .split("href=\"/identity/reviews/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let pair_path = format!("/identity/reviews/{pair}");
    let elsewhere = get(&app, Some(&stranger), "/identity/reviews").await;
    assert!(
        !elsewhere.body.contains("王伟"),
        "another school's admin sees no pair"
    );
    assert_eq!(
        get(&app, Some(&stranger), &pair_path).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post(
            &app,
            Some(&stranger),
            &format!("{pair_path}/merge"),
            &[("csrf", "x")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN,
        "a forged form is refused before anything else"
    );

    let page = get(&app, Some(&cookie), &pair_path).await;
    assert!(page.body.contains("是同一人吗"), "{}", page.body);
    assert!(page.body.contains("土木1班") && page.body.contains("机械2班"));
    assert!(
        page.body.contains("138****1111"),
        "phones masked: {}",
        page.body
    );
    assert!(!page.body.contains("13800001111"));

    // Merge: the survivor has both records; the merged person's page leads to it.
    let merged = post(
        &app,
        Some(&cookie),
        &format!("{pair_path}/merge"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(merged.status, StatusCode::SEE_OTHER);
    let survivor = wang[0].person.min(wang[1].person);
    let gone = wang[0].person.max(wang[1].person);
    assert_eq!(
        merged.headers["location"],
        format!("/persons/{survivor}").as_str()
    );
    let person = get(
        &app,
        Some(&with_flash(&cookie, &merged)),
        &format!("/persons/{survivor}"),
    )
    .await;
    assert!(person.body.contains("合并历史") && person.body.contains("人工核对"));
    assert!(
        person.body.contains("class=\"flash flash-success\"") && person.body.contains("已合并："),
        "the merge is confirmed once on the next page"
    );
    let cleared = person.headers.get_all("set-cookie").iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.starts_with("xiaoyou_flash=;") && v.contains("Max-Age=0"))
    });
    assert!(cleared, "the message is not shown twice");
    let again = get(&app, Some(&cookie), &format!("/persons/{survivor}")).await;
    assert!(!again.body.contains("已合并："));
    assert!(person.body.contains("土木1班") && person.body.contains("机械2班"));
    let redirect = get(&app, Some(&cookie), &format!("/persons/{gone}")).await;
    assert_eq!(redirect.status, StatusCode::SEE_OTHER);
    let decided = get(&app, Some(&cookie), &pair_path).await;
    assert!(decided.body.contains("已合并为同一人"), "{}", decided.body);

    // Undo: both are themselves again.
    let history = identity::merges_of(db, survivor).await.unwrap();
    let undo = format!("/persons/{survivor}/merges/{}/undo", history[0].id);
    let undone = post(&app, Some(&cookie), &undo, &[("csrf", &csrf)]).await;
    assert_eq!(undone.status, StatusCode::SEE_OTHER);
    let person = get(&app, Some(&cookie), &format!("/persons/{survivor}")).await;
    assert!(person.body.contains("已撤销"));
    assert!(!person.body.contains("机械2班"), "the record went back");
    assert_eq!(
        get(&app, Some(&cookie), &format!("/persons/{gone}"))
            .await
            .status,
        StatusCode::OK
    );

    // Proposed again and judged different: remembered, never proposed again.
    let mut tx = db.begin().await.unwrap();
    identity::replace_open_reviews(
        &mut tx,
        &[NewReview {
            record_a: wang[0].record,
            record_b: wang[1].record,
            score: 0.78,
            reasons: "姓名相同".into(),
        }],
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let queue = get(&app, Some(&cookie), "/identity/reviews").await;
    let again = queue
        .body
        .split("href=\"/identity/reviews/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let distinct = post(
        &app,
        Some(&cookie),
        &format!("/identity/reviews/{again}/distinct"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(distinct.status, StatusCode::SEE_OTHER);
    let pairs = identity::distinct_pairs(db).await.unwrap();
    assert!(pairs.contains(&(survivor, gone)));
    let queue = get(&app, Some(&cookie), "/identity/reviews").await;
    assert!(
        queue.body.contains("目前没有待核对的记录"),
        "{}",
        queue.body
    );

    // Split: 李娜's graduate record was someone else's.
    let li_person = li[0].person;
    let page = get(&app, Some(&cookie), &format!("/persons/{li_person}")).await;
    assert!(page.body.contains("拆分"));
    assert!(page.body.contains("data-confirm="), "splitting asks first");
    let script = get(&app, None, "/assets/confirm.js").await;
    assert!(script.body.contains("window.confirm"));
    let split = post(
        &app,
        Some(&cookie),
        &format!("/persons/{li_person}/records/{}/split", li[1].record),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(split.status, StatusCode::SEE_OTHER);
    let new_person = split.headers["location"].to_str().unwrap().to_owned();
    let page = get(&app, Some(&cookie), &new_person).await;
    assert!(
        page.body.contains("会计研1班") && !page.body.contains("会计1班<"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("未登记"),
        "the ID number stays with the original person"
    );
    let page = get(&app, Some(&cookie), &format!("/persons/{li_person}")).await;
    assert!(!page.body.contains("会计研1班"));
}

/// A college admin reviews the pairs whose records all lie in their college, and only those.
async fn college_admin_queue(t: &TestDb) {
    let db = &t.db;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let app = state(db, &key);
    xiaoyou_app::reference::load_hunan(db).await.unwrap();
    let school = university(db, "湖南城市学院", 430_900).await;
    let roster = "姓名,性别,手机号码,学院,班级,毕业年份\n陈晨,女,13800001111,土木工程学院,土木1班,2012\n陈晨,女,13900002222,土木工程学院,土木研1班,2016\n周毅,男,13700003333,土木工程学院,土木2班,2012\n周毅,男,13600004444,机械工程学院,机械1班,2012\n";
    let report = import::import_roster(
        db,
        &SystemClock,
        &key,
        &AuditContext::system("test"),
        &school,
        "名册.csv",
        roster.as_bytes(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.imported, 4, "{:?}", report.errors);
    let records = identity::records_page(db, 0, 10).await.unwrap();
    let named = |name: &str| -> Vec<i64> {
        records
            .iter()
            .filter(|r| r.name == name)
            .map(|r| r.record)
            .collect()
    };
    let (chen, zhou) = (named("陈晨"), named("周毅"));
    let mut tx = db.begin().await.unwrap();
    identity::replace_open_reviews(
        &mut tx,
        &[
            NewReview {
                record_a: chen[0],
                record_b: chen[1],
                score: 0.8,
                reasons: "姓名相同".into(),
            },
            NewReview {
                record_a: zhou[0],
                record_b: zhou[1],
                score: 0.79,
                reasons: "姓名相同".into(),
            },
        ],
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let colleges = org::list_colleges(db, school.id).await.unwrap();
    let civil = colleges.iter().find(|c| c.name == "土木工程学院").unwrap();
    let (cookie, _) = sign_in(
        db,
        "civil",
        &[Grant {
            role: Role::CollegeAdmin,
            node: OrgNode::College(civil.id),
        }],
    )
    .await;
    let queue = get(&app, Some(&cookie), "/identity/reviews").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains("陈晨"), "{}", queue.body);
    assert!(
        !queue.body.contains("周毅"),
        "a pair reaching into another college is not the college's to decide"
    );
}

/// Where an alumnus lives (所在城市 in the roster) reaches identity resolution with each of
/// their study records, whether or not a job is known.
async fn current_city_reaches_identity(t: &TestDb) {
    let db = &t.db;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    xiaoyou_app::reference::load_hunan(db).await.unwrap();
    let school = university(db, "湖南城市学院", 430_900).await;
    let roster = "姓名,性别,班级,毕业年份,所在城市,工作单位\n\
                  周明远,男,土木1班,2012,株洲,\n\
                  谭秀英,女,会计1班,2014,,长沙远大科技有限公司\n";
    let report = import::import_roster(
        db,
        &SystemClock,
        &key,
        &AuditContext::system("test"),
        &school,
        "名册.csv",
        roster.as_bytes(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.imported, 2, "{:?}", report.errors);
    let records = identity::records_page(db, 0, 10).await.unwrap();
    let city_of = |name: &str| {
        records
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.current_city.clone())
            .unwrap()
    };
    assert_eq!(city_of("周明远").as_deref(), Some("株洲"));
    assert_eq!(city_of("谭秀英"), None);
    let near = identity::records_near(db, &[records[0].person])
        .await
        .unwrap();
    assert!(near.iter().all(|r| r.current_city == city_of(&r.name)));
}

backend_tests!(
    deciding_identity,
    college_admin_queue,
    current_city_reaches_identity
);
