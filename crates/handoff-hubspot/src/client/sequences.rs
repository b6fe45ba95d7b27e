//! Sales sequences (docs/hubspot.md "Sales sequences (first touch)"): enroll a contact on behalf of
//! a user, and read the contact's current enrollment. Version `2026-09`, whose spec accepts
//! private-app tokens as well as OAuth ("Sequence endpoints and versions"; `2026-03` lists OAuth
//! only). The user needs a Sales/Service Hub Professional+ seat and the sender a connected inbox
//! ("Enrolling on behalf of an owner"); HubSpot's exact refusal codes are not documented ("Sequence
//! refusals"), so [`refusal_reason`] classifies them conservatively from the status and message.

use serde::{Deserialize, Serialize};

use super::HubspotClient;
use super::budget::Priority;
use super::error::HubspotError;
use super::transport::Call;
use super::types::{ContactId, PortalId};

use super::paths::SEQUENCES as BASE;

/// `PublicSequenceEnrollmentRequest` (docs/hubspot.md "Sequence shapes").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentRequest {
    pub contact_id: String,
    pub sequence_id: String,
    /// The user's connected inbox the sequence sends from.
    pub sender_email: String,
}

/// `PublicSequenceEnrollmentLiteResponse` (docs/hubspot.md "Sequence shapes").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Enrollment {
    pub id: String,
    #[serde(default)]
    pub enrolled_at: Option<String>,
}

/// `PublicSequenceEnrollmentResponse`: the contact's current enrollment (docs/hubspot.md "Sequence
/// shapes").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactEnrollment {
    pub id: String,
    pub sequence_id: String,
    #[serde(default)]
    pub sequence_name: Option<String>,
    #[serde(default)]
    pub enrolled_by: Option<String>,
}

/// `PublicSequenceResponse`, the parts handoff reads (docs/hubspot.md "Sequence shapes").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sequence {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

impl HubspotClient {
    /// `GET …/{sequenceId}?userId=`: the sequence as `user_id` may use it; `None` on 404. The
    /// id is digits (checked with the playbook), so it cannot change the path.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64()))]
    pub async fn sequence(
        &self,
        portal: PortalId,
        sequence_id: &str,
        user_id: u64,
    ) -> Result<Option<Sequence>, HubspotError> {
        let mut call = Call::get(portal, format!("{BASE}/{sequence_id}"), Priority::Read);
        call.query.push(("userId", user_id.to_string()));
        match self.inner.send(&call).await {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST …/enrollments?userId=`: enrolls the contact on behalf of `user_id`. Not idempotent:
    /// after an unknown outcome read [`Self::sequence_enrollment`] before sending again.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64()))]
    pub async fn enroll_in_sequence(
        &self,
        portal: PortalId,
        user_id: u64,
        request: &EnrollmentRequest,
    ) -> Result<Enrollment, HubspotError> {
        let mut call = Call::post(
            portal,
            format!("{BASE}/enrollments"),
            request,
            Priority::Write,
            false,
        )?;
        call.query.push(("userId", user_id.to_string()));
        self.inner.send(&call).await
    }

    /// `GET …/enrollments/contact/{contactId}`: the contact's current enrollment; `None` when
    /// HubSpot answers 404 (not enrolled).
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64()))]
    pub async fn sequence_enrollment(
        &self,
        portal: PortalId,
        contact: ContactId,
    ) -> Result<Option<ContactEnrollment>, HubspotError> {
        let call = Call::get(
            portal,
            format!("{BASE}/enrollments/contact/{}", contact.as_u64()),
            Priority::Read,
        );
        match self.inner.send(&call).await {
            Ok(e) => Ok(Some(e)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Why HubSpot refused an enrollment, as a stable reason for the ledger and metrics; `None`
/// when the error is not a refusal (rate limit, transient, auth).
pub fn refusal_reason(err: &HubspotError) -> Option<&'static str> {
    let HubspotError::Permanent { detail, .. } = err else {
        return None;
    };
    let message = detail.message.to_ascii_lowercase();
    let has = |s: &str| message.contains(s);
    Some(if has("already_enrolled") || has("already enrolled") {
        "already_enrolled"
    } else if has("scope") {
        // The app lacks automation.sequences.* (docs/hubspot.md "Sales sequences (first touch)"):
        // an install problem, not the rep's.
        "missing_scope"
    } else if detail.status == Some(403) || has("seat") {
        "no_seat"
    } else if has("inbox") || has("senderemail") || has("sender email") {
        "no_inbox"
    } else if detail.status == Some(404) && has("sequence") {
        "unknown_sequence"
    } else {
        "refused"
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ErrorDetail;

    fn refused(status: u16, message: &str) -> HubspotError {
        HubspotError::Permanent {
            portal: PortalId::new(1).unwrap(),
            detail: ErrorDetail {
                status: Some(status),
                category: Some("VALIDATION_ERROR".into()),
                message: message.into(),
                correlation_id: None,
                ..ErrorDetail::default()
            },
        }
    }

    #[test]
    fn refusals_are_classified_from_status_and_message() {
        let cases = [
            (
                400,
                "Contact is already enrolled in a sequence (ALREADY_ENROLLED)",
                "already_enrolled",
            ),
            (
                403,
                "User 9101 does not have a Sales Hub Professional seat",
                "no_seat",
            ),
            (
                400,
                "senderEmail x@example.com is not a connected inbox of user 9101",
                "no_inbox",
            ),
            (404, "Sequence 123 not found", "unknown_sequence"),
            (400, "BLOCKED_DOMAIN", "refused"),
            (
                403,
                "This app hasn't been granted all required scopes to make this call.",
                "missing_scope",
            ),
        ];
        for (status, message, want) in cases {
            assert_eq!(
                refusal_reason(&refused(status, message)),
                Some(want),
                "{message}"
            );
        }
    }

    #[test]
    fn a_rate_limit_is_not_a_refusal() {
        let err = HubspotError::RateLimited {
            portal: PortalId::new(1).unwrap(),
            policy: crate::client::RateLimitPolicy::TenSecondly,
            retry_at: jiff::Timestamp::UNIX_EPOCH,
        };
        assert_eq!(refusal_reason(&err), None);
    }
}
