//! The alumni office's pages about people, through the router, on both backends: adding an
//! alumnus (a bad ID number refused next to the field, nothing saved), duplicates by ID
//! number, editing, employment, the outstanding-alumni file with photos (type and size
//! refusals), the outstanding and per-region lists with the audited export, deleting without
//! orphans, and scope: other schools and other colleges get "not found" everywhere.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::http::StatusCode;
use chrono::NaiveDate;
use support::{get, post, seeded, sign_in, state, upload, with_flash};
use xiaoyou_core::{ContactKind, Grant, IdCardNo, OrgNode, PersonId, Role};
use xiaoyou_store::org::{Class, School};
use xiaoyou_store::{Db, alumni, audit, consents, org, people, stats, talent};
use xiaoyou_testkit::{TestDb, backend_tests};

/// A class with a college in one school, a college of the same school without that class,
/// and a class of another school.
struct Places {
    school: School,
    class: Class,
    other_college: xiaoyou_core::CollegeId,
    other_school: School,
    other_class: Class,
}

async fn places(db: &Db) -> Places {
    let mut schools = stats::records_per_school(db).await.unwrap();
    schools.sort_by_key(|(_, records)| std::cmp::Reverse(*records));
    let mut found: Vec<(School, Class, Vec<xiaoyou_core::CollegeId>)> = Vec::new();
    for (school, _) in schools {
        let colleges = org::list_colleges(db, school).await.unwrap();
        let mut class = None;
        for college in &colleges {
            if let Some(first) = org::list_classes_of_college(db, college.id)
                .await
                .unwrap()
                .into_iter()
                .next()
            {
                class = Some(first);
                break;
            }
        }
        if let Some(class) = class
            && (colleges.len() > 1 || !found.is_empty())
        {
            let school = org::get_school(db, school).await.unwrap().unwrap();
            let others = colleges
                .iter()
                .map(|c| c.id)
                .filter(|c| Some(*c) != class.college)
                .collect();
            found.push((school, class, others));
        }
        if found.len() == 2 {
            break;
        }
    }
    let (school, class, colleges) = found.remove(0);
    let (other_school, other_class, _) = found.remove(0);
    let other_college = colleges[0];
    Places {
        school,
        class,
        other_college,
        other_school,
        other_class,
    }
}

fn id_number(sequence: u32) -> String {
    let birth = NaiveDate::from_ymd_opt(1992, 3, 14).unwrap();
    IdCardNo::compose(430_104, birth, sequence)
        .unwrap()
        .expose()
        .to_owned()
}

/// The same number with a wrong check character.
fn bad_check_digit(good: &str) -> String {
    let last = good.chars().last().unwrap();
    let wrong = if last == '1' { '2' } else { '1' };
    format!("{}{wrong}", &good[..17])
}

fn person_of(response: &support::Response) -> PersonId {
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    let location = response.headers.get("location").unwrap().to_str().unwrap();
    PersonId(
        location
            .trim_start_matches("/persons/")
            .split(['#', '?'])
            .next()
            .unwrap()
            .parse()
            .unwrap(),
    )
}

fn alumnus_form<'a>(csrf: &'a str, name: &'a str, id_card: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("name", name),
        ("gender", "男"),
        ("id_card", id_card),
        ("birth_date", ""),
        ("mobile", "13912345678"),
        ("email", "wangce@example.com"),
        ("city", "长沙市"),
        ("student_no", "2015990101"),
        ("level", ""),
        ("enrolment_year", "2011"),
        ("graduation_year", "2015"),
        ("employer", "湖南测试科技有限公司"),
        ("title", "工程师"),
    ]
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

async fn alumni_office_pages(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 1_500).await;
    let app = state(db, &key);
    let p = places(db).await;
    let (admin, csrf) = sign_in(
        db,
        "school_a",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(p.school.id),
        }],
    )
    .await;
    let (other_admin, other_csrf) = sign_in(
        db,
        "school_b",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(p.other_school.id),
        }],
    )
    .await;
    let (college_admin, college_csrf) = sign_in(
        db,
        "college_other",
        &[Grant {
            role: Role::CollegeAdmin,
            node: OrgNode::College(p.other_college),
        }],
    )
    .await;
    let admin_cookie = admin.clone();
    let admin = Some(admin.as_str());
    let class_path = format!("/classes/{}/alumni", p.class.id);

    // The form, then a bad ID number: the message sits next to the field, what was typed is
    // kept, and nothing is saved.
    let form = get(&app, admin, &format!("{class_path}/new")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("添加校友"));
    assert!(form.body.contains("<label for=\"f-id_card\">"));
    let persons_before = people::count_persons(db).await.unwrap();
    let audit_before = audit::recent(db, None, 1000).await.unwrap().len();
    let good = id_number(731);
    let bad = bad_check_digit(&good);
    let refused = post(
        &app,
        admin,
        &class_path,
        &alumnus_form(&csrf, "王测试", &bad),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let error_at = refused
        .body
        .find("id=\"f-id_card-error\"")
        .expect("error shown");
    let field_at = refused.body.find("id=\"f-id_card\"").unwrap();
    assert!(
        error_at > field_at && error_at - field_at < 900,
        "next to the field"
    );
    assert!(refused.body.contains("身份证号校验位不符"));
    assert!(refused.body.contains("aria-invalid=\"true\""));
    assert!(
        refused.body.contains("value=\"王测试\""),
        "the typed name is kept"
    );
    assert!(refused.body.contains(&format!("value=\"{bad}\"")));
    assert_eq!(people::count_persons(db).await.unwrap(), persons_before);
    assert_eq!(
        audit::recent(db, None, 1000).await.unwrap().len(),
        audit_before
    );
    // Other rules of the import row apply too.
    let mut years = alumnus_form(&csrf, "王测试", "");
    years.retain(|(k, _)| *k != "graduation_year" && *k != "mobile");
    years.push(("graduation_year", "2009"));
    years.push(("mobile", "12345"));
    let refused = post(&app, admin, &class_path, &years).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("id=\"f-graduation_year-error\""));
    assert!(refused.body.contains("毕业年份应晚于入学年份"));
    assert!(refused.body.contains("id=\"f-mobile-error\""));
    assert_eq!(people::count_persons(db).await.unwrap(), persons_before);

    // The corrected form saves: a person sealed like an import, a study record in the class,
    // the phone and email as contact points of today, the job, an audit row, a message.
    let created = post(
        &app,
        admin,
        &class_path,
        &alumnus_form(&csrf, "王测试", &good),
    )
    .await;
    let person = person_of(&created);
    let page = get(
        &app,
        Some(&with_flash(admin_cookie.as_str(), &created)),
        &format!("/persons/{person}"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("已添加校友“王测试”"));
    assert!(page.body.contains("139****5678"), "the phone is masked");
    assert!(!page.body.contains("13912345678"));
    assert!(!page.body.contains(&good), "the ID number is masked");
    assert!(page.body.contains("湖南测试科技有限公司"));
    let stored = people::get_person(db, person).await.unwrap().unwrap();
    assert_eq!(
        stored.id_card_masked.as_deref(),
        Some(IdCardNo::parse(&good).unwrap().masked().as_str())
    );
    assert_eq!(
        people::find_by_id_card_hash(db, &key.hash(&good))
            .await
            .unwrap(),
        Some(person)
    );
    let cipher = people::id_card_cipher(db, person).await.unwrap().unwrap();
    assert_eq!(key.open(&cipher).unwrap(), good);
    let records = people::study_records_of_person(db, person).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].class, Some(p.class.id));
    assert_eq!(records[0].graduation_year, Some(2015));
    let contacts = people::contacts_of_person(db, person).await.unwrap();
    assert!(contacts.iter().any(|c| c.kind == ContactKind::Mobile
        && c.value == "13912345678"
        && c.observed_on.is_some()
        && c.source_label.contains("school_a")));
    let created_row = audit::recent(db, None, 10)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.record.action == "create" && e.record.target_kind == "person")
        .expect("the creation is audited");
    assert_eq!(created_row.record.target_id, Some(person.to_string()));
    assert!(
        !created_row
            .record
            .changes
            .unwrap_or_default()
            .contains("13912345678")
    );

    // The same ID number again: the user is told and led to the person; nothing new.
    let persons_now = people::count_persons(db).await.unwrap();
    let again = post(
        &app,
        admin,
        &class_path,
        &alumnus_form(&csrf, "王测试", &good),
    )
    .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("身份证号相同的校友已存在"));
    assert!(again.body.contains(&format!("href=\"/persons/{person}\"")));
    assert_eq!(people::count_persons(db).await.unwrap(), persons_now);
    assert_eq!(
        people::study_records_of_person(db, person)
            .await
            .unwrap()
            .len(),
        1
    );

    // The list finds them by name within the school; other scopes never list them.
    let listed = get(
        &app,
        admin,
        &format!("/alumni?name={}", "%E7%8E%8B%E6%B5%8B%E8%AF%95"),
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(listed.body.contains(&format!("href=\"/persons/{person}\"")));
    let class_list = get(&app, admin, &format!("/alumni?class={}", p.class.id)).await;
    assert!(
        class_list
            .body
            .contains(&format!("href=\"/persons/{person}\""))
    );
    for (cookie, who) in [
        (&other_admin, "another school"),
        (&college_admin, "another college"),
    ] {
        let listed = get(
            &app,
            Some(cookie),
            "/alumni?name=%E7%8E%8B%E6%B5%8B%E8%AF%95",
        )
        .await;
        assert_eq!(listed.status, StatusCode::OK);
        assert!(
            !listed.body.contains(&format!("href=\"/persons/{person}\"")),
            "{who}"
        );
        let forced = get(
            &app,
            Some(cookie),
            &format!("/alumni?school={}&class={}", p.school.id, p.class.id),
        )
        .await;
        assert!(
            !forced.body.contains(&format!("href=\"/persons/{person}\"")),
            "{who}"
        );
    }
    // A college admin's list holds their college only, page after page.
    for college in [p.other_college, p.class.college.unwrap()] {
        let mut scope = xiaoyou_core::Scope::default();
        scope.colleges.insert(college);
        let mut filter = alumni::AlumniFilter {
            limit: 20,
            ..Default::default()
        };
        let first = alumni::list(db, &scope, &filter).await.unwrap();
        filter.before = first.last().map(|l| l.record);
        let second = alumni::list(db, &scope, &filter).await.unwrap();
        let name = org::get_college(db, college).await.unwrap().unwrap().name;
        for line in first.iter().chain(second.iter()) {
            assert_eq!(line.college_name.as_deref(), Some(name.as_str()));
        }
        if let Some(last) = first.last() {
            assert!(second.iter().all(|l| l.record < last.record));
        }
        if college == p.class.college.unwrap() {
            assert!(first.iter().any(|l| l.person == person));
        }
    }

    // Photos: type by the bytes, size limit, served with its type to those who may see.
    let photos = format!("/persons/{person}/photos");
    let uploaded = upload(
        &app,
        admin_cookie.as_str(),
        &photos,
        &[("csrf", &csrf), ("kind", "personal")],
        ("me.gif", PNG),
    )
    .await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    let stored_photos = alumni::photos_of_person(db, person).await.unwrap();
    assert_eq!(stored_photos.len(), 1);
    assert_eq!(stored_photos[0].content_type, "image/png");
    let photo_path = format!("{photos}/{}", stored_photos[0].id);
    let served = get(&app, admin, &photo_path).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.headers.get("content-type").unwrap(), "image/png");
    assert!(
        served
            .headers
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("private")
    );
    assert_eq!(served.bytes, PNG);
    let page = get(&app, admin, &format!("/persons/{person}")).await;
    assert!(page.body.contains(&format!("src=\"{photo_path}\"")));
    let gif = upload(
        &app,
        admin_cookie.as_str(),
        &photos,
        &[("csrf", &csrf), ("kind", "military")],
        ("photo.png", b"GIF89a\x01\0\x01\0"),
    )
    .await;
    assert_eq!(gif.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(gif.body.contains("只能上传 JPEG、PNG 或 WebP 格式的照片"));
    assert!(gif.body.contains("id=\"photo-error\""));
    let mut big = vec![0xFF, 0xD8, 0xFF, 0xE0];
    big.resize(5 * 1024 * 1024 + 1, 0);
    let large = upload(
        &app,
        admin_cookie.as_str(),
        &photos,
        &[("csrf", &csrf), ("kind", "graduation")],
        ("big.jpg", &big),
    )
    .await;
    assert_eq!(large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(large.body.contains("照片不能超过 5 MB"));
    assert_eq!(alumni::photos_of_person(db, person).await.unwrap().len(), 1);

    // Employment: a missing employer is refused next to the field; add, correct, end.
    let jobs = format!("/persons/{person}/jobs");
    let refused = post(
        &app,
        admin,
        &jobs,
        &[("csrf", &csrf), ("employer", " "), ("current", "1")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("id=\"j-employer-error\""));
    assert!(refused.body.contains("请填写工作单位"));
    let added = post(
        &app,
        admin,
        &jobs,
        &[
            ("csrf", &csrf),
            ("employer", "三一重工"),
            ("title", "技术员"),
            ("city", "长沙市"),
            ("start_year", "2016"),
            ("current", "1"),
        ],
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let job = people::employments_of_person(db, person)
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.employer_name == "三一重工")
        .unwrap();
    let corrected = post(
        &app,
        admin,
        &format!("{jobs}/{}", job.id),
        &[
            ("csrf", &csrf),
            ("employer", "三一重工"),
            ("title", "高级工程师"),
            ("city", "长沙市"),
            ("start_year", "2016"),
            ("current", "1"),
        ],
    )
    .await;
    assert_eq!(corrected.status, StatusCode::SEE_OTHER);
    let ended = post(
        &app,
        admin,
        &format!("{jobs}/{}/end", job.id),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    let (_, after) = people::get_employment(db, job.id).await.unwrap().unwrap();
    assert_eq!(after.title.as_deref(), Some("高级工程师"));
    assert!(!after.is_current && after.end_year.is_some());
    assert!(
        audit::recent(db, None, 10)
            .await
            .unwrap()
            .iter()
            .any(|e| e.record.target_kind == "employment")
    );

    // Edit: a new phone becomes a new contact point; the edit is audited.
    let mut edited = alumnus_form(&csrf, "王测试", "");
    edited.retain(|(k, _)| *k != "mobile");
    edited.push(("mobile", "13787654321"));
    let saved = post(
        &app,
        admin,
        &format!("/persons/{person}/edit?record={}", records[0].id),
        &edited,
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        people::latest_contact(db, person, ContactKind::Mobile)
            .await
            .unwrap()
            .as_deref(),
        Some("13787654321")
    );
    assert!(
        people::id_card_cipher(db, person).await.unwrap().is_some(),
        "an empty ID field keeps the number"
    );
    assert!(
        audit::recent(db, None, 5)
            .await
            .unwrap()
            .iter()
            .any(|e| e.record.action == "update" && e.record.target_kind == "person")
    );

    // Outstanding: marked with achievements, listed for the school.
    let marked = post(
        &app,
        admin,
        &format!("/persons/{person}/outstanding"),
        &[
            ("csrf", &csrf),
            ("achievements", "创办湖南测试科技，获省科技进步奖"),
        ],
    )
    .await;
    assert_eq!(marked.status, StatusCode::SEE_OTHER);
    let list = get(
        &app,
        admin,
        &format!("/schools/{}/outstanding", p.school.id),
    )
    .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("王测试") && list.body.contains("获省科技进步奖"));
    assert!(list.body.contains(&format!("src=\"{photo_path}\"")));

    // The per-region list counts them under their city; the export is masked and audited.
    let regions = get(&app, admin, &format!("/schools/{}/regions", p.school.id)).await;
    assert_eq!(regions.status, StatusCode::OK);
    assert!(regions.body.contains("长沙市"));
    let changsha = get(
        &app,
        admin,
        &format!(
            "/schools/{}/regions?region=%E9%95%BF%E6%B2%99%E5%B8%82",
            p.school.id
        ),
    )
    .await;
    assert!(changsha.body.contains("王测试") && changsha.body.contains("137****4321"));
    assert!(!changsha.body.contains("13787654321"));
    let xlsx = get(
        &app,
        admin,
        &format!("/schools/{}/regions.xlsx", p.school.id),
    )
    .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    let sheet = xiaoyou_sheet::read_table(&xlsx.bytes).unwrap();
    let row = sheet
        .rows
        .iter()
        .find(|r| r.cells.contains(&"王测试".to_owned()))
        .expect("listed");
    assert!(row.cells.contains(&"长沙市".to_owned()));
    assert!(row.cells.contains(&"137****4321".to_owned()));
    assert!(
        !sheet
            .rows
            .iter()
            .any(|r| r.cells.iter().any(|c| c.contains("13787654321")))
    );
    let exported = audit::recent(db, None, 5)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.record.action == "export")
        .unwrap();
    assert_eq!(exported.record.target_kind, "region_list");

    // Another school's admin and another college's admin: "not found" for everything.
    for (cookie, token, who) in [
        (&other_admin, &other_csrf, "another school"),
        (&college_admin, &college_csrf, "another college"),
    ] {
        let cookie_text = cookie.as_str();
        let cookie = Some(cookie_text);
        for path in [
            format!("/persons/{person}"),
            format!("/persons/{person}/edit"),
            format!("/persons/{person}/jobs/new"),
            photo_path.clone(),
        ] {
            assert_eq!(
                get(&app, cookie, &path).await.status,
                StatusCode::NOT_FOUND,
                "{who} {path}"
            );
        }
        for path in [
            format!("/persons/{person}/delete"),
            format!("/persons/{person}/outstanding"),
            format!("{photo_path}/delete"),
            format!("{jobs}/{}/end", job.id),
        ] {
            let answer = post(&app, cookie, &path, &[("csrf", token.as_str())]).await;
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{who} {path}");
        }
        let photo = upload(
            &app,
            cookie_text,
            &photos,
            &[("csrf", token.as_str()), ("kind", "personal")],
            ("a.png", PNG),
        )
        .await;
        assert_eq!(photo.status, StatusCode::NOT_FOUND, "{who}");
        let edit = post(
            &app,
            cookie,
            &format!("/persons/{person}/edit"),
            &alumnus_form(token, "改名", ""),
        )
        .await;
        assert_eq!(edit.status, StatusCode::NOT_FOUND, "{who}");
        let add = post(&app, cookie, &class_path, &alumnus_form(token, "李四", "")).await;
        assert_eq!(add.status, StatusCode::NOT_FOUND, "{who}");
    }
    let other_regions = get(
        &app,
        Some(&other_admin),
        &format!("/schools/{}/regions.xlsx", p.school.id),
    )
    .await;
    assert_eq!(other_regions.status, StatusCode::NOT_FOUND);
    assert!(people::get_person(db, person).await.unwrap().is_some());
    assert_eq!(alumni::photos_of_person(db, person).await.unwrap().len(), 1);

    // The same ID number added in another school, whose admin cannot see the person: the
    // record joins the person (as an import would). Deleting at the first school then keeps
    // the person for the other one.
    let linked = post(
        &app,
        Some(&other_admin),
        &format!("/classes/{}/alumni", p.other_class.id),
        &alumnus_form(&other_csrf, "王测试", &good),
    )
    .await;
    assert_eq!(person_of(&linked), person);
    assert_eq!(
        people::study_records_of_person(db, person)
            .await
            .unwrap()
            .len(),
        2
    );
    let deleted = post(
        &app,
        admin,
        &format!("/persons/{person}/delete"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    let page = get(
        &app,
        Some(&with_flash(admin_cookie.as_str(), &deleted)),
        deleted.headers.get("location").unwrap().to_str().unwrap(),
    )
    .await;
    assert!(page.body.contains("其在其他学校的记录仍保留"));
    let left = people::study_records_of_person(db, person).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].school, p.other_school.id);
    assert!(
        alumni::photos_of_person(db, person)
            .await
            .unwrap()
            .is_empty(),
        "the school's file went with its record"
    );
    assert!(
        alumni::marks_of_person(db, person)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        get(&app, admin, &format!("/persons/{person}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, Some(&other_admin), &format!("/persons/{person}"))
            .await
            .status,
        StatusCode::OK
    );

    // Deleted by the last school that holds them: the person and everything about them go.
    let gone = post(
        &app,
        Some(&other_admin),
        &format!("/persons/{person}/delete"),
        &[("csrf", &other_csrf)],
    )
    .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert!(people::get_person(db, person).await.unwrap().is_none());
    assert!(
        people::study_records_of_person(db, person)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        people::contacts_of_person(db, person)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        people::employments_of_person(db, person)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(consents::current(db, person).await.unwrap().is_empty());
    assert!(
        talent::appointments_of_person(db, person)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        alumni::photos_of_person(db, person)
            .await
            .unwrap()
            .is_empty()
    );
    let deletions: Vec<_> = audit::recent(db, None, 10)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.record.action == "delete" && e.record.target_kind == "person")
        .collect();
    assert_eq!(deletions.len(), 2);
    assert!(
        deletions[0]
            .record
            .changes
            .as_deref()
            .unwrap_or("")
            .contains("\"person_deleted\":true")
    );
    assert!(audit::verify(db).await.unwrap().first_broken.is_none());

    // The delete form asks first.
    let someone = alumni::list(
        db,
        &xiaoyou_core::Scope::everything(),
        &alumni::AlumniFilter {
            class: Some(p.class.id),
            limit: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let page = get(&app, admin, &format!("/persons/{}", someone[0].person)).await;
    assert!(
        page.body.contains("action=\"/persons/")
            && page.body.contains("data-confirm=\"确定删除校友")
    );
}

/// A class liaison edits their class; a viewer of the city may read but not change.
async fn liaisons_and_viewers(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 800).await;
    let app = state(db, &key);
    let p = places(db).await;
    let (liaison, csrf) = sign_in(
        db,
        "liaison",
        &[Grant {
            role: Role::ClassLiaison,
            node: OrgNode::Class(p.class.id),
        }],
    )
    .await;
    let created = post(
        &app,
        Some(&liaison),
        &format!("/classes/{}/alumni", p.class.id),
        &alumnus_form(&csrf, "赵联络", &id_number(733)),
    )
    .await;
    let person = person_of(&created);
    let listed = get(&app, Some(&liaison), "/alumni").await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(listed.body.contains(&format!("href=\"/persons/{person}\"")));
    let lines = alumni::list(
        db,
        &{
            let mut scope = xiaoyou_core::Scope::default();
            scope.classes.insert(p.class.id);
            scope
        },
        &alumni::AlumniFilter {
            limit: 500,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(lines.iter().all(|l| l.class == Some(p.class.id)));
    // Outside the class: not found.
    let outside = get(
        &app,
        Some(&liaison),
        &format!("/classes/{}/alumni/new", p.other_class.id),
    )
    .await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);

    let (viewer, viewer_csrf) = sign_in(
        db,
        "city",
        &[Grant {
            role: Role::CityViewer,
            node: OrgNode::City(p.school.city),
        }],
    )
    .await;
    assert_eq!(
        get(&app, Some(&viewer), &format!("/persons/{person}"))
            .await
            .status,
        StatusCode::OK
    );
    let refused = post(
        &app,
        Some(&viewer),
        &format!("/persons/{person}/delete"),
        &[("csrf", &viewer_csrf)],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(people::get_person(db, person).await.unwrap().is_some());

    // The alumnus themself reads their page and sets consent, but does not change or delete
    // what the school keeps.
    let (own, own_csrf) = sign_in(
        db,
        "self",
        &[Grant {
            role: Role::Alumnus,
            node: OrgNode::Person(person),
        }],
    )
    .await;
    let page = get(&app, Some(&own), &format!("/persons/{person}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page
            .body
            .contains(&format!("action=\"/persons/{person}/delete\""))
    );
    let refused = post(
        &app,
        Some(&own),
        &format!("/persons/{person}/delete"),
        &[("csrf", &own_csrf)],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        people::study_records_of_person(db, person)
            .await
            .unwrap()
            .len(),
        1
    );
}

backend_tests!(alumni_office_pages, liaisons_and_viewers);
