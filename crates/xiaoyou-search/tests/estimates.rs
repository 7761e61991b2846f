//! Searches with more hits than are counted exactly: the total and the facet counts are
//! estimated from a sample and flagged as such, stay close to the truth, never count a
//! document outside the actor's scope, and an exact full name still ranks first.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use xiaoyou_core::{SchoolId, Scope};
use xiaoyou_search::analysis::Folder;
use xiaoyou_search::collect::EXACT_LIMIT;
use xiaoyou_search::{Dim, SearchIndex, SearchRequest, SearchResults, WriterOptions};
use xiaoyou_store::search::RecordDoc;

const SCHOOLS: i64 = 4;

/// Record `i`: school 1 + i % 4, graduation year 2000 + i % 10, college per school and year
/// parity; every other record is a 王 (王伟甲, 王伟乙 …), the rest are 李.
fn doc(i: i64) -> RecordDoc {
    let school = 1 + i % SCHOOLS;
    let college = school * 10 + i % 2;
    let year = 2000 + (i % 10) as i32;
    let given = ["甲", "乙", "丙", "丁", "戊"][(i / 2 % 5) as usize];
    let name = if i % 2 == 0 {
        format!("王伟{given}")
    } else {
        format!("李明{given}")
    };
    RecordDoc {
        record: i + 1,
        person: i + 1,
        school,
        college: Some(college),
        major: Some(college * 10),
        class: Some(college * 100 + i64::from(year)),
        level: "bachelor".into(),
        enrolment_year: Some(year - 4),
        graduation_year: Some(year),
        name,
        gender: None,
        school_name: format!("学校{school}"),
        college_name: Some(format!("学院{college}")),
        major_name: Some("机械工程".into()),
        class_name: Some(format!("{}级机械1班", year - 4)),
        employer: Some("中联重科股份有限公司".into()),
        title: Some("工程师".into()),
        city: Some(if i % 3 == 0 { "长沙市" } else { "株洲市" }.into()),
        industry: None,
        talent: None,
        mobile: None,
    }
}

/// `n` records in several segments, then one person named exactly 王伟 at the very end.
fn index(n: i64) -> SearchIndex {
    let index = SearchIndex::in_memory(WriterOptions::default()).unwrap();
    let mut folder = Folder::default();
    let docs: Vec<RecordDoc> = (0..n).map(doc).collect();
    for chunk in docs.chunks(10_000) {
        index.add_records(&mut folder, chunk).unwrap();
        index.commit().unwrap();
    }
    let exact = RecordDoc {
        name: "王伟".into(),
        ..doc(n)
    };
    index.add_records(&mut folder, [&exact]).unwrap();
    index.commit().unwrap();
    index
}

fn search(index: &SearchIndex, text: &str, scope: &Scope, exact: bool) -> SearchResults {
    index
        .search(
            &SearchRequest {
                text: text.into(),
                limit: 20,
                facets: true,
                exact,
                ..SearchRequest::default()
            },
            scope,
        )
        .unwrap()
}

fn within(estimate: u64, truth: u64, tolerance: f64) -> bool {
    (estimate as f64 - truth as f64).abs() <= truth as f64 * tolerance
}

#[test]
fn below_the_limit_everything_is_exact() {
    let index = index(8_000);
    let all = Scope::everything();
    // 王伟甲: records 0, 10, 20 … (i % 10 == 0) and the 王伟 at the end is not one of them.
    let results = search(&index, "王伟甲", &all, false);
    assert!(!results.total_is_estimate);
    assert_eq!(results.total, 800);
    assert_eq!(results.facets.count(Dim::Year, "2000"), 800);
    assert_eq!(results.facets.count(Dim::School, "1|学校1"), 400);
    assert_eq!(results.facets.count(Dim::School, "3|学校3"), 400);
    assert_eq!(results.facets.count(Dim::School, "2|学校2"), 0);
    // Up to the limit is still exact: 李 names number 4,000 (of 8,001 records).
    const { assert!(EXACT_LIMIT >= 4_000) };
    let results = search(&index, "李", &all, false);
    assert!(!results.total_is_estimate);
    assert_eq!(results.total, 4_000);
}

#[test]
fn just_past_the_limit_what_is_left_is_counted_rather_than_sampled() {
    // 6,001 王伟 among 12,001 records, evenly spread: at hit 5,001 about 2,000 records are
    // left, with about 1,000 hits, fewer than a sample would draw.
    let index = index(12_000);
    let results = search(&index, "王伟", &Scope::everything(), false);
    assert!(!results.total_is_estimate);
    assert_eq!(results.total, 6_001);
    assert_eq!(results.facets.count(Dim::School, "1|学校1"), 3_001);
    assert_eq!(results.hits[0].name, "王伟");
}

#[test]
fn above_the_limit_counts_are_estimated_close_to_the_truth() {
    let n = 60_000;
    let index = index(n);
    let all = Scope::everything();
    let exact = search(&index, "王伟", &all, true);
    assert!(
        !exact.total_is_estimate,
        "an exact search is never estimated"
    );
    assert_eq!(exact.total, 30_001);

    let estimated = search(&index, "王伟", &all, false);
    assert!(estimated.total_is_estimate);
    assert!(
        within(estimated.total as u64, 30_001, 0.1),
        "estimate {} for 30,001",
        estimated.total
    );
    assert_eq!(estimated.hits.len(), 20);
    assert_eq!(
        estimated.hits[0].name, "王伟",
        "the exact full name ranks first even when it was not sampled"
    );
    for school in 1..=SCHOOLS {
        let value = format!("{school}|学校{school}");
        let truth = exact.facets.count(Dim::School, &value);
        let guess = estimated.facets.count(Dim::School, &value);
        if school % 2 == 1 {
            assert!(within(guess, truth, 0.15), "{value}: {guess} for {truth}");
        } else {
            // Even schools hold only 李 names (and the one 王伟 of record n, in school 1).
            assert_eq!(truth, 0, "{value}");
            assert_eq!(guess, 0, "{value}");
        }
    }
    for year in ["2000", "2002", "2004"] {
        let truth = exact.facets.count(Dim::Year, year);
        let guess = estimated.facets.count(Dim::Year, year);
        assert!(within(guess, truth, 0.2), "{year}: {guess} for {truth}");
    }
    let counted: u64 = estimated
        .facets
        .of(Dim::School)
        .iter()
        .map(|v| v.count)
        .sum();
    assert!(
        within(counted, estimated.total as u64, 0.01),
        "school counts {counted} add up to the total {}",
        estimated.total
    );

    // A page beyond the sampled hits is still filled, from all of them.
    let deep = index
        .search(
            &SearchRequest {
                text: "王伟".into(),
                offset: 20_000,
                limit: 20,
                ..SearchRequest::default()
            },
            &all,
        )
        .unwrap();
    assert_eq!(deep.hits.len(), 20);

    // Facets alone (no words) over many records are estimated too.
    let everything = search(&index, "", &all, false);
    assert!(everything.total_is_estimate);
    assert!(within(everything.total as u64, n as u64 + 1, 0.1));
    let changsha = everything.facets.count(Dim::City, "长沙");
    assert!(within(changsha, 20_001, 0.15), "长沙 {changsha}");
}

#[test]
fn estimates_stay_inside_the_scope() {
    let index = index(60_000);
    let scope = Scope {
        schools: BTreeSet::from([SchoolId(1), SchoolId(2)]),
        ..Scope::default()
    };
    // In schools 1 and 2: 15,000 records each; 王 names only in school 1 (15,000 + 1).
    let results = search(&index, "", &scope, false);
    assert!(results.total_is_estimate);
    assert!(
        within(results.total as u64, 30_001, 0.1),
        "{}",
        results.total
    );
    for (dim, values) in &results.facets.dims {
        for value in values {
            if *dim == Dim::School {
                assert!(
                    value.value == "1|学校1" || value.value == "2|学校2",
                    "{value:?} is outside the scope"
                );
            }
            if *dim == Dim::College {
                assert!(
                    ["10|学院10", "11|学院11", "20|学院20", "21|学院21"]
                        .contains(&value.value.as_str()),
                    "{value:?} is outside the scope"
                );
            }
        }
    }
    assert!(
        results
            .hits
            .iter()
            .all(|h| h.school == "学校1" || h.school == "学校2")
    );

    let wang = search(&index, "王", &scope, false);
    assert!(wang.total_is_estimate);
    assert!(within(wang.total as u64, 15_001, 0.1), "{}", wang.total);
    assert_eq!(wang.facets.count(Dim::School, "3|学校3"), 0);
    assert_eq!(wang.facets.count(Dim::School, "2|学校2"), 0);
    assert!(wang.hits.iter().all(|h| h.school == "学校1"));
    let exact = search(&index, "王", &scope, true);
    assert_eq!(exact.total, 15_001);
    assert!(!exact.total_is_estimate);
}
