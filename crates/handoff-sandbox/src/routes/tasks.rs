//! `POST /crm/v3/objects/tasks/batch/create` (docs/hubspot.md "Tasks"): ≤ 100 inputs, each with
//! properties (`hs_timestamp` required, ms or ISO-8601, stored as ISO), associations to contacts
//! (`HUBSPOT_DEFINED` / 204) and an optional `objectWriteTraceId`, echoed on the result and in
//! per-input errors. Inputs without a trace id cannot be told apart, so an invalid one fails the
//! whole batch with 400 instead of a 207. Properties the portal requires (`validation.rs`) are
//! checked before anything else.

use std::collections::BTreeMap;

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiVersion;
use super::{IdStr, batch_response, check_inputs, de_props};
use crate::Sandbox;
use crate::error::{ApiError, HsJson};
use crate::state::{Crm, Kind, Record, Select, check_writable, iso, now_ms, render};

/// `TASK_TO_CONTACT` (docs/hubspot.md "Tasks").
const TASK_TO_CONTACT: u32 = 204;
const STATUSES: [&str; 5] = [
    "NOT_STARTED",
    "IN_PROGRESS",
    "COMPLETED",
    "DEFERRED",
    "WAITING",
];
const PRIORITIES: [&str; 4] = ["NONE", "LOW", "MEDIUM", "HIGH"];
const TYPES: [&str; 3] = ["EMAIL", "CALL", "TODO"];

/// A batch create body with associations (tasks here, leads in `leads.rs`).
#[derive(Debug, Deserialize)]
pub(super) struct CreateBody {
    pub(super) inputs: Vec<CreateInput>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateInput {
    #[serde(default, deserialize_with = "de_props")]
    pub(super) properties: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) associations: Vec<AssociationSpec>,
    #[serde(default)]
    pub(super) object_write_trace_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct AssociationSpec {
    pub(super) to: To,
    pub(super) types: Vec<AssociationType>,
}

#[derive(Debug, Deserialize)]
pub(super) struct To {
    pub(super) id: IdStr,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AssociationType {
    pub(super) association_category: String,
    pub(super) association_type_id: u32,
}

/// `hs_timestamp` as Unix ms or ISO-8601, normalised to ISO with milliseconds.
pub(crate) fn normalise_timestamp(v: &str) -> Option<String> {
    let v = v.trim();
    let ms = match v.parse::<i64>() {
        Ok(ms) => ms,
        Err(_) => v.parse::<jiff::Timestamp>().ok()?.as_millisecond(),
    };
    jiff::Timestamp::from_millisecond(ms).ok()?;
    Some(iso(ms))
}

/// Checks `hs_task_status`/`priority`/`type` and the owner; normalises `hs_timestamp`.
pub(crate) fn check_task_properties(
    crm: &Crm,
    props: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    check_writable(Kind::Task, props)?;
    crm.check_owner(props)?;
    if let Some(ts) = props.get_mut("hs_timestamp") {
        *ts = normalise_timestamp(ts)
            .ok_or_else(|| format!("hs_timestamp: `{ts}` is not a Unix ms or ISO-8601 time"))?;
    }
    let enums = [
        ("hs_task_status", &STATUSES[..]),
        ("hs_task_priority", &PRIORITIES[..]),
        ("hs_task_type", &TYPES[..]),
    ];
    for (name, allowed) in enums {
        if let Some(v) = props.get(name).filter(|v| !allowed.contains(&v.as_str())) {
            return Err(format!("{v} is not a valid option for {name}: {allowed:?}"));
        }
    }
    Ok(())
}

/// One input → a task record, or why not.
fn build(crm: &mut Crm, mut input: CreateInput, now: i64) -> Result<Record, String> {
    if !input.properties.contains_key("hs_timestamp") {
        return Err("hs_timestamp is required (the task's due date)".into());
    }
    input
        .properties
        .entry("hs_task_status".into())
        .or_insert_with(|| "NOT_STARTED".into());
    check_task_properties(crm, &mut input.properties)?;
    let mut contacts = Vec::new();
    for assoc in &input.associations {
        for t in &assoc.types {
            if t.association_category != "HUBSPOT_DEFINED"
                || t.association_type_id != TASK_TO_CONTACT
            {
                return Err(format!(
                    "association {}/{} is not supported by the sandbox (only HUBSPOT_DEFINED/204, task to contact)",
                    t.association_category, t.association_type_id
                ));
            }
        }
        let contact = assoc
            .to
            .parse()
            .and_then(|id| crm.find(Kind::Contact, id, false))
            .ok_or_else(|| format!("contact {} does not exist", assoc.to.id.0))?;
        if !contacts.contains(&contact.id) {
            contacts.push(contact.id);
        }
    }
    let mut rec = Record::new(crm.allocate(), now);
    rec.properties = input.properties;
    rec.links = contacts;
    rec.trace_id = input.object_write_trace_id;
    Ok(rec)
}

impl To {
    fn parse(&self) -> Option<u64> {
        self.id.parse()
    }
}

pub(super) async fn batch_create(
    State(sb): State<Sandbox>,
    Extension(v): Extension<ApiVersion>,
    HsJson(body): HsJson<CreateBody>,
) -> Result<Response, ApiError> {
    let started = now_ms();
    check_inputs(body.inputs.len(), 100)?;
    let mut crm = sb.crm();
    let (results, errors) = create_each(&mut crm, Kind::Task, body.inputs, (started, build))?;
    Ok(batch_response(
        v,
        StatusCode::CREATED,
        results,
        errors,
        started,
    ))
}

/// Turns one input into a record of its kind, or says why not.
pub(super) type Build = fn(&mut Crm, CreateInput, i64) -> Result<Record, String>;

/// Creates a batch's inputs (tasks here, leads in `leads.rs`): the properties the portal
/// requires are checked first for every input, then each is built; a refusal that cannot be
/// told apart (no trace id, or the portal refuses whole requests) refuses the request and
/// creates nothing. Returns the created records and the per-input errors, in input order.
pub(super) fn create_each(
    crm: &mut Crm,
    kind: Kind,
    inputs: Vec<CreateInput>,
    (started, build): (i64, Build),
) -> Result<(Vec<Value>, Vec<Value>), ApiError> {
    let checked: Vec<_> = inputs
        .into_iter()
        .map(|i| (crm.validation.check(kind, &i.properties, true), i))
        .collect();
    if let Some((Some(m), _)) = checked.iter().find(|(m, i)| {
        m.as_ref()
            .is_some_and(|m| m.whole_request || i.object_write_trace_id.is_none())
    }) {
        return Err(m.request_error());
    }
    let mut built = Vec::new();
    for (missing, input) in checked {
        let trace = input.object_write_trace_id.clone();
        if let (Some(m), Some(t)) = (missing, &trace) {
            built.push(Err(m.input_error(("objectWriteTraceId", t.clone()))));
            continue;
        }
        match (build(crm, input, started), trace) {
            (Ok(rec), _) => built.push(Ok(rec)),
            (Err(why), Some(trace)) => built.push(Err(ApiError::validation(why)
                .with_context("objectWriteTraceId", vec![trace])
                .body())),
            (Err(why), None) => return Err(ApiError::validation(why)),
        }
    }
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for outcome in built {
        match outcome {
            Ok(rec) => {
                let mut o = render(kind, &rec, Select::All);
                if let Some(trace) = &rec.trace_id {
                    o["objectWriteTraceId"] = json!(trace);
                }
                results.push(o);
                crm.insert(kind, rec);
            }
            Err(error) => errors.push(error),
        }
    }
    Ok((results, errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_times_normalise_to_iso_milliseconds() {
        let iso = Some("2019-10-30T03:30:17.883Z".to_owned());
        assert_eq!(normalise_timestamp("1572406217883"), iso);
        assert_eq!(normalise_timestamp("2019-10-30T03:30:17.883Z"), iso);
        assert_eq!(normalise_timestamp("tomorrow"), None);
    }

    #[test]
    fn task_enums_and_owners_are_checked() {
        let crm = Crm::new(0);
        let mut props = BTreeMap::from([("hs_task_status".to_owned(), "DONE".to_owned())]);
        assert!(check_task_properties(&crm, &mut props).is_err());
        let mut props = BTreeMap::from([("hs_task_priority".to_owned(), "HIGH".to_owned())]);
        assert!(check_task_properties(&crm, &mut props).is_ok());
        let mut props = BTreeMap::from([("hubspot_owner_id".to_owned(), "1".to_owned())]);
        assert!(check_task_properties(&crm, &mut props).is_err());
    }
}
