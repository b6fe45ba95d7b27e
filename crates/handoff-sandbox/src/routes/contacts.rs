//! Contacts (docs/hubspot.md "Reading contacts", "Updating contacts"): `GET
//! /crm/v3/objects/contacts/{id}` with properties and company associations, and `POST
//! …/contacts/batch/update` (≤ 100, `""` clears a value, `hubspot_owner_id` must name an owner,
//! computed properties are read-only, conditional property rules of `validation.rs` are kept).

use std::collections::{BTreeMap, HashSet};

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiVersion;
use super::{IdStr, batch_response, check_inputs, de_props, not_found_error};
use crate::Sandbox;
use crate::error::{ApiError, HsJson, HsQuery, parse_id};
use crate::state::{Crm, Kind, Record, Select, check_writable, now_ms, render};
use crate::validation::Missing;

/// The query; `properties` and `associations` may be comma lists, repeated, or both.
#[derive(Debug, Default)]
struct GetQuery {
    properties: Vec<String>,
    associations: Vec<String>,
    archived: bool,
    id_property: Option<String>,
}

impl GetQuery {
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, ApiError> {
        let mut q = Self::default();
        let list = |v: &str| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        for (k, v) in pairs {
            match k.as_str() {
                "properties" => q.properties.extend(list(&v)),
                "associations" => q.associations.extend(list(&v)),
                "archived" => {
                    q.archived = v.parse().map_err(|_| {
                        ApiError::validation(format!("archived: `{v}` is not a boolean"))
                    })?;
                }
                "idProperty" => q.id_property = Some(v),
                _ => {}
            }
        }
        Ok(q)
    }
}

/// `{"companies":{"results":[{"id":"55","type":"contact_to_company"}, …]}}`: the primary
/// company appears twice, labelled and unlabeled, as HubSpot lists both association types.
pub(crate) fn company_associations(rec: &Record) -> Value {
    let mut results = Vec::new();
    for (i, company) in rec.links.iter().enumerate() {
        if i == 0 && !rec.no_primary {
            results.push(json!({"id": company.to_string(), "type": "contact_to_company"}));
        }
        results.push(json!({"id": company.to_string(), "type": "contact_to_company_unlabeled"}));
    }
    json!({"companies": {"results": results}})
}

pub(super) async fn get_one(
    State(sb): State<Sandbox>,
    Path(raw): Path<String>,
    HsQuery(pairs): HsQuery<Vec<(String, String)>>,
) -> Result<Json<Value>, ApiError> {
    let q = GetQuery::from_pairs(pairs)?;
    let crm = sb.crm();
    let rec = match q.id_property.as_deref() {
        None | Some("hs_object_id") => {
            let id = parse_id(&raw)?;
            crm.find(Kind::Contact, id, q.archived)
        }
        Some("email") => crm.table(Kind::Contact).values().find(|r| {
            r.archived() == q.archived
                && r.properties
                    .get("email")
                    .is_some_and(|e| e.eq_ignore_ascii_case(&raw))
        }),
        Some(other) => {
            return Err(ApiError::validation(format!(
                "idProperty {other} is not supported by the sandbox"
            )));
        }
    }
    .ok_or_else(|| ApiError::not_found(&raw))?;
    let mut o = render(Kind::Contact, rec, Select::Requested(&q.properties));
    let wants_companies = q
        .associations
        .iter()
        .any(|a| a == "companies" || a == "company");
    if wants_companies && !rec.links.is_empty() {
        o["associations"] = company_associations(rec);
    }
    Ok(Json(o))
}

#[derive(Debug, Deserialize)]
pub(super) struct UpdateBody {
    inputs: Vec<UpdateInput>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateInput {
    id: IdStr,
    #[serde(default, deserialize_with = "de_props")]
    properties: BTreeMap<String, String>,
    #[serde(default)]
    object_write_trace_id: Option<String>,
}

/// Whole-batch checks HubSpot answers with 400: duplicates, read-only properties, bad owners.
fn validate(sb: &Sandbox, inputs: &[UpdateInput]) -> Result<(), ApiError> {
    check_inputs(inputs.len(), 100)?;
    let mut seen = HashSet::new();
    let dupes: Vec<String> = inputs
        .iter()
        .filter(|i| !seen.insert(i.id.0.clone()))
        .map(|i| i.id.0.clone())
        .collect();
    if !dupes.is_empty() {
        return Err(ApiError::validation(format!(
            "Duplicate IDs found in batch input: {dupes:?}. IDs must be unique"
        )));
    }
    let crm = sb.crm();
    for input in inputs {
        check_writable(Kind::Contact, &input.properties)
            .and_then(|()| crm.check_owner(&input.properties))
            .map_err(|why| {
                ApiError::validation(format!("Property values were not valid: {why}"))
                    .with_context("id", vec![input.id.0.clone()])
            })?;
    }
    Ok(())
}

pub(super) async fn batch_update(
    State(sb): State<Sandbox>,
    Extension(v): Extension<ApiVersion>,
    HsJson(body): HsJson<UpdateBody>,
) -> Result<Response, ApiError> {
    let started = now_ms();
    validate(&sb, &body.inputs)?;
    let mut crm = sb.crm();
    let refused = refusals(&crm, &body.inputs);
    if let Some(m) = refused.iter().flatten().find(|m| m.whole_request) {
        return Err(m.request_error());
    }
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for (input, refused) in body.inputs.into_iter().zip(refused) {
        if let Some(m) = refused {
            let e = m.input_error(("ids", input.id.0.clone()));
            errors.push(traced(e, input.object_write_trace_id));
            continue;
        }
        let names: Vec<String> = input.properties.keys().cloned().collect();
        let found = input
            .id
            .parse()
            .and_then(|id| crm.find_mut(Kind::Contact, id));
        match found {
            Some(rec) => {
                rec.set(input.properties, started);
                let mut o = render(Kind::Contact, rec, Select::Requested(&names));
                if let Some(trace) = input.object_write_trace_id {
                    o["objectWriteTraceId"] = json!(trace);
                }
                results.push(o);
            }
            None => {
                let e = not_found_error("CONTACT", vec![input.id.0.clone()]);
                errors.push(traced(e, input.object_write_trace_id));
            }
        }
    }
    Ok(batch_response(v, StatusCode::OK, results, errors, started))
}

/// Each input's refusal by the portal's required-property rules; conditional rules judge the
/// contact as it would be after the write.
fn refusals(crm: &Crm, inputs: &[UpdateInput]) -> Vec<Option<Missing>> {
    inputs
        .iter()
        .map(|i| {
            let rec =
                i.id.parse()
                    .and_then(|id| crm.find(Kind::Contact, id, false))?;
            let mut after = rec.properties.clone();
            for (k, v) in &i.properties {
                match v.is_empty() {
                    true => after.remove(k),
                    false => after.insert(k.clone(), v.clone()),
                };
            }
            crm.validation.check(Kind::Contact, &after, false)
        })
        .collect()
}

/// An input's error, with the trace id it was sent with.
fn traced(mut error: Value, trace: Option<String>) -> Value {
    if let Some(trace) = trace {
        error["context"]["objectWriteTraceId"] = json!([trace]);
    }
    error
}
