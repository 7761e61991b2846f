//! The index without a database: Chinese-aware matching (traditional, pinyin, initials,
//! two-character queries, full-width input), facets, paging, and the scope inside the query.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use xiaoyou_core::{CollegeId, PersonId, SchoolId, Scope};
use xiaoyou_search::analysis::Folder;
use xiaoyou_search::{Dim, SearchIndex, SearchRequest, Target, WriterOptions};
use xiaoyou_store::search::RecordDoc;

fn doc(record: i64, person: i64, name: &str, school: i64, college: i64, year: i32) -> RecordDoc {
    RecordDoc {
        record,
        person,
        school,
        college: Some(college),
        major: Some(college * 10),
        class: Some(college * 100),
        level: "bachelor".into(),
        enrolment_year: Some(year - 4),
        graduation_year: Some(year),
        name: name.into(),
        gender: None,
        school_name: format!("学校{school}"),
        college_name: Some(format!("学院{college}")),
        major_name: Some("机械工程".into()),
        class_name: Some(format!("{}级机械1班", year - 4)),
        employer: Some("中联重科股份有限公司".into()),
        title: Some("工程师".into()),
        city: Some("长沙市".into()),
        industry: Some("工程机械".into()),
        talent: Some("entrepreneur".into()),
        mobile: Some("13812345678".into()),
    }
}

fn index(docs: &[RecordDoc]) -> SearchIndex {
    let index = SearchIndex::in_memory(WriterOptions::default()).unwrap();
    index.add_records(&mut Folder::default(), docs).unwrap();
    index.commit().unwrap();
    index
}

fn persons(index: &SearchIndex, text: &str, scope: &Scope) -> BTreeSet<i64> {
    let results = index
        .search(
            &SearchRequest {
                text: text.into(),
                limit: 100,
                ..SearchRequest::default()
            },
            scope,
        )
        .unwrap();
    results.hits.iter().filter_map(|h| h.person).collect()
}

fn sample() -> Vec<RecordDoc> {
    vec![
        doc(1, 1, "王伟", 1, 11, 2008),
        doc(2, 2, "王伟国", 1, 12, 2010),
        doc(3, 3, "王国伟", 2, 21, 2008),
        doc(4, 4, "李娜", 2, 21, 2012),
        RecordDoc {
            employer: Some("ＡＢＢ（中国）有限公司".into()),
            ..doc(5, 5, "張偉", 2, 22, 2012)
        },
    ]
}

#[test]
fn one_person_by_han_traditional_pinyin_and_initials() {
    let index = index(&sample());
    let all = Scope::everything();
    for query in [
        "王伟",
        "王偉",
        "wangwei",
        "WangWei",
        "wang wei",
        "ww",
        "ＷＡＮＧＷＥＩ",
    ] {
        let found = persons(&index, query, &all);
        assert!(found.contains(&1), "{query} finds 王伟: {found:?}");
    }
    assert_eq!(persons(&index, "wwg", &all), BTreeSet::from([2]));
    assert_eq!(persons(&index, "wgw", &all), BTreeSet::from([3]));
    assert!(persons(&index, "wangweiguo", &all).contains(&2));
    // The traditional spelling in the data is found by the simplified query and vice versa.
    assert!(persons(&index, "张伟", &all).contains(&5));
    assert!(persons(&index, "zhangwei", &all).contains(&5));
}

#[test]
fn two_characters_match_inside_a_longer_name_in_order() {
    let index = index(&sample());
    let found = persons(&index, "王伟", &Scope::everything());
    assert!(found.contains(&2), "王伟 finds 王伟国: {found:?}");
    assert!(!found.contains(&3), "王伟 does not find 王国伟: {found:?}");
    let hits = index
        .search(
            &SearchRequest {
                text: "王伟".into(),
                limit: 10,
                ..SearchRequest::default()
            },
            &Scope::everything(),
        )
        .unwrap()
        .hits;
    assert_eq!(hits[0].person, Some(1), "the exact name ranks first");
    assert_eq!(hits[0].name_html, "<mark>王伟</mark>");
}

#[test]
fn full_width_and_employer_words() {
    let index = index(&sample());
    let all = Scope::everything();
    assert_eq!(persons(&index, "ａｂｂ", &all), BTreeSet::from([5]));
    assert_eq!(persons(&index, "abb", &all), BTreeSet::from([5]));
    assert_eq!(
        persons(&index, "中联重科", &all),
        BTreeSet::from([1, 2, 3, 4])
    );
    assert_eq!(persons(&index, "中聯重科 李娜", &all), BTreeSet::from([4]));
    assert_eq!(
        persons(&index, "2008级机械1班", &all),
        BTreeSet::from([4, 5])
    );
    assert!(
        persons(&index, "级2008", &all).is_empty(),
        "characters in order only"
    );
    assert_eq!(
        persons(&index, "2004级机械1班", &all),
        BTreeSet::from([1, 3])
    );
    // Query syntax is just text.
    assert!(persons(&index, "name:王伟 OR *", &all).is_empty());
    assert!(persons(&index, "\"王伟", &all).contains(&1));
}

#[test]
fn han_words_typed_without_spaces_are_matched_word_by_word() {
    let mut docs = sample();
    docs.push(RecordDoc {
        title: Some("会计".into()),
        ..doc(6, 6, "赵敏", 3, 31, 2012)
    });
    let index = index(&docs);
    let all = Scope::everything();
    // Employer and title are separate values: only jieba's words (中联重科 + 工程师) join them.
    assert_eq!(
        persons(&index, "中联重科工程师", &all),
        BTreeSet::from([1, 2, 3, 4]),
        "the accountant at the same employer is left out"
    );
    assert_eq!(
        persons(&index, "工程师中联重科", &all),
        BTreeSet::from([1, 2, 3, 4]),
        "in either order"
    );
    // Short words and names are taken as typed.
    assert_eq!(persons(&index, "王国伟", &all), BTreeSet::from([3]));
    // A word found as typed is not broadened to its jieba words (中联 + 物流).
    docs.push(RecordDoc {
        employer: Some("中联物流有限公司".into()),
        ..doc(7, 7, "钱进", 3, 31, 2012)
    });
    docs.push(RecordDoc {
        title: Some("物流主管".into()),
        ..doc(8, 8, "孙丽", 3, 31, 2012)
    });
    let wider = crate::index(&docs);
    assert_eq!(
        persons(&wider, "中联物流", &all),
        BTreeSet::from([7]),
        "the logistics manager at 中联重科 is not 中联物流"
    );
}

#[test]
fn facets_count_within_the_query_and_filters_narrow() {
    let index = index(&sample());
    let results = index
        .search(
            &SearchRequest {
                limit: 2,
                facets: true,
                ..SearchRequest::default()
            },
            &Scope::everything(),
        )
        .unwrap();
    assert_eq!(results.total, 5);
    assert_eq!(results.hits.len(), 2);
    assert_eq!(results.facets.count(Dim::School, "1|学校1"), 2);
    assert_eq!(results.facets.count(Dim::School, "2|学校2"), 3);
    assert_eq!(results.facets.count(Dim::Year, "2008"), 2);
    assert_eq!(results.facets.count(Dim::City, "长沙"), 5);
    assert_eq!(results.facets.count(Dim::Talent, "企业家"), 5);
    let labels: Vec<&str> = results
        .facets
        .of(Dim::School)
        .iter()
        .map(|v| v.label.as_str())
        .collect();
    assert_eq!(labels, ["学校2", "学校1"]);

    // Paging walks every hit once.
    let mut seen = BTreeSet::new();
    for page in 0..3 {
        let results = index
            .search(
                &SearchRequest {
                    offset: page * 2,
                    limit: 2,
                    ..SearchRequest::default()
                },
                &Scope::everything(),
            )
            .unwrap();
        seen.extend(results.hits.iter().filter_map(|h| h.record));
    }
    assert_eq!(seen, BTreeSet::from([1, 2, 3, 4, 5]));

    let filtered = index
        .search(
            &SearchRequest {
                filters: vec![(Dim::Year, "2008".into()), (Dim::School, "2|学校2".into())],
                limit: 10,
                facets: true,
                ..SearchRequest::default()
            },
            &Scope::everything(),
        )
        .unwrap();
    assert_eq!(filtered.total, 1);
    assert_eq!(filtered.hits[0].person, Some(3));
    // Two values of one dimension: either.
    let either = index
        .search(
            &SearchRequest {
                filters: vec![(Dim::Year, "2008".into()), (Dim::Year, "2010".into())],
                limit: 10,
                ..SearchRequest::default()
            },
            &Scope::everything(),
        )
        .unwrap();
    assert_eq!(either.total, 3);
}

#[test]
fn scope_applies_to_hits_and_counts() {
    let index = index(&sample());
    let college = Scope {
        colleges: BTreeSet::from([CollegeId(21)]),
        ..Scope::default()
    };
    let results = index
        .search(
            &SearchRequest {
                limit: 100,
                facets: true,
                ..SearchRequest::default()
            },
            &college,
        )
        .unwrap();
    assert_eq!(results.total, 2);
    for (dim, values) in &results.facets.dims {
        for value in values {
            assert!(
                value.count <= 2,
                "{dim:?} {value:?} counts outside the scope"
            );
        }
    }
    assert_eq!(results.facets.count(Dim::School, "1|学校1"), 0);
    assert!(
        results
            .facets
            .of(Dim::College)
            .iter()
            .all(|v| v.value == "21|学院21")
    );
    assert!(persons(&index, "王伟", &college).is_empty());
    assert_eq!(persons(&index, "王国伟", &college), BTreeSet::from([3]));

    let school = Scope {
        schools: BTreeSet::from([SchoolId(1)]),
        ..Scope::default()
    };
    assert_eq!(persons(&index, "", &school), BTreeSet::from([1, 2]));
    let alumnus = Scope {
        persons: BTreeSet::from([PersonId(4)]),
        ..Scope::default()
    };
    assert_eq!(persons(&index, "", &alumnus), BTreeSet::from([4]));
    assert!(persons(&index, "", &Scope::default()).is_empty());
    // Enterprises are a separate target: no study record leaks into it.
    let firms = index
        .search(
            &SearchRequest {
                target: Target::Enterprises,
                limit: 10,
                ..SearchRequest::default()
            },
            &Scope::everything(),
        )
        .unwrap();
    assert_eq!(firms.total, 0);
}

#[test]
fn phones_are_masked_in_the_index() {
    let index = index(&sample());
    let hits = index
        .search(
            &SearchRequest {
                text: "李娜".into(),
                limit: 1,
                ..SearchRequest::default()
            },
            &Scope::everything(),
        )
        .unwrap()
        .hits;
    let mobile = hits[0].mobile.clone().unwrap();
    assert!(
        mobile.contains('*') && !mobile.contains("12345678"),
        "{mobile}"
    );
}
