//! Sign-in and sign-out. The sign-in form carries a token that must match a cookie set with
//! the form (double submit), so another site cannot sign a visitor in or out.

use crate::AppState;
use crate::error::WebError;
use crate::session::{
    LOGIN_CSRF_COOKIE, SESSION_COOKIE, Signed, client_addr, cookie, set_cookie, tokens_match,
};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use xiaoyou_app::audit::AuditContext;
use xiaoyou_app::auth::LoginError;
use xiaoyou_app::auth::sessions::{self, random_token};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Option<crate::session::Nav>,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only local paths are followed after sign-in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains("://") => {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn login_page(
    state: &AppState,
    next: String,
    username: String,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let csrf = random_token();
    let page = LoginPage {
        nav: None,
        csrf: csrf.clone(),
        next,
        username,
        error,
    };
    let mut response = (status, Html(page.render()?)).into_response();
    response.headers_mut().append(
        SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600, state.secure_cookies()),
    );
    Ok(response)
}

pub async fn form(
    State(state): State<AppState>,
    Query(query): Query<NextQuery>,
) -> Result<Response, WebError> {
    login_page(
        &state,
        safe_next(query.next.as_deref()),
        String::new(),
        None,
        StatusCode::OK,
    )
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    csrf: String,
    next: Option<String>,
    username: String,
    password: String,
}

pub struct LoginRequest {
    headers: HeaderMap,
    client_addr: Option<String>,
    request_id: Option<String>,
}

impl axum::extract::FromRequestParts<AppState> for LoginRequest {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(LoginRequest {
            headers: parts.headers.clone(),
            client_addr: client_addr(parts),
            request_id: parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        })
    }
}

pub async fn submit(
    State(state): State<AppState>,
    request: LoginRequest,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let next = safe_next(form.next.as_deref());
    let expected = cookie(&request.headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if !tokens_match(expected, &form.csrf) {
        return login_page(
            &state,
            next,
            form.username,
            Some(WebError::Csrf.to_string()),
            StatusCode::FORBIDDEN,
        );
    }
    let context = AuditContext {
        client_addr: request.client_addr,
        request_id: request.request_id,
        actor_name: form.username.trim().to_owned(),
        ..AuditContext::default()
    };
    match sessions::login(
        state.db(),
        state.clock(),
        state.policy(),
        &form.username,
        &form.password,
        &context,
    )
    .await
    {
        Ok(outcome) => {
            let target = if outcome.must_change_password {
                "/account/password".to_owned()
            } else {
                next
            };
            let mut response = Redirect::to(&target).into_response();
            let max_age = state.policy().absolute.num_seconds();
            let headers = response.headers_mut();
            headers.append(
                SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    &outcome.token,
                    max_age,
                    state.secure_cookies(),
                ),
            );
            headers.append(
                SET_COOKIE,
                set_cookie(LOGIN_CSRF_COOKIE, "", 0, state.secure_cookies()),
            );
            Ok(response)
        }
        Err(LoginError::App(error)) => Err(error.into()),
        Err(refused) => {
            let status = match refused {
                LoginError::AccountLocked { .. } | LoginError::AddressBlocked { .. } => {
                    StatusCode::TOO_MANY_REQUESTS
                }
                _ => StatusCode::UNAUTHORIZED,
            };
            login_page(
                &state,
                next,
                form.username,
                Some(refused.to_string()),
                status,
            )
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    sessions::logout(
        state.db(),
        state.clock(),
        &signed.session,
        &signed.audit_context(),
    )
    .await?;
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, state.secure_cookies()),
    );
    Ok(response)
}
