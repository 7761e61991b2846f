//! Importing in the browser's terms: upload, results, error report download, re-upload; only
//! editors of the school may, on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::http::StatusCode;
use support::{get, post, sign_in, state, upload};
use xiaoyou_core::{Grant, OrgNode, PersonalDataKey, RegionCode, Role, SchoolKind};
use xiaoyou_store::org::{self, NewSchool};
use xiaoyou_store::stats;
use xiaoyou_testkit::{TestDb, backend_tests};
use xiaoyou_web::AppState;

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

    let roster = "湖南生物机电职业技术学院2010届毕业生名册\n姓名,性别,手机,毕业年份,专业,备用电话\n刘洋,男,13800001234,2010,园艺技术,\n李娜,女,1380000,2010,畜牧兽医,13900002222\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(roster);
    let job = upload_and_open(&app, &cookie, &csrf, &path, "2010届.csv", &gbk).await;
    let mapping = get(&app, Some(&cookie), &job).await;
    assert_eq!(mapping.status, StatusCode::OK);
    assert!(mapping.body.contains("核对列对应"), "{}", mapping.body);
    assert!(
        mapping.body.contains("<span>刘洋</span>"),
        "the first rows are shown"
    );
    assert!(
        mapping.body.contains(r#"<span class="blank">空</span>"#),
        "an empty cell is shown as empty"
    );
    assert!(
        mapping.body.contains(r#"<option value="name" selected>"#),
        "recognised columns come pre-selected"
    );
    assert_eq!(
        stats::totals(db).await.unwrap().study_records,
        0,
        "nothing yet"
    );

    // Two columns for one field: refused with the reason, nothing queued.
    let doubled = post(
        &app,
        Some(&cookie),
        &format!("{job}/mapping"),
        &[("csrf", &csrf), ("col_0", "name"), ("col_1", "name")],
    )
    .await;
    assert!(
        doubled.body.contains("每个字段只能对应一列"),
        "{}",
        doubled.body
    );
    assert!(!app.jobs().unwrap().run_next().await.unwrap(), "not queued");

    // The unrecognised 备用电话 is kept out; saved as the school's template.
    let confirmed = post(
        &app,
        Some(&cookie),
        &format!("{job}/mapping"),
        &[
            ("csrf", &csrf),
            ("col_0", "name"),
            ("col_1", "gender"),
            ("col_2", "mobile"),
            ("col_3", "graduation_year"),
            ("col_4", "major"),
            ("col_5", ""),
            ("save_template", "on"),
        ],
    )
    .await;
    assert_eq!(confirmed.status, StatusCode::SEE_OTHER);
    let waiting = get(&app, Some(&cookie), &job).await;
    assert!(waiting.body.contains("正在导入"), "{}", waiting.body);
    assert!(waiting.body.contains("/assets/import.js"));
    let progress = get(&app, Some(&cookie), &format!("{job}/progress")).await;
    assert!(
        progress.body.contains(r#""stage":"queued""#),
        "{}",
        progress.body
    );
    assert!(app.jobs().unwrap().run_next().await.unwrap());
    let progress = get(&app, Some(&cookie), &format!("{job}/progress")).await;
    assert!(
        progress.body.contains(r#""finished":true"#),
        "{}",
        progress.body
    );

    let result = get(&app, Some(&cookie), &job).await;
    assert!(result.body.contains("导入完成"), "{}", result.body);
    assert!(result.body.contains("手机号应为11位"), "{}", result.body);
    assert!(
        result.body.contains(r#"<td class="num">4</td>"#),
        "the line as Excel shows it"
    );
    assert_eq!(stats::totals(db).await.unwrap().study_records, 1);
    let report_link = result
        .body
        .split("href=\"/imports/")
        .find(|part| part.contains("errors.xlsx"))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let report = get(&app, Some(&cookie), &format!("/imports/{report_link}")).await;
    assert_eq!(report.status, StatusCode::OK);
    let table = xiaoyou_sheet::read_table(&report.bytes).unwrap();
    assert!(table.rows[1].cells.contains(&"李娜".to_owned()));

    // Fixed and uploaded again: the good row is not imported twice, and this time the saved
    // template maps 备用电话 to nothing without being asked.
    let fixed = roster.replace("1380000,", "13800005678,");
    let (gbk, _, _) = encoding_rs::GBK.encode(&fixed);
    let job = upload_and_open(&app, &cookie, &csrf, &path, "2010届（修改）.csv", &gbk).await;
    let mapping = get(&app, Some(&cookie), &job).await;
    let backup_column = mapping.body.split("id=\"col_5\"").nth(1).unwrap();
    let backup_column = backup_column.split("</select>").next().unwrap();
    assert!(
        backup_column.contains(r#"<option value="" selected>不导入</option>"#),
        "{backup_column}"
    );
    confirm_as_shown(&app, &cookie, &csrf, &job, &mapping.body).await;
    assert!(app.jobs().unwrap().run_next().await.unwrap());
    let again = get(&app, Some(&cookie), &job).await;
    assert!(again.body.contains("导入完成"), "{}", again.body);
    assert_eq!(stats::totals(db).await.unwrap().study_records, 2);

    // A file that is not a roster ends its job at once, nothing stored.
    let job = upload_and_open(
        &app,
        &cookie,
        &csrf,
        &path,
        "说明.xlsx",
        "随便写的文字".as_bytes(),
    )
    .await;
    let junk = get(&app, Some(&cookie), &job).await;
    assert!(junk.body.contains("未导入"), "{}", junk.body);
    let listed = get(&app, Some(&cookie), &path).await;
    assert!(
        listed.body.contains("说明.xlsx") && listed.body.contains("失败"),
        "a failed job stays listed with its state: {}",
        listed.body
    );
    assert_eq!(stats::totals(db).await.unwrap().study_records, 2);
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

/// Uploads a file; returns the path of the import job it opened.
async fn upload_and_open(
    app: &AppState,
    cookie: &str,
    csrf: &str,
    path: &str,
    name: &str,
    bytes: &[u8],
) -> String {
    let sent = upload(app, cookie, path, &[("csrf", csrf)], (name, bytes)).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let location = sent.headers["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/imports/jobs/"), "{location}");
    location
}

/// Confirms the mapping page as it was pre-filled.
async fn confirm_as_shown(app: &AppState, cookie: &str, csrf: &str, job: &str, page: &str) {
    let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf.into())];
    for select in page.split("<select id=\"").skip(1) {
        let name = select.split('"').next().unwrap().to_owned();
        let chosen = select
            .split("</select>")
            .next()
            .unwrap()
            .split("<option value=\"")
            .skip(1)
            .find(|o| o.contains("\" selected>"))
            .map(|o| o.split('"').next().unwrap().to_owned())
            .unwrap_or_default();
        form.push((name, chosen));
    }
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let confirmed = post(app, Some(cookie), &format!("{job}/mapping"), &fields).await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.body
    );
}

backend_tests!(upload_fix_and_upload_again);
