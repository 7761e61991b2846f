//! Account management and the audit log, each limited to the manager's own scope.

use super::login::CsrfForm;
use crate::AppState;
use crate::error::WebError;
use crate::session::{Nav, Signed};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Html;
use serde::Deserialize;
use xiaoyou_app::AppError;
use xiaoyou_app::auth::users::{self, NewAccount};
use xiaoyou_core::{Action, Grant, OrgNode, Role, SchoolId, UserId};
use xiaoyou_store::{accounts, audit, org, regions};

struct UserLine {
    id: i64,
    username: String,
    display_name: String,
    grants: String,
    /// (value, description) of each grant, for the revoke buttons.
    grant_items: Vec<(String, String)>,
    status: &'static str,
    manageable: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    nav: Option<Nav>,
    csrf: String,
    users: Vec<UserLine>,
    grant_options: Vec<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
}

fn grant_value(grant: &Grant) -> String {
    format!(
        "{}:{}:{}",
        grant.role.code(),
        grant.node.kind(),
        grant.node.id()
    )
}

fn parse_grant(value: &str) -> Option<Grant> {
    let mut parts = value.splitn(3, ':');
    let role = Role::parse(parts.next()?).ok()?;
    let kind = parts.next()?;
    let id: i64 = parts.next()?.parse().ok()?;
    let grant = Grant {
        role,
        node: OrgNode::from_parts(kind, id)?,
    };
    role.fits(&grant.node).then_some(grant)
}

/// A readable description of a grant: role and the node's name.
async fn describe(state: &AppState, grant: &Grant) -> Result<String, WebError> {
    let db = state.db();
    let node = match grant.node {
        OrgNode::Province(code) | OrgNode::City(code) => {
            regions::get(db, code).await?.map(|r| r.name)
        }
        OrgNode::Department(id) => org::list_departments(db)
            .await?
            .into_iter()
            .find(|d| d.id == id)
            .map(|d| d.name),
        OrgNode::School(id) => org::get_school(db, id).await?.map(|s| s.name),
        OrgNode::College(id) => org::get_college(db, id).await?.map(|c| c.name),
        OrgNode::Class(id) => org::get_class(db, id).await?.map(|c| c.name),
        OrgNode::Person(id) => xiaoyou_store::people::get_person(db, id)
            .await?
            .map(|p| p.name),
    };
    Ok(format!(
        "{}（{}）",
        grant.role.label(),
        node.unwrap_or_else(|| "已删除".to_owned())
    ))
}

/// The grants this manager can hand out, for the form's list.
async fn grant_options(
    state: &AppState,
    signed: &Signed,
) -> Result<Vec<(String, String)>, WebError> {
    let db = state.db();
    let actor = signed.actor();
    let mut candidates: Vec<Grant> = Vec::new();
    if actor.is_province_admin() {
        candidates.push(Grant {
            role: Role::ProvinceAdmin,
            node: OrgNode::Province(state.province()),
        });
        candidates.push(Grant {
            role: Role::Specialist,
            node: OrgNode::Province(state.province()),
        });
        for city in regions::children(db, state.province()).await? {
            candidates.push(Grant {
                role: Role::CityViewer,
                node: OrgNode::City(city.code),
            });
        }
        for department in org::list_departments(db).await? {
            candidates.push(Grant {
                role: Role::DepartmentViewer,
                node: OrgNode::Department(department.id),
            });
        }
    }
    let manage = actor.scope(Action::ManageUsers);
    for school in org::list_schools(db)
        .await?
        .into_iter()
        .filter(|s| manage.covers_school(s.id))
    {
        candidates.push(Grant {
            role: Role::SchoolAdmin,
            node: OrgNode::School(school.id),
        });
        candidates.push(Grant {
            role: Role::AssociationAdmin,
            node: OrgNode::School(school.id),
        });
        for college in org::list_colleges(db, school.id).await? {
            candidates.push(Grant {
                role: Role::CollegeAdmin,
                node: OrgNode::College(college.id),
            });
        }
    }
    let mut options = Vec::with_capacity(candidates.len());
    for grant in candidates {
        if users::may_grant(db, actor, &grant).await? {
            options.push((grant_value(&grant), describe(state, &grant).await?));
        }
    }
    Ok(options)
}

async fn users_page(
    state: &AppState,
    signed: &Signed,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    signed.require(Action::ManageUsers)?;
    let db = state.db();
    let mut lines = Vec::new();
    for user in accounts::list_users(db).await? {
        let manageable = users::may_manage(db, signed.actor(), user.id).await?;
        if !manageable && user.id != signed.actor().user {
            continue;
        }
        let mut grants = Vec::new();
        let mut grant_items = Vec::new();
        for grant in accounts::grants_of(db, user.id).await? {
            let text = describe(state, &grant).await?;
            grant_items.push((grant_value(&grant), text.clone()));
            grants.push(text);
        }
        let locked = user
            .locked_until
            .is_some_and(|until| until > state.clock().now());
        lines.push(UserLine {
            id: user.id.get(),
            username: user.username,
            display_name: user.display_name,
            grants: grants.join("、"),
            grant_items,
            status: if user.disabled {
                "已停用"
            } else if locked {
                "临时锁定"
            } else if user.must_change_password {
                "待修改初始密码"
            } else {
                "正常"
            },
            manageable: manageable && user.id != signed.actor().user,
        });
    }
    let page = UsersPage {
        nav: Some(Nav::of(signed)),
        csrf: signed.session.csrf_token.clone(),
        users: lines,
        grant_options: grant_options(state, signed).await?,
        notice,
        error,
    };
    Ok(Html(page.render()?))
}

pub async fn users(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Html<String>, WebError> {
    users_page(&state, &signed, None, None).await
}

#[derive(Debug, Deserialize)]
pub struct NewUserForm {
    csrf: String,
    username: String,
    display_name: String,
    grant: String,
}

pub async fn create_user(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<NewUserForm>,
) -> Result<Html<String>, WebError> {
    signed.check_csrf(&form.csrf)?;
    signed.require(Action::ManageUsers)?;
    let Some(grant) = parse_grant(&form.grant) else {
        return users_page(&state, &signed, None, Some("请选择有效的角色与范围".into())).await;
    };
    let result = users::create(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        Some(signed.actor()),
        &NewAccount {
            username: &form.username,
            display_name: &form.display_name,
            password: None,
            grants: &[grant],
        },
    )
    .await;
    match result {
        Ok((_, password)) => {
            let notice = format!(
                "已创建账号 {}。初始密码：{}（只显示这一次，请当面或通过可靠渠道交给本人；首次登录须修改）",
                form.username.trim(),
                password.unwrap_or_default()
            );
            users_page(&state, &signed, Some(notice), None).await
        }
        Err(AppError::Forbidden) => Err(WebError::Forbidden),
        Err(AppError::Store(xiaoyou_store::StoreError::Duplicate { .. })) => {
            users_page(
                &state,
                &signed,
                None,
                Some(format!("用户名 {} 已被使用", form.username.trim())),
            )
            .await
        }
        Err(AppError::Invalid { field, reason }) => {
            users_page(&state, &signed, None, Some(format!("{field}：{reason}"))).await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn reset_password(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Html<String>, WebError> {
    signed.check_csrf(&form.csrf)?;
    signed.require(Action::ManageUsers)?;
    let target = UserId(id);
    let Some(user) = accounts::get_user(state.db(), target).await? else {
        return Err(WebError::NotFound("该账号"));
    };
    // A user outside the manager's scope is answered like one that does not exist.
    if !users::may_manage(state.db(), signed.actor(), target).await?
        || target == signed.actor().user
    {
        return Err(WebError::NotFound("该账号"));
    }
    let password = users::reset_password(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        target,
    )
    .await?;
    let notice = format!(
        "已重置 {} 的密码。临时密码：{}（只显示这一次；登录后须修改）",
        user.username, password
    );
    users_page(&state, &signed, Some(notice), None).await
}

struct AuditLine {
    time: String,
    actor: String,
    action: String,
    target: String,
    changes: String,
    addr: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Option<Nav>,
    scope_label: String,
    /// (code, label, selected)
    actions: Vec<(String, String, bool)>,
    query_actor: String,
    query_target: String,
    query_from: String,
    query_to: String,
    entries: Vec<AuditLine>,
}

fn action_label(action: &str) -> &str {
    match action {
        "login" => "登录",
        "logout" => "退出",
        "login_failed" => "登录失败",
        "account_locked" => "账号锁定",
        "create" => "新建",
        "update" => "修改",
        "delete" => "删除",
        "unmask" => "查看完整个人信息",
        "export" => "导出",
        "reset_password" => "重置密码",
        "change_password" => "修改密码",
        "update_history" => "修改学院简史",
        other => other,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: String,
    /// `YYYY-MM-DD`, Beijing time.
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// Midnight of a Beijing date, in UTC.
fn beijing_midnight(date: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let date = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc() - chrono::Duration::hours(8))
}

/// The schools whose audit rows the actor may read (`None` = all).
pub fn audit_schools(signed: &Signed) -> Option<Vec<SchoolId>> {
    let scope = signed.actor().scope(Action::ViewAudit);
    if scope.all {
        return None;
    }
    // Rows name their school; a college admin's rows about the college carry the school too,
    // so until rows also carry the college, only whole-school scopes read a school's rows.
    Some(scope.schools.iter().copied().collect())
}

pub async fn audit_log(
    State(state): State<AppState>,
    signed: Signed,
    axum::extract::Query(query): axum::extract::Query<AuditQuery>,
) -> Result<Html<String>, WebError> {
    signed.require(Action::ViewAudit)?;
    let schools = audit_schools(&signed);
    let scope_label = if schools.is_none() {
        "全省"
    } else {
        "本单位"
    }
    .to_owned();
    let filter = audit::AuditFilter {
        schools,
        actor: Some(query.actor.clone()),
        action: Some(query.action.clone()),
        target_kind: Some(query.target.clone()),
        since: beijing_midnight(&query.from),
        until: beijing_midnight(&query.to).map(|d| d + chrono::Duration::days(1)),
        limit: 200,
    };
    let entries = audit::search(state.db(), &filter).await?;
    let actions = [
        "login",
        "logout",
        "login_failed",
        "account_locked",
        "create",
        "update",
        "delete",
        "unmask",
        "export",
        "reset_password",
        "change_password",
        "update_history",
    ]
    .iter()
    .map(|code| {
        (
            (*code).to_owned(),
            action_label(code).to_owned(),
            *code == query.action,
        )
    })
    .collect();
    let page = AuditPage {
        nav: Some(Nav::of(&signed)),
        scope_label,
        actions,
        query_actor: query.actor,
        query_target: query.target,
        query_from: query.from,
        query_to: query.to,
        entries: entries
            .into_iter()
            .map(|e| AuditLine {
                time: (e.record.occurred_at + chrono::Duration::hours(8))
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string(),
                actor: e.record.actor_name,
                action: action_label(&e.record.action).to_owned(),
                target: format!(
                    "{} {}",
                    e.record.target_kind,
                    e.record.target_id.unwrap_or_default()
                ),
                changes: e.record.changes.unwrap_or_default(),
                addr: e.record.client_addr.unwrap_or_default(),
            })
            .collect(),
    };
    Ok(Html(page.render()?))
}

#[derive(Debug, Deserialize)]
pub struct GrantForm {
    csrf: String,
    // Optional so that a malformed form is judged by permission first, like any other.
    #[serde(default)]
    grant: String,
    /// `add` or `remove`
    #[serde(default)]
    change: String,
}

/// Gives or takes back one grant of another account within the manager's scope.
pub async fn change_grant(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<GrantForm>,
) -> Result<Html<String>, WebError> {
    signed.check_csrf(&form.csrf)?;
    signed.require(Action::ManageUsers)?;
    let target = UserId(id);
    let Some(user) = accounts::get_user(state.db(), target).await? else {
        return Err(WebError::NotFound("该账号"));
    };
    if target == signed.actor().user
        || !users::may_manage(state.db(), signed.actor(), target).await?
    {
        return Err(WebError::NotFound("该账号"));
    }
    let Some(grant) = parse_grant(&form.grant) else {
        return users_page(&state, &signed, None, Some("请选择有效的角色与范围".into())).await;
    };
    let add = form.change == "add";
    let result = users::change_grant(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        target,
        &grant,
        add,
    )
    .await;
    match result {
        Ok(()) => {
            let what = describe(&state, &grant).await?;
            let notice = if add {
                format!("已为 {} 增加授权：{what}", user.username)
            } else {
                format!("已撤销 {} 的授权：{what}", user.username)
            };
            users_page(&state, &signed, Some(notice), None).await
        }
        Err(AppError::Store(xiaoyou_store::StoreError::Duplicate { .. })) => {
            users_page(
                &state,
                &signed,
                None,
                Some(format!("{} 已有这项授权", user.username)),
            )
            .await
        }
        Err(AppError::Invalid { field, reason }) => {
            users_page(&state, &signed, None, Some(format!("{field}：{reason}"))).await
        }
        Err(other) => Err(other.into()),
    }
}
