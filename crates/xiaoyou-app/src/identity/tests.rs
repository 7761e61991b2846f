//! The engine on hand-made cases and on generated data.

use super::truth::generate;
use super::*;
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn record(id: i64, name: &str) -> Record {
    Record {
        record: id,
        person: id,
        name: name.to_owned(),
        id_card_hash: None,
        birth_date: None,
        gender: None,
        phones: vec![],
        emails: vec![],
        school: id * 10,
        level: xiaoyou_core::StudyLevel::Bachelor,
        enrolment_year: None,
        graduation_year: None,
        class_key: None,
        employer: None,
        city: None,
    }
}

fn run(records: &[Record]) -> Resolution {
    run_never(records, &HashSet::new())
}

fn run_never(records: &[Record], never: &HashSet<(i64, i64)>) -> Resolution {
    resolve(records, &Settings::default(), never, &mut |_, _| {})
}

fn together(resolution: &Resolution, a: i64, b: i64) -> bool {
    resolution
        .groups
        .iter()
        .any(|g| g.contains(&a) && g.contains(&b))
}

#[test]
fn traditional_name_with_same_birth_date_merges() {
    let mut a = record(1, "王伟");
    let mut b = record(2, "王偉");
    a.birth_date = date(1990, 5, 3);
    b.birth_date = date(1990, 5, 3);
    let r = run(&[a, b]);
    assert_eq!(r.groups, vec![vec![1, 2]]);
}

#[test]
fn same_name_different_birth_dates_stay_apart() {
    let mut a = record(1, "王伟");
    let mut b = record(2, "王伟");
    a.birth_date = date(1990, 5, 3);
    b.birth_date = date(1990, 8, 21);
    let r = run(&[a, b]);
    assert_eq!(r.groups, vec![vec![1], vec![2]]);
    assert!(r.review.is_empty());
}

#[test]
fn different_id_hashes_never_merge() {
    let mut a = record(1, "王伟");
    let mut b = record(2, "王伟");
    for (r, hash) in [(&mut a, "h1"), (&mut b, "h2")] {
        r.id_card_hash = Some(hash.into());
        r.birth_date = date(1990, 5, 3);
        r.phones = vec!["13800000000".into()];
    }
    // A third record without ID links to both; it may join one, never both.
    let mut c = record(3, "王伟");
    c.birth_date = date(1990, 5, 3);
    c.phones = vec!["13800000000".into()];
    let r = run(&[a, b, c]);
    assert!(!together(&r, 1, 2));
    assert_eq!(r.groups.len(), 2);
}

#[test]
fn same_id_hash_merges() {
    let mut a = record(1, "王伟");
    let mut b = record(2, "Li Na");
    a.id_card_hash = Some("h1".into());
    b.id_card_hash = Some("h1".into());
    assert_eq!(run(&[a, b]).groups, vec![vec![1, 2]]);
}

#[test]
fn never_is_respected() {
    let mut a = record(1, "王伟");
    let mut b = record(2, "王伟");
    for r in [&mut a, &mut b] {
        r.birth_date = date(1990, 5, 3);
        r.phones = vec!["13800000000".into()];
    }
    assert_eq!(run(&[a.clone(), b.clone()]).groups, vec![vec![1, 2]]);
    let never: HashSet<(i64, i64)> = [(1, 2)].into_iter().collect();
    let r = run_never(&[a, b], &never);
    assert_eq!(r.groups, vec![vec![1], vec![2]]);
    assert!(r.review.is_empty());
}

#[test]
fn must_links_are_kept() {
    let mut a = record(1, "王伟");
    let mut b = record(2, "李娜");
    b.person = 1;
    a.id_card_hash = Some("h1".into());
    b.id_card_hash = Some("h2".into());
    assert_eq!(run(&[a, b]).groups, vec![vec![1, 2]]);
}

#[test]
fn pinyin_only_name_with_birth_date_and_phone_merges() {
    let mut a = record(1, "王伟");
    let mut b = record(2, "WANG, Wei");
    for r in [&mut a, &mut b] {
        r.birth_date = date(1990, 5, 3);
        r.phones = vec!["13800000000".into()];
    }
    let r = run(&[a, b]);
    assert_eq!(r.groups, vec![vec![1, 2]]);
}

#[test]
fn homophone_needs_corroboration() {
    let mut a = record(1, "王伟");
    let mut b = record(2, "王玮");
    for r in [&mut a, &mut b] {
        r.birth_date = date(1990, 5, 3);
        r.phones = vec!["13800000000".into()];
    }
    assert_eq!(run(&[a.clone(), b.clone()]).groups, vec![vec![1, 2]]);
    // Only the name and the same cohort: not merged.
    let (mut a, mut b) = (record(1, "王伟"), record(2, "王玮"));
    for r in [&mut a, &mut b] {
        r.school = 7;
        r.graduation_year = Some(2012);
    }
    let r = run(&[a, b]);
    assert_eq!(r.groups, vec![vec![1], vec![2]]);
    for pair in &r.review {
        assert!(
            pair.reasons
                .iter()
                .any(|x| x.contains("姓名拼音相同（王伟/王玮）"))
        );
    }
}

#[test]
fn review_band_carries_chinese_reasons() {
    // Homophone + same birth date, nothing else: uncertain.
    let (mut a, mut b) = (record(1, "王伟"), record(2, "王玮"));
    for r in [&mut a, &mut b] {
        r.birth_date = date(1990, 5, 3);
    }
    let mut filler: Vec<Record> = (3..40).map(|i| record(i, "王玮")).collect();
    filler.push(a);
    filler.push(b);
    let r = run(&filler);
    assert!(!together(&r, 1, 2));
    let pair = r.review.iter().find(|p| p.a == 1 && p.b == 2);
    let pair = pair.map(|p| p.reasons.join("；")).unwrap_or_default();
    assert!(pair.contains("出生日期相同"), "{pair}");
}

#[test]
fn inconsistent_school_years_stay_apart() {
    let mut a = record(1, "欧阳娜娜");
    let mut b = record(2, "欧阳娜娜");
    a.birth_date = date(1990, 5, 3);
    b.birth_date = date(1990, 5, 3);
    a.level = xiaoyou_core::StudyLevel::Bachelor;
    a.graduation_year = Some(2012);
    b.level = xiaoyou_core::StudyLevel::MiddleSchool;
    b.graduation_year = Some(2016);
    let r = run(&[a, b]);
    assert_eq!(r.groups, vec![vec![1], vec![2]]);
}

#[test]
fn output_is_deterministic_and_complete() {
    let (records, _) = generate(300, 7);
    let first = run(&records);
    let second = run(&records);
    assert_eq!(first, second);
    let mut all: Vec<i64> = first.groups.iter().flatten().copied().collect();
    all.sort_unstable();
    let expected: Vec<i64> = records.iter().map(|r| r.record).collect();
    assert_eq!(all, expected);
}

#[test]
fn generated_data_is_resolved_well() {
    let (records, truth) = generate(2_000, 1);
    let r = run(&records);
    let truth: HashMap<i64, i64> = records
        .iter()
        .zip(truth)
        .map(|(r, t)| (r.record, t))
        .collect();
    let s = score_groups(&r.groups, &truth);
    assert!(s.pairwise_f1 >= 0.98, "{s:?}");
}

#[test]
fn birth_dates_a_day_apart_link_with_a_phone_but_not_further_apart() {
    let mut a = record(1, "欧阳娜娜");
    let mut b = record(2, "欧阳娜娜");
    let mut c = record(3, "欧阳娜娜");
    a.birth_date = date(1990, 3, 15);
    b.birth_date = date(1990, 3, 16);
    c.birth_date = date(1990, 3, 19);
    for r in [&mut a, &mut b, &mut c] {
        r.phones = vec!["13812345678".into()];
    }
    let r = run(&[a, b, c]);
    assert!(together(&r, 1, 2), "a day apart: {:?}", r.groups);
    assert!(
        !together(&r, 1, 3) && !together(&r, 2, 3),
        "days apart: {:?}",
        r.groups
    );
}

#[test]
fn a_chain_of_pairs_does_not_put_one_person_at_two_universities_at_once() {
    use xiaoyou_core::StudyLevel::{Bachelor, MiddleSchool};
    // One middle-school record; two bachelor's records of the same name, same years, at two
    // universities. Each pair alone is plausible (same birth date), both together are not.
    let mut school = record(1, "欧阳晓");
    school.level = MiddleSchool;
    school.graduation_year = Some(2008);
    school.birth_date = date(1990, 3, 4);
    let mut first = record(2, "欧阳晓");
    first.enrolment_year = Some(2008);
    first.graduation_year = Some(2012);
    first.birth_date = date(1990, 3, 4);
    let mut second = record(3, "欧阳晓");
    second.enrolment_year = Some(2008);
    second.graduation_year = Some(2012);
    second.birth_date = date(1990, 3, 4);
    for level in [&mut first, &mut second] {
        level.level = Bachelor;
    }
    let r = run(&[school, first, second]);
    assert!(!together(&r, 2, 3), "{:?}", r.groups);
}

#[test]
fn a_school_path_without_a_gap_supports_the_name() {
    use xiaoyou_core::StudyLevel::{Bachelor, MiddleSchool};
    let pair = |university_start: i32| {
        let mut school = record(1, "覃思远");
        school.level = MiddleSchool;
        school.graduation_year = Some(2008);
        school.gender = Some(xiaoyou_core::Gender::Male);
        let mut university = record(2, "覃思远");
        university.level = Bachelor;
        university.enrolment_year = Some(university_start);
        university.graduation_year = Some(university_start + 4);
        university.gender = Some(xiaoyou_core::Gender::Male);
        let prepared = prepare::prepare(&[school, university]);
        score::compare(&prepared, &prepared.features[0], &prepared.features[1])
    };
    let straight_on = pair(2008);
    let after_a_gap = pair(2011);
    assert!(straight_on.flags & score::evidence::CONTINUOUS != 0);
    assert!(after_a_gap.flags & score::evidence::CONTINUOUS == 0);
    assert!(
        after_a_gap.flags & score::evidence::YEARS_CONFLICT == 0,
        "a gap is no conflict"
    );
    assert!(straight_on.score > after_a_gap.score);
}

/// Two records of one name with a straight school path and nothing else in common, then
/// whatever `tweak` adds; returns the pair's comparison. A thousand other records name their
/// cities, so that city shares are known.
fn compare_pair(tweak: impl Fn(&mut Record, &mut Record)) -> score::Comparison {
    use xiaoyou_core::StudyLevel::{Bachelor, MiddleSchool};
    let mut school = record(1, "覃思远");
    school.level = MiddleSchool;
    school.graduation_year = Some(2008);
    let mut university = record(2, "覃思远");
    university.level = Bachelor;
    university.enrolment_year = Some(2008);
    university.graduation_year = Some(2012);
    tweak(&mut school, &mut university);
    let mut records = vec![school, university];
    // Nine in ten of the other records live in 长沙, one in a hundred in 吉首.
    for id in 3..1003 {
        let mut other = record(id, "无关");
        other.city = Some(if id % 100 == 0 { "吉首" } else { "长沙" }.to_owned());
        records.push(other);
    }
    let prepared = prepare::prepare(&records);
    score::compare(&prepared, &prepared.features[0], &prepared.features[1])
}

#[test]
fn differing_phones_emails_and_cities_count_against_but_do_not_forbid() {
    use score::evidence::{CITY_DIFFERS, EMAIL_DIFFERS, PHONE_DIFFERS};
    let plain = compare_pair(|_, _| {});
    let phones = compare_pair(|a, b| {
        a.phones = vec!["13800000001".into()];
        b.phones = vec!["13900000002".into()];
    });
    let emails = compare_pair(|a, b| {
        a.emails = vec!["a@example.cn".into()];
        b.emails = vec!["b@example.cn".into()];
    });
    let cities = compare_pair(|a, b| {
        a.city = Some("长沙".into());
        b.city = Some("吉首".into());
    });
    for (changed, flag) in [
        (phones, PHONE_DIFFERS),
        (emails, EMAIL_DIFFERS),
        (cities, CITY_DIFFERS),
    ] {
        assert!(changed.flags & flag != 0, "{:b}", changed.flags);
        assert!(changed.score < plain.score, "{changed:?} vs {plain:?}");
        // A hint, not a conflict: far from the weight of a differing birth date.
        assert!(changed.score > 0.2, "{changed:?}");
    }
    let reasons = score::reasons(phones.flags | cities.flags, ("覃思远", "覃思远"));
    assert!(
        reasons.iter().any(|r| r.starts_with("手机号不同")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.starts_with("所在城市不同")),
        "{reasons:?}"
    );
}

#[test]
fn a_shared_rare_city_weighs_more_than_a_shared_capital() {
    let plain = compare_pair(|_, _| {});
    let capital = compare_pair(|a, b| {
        a.city = Some("长沙".into());
        b.city = Some("长沙".into());
    });
    let small_town = compare_pair(|a, b| {
        a.city = Some("吉首".into());
        b.city = Some("吉首".into());
    });
    assert!(capital.flags & score::evidence::SAME_CITY != 0);
    assert!(plain.score < capital.score, "{plain:?} {capital:?}");
    assert!(
        capital.score < small_town.score,
        "{capital:?} {small_town:?}"
    );
}
