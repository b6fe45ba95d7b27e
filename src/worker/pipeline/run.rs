//! What one run of the pipeline (a batch of the events lane, or one SLA check) works with, and
//! how a failure ends its job. A [`Run`] is built by `Pipeline::run` when the run begins: it
//! holds the rules in force then for the whole run (a reload applies from the next run, as
//! `rules.rs` promises), and reads the time from the pipeline's clock, so tests drive time
//! instead of waiting for it. The handoff steps of one portal get a [`PortalRun`].

use crate::hubspot::client::{OwnerId, PortalId};
use std::sync::Arc;

use crate::hubspot::client::{Clock, HubspotClient, HubspotError};
use crate::metrics::Metrics;
use crate::store::Store;
use crate::store::queue::{Outcome, backoff_ms};
use crate::worker::settings::PipelineSettings;

use super::lead_stages::StageCache;
use super::trace::Contacts;
use super::{Rules, contact_properties_of};

/// The dependencies of one run and the rules it runs with.
pub(crate) struct Run<'a> {
    pub(crate) store: &'a Store,
    pub(crate) crm: &'a HubspotClient,
    pub(crate) rules: Arc<Rules>,
    pub(crate) settings: &'a PipelineSettings,
    pub(crate) metrics: &'a Metrics,
    /// Each portal's lead stages, as last read (`lead_stages.rs`).
    pub(crate) stages: &'a StageCache,
    pub(crate) clock: &'a dyn Clock,
    /// Slack alerts, when `[alerts.slack]` is enabled.
    pub(crate) slack: Option<&'a super::slack::SlackAlerts>,
}

impl Run<'_> {
    /// The clock's time now, in ms.
    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now().as_millisecond()
    }

    /// The roster's name for `owner_id`, for the `owner_name` field of log lines; empty when
    /// the roster does not know the owner.
    pub(crate) fn owner_name(&self, owner_id: OwnerId) -> String {
        self.rules
            .roster
            .owner_by_id(owner_id)
            .map(|o| o.owner.name.clone())
            .unwrap_or_default()
    }

    /// Contact properties every read asks for: what the playbook declares, plus touches,
    /// source, offer, deal amount and the owner.
    pub(crate) fn contact_properties(&self) -> Vec<String> {
        contact_properties_of(&self.rules.playbook, self.settings)
    }

    /// Company properties the playbook reads.
    pub(crate) fn company_properties(&self) -> Vec<String> {
        let company = &self.rules.playbook.doc.properties.company;
        company.keys().cloned().collect()
    }

    /// [`outcome_of`] now.
    pub(crate) fn outcome_of(&self, err: &HubspotError) -> Outcome {
        outcome_of(err, self.now_ms())
    }

    /// [`retry_later`] now.
    pub(crate) fn retry_later(&self, attempts: i64, error: impl Into<String>) -> Outcome {
        retry_later(attempts, error, self.now_ms())
    }
}

/// One portal's share of a run, as the handoff steps see it: the run, the portal, each
/// contact's span and attempts, and the most attempts of any job in the share (for backoff).
pub(crate) struct PortalRun<'a> {
    pub(crate) run: &'a Run<'a>,
    pub(crate) portal_id: PortalId,
    pub(crate) each: &'a Contacts,
    pub(crate) attempts: i64,
}

/// How a failed HubSpot call ends the job at `now_ms`: retried at the client's time (rate
/// limit reset, backoff), held while the portal's credentials are refused, or dead when
/// retrying cannot help (HubSpot refused the input).
///
/// An auth failure pauses the portal in the client until an operator fixes its credentials
/// (`handoff portal resume` or a restart); its jobs are deferred like an operator pause's:
/// back to the queue without spending an attempt, looked at again every minute (the paused
/// client answers without a HubSpot call), so a token refused over a weekend dead-letters
/// no lead.
pub(crate) fn outcome_of(err: &HubspotError, now_ms: i64) -> Outcome {
    match err.retry_at() {
        Some(at) => Outcome::Retry {
            at_ms: at.as_millisecond().max(now_ms + 100),
            error: format!("{}: {err}", err.detail_code()),
        },
        None if matches!(err, HubspotError::Auth { .. }) => Outcome::Defer {
            at_ms: now_ms + AUTH_RECHECK_MS,
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

/// A retry at `now_ms` plus backoff, for failures that are not HubSpot's (store errors,
/// lookups pending).
pub(crate) fn retry_later(attempts: i64, error: impl Into<String>, now_ms: i64) -> Outcome {
    Outcome::Retry {
        at_ms: now_ms + backoff_ms(attempts, 1_000, 300_000, random_unit()),
        error: error.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hubspot::client::{AuthFailure, PortalId};

    const NOW: i64 = 1_700_000_000_000;

    #[test]
    fn retries_of_contacts_that_failed_together_spread_out() {
        let waits: Vec<i64> = (0..200)
            .map(|_| match retry_later(4, "store busy", NOW) {
                Outcome::Retry { at_ms, .. } => at_ms - NOW,
                other => panic!("{other:?}"),
            })
            .collect();
        // Attempt 4: full jitter over [500 ms, 8 s].
        assert!(waits.iter().all(|w| (500..=8_000).contains(w)), "{waits:?}");
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
            portal: PortalId::new(7).unwrap(),
            reason: AuthFailure::TokenRejected,
        };
        match outcome_of(&err, NOW) {
            Outcome::Defer { at_ms, reason } => {
                assert_eq!(at_ms, NOW + AUTH_RECHECK_MS, "looked at again in a minute");
                assert!(
                    reason.starts_with("hubspot.auth.token_rejected"),
                    "{reason}"
                );
            }
            other => panic!("an auth failure must defer, not {other:?}"),
        }
    }
}
