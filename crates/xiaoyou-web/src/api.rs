//! The JSON API under `/api/v1`: the same use cases and the same scope checks as the pages.
//! Clients sign in with `POST /api/v1/session` and send `Authorization: Bearer <token>`;
//! bearer tokens are never sent by browsers on their own, so no CSRF token is needed here.

pub mod search;

use crate::AppState;
use crate::error::WebError;
use crate::pages::{self, person_in_scope};
use crate::session::{Signed, signed_by_token};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use xiaoyou_app::audit::AuditContext;
use xiaoyou_app::auth::LoginError;
use xiaoyou_app::auth::sessions;
use xiaoyou_app::auth::users::{self, NewAccount};
use xiaoyou_core::{Action, ContactKind, Grant, OrgNode, PersonId, Role, UserId};
use xiaoyou_store::{accounts, audit, org, people, stats};

/// Every API failure: a status, a stable code and a Chinese message.
pub struct ApiError(WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(error: E) -> Self {
        ApiError(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        if status.is_server_error() {
            tracing::error!(code = self.0.code(), error = %self.0, "接口请求失败");
        }
        let message = match &self.0 {
            WebError::Store(_) | WebError::Render(_) => "服务器处理请求时出错，已记录".to_owned(),
            other => other.to_string(),
        };
        (
            status,
            Json(json!({ "code": self.0.code(), "message": message })),
        )
            .into_response()
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// A request signed with a bearer token.
pub struct Bearer(Signed);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized = |message: &str| {
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                Json(json!({ "code": "unauthorized", "message": message })),
            )
                .into_response()
        };
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| unauthorized("请先登录：在 Authorization 头中提供 Bearer 令牌"))?;
        let signed = signed_by_token(parts, state, token)
            .await
            .map_err(|e| ApiError(e).into_response())?
            .ok_or_else(|| unauthorized("令牌无效或已过期，请重新登录"))?;
        if signed.actor().must_change_password && parts.uri.path() != "/api/v1/session" {
            return Err((
                StatusCode::FORBIDDEN,
                Json(json!({ "code": "password_change_required", "message": "请先在网页上修改初始密码" })),
            )
                .into_response());
        }
        Ok(Bearer(signed))
    }
}

/// Unknown API paths answer in JSON like every other API error.
pub fn not_found() -> Response {
    ApiError(WebError::NotFound("该接口")).into_response()
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/session", post(sign_in).delete(sign_out))
        .route("/api/v1/me", get(me))
        .route("/api/v1/schools", get(schools))
        .route("/api/v1/schools/{id}", get(school))
        .route("/api/v1/classes/{id}/register", get(register))
        .route("/api/v1/persons/{id}", get(person))
        .route("/api/v1/persons/{id}/unmask", post(unmask))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}/reset-password", post(reset_password))
        .route("/api/v1/audit", get(audit_log))
}

#[derive(Debug, Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

#[derive(Debug, Serialize)]
struct SessionOut {
    token: String,
    must_change_password: bool,
    expires_in_seconds: i64,
}

async fn sign_in(
    State(state): State<AppState>,
    parts: Parts,
    Json(credentials): Json<Credentials>,
) -> Response {
    let context = AuditContext {
        actor_name: credentials.username.trim().to_owned(),
        client_addr: crate::session::client_addr(&parts),
        request_id: parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        ..AuditContext::default()
    };
    match sessions::login(
        state.db(),
        state.clock(),
        state.policy(),
        &credentials.username,
        &credentials.password,
        &context,
    )
    .await
    {
        Ok(outcome) => Json(SessionOut {
            token: outcome.token,
            must_change_password: outcome.must_change_password,
            expires_in_seconds: state.policy().absolute.num_seconds(),
        })
        .into_response(),
        Err(LoginError::App(error)) => ApiError::from(error).into_response(),
        Err(refused) => {
            let (status, code) = match refused {
                LoginError::AccountLocked { .. } => {
                    (StatusCode::TOO_MANY_REQUESTS, "account_locked")
                }
                LoginError::AddressBlocked { .. } => {
                    (StatusCode::TOO_MANY_REQUESTS, "address_blocked")
                }
                LoginError::Disabled => (StatusCode::FORBIDDEN, "disabled"),
                _ => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            };
            (
                status,
                Json(json!({ "code": code, "message": refused.to_string() })),
            )
                .into_response()
        }
    }
}

async fn sign_out(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
) -> Result<StatusCode, ApiError> {
    sessions::logout(
        state.db(),
        state.clock(),
        &signed.session,
        &signed.audit_context(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize)]
struct GrantOut {
    role: &'static str,
    role_label: &'static str,
    node_kind: &'static str,
    node_id: i64,
}

fn grant_out(grant: &Grant) -> GrantOut {
    GrantOut {
        role: grant.role.code(),
        role_label: grant.role.label(),
        node_kind: grant.node.kind(),
        node_id: grant.node.id(),
    }
}

async fn me(Bearer(signed): Bearer) -> ApiResult<serde_json::Value> {
    let actor = signed.actor();
    Ok(Json(json!({
        "id": actor.user.get(),
        "username": actor.username,
        "display_name": actor.display_name,
        "grants": actor.grants.iter().map(grant_out).collect::<Vec<_>>(),
    })))
}

#[derive(Debug, Serialize)]
struct SchoolOut {
    id: i64,
    name: String,
    kind: &'static str,
    kind_label: &'static str,
    city_code: u32,
    study_records: i64,
}

async fn schools(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
) -> ApiResult<Vec<SchoolOut>> {
    let counts: std::collections::HashMap<_, _> = stats::records_per_school(state.db())
        .await?
        .into_iter()
        .collect();
    Ok(Json(
        xiaoyou_app::access::visible_schools(state.db(), signed.actor())
            .await?
            .into_iter()
            .map(|s| SchoolOut {
                id: s.id.get(),
                kind: s.kind.code(),
                kind_label: s.kind.label(),
                city_code: s.city.get(),
                study_records: counts.get(&s.id).copied().unwrap_or(0),
                name: s.name,
            })
            .collect(),
    ))
}

async fn school(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
    Path(id): Path<i64>,
) -> ApiResult<serde_json::Value> {
    let school = pages::visible_school(&state, signed.actor(), id).await?;
    let breakdown = stats::school_breakdown(state.db(), school.id, 10).await?;
    let colleges = org::list_colleges(state.db(), school.id).await?;
    Ok(Json(json!({
        "id": school.id.get(),
        "name": school.name,
        "kind": school.kind.code(),
        "city_code": school.city.get(),
        "study_records": breakdown.study_records,
        "by_graduation_year": breakdown.by_graduation_year,
        "top_cities": breakdown.top_cities,
        "colleges": colleges.iter().map(|c| json!({ "id": c.id.get(), "name": c.name })).collect::<Vec<_>>(),
    })))
}

async fn register(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
    Path(id): Path<i64>,
) -> ApiResult<serde_json::Value> {
    let class = pages::visible_class(&state, signed.actor(), id).await?;
    let entries = people::class_register(state.db(), class.id).await?;
    Ok(Json(json!({
        "class": { "id": class.id.get(), "name": class.name, "enrolment_year": class.enrolment_year, "graduation_year": class.graduation_year },
        "entries": entries.iter().map(|e| json!({
            "person_id": e.person.get(),
            "name": e.name,
            "gender": e.gender.map(|g| g.label()),
            "student_no": e.student_no,
            "mobile": e.mobile.as_deref().map(|m| ContactKind::Mobile.mask(m)),
            "employer": e.employer,
            "title": e.title,
            "city": e.city,
        })).collect::<Vec<_>>(),
    })))
}

async fn person_json(
    state: &AppState,
    signed: &Signed,
    person: PersonId,
    id_card: Option<String>,
) -> Result<serde_json::Value, ApiError> {
    if !person_in_scope(state, signed.actor(), Action::View, person).await? {
        return Err(ApiError(WebError::NotFound("该校友")));
    }
    let record = people::get_person(state.db(), person)
        .await?
        .ok_or(ApiError(WebError::NotFound("该校友")))?;
    let shared = pages::person::details_shared(state, signed.actor(), person).await?;
    let unmasked = id_card.is_some();
    let records = people::study_records_of_person(state.db(), person).await?;
    let contacts = if shared {
        people::contacts_of_person(state.db(), person).await?
    } else {
        Vec::new()
    };
    Ok(json!({
        "id": record.id.get(),
        "name": record.name,
        "gender": record.gender.map(|g| g.label()),
        "birth_year_month": record.birth_date.map(|d| d.format("%Y-%m").to_string()),
        "current_city": record.current_city,
        "details_shared": shared,
        "id_card": if shared { id_card.or(record.id_card_masked) } else { None },
        "unmasked": unmasked,
        "study_records": records.iter().map(|r| json!({
            "school_id": r.school.get(),
            "school": r.school_name,
            "college": r.college_name,
            "major": r.major_name,
            "class_id": r.class.map(|c| c.get()),
            "class": r.class_name,
            "level": r.level.code(),
            "enrolment_year": r.enrolment_year,
            "graduation_year": r.graduation_year,
            "source": r.source_ref.clone().unwrap_or_else(|| r.source_label.clone()),
        })).collect::<Vec<_>>(),
        "contacts": contacts.iter().map(|c| json!({
            "kind": c.kind.code(),
            "value": if unmasked { c.value.clone() } else { c.kind.mask(&c.value) },
            "source": c.source_label,
            "observed_on": c.observed_on,
            "verified": c.verified,
        })).collect::<Vec<_>>(),
    }))
}

async fn person(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
    Path(id): Path<i64>,
) -> ApiResult<serde_json::Value> {
    Ok(Json(
        person_json(&state, &signed, PersonId(id), None).await?,
    ))
}

async fn unmask(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
    Path(id): Path<i64>,
) -> ApiResult<serde_json::Value> {
    let person = PersonId(id);
    let id_card = pages::person::reveal(&state, &signed, person).await?;
    Ok(Json(
        person_json(
            &state,
            &signed,
            person,
            Some(id_card.unwrap_or_else(|| "未登记".to_owned())),
        )
        .await?,
    ))
}

async fn list_users(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
) -> ApiResult<Vec<serde_json::Value>> {
    signed.require(Action::ManageUsers)?;
    let mut out = Vec::new();
    for user in accounts::list_users(state.db()).await? {
        if user.id != signed.actor().user
            && !users::may_manage(state.db(), signed.actor(), user.id).await?
        {
            continue;
        }
        let grants = accounts::grants_of(state.db(), user.id).await?;
        out.push(json!({
            "id": user.id.get(),
            "username": user.username,
            "display_name": user.display_name,
            "must_change_password": user.must_change_password,
            "grants": grants.iter().map(grant_out).collect::<Vec<_>>(),
        }));
    }
    Ok(Json(out))
}

#[derive(Debug, Deserialize)]
struct GrantIn {
    role: String,
    node_kind: String,
    node_id: i64,
}

#[derive(Debug, Deserialize)]
struct NewUserIn {
    username: String,
    #[serde(default)]
    display_name: String,
    grants: Vec<GrantIn>,
}

async fn create_user(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
    Json(input): Json<NewUserIn>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    signed.require(Action::ManageUsers)?;
    let mut grants = Vec::new();
    for grant in &input.grants {
        let role = Role::parse(&grant.role).map_err(|e| {
            ApiError(WebError::App(xiaoyou_app::AppError::Invalid {
                field: "role",
                reason: e.to_string(),
            }))
        })?;
        let node = OrgNode::from_parts(&grant.node_kind, grant.node_id).ok_or_else(|| {
            ApiError(WebError::App(xiaoyou_app::AppError::Invalid {
                field: "node_kind",
                reason: format!("未知的节点类型“{}”", grant.node_kind),
            }))
        })?;
        grants.push(Grant { role, node });
    }
    let (id, password) = users::create(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        Some(signed.actor()),
        &NewAccount {
            username: &input.username,
            display_name: &input.display_name,
            password: None,
            grants: &grants,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id.get(), "initial_password": password, "must_change_password": true })),
    ))
}

async fn reset_password(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
    Path(id): Path<i64>,
) -> ApiResult<serde_json::Value> {
    signed.require(Action::ManageUsers)?;
    let target = UserId(id);
    let exists = accounts::get_user(state.db(), target).await?.is_some();
    if !exists
        || target == signed.actor().user
        || !users::may_manage(state.db(), signed.actor(), target).await?
    {
        return Err(ApiError(WebError::NotFound("该账号")));
    }
    let password = users::reset_password(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        target,
    )
    .await?;
    Ok(Json(
        json!({ "id": id, "temporary_password": password, "must_change_password": true }),
    ))
}

async fn audit_log(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
) -> ApiResult<Vec<serde_json::Value>> {
    signed.require(Action::ViewAudit)?;
    let filter = audit::AuditFilter {
        schools: pages::admin::audit_schools(&signed),
        limit: 200,
        ..audit::AuditFilter::default()
    };
    let entries = audit::search(state.db(), &filter).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| {
                json!({
                    "id": e.id,
                    "occurred_at": e.record.occurred_at,
                    "actor": e.record.actor_name,
                    "action": e.record.action,
                    "target_kind": e.record.target_kind,
                    "target_id": e.record.target_id,
                    "changes": e.record.changes,
                    "client_addr": e.record.client_addr,
                })
            })
            .collect(),
    ))
}
