//! The sandbox journal's HTTP side: HubSpot's journal and subscription routes (behind the
//! gate, docs/hubspot.md "Journal paths and limits") and the control routes under
//! `/_sandbox/journal` (no auth): state, retention, and the files behind the pointers' URLs.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ACTIONS, JournalFile, Subscription, URL_TTL_MS};
use crate::Sandbox;
use crate::error::{ApiError, HsJson, HsQuery};
use crate::state::{iso, now_ms};

pub(crate) fn routes() -> Router<Sandbox> {
    const BASE: &str = "/webhooks-journal/journal-local/2026-03";
    Router::new()
        .route(&format!("{BASE}/{{end}}"), get(end))
        .route(&format!("{BASE}/offset/{{offset}}/next"), get(next))
        .route(
            "/webhooks-journal/subscriptions/2026-03",
            get(list_subscriptions).post(upsert_subscription),
        )
}

/// Under `/_sandbox` (no auth).
pub(crate) fn control_routes() -> Router<Sandbox> {
    Router::new()
        .route("/journal", get(state))
        .route("/journal/retention", put(set_retention))
        .route("/journal/files/{offset}", get(file))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InstallQuery {
    #[serde(default)]
    install_portal_id: Option<String>,
}

/// `installPortalId` must be numeric and name the sandbox's portal when given.
fn check_portal(sb: &Sandbox, q: &InstallQuery) -> Result<(), ApiError> {
    let Some(raw) = q.install_portal_id.as_deref() else {
        return Ok(());
    };
    let id: u64 = raw
        .trim()
        .parse()
        .map_err(|_| ApiError::validation(format!("installPortalId `{raw}` is not numeric")))?;
    if id != sb.config().portal_id {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            format!("portal {id} has not installed this app"),
        ));
    }
    Ok(())
}

/// A pointer to `file` (`JournalFetchResponse`), or 204 when there is none.
fn pointer(headers: &HeaderMap, file: Option<&JournalFile>) -> Response {
    let Some(file) = file else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    Json(json!({
        "url": format!("http://{host}/_sandbox/journal/files/{}", file.offset),
        "expiresAt": iso(now_ms() + URL_TTL_MS),
        "currentOffset": file.offset,
    }))
    .into_response()
}

/// `…/earliest` and `…/latest`: a pointer to that end's file, 204 when the journal is empty.
async fn end(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(end): Path<String>,
    HsQuery(q): HsQuery<InstallQuery>,
) -> Result<Response, ApiError> {
    check_portal(&sb, &q)?;
    let mut j = sb.journal();
    j.prune(now_ms());
    let file = match end.as_str() {
        "earliest" => j.files.first(),
        "latest" => j.files.last(),
        other => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "OBJECT_NOT_FOUND",
                format!("no journal route {other}"),
            ));
        }
    };
    Ok(pointer(&headers, file))
}

/// The file after `offset`; 204 when it is the newest; 404 when it expired or never existed.
async fn next(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(offset): Path<String>,
    HsQuery(q): HsQuery<InstallQuery>,
) -> Result<Response, ApiError> {
    check_portal(&sb, &q)?;
    let mut j = sb.journal();
    j.prune(now_ms());
    let at = j
        .files
        .iter()
        .position(|f| f.offset == offset)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "OBJECT_NOT_FOUND",
                format!("offset {offset} has expired or does not exist"),
            )
        })?;
    Ok(pointer(&headers, j.files.get(at + 1)))
}

async fn list_subscriptions(State(sb): State<Sandbox>) -> Json<Value> {
    let j = sb.journal();
    let results: Vec<Value> = j.subscriptions.iter().map(Subscription::render).collect();
    Json(json!({ "results": results }))
}

/// `SubscriptionUpsertRequest`, `OBJECT` variant (docs/hubspot.md "Journal subscriptions").
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpsertRequest {
    subscription_type: String,
    #[serde(default)]
    portal_id: Option<u64>,
    #[serde(default)]
    object_type_id: Option<String>,
    #[serde(default)]
    actions: Vec<String>,
    #[serde(default)]
    properties: Vec<String>,
}

async fn upsert_subscription(
    State(sb): State<Sandbox>,
    HsJson(req): HsJson<UpsertRequest>,
) -> Result<Json<Value>, ApiError> {
    if req.subscription_type != "OBJECT" {
        return Err(ApiError::validation(format!(
            "the sandbox supports OBJECT subscriptions, not {}",
            req.subscription_type
        )));
    }
    let (Some(portal_id), Some(object_type_id)) = (req.portal_id, req.object_type_id) else {
        return Err(ApiError::validation(
            "portalId and objectTypeId are required",
        ));
    };
    if req.actions.is_empty() {
        return Err(ApiError::validation("actions must not be empty"));
    }
    if let Some(bad) = req.actions.iter().find(|a| !ACTIONS.contains(&a.as_str())) {
        return Err(ApiError::validation(format!("unknown action {bad}")));
    }
    let now = now_ms();
    let mut j = sb.journal();
    let next_id = 1_000 + j.subscriptions.len() as u64;
    let sub = match j
        .subscriptions
        .iter_mut()
        .find(|s| s.portal_id == portal_id && s.object_type_id == object_type_id)
    {
        Some(s) => {
            s.actions = req.actions;
            s.properties = req.properties;
            s.updated_ms = now;
            s.clone()
        }
        None => {
            let s = Subscription {
                id: next_id,
                portal_id,
                object_type_id,
                actions: req.actions,
                properties: req.properties,
                created_ms: now,
                updated_ms: now,
            };
            j.subscriptions.push(s.clone());
            s
        }
    };
    Ok(Json(sub.render()))
}

async fn state(State(sb): State<Sandbox>) -> Json<Value> {
    let j = sb.journal();
    Json(json!({
        "retentionMs": j.retention_ms,
        "subscriptions": j.subscriptions.iter().map(Subscription::render).collect::<Vec<_>>(),
        "files": j.files.iter().map(JournalFile::render).collect::<Vec<_>>(),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Retention {
    retention_ms: i64,
}

/// Shortens (or restores) the retention; files past it are dropped now.
async fn set_retention(
    State(sb): State<Sandbox>,
    HsJson(r): HsJson<Retention>,
) -> Result<Json<Value>, ApiError> {
    if r.retention_ms < 0 {
        return Err(ApiError::validation("retentionMs must not be negative"));
    }
    let mut j = sb.journal();
    j.retention_ms = r.retention_ms;
    j.prune(now_ms());
    Ok(Json(
        json!({ "retentionMs": j.retention_ms, "files": j.files.len() }),
    ))
}

/// The file behind a pointer's URL; 404 once it is past the retention (an expired URL).
async fn file(
    State(sb): State<Sandbox>,
    Path(offset): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut j = sb.journal();
    j.prune(now_ms());
    j.files
        .iter()
        .find(|f| f.offset == offset)
        .map(|f| Json(f.render()))
        .ok_or_else(|| ApiError::not_found(&offset))
}
