//! HubSpot's routes, exactly those handoff's CRM client calls, one file per resource, behind the
//! gate (the token routes behind the OAuth gate: grant, token info, introspection), served on
//! both API versions (`/crm/v3/…` and `/crm/…/2026-09/…`, from the sandbox's own table in
//! `version.rs`); plus the wire pieces they share: string-or-number ids, string
//! property values, batch input limits and each version's batch envelope (docs/hubspot.md "Batch
//! limits and partial failures").

mod associations;
mod contacts;
mod filter;
mod leads;
mod oauth;
mod objects;
mod owners;
mod properties;
mod search;
mod sequences;
mod tasks;
mod token_info;
mod users;
mod version;

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode, Uri};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

pub(crate) use leads::STAGES as LEAD_STAGES;
pub(crate) use tasks::check_task_properties;

use super::Sandbox;
use super::error::ApiError;
use super::gate;
use super::state::{iso, now_ms};
pub(crate) use version::ApiVersion;
use version::{ACCESS_TOKEN_INFO, Api, OAUTH_TOKEN, SEQUENCES, path};

/// The HubSpot API: CRM routes behind [`gate::crm`] (every versioned route once per API
/// version, `versioned`), the token endpoint behind [`gate::oauth`].
pub(super) fn router(sb: Sandbox) -> Router {
    let mut crm = Router::new()
        .route(&format!("{SEQUENCES}/enrollments"), post(sequences::enroll))
        .route(
            &format!("{SEQUENCES}/enrollments/contact/{{id}}"),
            get(sequences::contact_enrollment),
        )
        .route(&format!("{SEQUENCES}/{{id}}"), get(sequences::get_one))
        .merge(super::journal::routes());
    for v in ApiVersion::ALL {
        crm = crm.merge(versioned(v));
    }
    let crm = crm.route_layer(from_fn_with_state(sb.clone(), gate::crm));
    let mut token = Router::new()
        .route(OAUTH_TOKEN, post(oauth::token))
        .route(ACCESS_TOKEN_INFO, post(token_info::access_token_info));
    for v in ApiVersion::ALL {
        token = token.route(
            &path(v, Api::OAuth, "token/introspect"),
            post(token_info::introspect),
        );
    }
    let token = token.route_layer(from_fn_with_state(sb.clone(), gate::oauth));
    crm.merge(token).with_state(sb)
}

/// The CRM routes of one API version, each path from the sandbox's own table (`version.rs`);
/// handlers read the version to answer in its shape.
fn versioned(v: ApiVersion) -> Router<Sandbox> {
    let objects = |resource: &str| path(v, Api::Objects, resource);
    let props = |resource: &str| path(v, Api::Properties, resource);
    Router::new()
        .route(&objects("contacts/{id}"), get(contacts::get_one))
        .route(
            &objects("contacts/batch/read"),
            post(objects::read_contacts),
        )
        .route(
            &objects("contacts/batch/update"),
            post(contacts::batch_update),
        )
        .route(&objects("contacts/search"), post(search::contacts))
        .route(
            &objects("companies/batch/read"),
            post(objects::read_companies),
        )
        .route(&objects("tasks/batch/create"), post(tasks::batch_create))
        .route(&objects("tasks/batch/read"), post(objects::read_tasks))
        .route(&objects("tasks/search"), post(search::tasks))
        .route(
            &path(v, Api::Associations, "contacts/companies/batch/read"),
            post(associations::batch_read),
        )
        .route(&path(v, Api::Owners, ""), get(owners::list))
        .route(&objects("users"), get(users::list))
        .route(&objects("leads/batch/create"), post(leads::batch_create))
        .route(&objects("leads/batch/update"), post(leads::batch_update))
        .route(&objects("leads/batch/read"), post(objects::read_leads))
        .route(&objects("leads/search"), post(search::leads))
        .route(&path(v, Api::Pipelines, "{object}"), get(leads::pipelines))
        .route(&props("{object}"), get(properties::list))
        .route(&props("{object}/{name}"), get(properties::get_one))
        .route(
            &props("{object}/batch/create"),
            post(properties::batch_create),
        )
        .route(
            &props("{object}/groups"),
            get(properties::groups).post(properties::create_group),
        )
        .route(&props("{object}/groups/{name}"), get(properties::group))
        .layer(Extension(v))
}

/// Anything else: 404 in HubSpot's error shape.
pub(super) async fn unknown_route(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "OBJECT_NOT_FOUND",
        format!("the sandbox has no route {method} {}", uri.path()),
    )
}

/// An id sent as `"123"` or `123`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdStr(pub(crate) String);

impl<'de> Deserialize<'de> for IdStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Self(s)),
            Value::Number(n) => Ok(Self(n.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "expected an id, got {other}"
            ))),
        }
    }
}

impl IdStr {
    pub(crate) fn parse(&self) -> Option<u64> {
        self.0.trim().parse().ok()
    }
}

/// `{"id": "…"}` batch input.
#[derive(Debug, Deserialize)]
pub(crate) struct IdInput {
    pub(crate) id: IdStr,
}

/// Property values are strings; numbers and booleans are taken as their text, `null` clears.
pub(crate) fn de_props<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    let raw = BTreeMap::<String, Value>::deserialize(d)?;
    raw.into_iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s,
                Value::Null => String::new(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                other => {
                    return Err(serde::de::Error::custom(format!(
                        "property {k}: expected a string, got {other}"
                    )));
                }
            };
            Ok((k, text))
        })
        .collect()
}

/// At most 100 inputs per CRM object batch, 1000 for associations (docs/hubspot.md "Batch limits
/// and partial failures").
pub(crate) fn check_inputs(len: usize, max: usize) -> Result<(), ApiError> {
    if len > max {
        return Err(ApiError::validation(format!(
            "Batch input contains {len} inputs; the limit is {max}"
        )));
    }
    Ok(())
}

/// The batch envelope: `ok` (200 or 201) when every input succeeded. Partial failure is a 207
/// with `numErrors` and `errors` on v3, and the same fields inside the `ok` answer on 2026-09
/// (whose batch schemas have no 207; docs/hubspot.md "Date-versioned API and write validation").
pub(crate) fn batch_response(
    v: ApiVersion,
    ok: StatusCode,
    results: Vec<Value>,
    errors: Vec<Value>,
    started_ms: i64,
) -> Response {
    let mut body = json!({
        "status": "COMPLETE",
        "results": results,
        "startedAt": iso(started_ms),
        "completedAt": iso(now_ms()),
    });
    let status = if errors.is_empty() {
        ok
    } else {
        body["numErrors"] = json!(errors.len());
        body["errors"] = json!(errors);
        match v {
            ApiVersion::V3 => StatusCode::MULTI_STATUS,
            ApiVersion::Dated2026_09 => ok,
        }
    };
    (status, axum::Json(body)).into_response()
}

/// `OBJECT_NOT_FOUND` for the ids a batch could not find (docs/hubspot.md "Batch limits and partial
/// failures").
pub(crate) fn not_found_error(label: &str, ids: Vec<String>) -> Value {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "OBJECT_NOT_FOUND",
        format!(
            "Could not get some {label} objects, they may be deleted or not exist. Check that ids are valid."
        ),
    )
    .with_context("ids", ids)
    .body()
}
