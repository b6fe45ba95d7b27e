//! Leads (object `0-136`, docs/hubspot.md "Lead records (object 0-136)"): `POST
//! /crm/v3/objects/leads/batch/create` (≤ 100 inputs; `hs_lead_name` required; exactly an
//! association to an existing contact with `HUBSPOT_DEFINED`/578; owner checked;
//! `objectWriteTraceId` echoed), `…/batch/update`, `…/batch/read`, `…/search` (in `search.rs`,
//! `associations.contact` filter), and `GET /crm/v3/pipelines/{leads|0-136}` with the five default
//! stages and their default ids ("Lead stages and pipelines"). A sandbox whose leads are "not set
//! up" (`/_sandbox/leads/refuse`) refuses creates with a 400, the status HubSpot's docs leave
//! undocumented.

use std::collections::BTreeMap;

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiVersion;
use super::tasks::{CreateBody, CreateInput, create_each};
use super::{IdStr, batch_response, check_inputs, de_props, not_found_error};
use crate::Sandbox;
use crate::error::{ApiError, HsJson};
use crate::state::{Crm, Kind, Record, Select, check_writable, iso, now_ms, render};

/// `LEAD_TO_PRIMARY_CONTACT` (docs/hubspot.md "Lead records (object 0-136)").
const LEAD_TO_PRIMARY_CONTACT: u32 = 578;
/// The default lead pipeline's stages: (id, label) in display order (docs/hubspot.md "Lead stages
/// and pipelines").
pub(crate) const STAGES: [(&str, &str); 5] = [
    ("new-stage-id", "New"),
    ("attempting-stage-id", "Attempting"),
    ("connected-stage-id", "Connected"),
    ("qualified-stage-id", "Qualified"),
    ("unqualified-stage-id", "Disqualified"),
];
pub(crate) const PIPELINE_ID: &str = "lead-pipeline-id";

/// Stage values a lead may take: the default pipeline's.
fn check_stage(props: &BTreeMap<String, String>) -> Result<(), String> {
    match props.get("hs_pipeline_stage") {
        Some(s) if !STAGES.iter().any(|(id, _)| id == s) => {
            Err(format!("{s} is not a valid option for hs_pipeline_stage"))
        }
        _ => Ok(()),
    }
}

/// One input → a lead record, or why not.
fn build(crm: &mut Crm, mut input: CreateInput, now: i64) -> Result<Record, String> {
    if input
        .properties
        .get("hs_lead_name")
        .is_none_or(|n| n.trim().is_empty())
    {
        return Err("hs_lead_name is required (the lead's name)".into());
    }
    check_writable(Kind::Lead, &input.properties)?;
    crm.check_owner(&input.properties)?;
    check_stage(&input.properties)?;
    let [assoc] = input.associations.as_slice() else {
        return Err("a lead must be associated with exactly one existing contact".into());
    };
    if !assoc.types.iter().any(|t| {
        t.association_category == "HUBSPOT_DEFINED"
            && t.association_type_id == LEAD_TO_PRIMARY_CONTACT
    }) {
        return Err(
            "a lead needs the HUBSPOT_DEFINED/578 (lead to primary contact) association".into(),
        );
    }
    let contact = assoc
        .to
        .id
        .parse()
        .and_then(|id| crm.find(Kind::Contact, id, false))
        .map(|c| c.id)
        .ok_or_else(|| format!("contact {} does not exist", assoc.to.id.0))?;
    input
        .properties
        .entry("hs_pipeline".into())
        .or_insert_with(|| PIPELINE_ID.into());
    input
        .properties
        .entry("hs_pipeline_stage".into())
        .or_insert_with(|| STAGES[0].0.into());
    input
        .properties
        .insert("hs_primary_contact_id".into(), contact.to_string());
    let mut rec = Record::new(crm.allocate(), now);
    rec.properties = input.properties;
    rec.links = vec![contact];
    rec.trace_id = input.object_write_trace_id;
    Ok(rec)
}

pub(super) async fn batch_create(
    State(sb): State<Sandbox>,
    Extension(v): Extension<ApiVersion>,
    HsJson(body): HsJson<CreateBody>,
) -> Result<Response, ApiError> {
    let started = now_ms();
    check_inputs(body.inputs.len(), 100)?;
    let mut crm = sb.crm();
    if crm.leads_refused {
        return Err(ApiError::validation(
            "Leads have not been set up in this account",
        ));
    }
    let (results, errors) = create_each(&mut crm, Kind::Lead, body.inputs, (started, build))?;
    Ok(batch_response(
        v,
        StatusCode::CREATED,
        results,
        errors,
        started,
    ))
}

#[derive(Debug, Deserialize)]
pub(super) struct UpdateBody {
    inputs: Vec<UpdateInput>,
}

#[derive(Debug, Deserialize)]
struct UpdateInput {
    id: IdStr,
    #[serde(default, deserialize_with = "de_props")]
    properties: BTreeMap<String, String>,
}

pub(super) async fn batch_update(
    State(sb): State<Sandbox>,
    Extension(v): Extension<ApiVersion>,
    HsJson(body): HsJson<UpdateBody>,
) -> Result<Response, ApiError> {
    let started = now_ms();
    check_inputs(body.inputs.len(), 100)?;
    let mut crm = sb.crm();
    for input in &body.inputs {
        check_writable(Kind::Lead, &input.properties)
            .and_then(|()| crm.check_owner(&input.properties))
            .and_then(|()| check_stage(&input.properties))
            .map_err(ApiError::validation)?;
    }
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for input in body.inputs {
        let names: Vec<String> = input.properties.keys().cloned().collect();
        match input.id.parse().and_then(|id| crm.find_mut(Kind::Lead, id)) {
            Some(rec) => {
                rec.set(input.properties, started);
                results.push(render(Kind::Lead, rec, Select::Requested(&names)));
            }
            None => errors.push(not_found_error("LEAD", vec![input.id.0.clone()])),
        }
    }
    Ok(batch_response(v, StatusCode::OK, results, errors, started))
}

/// `GET /crm/v3/pipelines/{objectType}` for `leads` / `0-136`: the default lead pipeline.
pub(super) async fn pipelines(
    State(sb): State<Sandbox>,
    Path(object): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if object != "leads" && object != "0-136" {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            format!("the sandbox has pipelines for leads only, not {object}"),
        ));
    }
    let created = iso(sb.crm().started_ms);
    let stages: Vec<Value> = STAGES
        .iter()
        .enumerate()
        .map(|(i, (id, label))| {
            json!({"id": id, "label": label, "displayOrder": i, "metadata": {},
                "createdAt": created, "updatedAt": created, "archived": false})
        })
        .collect();
    Ok(Json(json!({"results": [{
        "id": PIPELINE_ID, "label": "Lead pipeline", "displayOrder": 0, "stages": stages,
        "createdAt": created, "updatedAt": created, "archived": false,
    }]})))
}
