//! The JSON API, on both backends: sign-in, scoped reads, masking, audited unmasking,
//! account management within scope.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::http::StatusCode;
use serde_json::Value;
use support::{api, seeded, sign_in, state, token_of};
use xiaoyou_core::{ConsentAudience, Grant, OrgNode, Role};
use xiaoyou_store::{audit, consents, org, people, stats};
use xiaoyou_testkit::{TestDb, backend_tests};

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap()
}

async fn api_end_to_end(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 3_000).await;
    let app = state(db, &key);
    let school = org::find_school_by_name(db, "湖南城市学院")
        .await
        .unwrap()
        .unwrap();
    sign_in(
        db,
        "school",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(school.id),
        }],
    )
    .await;

    let anonymous = api(&app, None, "GET", "/api/v1/me", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(json(&anonymous.body)["code"], "unauthorized");
    let wrong = api(
        &app,
        None,
        "POST",
        "/api/v1/session",
        Some(r#"{"username":"school","password":"nope"}"#),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(json(&wrong.body)["message"], "用户名或密码错误");
    let body = format!(
        r#"{{"username":"school","password":"{}"}}"#,
        support::PASSWORD
    );
    let signed = api(&app, None, "POST", "/api/v1/session", Some(&body)).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    let token = json(&signed.body)["token"].as_str().unwrap().to_owned();
    let token = Some(token.as_str());

    let me = json(&api(&app, token, "GET", "/api/v1/me", None).await.body);
    assert_eq!(me["username"], "school");
    assert_eq!(me["grants"][0]["role"], "school_admin");
    let schools = json(&api(&app, token, "GET", "/api/v1/schools", None).await.body);
    assert_eq!(
        schools.as_array().unwrap().len(),
        1,
        "a school admin lists only their school"
    );
    assert_eq!(schools[0]["name"], "湖南城市学院");

    let mut class = None;
    for college in org::list_colleges(db, school.id).await.unwrap() {
        if let Some((id, _)) = stats::class_sizes(db, college.id)
            .await
            .unwrap()
            .into_iter()
            .next()
        {
            class = Some(id);
            break;
        }
    }
    let class = class.unwrap();
    let register = api(
        &app,
        token,
        "GET",
        &format!("/api/v1/classes/{class}/register"),
        None,
    )
    .await;
    assert_eq!(register.status, StatusCode::OK);
    let entries = people::class_register(db, class).await.unwrap();
    for entry in &entries {
        if let Some(mobile) = &entry.mobile {
            assert!(
                !register.body.contains(mobile.as_str()),
                "phones are masked in the API too"
            );
        }
    }
    let person = entries.iter().find(|e| e.mobile.is_some()).unwrap();
    let mut tx = db.begin().await.unwrap();
    consents::record(
        &mut tx,
        person.person,
        ConsentAudience::OwnSchool,
        true,
        "测试",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let masked = api(
        &app,
        token,
        "GET",
        &format!("/api/v1/persons/{}", person.person),
        None,
    )
    .await;
    assert_eq!(masked.status, StatusCode::OK);
    assert!(!masked.body.contains(person.mobile.as_deref().unwrap()));
    let before = audit::verify(db).await.unwrap().rows;
    let shown = api(
        &app,
        token,
        "POST",
        &format!("/api/v1/persons/{}/unmask", person.person),
        None,
    )
    .await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains(person.mobile.as_deref().unwrap()));
    assert_eq!(json(&shown.body)["unmasked"], true);
    assert_eq!(audit::verify(db).await.unwrap().rows, before + 1);

    // Accounts: inside the school yes, outside no.
    let college = org::list_colleges(db, school.id).await.unwrap().remove(0);
    let create = format!(
        r#"{{"username":"tumu","display_name":"土木","grants":[{{"role":"college_admin","node_kind":"college","node_id":{}}}]}}"#,
        college.id
    );
    let created = api(&app, token, "POST", "/api/v1/users", Some(&create)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let created = json(&created.body);
    assert!(created["initial_password"].as_str().unwrap().len() >= 10);
    let foreign = r#"{"username":"x","grants":[{"role":"province_admin","node_kind":"province","node_id":430000}]}"#;
    let refused = api(&app, token, "POST", "/api/v1/users", Some(foreign)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(json(&refused.body)["code"], "forbidden");
    let reset = api(
        &app,
        token,
        "POST",
        &format!("/api/v1/users/{}/reset-password", created["id"]),
        None,
    )
    .await;
    assert_eq!(reset.status, StatusCode::OK);
    let users = json(&api(&app, token, "GET", "/api/v1/users", None).await.body);
    assert_eq!(users.as_array().unwrap().len(), 2);
    let log = json(&api(&app, token, "GET", "/api/v1/audit", None).await.body);
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "unmask")
    );

    let unknown = api(&app, token, "GET", "/api/v1/nothing-here", None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(json(&unknown.body)["code"], "not_found");
    let out = api(&app, token, "DELETE", "/api/v1/session", None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(
        api(&app, token, "GET", "/api/v1/me", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn viewers_read_but_never_write_through_the_api(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 2_000).await;
    let app = state(db, &key);
    let (cookie, _) = sign_in(
        db,
        "city",
        &[Grant {
            role: Role::CityViewer,
            node: OrgNode::City(xiaoyou_core::RegionCode::new(430_900).unwrap()),
        }],
    )
    .await;
    let token = Some(token_of(&cookie));
    assert_eq!(
        api(&app, token, "GET", "/api/v1/schools", None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        api(&app, token, "GET", "/api/v1/users", None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api(&app, token, "GET", "/api/v1/audit", None).await.status,
        StatusCode::FORBIDDEN
    );
    let create =
        r#"{"username":"x","grants":[{"role":"city_viewer","node_kind":"city","node_id":430900}]}"#;
    assert_eq!(
        api(&app, token, "POST", "/api/v1/users", Some(create))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert!(
        xiaoyou_store::accounts::find_user(db, "x")
            .await
            .unwrap()
            .is_none()
    );
}

backend_tests!(api_end_to_end, viewers_read_but_never_write_through_the_api);
