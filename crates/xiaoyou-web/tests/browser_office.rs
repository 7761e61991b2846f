//! A school's alumni office in a real browser (headless Chromium over WebDriver), on both
//! backends: sign in through the login form, walk school → college → class by the links on the
//! pages, export the class register and open the downloaded workbook, sign out; and a wrong
//! password refused in Chinese.
//!
//! Needs the Debian packages chromium and chromium-driver; without them these tests fail
//! saying so. A failure saves a screenshot and the page under `target/browser-failures/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use anyhow::{Context, ensure};
use std::collections::HashSet;
use std::time::Duration;
use support::site::{Site, backend, create_account, sheet_rows, site_state};
use support::{PASSWORD, seeded};
use xiaoyou_core::{Grant, OrgNode, PersonalDataKey, Role};
use xiaoyou_store::org::{Class, College, School};
use xiaoyou_store::people::RegisterEntry;
use xiaoyou_store::{Db, audit, org, people, stats};
use xiaoyou_testkit::browser::Browser;
use xiaoyou_testkit::{TestDb, backend_tests};

const REGISTER_HEADERS: [&str; 7] = [
    "学号",
    "姓名",
    "性别",
    "手机",
    "工作单位",
    "职务",
    "所在城市",
];

/// A class of the demo data with someone's phone in its register, and where it sits.
struct Walk {
    school: School,
    college: College,
    class: Class,
    register: Vec<RegisterEntry>,
}

async fn pick_class(db: &Db) -> Walk {
    let mut schools = stats::records_per_school(db).await.unwrap();
    schools.sort_by_key(|(_, records)| std::cmp::Reverse(*records));
    for (school, _) in schools {
        for college in org::list_colleges(db, school).await.unwrap() {
            for class in org::list_classes_of_college(db, college.id).await.unwrap() {
                let register = people::class_register(db, class.id).await.unwrap();
                if register.iter().any(|entry| entry.mobile.is_some()) {
                    let school = org::get_school(db, school).await.unwrap().unwrap();
                    return Walk {
                        school,
                        college,
                        class,
                        register,
                    };
                }
            }
        }
    }
    panic!("the demo data has a class with a phone number in its register");
}

async fn school_office_in_the_browser(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 600).await;
    let walk = pick_class(db).await;
    let (school, college, class) = (&walk.school, &walk.college, &walk.class);
    create_account(
        db,
        "xiaoyouban",
        "校友办王老师",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(school.id),
        }],
    )
    .await;
    let site = Site::start(site_state(db, &key)).await;
    let browser = Browser::start_named(&format!("school_office-{}", backend(t)))
        .await
        .unwrap();

    browser
        .run(async |b| {
            // An anonymous visitor is sent to the sign-in form, and signs in with it.
            b.goto(&site.url("/")).await?;
            assert_eq!(b.path().await?, "/login");
            assert_eq!(b.text("main h1").await?, "登录");
            b.fill("#username", "xiaoyouban").await?;
            b.fill("#password", PASSWORD).await?;
            b.submit("form[action='/login']").await?;
            b.wait_for_path("/").await?;
            assert_eq!(b.text("main h1").await?, "工作台");
            assert!(b.text("header .who").await?.contains("校友办王老师"));
            assert_eq!(
                b.text("header .who small").await?,
                Role::SchoolAdmin.label()
            );
            assert!(b.exists("form[action='/logout']").await?, "can sign out");

            // The workbench lists the school; its page shows the school and its colleges.
            let school_link = format!("main a[href='/schools/{}']", school.id);
            assert_eq!(b.text(&school_link).await?, school.name);
            b.click(&school_link).await?;
            b.wait_for_path(&format!("/schools/{}", school.id)).await?;
            assert!(b.text("main h1").await?.starts_with(&school.name));
            assert_eq!(b.text("nav.crumbs [aria-current=page]").await?, school.name);
            assert!(b.page_text().await?.contains("二级学院"));
            assert!(b.exists("main svg").await?, "graduation years are charted");

            // School → college.
            let college_link = format!("main table a[href='/colleges/{}']", college.id);
            assert_eq!(b.text(&college_link).await?, college.name);
            b.click(&college_link).await?;
            b.wait_for_path(&format!("/colleges/{}", college.id))
                .await?;
            assert_eq!(b.text("main h1").await?, college.name);
            let crumb_to_school = format!("nav.crumbs a[href='/schools/{}']", school.id);
            assert_eq!(b.text(&crumb_to_school).await?, school.name);

            // College → class: the register, phones masked.
            let class_link = format!("main table a[href='/classes/{}']", class.id);
            assert_eq!(b.text(&class_link).await?, class.name);
            b.click(&class_link).await?;
            let class_path = format!("/classes/{}", class.id);
            b.wait_for_path(&class_path).await?;
            let heading = b.text("main h1").await?;
            assert!(heading.contains(&class.name) && heading.contains("班级通讯录"));
            let crumb_to_college = format!("nav.crumbs a[href='/colleges/{}']", college.id);
            assert_eq!(b.text(&crumb_to_college).await?, college.name);
            assert!(b.exists(&crumb_to_school).await?);
            let rows = b.find_all("table.register tbody tr").await?;
            assert_eq!(rows.len(), walk.register.len(), "one row per alumnus");
            let page = b.source().await?;
            assert!(page.contains(&walk.register[0].name));
            let mut masked_cells = 0;
            for cell in b.find_all("table.register td.mono").await? {
                let phone = cell.text().await?;
                assert!(phone.is_empty() || phone.contains('*'), "unmasked: {phone}");
                masked_cells += usize::from(phone.contains('*'));
            }
            assert!(masked_cells > 0, "the register shows masked phones");
            for mobile in walk.register.iter().filter_map(|e| e.mobile.as_deref()) {
                assert!(!page.contains(mobile), "the page shows {mobile} unmasked");
            }

            // Export to Excel by the page's link: the browser downloads it, and it opens.
            b.click(&format!("a[href='/classes/{}/export.xlsx']", class.id))
                .await?;
            let file = b.wait_for_download(Duration::from_secs(20)).await?;
            let file_name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            assert_eq!(file_name, format!("{}班级通讯录.xlsx", class.name));
            assert_eq!(b.path().await?, class_path, "a download leaves the page");
            let sheet = sheet_rows(&file)?;
            let header = sheet
                .iter()
                .position(|row| row.iter().map(String::as_str).eq(REGISTER_HEADERS))
                .context("the export has the header row")?;
            let phone = REGISTER_HEADERS.iter().position(|h| *h == "手机").unwrap();
            let entries = &sheet[header + 1..];
            assert_eq!(entries.len(), walk.register.len(), "one row per alumnus");
            let names: HashSet<&str> = entries.iter().map(|row| row[1].as_str()).collect();
            assert!(
                walk.register
                    .iter()
                    .all(|e| names.contains(e.name.as_str()))
            );
            ensure!(
                entries.iter().any(|row| row[phone].contains('*')),
                "some exported phone is masked: {entries:?}"
            );
            for row in entries {
                assert!(row[phone].is_empty() || row[phone].contains('*'), "{row:?}");
            }
            for mobile in walk.register.iter().filter_map(|e| e.mobile.as_deref()) {
                assert!(
                    !sheet.iter().flatten().any(|cell| cell.contains(mobile)),
                    "the export shows {mobile} unmasked"
                );
            }
            let exported = audit::recent(db, None, 10)
                .await?
                .into_iter()
                .find(|e| e.record.action == "export")
                .context("the export is audited")?;
            assert_eq!(exported.record.actor_name, "xiaoyouban");
            assert_eq!(exported.record.target_id, Some(class.id.to_string()));
            assert_eq!(exported.record.client_addr.as_deref(), Some("127.0.0.1"));

            // The breadcrumb leads back up.
            b.click(&crumb_to_college).await?;
            b.wait_for_path(&format!("/colleges/{}", college.id))
                .await?;

            // Signing out ends the session: the class page asks to sign in again.
            b.submit("form[action='/logout']").await?;
            b.wait_for_path("/login").await?;
            b.goto(&site.url(&class_path)).await?;
            assert_eq!(b.path().await?, "/login");
            assert_eq!(
                b.attr("input[name=next]", "value").await?.as_deref(),
                Some(class_path.as_str())
            );
            assert!(!b.exists("form[action='/logout']").await?);
            Ok(())
        })
        .await
        .unwrap();
}

async fn wrong_password_is_refused(t: &TestDb) {
    let db = &t.db;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    create_account(db, "xiaoyouban", "校友办王老师", &[]).await;
    let site = Site::start(site_state(db, &key)).await;
    let browser = Browser::start_named(&format!("wrong_password-{}", backend(t)))
        .await
        .unwrap();

    browser
        .run(async |b| {
            b.goto(&site.url("/login")).await?;
            b.fill("#username", "xiaoyouban").await?;
            b.fill("#password", "not-the-password-2026").await?;
            b.submit("form[action='/login']").await?;
            let alert = b.wait_for("main [role=alert]").await?;
            assert_eq!(alert.text().await?, "用户名或密码错误");
            assert_eq!(b.path().await?, "/login");
            assert_eq!(
                b.attr("#username", "value").await?.as_deref(),
                Some("xiaoyouban"),
                "the username is kept"
            );
            assert!(!b.exists("form[action='/logout']").await?);
            b.goto(&site.url("/")).await?;
            assert_eq!(b.path().await?, "/login", "no session was opened");

            // The form still works with the right password.
            b.fill("#username", "xiaoyouban").await?;
            b.fill("#password", PASSWORD).await?;
            b.submit("form[action='/login']").await?;
            b.wait_for_path("/").await?;
            assert_eq!(b.text("main h1").await?, "工作台");
            assert!(b.page_text().await?.contains("您的账号尚未被授予任何范围"));
            Ok(())
        })
        .await
        .unwrap();
}

backend_tests!(school_office_in_the_browser, wrong_password_is_refused);
