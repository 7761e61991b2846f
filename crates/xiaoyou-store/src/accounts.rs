//! Accounts, their grants on the organisation tree, sessions and login attempts.

use crate::db::{Db, Tx};
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use xiaoyou_core::{ClassId, CollegeId, Grant, OrgNode, PersonId, Role, SchoolId, Scope, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub must_change_password: bool,
    pub disabled: bool,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub user: UserId,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

type UserRow = (
    i64,
    String,
    String,
    String,
    bool,
    bool,
    i32,
    Option<DateTime<Utc>>,
);

fn decode_user(row: UserRow) -> UserRecord {
    let (
        id,
        username,
        display_name,
        password_hash,
        must_change_password,
        disabled,
        failed_logins,
        locked_until,
    ) = row;
    UserRecord {
        id: UserId(id),
        username,
        display_name,
        password_hash,
        must_change_password,
        disabled,
        failed_logins,
        locked_until,
    }
}

macro_rules! select_user {
    () => {
        "SELECT id, username, display_name, password_hash, must_change_password, disabled, failed_logins,
            locked_until FROM users"
    };
}

pub async fn insert_user(
    tx: &mut Tx,
    username: &str,
    display_name: &str,
    password_hash: &str,
    must_change_password: bool,
) -> StoreResult<UserId> {
    let now = Utc::now();
    let id: i64 = on_tx!(tx, |conn| {
        sqlx::query_scalar(
        "INSERT INTO users (username, display_name, password_hash, must_change_password, disabled,
             failed_logins, created_at, updated_at)
         VALUES ($1, $2, $3, $4, false, 0, $5, $5) RETURNING id"
    )
    .bind(username)
    .bind(display_name)
    .bind(password_hash)
    .bind(must_change_password)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("新建账号", "用户名"))?
    });
    Ok(UserId(id))
}

pub async fn get_user(db: &Db, id: UserId) -> StoreResult<Option<UserRecord>> {
    let row: Option<UserRow> = on_db!(db, |pool| sqlx::query_as(concat!(
        select_user!(),
        " WHERE id = $1"
    ))
    .bind(id.get())
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取账号", "账号"))?);
    Ok(row.map(decode_user))
}

pub async fn find_user(db: &Db, username: &str) -> StoreResult<Option<UserRecord>> {
    let row: Option<UserRow> = on_db!(db, |pool| sqlx::query_as(concat!(
        select_user!(),
        " WHERE username = $1"
    ))
    .bind(username)
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取账号", "账号"))?);
    Ok(row.map(decode_user))
}

pub async fn list_users(db: &Db) -> StoreResult<Vec<UserRecord>> {
    let rows: Vec<UserRow> = on_db!(db, |pool| sqlx::query_as(concat!(
        select_user!(),
        " ORDER BY id"
    ))
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取账号", "账号"))?);
    Ok(rows.into_iter().map(decode_user).collect())
}

/// Counts a failed sign-in and, when `lock_until` is given, locks the account until then.
pub async fn record_failure(
    tx: &mut Tx,
    user: UserId,
    lock_until: Option<DateTime<Utc>>,
) -> StoreResult<()> {
    on_tx!(tx, |conn| {
        sqlx::query(
        "UPDATE users SET failed_logins = failed_logins + 1, locked_until = COALESCE($2, locked_until),
             updated_at = $3 WHERE id = $1"
    )
    .bind(user.get())
    .bind(lock_until)
    .bind(Utc::now())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("记录登录失败", "账号"))?
    });
    Ok(())
}

pub async fn clear_failures(tx: &mut Tx, user: UserId) -> StoreResult<()> {
    on_tx!(tx, |conn| sqlx::query(
        "UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = $2 WHERE id = $1"
    )
    .bind(user.get())
    .bind(Utc::now())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("清除登录失败记录", "账号"))?);
    Ok(())
}

pub async fn set_password(
    tx: &mut Tx,
    user: UserId,
    password_hash: &str,
    must_change: bool,
) -> StoreResult<()> {
    let done = on_tx!(tx, |conn| sqlx::query(
        "UPDATE users SET password_hash = $2, must_change_password = $3, failed_logins = 0,
             locked_until = NULL, updated_at = $4 WHERE id = $1"
    )
    .bind(user.get())
    .bind(password_hash)
    .bind(must_change)
    .bind(Utc::now())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("设置密码", "账号"))?);
    if done == 0 {
        return Err(StoreError::NotFound { what: "账号" });
    }
    Ok(())
}

// ---------------------------------------------------------------- grants

pub async fn insert_grant(
    tx: &mut Tx,
    user: UserId,
    grant: &Grant,
    granted_by: Option<UserId>,
) -> StoreResult<()> {
    on_tx!(tx, |conn| sqlx::query(
        "INSERT INTO grants (user_id, role, node_kind, node_id, granted_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(user.get())
    .bind(grant.role.code())
    .bind(grant.node.kind())
    .bind(grant.node.id())
    .bind(granted_by.map(UserId::get))
    .bind(Utc::now())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("授予角色", "相同的授权"))?);
    Ok(())
}

pub async fn delete_grant(tx: &mut Tx, user: UserId, grant: &Grant) -> StoreResult<bool> {
    let done = on_tx!(tx, |conn| {
        sqlx::query(
        "DELETE FROM grants WHERE user_id = $1 AND role = $2 AND node_kind = $3 AND node_id = $4"
    )
    .bind(user.get())
    .bind(grant.role.code())
    .bind(grant.node.kind())
    .bind(grant.node.id())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("撤销角色", "授权"))?
    });
    Ok(done > 0)
}

pub async fn grants_of(db: &Db, user: UserId) -> StoreResult<Vec<Grant>> {
    let rows: Vec<(String, String, i64)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT role, node_kind, node_id FROM grants WHERE user_id = $1 ORDER BY id"
    )
    .bind(user.get())
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取授权", "授权"))?);
    rows.into_iter()
        .map(|(role, kind, id)| {
            let corrupt = |detail: String| StoreError::Corrupt {
                table: "grants",
                id,
                detail,
            };
            Ok(Grant {
                role: Role::parse(&role).map_err(|e| corrupt(e.to_string()))?,
                node: OrgNode::from_parts(&kind, id)
                    .ok_or_else(|| corrupt(format!("未知节点类型 {kind}")))?,
            })
        })
        .collect()
}

/// What a node covers, in concrete schools, colleges, classes and persons.
pub async fn resolve_scope(db: &Db, node: &OrgNode) -> StoreResult<Scope> {
    let mut scope = Scope::default();
    let fail = || StoreError::query("解析授权范围", "授权范围");
    match node {
        OrgNode::Province(_) => scope.all = true,
        OrgNode::City(code) => {
            let ids: Vec<i64> = on_db!(db, |pool| sqlx::query_scalar(
                "SELECT id FROM schools WHERE city_code = $1"
            )
            .bind(i32::try_from(code.get()).unwrap_or(i32::MAX))
            .fetch_all(pool)
            .await
            .map_err(fail())?);
            scope.schools.extend(ids.into_iter().map(SchoolId));
        }
        OrgNode::Department(department) => {
            let ids: Vec<i64> = on_db!(db, |pool| sqlx::query_scalar(
                "SELECT id FROM schools WHERE department_id = $1"
            )
            .bind(department.get())
            .fetch_all(pool)
            .await
            .map_err(fail())?);
            scope.schools.extend(ids.into_iter().map(SchoolId));
        }
        OrgNode::School(school) => {
            scope.schools.insert(*school);
        }
        OrgNode::College(college) => {
            scope.colleges.insert(*college);
        }
        OrgNode::Class(class) => {
            scope.classes.insert(*class);
        }
        OrgNode::Person(person) => {
            scope.persons.insert(*person);
        }
    }
    Ok(scope)
}

/// The school a node belongs to, if it lies within one (for audit rows and grant checks).
pub async fn school_of_node(db: &Db, node: &OrgNode) -> StoreResult<Option<SchoolId>> {
    let fail = || StoreError::query("查找节点所属学校", "节点");
    let id: Option<i64> = match node {
        OrgNode::School(school) => Some(school.get()),
        OrgNode::College(CollegeId(id)) => on_db!(db, |pool| sqlx::query_scalar(
            "SELECT school_id FROM colleges WHERE id = $1"
        )
        .bind(*id)
        .fetch_optional(pool)
        .await
        .map_err(fail())?),
        OrgNode::Class(ClassId(id)) => on_db!(db, |pool| sqlx::query_scalar(
            "SELECT school_id FROM classes WHERE id = $1"
        )
        .bind(*id)
        .fetch_optional(pool)
        .await
        .map_err(fail())?),
        OrgNode::Person(PersonId(id)) => on_db!(db, |pool| sqlx::query_scalar(
            "SELECT school_id FROM study_records WHERE person_id = $1 ORDER BY id LIMIT 1"
        )
        .bind(*id)
        .fetch_optional(pool)
        .await
        .map_err(fail())?),
        _ => None,
    };
    Ok(id.map(SchoolId))
}

// ---------------------------------------------------------------- sessions

pub async fn insert_session(
    tx: &mut Tx,
    token_hash: &str,
    user: UserId,
    csrf_token: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    client_addr: Option<&str>,
) -> StoreResult<()> {
    on_tx!(tx, |conn| {
        sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, client_addr)
         VALUES ($1, $2, $3, $4, $4, $5, $6)"
    )
    .bind(token_hash)
    .bind(user.get())
    .bind(csrf_token)
    .bind(now)
    .bind(expires_at)
    .bind(client_addr)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("新建会话", "会话"))?
    });
    Ok(())
}

pub async fn get_session(db: &Db, token_hash: &str) -> StoreResult<Option<SessionRecord>> {
    type Row = (i64, String, DateTime<Utc>, DateTime<Utc>, DateTime<Utc>);
    let row: Option<Row> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT user_id, csrf_token, created_at, last_seen_at, expires_at FROM sessions WHERE token_hash = $1"
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取会话", "会话"))?
    });
    Ok(row.map(
        |(user, csrf_token, created_at, last_seen_at, expires_at)| SessionRecord {
            user: UserId(user),
            csrf_token,
            created_at,
            last_seen_at,
            expires_at,
        },
    ))
}

pub async fn touch_session(db: &Db, token_hash: &str, now: DateTime<Utc>) -> StoreResult<()> {
    on_db!(db, |pool| sqlx::query(
        "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1"
    )
    .bind(token_hash)
    .bind(now)
    .execute(pool)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("更新会话", "会话"))?);
    Ok(())
}

pub async fn delete_session(db: &Db, token_hash: &str) -> StoreResult<()> {
    on_db!(db, |pool| sqlx::query(
        "DELETE FROM sessions WHERE token_hash = $1"
    )
    .bind(token_hash)
    .execute(pool)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("删除会话", "会话"))?);
    Ok(())
}

/// Ends every session of a user (after a password change or reset).
pub async fn delete_sessions_of(tx: &mut Tx, user: UserId) -> StoreResult<u64> {
    on_tx!(tx, |conn| sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1"
    )
    .bind(user.get())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("删除会话", "会话")))
}

// ---------------------------------------------------------------- login attempts

pub async fn record_attempt(
    db: &Db,
    username: &str,
    client_addr: &str,
    succeeded: bool,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    on_db!(db, |pool| {
        sqlx::query(
        "INSERT INTO login_attempts (username, client_addr, succeeded, attempted_at) VALUES ($1, $2, $3, $4)"
    )
    .bind(username)
    .bind(client_addr)
    .bind(succeeded)
    .bind(at)
    .execute(pool)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("记录登录尝试", "登录尝试"))?
    });
    Ok(())
}

/// Failed attempts from one client address since a moment.
pub async fn failures_from(db: &Db, client_addr: &str, since: DateTime<Utc>) -> StoreResult<i64> {
    on_db!(db, |pool| {
        sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_attempts WHERE client_addr = $1 AND NOT succeeded AND attempted_at >= $2"
    )
    .bind(client_addr)
    .bind(since)
    .fetch_one(pool)
    .await
    .map_err(StoreError::query("统计登录失败", "登录尝试"))
    })
}
