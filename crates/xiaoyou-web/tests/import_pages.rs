//! Importing in the browser's terms: upload, results, error report download, re-upload; only
//! editors of the school may, on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::http::StatusCode;
use support::{get, sign_in, state, upload};
use xiaoyou_core::{Grant, OrgNode, PersonalDataKey, RegionCode, Role, SchoolKind};
use xiaoyou_store::org::{self, NewSchool};
use xiaoyou_store::stats;
use xiaoyou_testkit::{TestDb, backend_tests};

async fn upload_fix_and_upload_again(t: &TestDb) {
    let db = &t.db;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let app = state(db, &key);
    xiaoyou_app::reference::load_hunan(db).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let school = org::insert_school(
        &mut tx,
        &NewSchool {
            name: "湖南生物机电职业技术学院",
            kind: SchoolKind::HigherVocational,
            city: RegionCode::new(430_100).unwrap(),
            department: None,
        },
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
    let path = format!("/schools/{}/import", school.id);

    let page = get(&app, Some(&cookie), &format!("/schools/{}", school.id)).await;
    assert!(
        page.body.contains(&path),
        "the school page links to the import"
    );
    let form = get(&app, Some(&cookie), &path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("还没有导入记录"));

    let roster = "湖南生物机电职业技术学院2010届毕业生名册\n姓名,性别,手机,毕业年份,专业\n刘洋,男,13800001234,2010,园艺技术\n李娜,女,1380000,2010,畜牧兽医\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(roster);
    let result = upload(
        &app,
        &cookie,
        &path,
        &[("csrf", &csrf)],
        ("2010届.csv", &gbk),
    )
    .await;
    assert_eq!(result.status, StatusCode::OK);
    assert!(
        result.body.contains("导入结果：2010届.csv"),
        "{}",
        result.body
    );
    assert!(result.body.contains("手机：手机号应为11位"));
    let report_link = result
        .body
        .split("href=\"/imports/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let report = get(&app, Some(&cookie), &format!("/imports/{report_link}")).await;
    assert_eq!(report.status, StatusCode::OK);
    let table = xiaoyou_sheet::read_table(&report.bytes).unwrap();
    assert!(table.rows[1].cells.contains(&"李娜".to_owned()));

    // Fixed and uploaded again: the good row is not imported twice.
    let fixed = roster.replace("1380000,", "13800005678,");
    let (gbk, _, _) = encoding_rs::GBK.encode(&fixed);
    let again = upload(
        &app,
        &cookie,
        &path,
        &[("csrf", &csrf)],
        ("2010届（修改）.csv", &gbk),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(stats::totals(db).await.unwrap().study_records, 2);
    assert!(again.body.contains("2010届（修改）.csv"));

    let junk = upload(
        &app,
        &cookie,
        &path,
        &[("csrf", &csrf)],
        ("说明.xlsx", "随便写的文字".as_bytes()),
    )
    .await;
    assert!(junk.body.contains("未导入"), "{}", junk.body);
    let forged = upload(
        &app,
        &cookie,
        &path,
        &[("csrf", "forged")],
        ("2010届.csv", &gbk),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // A viewer of the city sees the school but may not import; another school's admin does
    // not see it at all, nor its error reports.
    let (viewer, viewer_csrf) = sign_in(
        db,
        "viewer",
        &[Grant {
            role: Role::CityViewer,
            node: OrgNode::City(RegionCode::new(430_100).unwrap()),
        }],
    )
    .await;
    assert_eq!(
        get(&app, Some(&viewer), &path).await.status,
        StatusCode::FORBIDDEN
    );
    let refused = upload(
        &app,
        &viewer,
        &path,
        &[("csrf", &viewer_csrf)],
        ("x.csv", &gbk),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&app, Some(&viewer), &format!("/imports/{report_link}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let mut tx = db.begin().await.unwrap();
    let other = org::insert_school(
        &mut tx,
        &NewSchool {
            name: "长沙民政职业技术学院",
            kind: SchoolKind::HigherVocational,
            city: RegionCode::new(430_100).unwrap(),
            department: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (stranger, _) = sign_in(
        db,
        "stranger",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(other.id),
        }],
    )
    .await;
    assert_eq!(
        get(&app, Some(&stranger), &path).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, Some(&stranger), &format!("/imports/{report_link}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

backend_tests!(upload_fix_and_upload_again);
