//! The control API under `/_sandbox/` (no auth, JSON): thin handlers over the methods in
//! `views.rs`, for tests, the demo and benchmarks. Errors use HubSpot's body shape too.

use std::collections::BTreeMap;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use serde::Deserialize;
use serde_json::json;

use super::Sandbox;
use super::config::{FaultConfig, RateLimit};
use super::error::{ApiError, HsJson, HsQuery};
use super::stats::Stats;
use super::views::{CompanyInput, ContactInput, ContactView, ControlError, MergeInput, TaskView};

pub(super) fn router(sb: Sandbox) -> Router {
    Router::new()
        .route("/stats", get(stats))
        .route("/contacts", post(upsert_contact))
        .route("/contacts/merge", post(merge))
        .route("/contacts/{id}", get(contact).delete(archive))
        .route("/companies", post(upsert_company))
        .route("/tasks", get(tasks))
        .route("/tasks/{id}", patch(update_task))
        .route("/faults", get(faults).put(set_faults))
        .route("/rate-limit", get(rate_limit).put(set_rate_limit))
        .route("/oauth/expire", post(expire_tokens))
        .route("/reset", post(reset))
        .route("/users", get(users))
        .route("/users/scope", put(users_scope))
        .route("/users/{id}", patch(update_user))
        .merge(super::sequences::control_routes())
        .merge(super::journal::control_routes())
        .with_state(sb)
}

impl From<ControlError> for ApiError {
    fn from(e: ControlError) -> Self {
        match e {
            ControlError::NotFound(m) => {
                ApiError::new(StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND", m)
            }
            ControlError::Invalid(m) => ApiError::validation(m),
        }
    }
}

fn id(raw: &str) -> Result<u64, ApiError> {
    raw.trim()
        .parse()
        .map_err(|_| ApiError::validation(format!("id `{raw}` is not numeric")))
}

fn created_or_ok(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

async fn stats(State(sb): State<Sandbox>) -> Json<Stats> {
    Json(sb.stats())
}

async fn contact(
    State(sb): State<Sandbox>,
    Path(raw): Path<String>,
) -> Result<Json<ContactView>, ApiError> {
    sb.contact(id(&raw)?)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(&raw))
}

async fn upsert_contact(
    State(sb): State<Sandbox>,
    HsJson(input): HsJson<ContactInput>,
) -> Result<Response, ApiError> {
    let (view, created) = sb.upsert_contact(input)?;
    Ok((created_or_ok(created), Json(view)).into_response())
}

async fn upsert_company(
    State(sb): State<Sandbox>,
    HsJson(input): HsJson<CompanyInput>,
) -> Result<Response, ApiError> {
    let (company, created) = sb.upsert_company(input)?;
    Ok((created_or_ok(created), Json(json!({"id": company}))).into_response())
}

async fn archive(
    State(sb): State<Sandbox>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    sb.archive_contact(id(&raw)?)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn merge(
    State(sb): State<Sandbox>,
    HsJson(input): HsJson<MergeInput>,
) -> Result<Json<ContactView>, ApiError> {
    let view = sb.merge_contacts(id(&input.primary_id)?, id(&input.merged_id)?)?;
    Ok(Json(view))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TasksQuery {
    #[serde(default)]
    contact_id: Option<String>,
}

async fn tasks(
    State(sb): State<Sandbox>,
    HsQuery(q): HsQuery<TasksQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let contact = q.contact_id.as_deref().map(id).transpose()?;
    let results: Vec<TaskView> = sb.tasks(contact);
    Ok(Json(json!({ "results": results })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskPatch {
    properties: BTreeMap<String, String>,
}

async fn update_task(
    State(sb): State<Sandbox>,
    Path(raw): Path<String>,
    HsJson(patch): HsJson<TaskPatch>,
) -> Result<Json<TaskView>, ApiError> {
    Ok(Json(sb.update_task(id(&raw)?, patch.properties)?))
}

async fn faults(State(sb): State<Sandbox>) -> Json<FaultConfig> {
    Json(sb.faults())
}

async fn set_faults(
    State(sb): State<Sandbox>,
    HsJson(faults): HsJson<FaultConfig>,
) -> Result<Json<FaultConfig>, ApiError> {
    sb.set_faults(faults)?;
    Ok(Json(sb.faults()))
}

async fn rate_limit(State(sb): State<Sandbox>) -> Json<RateLimit> {
    Json(sb.rate_limit())
}

async fn set_rate_limit(
    State(sb): State<Sandbox>,
    HsJson(limit): HsJson<RateLimit>,
) -> Result<Json<RateLimit>, ApiError> {
    sb.set_rate_limit(limit)?;
    Ok(Json(sb.rate_limit()))
}

async fn expire_tokens(State(sb): State<Sandbox>) -> StatusCode {
    sb.expire_tokens();
    StatusCode::NO_CONTENT
}

async fn reset(State(sb): State<Sandbox>) -> StatusCode {
    sb.reset();
    StatusCode::NO_CONTENT
}

async fn users(State(sb): State<Sandbox>) -> Json<serde_json::Value> {
    Json(json!({ "results": sb.users() }))
}

/// `{"properties": {"hs_availability_status": "away"}, "verbatim": false}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserPatch {
    properties: BTreeMap<String, String>,
    #[serde(default)]
    verbatim: bool,
}

async fn update_user(
    State(sb): State<Sandbox>,
    Path(raw): Path<String>,
    HsJson(patch): HsJson<UserPatch>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(sb.set_user_properties(
        id(&raw)?,
        patch.properties,
        patch.verbatim,
    )?))
}

/// `{"granted": false}`: user reads answer 403 until granted again (or a reset).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scope {
    granted: bool,
}

async fn users_scope(State(sb): State<Sandbox>, HsJson(scope): HsJson<Scope>) -> StatusCode {
    sb.set_users_scope(scope.granted);
    StatusCode::NO_CONTENT
}
