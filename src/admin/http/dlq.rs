//! Dead letters over HTTP, the same operations as `handoff dlq` (`crate::admin`):
//! `GET /admin/dlq?portal=&kind=&since=&limit=`, `GET /admin/dlq/{id}`,
//! `POST /admin/dlq/{id}/replay`, and `POST /admin/dlq/replay` with `{"all": true}` or filters
//! (`portal`, `kind`, `since`) — an empty selection is refused, never read as "everything".

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdminState, Answer, body, id, refusal};
use crate::admin::{self, DeadSelection};
use crate::intake::ApiError;
use crate::store::queue::DeadFilter;

/// Dead jobs listed when the request names no limit, and the most it may ask for.
const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1_000;

fn invalid(message: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message)
}

fn filter(
    portal: Option<i64>,
    kind: Option<String>,
    since: Option<&str>,
) -> Result<DeadFilter, ApiError> {
    let since_ms = since
        .map(|s| admin::parse_since(s, Timestamp::now()))
        .transpose()
        .map_err(refusal)?;
    Ok(DeadFilter {
        portal_id: portal,
        kind,
        since_ms,
        limit: None,
    })
}

pub(super) async fn list(
    State(admin): State<AdminState>,
    Query(query): Query<HashMap<String, String>>,
) -> Answer {
    if let Some(key) = query
        .keys()
        .find(|k| !["portal", "kind", "since", "limit"].contains(&k.as_str()))
    {
        return Err(invalid(format!(
            "unknown query parameter {key:?}; filters are portal, kind, since, limit"
        )));
    }
    let portal = query.get("portal").map(|p| id(p, "portal")).transpose()?;
    let limit = match query.get("limit") {
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| invalid(format!("limit {raw:?} must be between 1 and {MAX_LIMIT}")))?,
        None => DEFAULT_LIMIT,
    };
    let mut dead = filter(
        portal,
        query.get("kind").cloned(),
        query.get("since").map(String::as_str),
    )?;
    dead.limit = Some(limit);
    let jobs = admin
        .store()
        .dead_letters()
        .list(&dead)
        .await
        .map_err(|e| refusal(e.into()))?;
    let jobs: Vec<Value> = jobs.iter().map(admin::dead_json).collect();
    Ok(Json(json!({ "jobs": jobs })))
}

pub(super) async fn show(State(admin): State<AdminState>, Path(raw): Path<String>) -> Answer {
    let job = admin::find_dead(admin.store(), id(&raw, "job id")?)
        .await
        .map_err(refusal)?;
    Ok(Json(json!({ "job": admin::dead_json(&job) })))
}

pub(super) async fn replay_one(State(admin): State<AdminState>, Path(raw): Path<String>) -> Answer {
    let selection = DeadSelection {
        id: Some(id(&raw, "job id")?),
        ..DeadSelection::default()
    };
    replay(&admin, &selection).await
}

/// `POST /admin/dlq/replay`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayBody {
    #[serde(default)]
    all: bool,
    portal: Option<i64>,
    kind: Option<String>,
    since: Option<String>,
}

pub(super) async fn replay_matching(State(admin): State<AdminState>, bytes: Bytes) -> Answer {
    let input: ReplayBody = body(&bytes)?;
    let filtered = input.portal.is_some() || input.kind.is_some() || input.since.is_some();
    let selection = DeadSelection {
        id: None,
        all: input.all || filtered,
        filter: filter(input.portal, input.kind, input.since.as_deref())?,
    };
    replay(&admin, &selection).await
}

async fn replay(admin: &AdminState, selection: &DeadSelection) -> Answer {
    let n = admin::replay(admin.store(), selection, Timestamp::now())
        .await
        .map_err(refusal)?;
    tracing::info!(jobs = n, job_id = selection.id, "dead letters replayed");
    Ok(Json(json!({ "replayed": n })))
}
