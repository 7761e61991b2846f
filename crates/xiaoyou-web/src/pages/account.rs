//! The signed-in user's own password, including the forced change after a reset.

use crate::AppState;
use crate::error::WebError;
use crate::session::{Nav, SESSION_COOKIE, Signed, set_cookie};
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use xiaoyou_app::AppError;
use xiaoyou_app::auth::users;

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    nav: Option<Nav>,
    csrf: String,
    forced: bool,
    error: Option<String>,
}

fn page(signed: &Signed, error: Option<String>) -> Result<String, WebError> {
    let forced = signed.actor().must_change_password;
    Ok(PasswordPage {
        nav: (!forced).then(|| Nav::of(signed)),
        csrf: signed.session.csrf_token.clone(),
        forced,
        error,
    }
    .render()?)
}

pub async fn form(signed: Signed) -> Result<Html<String>, WebError> {
    Ok(Html(page(&signed, None)?))
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
}

pub async fn submit(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<PasswordForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    let result = users::change_password(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        &form.current,
        &form.new,
    )
    .await;
    match result {
        Ok(()) => {
            let mut response = Redirect::to("/login").into_response();
            response.headers_mut().append(
                SET_COOKIE,
                set_cookie(SESSION_COOKIE, "", 0, state.secure_cookies()),
            );
            Ok(response)
        }
        Err(AppError::Invalid { field, reason }) => {
            let body = page(&signed, Some(format!("{field}：{reason}")))?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(body)).into_response())
        }
        Err(other) => Err(other.into()),
    }
}
