//! Managing the organisation tree through the pages, on both backends: a school admin builds a
//! college, a major and a class, writes the college history and deletes what is empty; bad
//! input comes back with messages next to the fields and saves nothing; every write is
//! audited; a college admin cannot create or change anything outside the college (answered
//! exactly like a missing object); the error pages are Chinese, a panic included; the pages
//! stay under 100 KB with their stylesheet and scripts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use support::{Response, get, post, seeded, sign_in, state, with_flash};
use tower::ServiceExt;
use xiaoyou_core::{ClassId, CollegeId, Grant, OrgNode, RegionCode, Role, SchoolId};
use xiaoyou_store::org::{College, School};
use xiaoyou_store::{Db, audit, org, orgtree};
use xiaoyou_testkit::{TestDb, backend_tests};

fn location(response: &Response) -> String {
    response
        .headers
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

async fn audit_rows(db: &Db) -> u64 {
    audit::verify(db).await.unwrap().rows as u64
}

/// The text of the message shown next to a field (`<p class="field-error" id="e-FIELD">`).
fn field_error(page: &str, field: &str) -> Option<String> {
    let marker = format!("id=\"e-{field}\">");
    let start = page.find(&marker)? + marker.len();
    let end = page[start..].find("</p>")?;
    Some(page[start..start + end].to_owned())
}

/// Two schools of the demo data, the first with two colleges.
async fn two_schools(db: &Db) -> (School, College, College, School, College) {
    let schools = org::list_schools(db).await.unwrap();
    let mut first = None;
    for school in &schools {
        let colleges = org::list_colleges(db, school.id).await.unwrap();
        if colleges.len() >= 2 {
            first = Some((school.clone(), colleges[0].clone(), colleges[1].clone()));
            break;
        }
    }
    let (school, a, b) = first.expect("a demo school has two colleges");
    for other in &schools {
        if other.id == school.id {
            continue;
        }
        if let Some(c) = org::list_colleges(db, other.id).await.unwrap().first() {
            return (school, a, b, other.clone(), c.clone());
        }
    }
    panic!("the demo data has a second school with a college");
}

/// A class of the demo data with its school and college.
async fn a_class(db: &Db) -> (School, College, xiaoyou_store::org::Class) {
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

/// A class of the college, created when the demo gave it none.
async fn some_class_of(db: &Db, school: SchoolId, college: &College) -> ClassId {
    if let Some(class) = org::list_classes_of_college(db, college.id)
        .await
        .unwrap()
        .first()
    {
        return class.id;
    }
    let mut tx = db.begin().await.unwrap();
    let class = org::insert_class(
        &mut tx,
        &org::NewClass {
            school,
            college: Some(college.id),
            major: None,
            name: "他院某班",
            enrolment_year: Some(2018),
            graduation_year: Some(2022),
            head_teacher: None,
            head_teacher_role: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    class.id
}

async fn school_admin_builds_and_prunes_the_tree(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 600).await;
    let app = state(db, &key);
    let (school, busy_college, _, _, _) = two_schools(db).await;
    let (cookie, csrf) = sign_in(
        db,
        "xiaoyouban",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(school.id),
        }],
    )
    .await;
    let c = Some(cookie.as_str());

    // The school's dashboard: tiles, the four figures, and the way to add a college.
    let page = get(&app, c, &format!("/schools/{}", school.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "各届校友人数",
        "按专业（前十）",
        "按现居城市（前十）",
        "最近更新的校友",
        "新建二级学院",
    ] {
        assert!(page.body.contains(text), "the school page shows {text}");
    }
    assert!(page.body.contains("<nav class=\"crumbs\""));
    assert!(
        page.body
            .contains(&format!("<a href=\"/schools/{}\">本校</a>", school.id)),
        "the menu leads to the user's own school"
    );
    assert!(
        !page.body.contains("编辑学校"),
        "only province-level roles edit schools"
    );

    // A college without a name is refused next to the field, and nothing is written.
    let colleges_before = org::list_colleges(db, school.id).await.unwrap().len();
    let rows_before = audit_rows(db).await;
    let path = format!("/schools/{}/colleges/new", school.id);
    let refused = post(&app, c, &path, &[("csrf", &csrf), ("name", "  ")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_error(&refused.body, "name").as_deref(),
        Some("请填写学院名称")
    );
    assert!(refused.body.contains("aria-invalid=\"true\""));
    let duplicate = post(
        &app,
        c,
        &path,
        &[("csrf", &csrf), ("name", &busy_college.name)],
    )
    .await;
    assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        field_error(&duplicate.body, "name")
            .unwrap()
            .contains("本校已有")
    );
    assert_eq!(
        org::list_colleges(db, school.id).await.unwrap().len(),
        colleges_before
    );
    assert_eq!(audit_rows(db).await, rows_before, "nothing was audited");

    // A new college: redirected to it with a message, audited.
    let created = post(&app, c, &path, &[("csrf", &csrf), ("name", "新能源学院")]).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let college_path = location(&created);
    let college_id: i64 = college_path
        .trim_start_matches("/colleges/")
        .parse()
        .unwrap();
    let college = org::get_college(db, CollegeId(college_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(college.name, "新能源学院");
    let shown = get(&app, Some(&with_flash(&cookie, &created)), &college_path).await;
    assert!(shown.body.contains("已新建二级学院“新能源学院”"));
    assert!(shown.body.contains("该学院尚未建立班级"), "an empty state");
    let entry = &audit::recent(db, None, 1).await.unwrap()[0];
    assert_eq!(
        (
            entry.record.action.as_str(),
            entry.record.target_kind.as_str()
        ),
        ("create", "college")
    );
    assert_eq!(entry.record.actor_name, "xiaoyouban");
    assert_eq!(entry.record.target_id, Some(college_id.to_string()));

    // A major, then a class with a head teacher and a liaison; first with mistakes.
    let major = post(
        &app,
        c,
        &format!("/colleges/{college_id}/majors/new"),
        &[("csrf", &csrf), ("major_name", "储能科学与工程")],
    )
    .await;
    assert_eq!(major.status, StatusCode::SEE_OTHER);
    let majors = orgtree::list_majors_of_college(db, college.id)
        .await
        .unwrap();
    assert_eq!(majors.len(), 1);
    let major_id = majors[0].0.get().to_string();
    let class_path = format!("/colleges/{college_id}/classes/new");
    let rows_before = audit_rows(db).await;
    let bad = post(
        &app,
        c,
        &class_path,
        &[
            ("csrf", &csrf),
            ("name", "2022级储能1班"),
            ("major", &major_id),
            ("enrolment_year", "2022"),
            ("graduation_year", "2020"),
            ("head_teacher", "周老师"),
            ("head_teacher_role", "辅导员"),
            ("head_teacher_phone", "0731-8888"),
            ("liaison_name", "李明"),
            ("liaison_phone", "13912345678"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_error(&bad.body, "graduation_year").as_deref(),
        Some("毕业年份不能早于入学年份")
    );
    assert!(
        field_error(&bad.body, "head_teacher_phone")
            .unwrap()
            .contains("手机号码")
    );
    assert!(field_error(&bad.body, "name").is_none());
    assert!(
        bad.body.contains("value=\"2022级储能1班\""),
        "the input is kept"
    );
    assert!(
        orgtree::list_majors_of_college(db, college.id)
            .await
            .is_ok()
    );
    assert!(
        org::list_classes_of_college(db, college.id)
            .await
            .unwrap()
            .is_empty(),
        "nothing saved"
    );
    assert_eq!(audit_rows(db).await, rows_before);

    let good = post(
        &app,
        c,
        &class_path,
        &[
            ("csrf", &csrf),
            ("name", "2022级储能1班"),
            ("major", &major_id),
            ("enrolment_year", "2022"),
            ("graduation_year", "2026"),
            ("head_teacher", "周老师"),
            ("head_teacher_role", "辅导员"),
            ("head_teacher_phone", "13800001234"),
            ("liaison_name", "李明"),
            ("liaison_phone", "139 1234 5678"),
        ],
    )
    .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.body);
    let class_page_path = location(&good);
    let class_id: i64 = class_page_path
        .trim_start_matches("/classes/")
        .parse()
        .unwrap();
    let class_page = get(&app, Some(&with_flash(&cookie, &good)), &class_page_path).await;
    assert_eq!(class_page.status, StatusCode::OK);
    assert!(class_page.body.contains("已新建班级“2022级储能1班”"));
    assert!(class_page.body.contains("辅导员：周老师"));
    assert!(class_page.body.contains("班级联络员：李明"));
    assert!(class_page.body.contains("138****1234"));
    assert!(class_page.body.contains("139****5678"));
    assert!(
        !class_page.body.contains("13800001234"),
        "phones are masked"
    );
    assert!(
        !class_page.body.contains("13912345678"),
        "phones are masked"
    );
    assert!(
        class_page.body.contains("data-confirm="),
        "deleting asks first"
    );
    let entry = &audit::recent(db, None, 1).await.unwrap()[0];
    assert_eq!(entry.record.target_kind, "class");
    let changes = entry.record.changes.clone().unwrap();
    assert!(changes.contains("139****5678") && !changes.contains("13912345678"));
    let stored = orgtree::class_contacts(db, ClassId(class_id))
        .await
        .unwrap();
    assert_eq!(stored.liaison_phone.as_deref(), Some("13912345678"));

    // Editing leaves a blank phone as it was.
    let edit = get(&app, c, &format!("/classes/{class_id}/edit")).await;
    assert!(edit.body.contains("已登记 139****5678"));
    assert!(!edit.body.contains("13912345678"));
    let edited = post(
        &app,
        c,
        &format!("/classes/{class_id}/edit"),
        &[
            ("csrf", &csrf),
            ("name", "2022级储能1班"),
            ("major", &major_id),
            ("enrolment_year", "2022"),
            ("graduation_year", "2026"),
            ("head_teacher", "周老师"),
            ("head_teacher_role", "班主任"),
            ("liaison_name", "李明"),
            ("clear_head_teacher_phone", "1"),
        ],
    )
    .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER);
    let stored = orgtree::class_contacts(db, ClassId(class_id))
        .await
        .unwrap();
    assert_eq!(stored.liaison_phone.as_deref(), Some("13912345678"));
    assert_eq!(stored.head_teacher_phone, None);

    // The college history: a bad line is named, then the history is saved and shown.
    let history_path = format!("/colleges/{college_id}/history/edit");
    let bad = post(
        &app,
        c,
        &history_path,
        &[
            ("csrf", &csrf),
            ("leaders", "2001–2010 王强 院长\n张伟 院长"),
            ("students", "很多"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        field_error(&bad.body, "leaders")
            .unwrap()
            .starts_with("第 2 行")
    );
    assert!(field_error(&bad.body, "students").is_some());
    assert_eq!(
        orgtree::college_history(db, college.id)
            .await
            .unwrap()
            .unwrap()
            .updated_at,
        None,
        "nothing saved"
    );
    let saved = post(
        &app,
        c,
        &history_path,
        &[
            ("csrf", &csrf),
            ("origins", "源于1978年设立的电力系。"),
            ("former_names", "1978–1999 电力系\n1999–2022 电气工程系"),
            ("leaders", "2001–2010 王强 院长\n2010–至今 张伟 院长"),
            ("students", "1200"),
            ("staff", "86"),
            ("achievements", "国家级一流本科专业建设点。"),
            ("addresses", "益阳市赫山区迎宾东路518号"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let history = get(
        &app,
        Some(&with_flash(&cookie, &saved)),
        &format!("/colleges/{college_id}/history"),
    )
    .await;
    for text in [
        "已保存学院简史",
        "源于1978年设立的电力系。",
        "1999—2022年",
        "电气工程系",
        "2010年至今",
        "张伟",
        "1200 人",
        "储能科学与工程",
        "国家级一流本科专业建设点。",
        "迎宾东路518号",
    ] {
        assert!(history.body.contains(text), "the history page shows {text}");
    }
    let entry = &audit::recent(db, None, 1).await.unwrap()[0];
    assert_eq!(entry.record.action, "update_history");

    // A major with a class is not deleted: a clear refusal, and it stays.
    let refused = post(
        &app,
        c,
        &format!("/majors/{major_id}/delete"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    let back = get(&app, Some(&with_flash(&cookie, &refused)), &college_path).await;
    assert!(
        back.body
            .contains("不能删除专业“储能科学与工程”：其下还有1 个班级")
    );
    assert_eq!(
        orgtree::list_majors_of_college(db, college.id)
            .await
            .unwrap()
            .len(),
        1
    );
    // A college with alumni records is not deleted either.
    let refused = post(
        &app,
        c,
        &format!("/colleges/{}/delete", busy_college.id),
        &[("csrf", &csrf)],
    )
    .await;
    let back = get(
        &app,
        Some(&with_flash(&cookie, &refused)),
        &format!("/colleges/{}", busy_college.id),
    )
    .await;
    assert!(
        back.body
            .contains(&format!("不能删除“{}”：其下还有", busy_college.name))
    );
    assert!(
        org::get_college(db, busy_college.id)
            .await
            .unwrap()
            .is_some()
    );

    // The empty class, then its major, then the college are deleted, each audited.
    let rows_before = audit_rows(db).await;
    let deleted = post(
        &app,
        c,
        &format!("/classes/{class_id}/delete"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(location(&deleted), college_path);
    let back = get(&app, Some(&with_flash(&cookie, &deleted)), &college_path).await;
    assert!(back.body.contains("已删除班级“2022级储能1班”"));
    assert!(
        org::get_class(db, ClassId(class_id))
            .await
            .unwrap()
            .is_none()
    );
    for path in [
        format!("/majors/{major_id}/delete"),
        format!("/colleges/{college_id}/delete"),
    ] {
        let done = post(&app, c, &path, &[("csrf", &csrf)]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER);
    }
    assert!(
        org::get_college(db, CollegeId(college_id))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(audit_rows(db).await, rows_before + 3);
    let kinds: Vec<String> = audit::recent(db, None, 3)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{}:{}", e.record.action, e.record.target_kind))
        .collect();
    assert_eq!(kinds, ["delete:college", "delete:major", "delete:class"]);

    // A form without this session's token is refused.
    let forged = post(&app, c, &path, &[("csrf", "forged"), ("name", "伪造学院")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(
        org::list_colleges(db, school.id)
            .await
            .unwrap()
            .iter()
            .all(|c| c.name != "伪造学院")
    );
}

async fn a_college_admin_stays_in_the_college(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 600).await;
    let app = state(db, &key);
    let (school, own, other, other_school, far) = two_schools(db).await;
    let other_class = some_class_of(db, school.id, &other).await;
    let (cookie, csrf) = sign_in(
        db,
        "xueyuan",
        &[Grant {
            role: Role::CollegeAdmin,
            node: OrgNode::College(own.id),
        }],
    )
    .await;
    let c = Some(cookie.as_str());
    let rows_before = audit_rows(db).await;
    let classes_before = org::list_classes_of_college(db, other.id)
        .await
        .unwrap()
        .len();

    // Outside the college everything answers as a missing object does.
    let missing_college = get(&app, c, "/colleges/99999999/edit").await;
    assert_eq!(missing_college.status, StatusCode::NOT_FOUND);
    let class_form = [
        ("csrf", csrf.as_str()),
        ("name", "越权班级"),
        ("graduation_year", "2020"),
    ];
    let attempts: Vec<Response> = vec![
        get(&app, c, &format!("/colleges/{}/edit", other.id)).await,
        post(
            &app,
            c,
            &format!("/colleges/{}/classes/new", other.id),
            &class_form,
        )
        .await,
        post(
            &app,
            c,
            &format!("/colleges/{}/history/edit", far.id),
            &[("csrf", &csrf), ("origins", "越权")],
        )
        .await,
        post(
            &app,
            c,
            &format!("/colleges/{}/edit", far.id),
            &[("csrf", &csrf), ("name", "越权学院")],
        )
        .await,
        post(
            &app,
            c,
            &format!("/colleges/{}/majors/new", other.id),
            &[("csrf", &csrf), ("major_name", "越权专业")],
        )
        .await,
    ];
    for attempt in &attempts {
        assert_eq!(attempt.status, StatusCode::NOT_FOUND);
        assert_eq!(
            attempt.body, missing_college.body,
            "answered exactly like a missing college"
        );
    }
    let missing_school = get(&app, c, "/schools/99999999/colleges/new").await;
    for path in [
        format!("/schools/{}/colleges/new", school.id),
        format!("/schools/{}/colleges/new", other_school.id),
    ] {
        let form = post(&app, c, &path, &[("csrf", &csrf), ("name", "越权学院")]).await;
        assert_eq!(form.status, StatusCode::NOT_FOUND);
        assert_eq!(form.body, missing_school.body);
    }
    let missing_class = get(&app, c, "/classes/99999999/edit").await;
    for response in [
        get(&app, c, &format!("/classes/{other_class}/edit")).await,
        post(
            &app,
            c,
            &format!("/classes/{other_class}/delete"),
            &[("csrf", &csrf)],
        )
        .await,
    ] {
        assert_eq!(response.status, StatusCode::NOT_FOUND);
        assert_eq!(response.body, missing_class.body);
    }
    assert!(
        org::get_class(db, other_class).await.unwrap().is_some(),
        "not deleted"
    );
    assert_eq!(
        org::list_classes_of_college(db, other.id)
            .await
            .unwrap()
            .len(),
        classes_before
    );
    assert_eq!(
        org::get_college(db, far.id).await.unwrap().unwrap().name,
        far.name
    );
    assert_eq!(audit_rows(db).await, rows_before, "nothing was written");

    // Inside the college the admin works, and cannot delete the college itself.
    let created = post(
        &app,
        c,
        &format!("/colleges/{}/classes/new", own.id),
        &[
            ("csrf", &csrf),
            ("name", "本院新班"),
            ("graduation_year", "2030"),
        ],
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    assert_eq!(audit_rows(db).await, rows_before + 1);
    let entry = &audit::recent(db, None, 1).await.unwrap()[0];
    assert_eq!(entry.record.actor_name, "xueyuan");
    assert_eq!(entry.record.school_id, Some(school.id.get()));
    let own_page = get(&app, c, &format!("/colleges/{}", own.id)).await;
    assert!(own_page.body.contains("新建班级"));
    assert!(!own_page.body.contains("删除学院"));
    let refused = post(
        &app,
        c,
        &format!("/colleges/{}/delete", own.id),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("没有权限"));
    assert!(org::get_college(db, own.id).await.unwrap().is_some());
}

async fn schools_are_for_the_province(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 300).await;
    let app = state(db, &key);
    let school = org::find_school_by_name(db, "湖南城市学院")
        .await
        .unwrap()
        .unwrap();
    let (school_cookie, school_csrf) = sign_in(
        db,
        "xiaoyouban",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(school.id),
        }],
    )
    .await;
    let form = get(&app, Some(&school_cookie), "/schools/new").await;
    assert_eq!(form.status, StatusCode::FORBIDDEN);
    assert!(form.body.contains("没有权限"));
    let edit = post(
        &app,
        Some(&school_cookie),
        &format!("/schools/{}/edit", school.id),
        &[
            ("csrf", &school_csrf),
            ("name", "改名学院"),
            ("kind", "university"),
            ("city", "430900"),
        ],
    )
    .await;
    assert_eq!(edit.status, StatusCode::FORBIDDEN);

    let (cookie, csrf) = sign_in(
        db,
        "province",
        &[Grant {
            role: Role::ProvinceAdmin,
            node: OrgNode::Province(RegionCode::new(430_000).unwrap()),
        }],
    )
    .await;
    let c = Some(cookie.as_str());
    let home = get(&app, c, "/").await;
    assert!(home.body.contains("href=\"/schools/new\""));
    let rows_before = audit_rows(db).await;
    let bad = post(
        &app,
        c,
        "/schools/new",
        &[
            ("csrf", &csrf),
            ("name", "湖南城市學院"),
            ("kind", ""),
            ("city", "430900"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_error(&bad.body, "kind").as_deref(),
        Some("请选择学校类型")
    );
    let duplicate = post(
        &app,
        c,
        "/schools/new",
        &[
            ("csrf", &csrf),
            ("name", "湖南城市學院"),
            ("kind", "university"),
            ("city", "430900"),
        ],
    )
    .await;
    assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        field_error(&duplicate.body, "name")
            .unwrap()
            .contains("已存在")
    );
    assert_eq!(audit_rows(db).await, rows_before);
    let created = post(
        &app,
        c,
        "/schools/new",
        &[
            ("csrf", &csrf),
            ("name", "湘中储能工程学校"),
            ("kind", "secondary_vocational"),
            ("city", "430900"),
        ],
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let new_school = org::find_school_by_name(db, "湘中储能工程学校")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(location(&created), format!("/schools/{}", new_school.id));
    let page = get(
        &app,
        Some(&with_flash(&cookie, &created)),
        &location(&created),
    )
    .await;
    assert!(page.body.contains("已新建学校“湘中储能工程学校”"));
    assert!(page.body.contains("尚未建立二级学院"), "an empty state");
    assert!(page.body.contains("暂无校友记录"));
    let renamed = post(
        &app,
        c,
        &format!("/schools/{}/edit", new_school.id),
        &[
            ("csrf", &csrf),
            ("name", "湘中储能职业学校"),
            ("kind", "secondary_vocational"),
            ("city", "430100"),
        ],
    )
    .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER);
    let stored = org::get_school(db, new_school.id).await.unwrap().unwrap();
    assert_eq!(stored.name, "湘中储能职业学校");
    assert_eq!(stored.city.get(), 430_100);
    assert_eq!(audit_rows(db).await, rows_before + 2);
    let entry = &audit::recent(db, None, 1).await.unwrap()[0];
    assert_eq!(
        (
            entry.record.action.as_str(),
            entry.record.target_kind.as_str()
        ),
        ("update", "school")
    );
    assert!(entry.record.changes.as_deref().unwrap().contains("430100"));
}

/// A handler with a bug.
async fn failing_handler() -> &'static str {
    panic!("a handler that fails")
}

async fn error_pages_are_chinese_and_pages_are_small(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 600).await;
    let app = state(db, &key);
    let (school, college, class) = a_class(db).await;
    let (cookie, _) = sign_in(
        db,
        "xiaoyouban",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(school.id),
        }],
    )
    .await;
    let c = Some(cookie.as_str());

    let missing = get(&app, c, "/no/such/page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("页面不存在") && missing.body.contains("lang=\"zh-CN\""));

    // A handler that panics answers with the Chinese 500 page, and the server goes on.
    let panicking = axum::Router::new().route("/boom", axum::routing::get(failing_handler));
    let router = xiaoyou_web::router_with(app.clone(), panicking);
    let response = router
        .clone()
        .oneshot(Request::builder().uri("/boom").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        response.headers().get("x-content-type-options").unwrap(),
        "nosniff"
    );
    let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let body = String::from_utf8(body.to_vec()).unwrap();
    assert!(body.contains("服务器出错了") && body.contains("请稍后重试"));
    let after = router
        .oneshot(
            Request::builder()
                .uri("/healthz")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::OK);

    // Every page of the tree with its stylesheet and scripts stays under 100 KB.
    let css = get(&app, None, "/assets/style.css").await.bytes.len();
    let js = get(&app, None, "/assets/confirm.js").await.bytes.len();
    for path in [
        "/".to_owned(),
        format!("/schools/{}", school.id),
        format!("/schools/{}/colleges/new", school.id),
        format!("/colleges/{}", college.id),
        format!("/colleges/{}/history", college.id),
        format!("/colleges/{}/history/edit", college.id),
        format!("/colleges/{}/classes/new", college.id),
        format!("/classes/{}", class.id),
        format!("/classes/{}/edit", class.id),
    ] {
        let page = get(&app, c, &path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let total = page.bytes.len() + css + js;
        assert!(total < 100 * 1024, "{path}: {total} bytes");
    }
}

backend_tests!(
    school_admin_builds_and_prunes_the_tree,
    a_college_admin_stays_in_the_college,
    schools_are_for_the_province,
    error_pages_are_chinese_and_pages_are_small
);
