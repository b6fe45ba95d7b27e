//! `POST /crm/v4/associations/contacts/companies/batch/read` (docs/hubspot.md "Contact → company
//! associations"): ≤ 1000 ids, each answered with its companies — the primary with type ids 1
//! ("Primary") and 279, the others with 279 — paged per record by `after`. Unknown contacts come
//! back in one `OBJECT_NOT_FOUND` error. A contact without companies gets an empty `to` list.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiVersion;
use super::{IdStr, batch_response, check_inputs, not_found_error};
use crate::Sandbox;
use crate::error::{ApiError, HsJson};
use crate::state::{Kind, now_ms};

const MAX_INPUTS: usize = 1000;
/// Links per record per page.
pub(crate) const PAGE: usize = 100;

#[derive(Debug, Deserialize)]
pub(super) struct ReadBody {
    inputs: Vec<Input>,
}

#[derive(Debug, Deserialize)]
struct Input {
    id: IdStr,
    #[serde(default)]
    after: Option<String>,
}

fn link(company: u64, primary: bool) -> Value {
    let unlabeled = json!({"category": "HUBSPOT_DEFINED", "typeId": 279, "label": null});
    let types = if primary {
        vec![
            json!({"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"}),
            unlabeled,
        ]
    } else {
        vec![unlabeled]
    };
    json!({"toObjectId": company, "associationTypes": types})
}

pub(super) async fn batch_read(
    State(sb): State<Sandbox>,
    Extension(v): Extension<ApiVersion>,
    HsJson(body): HsJson<ReadBody>,
) -> Result<Response, ApiError> {
    let started = now_ms();
    check_inputs(body.inputs.len(), MAX_INPUTS)?;
    let crm = sb.crm();
    let mut results = Vec::new();
    let mut missing = Vec::new();
    for input in &body.inputs {
        let Some(rec) = input
            .id
            .parse()
            .and_then(|id| crm.find(Kind::Contact, id, false))
        else {
            missing.push(input.id.0.clone());
            continue;
        };
        let offset: usize = match input.after.as_deref() {
            None | Some("") => 0,
            Some(a) => a
                .parse()
                .map_err(|_| ApiError::validation(format!("after: `{a}` is not a valid cursor")))?,
        };
        let to: Vec<Value> = rec
            .links
            .iter()
            .enumerate()
            .skip(offset)
            .take(PAGE)
            .map(|(i, company)| link(*company, i == 0 && !rec.no_primary))
            .collect();
        let mut result = json!({"from": {"id": input.id.0}, "to": to});
        if offset + PAGE < rec.links.len() {
            result["paging"] = json!({"next": {"after": (offset + PAGE).to_string()}});
        }
        results.push(result);
    }
    let errors = if missing.is_empty() {
        Vec::new()
    } else {
        vec![not_found_error("CONTACT", missing)]
    };
    Ok(batch_response(v, StatusCode::OK, results, errors, started))
}
