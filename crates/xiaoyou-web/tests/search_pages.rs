//! Search and segments through the pages and the JSON API, on both backends: a college admin
//! and another school's admin see no hit, no facet value and no count from outside their
//! scope (not even through a forged filter or a suggestion); phones are masked and shown only
//! to roles that may see them; segments are saved, renamed, re-run in the scope of whoever
//! runs them, exported (masked, audited) and deleted only by their owner.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::http::StatusCode;
use calamine::{Reader, Xlsx};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use support::{api, get, post, seeded, sign_in, state, token_of};
use xiaoyou_core::{Grant, OrgNode, RegionCode, Role, SchoolId, Scope};
use xiaoyou_search::{SearchIndex, SearchRequest, WriterOptions};
use xiaoyou_store::org::{self, College, School};
use xiaoyou_store::{Db, audit, stats};
use xiaoyou_testkit::{TestDb, backend_tests};
use xiaoyou_web::AppState;

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap()
}

async fn indexed(db: &Db) -> Arc<SearchIndex> {
    let index = SearchIndex::in_memory(WriterOptions::default()).unwrap();
    index.rebuild(db, &mut |_, _| {}).await.unwrap();
    Arc::new(index)
}

/// The two biggest schools, and a college of the first with alumni.
async fn pick(db: &Db) -> (School, College, School) {
    let mut schools = stats::records_per_school(db).await.unwrap();
    schools.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let a = org::get_school(db, schools[0].0).await.unwrap().unwrap();
    let b = org::get_school(db, schools[1].0).await.unwrap().unwrap();
    // The school's college with the most alumni.
    let mut best = None;
    for college in org::list_colleges(db, a.id).await.unwrap() {
        let n = count(db, &format!("{LIVE} r.college_id = $1"), college.id.get()).await;
        if best.as_ref().is_none_or(|(m, _)| n > *m) {
            best = Some((n, college));
        }
    }
    let (n, college) = best.unwrap();
    assert!(n > 0, "the school has a college with alumni");
    (a, college, b)
}

async fn count(db: &Db, sql: &str, id: i64) -> i64 {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap(),
    }
}

const LIVE: &str = "SELECT COUNT(*) FROM study_records r JOIN persons p ON p.id = r.person_id
     WHERE p.merged_into IS NULL AND ";

/// A name found only at `school` (nowhere in `elsewhere`).
fn name_only_at(index: &SearchIndex, school: SchoolId, elsewhere: &Scope) -> String {
    let scope = Scope {
        schools: BTreeSet::from([school]),
        ..Scope::default()
    };
    let hits = index
        .search(
            &SearchRequest {
                limit: 200,
                ..SearchRequest::default()
            },
            &scope,
        )
        .unwrap()
        .hits;
    for hit in hits {
        let there = index
            .search(
                &SearchRequest {
                    text: hit.name.clone(),
                    limit: 1,
                    ..SearchRequest::default()
                },
                elsewhere,
            )
            .unwrap();
        if there.total == 0 && hit.name.chars().count() >= 2 {
            return hit.name;
        }
    }
    panic!("some name of the school is not found elsewhere");
}

fn facet_values(body: &Value, dim: &str) -> Vec<(String, u64)> {
    body["facets"][dim]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["value"].as_str().unwrap().to_owned(),
                v["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

async fn no_result_or_count_leaks_across_tenants(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 2_500).await;
    let (a, college, b) = pick(db).await;
    let index = indexed(db).await;
    let app: AppState = state(db, &key).with_search(index.clone());
    let (college_cookie, _) = sign_in(
        db,
        "college",
        &[Grant {
            role: Role::CollegeAdmin,
            node: OrgNode::College(college.id),
        }],
    )
    .await;
    let (school_cookie, _) = sign_in(
        db,
        "school_b",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(b.id),
        }],
    )
    .await;
    let college_token = token_of(&college_cookie).to_owned();
    let school_token = token_of(&school_cookie).to_owned();

    // Everything the college admin may see: exactly the college's live study records.
    let all = api(
        &app,
        Some(&college_token),
        "GET",
        "/api/v1/search?per_page=100",
        None,
    )
    .await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let all = json(&all.body);
    let expected = count(db, &format!("{LIVE} r.college_id = $1"), college.id.get()).await;
    assert!(expected > 0);
    assert_eq!(all["total"].as_i64().unwrap(), expected);
    for hit in all["hits"].as_array().unwrap() {
        assert_eq!(hit["school"], a.name.as_str());
        assert_eq!(hit["college"], college.name.as_str());
    }
    let school_facet = facet_values(&all, "school");
    assert_eq!(
        school_facet,
        vec![(format!("{}|{}", a.id, a.name), expected as u64)],
        "the only school counted is the college's own, with the college's count"
    );
    let college_facet = facet_values(&all, "college");
    assert_eq!(college_facet.len(), 1);
    for dim in ["year", "major", "city", "industry", "talent"] {
        let sum: u64 = facet_values(&all, dim).iter().map(|(_, n)| n).sum();
        assert!(sum <= expected as u64, "{dim} counts {sum} > {expected}");
    }

    // A name found only at school B: invisible to the college admin, by page, API and
    // suggestion; visible to school B's admin.
    let elsewhere = Scope {
        colleges: BTreeSet::from([college.id]),
        ..Scope::default()
    };
    let name = name_only_at(&index, b.id, &elsewhere);
    let q = url(&name);
    let hidden = json(
        &api(
            &app,
            Some(&college_token),
            "GET",
            &format!("/api/v1/search?q={q}"),
            None,
        )
        .await
        .body,
    );
    assert_eq!(hidden["total"], 0);
    for dim in [
        "school", "college", "year", "major", "city", "industry", "talent",
    ] {
        assert!(facet_values(&hidden, dim).is_empty(), "{dim}: {hidden}");
    }
    let page = get(&app, Some(&college_cookie), &format!("/search?q={q}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("共 0 条"), "{}", page.body);
    assert!(
        !page.body.contains(&b.name),
        "school B's name appears on the page"
    );
    let suggest = get(
        &app,
        Some(&college_cookie),
        &format!("/search/suggest?q={q}"),
    )
    .await;
    assert_eq!(suggest.status, StatusCode::OK);
    assert!(!suggest.body.contains(&name), "{}", suggest.body);
    let api_suggest = api(
        &app,
        Some(&college_token),
        "GET",
        &format!("/api/v1/search/suggest?q={q}"),
        None,
    )
    .await;
    assert!(!api_suggest.body.contains(&name), "{}", api_suggest.body);

    let seen = json(
        &api(
            &app,
            Some(&school_token),
            "GET",
            &format!("/api/v1/search?q={q}"),
            None,
        )
        .await
        .body,
    );
    assert!(seen["total"].as_u64().unwrap() >= 1);
    for hit in seen["hits"].as_array().unwrap() {
        assert_eq!(hit["school"], b.name.as_str());
    }
    let theirs = json(
        &api(
            &app,
            Some(&school_token),
            "GET",
            "/api/v1/search?per_page=1",
            None,
        )
        .await
        .body,
    );
    assert_eq!(
        facet_values(&theirs, "school"),
        vec![(
            format!("{}|{}", b.id, b.name),
            count(db, &format!("{LIVE} r.school_id = $1"), b.id.get()).await as u64
        )]
    );

    // A forged filter naming another school narrows to nothing, it never widens.
    let forged = format!(
        "/api/v1/search?f={}",
        url(&format!("school:{}|{}", b.id, b.name))
    );
    let forged = json(
        &api(&app, Some(&college_token), "GET", &forged, None)
            .await
            .body,
    );
    assert_eq!(forged["total"], 0);

    // The facet filter works within scope: a year of the college.
    let (year, year_count) = facet_values(&all, "year")[0].clone();
    let by_year = json(
        &api(
            &app,
            Some(&college_token),
            "GET",
            &format!("/api/v1/search?f={}", url(&format!("year:{year}"))),
            None,
        )
        .await
        .body,
    );
    assert_eq!(by_year["total"].as_u64().unwrap(), year_count);

    // Phones: masked for the college admin; left out for a viewer role.
    assert!(
        all["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["mobile"].as_str().is_some_and(|m| m.contains('*')))
    );
    let (viewer_cookie, _) = sign_in(
        db,
        "city",
        &[Grant {
            role: Role::CityViewer,
            node: OrgNode::City(a.city),
        }],
    )
    .await;
    let viewer = json(
        &api(
            &app,
            Some(token_of(&viewer_cookie)),
            "GET",
            "/api/v1/search?per_page=50",
            None,
        )
        .await
        .body,
    );
    assert!(viewer["total"].as_u64().unwrap() > 0);
    assert!(
        viewer["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["mobile"].is_null())
    );

    // Enterprises are for provincial roles only.
    let firms = api(
        &app,
        Some(&school_token),
        "GET",
        "/api/v1/search?target=enterprises",
        None,
    )
    .await;
    assert_eq!(firms.status, StatusCode::FORBIDDEN);
    let (province_cookie, _) = sign_in_province(db).await;
    let firms = json(
        &api(
            &app,
            Some(token_of(&province_cookie)),
            "GET",
            "/api/v1/search?target=enterprises",
            None,
        )
        .await
        .body,
    );
    assert!(firms["total"].as_u64().unwrap() > 0);
    let page = get(&app, Some(&province_cookie), "/search?q=").await;
    assert!(page.body.contains("企业"), "the enterprise tab is offered");
}

/// Signs in a province admin; the session cookie and its CSRF token.
async fn sign_in_province(db: &Db) -> (String, String) {
    sign_in(
        db,
        "province",
        &[Grant {
            role: Role::ProvinceAdmin,
            node: OrgNode::Province(RegionCode::new(430_000).unwrap()),
        }],
    )
    .await
}

fn url(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn segments_are_rerun_in_the_runners_scope(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 2_000).await;
    let (a, college, b) = pick(db).await;
    let index = indexed(db).await;
    let app = state(db, &key).with_search(index.clone());
    let (province_cookie, province_csrf) = sign_in_province(db).await;
    let (college_cookie, college_csrf) = sign_in(
        db,
        "college",
        &[Grant {
            role: Role::CollegeAdmin,
            node: OrgNode::College(college.id),
        }],
    )
    .await;

    // Saved from the search page's form (the filters ride along as hidden fields).
    let school_filter = format!("school:{}|{}", a.id, a.name);
    let saved = post(
        &app,
        Some(&province_cookie),
        "/segments",
        &[
            ("csrf", &province_csrf),
            ("name", "  本校校友 "),
            ("q", ""),
            ("f", &school_filter),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let location = saved.headers["location"].to_str().unwrap().to_owned();
    let id: i64 = location.trim_start_matches("/segments/").parse().unwrap();
    let forged = post(
        &app,
        Some(&province_cookie),
        "/segments",
        &[("csrf", "wrong"), ("name", "x")],
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let list = get(&app, Some(&province_cookie), "/segments").await;
    assert!(list.body.contains("本校校友"), "{}", list.body);
    assert!(list.body.contains(&a.name));
    let run = get(&app, Some(&province_cookie), &location).await;
    assert_eq!(run.status, StatusCode::OK);
    let school_total = count(db, &format!("{LIVE} r.school_id = $1"), a.id.get()).await;
    assert!(
        run.body.contains(&format!("共 {school_total} 条")),
        "{}",
        run.body
    );

    // Renamed by its owner; another user may run it but not rename or delete it.
    let renamed = post(
        &app,
        Some(&province_cookie),
        &format!("/segments/{id}/rename"),
        &[("csrf", &province_csrf), ("name", "湖南城院校友")],
    )
    .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER);
    let not_owner = post(
        &app,
        Some(&college_cookie),
        &format!("/segments/{id}/delete"),
        &[("csrf", &college_csrf)],
    )
    .await;
    assert_eq!(not_owner.status, StatusCode::FORBIDDEN);

    // The college admin re-runs it: their scope, not the owner's.
    let college_total = count(db, &format!("{LIVE} r.college_id = $1"), college.id.get()).await;
    let rerun = json(
        &api(
            &app,
            Some(token_of(&college_cookie)),
            "GET",
            &format!("/api/v1/segments/{id}/results?per_page=100"),
            None,
        )
        .await
        .body,
    );
    assert_eq!(rerun["total"].as_i64().unwrap(), college_total);
    assert_eq!(facet_values(&rerun, "college").len(), 1);
    let page = get(&app, Some(&college_cookie), &location).await;
    assert!(page.body.contains(&format!("共 {college_total} 条")));
    assert!(page.body.contains("湖南城院校友"));

    // Exported by the college admin: their rows only, phones masked, audited.
    let export = get(
        &app,
        Some(&college_cookie),
        &format!("/segments/{id}/export.xlsx"),
    )
    .await;
    assert_eq!(export.status, StatusCode::OK);
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(export.bytes.clone())).unwrap();
    let sheet = workbook.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect();
    assert_eq!(rows[1][0], "姓名");
    assert_eq!(rows.len() as i64 - 2, college_total);
    let phone = rows[1].iter().position(|h| h == "手机").unwrap();
    assert!(
        rows[2..]
            .iter()
            .all(|r| r[1] == a.name && r[2] == college.name)
    );
    assert!(
        rows[2..]
            .iter()
            .all(|r| r[phone].is_empty() || r[phone].contains('*'))
    );
    assert!(rows[2..].iter().any(|r| r[phone].contains('*')));
    let audited = audit::recent(db, None, 5)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.record.action == "export")
        .unwrap();
    assert_eq!(audited.record.target_kind, "segment");
    assert_eq!(audited.record.actor_name, "college");

    // The same through the API: create, list, rename, delete.
    let token = token_of(&province_cookie).to_owned();
    let body = format!(
        r#"{{"name":"外校","query":"","filters":["school:{}|{}"]}}"#,
        b.id, b.name
    );
    let created = api(&app, Some(&token), "POST", "/api/v1/segments", Some(&body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let other = json(&created.body)["id"].as_i64().unwrap();
    let listed = json(
        &api(&app, Some(&token), "GET", "/api/v1/segments", None)
            .await
            .body,
    );
    assert_eq!(listed.as_array().unwrap().len(), 2);
    // Run by the college admin, school B's segment shows nothing.
    let nothing = json(
        &api(
            &app,
            Some(token_of(&college_cookie)),
            "GET",
            &format!("/api/v1/segments/{other}/results"),
            None,
        )
        .await
        .body,
    );
    assert_eq!(nothing["total"], 0);
    let patched = api(
        &app,
        Some(&token),
        "PATCH",
        &format!("/api/v1/segments/{other}"),
        Some(r#"{"name":"外校校友"}"#),
    )
    .await;
    assert_eq!(json(&patched.body)["name"], "外校校友");
    let empty_name = api(
        &app,
        Some(&token),
        "PATCH",
        &format!("/api/v1/segments/{other}"),
        Some(r#"{"name":"  "}"#),
    )
    .await;
    assert_eq!(empty_name.status, StatusCode::UNPROCESSABLE_ENTITY);
    let deleted = api(
        &app,
        Some(&token),
        "DELETE",
        &format!("/api/v1/segments/{other}"),
        None,
    )
    .await;
    assert_eq!(deleted.status, StatusCode::OK);
    let gone = api(
        &app,
        Some(&token),
        "GET",
        &format!("/api/v1/segments/{other}"),
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let deleted = post(
        &app,
        Some(&province_cookie),
        &format!("/segments/{id}/delete"),
        &[("csrf", &province_csrf)],
    )
    .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    let list = get(&app, Some(&province_cookie), "/segments").await;
    assert!(!list.body.contains("湖南城院校友"));
}

/// Record `i` of a large generated index: every other one a 王, the rest 李.
fn generated(i: i64) -> xiaoyou_store::search::RecordDoc {
    let school = 1 + i % 3;
    xiaoyou_store::search::RecordDoc {
        record: i + 1,
        person: i + 1,
        school,
        college: Some(school * 10),
        major: Some(school * 100),
        class: None,
        level: "bachelor".into(),
        enrolment_year: Some(2004),
        graduation_year: Some(2008 + (i % 4) as i32),
        name: if i % 2 == 0 { "王小明" } else { "李小红" }.into(),
        gender: None,
        school_name: format!("第{school}学校"),
        college_name: Some("机械学院".into()),
        major_name: Some("机械工程".into()),
        class_name: None,
        employer: Some("中联重科股份有限公司".into()),
        title: None,
        city: Some("长沙市".into()),
        industry: None,
        talent: None,
        mobile: None,
    }
}

/// The JSON API's answer to a search with the given query string.
async fn search_api(app: &AppState, token: &str, query: &str) -> Value {
    let path = format!("/api/v1/search?{query}");
    json(&api(app, Some(token), "GET", &path, None).await.body)
}

/// More hits than are counted exactly: the page says 约 N for the total and for the facet
/// counts, the API flags the total as an estimate; a narrow search stays exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_hits_are_shown_as_approximate() {
    let t = TestDb::sqlite().await;
    let db = &t.db;
    let key = seeded(db, 100).await;
    let index = SearchIndex::in_memory(WriterOptions::default()).unwrap();
    let docs: Vec<_> = (0..30_000).map(generated).collect();
    index
        .add_records(&mut xiaoyou_search::analysis::Folder::default(), &docs)
        .unwrap();
    index.commit().unwrap();
    let app = state(db, &key).with_search(Arc::new(index));
    let (cookie, _) = sign_in_province(db).await;
    let token = token_of(&cookie).to_owned();

    let many = search_api(&app, &token, &format!("q={}", url("王"))).await;
    assert_eq!(many["total_is_estimate"], Value::Bool(true), "{many}");
    let total = many["total"].as_u64().unwrap();
    assert!((13_500..=16_500).contains(&total), "about 15,000: {total}");
    assert_eq!(many["hits"].as_array().unwrap().len(), 20);
    let page = get(&app, Some(&cookie), &format!("/search?q={}", url("王"))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!("约 {total} 条学籍记录")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<span class=\"count\">约 "),
        "facet counts are approximate"
    );

    // A filter narrows the same words below the limit: exact again.
    let filter = url("school:1|第1学校");
    let few = search_api(&app, &token, &format!("q={}&f={filter}", url("王"))).await;
    assert_eq!(few["total_is_estimate"], Value::Bool(false), "{few}");
    assert_eq!(few["total"].as_u64().unwrap(), 5_000);
    let page = get(
        &app,
        Some(&cookie),
        &format!("/search?q={}&f={filter}", url("王")),
    )
    .await;
    assert!(page.body.contains("共 5000 条学籍记录"), "{}", page.body);
    assert!(!page.body.contains("约 "));
}

backend_tests!(
    no_result_or_count_leaks_across_tenants,
    segments_are_rerun_in_the_runners_scope
);
