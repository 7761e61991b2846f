//! Accounts and grants, managed within the manager's own scope: nobody grants beyond it.

use super::passwords;
use crate::audit::{self, AuditContext, Event};
use crate::error::{AppError, AppResult};
use xiaoyou_core::{Action, Actor, Clock, Grant, Role, UserId};
use xiaoyou_store::{Db, accounts};

fn forbidden() -> AppError {
    AppError::Forbidden
}

/// Whether `manager` may give (or take back) `grant`: the province admin anywhere; a school
/// admin only school-level roles inside a school of theirs.
pub async fn may_grant(db: &Db, manager: &Actor, grant: &Grant) -> AppResult<bool> {
    if !grant.role.fits(&grant.node) {
        return Ok(false);
    }
    if manager.is_province_admin() {
        return Ok(true);
    }
    if !manager.may(Action::ManageUsers)
        || matches!(
            grant.role,
            Role::ProvinceAdmin | Role::CityViewer | Role::DepartmentViewer | Role::Specialist
        )
    {
        return Ok(false);
    }
    let school = accounts::school_of_node(db, &grant.node).await?;
    Ok(school.is_some_and(|school| manager.scope(Action::ManageUsers).covers_school(school)))
}

/// Whether `manager` may manage `target`: every grant the target holds is one the manager
/// could have given.
pub async fn may_manage(db: &Db, manager: &Actor, target: UserId) -> AppResult<bool> {
    let grants = accounts::grants_of(db, target).await?;
    if grants.is_empty() {
        return Ok(manager.is_province_admin());
    }
    for grant in &grants {
        if !may_grant(db, manager, grant).await? {
            return Ok(false);
        }
    }
    Ok(true)
}

#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    /// `None` generates a password that must be changed at first sign-in.
    pub password: Option<&'a str>,
    pub grants: &'a [Grant],
}

/// Creates an account. `manager` is `None` only for the command line's bootstrap and the demo.
/// Returns the id and, when one was generated, the initial password.
pub async fn create(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    manager: Option<&Actor>,
    account: &NewAccount<'_>,
) -> AppResult<(UserId, Option<String>)> {
    let username = account.username.trim();
    if username.is_empty()
        || username.chars().count() > 40
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(AppError::Invalid {
            field: "用户名",
            reason: "须为 1–40 个字母、数字或 - _ .".into(),
        });
    }
    if let Some(manager) = manager {
        for grant in account.grants {
            if !may_grant(db, manager, grant).await? {
                return Err(forbidden());
            }
        }
    }
    for grant in account.grants {
        if !grant.role.fits(&grant.node) {
            return Err(AppError::Invalid {
                field: "角色",
                reason: format!("{}不能授予在{}上", grant.role.label(), grant.node.kind()),
            });
        }
    }
    let (password, generated) = match account.password {
        Some(password) => {
            passwords::check_policy(username, password)?;
            (password.to_owned(), None)
        }
        None => {
            let password = passwords::generate();
            (password.clone(), Some(password))
        }
    };
    let hash = passwords::hash(&password).await?;
    let display_name = account.display_name.trim();
    let mut tx = db.begin().await?;
    let user = accounts::insert_user(
        &mut tx,
        username,
        if display_name.is_empty() {
            username
        } else {
            display_name
        },
        &hash,
        generated.is_some(),
    )
    .await?;
    for grant in account.grants {
        accounts::insert_grant(&mut tx, user, grant, manager.map(|m| m.user)).await?;
    }
    let school = match account.grants.first() {
        Some(grant) => accounts::school_of_node(db, &grant.node).await?,
        None => None,
    };
    let changes = serde_json::json!({
        "username": [null, username],
        "grants": [null, account
            .grants
            .iter()
            .map(|g| format!("{}@{}:{}", g.role.code(), g.node.kind(), g.node.id()))
            .collect::<Vec<_>>()],
    })
    .to_string();
    let event = Event {
        action: "create",
        target_kind: "user",
        target_id: Some(user.to_string()),
        school,
        changes: Some(changes),
    };
    audit::write(&mut tx, context, event, clock.now()).await?;
    tx.commit().await?;
    Ok((user, generated))
}

/// Sets a new random password that must be changed at the next sign-in, and ends the
/// target's sessions. Returns the temporary password to hand over.
pub async fn reset_password(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    manager: &Actor,
    target: UserId,
) -> AppResult<String> {
    if !manager.may(Action::ManageUsers) || !may_manage(db, manager, target).await? {
        return Err(forbidden());
    }
    let password = passwords::generate();
    let hash = passwords::hash(&password).await?;
    let mut tx = db.begin().await?;
    accounts::set_password(&mut tx, target, &hash, true).await?;
    accounts::delete_sessions_of(&mut tx, target).await?;
    let event = Event {
        action: "reset_password",
        target_kind: "user",
        target_id: Some(target.to_string()),
        school: None,
        changes: None,
    };
    audit::write(&mut tx, context, event, clock.now()).await?;
    tx.commit().await?;
    Ok(password)
}

/// The signed-in user changes their own password; all their sessions end.
pub async fn change_password(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    actor: &Actor,
    current: &str,
    new: &str,
) -> AppResult<()> {
    let user = accounts::get_user(db, actor.user)
        .await?
        .ok_or(AppError::Forbidden)?;
    if !passwords::verify(current, &user.password_hash).await {
        return Err(AppError::Invalid {
            field: "当前密码",
            reason: "不正确".into(),
        });
    }
    if current == new {
        return Err(AppError::Invalid {
            field: "新密码",
            reason: "不能与当前密码相同".into(),
        });
    }
    passwords::check_policy(&user.username, new)?;
    let hash = passwords::hash(new).await?;
    let mut tx = db.begin().await?;
    accounts::set_password(&mut tx, user.id, &hash, false).await?;
    accounts::delete_sessions_of(&mut tx, user.id).await?;
    let event = Event {
        action: "change_password",
        target_kind: "user",
        target_id: Some(user.id.to_string()),
        school: None,
        changes: None,
    };
    audit::write(&mut tx, context, event, clock.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds (`add = true`) or takes back a grant of another account. The manager must be able to
/// give that grant and to manage the account; nobody changes their own grants. Takes effect on
/// the account's next request, since grants are read afresh for every request.
pub async fn change_grant(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    manager: &Actor,
    target: UserId,
    grant: &Grant,
    add: bool,
) -> AppResult<()> {
    if target == manager.user
        || !may_grant(db, manager, grant).await?
        || !may_manage(db, manager, target).await?
    {
        return Err(forbidden());
    }
    let mut tx = db.begin().await?;
    if add {
        accounts::insert_grant(&mut tx, target, grant, Some(manager.user)).await?;
    } else if !accounts::delete_grant(&mut tx, target, grant).await? {
        return Err(AppError::Invalid {
            field: "授权",
            reason: "该账号没有这项授权".into(),
        });
    }
    let school = accounts::school_of_node(db, &grant.node).await?;
    let value = format!(
        "{}@{}:{}",
        grant.role.code(),
        grant.node.kind(),
        grant.node.id()
    );
    let changes = if add {
        serde_json::json!({ "grants": { "added": value } })
    } else {
        serde_json::json!({ "grants": { "removed": value } })
    };
    let event = Event {
        action: "update",
        target_kind: "user",
        target_id: Some(target.to_string()),
        school,
        changes: Some(changes.to_string()),
    };
    audit::write(&mut tx, context, event, clock.now()).await?;
    tx.commit().await?;
    Ok(())
}
