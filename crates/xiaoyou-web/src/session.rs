//! The signed-in user on every request: session cookie → [`Authenticated`], CSRF checks for
//! forms, the client address and request id for audit rows.

use crate::AppState;
use crate::error::WebError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;
use xiaoyou_app::audit::AuditContext;
use xiaoyou_app::auth::sessions::{self, Authenticated};
use xiaoyou_core::{Action, Actor};

pub const SESSION_COOKIE: &str = "xy_session";
pub const LOGIN_CSRF_COOKIE: &str = "xy_login";

/// Reads one cookie's value from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure when configured.
pub fn set_cookie(name: &str, value: &str, max_age_seconds: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Constant-time comparison of two tokens.
pub fn tokens_match(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !a.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The client's address as the server saw it.
pub fn client_addr(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

/// A signed-in request.
pub struct Signed {
    pub session: Authenticated,
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
    /// A one-time message left by the previous form's redirect.
    pub flash: Option<crate::flash::Flash>,
}

impl Signed {
    pub fn actor(&self) -> &Actor {
        &self.session.actor
    }

    pub fn audit_context(&self) -> AuditContext {
        AuditContext::for_actor(
            &self.session.actor,
            self.request_id.clone(),
            self.client_addr.clone(),
        )
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), WebError> {
        if tokens_match(&self.session.csrf_token, submitted) {
            Ok(())
        } else {
            Err(WebError::Csrf)
        }
    }

    pub fn require(&self, action: Action) -> Result<(), WebError> {
        if self.actor().may(action) {
            Ok(())
        } else {
            Err(WebError::Forbidden)
        }
    }
}

/// Why a request has no signed-in user: it is sent to the sign-in page.
pub struct NotSignedIn {
    next: String,
}

impl IntoResponse for NotSignedIn {
    fn into_response(self) -> Response {
        let next: String = self
            .next
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "/-_?=&".contains(*c))
            .collect();
        Redirect::to(&format!(
            "/login?next={}",
            next.replace('&', "%26").replace('?', "%3F")
        ))
        .into_response()
    }
}

pub enum SignedRejection {
    NotSignedIn(NotSignedIn),
    MustChangePassword,
    Error(WebError),
}

impl IntoResponse for SignedRejection {
    fn into_response(self) -> Response {
        match self {
            SignedRejection::NotSignedIn(not) => not.into_response(),
            SignedRejection::MustChangePassword => {
                Redirect::to("/account/password").into_response()
            }
            SignedRejection::Error(error) => error.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = SignedRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let next = parts.uri.path().to_owned();
        let not_signed_in = || SignedRejection::NotSignedIn(NotSignedIn { next: next.clone() });
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(not_signed_in)?;
        let signed = signed_by_token(parts, state, token)
            .await
            .map_err(SignedRejection::Error)?
            .ok_or_else(not_signed_in)?;
        let path = parts.uri.path();
        if signed.actor().must_change_password && path != "/account/password" && path != "/logout" {
            return Err(SignedRejection::MustChangePassword);
        }
        Ok(signed)
    }
}

/// The signed-in request behind a session token, if the session is alive.
pub async fn signed_by_token(
    parts: &Parts,
    state: &AppState,
    token: &str,
) -> Result<Option<Signed>, WebError> {
    let Some(session) = sessions::authenticate(state.db(), state.clock(), state.policy(), token)
        .await
        .map_err(WebError::App)?
    else {
        return Ok(None);
    };
    Ok(Some(Signed {
        session,
        client_addr: client_addr(parts),
        request_id: parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        flash: crate::flash::Flash::from_headers(&parts.headers),
    }))
}

/// Menu entries shown to a signed-in user, with the CSRF token for the sign-out form.
#[derive(Debug, Clone)]
pub struct Nav {
    pub display_name: String,
    pub role: String,
    pub csrf: String,
    pub overview: bool,
    pub manage_users: bool,
    pub audit: bool,
    /// May decide whether records are the same person (the review queue).
    pub identity: bool,
    /// The one-time message to show at the top of this page.
    pub flash: Option<crate::flash::Flash>,
    /// The user's own node of the organisation tree when there is exactly one (本校, 本院, 本班).
    pub unit: Option<(String, &'static str)>,
}

impl Nav {
    pub fn of(signed: &Signed) -> Nav {
        let actor = signed.actor();
        Nav {
            display_name: actor.display_name.clone(),
            role: actor
                .primary_role()
                .map(|r| r.label().to_owned())
                .unwrap_or_default(),
            csrf: signed.session.csrf_token.clone(),
            overview: !actor.scope(Action::View).is_empty(),
            manage_users: actor.may(Action::ManageUsers),
            audit: actor.may(Action::ViewAudit),
            identity: actor.may(Action::Edit),
            flash: signed.flash.clone(),
            unit: own_unit(actor),
        }
    }
}

/// A link to the one school, college or class the actor's grants name, if there is just one.
fn own_unit(actor: &Actor) -> Option<(String, &'static str)> {
    use xiaoyou_core::OrgNode;
    let mut units = actor.grants.iter().filter_map(|grant| match grant.node {
        OrgNode::School(id) => Some((format!("/schools/{id}"), "本校")),
        OrgNode::College(id) => Some((format!("/colleges/{id}"), "本院")),
        OrgNode::Class(id) => Some((format!("/classes/{id}"), "本班")),
        _ => None,
    });
    let first = units.next()?;
    units.all(|other| other.0 == first.0).then_some(first)
}
