//! Sales sequences as the sandbox holds them (docs/hubspot.md "Sales sequences (first touch)"): the
//! portal's sequences (seeded from the optional `sequences.json`), the contacts' current
//! enrollments (one sequence per contact at a time, "Sequence refusals"), and which users lack the
//! Sales/Service Hub Professional seat or the connected inbox enrolling needs ("Enrolling on behalf
//! of an owner") — set through the control API.
//!
//! The enroll rules HubSpot applies, in the order the sandbox checks them: a known user with a
//! seat; the sender is that user's connected inbox (here: the owner's email, unless the user is
//! marked without an inbox); the sequence exists; the contact exists; the contact is in no
//! sequence yet. HubSpot does not document the status codes and messages of these refusals
//! ("Sequence refusals"): the sandbox's choices are in [`Refusal`].

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::Sandbox;
use super::error::{ApiError, HsJson};
use super::routes::IdStr;
use super::state::{Kind, iso, now_ms};
use super::views::ControlError;

/// A sequence (`PublicSequenceLiteResponse`, "Sequence shapes"), as seeded.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Sequence {
    pub(crate) id: IdStr,
    pub(crate) name: String,
    /// The user who owns it.
    pub(crate) user_id: IdStr,
}

/// One contact's enrollment (`PublicSequenceEnrollmentResponse`, "Sequence shapes", plus who sent
/// it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentView {
    /// The enrollment id.
    pub id: String,
    pub contact_id: String,
    pub sequence_id: String,
    pub sequence_name: String,
    pub to_email: String,
    /// The user it was enrolled on behalf of.
    pub enrolled_by: String,
    /// The sender inbox.
    pub enrolled_by_email: String,
    /// ISO-8601.
    pub enrolled_at: String,
    /// ISO-8601.
    pub updated_at: String,
}

/// `PUT /_sandbox/sequences/users`: which user ids lack a seat or a connected inbox.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SequenceUsers {
    #[serde(default)]
    pub without_seat: BTreeSet<u64>,
    #[serde(default)]
    pub without_inbox: BTreeSet<u64>,
}

/// Sequences, enrollments and seat/inbox gaps.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sequences {
    pub(crate) list: Vec<Sequence>,
    /// Contact id → its current enrollment.
    pub(crate) enrolled: BTreeMap<u64, EnrollmentView>,
    pub(crate) users: SequenceUsers,
    /// The next this many enrollments are made but answered 502: the caller cannot know
    /// whether its call landed (an ambiguous outcome).
    pub(crate) lose_answers: u32,
    next_id: u64,
}

/// Why an enrollment was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// 403: the user has no Sales/Service Hub Professional+ seat ("Sales sequences (first touch)").
    NoSeat(u64),
    /// 400: `senderEmail` is not a connected inbox of the user ("Enrolling on behalf of an owner").
    NoInbox(u64, String),
    /// 404: no such sequence.
    UnknownSequence(String),
    /// 404: no such contact.
    UnknownContact(u64),
    /// 400: the contact is in a sequence already (`ALREADY_ENROLLED`, "Sequence refusals").
    AlreadyEnrolled(u64, String),
}

impl Refusal {
    /// `(status, category, message)` of the error body.
    pub(crate) fn parts(&self) -> (u16, &'static str, String) {
        match self {
            Self::NoSeat(u) => (
                403,
                "FORBIDDEN",
                format!(
                    "User {u} must have an assigned Sales Hub Professional or Enterprise or \
                     Service Hub Professional or Enterprise seat to use sequences"
                ),
            ),
            Self::NoInbox(u, e) => (
                400,
                "VALIDATION_ERROR",
                format!("senderEmail {e} is not a connected inbox of user {u}"),
            ),
            Self::UnknownSequence(s) => {
                (404, "OBJECT_NOT_FOUND", format!("Sequence {s} not found"))
            }
            Self::UnknownContact(c) => (404, "OBJECT_NOT_FOUND", format!("Contact {c} not found")),
            Self::AlreadyEnrolled(c, s) => (
                400,
                "VALIDATION_ERROR",
                format!(
                    "ALREADY_ENROLLED: contact {c} is already enrolled in sequence {s}; \
                     contacts can only be enrolled in one sequence at a time"
                ),
            ),
        }
    }
}

/// An enroll request after parsing: who, whom, which sequence, from which inbox.
pub(crate) struct Enroll<'a> {
    pub(crate) user_id: u64,
    /// The user's connected inbox (the owner's email), if the user is known.
    pub(crate) user_inbox: Option<&'a str>,
    pub(crate) contact_id: u64,
    /// The contact's email, if the contact exists.
    pub(crate) to_email: Option<String>,
    pub(crate) sequence_id: &'a str,
    pub(crate) sender_email: &'a str,
}

impl Sequences {
    /// Applies HubSpot's rules (module doc) and records the enrollment.
    pub(crate) fn enroll(
        &mut self,
        req: Enroll<'_>,
        now_ms: i64,
    ) -> Result<EnrollmentView, Refusal> {
        if req.user_inbox.is_none() || self.users.without_seat.contains(&req.user_id) {
            return Err(Refusal::NoSeat(req.user_id));
        }
        let inbox_ok = !self.users.without_inbox.contains(&req.user_id)
            && req
                .user_inbox
                .is_some_and(|i| i.eq_ignore_ascii_case(req.sender_email));
        if !inbox_ok {
            return Err(Refusal::NoInbox(req.user_id, req.sender_email.to_owned()));
        }
        let Some(seq) = self.list.iter().find(|s| s.id.0 == req.sequence_id) else {
            return Err(Refusal::UnknownSequence(req.sequence_id.to_owned()));
        };
        let Some(to_email) = req.to_email else {
            return Err(Refusal::UnknownContact(req.contact_id));
        };
        if let Some(e) = self.enrolled.get(&req.contact_id) {
            return Err(Refusal::AlreadyEnrolled(
                req.contact_id,
                e.sequence_id.clone(),
            ));
        }
        let view = self.record(
            req.contact_id,
            seq.clone(),
            req.user_id,
            req.sender_email,
            to_email,
            now_ms,
        );
        Ok(view)
    }

    /// Stores an enrollment without checks (the control API's "enrolled elsewhere").
    pub(crate) fn record(
        &mut self,
        contact_id: u64,
        seq: Sequence,
        user_id: u64,
        sender: &str,
        to_email: String,
        now_ms: i64,
    ) -> EnrollmentView {
        self.next_id += 1;
        let view = EnrollmentView {
            id: (770_000 + self.next_id).to_string(),
            contact_id: contact_id.to_string(),
            sequence_id: seq.id.0,
            sequence_name: seq.name,
            to_email,
            enrolled_by: user_id.to_string(),
            enrolled_by_email: sender.to_owned(),
            enrolled_at: iso(now_ms),
            updated_at: iso(now_ms),
        };
        self.enrolled.insert(contact_id, view.clone());
        view
    }

    pub(crate) fn find(&self, id: &str) -> Option<&Sequence> {
        self.list.iter().find(|s| s.id.0 == id)
    }
}

/// `POST /_sandbox/sequences/enrollments`: a contact enrolled outside handoff (by a rep in
/// HubSpot), with no checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct EnrollElsewhere {
    pub contact_id: String,
    pub sequence_id: String,
    pub user_id: String,
}

impl Sandbox {
    /// Every current enrollment, by contact id.
    pub fn sequence_enrollments(&self) -> Vec<EnrollmentView> {
        self.crm().sequences.enrolled.values().cloned().collect()
    }

    /// Which users lack a seat or a connected inbox (replaces the previous setting).
    pub(crate) fn set_sequence_users(&self, users: SequenceUsers) {
        self.crm().sequences.users = users;
    }

    /// Enrolls a contact as a rep would in HubSpot, bypassing the checks.
    pub(crate) fn enroll_elsewhere(
        &self,
        input: &EnrollElsewhere,
    ) -> Result<EnrollmentView, ControlError> {
        let mut crm = self.crm();
        let contact: u64 = input.contact_id.trim().parse().map_err(|_| {
            ControlError::Invalid(format!("contactId `{}` is not numeric", input.contact_id))
        })?;
        let user: u64 = input.user_id.trim().parse().map_err(|_| {
            ControlError::Invalid(format!("userId `{}` is not numeric", input.user_id))
        })?;
        let seq = crm
            .sequences
            .find(input.sequence_id.trim())
            .cloned()
            .ok_or_else(|| ControlError::NotFound(format!("sequence {}", input.sequence_id)))?;
        let contact = crm.resolve(Kind::Contact, contact);
        let to_email = crm
            .table(Kind::Contact)
            .get(&contact)
            .map(|r| r.properties.get("email").cloned().unwrap_or_default())
            .ok_or_else(|| ControlError::NotFound(format!("contact {contact}")))?;
        Ok(crm
            .sequences
            .record(contact, seq, user, "", to_email, now_ms()))
    }
}

/// `PUT /_sandbox/sequences/lost-answers`: how many of the next enrollments are made but
/// answered 502.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct LostAnswers {
    pub count: u32,
}

/// The control routes: `GET`/`POST /_sandbox/sequences/enrollments` (list; enroll elsewhere),
/// `GET`/`PUT /_sandbox/sequences/users` (users without a seat or inbox),
/// `PUT /_sandbox/sequences/lost-answers` (enrollments made but answered 502).
pub(super) fn control_routes() -> Router<Sandbox> {
    Router::new()
        .route(
            "/sequences/enrollments",
            get(list_enrollments).post(post_enrollment),
        )
        .route("/sequences/users", get(get_users).put(put_users))
        .route("/sequences/lost-answers", put(put_lost_answers))
}

async fn put_lost_answers(
    State(sb): State<Sandbox>,
    HsJson(lost): HsJson<LostAnswers>,
) -> Json<LostAnswers> {
    sb.crm().sequences.lose_answers = lost.count;
    Json(lost)
}

async fn list_enrollments(State(sb): State<Sandbox>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "results": sb.sequence_enrollments() }))
}

async fn post_enrollment(
    State(sb): State<Sandbox>,
    HsJson(input): HsJson<EnrollElsewhere>,
) -> Result<(StatusCode, Json<EnrollmentView>), ApiError> {
    Ok((StatusCode::CREATED, Json(sb.enroll_elsewhere(&input)?)))
}

async fn get_users(State(sb): State<Sandbox>) -> Json<SequenceUsers> {
    Json(sb.crm().sequences.users.clone())
}

async fn put_users(
    State(sb): State<Sandbox>,
    HsJson(users): HsJson<SequenceUsers>,
) -> Json<SequenceUsers> {
    sb.set_sequence_users(users.clone());
    Json(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeded() -> Sequences {
        Sequences {
            list: vec![Sequence {
                id: IdStr("4001".into()),
                name: "Demo follow-up".into(),
                user_id: IdStr("9100".into()),
            }],
            ..Sequences::default()
        }
    }

    fn req<'a>(user_id: u64, sender: &'a str, sequence_id: &'a str) -> Enroll<'a> {
        Enroll {
            user_id,
            user_inbox: Some("rep@example.com"),
            contact_id: 7,
            to_email: Some("lead@example.org".into()),
            sequence_id,
            sender_email: sender,
        }
    }

    #[test]
    fn a_contact_is_enrolled_once_then_refused_as_already_enrolled() {
        let mut s = seeded();
        let e = s.enroll(req(9100, "rep@example.com", "4001"), 0).unwrap();
        assert_eq!(
            (e.sequence_id.as_str(), e.enrolled_by.as_str()),
            ("4001", "9100")
        );
        let again = s.enroll(req(9100, "rep@example.com", "4001"), 1);
        assert_eq!(again, Err(Refusal::AlreadyEnrolled(7, "4001".into())));
    }

    #[test]
    fn seat_inbox_and_sequence_are_checked_before_enrolling() {
        let mut s = seeded();
        s.users.without_seat.insert(9101);
        s.users.without_inbox.insert(9102);
        assert_eq!(
            s.enroll(req(9101, "rep@example.com", "4001"), 0),
            Err(Refusal::NoSeat(9101))
        );
        assert!(matches!(
            s.enroll(req(9102, "rep@example.com", "4001"), 0),
            Err(Refusal::NoInbox(9102, _))
        ));
        assert!(matches!(
            s.enroll(req(9100, "other@example.com", "4001"), 0),
            Err(Refusal::NoInbox(9100, _))
        ));
        assert_eq!(
            s.enroll(req(9100, "rep@example.com", "999"), 0),
            Err(Refusal::UnknownSequence("999".into()))
        );
        assert!(s.enrolled.is_empty());
    }
}
