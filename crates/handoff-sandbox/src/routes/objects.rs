//! `POST …/objects/…/{contacts|companies|tasks|leads}/batch/read` (docs/hubspot.md "Batch limits
//! and partial failures"): up to 100 ids, the requested properties, 207 with one `OBJECT_NOT_FOUND`
//! error naming every missing id. A merged contact id returns the contact it was merged into, under
//! that contact's id.

use std::collections::HashSet;

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::ApiVersion;
use super::{IdInput, batch_response, check_inputs, not_found_error};
use crate::Sandbox;
use crate::error::{ApiError, HsJson, HsQuery};
use crate::state::{Kind, Select, now_ms, render};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
/// `propertiesWithHistory` and other unknown fields are ignored (the sandbox keeps no history).
pub(super) struct ReadBody {
    #[serde(default)]
    properties: Vec<String>,
    #[serde(default)]
    id_property: Option<String>,
    inputs: Vec<IdInput>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ArchivedQuery {
    #[serde(default)]
    archived: bool,
}

fn read(
    sb: &Sandbox,
    v: ApiVersion,
    kind: Kind,
    body: ReadBody,
    archived: bool,
) -> Result<Response, ApiError> {
    let started = now_ms();
    check_inputs(body.inputs.len(), 100)?;
    if let Some(p) = body.id_property.filter(|p| p != "hs_object_id") {
        return Err(ApiError::validation(format!(
            "idProperty {p} is not supported by the sandbox; use record ids"
        )));
    }
    let crm = sb.crm();
    let mut results = Vec::new();
    let mut seen = HashSet::new();
    let mut missing = Vec::new();
    for input in &body.inputs {
        match input.id.parse().and_then(|id| crm.find(kind, id, archived)) {
            Some(rec) => {
                if seen.insert(rec.id) {
                    results.push(render(kind, rec, Select::Requested(&body.properties)));
                }
            }
            None => missing.push(input.id.0.clone()),
        }
    }
    let errors = if missing.is_empty() {
        Vec::new()
    } else {
        vec![not_found_error(kind.label(), missing)]
    };
    Ok(batch_response(v, StatusCode::OK, results, errors, started))
}

pub(super) async fn read_contacts(
    State(sb): State<Sandbox>,
    Extension(v): Extension<ApiVersion>,
    HsQuery(q): HsQuery<ArchivedQuery>,
    HsJson(body): HsJson<ReadBody>,
) -> Result<Response, ApiError> {
    read(&sb, v, Kind::Contact, body, q.archived)
}

pub(super) async fn read_companies(
    State(sb): State<Sandbox>,
    Extension(v): Extension<ApiVersion>,
    HsQuery(q): HsQuery<ArchivedQuery>,
    HsJson(body): HsJson<ReadBody>,
) -> Result<Response, ApiError> {
    read(&sb, v, Kind::Company, body, q.archived)
}

pub(super) async fn read_leads(
    State(sb): State<Sandbox>,
    Extension(v): Extension<ApiVersion>,
    HsQuery(q): HsQuery<ArchivedQuery>,
    HsJson(body): HsJson<ReadBody>,
) -> Result<Response, ApiError> {
    read(&sb, v, Kind::Lead, body, q.archived)
}

pub(super) async fn read_tasks(
    State(sb): State<Sandbox>,
    Extension(v): Extension<ApiVersion>,
    HsQuery(q): HsQuery<ArchivedQuery>,
    HsJson(body): HsJson<ReadBody>,
) -> Result<Response, ApiError> {
    read(&sb, v, Kind::Task, body, q.archived)
}
