//! The first pages, end to end through the router, on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use xiaoyou_app::demo::{self, DemoOptions};
use xiaoyou_core::{PersonalDataKey, RegionCode};
use xiaoyou_store::{Db, org, people};
use xiaoyou_testkit::{TestDb, backend_tests};
use xiaoyou_web::{AppState, router};

async fn get(db: &Db, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let app = router(AppState::new(db.clone(), RegionCode::new(430_000).unwrap()));
    let response = app
        .oneshot(Request::builder().uri(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = to_bytes(response.into_body(), 4 * 1024 * 1024)
        .await
        .unwrap();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

async fn seeded(db: &Db) {
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex()).unwrap();
    let options = DemoOptions {
        records: 4_000,
        batch_persons: 2_000,
        ..DemoOptions::default()
    };
    demo::generate(db, &key, &options, &mut |_| {})
        .await
        .unwrap();
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
    seeded(db).await;

    let (status, headers, home) = get(db, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("湖南省校友工作总览"));
    assert!(
        home.contains("湘西土家族苗族自治州"),
        "every city is listed"
    );
    assert!(home.contains("湖南城市学院"));
    assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
    assert!(headers.get("content-security-policy").is_some());

    let school = org::find_school_by_name(db, "湖南城市学院")
        .await
        .unwrap()
        .unwrap();
    let (status, _, page) = get(db, &format!("/schools/{}", school.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("益阳市"));
    assert!(page.contains("<svg"), "graduation years are charted");
    assert!(page.contains("对口联系单位"));

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
    let (status, _, page) = get(db, &format!("/colleges/{}", college.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&college.name));
    let classes = org::list_classes_of_college(db, college.id).await.unwrap();
    let class = &classes[0];
    assert!(page.contains(&class.name));

    let (status, _, page) = get(db, &format!("/classes/{}", class.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("班级通讯录"));
    let register = people::class_register(db, class.id).await.unwrap();
    assert!(!register.is_empty());
    assert!(page.contains(&register[0].name));
    for entry in &register {
        if let Some(mobile) = &entry.mobile {
            assert!(!page.contains(mobile.as_str()), "phones are masked");
            assert!(page.contains(&format!("{}****{}", &mobile[..3], &mobile[7..])));
        }
    }
    assert!(page.contains("<td class=\"mono\">"));
    assert!(phone_cells_are_masked(&page));
}

async fn missing_things_are_404_in_chinese(t: &TestDb) {
    let db = &t.db;
    for path in [
        "/schools/999999",
        "/colleges/999999",
        "/classes/999999",
        "/nowhere",
    ] {
        let (status, _, page) = get(db, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.contains("页面不存在"), "{path}");
    }
    let (status, _, _) = get(db, "/schools/not-a-number").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn empty_platform_explains_itself(t: &TestDb) {
    let (status, _, home) = get(&t.db, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("尚未加载行政区划"));
    let (status, _, body) = get(&t.db, "/healthz").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    let (status, headers, css) = get(&t.db, "/assets/style.css").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(css.contains(":root"));
}

backend_tests!(
    walk_the_tree,
    missing_things_are_404_in_chinese,
    empty_platform_explains_itself
);
