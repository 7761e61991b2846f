//! The pages end to end through the router, signed in, on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::http::StatusCode;
use support::{get, post, seeded, sign_in, state};
use xiaoyou_core::{ConsentAudience, Grant, OrgNode, PersonalDataKey, RegionCode, Role};
use xiaoyou_store::{audit, org, people};
use xiaoyou_testkit::{TestDb, backend_tests};

fn province_admin() -> Grant {
    Grant {
        role: Role::ProvinceAdmin,
        node: OrgNode::Province(RegionCode::new(430_000).unwrap()),
    }
}

/// Every phone cell of a register page is empty or masked like `138****1234`.
fn phone_cells_are_masked(page: &str) -> bool {
    page.split("<td class=\"mono\">").skip(1).all(|rest| {
        let cell = rest.split("</td>").next().unwrap_or("");
        let bytes = cell.as_bytes();
        cell.is_empty()
            || cell == "***"
            || (bytes.len() == 11
                && bytes[..3].iter().all(u8::is_ascii_digit)
                && &cell[3..7] == "****"
                && bytes[7..].iter().all(u8::is_ascii_digit))
    })
}

async fn walk_the_tree(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 4_000).await;
    let app = state(db, &key);
    let (cookie, csrf) = sign_in(db, "province", &[province_admin()]).await;
    let cookie = Some(cookie.as_str());

    let home = get(&app, cookie, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("湖南省校友工作总览"));
    assert!(
        home.body.contains("湘西土家族苗族自治州"),
        "every city is listed"
    );
    assert!(home.body.contains("湖南城市学院"));
    assert!(
        home.body.contains("退出"),
        "the signed-in user can sign out"
    );
    assert_eq!(
        home.headers.get("x-content-type-options").unwrap(),
        "nosniff"
    );
    assert!(home.headers.get("content-security-policy").is_some());
    assert!(home.headers.get("x-request-id").is_some());

    let school = org::find_school_by_name(db, "湖南城市学院")
        .await
        .unwrap()
        .unwrap();
    let page = get(&app, cookie, &format!("/schools/{}", school.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("益阳市"));
    assert!(page.body.contains("<svg"), "graduation years are charted");
    assert!(page.body.contains("对口联系单位"));

    let mut college = None;
    for candidate in org::list_colleges(db, school.id).await.unwrap() {
        if !org::list_classes_of_college(db, candidate.id)
            .await
            .unwrap()
            .is_empty()
        {
            college = Some(candidate);
            break;
        }
    }
    let college = college.expect("some college of the school has classes");
    let page = get(&app, cookie, &format!("/colleges/{}", college.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&college.name));
    let classes = org::list_classes_of_college(db, college.id).await.unwrap();
    let class = &classes[0];
    assert!(page.body.contains(&class.name));

    let page = get(&app, cookie, &format!("/classes/{}", class.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("班级通讯录"));
    let register = people::class_register(db, class.id).await.unwrap();
    assert!(!register.is_empty());
    assert!(page.body.contains(&register[0].name));
    for entry in &register {
        if let Some(mobile) = &entry.mobile {
            assert!(!page.body.contains(mobile.as_str()), "phones are masked");
        }
    }
    assert!(page.body.contains("<td class=\"mono\">"));
    assert!(phone_cells_are_masked(&page.body));

    // The register exports to Excel and CSV, masked, and the export is audited.
    let xlsx = get(&app, cookie, &format!("/classes/{}/export.xlsx", class.id)).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(
        xlsx.headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''")
    );
    let sheet = xiaoyou_sheet::read_table(&xlsx.bytes).unwrap();
    assert!(
        sheet
            .rows
            .iter()
            .any(|r| r.cells.contains(&register[0].name))
    );
    let csv = get(&app, cookie, &format!("/classes/{}/export.csv", class.id)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body.starts_with('\u{feff}'),
        "Excel needs the BOM to read UTF-8"
    );
    assert!(csv.body.contains(&register[0].name));
    for entry in &register {
        if let Some(mobile) = &entry.mobile {
            assert!(!csv.body.contains(mobile.as_str()), "exports are masked");
        }
    }
    assert!(
        audit::recent(db, None, 5)
            .await
            .unwrap()
            .iter()
            .any(|e| e.record.action == "export")
    );
    let template = get(&app, cookie, "/import/template.xlsx").await;
    assert_eq!(template.status, StatusCode::OK);
    assert!(xiaoyou_sheet::read_table(&template.bytes).is_ok());

    // The person page masks; unmasking shows the number and is audited first.
    let person = register
        .iter()
        .find(|e| e.mobile.is_some())
        .unwrap_or(&register[0]);
    // Without the person's consent to share with the province, the province sees no contacts.
    let mut tx = db.begin().await.unwrap();
    xiaoyou_store::consents::record(
        &mut tx,
        person.person,
        ConsentAudience::Province,
        false,
        "测试",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let page = get(&app, cookie, &format!("/persons/{}", person.person)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("本人未授权向您所在范围共享联系方式"));
    assert!(!page.body.contains("查看完整身份证号与联系方式"));
    let refused = post(
        &app,
        cookie,
        &format!("/persons/{}/unmask", person.person),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let mut tx = db.begin().await.unwrap();
    xiaoyou_store::consents::record(
        &mut tx,
        person.person,
        ConsentAudience::Province,
        true,
        "测试",
        chrono::Utc::now() + chrono::Duration::seconds(1),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let page = get(&app, cookie, &format!("/persons/{}", person.person)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("查看完整身份证号与联系方式"));
    if let Some(mobile) = &person.mobile {
        assert!(!page.body.contains(mobile.as_str()));
    }
    let before = audit::verify(db).await.unwrap().rows;
    let refused = post(
        &app,
        cookie,
        &format!("/persons/{}/unmask", person.person),
        &[("csrf", "forged")],
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "a form without the session's token is refused"
    );
    let shown = post(
        &app,
        cookie,
        &format!("/persons/{}/unmask", person.person),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(shown.status, StatusCode::OK);
    if let Some(mobile) = &person.mobile {
        assert!(shown.body.contains(mobile.as_str()), "unmasked on request");
    }
    assert!(shown.body.contains("已记入审计日志"));
    let after = audit::verify(db).await.unwrap();
    assert_eq!(after.rows, before + 1);
    assert_eq!(after.first_broken, None);
    let latest = audit::recent(db, None, 1).await.unwrap().remove(0);
    assert_eq!(latest.record.action, "unmask");
    assert_eq!(latest.record.target_id, Some(person.person.to_string()));
    assert_eq!(latest.record.actor_name, "province");

    let log = get(&app, cookie, "/admin/audit").await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.body.contains("查看完整个人信息"));
    let searched = get(
        &app,
        cookie,
        "/admin/audit?actor=prov&action=unmask&target=person&from=2020-01-01&to=2099-12-31",
    )
    .await;
    assert_eq!(searched.status, StatusCode::OK);
    assert!(searched.body.contains(&format!("person {}", person.person)));
    let nothing = get(&app, cookie, "/admin/audit?actor=nobody-like-this").await;
    assert!(nothing.body.contains("没有符合条件的记录"));
}

async fn missing_things_are_404_in_chinese(t: &TestDb) {
    let db = &t.db;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let app = state(db, &key);
    let (cookie, _) = sign_in(db, "province", &[province_admin()]).await;
    for path in [
        "/schools/999999",
        "/colleges/999999",
        "/classes/999999",
        "/persons/999999",
        "/nowhere",
    ] {
        let page = get(&app, Some(&cookie), path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.body.contains("页面不存在"), "{path}");
    }
    let page = get(&app, Some(&cookie), "/schools/not-a-number").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
}

async fn signing_in_and_out(t: &TestDb) {
    let db = &t.db;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let app = state(db, &key);
    // Without a session every page leads to the sign-in page; health and assets stay public.
    let home = get(&app, None, "/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.headers.get("location").unwrap(), "/login?next=/");
    assert_eq!(get(&app, None, "/healthz").await.body, "ok");
    let css = get(&app, None, "/assets/style.css").await;
    assert!(
        css.headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );

    support::sign_in(db, "province", &[province_admin()]).await;
    let form = get(&app, None, "/login").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("用户名"));
    let set_cookie = form
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));
    let login_cookie = set_cookie.split(';').next().unwrap().to_owned();
    let token = login_cookie.split_once('=').unwrap().1.to_owned();

    // A sign-in posted from elsewhere (no matching cookie) is refused.
    let forged = post(
        &app,
        None,
        "/login",
        &[
            ("csrf", &token),
            ("username", "province"),
            ("password", support::PASSWORD),
        ],
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let wrong = post(
        &app,
        Some(&login_cookie),
        "/login",
        &[
            ("csrf", &token),
            ("username", "province"),
            ("password", "nope"),
        ],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("用户名或密码错误"));
    let ok = post(
        &app,
        Some(&login_cookie),
        "/login",
        &[
            ("csrf", &token),
            ("username", "province"),
            ("password", support::PASSWORD),
            ("next", "/admin/users"),
        ],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.headers.get("location").unwrap(), "/admin/users");
    let session_cookie = ok
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("xy_session="))
        .unwrap();
    let session_cookie = session_cookie.split(';').next().unwrap().to_owned();
    let users = get(&app, Some(&session_cookie), "/admin/users").await;
    assert_eq!(users.status, StatusCode::OK);
    assert!(users.body.contains("新建账号"));
    // An external "next" is not followed.
    let outside = post(
        &app,
        Some(&login_cookie),
        "/login",
        &[
            ("csrf", &token),
            ("username", "province"),
            ("password", support::PASSWORD),
            ("next", "https://evil.example/"),
        ],
    )
    .await;
    assert_eq!(outside.headers.get("location").unwrap(), "/");

    let csrf = users
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let out = post(&app, Some(&session_cookie), "/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(
        get(&app, Some(&session_cookie), "/").await.status,
        StatusCode::SEE_OTHER,
        "the session ended"
    );
}

async fn managing_accounts_within_scope(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 3_000).await;
    let app = state(db, &key);
    let school = org::find_school_by_name(db, "湖南城市学院")
        .await
        .unwrap()
        .unwrap();
    let (cookie, csrf) = sign_in(
        db,
        "school",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(school.id),
        }],
    )
    .await;
    let page = get(&app, Some(&cookie), "/admin/users").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("省级专班管理员（"),
        "a school admin cannot grant province roles"
    );
    let college = org::list_colleges(db, school.id).await.unwrap().remove(0);
    let grant = format!("college_admin:college:{}", college.id);
    let created = post(
        &app,
        Some(&cookie),
        "/admin/users",
        &[
            ("csrf", &csrf),
            ("username", "tumu"),
            ("display_name", "土木学院"),
            ("grant", &grant),
        ],
    )
    .await;
    assert_eq!(created.status, StatusCode::OK);
    assert!(created.body.contains("已创建账号 tumu"), "{}", created.body);
    let tumu = xiaoyou_store::accounts::find_user(db, "tumu")
        .await
        .unwrap()
        .unwrap()
        .id;
    let second = org::list_colleges(db, school.id).await.unwrap().remove(1);
    let second_grant = format!("college_admin:college:{}", second.id);
    let path = format!("/admin/users/{tumu}/grants");
    let added = post(
        &app,
        Some(&cookie),
        &path,
        &[("csrf", &csrf), ("grant", &second_grant), ("change", "add")],
    )
    .await;
    assert_eq!(added.status, StatusCode::OK);
    assert!(added.body.contains("已为 tumu 增加授权"), "{}", added.body);
    assert_eq!(
        xiaoyou_store::accounts::grants_of(db, tumu)
            .await
            .unwrap()
            .len(),
        2
    );
    let removed = post(
        &app,
        Some(&cookie),
        &path,
        &[
            ("csrf", &csrf),
            ("grant", &second_grant),
            ("change", "remove"),
        ],
    )
    .await;
    assert!(removed.body.contains("已撤销 tumu 的授权"));
    assert_eq!(
        xiaoyou_store::accounts::grants_of(db, tumu)
            .await
            .unwrap()
            .len(),
        1
    );
    let foreign = org::find_school_by_name(db, "中南大学")
        .await
        .unwrap()
        .unwrap();
    let foreign_grant = format!("school_admin:school:{}", foreign.id);
    let refused = post(
        &app,
        Some(&cookie),
        "/admin/users",
        &[
            ("csrf", &csrf),
            ("username", "intruder"),
            ("display_name", ""),
            ("grant", &foreign_grant),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let province_grant = "province_admin:province:430000";
    let refused = post(
        &app,
        Some(&cookie),
        "/admin/users",
        &[
            ("csrf", &csrf),
            ("username", "intruder"),
            ("display_name", ""),
            ("grant", province_grant),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let tumu = xiaoyou_store::accounts::find_user(db, "tumu")
        .await
        .unwrap()
        .unwrap()
        .id;
    let widen = post(
        &app,
        Some(&cookie),
        &format!("/admin/users/{tumu}/grants"),
        &[
            ("csrf", &csrf),
            ("grant", &foreign_grant),
            ("change", "add"),
        ],
    )
    .await;
    assert_eq!(
        widen.status,
        StatusCode::FORBIDDEN,
        "no grant beyond the manager's own scope"
    );
}

async fn alumni_choose_what_they_share(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 3_000).await;
    let app = state(db, &key);
    let school = org::find_school_by_name(db, "湖南城市学院")
        .await
        .unwrap()
        .unwrap();
    let mut person = None;
    for college in org::list_colleges(db, school.id).await.unwrap() {
        if let Some((class, _)) = xiaoyou_store::stats::class_sizes(db, college.id)
            .await
            .unwrap()
            .into_iter()
            .next()
        {
            person = Some(people::class_register(db, class).await.unwrap()[0].person);
            break;
        }
    }
    let person = person.unwrap();
    let (alumnus, alumnus_csrf) = sign_in(
        db,
        "me",
        &[Grant {
            role: Role::Alumnus,
            node: OrgNode::Person(person),
        }],
    )
    .await;
    let (city, _) = sign_in(
        db,
        "city",
        &[Grant {
            role: Role::CityViewer,
            node: OrgNode::City(RegionCode::new(430_900).unwrap()),
        }],
    )
    .await;
    // The alumnus withdraws everything, then allows the partner departments and cities.
    let page = post(
        &app,
        Some(&alumnus),
        &format!("/persons/{person}/consents"),
        &[("csrf", &alumnus_csrf)],
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let city_view = get(&app, Some(&city), &format!("/persons/{person}")).await;
    assert_eq!(city_view.status, StatusCode::OK);
    assert!(
        city_view
            .body
            .contains("本人未授权向您所在范围共享联系方式")
    );
    let page = post(
        &app,
        Some(&alumnus),
        &format!("/persons/{person}/consents"),
        &[
            ("csrf", &alumnus_csrf),
            ("share", "departments"),
            ("share", "own_school"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("校友本人（网页）"));
    let city_view = get(&app, Some(&city), &format!("/persons/{person}")).await;
    assert!(
        !city_view
            .body
            .contains("本人未授权向您所在范围共享联系方式")
    );
    // Nobody else may change the person's choices.
    let (school_admin, school_csrf) = sign_in(
        db,
        "school",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(school.id),
        }],
    )
    .await;
    let refused = post(
        &app,
        Some(&school_admin),
        &format!("/persons/{person}/consents"),
        &[("csrf", &school_csrf)],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let changes: Vec<String> = audit::recent(db, None, 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.record.target_kind == "consent")
        .map(|e| e.record.actor_name)
        .collect();
    assert_eq!(changes, vec!["me".to_owned(), "me".to_owned()]);
}

backend_tests!(
    walk_the_tree,
    missing_things_are_404_in_chinese,
    signing_in_and_out,
    managing_accounts_within_scope,
    alumni_choose_what_they_share,
);
