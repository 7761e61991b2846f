//! The authorization matrix: every route × every role × an object from a foreign subtree.
//! No read, no write, and the answer is the same as for an object that does not exist.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::http::StatusCode;
use support::{Response, api, get, post, seeded, sign_in, state, token_of};
use xiaoyou_core::{Grant, OrgNode, PersonId, RegionCode, Role};
use xiaoyou_store::{Db, accounts, org, people, stats};
use xiaoyou_testkit::{TestDb, backend_tests};
use xiaoyou_web::AppState;

/// Objects of 中南大学 (长沙), foreign to every role below that is granted inside 湖南城市学院 (益阳).
struct Foreign {
    school: i64,
    college: i64,
    class: i64,
    person: PersonId,
    user: i64,
}

/// Ids that exist nowhere, to compare answers with.
const MISSING: i64 = 987_654;

async fn foreign_objects(db: &Db) -> Foreign {
    let school = org::find_school_by_name(db, "中南大学")
        .await
        .unwrap()
        .unwrap();
    let mut found = None;
    for college in org::list_colleges(db, school.id).await.unwrap() {
        if let Some((class, _)) = stats::class_sizes(db, college.id)
            .await
            .unwrap()
            .into_iter()
            .next()
        {
            found = Some((college.id, class));
            break;
        }
    }
    let (college, class) = found.unwrap();
    // A person whose only school is 中南大学.
    let mut person = None;
    for entry in people::class_register(db, class).await.unwrap() {
        let records = people::study_records_of_person(db, entry.person)
            .await
            .unwrap();
        if records.iter().all(|r| r.school == school.id) {
            person = Some(entry.person);
            break;
        }
    }
    let (_, _) = sign_in(
        db,
        "csu-admin",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(school.id),
        }],
    )
    .await;
    let user = accounts::find_user(db, "csu-admin")
        .await
        .unwrap()
        .unwrap()
        .id
        .get();
    Foreign {
        school: school.id.get(),
        college: college.get(),
        class: class.get(),
        person: person.unwrap(),
        user,
    }
}

/// One account per role, granted on nodes of 湖南城市学院 and its city 益阳.
async fn home_grants(db: &Db) -> Vec<(&'static str, Grant)> {
    let school = org::find_school_by_name(db, "湖南城市学院")
        .await
        .unwrap()
        .unwrap();
    let mut college_and_class = None;
    for college in org::list_colleges(db, school.id).await.unwrap() {
        if let Some((class, _)) = stats::class_sizes(db, college.id)
            .await
            .unwrap()
            .into_iter()
            .next()
        {
            college_and_class = Some((college.id, class));
            break;
        }
    }
    let (college, class) = college_and_class.unwrap();
    let person = people::class_register(db, class).await.unwrap()[0].person;
    let mut grants = vec![
        (
            "r-city",
            Grant {
                role: Role::CityViewer,
                node: OrgNode::City(RegionCode::new(430_900).unwrap()),
            },
        ),
        (
            "r-school",
            Grant {
                role: Role::SchoolAdmin,
                node: OrgNode::School(school.id),
            },
        ),
        (
            "r-association",
            Grant {
                role: Role::AssociationAdmin,
                node: OrgNode::School(school.id),
            },
        ),
        (
            "r-college",
            Grant {
                role: Role::CollegeAdmin,
                node: OrgNode::College(college),
            },
        ),
        (
            "r-liaison",
            Grant {
                role: Role::ClassLiaison,
                node: OrgNode::Class(class),
            },
        ),
        (
            "r-alumnus",
            Grant {
                role: Role::Alumnus,
                node: OrgNode::Person(person),
            },
        ),
    ];
    if let Some(department) = school.department {
        grants.push((
            "r-department",
            Grant {
                role: Role::DepartmentViewer,
                node: OrgNode::Department(department),
            },
        ));
    }
    grants
}

fn same_answer(label: &str, foreign: &Response, missing: &Response) {
    assert_eq!(
        foreign.status, missing.status,
        "{label}: status differs from a missing object"
    );
    assert_eq!(
        foreign.body, missing.body,
        "{label}: body differs from a missing object"
    );
}

async fn check_role(app: &AppState, username: &str, cookie: &str, csrf: &str, foreign: &Foreign) {
    let reads = [
        (
            format!("/schools/{}", foreign.school),
            format!("/schools/{MISSING}"),
        ),
        (
            format!("/colleges/{}", foreign.college),
            format!("/colleges/{MISSING}"),
        ),
        (
            format!("/classes/{}", foreign.class),
            format!("/classes/{MISSING}"),
        ),
        (
            format!("/persons/{}", foreign.person),
            format!("/persons/{MISSING}"),
        ),
        (
            format!("/classes/{}/export.xlsx", foreign.class),
            format!("/classes/{MISSING}/export.xlsx"),
        ),
        (
            format!("/classes/{}/export.csv", foreign.class),
            format!("/classes/{MISSING}/export.csv"),
        ),
    ];
    // Managing the organisation tree: every form of a foreign node.
    let major = xiaoyou_store::orgtree::list_majors_of_college(
        app.db(),
        xiaoyou_core::CollegeId(foreign.college),
    )
    .await
    .unwrap()
    .first()
    .map(|(id, _)| id.get())
    .expect("the foreign college has a major");
    let tree_forms = [
        "/schools/{}/edit".to_owned(),
        "/schools/{}/colleges/new".to_owned(),
        "/colleges/{}/edit".to_owned(),
        "/colleges/{}/history/edit".to_owned(),
        "/colleges/{}/majors/new".to_owned(),
        "/colleges/{}/classes/new".to_owned(),
        "/classes/{}/edit".to_owned(),
        "/majors/{}/edit".to_owned(),
    ];
    let tree_deletes = [
        "/colleges/{}/delete".to_owned(),
        "/classes/{}/delete".to_owned(),
        "/majors/{}/delete".to_owned(),
    ];
    let foreign_id = |path: &str| {
        if path.starts_with("/schools/") {
            foreign.school
        } else if path.starts_with("/colleges/") {
            foreign.college
        } else if path.starts_with("/classes/") {
            foreign.class
        } else {
            major
        }
    };
    let mut reads = reads.to_vec();
    reads.push((
        format!("/colleges/{}/history", foreign.college),
        format!("/colleges/{MISSING}/history"),
    ));
    for form in &tree_forms {
        reads.push((
            form.replace("{}", &foreign_id(form).to_string()),
            form.replace("{}", &MISSING.to_string()),
        ));
    }
    let mut tree_writes: Vec<(String, String)> = Vec::new();
    for path in tree_forms.iter().chain(&tree_deletes) {
        tree_writes.push((
            path.replace("{}", &foreign_id(path).to_string()),
            path.replace("{}", &MISSING.to_string()),
        ));
    }
    for (path, missing_path) in &tree_writes {
        let form = [("csrf", csrf), ("name", "越权"), ("major_name", "越权")];
        let answer = post(app, Some(cookie), path, &form).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{username} POST {path}"
        );
        same_answer(
            &format!("{username} POST {path}"),
            &answer,
            &post(app, Some(cookie), missing_path, &form).await,
        );
    }
    for (path, missing_path) in &reads {
        let answer = get(app, Some(cookie), path).await;
        assert_ne!(answer.status, StatusCode::OK, "{username} read {path}");
        same_answer(
            &format!("{username} GET {path}"),
            &answer,
            &get(app, Some(cookie), missing_path).await,
        );
    }
    let writes = [
        (
            format!("/persons/{}/unmask", foreign.person),
            format!("/persons/{MISSING}/unmask"),
        ),
        (
            format!("/admin/users/{}/reset", foreign.user),
            format!("/admin/users/{MISSING}/reset"),
        ),
        (
            format!("/admin/users/{}/grants", foreign.user),
            format!("/admin/users/{MISSING}/grants"),
        ),
    ];
    for (path, missing_path) in &writes {
        let answer = post(app, Some(cookie), path, &[("csrf", csrf)]).await;
        assert!(
            matches!(answer.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{username} POST {path}: {}",
            answer.status
        );
        same_answer(
            &format!("{username} POST {path}"),
            &answer,
            &post(app, Some(cookie), missing_path, &[("csrf", csrf)]).await,
        );
    }
    // The same through the API, with the session as a bearer token.
    let token = token_of(cookie);
    let api_calls = [
        (
            "GET",
            format!("/api/v1/schools/{}", foreign.school),
            format!("/api/v1/schools/{MISSING}"),
        ),
        (
            "GET",
            format!("/api/v1/classes/{}/register", foreign.class),
            format!("/api/v1/classes/{MISSING}/register"),
        ),
        (
            "GET",
            format!("/api/v1/persons/{}", foreign.person),
            format!("/api/v1/persons/{MISSING}"),
        ),
        (
            "POST",
            format!("/api/v1/persons/{}/unmask", foreign.person),
            format!("/api/v1/persons/{MISSING}/unmask"),
        ),
        (
            "POST",
            format!("/api/v1/users/{}/reset-password", foreign.user),
            format!("/api/v1/users/{MISSING}/reset-password"),
        ),
    ];
    for (method, path, missing_path) in &api_calls {
        let answer = api(app, Some(token), method, path, None).await;
        assert!(
            matches!(answer.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{username} {method} {path}: {}",
            answer.status
        );
        same_answer(
            &format!("{username} {method} {path}"),
            &answer,
            &api(app, Some(token), method, missing_path, None).await,
        );
    }
    let listed = api(app, Some(token), "GET", "/api/v1/schools", None).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(
        !listed.body.contains("中南大学"),
        "{username} lists the foreign school"
    );
    // The start page never names the foreign school.
    let home = get(app, Some(cookie), "/").await;
    assert_eq!(home.status, StatusCode::OK, "{username} home");
    assert!(
        !home.body.contains("中南大学"),
        "{username} sees the foreign school on the start page"
    );
}

async fn foreign_subtrees_stay_invisible(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 5_000).await;
    let app = state(db, &key);
    let foreign = foreign_objects(db).await;
    for (username, grant) in home_grants(db).await {
        let (cookie, csrf) = sign_in(db, username, &[grant]).await;
        check_role(&app, username, &cookie, &csrf, &foreign).await;
    }
    // The province-wide roles see the object, so the checks above are about scope, not routing.
    let (cookie, _) = sign_in(
        db,
        "r-province",
        &[Grant {
            role: Role::ProvinceAdmin,
            node: OrgNode::Province(RegionCode::new(430_000).unwrap()),
        }],
    )
    .await;
    for path in [
        format!("/schools/{}", foreign.school),
        format!("/colleges/{}", foreign.college),
        format!("/classes/{}", foreign.class),
        format!("/persons/{}", foreign.person),
    ] {
        assert_eq!(
            get(&app, Some(&cookie), &path).await.status,
            StatusCode::OK,
            "province admin reads {path}"
        );
    }
}

async fn read_only_and_anonymous_requests_change_nothing(t: &TestDb) {
    let db = &t.db;
    let key = seeded(db, 3_000).await;
    let app = state(db, &key);
    let foreign = foreign_objects(db).await;
    let own_school = org::find_school_by_name(db, "湖南城市学院")
        .await
        .unwrap()
        .unwrap();
    let own_person = people::class_register(db, {
        let college = org::list_colleges(db, own_school.id).await.unwrap();
        let mut class = None;
        for c in college {
            if let Some((id, _)) = stats::class_sizes(db, c.id)
                .await
                .unwrap()
                .into_iter()
                .next()
            {
                class = Some(id);
                break;
            }
        }
        class.unwrap()
    })
    .await
    .unwrap()[0]
        .person;
    // Anonymous: every route leads to the sign-in page, every form too.
    for path in [
        "/",
        "/admin/users",
        "/admin/audit",
        &format!("/persons/{}", foreign.person),
    ] {
        let answer = get(&app, None, path).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
        assert!(
            answer
                .headers
                .get("location")
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("/login")
        );
    }
    for path in [
        format!("/persons/{}/unmask", foreign.person),
        format!("/admin/users/{}/reset", foreign.user),
    ] {
        let answer = post(&app, None, &path, &[("csrf", "x")]).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
    }
    // A viewer sees their city but may not unmask, manage accounts or read the audit log.
    let (cookie, csrf) = sign_in(
        db,
        "viewer",
        &[Grant {
            role: Role::CityViewer,
            node: OrgNode::City(RegionCode::new(430_900).unwrap()),
        }],
    )
    .await;
    assert_eq!(
        get(&app, Some(&cookie), &format!("/persons/{own_person}"))
            .await
            .status,
        StatusCode::OK
    );
    let unmask = post(
        &app,
        Some(&cookie),
        &format!("/persons/{own_person}/unmask"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(unmask.status, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&app, Some(&cookie), "/admin/users").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, Some(&cookie), "/admin/audit").await.status,
        StatusCode::FORBIDDEN
    );
    let before = xiaoyou_store::audit::verify(db).await.unwrap().rows;
    let create = post(
        &app,
        Some(&cookie),
        "/admin/users",
        &[
            ("csrf", &csrf),
            ("username", "x"),
            ("display_name", ""),
            ("grant", "province_admin:province:430000"),
        ],
    )
    .await;
    assert_eq!(create.status, StatusCode::FORBIDDEN);
    assert!(accounts::find_user(db, "x").await.unwrap().is_none());
    assert_eq!(
        xiaoyou_store::audit::verify(db).await.unwrap().rows,
        before,
        "nothing was written"
    );
}

backend_tests!(
    foreign_subtrees_stay_invisible,
    read_only_and_anonymous_requests_change_nothing
);
