//! Importing a roster in a real browser (headless Chromium), on both backends: upload a GBK
//! CSV with a title row, map a column the system did not recognise, watch the job run, read
//! the refused row, download the error report, fix it and upload the report itself: only the
//! fixed row is imported, with the column mapping the school saved the first time.
//!
//! Needs the Debian packages chromium and chromium-driver; without them these tests fail
//! saying so. A failure saves a screenshot and the page under `target/browser-failures/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use anyhow::{Context, ensure};
use std::time::Duration;
use support::PASSWORD;
use support::site::{Site, backend, create_account, sheet_rows, site_state};
use xiaoyou_core::{Grant, OrgNode, PersonalDataKey, RegionCode, Role, SchoolKind};
use xiaoyou_store::org::{self, NewSchool};
use xiaoyou_store::stats;
use xiaoyou_testkit::browser::Browser;
use xiaoyou_testkit::{TestDb, backend_tests};

const ROSTER: &str = "湖南生物机电职业技术学院2012届毕业生通讯录\n姓名,性别,常用号码,毕业年份,专业\n刘洋,男,13800001234,2012,园艺技术\n李娜,女,1380000,2012,畜牧兽医\n";

async fn import_in_the_browser(t: &TestDb) {
    let db = &t.db;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
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
    create_account(
        db,
        "xiaoyouban",
        "校友办李老师",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(school.id),
        }],
    )
    .await;
    let app = site_state(db, &key);
    let worker = app.jobs().unwrap().spawn_worker();
    let site = Site::start(app).await;
    let scratch = std::env::temp_dir().join(format!(
        "xiaoyou-browser-import-{}-{}",
        backend(t),
        std::process::id()
    ));
    std::fs::create_dir_all(&scratch).unwrap();
    let roster = scratch.join("2012届通讯录.csv");
    let (gbk, _, _) = encoding_rs::GBK.encode(ROSTER);
    std::fs::write(&roster, &gbk).unwrap();
    let browser = Browser::start_named(&format!("import-{}", backend(t)))
        .await
        .unwrap();
    let import_path = format!("/schools/{}/import", school.id);

    browser
        .run(async |b| {
            b.goto(&site.url("/login")).await?;
            b.fill("#username", "xiaoyouban").await?;
            b.fill("#password", PASSWORD).await?;
            b.submit("form[action='/login']").await?;
            b.wait_for_path("/").await?;

            // Upload: the mapping page shows the columns, the first rows, and what was
            // recognised; 常用号码 was not.
            b.goto(&site.url(&import_path)).await?;
            b.upload("#file", &roster).await?;
            b.submit(&format!("form[action='{import_path}']")).await?;
            b.wait_for("table.mapping").await?;
            ensure!(b.path().await?.starts_with("/imports/jobs/"));
            let page = b.page_text().await?;
            ensure!(page.contains("核对列对应"), "{page}");
            ensure!(
                page.contains("表头在第 2 行"),
                "the title row is skipped: {page}"
            );
            ensure!(page.contains("刘洋"), "the first rows are shown");
            let name_choice = b.attr("#col_0 option[selected]", "value").await?;
            ensure!(name_choice.as_deref() == Some("name"), "{name_choice:?}");
            let unknown = b.attr("#col_2 option[selected]", "value").await?;
            ensure!(
                unknown.as_deref() == Some(""),
                "常用号码 is not guessed: {unknown:?}"
            );

            // Map it by hand, keep "save as template", start.
            b.click("#col_2 option[value='mobile']").await?;
            b.click("form[action$='/mapping'] button[type=submit]")
                .await?;

            // The job runs in the background; the page follows it and shows the result.
            b.wait_for_within("#error-report", Duration::from_secs(60))
                .await?;
            let result = b.page_text().await?;
            ensure!(result.contains("导入完成"), "{result}");
            ensure!(result.contains("手机号应为11位"), "{result}");
            ensure!(
                stats::totals(db).await?.study_records == 1,
                "the good row is stored, the bad one is not"
            );

            // The error report: the refused row as it was, with its line and reason.
            b.click("#error-report").await?;
            let report = b.wait_for_download(Duration::from_secs(30)).await?;
            let rows = sheet_rows(&report)?;
            ensure!(rows[0].contains(&"原行号".to_owned()), "{rows:?}");
            let bad = rows
                .iter()
                .find(|row| row.contains(&"李娜".to_owned()))
                .context("the refused row is in the report")?;
            ensure!(
                bad.contains(&"4".to_owned()),
                "its line in the file: {bad:?}"
            );

            // Fixed in the report and uploaded as it is.
            let fixed = scratch.join("错误报告（已改正）.xlsx");
            let mut workbook = rust_xlsxwriter::Workbook::new();
            let sheet = workbook.add_worksheet();
            for (r, row) in rows.iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    let cell = if cell == "1380000" {
                        "13800005678"
                    } else {
                        cell
                    };
                    sheet.write_string(r as u32, c as u16, cell)?;
                }
            }
            workbook.save(&fixed)?;
            b.goto(&site.url(&import_path)).await?;
            b.upload("#file", &fixed).await?;
            b.submit(&format!("form[action='{import_path}']")).await?;
            b.wait_for("table.mapping").await?;
            let remembered = b.attr("#col_2 option[selected]", "value").await?;
            ensure!(
                remembered.as_deref() == Some("mobile"),
                "the school's saved mapping is applied: {remembered:?}"
            );
            b.click("form[action$='/mapping'] button[type=submit]")
                .await?;
            b.wait_for_within(".tiles", Duration::from_secs(60)).await?;
            let again = b.page_text().await?;
            ensure!(again.contains("导入完成"), "{again}");
            ensure!(!again.contains("下载错误报告"), "nothing refused this time");
            ensure!(stats::totals(db).await?.study_records == 2);
            Ok(())
        })
        .await
        .unwrap();
    worker.abort();
    let _ = std::fs::remove_dir_all(&scratch);
}

backend_tests!(import_in_the_browser);
