//! The handoff pipeline: a contact's events become a handoff — decided by the engine, written
//! back to HubSpot (owner, score, tier, times), given one follow-up task and an SLA ladder — and
//! the ladder's checks, touches and dispositions close the loop. Every effect is recorded in
//! the ledger step by step (`store::ledger`) so a retry resumes and never duplicates.
//!
//! - `run.rs`: what one batch or check works with (store, HubSpot, one snapshot of the
//!   rules, settings, metrics, clock) and how a failure ends its job;
//! - `events.rs`: the events lane's batches (coalescing, intent, per-portal runs, outcomes);
//! - `intent.rs`: what a contact's events ask for (decide, erase, merge, nothing);
//! - `batch.rs`: one portal's batch (batch reads, decisions, touches);
//! - `availability.rs`: rep availability from HubSpot's CRM users applied to the roster;
//!   `roster_check.rs`: the roster checked against HubSpot's owners at start (warnings);
//! - `read.rs`: contacts and their companies as the engine reads them;
//! - `steps.rs`: the resumable steps (write contact, create task, schedule ladder);
//!   `stored.rs`: the SLA ladder a handoff keeps between them; `task_text.rs`: the task text
//!   rendered at decision time, stored and read back; `refusals.rs`: writes HubSpot refused
//!   for a missing required property (a named, permanent error);
//! - `sequence.rs`: first-touch sequence enrollment after the task (never blocks the handoff);
//!   `sequence_check.rs`: the playbook's sequence ids read from HubSpot at start;
//! - `sla.rs`: SLA checks (remind, escalate, reassign, fallback queue, close the loop);
//! - `pause.rs`: operator pauses (a paused portal's jobs wait, no HubSpot call);
//! - `breach.rs`: which check or touch counts a missed first-touch SLA (once per assignment);
//! - `touch.rs`: touches and dispositions read from contact properties;
//! - `leads.rs`: the HubSpot Lead of each handoff (`[playbook.leads]`), created once;
//!   `lead_owner.rs`: a reassigned handoff's lead gets the new owner;
//! - `lead_stages.rs`: lead stage webhooks read as dispositions;
//! - `trace.rs`: the spans that put a lead's ids on every log line about it;
//! - `slack/`: lead alerts in Slack (`[alerts.slack]`): claimed here, sent and their clicks
//!   applied by the alerts lane.

mod availability;
mod batch;
mod breach;
pub(crate) mod decision;
pub(crate) mod events;
mod intent;
mod lead_owner;
pub mod lead_stages;
mod leads;
mod observed;
pub mod pause;
mod read;
pub(crate) mod reassign;
mod refusals;
pub mod roster_check;
pub mod rules;
mod run;
mod sequence;
pub mod sequence_check;
pub mod sla;
pub mod slack;
mod steps;
pub(crate) mod stored;
mod task_text;
pub(crate) mod touch;
pub(crate) mod trace;

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::hubspot::client::{Clock, HubspotClient, PortalId};
use crate::metrics::Metrics;
use crate::store::Store;
use crate::worker::settings::PipelineSettings;

pub use lead_stages::StageCache;
pub use rules::{Rules, RulesHandle};
pub(crate) use run::{PortalRun, Run};

/// The handoff pipeline of this process: what its runs are built from (the store, the HubSpot
/// client, the rules handle, the settings, the metrics and the clock) and the state it keeps
/// between runs (pauses, lead stages). Nothing reaches in: each batch or check gets a [`Run`]
/// (a snapshot of the rules and what the steps use), the lanes and the admin routes get what
/// they ask for by name.
#[derive(Debug)]
pub struct Pipeline {
    store: Store,
    client: HubspotClient,
    rules: RulesHandle,
    settings: PipelineSettings,
    metrics: Arc<Metrics>,
    /// Shared with the admin routes, whose resume lifts this process's auth pause at once.
    pauses: Arc<pause::Pauses>,
    /// Each portal's lead stages (`lead_stages.rs`).
    lead_stages: lead_stages::StageCache,
    clock: Arc<dyn Clock>,
    /// Slack alerts, when `[alerts.slack]` is enabled.
    slack: Option<Arc<slack::SlackAlerts>>,
}

/// How the events lane batches: at most `max_contacts` contacts a batch, gathered over
/// `window_ms`, `in_flight` batches at once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Batching {
    pub(crate) max_contacts: usize,
    pub(crate) window_ms: u64,
    pub(crate) in_flight: usize,
}

/// What a [`Pipeline`] is built from.
#[derive(Debug)]
pub(crate) struct PipelineParts {
    pub(crate) store: Store,
    pub(crate) client: HubspotClient,
    pub(crate) rules: RulesHandle,
    pub(crate) settings: PipelineSettings,
    pub(crate) metrics: Arc<Metrics>,
    /// The time every run reads (the client's clock, so both agree).
    pub(crate) clock: Arc<dyn Clock>,
    /// Slack alerts, when `[alerts.slack]` is enabled.
    pub(crate) slack: Option<Arc<slack::SlackAlerts>>,
}

impl Pipeline {
    pub(crate) fn new(parts: PipelineParts) -> Self {
        let started_at_ms = parts.clock.now().as_millisecond();
        Self {
            store: parts.store,
            client: parts.client,
            rules: parts.rules,
            settings: parts.settings,
            metrics: parts.metrics,
            pauses: Arc::new(pause::Pauses::new(started_at_ms)),
            lead_stages: lead_stages::StageCache::default(),
            clock: parts.clock,
            slack: parts.slack,
        }
    }

    /// The rules handle (reloads, the admin routes).
    pub fn rules(&self) -> &RulesHandle {
        &self.rules
    }

    /// The HubSpot client (the admin routes' resume).
    pub fn client(&self) -> &HubspotClient {
        &self.client
    }

    /// Operator and auth pauses as this process follows them (the admin routes' resume).
    pub fn pauses(&self) -> &Arc<pause::Pauses> {
        &self.pauses
    }

    /// How the events lane batches (`[pipeline]`).
    pub(crate) fn batching(&self) -> Batching {
        Batching {
            max_contacts: self.settings.batch_max_contacts,
            window_ms: self.settings.batch_window_ms,
            in_flight: self.settings.batches_in_flight,
        }
    }

    /// What one batch or check works with, the rules in force now kept for all of it.
    pub(crate) fn run(&self) -> Run<'_> {
        Run {
            store: &self.store,
            crm: &self.client,
            rules: self.rules.current(),
            settings: &self.settings,
            metrics: &self.metrics,
            stages: &self.lead_stages,
            clock: self.clock.as_ref(),
            slack: self.slack.as_deref(),
        }
    }

    /// The checks `serve` logs at start, side by side: the roster against HubSpot's owners,
    /// the playbook's sequences, and each lead-creating portal's lead stages.
    pub async fn at_start(self: Arc<Self>) {
        tokio::join!(
            sequence_check::check_at_start(&self),
            roster_check::check_at_start(&self),
            lead_stages::read_at_start(&self),
        );
    }

    /// The portals paused now (see [`pause::Pauses::paused`]).
    pub(crate) async fn paused(&self) -> Result<BTreeSet<PortalId>, crate::store::StoreError> {
        let now_ms = self.clock.now().as_millisecond();
        self.pauses.paused(&self.store, &self.client, now_ms).await
    }
}

/// [`Run::contact_properties`] for a playbook and settings (also what the journal
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
