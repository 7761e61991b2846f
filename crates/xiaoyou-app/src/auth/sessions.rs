//! Sessions are random tokens; only their SHA-256 is stored, so a copy of the database does
//! not let anyone sign in, and every instance behind a load balancer sees the same sessions.

use super::passwords;
use crate::audit::{self, AuditContext, Event};
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use thiserror::Error;
use xiaoyou_core::{Actor, Clock, OrgNode, Scope, UserId};
use xiaoyou_store::{Db, accounts};

/// Timeouts and limits of signing in.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in, used or not.
    pub absolute: Duration,
    /// Consecutive failures that lock an account.
    pub max_account_failures: i32,
    pub lockout: Duration,
    /// Failures from one address within `address_window` that block it.
    pub max_address_failures: i64,
    pub address_window: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
            max_account_failures: 5,
            lockout: Duration::minutes(15),
            max_address_failures: 30,
            address_window: Duration::minutes(15),
        }
    }
}

#[derive(Debug, Error)]
pub enum LoginError {
    #[error("用户名或密码错误")]
    BadCredentials,
    #[error("登录失败次数过多，账号已临时锁定，请 {minutes} 分钟后再试")]
    AccountLocked { minutes: i64 },
    #[error("该网络地址登录失败次数过多，请 {minutes} 分钟后再试")]
    AddressBlocked { minutes: i64 },
    #[error("账号已停用，请联系管理员")]
    Disabled,
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<xiaoyou_store::StoreError> for LoginError {
    fn from(error: xiaoyou_store::StoreError) -> Self {
        LoginError::App(AppError::Store(error))
    }
}

#[derive(Debug, Clone)]
pub struct LoginOutcome {
    /// The raw token for the cookie; only its hash is stored.
    pub token: String,
    pub csrf_token: String,
    pub user: UserId,
    pub must_change_password: bool,
}

/// A signed-in request: who, and the session's CSRF token for its forms.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub actor: Actor,
    pub csrf_token: String,
    pub token_hash: String,
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn minutes_until(until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    ((until - now).num_seconds() + 59).max(60) / 60
}

pub async fn login(
    db: &Db,
    clock: &dyn Clock,
    policy: &SessionPolicy,
    username: &str,
    password: &str,
    context: &AuditContext,
) -> Result<LoginOutcome, LoginError> {
    let now = clock.now();
    let username = username.trim();
    let address = context
        .client_addr
        .clone()
        .unwrap_or_else(|| "unknown".to_owned());
    let window_start = now - policy.address_window;
    if accounts::failures_from(db, &address, window_start).await? >= policy.max_address_failures {
        return Err(LoginError::AddressBlocked {
            minutes: policy.address_window.num_minutes(),
        });
    }
    let Some(user) = accounts::find_user(db, username).await? else {
        // Same work as for a real account, so timing does not reveal which names exist.
        let _ = passwords::verify(password, &passwords::decoy_hash().await).await;
        accounts::record_attempt(db, username, &address, false, now).await?;
        return Err(LoginError::BadCredentials);
    };
    if let Some(until) = user.locked_until.filter(|until| *until > now) {
        accounts::record_attempt(db, username, &address, false, now).await?;
        return Err(LoginError::AccountLocked {
            minutes: minutes_until(until, now),
        });
    }
    if !passwords::verify(password, &user.password_hash).await {
        let locks = user.failed_logins + 1 >= policy.max_account_failures;
        let lock_until = locks.then(|| now + policy.lockout);
        let mut tx = db.begin().await?;
        accounts::record_failure(&mut tx, user.id, lock_until).await?;
        let event = Event {
            action: if locks {
                "account_locked"
            } else {
                "login_failed"
            },
            target_kind: "user",
            target_id: Some(user.id.to_string()),
            school: None,
            changes: None,
        };
        audit::write(&mut tx, context, event, now).await?;
        tx.commit().await?;
        accounts::record_attempt(db, username, &address, false, now).await?;
        return Err(match lock_until {
            Some(until) => LoginError::AccountLocked {
                minutes: minutes_until(until, now),
            },
            None => LoginError::BadCredentials,
        });
    }
    if user.disabled {
        accounts::record_attempt(db, username, &address, false, now).await?;
        return Err(LoginError::Disabled);
    }
    let token = random_token();
    let csrf_token = random_token();
    let mut tx = db.begin().await?;
    accounts::clear_failures(&mut tx, user.id).await?;
    accounts::insert_session(
        &mut tx,
        &token_hash(&token),
        user.id,
        &csrf_token,
        now,
        now + policy.absolute,
        context.client_addr.as_deref(),
    )
    .await?;
    let mut signed_in = context.clone();
    signed_in.actor_user_id = Some(user.id.get());
    signed_in.actor_name = user.username.clone();
    let event = Event {
        action: "login",
        target_kind: "user",
        target_id: Some(user.id.to_string()),
        school: None,
        changes: None,
    };
    audit::write(&mut tx, &signed_in, event, now).await?;
    tx.commit().await?;
    accounts::record_attempt(db, username, &address, true, now).await?;
    Ok(LoginOutcome {
        token,
        csrf_token,
        user: user.id,
        must_change_password: user.must_change_password,
    })
}

/// The actor behind a session token, or `None` when the session is unknown, idle too long,
/// past its absolute limit, or its account is disabled.
pub async fn authenticate(
    db: &Db,
    clock: &dyn Clock,
    policy: &SessionPolicy,
    token: &str,
) -> Result<Option<Authenticated>, AppError> {
    let now = clock.now();
    let hash = token_hash(token);
    let Some(session) = accounts::get_session(db, &hash).await? else {
        return Ok(None);
    };
    if now >= session.expires_at || now - session.last_seen_at >= policy.idle {
        accounts::delete_session(db, &hash).await?;
        return Ok(None);
    }
    if now - session.last_seen_at >= Duration::seconds(60) {
        accounts::touch_session(db, &hash, now).await?;
    }
    let Some(user) = accounts::get_user(db, session.user).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    Ok(Some(Authenticated {
        actor: actor_for(
            db,
            user.id,
            user.username,
            user.display_name,
            user.must_change_password,
        )
        .await?,
        csrf_token: session.csrf_token,
        token_hash: hash,
    }))
}

/// Builds an actor with every grant resolved against the current organisation tree.
pub async fn actor_for(
    db: &Db,
    user: UserId,
    username: String,
    display_name: String,
    must_change_password: bool,
) -> Result<Actor, AppError> {
    let grants = accounts::grants_of(db, user).await?;
    let mut resolved: HashMap<OrgNode, Scope> = HashMap::new();
    for grant in &grants {
        if let std::collections::hash_map::Entry::Vacant(slot) = resolved.entry(grant.node) {
            slot.insert(accounts::resolve_scope(db, &grant.node).await?);
        }
    }
    Ok(Actor::new(
        user,
        username,
        display_name,
        grants,
        must_change_password,
        |node| resolved.get(node).cloned().unwrap_or_default(),
    ))
}

pub async fn logout(
    db: &Db,
    clock: &dyn Clock,
    session: &Authenticated,
    context: &AuditContext,
) -> Result<(), AppError> {
    accounts::delete_session(db, &session.token_hash).await?;
    let mut tx = db.begin().await?;
    let event = Event {
        action: "logout",
        target_kind: "user",
        target_id: Some(session.actor.user.to_string()),
        school: None,
        changes: None,
    };
    audit::write(&mut tx, context, event, clock.now()).await?;
    tx.commit().await?;
    Ok(())
}
