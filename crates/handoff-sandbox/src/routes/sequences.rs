//! Sequences (docs/hubspot.md "Sequence endpoints and versions"), version `2026-09` as
//! `hubspot::client` calls it: `POST …/enrollments?userId=` (enroll on behalf of a user), `GET
//! …/enrollments/contact/{id}` (the contact's current enrollment; 404 when none), and `GET
//! …/{sequenceId}?userId=` (one sequence). The rules and refusals are in `sandbox::sequences`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::IdStr;
use crate::Sandbox;
use crate::error::{ApiError, HsJson, HsQuery, parse_id};
use crate::sequences::{Enroll, EnrollmentView, Refusal};
use crate::state::{Kind, iso, now_ms};

/// `?userId=` (required on enroll and get-one, "Sequence endpoints and versions").
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UserQuery {
    #[serde(default)]
    user_id: Option<String>,
}

impl UserQuery {
    fn user_id(&self) -> Result<u64, ApiError> {
        let raw = self
            .user_id
            .as_deref()
            .ok_or_else(|| ApiError::validation("userId is required"))?;
        raw.trim()
            .parse()
            .map_err(|_| ApiError::validation(format!("userId `{raw}` is not numeric")))
    }
}

/// `PublicSequenceEnrollmentRequest` ("Sequence shapes").
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct EnrollBody {
    contact_id: IdStr,
    sequence_id: IdStr,
    sender_email: String,
    /// Accepted, not modelled.
    #[serde(default, rename = "senderAliasAddress")]
    _sender_alias_address: Option<String>,
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        let (status, category, message) = r.parts();
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        ApiError::new(status, category, message)
    }
}

pub(super) async fn enroll(
    State(sb): State<Sandbox>,
    HsQuery(q): HsQuery<UserQuery>,
    HsJson(body): HsJson<EnrollBody>,
) -> Result<Json<Value>, ApiError> {
    let user_id = q.user_id()?;
    let contact_id = body
        .contact_id
        .parse()
        .ok_or_else(|| ApiError::validation("contactId must be numeric"))?;
    let mut crm = sb.crm();
    let user_inbox = crm
        .owners
        .iter()
        .find(|o| !o.archived && o.user_id == Some(user_id))
        .and_then(|o| o.email.clone());
    let contact = crm.resolve(Kind::Contact, contact_id);
    let to_email = crm
        .table(Kind::Contact)
        .get(&contact)
        .filter(|r| !r.archived())
        .map(|r| r.properties.get("email").cloned().unwrap_or_default());
    let view = crm.sequences.enroll(
        Enroll {
            user_id,
            user_inbox: user_inbox.as_deref(),
            contact_id: contact,
            to_email,
            sequence_id: &body.sequence_id.0,
            sender_email: &body.sender_email,
        },
        now_ms(),
    )?;
    if crm.sequences.lose_answers > 0 {
        crm.sequences.lose_answers -= 1;
        return Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "INTERNAL_ERROR",
            "Bad gateway (the sandbox made the enrollment and dropped this answer)",
        ));
    }
    // `PublicSequenceEnrollmentLiteResponse`.
    Ok(Json(json!({
        "id": view.id,
        "toEmail": view.to_email,
        "enrolledAt": view.enrolled_at,
        "updatedAt": view.updated_at,
    })))
}

pub(super) async fn contact_enrollment(
    State(sb): State<Sandbox>,
    Path(raw): Path<String>,
) -> Result<Json<EnrollmentView>, ApiError> {
    let crm = sb.crm();
    let contact = crm.resolve(Kind::Contact, parse_id(&raw)?);
    crm.sequences
        .enrolled
        .get(&contact)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(&raw))
}

pub(super) async fn get_one(
    State(sb): State<Sandbox>,
    Path(raw): Path<String>,
    HsQuery(q): HsQuery<UserQuery>,
) -> Result<Json<Value>, ApiError> {
    q.user_id()?;
    let crm = sb.crm();
    let seq = crm
        .sequences
        .find(raw.trim())
        .ok_or_else(|| ApiError::from(Refusal::UnknownSequence(raw.clone())))?;
    // `PublicSequenceResponse`, without steps the sandbox does not model.
    Ok(Json(json!({
        "id": seq.id.0,
        "name": seq.name,
        "userId": seq.user_id.0,
        "createdAt": iso(crm.started_ms),
        "updatedAt": iso(crm.started_ms),
        "steps": [],
        "dependencies": [],
    })))
}
