//! The alumni office adds an alumnus in a real browser (headless Chromium over WebDriver), on
//! both backends: sign in as a school admin, walk school → college → class, add an alumnus
//! (a bad ID number first: the message next to the field, nothing saved), see the message,
//! upload a photo and see it, add and correct a job, export the class register and find the
//! new alumnus in the downloaded workbook with the phone masked; then delete them, asked first.
//!
//! Needs the Debian packages chromium and chromium-driver; without them these tests fail
//! saying so. A failure saves a screenshot and the page under `target/browser-failures/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use anyhow::{Context, ensure};
use chrono::NaiveDate;
use std::time::Duration;
use support::site::{Site, backend, create_account, sheet_rows, site_state};
use support::{PASSWORD, seeded};
use xiaoyou_core::{Grant, IdCardNo, OrgNode, PersonId, Role};
use xiaoyou_store::org::{Class, College, School};
use xiaoyou_store::{Db, alumni, audit, org, people, stats};
use xiaoyou_testkit::browser::Browser;
use xiaoyou_testkit::{TestDb, backend_tests};

/// A 1×1 PNG that browsers decode.
const PNG: [u8; 70] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x64, 0xf8, 0xcf, 0x50,
    0x0f, 0x00, 0x03, 0x86, 0x01, 0x80, 0x5a, 0x34, 0x7d, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

async fn pick_class(db: &Db) -> (School, College, Class) {
    let mut schools = stats::records_per_school(db).await.unwrap();
    schools.sort_by_key(|(_, records)| std::cmp::Reverse(*records));
    for (school, _) in schools {
        for college in org::list_colleges(db, school).await.unwrap() {
            if let Some(class) = org::list_classes_of_college(db, college.id)
                .await
                .unwrap()
                .into_iter()
                .next()
            {
                let school = org::get_school(db, school).await.unwrap().unwrap();
                return (school, college, class);
            }
        }
    }
    panic!("the demo data has a class in a college");
}

async fn add_an_alumnus_in_the_browser(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 600).await;
    let (school, college, class) = pick_class(db).await;
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
    let site = Site::start(site_state(db, &key)).await;
    let browser = Browser::start_named(&format!("add_alumnus-{}", backend(t)))
        .await
        .unwrap();
    let entered = class
        .enrolment_year
        .or(class.graduation_year.map(|y| y - 4))
        .unwrap_or(2010);
    let birth = NaiveDate::from_ymd_opt(entered - 18, 6, 18).unwrap();
    let good = IdCardNo::compose(430_102, birth, 517).unwrap();
    let good = good.expose().to_owned();
    let bad = format!(
        "{}{}",
        &good[..17],
        if good.ends_with('1') { '2' } else { '1' }
    );
    let photo = std::env::temp_dir().join(format!(
        "xiaoyou-photo-{}-{}.png",
        std::process::id(),
        backend(t)
    ));
    std::fs::write(&photo, PNG).unwrap();

    browser
        .run(async |b| {
            // Sign in and walk the tree: school → college → class.
            b.goto(&site.url("/login")).await?;
            b.fill("#username", "xiaoyouban").await?;
            b.fill("#password", PASSWORD).await?;
            b.submit("form[action='/login']").await?;
            b.wait_for_path("/").await?;
            b.click(&format!("main a[href='/schools/{}']", school.id))
                .await?;
            b.wait_for_path(&format!("/schools/{}", school.id)).await?;
            b.click(&format!("main a[href='/colleges/{}']", college.id))
                .await?;
            b.wait_for_path(&format!("/colleges/{}", college.id))
                .await?;
            b.click(&format!("main a[href='/classes/{}']", class.id))
                .await?;
            let class_path = format!("/classes/{}", class.id);
            b.wait_for_path(&class_path).await?;

            // Add an alumnus; a bad ID number first.
            b.click(&format!("a[href='/classes/{}/alumni/new']", class.id))
                .await?;
            b.wait_for_path(&format!("/classes/{}/alumni/new", class.id))
                .await?;
            assert_eq!(
                b.attr("#f-name", "autofocus").await?.as_deref(),
                Some("true"),
                "the cursor starts in the name"
            );
            let persons_before = people::count_persons(db).await?;
            b.fill("#f-name", "王浏览").await?;
            b.fill("#f-id_card", &bad).await?;
            b.fill("#f-mobile", "13912345678").await?;
            b.fill("#f-city", "长沙市").await?;
            b.fill("#f-employer", "湖南浏览科技有限公司").await?;
            let form = format!("form[action='/classes/{}/alumni']", class.id);
            b.submit(&form).await?;
            let error = b.wait_for("#f-id_card-error").await?;
            assert!(error.text().await?.contains("身份证号校验位不符"));
            assert_eq!(
                b.attr("#f-id_card", "aria-describedby").await?.as_deref(),
                Some("f-id_card-error")
            );
            assert_eq!(
                b.attr("#f-name", "value").await?.as_deref(),
                Some("王浏览"),
                "what was typed is kept"
            );
            assert_eq!(
                b.attr("#f-mobile", "value").await?.as_deref(),
                Some("13912345678")
            );
            assert!(b.text("main [role=alert]").await?.contains("未保存"));
            ensure!(
                people::count_persons(db).await? == persons_before,
                "nothing was saved"
            );

            // Corrected, it saves; the person page says so.
            b.fill("#f-id_card", &good).await?;
            b.submit(&form).await?;
            b.wait_until("the person page", Duration::from_secs(10), async |b| {
                Ok(b.path().await?.starts_with("/persons/"))
            })
            .await?;
            let person_path = b.path().await?;
            let person = PersonId(person_path.trim_start_matches("/persons/").parse()?);
            assert_eq!(b.text("main .flash").await?, "已添加校友“王浏览”");
            assert_eq!(b.text("main h1").await?, "王浏览");
            let page = b.source().await?;
            assert!(page.contains("139****5678") && !page.contains("13912345678"));
            assert!(!page.contains(&good), "the ID number is masked");

            // A photo: uploaded, then shown as a thumbnail the browser decodes.
            b.upload("#photo-file", &photo).await?;
            b.submit("#photo-upload").await?;
            flash_says(b, "已上传个人照").await?;
            let thumb = b.wait_for("img.thumb").await?;
            assert!(
                thumb
                    .attr("src")
                    .await?
                    .unwrap_or_default()
                    .starts_with(&format!("{person_path}/photos/"))
            );
            b.wait_until("the photo to load", Duration::from_secs(10), async |b| {
                let width = b
                    .client()
                    .execute(
                        "return document.querySelector('img.thumb').naturalWidth",
                        vec![],
                    )
                    .await?;
                Ok(width.as_u64() == Some(1))
            })
            .await?;
            ensure!(alumni::photos_of_person(db, person).await?.len() == 1);

            // Employment: add a job, then correct its title.
            b.click(&format!("a[href='{person_path}/jobs/new']"))
                .await?;
            b.wait_for_path(&format!("{person_path}/jobs/new")).await?;
            b.fill("#j-employer", "三一重工股份有限公司").await?;
            b.fill("#j-title", "工程师").await?;
            b.fill("#j-city", "长沙市").await?;
            b.fill("#j-start_year", "2016").await?;
            b.submit("#job-form").await?;
            flash_says(b, "已添加工作经历").await?;
            assert!(b.text("table#jobs").await?.contains("三一重工股份有限公司"));
            let job = people::employments_of_person(db, person)
                .await?
                .into_iter()
                .find(|j| j.employer_name == "三一重工股份有限公司")
                .context("the job is stored")?;
            b.click(&format!("a[href='{person_path}/jobs/{}/edit']", job.id))
                .await?;
            b.wait_for_path(&format!("{person_path}/jobs/{}/edit", job.id))
                .await?;
            assert_eq!(
                b.attr("#j-title", "value").await?.as_deref(),
                Some("工程师")
            );
            b.fill("#j-title", "高级工程师").await?;
            b.submit("#job-form").await?;
            flash_says(b, "已修改工作经历").await?;
            assert!(b.text("table#jobs").await?.contains("高级工程师"));

            // The class register lists them; its export opens with the phone masked.
            b.click(&format!("main a[href='/classes/{}']", class.id))
                .await?;
            b.wait_for_path(&class_path).await?;
            assert!(b.text("table.register").await?.contains("王浏览"));
            b.click(&format!("a[href='/classes/{}/export.xlsx']", class.id))
                .await?;
            let file = b.wait_for_download(Duration::from_secs(20)).await?;
            let sheet = sheet_rows(&file)?;
            let title = sheet
                .first()
                .and_then(|row| row.first())
                .cloned()
                .unwrap_or_default();
            assert!(
                title.starts_with(&format!("{} 班级通讯录", class.name)),
                "{title}"
            );
            if let Some(year) = class.graduation_year {
                assert!(title.contains(&format!("{year}届")), "{title}");
            }
            let header = sheet
                .iter()
                .position(|row| row.iter().any(|c| c == "手机"))
                .context("the export has a header row")?;
            let phone = sheet[header].iter().position(|c| c == "手机").unwrap();
            let row = sheet
                .iter()
                .find(|row| row.iter().any(|c| c == "王浏览"))
                .context("the new alumnus is in the export")?;
            assert_eq!(row[phone], "139****5678");
            ensure!(
                !sheet.iter().flatten().any(|c| c.contains("13912345678")),
                "the export shows the phone unmasked"
            );
            let exported = audit::recent(db, None, 5)
                .await?
                .into_iter()
                .find(|e| e.record.action == "export")
                .context("the export is audited")?;
            assert_eq!(exported.record.target_id, Some(class.id.to_string()));

            // Deleting asks first: dismissed, nothing happens; accepted, the person goes.
            b.goto(&site.url(&person_path)).await?;
            let delete = format!("form[action='{person_path}/delete'] button");
            b.click(&delete).await?;
            let question = b.client().get_alert_text().await?;
            assert!(question.contains("确定删除校友“王浏览”"));
            b.client().dismiss_alert().await?;
            assert_eq!(b.path().await?, person_path);
            ensure!(people::get_person(db, person).await?.is_some());
            b.click(&delete).await?;
            b.client().accept_alert().await?;
            b.wait_until("the alumni list", Duration::from_secs(10), async |b| {
                Ok(b.path().await? == "/alumni")
            })
            .await?;
            assert!(
                b.text("main .flash")
                    .await?
                    .contains("已删除校友“王浏览”及其全部信息")
            );
            ensure!(people::get_person(db, person).await?.is_none());
            Ok(())
        })
        .await
        .unwrap();
    let _ = std::fs::remove_file(&photo);
}

backend_tests!(add_an_alumnus_in_the_browser);

/// Waits for the page after a form to show a message containing `expected`: right after a
/// submit the previous page, with its own message, may still be on screen.
async fn flash_says(b: &Browser, expected: &str) -> anyhow::Result<()> {
    b.wait_until(expected, Duration::from_secs(10), async |b| {
        Ok(b.text("main .flash")
            .await
            .is_ok_and(|text| text.contains(expected)))
    })
    .await
}
