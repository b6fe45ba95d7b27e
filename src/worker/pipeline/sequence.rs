//! First touch: enrolls a handed-off contact in the sales sequence `[[playbook.sequences]]`
//! chose, on behalf of its owner (the owner's user id and email, docs/hubspot.md "Enrolling on
//! behalf of an owner"), once the task exists. It never blocks the handoff: a contact already in a
//! sequence, an owner without a seat or inbox, an unknown sequence or any other refusal is recorded
//! as `skipped` with its reason, logged and counted, and the ladder is scheduled as usual. Only a
//! burst rate limit or an outage (no answer yet) retries the job, a few times, before it is skipped
//! too (`api_unavailable`); the DAILY limit skips at once.
//!
//! Never twice: `attempted` is in the ledger before the enroll call; every run reads the
//! contact's enrollment first (`GET …/enrollments/contact/{id}`), so a retry after a lost answer
//! or a crash finds the enrollment it made instead of sending again — and HubSpot itself allows
//! one sequence per contact at a time (docs/hubspot.md "Sequence refusals"). A final outcome is
//! never overwritten, also not after a reassignment.

use std::collections::HashMap;

use tracing::Instrument;

use super::steps::Failures;
use super::task_text::sequence_of;
use super::{PortalRun, Run};
use crate::hubspot::client::{
    EnrollmentRequest, HubspotError, PortalId, RateLimitPolicy, refusal_reason,
};
use crate::metrics::pipeline::SequenceLabel;
use crate::store::StoreError;
use crate::store::ledger::{HandoffRow, Step};
use crate::store::queue::Outcome;
use crate::store::sequences::SequenceOutcome;

/// From this job attempt on, a rate limit or outage skips the enrollment (`api_unavailable`)
/// instead of holding back the SLA ladder any longer.
const GIVE_UP_AT_ATTEMPT: i64 = 5;

enum Failed {
    Hubspot(HubspotError),
    Store(StoreError),
}

/// An outcome and what HubSpot said, for the log.
struct Finished {
    outcome: SequenceOutcome,
    detail: Option<String>,
}

fn skipped(reason: &'static str, detail: Option<String>) -> Finished {
    Finished {
        outcome: SequenceOutcome::Skipped { reason },
        detail,
    }
}

/// Enrolls each row whose task exists and whose sequence is not settled yet, when the portal
/// is in `pipeline.sequence_portals`.
pub(super) async fn enroll(b: &PortalRun<'_>, rows: &[HandoffRow], failures: &mut Failures) {
    let (run, portal_id, attempts) = (b.run, b.portal_id, b.attempts);
    let portals = &run.settings.sequence_portals;
    if !portals.contains(&portal_id) {
        return;
    }
    let due: Vec<(&HandoffRow, String)> = rows
        .iter()
        .filter(|r| r.step == Step::TaskCreated && !failures.contains_key(&r.contact_id))
        .filter_map(|r| sequence_of(r).map(|s| (r, s)))
        .collect();
    if due.is_empty() {
        return;
    }
    let ids: Vec<i64> = due.iter().map(|(r, _)| r.id).collect();
    let records: HashMap<i64, _> = match run.store.sequences().records(&ids).await {
        Ok(list) => list.into_iter().map(|r| (r.handoff_id, r)).collect(),
        Err(err) => {
            for (r, _) in &due {
                failures.insert(r.contact_id, run.retry_later(attempts, err.to_string()));
            }
            return;
        }
    };
    for (row, seq) in due {
        let Some(rec) = records.get(&row.id).filter(|r| !r.is_final()) else {
            continue;
        };
        if let Some(outcome) = enroll_due(b, row, &seq, rec.attempted()).await {
            failures.insert(row.contact_id, outcome);
        }
    }
}

/// Enrolls one row and records how it went; `Some`: how its job ends instead of `Done`.
async fn enroll_due(
    b: &PortalRun<'_>,
    row: &HandoffRow,
    seq: &str,
    attempted: bool,
) -> Option<Outcome> {
    let (run, attempts) = (b.run, b.attempts);
    let span = b.each.span(row.contact_id);
    let result = match enroll_one(run, b.portal_id, row, seq, attempted)
        .instrument(span.clone())
        .await
    {
        Err(Failed::Hubspot(err)) if give_up(&err, attempts) => {
            Ok(Some(skipped("api_unavailable", Some(err.to_string()))))
        }
        other => other,
    };
    match result {
        Ok(Some(done)) => {
            let finished = finish(run, row, seq, done).instrument(span).await;
            finished
                .err()
                .map(|err| run.retry_later(attempts, err.to_string()))
        }
        Ok(None) => None,
        Err(Failed::Hubspot(err)) => Some(run.outcome_of(&err)),
        Err(Failed::Store(err)) => Some(run.retry_later(attempts, err.to_string())),
    }
}

/// Whether a rate limit or outage ends the enrollment now: from [`GIVE_UP_AT_ATTEMPT`] on, or
/// at once for the DAILY limit (its retry is hours away, and the SLA ladder would wait for it).
/// An auth failure never does: the portal is paused and every step waits for the operator.
fn give_up(err: &HubspotError, attempts: i64) -> bool {
    match err {
        HubspotError::Auth { .. } => false,
        HubspotError::RateLimited {
            policy: RateLimitPolicy::Daily,
            ..
        } => true,
        _ => attempts >= GIVE_UP_AT_ATTEMPT,
    }
}

/// A refusal becomes `skipped`; anything else (rate limit, outage, auth) is returned.
fn refused(err: HubspotError) -> Result<Option<Finished>, Failed> {
    match refusal_reason(&err) {
        Some(reason) => Ok(Some(skipped(reason, Some(err.to_string())))),
        None => Err(Failed::Hubspot(err)),
    }
}

fn enrolled(enrollment_id: String) -> Finished {
    Finished {
        outcome: SequenceOutcome::Enrolled { enrollment_id },
        detail: None,
    }
}

/// Enrolls one contact unless its enrollment is settled by what HubSpot shows (ours landed,
/// or another sequence's) or its owner cannot send; `None` when another run is at it.
async fn enroll_one(
    run: &Run<'_>,
    portal_id: PortalId,
    row: &HandoffRow,
    sequence_id: &str,
    attempted: bool,
) -> Result<Option<Finished>, Failed> {
    let portal = portal_id;
    let current = match run.crm.sequence_enrollment(portal, row.contact_id).await {
        Ok(current) => current,
        Err(err) => return refused(err),
    };
    match current {
        // Our earlier call landed; its answer was lost.
        Some(e) if attempted && e.sequence_id == sequence_id => return Ok(Some(enrolled(e.id))),
        Some(e) => {
            let detail = format!("contact is in sequence {}", e.sequence_id);
            return Ok(Some(skipped("already_enrolled", Some(detail))));
        }
        None => {}
    }
    let (user_id, email) = match sender(run, portal_id, row).await {
        Ok(sender) => sender,
        Err(settled) => return settled,
    };
    if !run
        .store
        .sequences()
        .attempted(row.id, sequence_id, run.now_ms())
        .await
        .map_err(Failed::Store)?
    {
        return Ok(None);
    }
    let request = EnrollmentRequest {
        contact_id: row.contact_id.to_string(),
        sequence_id: sequence_id.to_owned(),
        sender_email: email,
    };
    match run.crm.enroll_in_sequence(portal, user_id, &request).await {
        Ok(e) => Ok(Some(enrolled(e.id))),
        Err(err) => refused(err),
    }
}

/// The owner's user id and inbox the enrollment is sent from; `Err`: how the enrollment ends
/// without them (the owner has no user or no inbox, or could not be read).
async fn sender(
    run: &Run<'_>,
    portal_id: PortalId,
    row: &HandoffRow,
) -> Result<(u64, String), Result<Option<Finished>, Failed>> {
    let owner_id = row.owner_id;
    let owner = match run.crm.assignable_owner(portal_id, owner_id).await {
        Ok(o) => o,
        Err(err) => return Err(refused(err)),
    };
    if let Some(sender) = owner.as_ref().and_then(|o| o.user_id.zip(o.email.clone())) {
        return Ok(sender);
    }
    let reason = match owner.and_then(|o| o.user_id) {
        None => "no_user",
        Some(_) => "no_sender",
    };
    Err(Ok(Some(skipped(reason, None))))
}

/// Records the outcome, counts it and logs it.
async fn finish(
    run: &Run<'_>,
    row: &HandoffRow,
    sequence_id: &str,
    done: Finished,
) -> Result<(), StoreError> {
    run.store
        .sequences()
        .finished(row.id, sequence_id, &done.outcome, run.now_ms())
        .await?;
    let label = match &done.outcome {
        SequenceOutcome::Enrolled { enrollment_id } => {
            tracing::info!(portal_id = row.portal_id.get(), contact_id = row.contact_id.get(), owner_id = %row.owner_id, sequence_id, enrollment_id = %enrollment_id, "contact enrolled in sequence");
            SequenceLabel {
                outcome: "enrolled",
                reason: "none",
            }
        }
        SequenceOutcome::Skipped { reason } => {
            tracing::warn!(portal_id = row.portal_id.get(), contact_id = row.contact_id.get(), owner_id = %row.owner_id, sequence_id, reason, detail = done.detail.as_deref().unwrap_or(""), "sequence enrollment skipped");
            SequenceLabel {
                outcome: "skipped",
                reason,
            }
        }
    };
    run.metrics
        .pipeline
        .sequence_enrollments
        .get_or_create(&label)
        .inc();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hubspot::client::{AuthFailure, PortalId};

    fn limited(policy: RateLimitPolicy) -> HubspotError {
        HubspotError::RateLimited {
            portal: PortalId::new(1).unwrap(),
            policy,
            retry_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_burst_limit_is_retried_a_few_times_the_daily_limit_gives_up_at_once() {
        let burst = limited(RateLimitPolicy::TenSecondly);
        assert!(!give_up(&burst, 1));
        assert!(!give_up(&burst, GIVE_UP_AT_ATTEMPT - 1));
        assert!(give_up(&burst, GIVE_UP_AT_ATTEMPT));
        assert!(give_up(&limited(RateLimitPolicy::Daily), 1));
    }

    #[test]
    fn an_auth_failure_never_gives_up_the_enrollment() {
        let auth = HubspotError::Auth {
            portal: PortalId::new(1).unwrap(),
            reason: AuthFailure::TokenRejected,
        };
        assert!(!give_up(&auth, GIVE_UP_AT_ATTEMPT + 10));
    }
}
