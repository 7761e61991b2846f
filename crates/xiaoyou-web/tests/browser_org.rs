//! The organisation tree in a real browser (headless Chromium over WebDriver), on both
//! backends: a school admin signs in, walks school → college → class by links and breadcrumbs,
//! creates a class with a head teacher and a liaison (a bad input first: the message next to
//! the field, nothing saved), sees the one-time message, edits the college history and reads
//! it on the 学院简史 page, and deletes the empty class after confirming.
//!
//! Needs the Debian packages chromium and chromium-driver; without them these tests fail
//! saying so. A failure saves a screenshot and the page under `target/browser-failures/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use anyhow::{Context, ensure};
use std::time::Duration;
use support::site::{Site, backend, create_account, site_state};
use support::{PASSWORD, seeded};
use xiaoyou_core::{Grant, OrgNode, Role};
use xiaoyou_store::org::{Class, College, School};
use xiaoyou_store::{Db, audit, org, orgtree};
use xiaoyou_testkit::browser::Browser;
use xiaoyou_testkit::{TestDb, backend_tests};

/// A class of the demo data, with its college and school.
async fn a_class(db: &Db) -> (School, College, Class) {
    for school in org::list_schools(db).await.unwrap() {
        for college in org::list_colleges(db, school.id).await.unwrap() {
            if let Some(class) = org::list_classes_of_college(db, college.id)
                .await
                .unwrap()
                .into_iter()
                .next()
            {
                return (school, college, class);
            }
        }
    }
    panic!("the demo data has a class");
}

const NEW_CLASS: &str = "2023级储能科学与工程1班";

async fn tree_in_the_browser(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 600).await;
    let (school, college, class) = a_class(db).await;
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
    let browser = Browser::start_named(&format!("org_tree-{}", backend(t)))
        .await
        .unwrap();
    let school_path = format!("/schools/{}", school.id);
    let college_path = format!("/colleges/{}", college.id);
    let class_path = format!("/classes/{}", class.id);

    browser
        .run(async |b| {
            b.goto(&site.url("/")).await?;
            b.fill("#username", "xiaoyouban").await?;
            b.fill("#password", PASSWORD).await?;
            b.submit("form[action='/login']").await?;
            b.wait_for_path("/").await?;

            // Workbench → school → college → class by the links on the pages.
            b.click(&format!("main a[href='{school_path}']")).await?;
            b.wait_for_path(&school_path).await?;
            assert_eq!(b.text("nav.crumbs [aria-current=page]").await?, school.name);
            assert!(b.page_text().await?.contains("最近更新的校友"));
            b.click(&format!("main table a[href='{college_path}']"))
                .await?;
            b.wait_for_path(&college_path).await?;
            assert_eq!(
                b.text("nav.crumbs [aria-current=page]").await?,
                college.name
            );
            b.click(&format!("main table a[href='{class_path}']"))
                .await?;
            b.wait_for_path(&class_path).await?;
            assert_eq!(b.text("nav.crumbs [aria-current=page]").await?, class.name);

            // Back up by the breadcrumbs: class → college → school → college.
            b.click(&format!("nav.crumbs a[href='{college_path}']"))
                .await?;
            b.wait_for_path(&college_path).await?;
            b.click(&format!("nav.crumbs a[href='{school_path}']"))
                .await?;
            b.wait_for_path(&school_path).await?;
            b.click(&format!("main table a[href='{college_path}']"))
                .await?;
            b.wait_for_path(&college_path).await?;

            // A new class: a graduation year before the enrolment and a bad phone first.
            b.click(&format!("a[href='{college_path}/classes/new']"))
                .await?;
            b.wait_for_path(&format!("{college_path}/classes/new"))
                .await?;
            assert_eq!(b.text("nav.crumbs [aria-current=page]").await?, "新建班级");
            b.fill("#f-name", NEW_CLASS).await?;
            b.fill("#f-enrolment_year", "2023").await?;
            b.fill("#f-graduation_year", "2021").await?;
            b.fill("#f-head_teacher", "周敏").await?;
            b.click("#f-head_teacher_role option[value='辅导员']")
                .await?;
            b.fill("#f-head_teacher_phone", "13800001234").await?;
            b.fill("#f-liaison_name", "李明").await?;
            b.fill("#f-liaison_phone", "1391234").await?;
            b.submit("form.form").await?;
            let error = b.wait_for("#e-graduation_year").await?;
            assert_eq!(error.text().await?, "毕业年份不能早于入学年份");
            assert!(
                b.text("#field-liaison_phone .field-error")
                    .await?
                    .contains("11 位手机号码")
            );
            assert_eq!(
                b.attr("#f-graduation_year", "aria-invalid")
                    .await?
                    .as_deref(),
                Some("true")
            );
            assert_eq!(
                b.attr("#f-graduation_year", "aria-describedby")
                    .await?
                    .as_deref(),
                Some("e-graduation_year")
            );
            assert!(b.text("[role=alert]").await?.contains("有 2 处需要修改"));
            assert_eq!(
                b.attr("#f-name", "value").await?.as_deref(),
                Some(NEW_CLASS),
                "what was typed is kept"
            );
            let focused = b
                .client()
                .execute("return document.activeElement.id;", Vec::new())
                .await?;
            assert_eq!(
                focused.as_str(),
                Some("f-graduation_year"),
                "focus on the problem"
            );
            ensure!(
                org::list_classes_of_college(db, college.id)
                    .await?
                    .iter()
                    .all(|c| c.name != NEW_CLASS),
                "nothing was saved"
            );

            // Corrected, it is saved: the class page says so once and shows masked phones.
            b.fill("#f-graduation_year", "2027").await?;
            b.fill("#f-liaison_phone", "13912345678").await?;
            b.submit("form.form").await?;
            b.wait_until("the new class page", Duration::from_secs(10), async |b| {
                let path = b.path().await?;
                Ok(path.starts_with("/classes/") && path != class_path)
            })
            .await?;
            let new_class_path = b.path().await?;
            assert_eq!(
                b.text(".flash-success").await?,
                format!("已新建班级“{NEW_CLASS}”")
            );
            assert_eq!(b.text("#head-teacher-phone").await?, "138****1234");
            assert_eq!(b.text("#liaison-phone").await?, "139****5678");
            let page = b.source().await?;
            assert!(page.contains("辅导员：周敏") && page.contains("班级联络员：李明"));
            assert!(!page.contains("13912345678") && !page.contains("13800001234"));
            let created = org::list_classes_of_college(db, college.id)
                .await?
                .into_iter()
                .find(|c| c.name == NEW_CLASS)
                .context("the class is stored")?;
            assert_eq!(new_class_path, format!("/classes/{}", created.id));
            assert_eq!(created.graduation_year, Some(2027));
            b.goto(&site.url(&new_class_path)).await?;
            assert!(!b.exists(".flash").await?, "the message is shown once");

            // The college history: edited by its form, read on the 学院简史 page.
            b.click(&format!("nav.crumbs a[href='{college_path}']"))
                .await?;
            b.wait_for_path(&college_path).await?;
            b.click(&format!("a[href='{college_path}/history']"))
                .await?;
            b.wait_for_path(&format!("{college_path}/history")).await?;
            assert!(b.text("main .empty").await?.contains("尚未编写学院简史"));
            b.click(&format!("a[href='{college_path}/history/edit']"))
                .await?;
            b.wait_for_path(&format!("{college_path}/history/edit"))
                .await?;
            b.fill("#f-origins", "1978年由原电力专科学校机电科组建。")
                .await?;
            b.fill("#f-former_names", "1978–1999 机电科\n1999–2010 机电工程系")
                .await?;
            b.fill("#f-leaders", "1999–2010 陈国华 系主任\n2010–至今 刘洋 院长")
                .await?;
            b.fill("#f-students", "2400").await?;
            b.fill("#f-staff", "130").await?;
            b.fill("#f-achievements", "省级示范性特色专业2个。").await?;
            b.fill("#f-addresses", "益阳市赫山区迎宾东路518号").await?;
            b.submit("form.form").await?;
            b.wait_for_path(&format!("{college_path}/history")).await?;
            assert_eq!(b.text(".flash-success").await?, "已保存学院简史");
            let history = b.page_text().await?;
            for text in [
                "1978年由原电力专科学校机电科组建。",
                "1999—2010年",
                "机电工程系",
                "陈国华",
                "2010年至今",
                "刘洋",
                "2400 人",
                "130 人",
                "省级示范性特色专业2个。",
                "迎宾东路518号",
            ] {
                assert!(history.contains(text), "the history page shows {text}");
            }
            assert_eq!(b.text("nav.crumbs [aria-current=page]").await?, "学院简史");

            // Deleting the empty class asks first; saying no keeps it, yes deletes it.
            b.goto(&site.url(&new_class_path)).await?;
            let delete = format!("form[action='{new_class_path}/delete']");
            b.submit(&delete).await?;
            let question = b.client().get_alert_text().await?;
            assert!(question.contains(NEW_CLASS) && question.contains("确定删除"));
            b.client().dismiss_alert().await?;
            assert_eq!(b.path().await?, new_class_path);
            ensure!(
                org::get_class(db, created.id).await?.is_some(),
                "kept after saying no"
            );
            b.submit(&delete).await?;
            b.client().accept_alert().await?;
            b.wait_for_path(&college_path).await?;
            assert_eq!(
                b.text(".flash-success").await?,
                format!("已删除班级“{NEW_CLASS}”")
            );
            ensure!(org::get_class(db, created.id).await?.is_none(), "deleted");
            let actions: Vec<String> = audit::recent(db, None, 3)
                .await?
                .into_iter()
                .map(|e| format!("{}:{}", e.record.action, e.record.target_kind))
                .collect();
            assert_eq!(
                actions,
                ["delete:class", "update_history:college", "create:class"]
            );
            let history = orgtree::college_history(db, college.id)
                .await?
                .context("the college has a history")?;
            assert_eq!(history.leaders.len(), 2);
            Ok(())
        })
        .await
        .unwrap();
}

backend_tests!(tree_in_the_browser);
