//! Signing in, lockout, session expiry and granting within scope, on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Duration, TimeZone, Utc};
use xiaoyou_app::AppError;
use xiaoyou_app::audit::AuditContext;
use xiaoyou_app::auth::sessions::{self, authenticate, login};
use xiaoyou_app::auth::users::{self, NewAccount};
use xiaoyou_app::auth::{LoginError, SessionPolicy};
use xiaoyou_core::*;
use xiaoyou_store::org::{self, NewSchool};
use xiaoyou_store::{Db, audit};
use xiaoyou_testkit::{TestDb, backend_tests};

fn at(minutes: i64) -> FixedClock {
    FixedClock(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap() + Duration::minutes(minutes))
}

fn from(addr: &str) -> AuditContext {
    AuditContext {
        client_addr: Some(addr.to_owned()),
        ..AuditContext::default()
    }
}

async fn school(db: &Db, name: &str) -> SchoolId {
    xiaoyou_app::reference::load_hunan(db).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let school = org::insert_school(
        &mut tx,
        &NewSchool {
            name,
            kind: SchoolKind::University,
            city: RegionCode::new(430100).unwrap(),
            department: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    school.id
}

async fn account(db: &Db, username: &str, password: &str, grants: &[Grant]) -> UserId {
    let (id, generated) = users::create(
        db,
        &at(0),
        &AuditContext::system("test"),
        None,
        &NewAccount {
            username,
            display_name: username,
            password: Some(password),
            grants,
        },
    )
    .await
    .unwrap();
    assert!(generated.is_none());
    id
}

async fn brute_force_locks_the_account(t: &TestDb) {
    let db = &t.db;
    let policy = SessionPolicy::default();
    let csu = school(db, "中南大学").await;
    account(
        db,
        "csu-admin",
        "Yuelu-Shan-2026x",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(csu),
        }],
    )
    .await;

    let ok = login(
        db,
        &at(0),
        &policy,
        "csu-admin",
        "Yuelu-Shan-2026x",
        &from("10.1.1.1"),
    )
    .await
    .unwrap();
    let session = authenticate(db, &at(1), &policy, &ok.token)
        .await
        .unwrap()
        .expect("signed in");
    assert_eq!(session.actor.username, "csu-admin");
    assert!(session.actor.scope(Action::View).covers_school(csu));

    for attempt in 1..=policy.max_account_failures {
        let result = login(
            db,
            &at(2),
            &policy,
            "csu-admin",
            &format!("guess{attempt}"),
            &from("10.1.1.2"),
        )
        .await;
        if attempt < policy.max_account_failures {
            assert!(
                matches!(result, Err(LoginError::BadCredentials)),
                "{attempt}: {result:?}"
            );
        } else {
            assert!(
                matches!(result, Err(LoginError::AccountLocked { minutes: 15 })),
                "{result:?}"
            );
        }
    }
    // Even the right password is refused while locked.
    let locked = login(
        db,
        &at(3),
        &policy,
        "csu-admin",
        "Yuelu-Shan-2026x",
        &from("10.1.1.1"),
    )
    .await;
    assert!(
        matches!(locked, Err(LoginError::AccountLocked { .. })),
        "{locked:?}"
    );
    // After the lockout it works again.
    login(
        db,
        &at(18),
        &policy,
        "csu-admin",
        "Yuelu-Shan-2026x",
        &from("10.1.1.1"),
    )
    .await
    .unwrap();

    // Unknown names get the same answer as wrong passwords.
    let unknown = login(
        db,
        &at(18),
        &policy,
        "nobody",
        "whatever123",
        &from("10.1.1.3"),
    )
    .await;
    assert!(matches!(unknown, Err(LoginError::BadCredentials)));

    // One address trying many accounts is blocked as a whole.
    let mut blocked = false;
    for i in 0..=policy.max_address_failures {
        match login(
            db,
            &at(19),
            &policy,
            &format!("user{i}"),
            "x",
            &from("10.9.9.9"),
        )
        .await
        {
            Err(LoginError::AddressBlocked { .. }) => {
                blocked = true;
                break;
            }
            Err(LoginError::BadCredentials) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(blocked);
    let other_address = login(
        db,
        &at(19),
        &policy,
        "csu-admin",
        "Yuelu-Shan-2026x",
        &from("10.1.1.1"),
    )
    .await;
    assert!(other_address.is_ok(), "other addresses are not blocked");

    assert_eq!(audit::verify(db).await.unwrap().first_broken, None);
    let actions: Vec<String> = audit::recent(db, None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.record.action)
        .collect();
    assert!(actions.contains(&"account_locked".to_owned()));
    assert!(actions.contains(&"login_failed".to_owned()));
}

async fn sessions_expire_and_end(t: &TestDb) {
    let db = &t.db;
    let policy = SessionPolicy::default();
    let csu = school(db, "中南大学").await;
    account(
        db,
        "csu",
        "Yuelu-Shan-2026x",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(csu),
        }],
    )
    .await;
    let first = login(
        db,
        &at(0),
        &policy,
        "csu",
        "Yuelu-Shan-2026x",
        &from("10.0.0.1"),
    )
    .await
    .unwrap();
    // Used every 20 minutes it lives on ...
    for minute in [20, 40, 60] {
        assert!(
            authenticate(db, &at(minute), &policy, &first.token)
                .await
                .unwrap()
                .is_some(),
            "{minute}"
        );
    }
    // ... until idle for 30 minutes.
    assert!(
        authenticate(db, &at(95), &policy, &first.token)
            .await
            .unwrap()
            .is_none()
    );
    // The absolute limit ends a busy session too.
    let second = login(
        db,
        &at(100),
        &policy,
        "csu",
        "Yuelu-Shan-2026x",
        &from("10.0.0.1"),
    )
    .await
    .unwrap();
    let mut minute = 100;
    while minute < 100 + 12 * 60 - 20 {
        minute += 20;
        assert!(
            authenticate(db, &at(minute), &policy, &second.token)
                .await
                .unwrap()
                .is_some()
        );
    }
    assert!(
        authenticate(db, &at(100 + 12 * 60), &policy, &second.token)
            .await
            .unwrap()
            .is_none()
    );
    // A made-up token is nobody.
    assert!(
        authenticate(db, &at(0), &policy, "forged")
            .await
            .unwrap()
            .is_none()
    );

    // Logging out ends the session.
    let third = login(
        db,
        &at(1000),
        &policy,
        "csu",
        "Yuelu-Shan-2026x",
        &from("10.0.0.1"),
    )
    .await
    .unwrap();
    let session = authenticate(db, &at(1001), &policy, &third.token)
        .await
        .unwrap()
        .unwrap();
    sessions::logout(db, &at(1001), &session, &from("10.0.0.1"))
        .await
        .unwrap();
    assert!(
        authenticate(db, &at(1002), &policy, &third.token)
            .await
            .unwrap()
            .is_none()
    );
}

async fn nobody_grants_beyond_their_scope(t: &TestDb) {
    let db = &t.db;
    let policy = SessionPolicy::default();
    let csu = school(db, "中南大学").await;
    let mut tx = db.begin().await.unwrap();
    let hnu = org::insert_school(
        &mut tx,
        &NewSchool {
            name: "湖南大学",
            kind: SchoolKind::University,
            city: RegionCode::new(430100).unwrap(),
            department: None,
        },
    )
    .await
    .unwrap()
    .id;
    let csu_college = org::insert_college(&mut tx, csu, "机电工程学院")
        .await
        .unwrap()
        .id;
    let hnu_college = org::insert_college(&mut tx, hnu, "机械与运载工程学院")
        .await
        .unwrap()
        .id;
    tx.commit().await.unwrap();
    let province = account(
        db,
        "province",
        "Xiang-River-2026",
        &[Grant {
            role: Role::ProvinceAdmin,
            node: OrgNode::Province(RegionCode::new(430000).unwrap()),
        }],
    )
    .await;
    account(
        db,
        "csu",
        "Yuelu-Shan-2026x",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(csu),
        }],
    )
    .await;
    let signed_in = login(
        db,
        &at(0),
        &policy,
        "csu",
        "Yuelu-Shan-2026x",
        &from("10.0.0.1"),
    )
    .await
    .unwrap();
    let manager = authenticate(db, &at(1), &policy, &signed_in.token)
        .await
        .unwrap()
        .unwrap()
        .actor;
    let context = AuditContext::for_actor(&manager, None, Some("10.0.0.1".into()));

    let own = Grant {
        role: Role::CollegeAdmin,
        node: OrgNode::College(csu_college),
    };
    let (college_admin, password) = users::create(
        db,
        &at(2),
        &context,
        Some(&manager),
        &NewAccount {
            username: "csu-jd",
            display_name: "机电学院",
            password: None,
            grants: &[own],
        },
    )
    .await
    .unwrap();
    let password = password.expect("a generated first password");
    let first = login(db, &at(3), &policy, "csu-jd", &password, &from("10.0.0.2"))
        .await
        .unwrap();
    assert!(first.must_change_password);

    for foreign in [
        Grant {
            role: Role::CollegeAdmin,
            node: OrgNode::College(hnu_college),
        },
        Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(hnu),
        },
        Grant {
            role: Role::ProvinceAdmin,
            node: OrgNode::Province(RegionCode::new(430000).unwrap()),
        },
        Grant {
            role: Role::CityViewer,
            node: OrgNode::City(RegionCode::new(430100).unwrap()),
        },
    ] {
        let result = users::create(
            db,
            &at(4),
            &context,
            Some(&manager),
            &NewAccount {
                username: "intruder",
                display_name: "",
                password: None,
                grants: &[foreign],
            },
        )
        .await;
        assert!(
            matches!(result, Err(AppError::Forbidden)),
            "{foreign:?}: {result:?}"
        );
    }
    // A school admin resets passwords in the school, never the province admin's.
    users::reset_password(db, &at(5), &context, &manager, college_admin)
        .await
        .unwrap();
    assert!(matches!(
        users::reset_password(db, &at(5), &context, &manager, province).await,
        Err(AppError::Forbidden)
    ));
    // The reset ended the college admin's session.
    assert!(
        authenticate(db, &at(6), &policy, &first.token)
            .await
            .unwrap()
            .is_none()
    );
}

async fn changing_a_password(t: &TestDb) {
    let db = &t.db;
    let policy = SessionPolicy::default();
    let csu = school(db, "中南大学").await;
    account(
        db,
        "csu",
        "Yuelu-Shan-2026x",
        &[Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(csu),
        }],
    )
    .await;
    let signed_in = login(
        db,
        &at(0),
        &policy,
        "csu",
        "Yuelu-Shan-2026x",
        &from("10.0.0.1"),
    )
    .await
    .unwrap();
    let actor = authenticate(db, &at(1), &policy, &signed_in.token)
        .await
        .unwrap()
        .unwrap()
        .actor;
    let context = AuditContext::for_actor(&actor, None, None);
    let wrong =
        users::change_password(db, &at(2), &context, &actor, "nope", "Better-password-1").await;
    assert!(matches!(
        wrong,
        Err(AppError::Invalid {
            field: "当前密码",
            ..
        })
    ));
    let weak =
        users::change_password(db, &at(2), &context, &actor, "Yuelu-Shan-2026x", "short").await;
    assert!(matches!(
        weak,
        Err(AppError::Invalid {
            field: "密码", ..
        })
    ));
    users::change_password(
        db,
        &at(2),
        &context,
        &actor,
        "Yuelu-Shan-2026x",
        "Better-password-1",
    )
    .await
    .unwrap();
    assert!(
        authenticate(db, &at(3), &policy, &signed_in.token)
            .await
            .unwrap()
            .is_none()
    );
    login(
        db,
        &at(4),
        &policy,
        "csu",
        "Better-password-1",
        &from("10.0.0.1"),
    )
    .await
    .unwrap();
}

backend_tests!(
    brute_force_locks_the_account,
    sessions_expire_and_end,
    nobody_grants_beyond_their_scope,
    changing_a_password,
);
