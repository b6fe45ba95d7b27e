//! Properties and property groups (`/crm/v3/properties/…`, `/crm/properties/2026-09/…`;
//! docs/hubspot.md "Properties and groups"): `GET {object}` (all), `GET {object}/{name}` (404
//! `OBJECT_NOT_FOUND` when absent), `POST {object}/batch/create` (201; each input whose name
//! exists is a per-input 409 `OBJECT_ALREADY_EXISTS` / `Properties.PROPERTY_WITH_NAME_EXISTS`
//! error, a 207 on v3 and inside the 201 on 2026-09), `GET {object}/groups`,
//! `GET {object}/groups/{name}`, `POST {object}/groups` (201; 409 for a name that exists).
//! Reads need the object's read scope, creates its schema write scope (`access.rs`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiVersion;
use super::{batch_response, check_inputs};
use crate::Sandbox;
use crate::error::{ApiError, HsJson};
use crate::properties::{Definition, Group, Schema};
use crate::state::{Crm, now_ms};

/// The scopes of `object`: (read, any of; write).
fn scopes(object: &str) -> (&'static [&'static str], &'static str) {
    if matches!(object, "companies" | "company" | "0-2") {
        (
            &["crm.schemas.companies.read", "crm.objects.companies.read"],
            "crm.schemas.companies.write",
        )
    } else {
        (
            &["crm.schemas.contacts.read", "crm.objects.contacts.read"],
            "crm.schemas.contacts.write",
        )
    }
}

fn schema<'a>(crm: &'a mut Crm, object: &str) -> Result<&'a mut Schema, ApiError> {
    crm.properties.of(object).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            format!("Unable to infer object type from: {object}"),
        )
    })
}

fn readable<'a>(crm: &'a mut Crm, object: &str) -> Result<&'a mut Schema, ApiError> {
    crm.access.require(scopes(object).0)?;
    schema(crm, object)
}

fn writable<'a>(crm: &'a mut Crm, object: &str) -> Result<&'a mut Schema, ApiError> {
    crm.access.require(&[scopes(object).1])?;
    schema(crm, object)
}

fn exists(name: &str) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::CONFLICT,
        "OBJECT_ALREADY_EXISTS",
        format!("A property named '{name}' already exists."),
    );
    e.sub_category = Some("Properties.PROPERTY_WITH_NAME_EXISTS");
    e.with_context("name", vec![name.to_owned()])
}

pub(super) async fn list(
    State(sb): State<Sandbox>,
    Path(object): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut crm = sb.crm();
    let started = crm.started_ms;
    let s = readable(&mut crm, &object)?;
    let results: Vec<Value> = s.properties.values().map(|p| p.render(started)).collect();
    Ok(Json(json!({ "results": results })))
}

pub(super) async fn get_one(
    State(sb): State<Sandbox>,
    Path((object, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let mut crm = sb.crm();
    let started = crm.started_ms;
    let s = readable(&mut crm, &object)?;
    s.properties
        .get(&name)
        .map(|p| Json(p.render(started)))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "OBJECT_NOT_FOUND",
                format!("Unable to find property {name} for object type {object}"),
            )
        })
}

#[derive(Debug, Deserialize)]
pub(super) struct CreateBody {
    inputs: Vec<Value>,
}

pub(super) async fn batch_create(
    State(sb): State<Sandbox>,
    Extension(v): Extension<ApiVersion>,
    Path(object): Path<String>,
    HsJson(body): HsJson<CreateBody>,
) -> Result<Response, ApiError> {
    check_inputs(body.inputs.len(), 100)?;
    let started = now_ms();
    let mut crm = sb.crm();
    let s = writable(&mut crm, &object)?;
    let (mut results, mut errors) = (Vec::new(), Vec::new());
    for input in body.inputs {
        let name = input["name"].as_str().unwrap_or_default().to_owned();
        if s.properties.contains_key(&name) {
            errors.push(exists(&name).body());
            continue;
        }
        match Definition::from_input(input, s) {
            Ok(d) => {
                results.push(d.render(started));
                s.properties.insert(d.name.clone(), d);
            }
            Err(m) => errors.push(
                ApiError::validation(m)
                    .with_context("name", vec![name])
                    .body(),
            ),
        }
    }
    Ok(batch_response(
        v,
        StatusCode::CREATED,
        results,
        errors,
        started,
    ))
}

pub(super) async fn groups(
    State(sb): State<Sandbox>,
    Path(object): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut crm = sb.crm();
    let s = readable(&mut crm, &object)?;
    let results: Vec<Value> = s.groups.values().map(Group::render).collect();
    Ok(Json(json!({ "results": results })))
}

pub(super) async fn group(
    State(sb): State<Sandbox>,
    Path((object, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let mut crm = sb.crm();
    let s = readable(&mut crm, &object)?;
    s.groups
        .get(&name)
        .map(|g| Json(g.render()))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "OBJECT_NOT_FOUND",
                format!("Unable to find property group {name} for object type {object}"),
            )
        })
}

pub(super) async fn create_group(
    State(sb): State<Sandbox>,
    Path(object): Path<String>,
    HsJson(input): HsJson<Value>,
) -> Result<Response, ApiError> {
    let mut crm = sb.crm();
    let s = writable(&mut crm, &object)?;
    let g: Group = serde_json::from_value(input)
        .map_err(|e| ApiError::validation(format!("Invalid input JSON: {e}")))?;
    if g.name.trim().is_empty() {
        return Err(ApiError::validation("name is required"));
    }
    if s.groups.contains_key(&g.name) {
        let mut e = ApiError::new(
            StatusCode::CONFLICT,
            "OBJECT_ALREADY_EXISTS",
            format!("A property group named '{}' already exists.", g.name),
        );
        e.sub_category = Some("PropertyGroups.GROUP_WITH_NAME_EXISTS");
        return Err(e);
    }
    let body = g.render();
    s.groups.insert(g.name.clone(), g);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}
