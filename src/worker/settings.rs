//! The worker's sections of the configuration tree (`[queue]`, `[worker]`, `[pipeline]`):
//! their types and the checks types cannot express, owned here as `hubspot` owns its
//! `HubspotConfig`. `config` loads the tree and reports each problem under its section's key
//! path; checks that span sections (a sequence portal must be a configured portal) stay there.

use serde::Deserialize;

use crate::jobs::LANES;

/// Receives one problem: its key inside the section (`lanes[0]`) and what is wrong.
pub type Problems<'a> = &'a mut dyn FnMut(&str, String);

/// `[pipeline]`: how events become handoffs (batching, touch detection, write-back).
#[derive(Debug, Clone, Deserialize)]
pub struct PipelineSettings {
    pub batch_window_ms: u64,
    pub batch_max_contacts: usize,
    pub batches_in_flight: usize,
    pub touch_properties: Vec<String>,
    pub source_property: String,
    pub deal_amount_property: String,
    pub task_lookup_delay_ms: i64,
    pub write_back: WriteBack,
    /// Portals whose handoffs are enrolled in the sequence `[[playbook.sequences]]` chooses
    /// (first touch, `worker::pipeline::sequence`). Empty: no enrollment anywhere.
    #[serde(default)]
    pub sequence_portals: Vec<crate::hubspot::client::PortalId>,
}

impl PipelineSettings {
    /// Range checks of `[pipeline]`.
    pub fn check(&self, p: Problems<'_>) {
        if self.batch_window_ms > 10_000 {
            p(
                "batch_window_ms",
                "must be at most 10000 (a lead waits this long before its handoff starts)".into(),
            );
        }
        if !(1..=100).contains(&self.batch_max_contacts) {
            p(
                "batch_max_contacts",
                "must be between 1 and 100 (HubSpot batch endpoints take 100 inputs)".into(),
            );
        }
        if !(1..=64).contains(&self.batches_in_flight) {
            p("batches_in_flight", "must be between 1 and 64".into());
        }
        if self.write_back.owner.trim().is_empty() {
            p(
                "write_back.owner",
                "must name the owner property (HubSpot's is hubspot_owner_id)".into(),
            );
        }
        if !(0..=3_600_000).contains(&self.task_lookup_delay_ms) {
            p(
                "task_lookup_delay_ms",
                "must be between 0 and 3600000".into(),
            );
        }
    }
}

/// Contact properties written at handoff; "" skips one.
#[derive(Debug, Clone, Deserialize)]
pub struct WriteBack {
    pub owner: String,
    pub score: String,
    pub tier: String,
    pub handed_off_at: String,
    pub sla_due_at: String,
}

impl WriteBack {
    /// The contact properties handoff writes, without the skipped ("") ones.
    pub fn properties(&self) -> Vec<&str> {
        [
            &self.owner,
            &self.score,
            &self.tier,
            &self.handed_off_at,
            &self.sla_due_at,
        ]
        .into_iter()
        .map(String::as_str)
        .filter(|p| !p.is_empty())
        .collect()
    }
}

/// `[worker]`: which lanes this process runs, and how.
#[derive(Debug, Clone, Deserialize)]
pub struct WorkerSettings {
    pub lanes: Vec<String>,
    pub concurrency: usize,
    pub poll_interval_ms: u64,
    pub drain_ms: u64,
}

impl WorkerSettings {
    /// Range checks of `[worker]`; every lane must be one this build runs.
    pub fn check(&self, p: Problems<'_>) {
        if !(1..=256).contains(&self.concurrency) {
            p("concurrency", "must be between 1 and 256".into());
        }
        if !(10..=60_000).contains(&self.poll_interval_ms) {
            p("poll_interval_ms", "must be between 10 and 60000".into());
        }
        for (i, lane) in self.lanes.iter().enumerate() {
            if !LANES.contains(&lane.as_str()) {
                let known = LANES.join(", ");
                p(
                    &format!("lanes[{i}]"),
                    format!("unknown lane {lane:?}; this build runs: {known}"),
                );
            }
        }
    }
}

/// `[queue]`: leases, housekeeping and how long the inbox remembers an event.
#[derive(Debug, Clone, Deserialize)]
pub struct QueueSettings {
    pub lease_ms: i64,
    pub maintenance_interval_ms: u64,
    pub keep_done_ms: i64,
    pub dedup_window_ms: i64,
}

impl QueueSettings {
    /// Range checks of `[queue]`.
    pub fn check(&self, p: Problems<'_>) {
        if !(1_000..=3_600_000).contains(&self.lease_ms) {
            p("lease_ms", "must be between 1000 and 3600000".into());
        }
        if !(1_000..=86_400_000).contains(&self.maintenance_interval_ms) {
            p(
                "maintenance_interval_ms",
                "must be between 1000 and 86400000".into(),
            );
        }
        if self.keep_done_ms < 0 {
            p("keep_done_ms", "must not be negative".into());
        }
        // HubSpot retries a delivery for up to 24 hours (docs/hubspot.md "Retries and timeouts
        // of deliveries"): a shorter window would let a late retry through as a new event.
        if self.dedup_window_ms < 86_400_000 {
            p(
                "dedup_window_ms",
                "must be at least 86400000 (24 h, HubSpot's retry window)".into(),
            );
        }
    }
}
