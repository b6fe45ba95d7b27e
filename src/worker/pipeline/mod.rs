//! The handoff pipeline: a contact's events become a handoff — decided by the engine, written
//! back to HubSpot (owner, score, tier, times), given one follow-up task and an SLA ladder — and
//! the ladder's checks, touches and dispositions close the loop. Every effect is recorded in
//! the ledger step by step (`store::ledger`) so a retry resumes and never duplicates.
//!
//! - `lane.rs`: the events lane (claim, micro-batch window, coalescing, outcomes);
//! - `intent.rs`: what a contact's events ask for (decide, erase, merge, nothing);
//! - `batch.rs`: one portal's batch (batch reads, decisions, touches);
//! - `availability.rs`: rep availability from HubSpot's CRM users applied to the roster;
//!   `roster_check.rs`: the roster checked against HubSpot's owners at start (warnings);
//! - `read.rs`: contacts and their companies as the engine reads them;
//! - `steps.rs`: the resumable steps (write contact, create task, schedule ladder);
//!   `stored.rs`: what a handoff keeps between them; `refusals.rs`: writes HubSpot refused
//!   for a missing required property (a named, permanent error);
//! - `sequence.rs`: first-touch sequence enrollment after the task (never blocks the handoff);
//!   `sequence_check.rs`: the playbook's sequence ids read from HubSpot at start;
//! - `sla.rs`: SLA checks (remind, escalate, reassign, fallback queue, close the loop);
//! - `pause.rs`: operator pauses (a paused portal's jobs wait, no HubSpot call);
//! - `breach.rs`: which check or touch counts a missed first-touch SLA (once per assignment);
//! - `touch.rs`: touches and dispositions read from contact properties;
//! - `leads.rs`: the HubSpot Lead of each handoff (`[playbook.leads]`), created once;
//! - `lead_stages.rs`: lead stage webhooks read as dispositions;
//! - `trace.rs`: the spans that put a lead's ids on every log line about it.

mod availability;
mod batch;
mod breach;
mod intent;
pub mod lane;
pub mod lead_stages;
mod leads;
pub mod pause;
mod read;
mod refusals;
pub mod roster_check;
pub mod rules;
mod sequence;
pub mod sequence_check;
pub mod sla;
mod steps;
mod stored;
mod touch;
pub(crate) mod trace;

use std::collections::BTreeSet;
use std::sync::Arc;

use jiff::Timestamp;

use crate::hubspot::client::{HubspotClient, HubspotError, PortalId};
use crate::metrics::Metrics;
use crate::store::Store;
use crate::store::queue::{Outcome, backoff_ms};
use crate::worker::settings::PipelineSettings;

pub use lead_stages::StageCache;
pub use rules::{Rules, RulesHandle};

/// Everything the pipeline's jobs need, in one place.
#[derive(Debug)]
pub struct Pipeline {
    pub store: Store,
    pub client: HubspotClient,
    pub rules: RulesHandle,
    pub settings: PipelineSettings,
    pub metrics: Arc<Metrics>,
    /// Shared with the admin routes, whose resume lifts this process's auth pause at once.
    pub pauses: Arc<pause::Pauses>,
    /// Each portal's lead stages (`lead_stages.rs`).
    pub lead_stages: lead_stages::StageCache,
}

pub(crate) fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

impl Pipeline {
    /// The roster's name for `owner_id`, for the `owner_name` field of log lines; empty when
    /// the roster does not know the owner.
    pub(crate) fn owner_name(&self, owner_id: &str) -> String {
        self.rules
            .current()
            .roster
            .owner(owner_id)
            .map(|o| o.owner.name.clone())
            .unwrap_or_default()
    }

    /// Contact properties every read asks for: what the playbook declares, plus touches,
    /// source, offer, deal amount and the owner.
    pub(crate) fn contact_properties(&self, rules: &Rules) -> Vec<String> {
        contact_properties_of(&rules.playbook, &self.settings)
    }

    /// Company properties the playbook reads.
    pub(crate) fn company_properties(rules: &Rules) -> Vec<String> {
        rules
            .playbook
            .doc
            .properties
            .company
            .keys()
            .cloned()
            .collect()
    }
}

/// How a failed HubSpot call ends the job: retried at the client's time (rate limit reset,
/// backoff), held while the portal's credentials are refused, or dead when retrying cannot
/// help (HubSpot refused the input).
///
/// An auth failure pauses the portal in the client until an operator fixes its credentials
/// (`handoff portal resume` or a restart); its jobs are deferred like an operator pause's:
/// back to the queue without spending an attempt, looked at again every minute (the paused
/// client answers without a HubSpot call), so a token refused over a weekend dead-letters
/// no lead.
pub(crate) fn outcome_of(err: &HubspotError) -> Outcome {
    match err.retry_at() {
        Some(at) => Outcome::Retry {
            at_ms: at.as_millisecond().max(now_ms() + 100),
            error: format!("{}: {err}", err.detail_code()),
        },
        None if matches!(err, HubspotError::Auth { .. }) => Outcome::Defer {
            at_ms: now_ms() + AUTH_RECHECK_MS,
            reason: format!("{}: {err}", err.detail_code()),
        },
        None => Outcome::Dead {
            reason: format!("{}: {err}", err.detail_code()),
        },
    }
}

/// A uniform draw in `[0, 1)` from the OS random source: the jitter of `retry_later`, so the
/// retries of many contacts that failed together spread out instead of firing in lock-step.
fn random_unit() -> f64 {
    use chacha20poly1305::aead::rand_core::RngCore;
    // 53 random bits: every f64 step in [0, 1).
    (chacha20poly1305::aead::OsRng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// How long a job held by refused credentials waits before it looks again.
const AUTH_RECHECK_MS: i64 = 60_000;

/// A retry with backoff for failures that are not HubSpot's (store errors, lookups pending).
pub(crate) fn retry_later(attempts: i64, error: impl Into<String>) -> Outcome {
    Outcome::Retry {
        at_ms: now_ms() + backoff_ms(attempts, 1_000, 300_000, random_unit()),
        error: error.into(),
    }
}

/// The portal id as the client wants it (store ids are positive `i64`s).
pub(crate) fn portal(id: i64) -> PortalId {
    PortalId(u64::try_from(id).unwrap_or_default())
}

pub(crate) fn contact(id: i64) -> crate::hubspot::client::ContactId {
    crate::hubspot::client::ContactId(u64::try_from(id).unwrap_or_default())
}

/// [`Pipeline::contact_properties`] for a playbook and settings (also what the journal
/// subscription watches by default, `worker::journal`).
pub fn contact_properties_of(
    playbook: &crate::engine::Playbook,
    s: &PipelineSettings,
) -> Vec<String> {
    let mut set: BTreeSet<String> = playbook.doc.properties.contact.keys().cloned().collect();
    set.extend(s.touch_properties.iter().cloned());
    for p in [
        &s.source_property,
        &s.deal_amount_property,
        &s.write_back.owner,
    ] {
        if !p.is_empty() {
            set.insert(p.clone());
        }
    }
    set.insert("recent_conversion_event_name".into());
    set.into_iter().collect()
}

/// The contact property with the primary company's id: read with the contacts of a batch so
/// that only contacts without it cost an association read (docs/hubspot.md
/// "associatedcompanyid"). Not in [`contact_properties_of`]: HubSpot derives it, so it is not
/// a property whose change the webhooks or the journal subscribe to.
pub(crate) const ASSOCIATED_COMPANY: &str = "associatedcompanyid";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hubspot::client::{AuthFailure, PortalId};

    #[test]
    fn retries_of_contacts_that_failed_together_spread_out() {
        let at: Vec<i64> = (0..200)
            .map(|_| match retry_later(4, "store busy") {
                Outcome::Retry { at_ms, .. } => at_ms,
                other => panic!("{other:?}"),
            })
            .collect();
        let now = now_ms();
        // Attempt 4: full jitter over [500 ms, 8 s].
        let waits: Vec<i64> = at.iter().map(|t| t - now).collect();
        assert!(
            waits.iter().all(|w| (-1_000..=8_000).contains(w)),
            "{waits:?}"
        );
        let (min, max) = (waits.iter().min().unwrap(), waits.iter().max().unwrap());
        assert!(
            max - min > 4_000,
            "retries fire in lock-step: {min}..{max} ms"
        );
        let mut distinct = waits.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(
            distinct.len() > 100,
            "{} distinct waits of 200",
            distinct.len()
        );
    }

    #[test]
    fn refused_credentials_hold_the_job_without_spending_an_attempt() {
        let err = HubspotError::Auth {
            portal: PortalId(7),
            reason: AuthFailure::TokenRejected,
        };
        match outcome_of(&err) {
            Outcome::Defer { at_ms, reason } => {
                assert!(at_ms > now_ms(), "looked at again later, not spun");
                assert!(
                    reason.starts_with("hubspot.auth.token_rejected"),
                    "{reason}"
                );
            }
            other => panic!("an auth failure must defer, not {other:?}"),
        }
    }
}
