//! Search in a real browser (headless Chromium), on both backends: a school office types part
//! of a name, picks a suggestion, filters by a facet, opens a result, saves the search as a
//! segment and exports it (the downloaded workbook is opened and checked).
//!
//! Needs the Debian packages chromium and chromium-driver; without them these tests fail
//! saying so. A failure saves a screenshot and the page under `target/browser-failures/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use anyhow::{Context, ensure};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use support::site::{Site, backend, create_account, sheet_rows, site_state};
use support::{PASSWORD, seeded};
use xiaoyou_core::{Grant, OrgNode, Role, Scope};
use xiaoyou_search::{Hit, SearchIndex, SearchRequest, WriterOptions};
use xiaoyou_store::{audit, org, stats};
use xiaoyou_testkit::browser::Browser;
use xiaoyou_testkit::{TestDb, backend_tests};

/// Someone of the school whose first two characters bring up few enough names that the
/// suggestions list them.
fn target(index: &SearchIndex, scope: &Scope) -> Hit {
    let all = index
        .search(
            &SearchRequest {
                limit: 300,
                ..SearchRequest::default()
            },
            scope,
        )
        .unwrap();
    for hit in all.hits {
        let chars: Vec<char> = hit.name.chars().collect();
        if chars.len() != 3 || hit.person.is_none() {
            continue;
        }
        let prefix: String = chars[..2].iter().collect();
        let near = index
            .search(
                &SearchRequest {
                    text: prefix,
                    limit: 50,
                    ..SearchRequest::default()
                },
                scope,
            )
            .unwrap();
        let names: BTreeSet<&str> = near.hits.iter().map(|h| h.name.as_str()).collect();
        if near.total <= 20 && names.len() <= 6 {
            return hit;
        }
    }
    panic!("the school has someone with a distinctive name");
}

async fn search_in_the_browser(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 1_200).await;
    let mut schools = stats::records_per_school(db).await.unwrap();
    schools.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let school = org::get_school(db, schools[0].0).await.unwrap().unwrap();
    let index = SearchIndex::in_memory(WriterOptions::default()).unwrap();
    index.rebuild(db, &mut |_, _| {}).await.unwrap();
    let index = Arc::new(index);
    let scope = Scope {
        schools: BTreeSet::from([school.id]),
        ..Scope::default()
    };
    let person = target(&index, &scope);
    let person_id = person.person.unwrap();
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
    let site = Site::start(site_state(db, &key).with_search(index.clone())).await;
    let browser = Browser::start_named(&format!("search-{}", backend(t)))
        .await
        .unwrap();

    browser
        .run(async |b| {
            b.goto(&site.url("/login")).await?;
            b.fill("#username", "xiaoyouban").await?;
            b.fill("#password", PASSWORD).await?;
            b.submit("form[action='/login']").await?;
            b.wait_for_path("/").await?;

            // The nav leads to the search page.
            b.click("header nav a[href='/search']").await?;
            b.wait_for_path("/search").await?;
            assert_eq!(b.text("main h1").await?, "搜索");

            // Type the first two characters; pick the person's name among the suggestions.
            let prefix: String = person.name.chars().take(2).collect();
            b.type_text("#q", &prefix).await?;
            b.wait_for("#suggestions li a").await?;
            let mut picked = false;
            for option in b.find_all("#suggestions li a").await? {
                let text = option.text().await?;
                if text.starts_with(&person.name) {
                    option.click().await?;
                    picked = true;
                    break;
                }
            }
            ensure!(
                picked,
                "{} is among the suggestions for {prefix}",
                person.name
            );
            b.wait_until(
                "the results for the picked name",
                Duration::from_secs(10),
                async |b| {
                    Ok(
                        b.attr("#q", "value").await?.as_deref() == Some(person.name.as_str())
                            && b.exists("ol.hits li.hit").await?,
                    )
                },
            )
            .await?;
            let first = b.text("ol.hits li.hit .hit-name").await?;
            assert!(first.contains(&person.name), "{first}");
            assert!(
                b.exists("ol.hits .hit-name mark").await?,
                "the match is highlighted"
            );

            // Filter by the person's graduation year through the facet.
            let year = person
                .years
                .split('·')
                .map(str::trim)
                .find_map(|p| p.strip_suffix('届'))
                .context("the hit shows a graduation year")?
                .to_owned();
            let facet = format!("aside.facets a[href*='year%3A{year}']");
            b.click(&facet).await?;
            b.wait_for(".chips .chip").await?;
            assert!(b.text(".chips").await?.contains(&year));
            assert_eq!(
                b.text("aside.facets a.selected").await?,
                year,
                "the facet shows as chosen"
            );
            let count = b.text("#result-count").await?;
            assert!(count.starts_with("共 "), "{count}");

            // Open the result: the person's page.
            let results_url = b.current_url().await?;
            b.click(&format!(".hit-name a[href='/persons/{person_id}']"))
                .await?;
            b.wait_for_path(&format!("/persons/{person_id}")).await?;
            assert!(b.text("main h1").await?.contains(&person.name));
            b.goto(&results_url).await?;

            // Save the search as a segment: it opens, re-run, with the same results.
            b.fill("#segment-name", "按届别找到的校友").await?;
            b.submit("form.save-segment").await?;
            b.wait_until("the segment page", Duration::from_secs(10), async |b| {
                Ok(b.path().await?.starts_with("/segments/"))
            })
            .await?;
            assert_eq!(b.text("main h1").await?, "人群：按届别找到的校友");
            assert_eq!(b.text("#result-count").await?, count);
            assert!(b.text("ol.hits").await?.contains(&person.name));

            // Export it and open the workbook.
            b.click("#segment-export").await?;
            let file = b.wait_for_download(Duration::from_secs(20)).await?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            assert_eq!(name, "按届别找到的校友.xlsx");
            let sheet = sheet_rows(&file)?;
            assert_eq!(sheet[0][0], "人群：按届别找到的校友");
            assert_eq!(sheet[1][0], "姓名");
            let phone = sheet[1]
                .iter()
                .position(|h| h == "手机")
                .context("a phone column")?;
            let rows = &sheet[2..];
            ensure!(!rows.is_empty(), "the export has rows");
            assert!(rows.iter().any(|r| r[0] == person.name));
            for row in rows {
                assert_eq!(row[1], school.name, "only the school's alumni: {row:?}");
                assert!(row[phone].is_empty() || row[phone].contains('*'), "{row:?}");
            }
            let exported = audit::recent(db, None, 10)
                .await?
                .into_iter()
                .find(|e| e.record.action == "export")
                .context("the export is audited")?;
            assert_eq!(exported.record.target_kind, "segment");
            assert_eq!(exported.record.actor_name, "xiaoyouban");

            // The segment is listed under 我的人群.
            b.goto(&site.url("/segments")).await?;
            assert!(b.text("table.segments").await?.contains("按届别找到的校友"));
            Ok(())
        })
        .await
        .unwrap();
}

backend_tests!(search_in_the_browser);
