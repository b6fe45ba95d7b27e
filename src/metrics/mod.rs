//! Prometheus metrics, owned by the application (no global recorder), rendered at `/metrics`:
//! the queue's and intake's series here, the pipeline's (`pipeline.rs`), the KPI gauges
//! (`kpi.rs`) and the Webhooks Journal's (`journal.rs`) beside them; the HubSpot client's are
//! its own (`hubspot::client::metrics`), registered here into the same registry.

/// Registers metrics of `$m` into `$r`, one line a metric: `"name" => field: "help",`.
macro_rules! register {
    ($r:expr, $m:expr, { $($name:literal => $field:ident: $help:literal,)* }) => {
        $( $r.register($name, $help, $m.$field.clone()); )*
    };
}

pub mod journal;
pub mod kpi;
pub mod pipeline;
pub mod slack;

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::store::QueueDepth;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: &'static str,
}

/// What became of a request: `accepted`, `duplicate`, or the refusal's code.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabel {
    pub kind: String,
    pub outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QueueLabel {
    /// The lane; the label keeps its name `queue` for dashboards and alerts.
    pub queue: String,
    pub status: String,
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Deliveries answered 2xx.
    pub deliveries_accepted: Counter,
    /// Events in accepted deliveries, whatever became of them.
    pub events_received: Counter,
    pub events_enqueued: Counter,
    pub events_duplicate: Counter,
    /// Events of subscription types handoff does not act on.
    pub events_ignored: Counter,
    pub deliveries_rejected: Family<ReasonLabel, Counter>,
    /// Time from request start to the answer, for accepted deliveries (commit included).
    pub ack_seconds: Histogram,
    /// `POST /slack/interactions` requests by outcome.
    pub slack_interactions: Family<OutcomeLabel, Counter>,
    pub queue_jobs: Family<QueueLabel, Gauge>,
    /// Jobs handed to this process's workers.
    pub queue_claims: Counter,
    /// Job runs by kind and outcome (done, retry, dead, lease_lost, store_error).
    pub jobs_finished: Family<JobLabel, Counter>,
    /// Leases that ran out (a worker crashed or hung) and were swept.
    pub queue_lease_expiries: Counter,
    pub queue_dead_letters: Counter,
    pub queue_pruned_jobs: Counter,
    pub inbox_pruned: Counter,
    pub queue_oldest_age_seconds: Family<QueueLabel, Gauge<f64, AtomicU64>>,
    pub pipeline: pipeline::PipelineMetrics,
    pub kpi: kpi::KpiMetrics,
    /// Handed to the HubSpot client at startup.
    pub hubspot: crate::hubspot::client::metrics::HubspotMetrics,
    /// Webhooks Journal backfill (`worker::journal`).
    pub journal: journal::JournalMetrics,
    /// Slack alerts and clicks (`worker::pipeline::slack`).
    pub slack: slack::SlackMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("handoff");
        let pipeline = pipeline::PipelineMetrics::new(&mut registry);
        let kpi = kpi::KpiMetrics::new(&mut registry);
        let hubspot = crate::hubspot::client::metrics::HubspotMetrics::new(&mut registry);
        let journal = journal::JournalMetrics::new(&mut registry);
        let slack = slack::SlackMetrics::new(&mut registry);
        let m = Self {
            journal,
            slack,
            pipeline,
            kpi,
            hubspot,
            deliveries_accepted: Counter::default(),
            events_received: Counter::default(),
            events_enqueued: Counter::default(),
            events_duplicate: Counter::default(),
            events_ignored: Counter::default(),
            deliveries_rejected: Family::default(),
            ack_seconds: Histogram::new(exponential_buckets(0.000_25, 2.0, 16)),
            slack_interactions: Family::default(),
            queue_jobs: Family::default(),
            queue_claims: Counter::default(),
            jobs_finished: Family::default(),
            queue_lease_expiries: Counter::default(),
            queue_dead_letters: Counter::default(),
            queue_pruned_jobs: Counter::default(),
            inbox_pruned: Counter::default(),
            queue_oldest_age_seconds: Family::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        register!(r, m, {
            "webhook_deliveries_accepted" => deliveries_accepted: "Webhook deliveries answered 2xx",
            "webhook_events_received" => events_received: "Events in accepted deliveries",
            "webhook_events_enqueued" => events_enqueued: "New events stored and queued",
            "webhook_events_duplicate" => events_duplicate:
                "Events already in the inbox (redeliveries)",
            "webhook_events_ignored" => events_ignored:
                "Events of subscription types handoff does not handle",
            "webhook_deliveries_rejected" => deliveries_rejected:
                "Webhook deliveries refused, by reason",
            "webhook_ack_seconds" => ack_seconds: "Time to answer an accepted delivery",
            "slack_interactions" => slack_interactions:
                "Slack clicks on POST /slack/interactions by outcome: accepted, duplicate, or the refusal's code",
            "queue_jobs" => queue_jobs:
                "Jobs per lane and status: due, held, paused, scheduled, leased, dead",
            "queue_claims" => queue_claims: "Jobs claimed by this process",
            "jobs_finished" => jobs_finished: "Job runs by kind and outcome",
            "queue_lease_expiries" => queue_lease_expiries: "Leases that ran out and were swept",
            "queue_dead_letters" => queue_dead_letters: "Jobs moved to the dead letters",
            "queue_pruned_jobs" => queue_pruned_jobs: "Finished jobs deleted by retention",
            "inbox_pruned" => inbox_pruned: "Inbox rows deleted after the dedup window",
            "queue_oldest_age_seconds" => queue_oldest_age_seconds:
                "Age of the oldest job per lane and status, from when it first became due (scheduled jobs have none)",
        });
        Self { registry, ..m }
    }

    /// Replaces the queue gauges with a fresh reading, so lanes that emptied do not linger. A
    /// job put back to wait (retry, auth failure, pause) keeps ageing from when it first became
    /// due; jobs not due yet (`scheduled`) have no age.
    pub fn set_queue_depth(&self, depth: &[QueueDepth], now_ms: i64) {
        self.queue_jobs.clear();
        self.queue_oldest_age_seconds.clear();
        for row in depth {
            let label = QueueLabel {
                queue: row.lane.clone(),
                status: row.status.clone(),
            };
            self.queue_jobs.get_or_create(&label).set(row.jobs);
            if let Some(oldest) = row.oldest_due_ms {
                let age = (now_ms - oldest).max(0) as f64 / 1000.0;
                self.queue_oldest_age_seconds.get_or_create(&label).set(age);
            }
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(err) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %err, "could not encode metrics");
        }
        out
    }
}
