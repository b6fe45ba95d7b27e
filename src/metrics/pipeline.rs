//! The pipeline's counters (events → decisions → handoffs → tasks → SLA → dispositions),
//! registered under `handoff_pipeline_*`. The KPI gauges of `handoff report` are in
//! `metrics::kpi`, set from the ledger by the report module.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabel {
    pub action: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TierLabel {
    /// The SLA tier's id in the playbook.
    pub tier: String,
}

/// A first-touch enrollment's outcome (`enrolled`, `skipped`) and reason (`none` when enrolled).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SequenceLabel {
    pub outcome: &'static str,
    pub reason: &'static str,
}

/// Outcomes of `handoff_pipeline_leads_total` (`worker::pipeline::leads`).
pub const LEAD_OUTCOMES: [&str; 6] = [
    "created",
    "unconfirmed",
    "refused",
    "failed",
    "owner_updated",
    "owner_update_failed",
];

/// Reasons of a skipped enrollment (`worker::pipeline::sequence`, docs/operations.md).
pub const SEQUENCE_SKIP_REASONS: [&str; 9] = [
    "already_enrolled",
    "no_user",
    "no_sender",
    "no_seat",
    "no_inbox",
    "missing_scope",
    "unknown_sequence",
    "refused",
    "api_unavailable",
];

#[derive(Debug)]
pub struct PipelineMetrics {
    /// Events acted on together with an earlier event of the same contact.
    pub events_coalesced: Counter,
    /// Events that could not change anything (no HubSpot call spent).
    pub events_skipped: Counter,
    /// Contacts per micro-batch.
    pub batch_contacts: Histogram,
    pub decisions: Family<OutcomeLabel, Counter>,
    pub contacts_written: Counter,
    pub tasks_created: Counter,
    pub ladders_scheduled: Counter,
    /// Webhook received → task created, for new handoffs.
    pub handoff_seconds: Histogram,
    pub sla_actions: Family<ActionLabel, Counter>,
    pub touches: Family<OutcomeLabel, Counter>,
    /// First-touch deadlines that passed without a touch, once per assignment
    /// (`worker::pipeline::breach`).
    pub sla_breaches: Family<TierLabel, Counter>,
    pub dispositions: Family<OutcomeLabel, Counter>,
    /// HubSpot Lead records, by outcome (`[playbook.leads]`).
    pub leads: Family<OutcomeLabel, Counter>,
    pub erasures: Counter,
    pub merges: Counter,
    pub rules_reloads: Family<OutcomeLabel, Counter>,
    /// First-touch sequence enrollments, by outcome and reason (`worker::pipeline::sequence`).
    pub sequence_enrollments: Family<SequenceLabel, Counter>,
}

impl PipelineMetrics {
    pub fn new(r: &mut Registry) -> Self {
        let m = Self {
            events_coalesced: Counter::default(),
            events_skipped: Counter::default(),
            batch_contacts: Histogram::new(exponential_buckets(1.0, 2.0, 8)),
            decisions: Family::default(),
            contacts_written: Counter::default(),
            tasks_created: Counter::default(),
            ladders_scheduled: Counter::default(),
            handoff_seconds: Histogram::new(exponential_buckets(0.01, 2.0, 14)),
            sla_actions: Family::default(),
            touches: Family::default(),
            sla_breaches: Family::default(),
            dispositions: Family::default(),
            leads: Family::default(),
            erasures: Counter::default(),
            merges: Counter::default(),
            rules_reloads: Family::default(),
            sequence_enrollments: Family::default(),
        };
        let p = r.sub_registry_with_prefix("pipeline");
        register!(p, m, {
            "events_coalesced" => events_coalesced:
                "Events acted on with an earlier event of the same contact",
            "events_skipped" => events_skipped:
                "Events that could not change a decision (no HubSpot call)",
            "batch_contacts" => batch_contacts: "Contacts per micro-batch",
            "decisions" => decisions: "Decisions by outcome",
            "contacts_written" => contacts_written:
                "Contacts written back (owner, score, tier, times)",
            "tasks_created" => tasks_created: "Follow-up, reminder and escalation tasks created",
            "ladders_scheduled" => ladders_scheduled: "SLA ladders scheduled",
            "handoff_seconds" => handoff_seconds: "Webhook received to task created",
            "sla_actions" => sla_actions: "SLA ladder steps taken, by action",
            "touches" => touches: "First touches, by SLA outcome (met, missed)",
            "sla_breaches" => sla_breaches:
                "First-touch SLAs missed, by SLA tier (once per assignment)",
            "dispositions" => dispositions: "Dispositions recorded, by outcome",
            "leads" => leads:
                "HubSpot Lead records: created, unconfirmed, refused, failed, owner_updated, owner_update_failed",
            "erasures" => erasures: "Contacts erased after a deletion",
            "merges" => merges: "Merges folded into one handoff",
            "rules_reloads" => rules_reloads: "Rule reloads, by result (ok, rejected)",
            "sequence_enrollments" => sequence_enrollments:
                "First-touch sequence enrollments, by outcome (enrolled, skipped) and reason",
        });
        m.start_at_zero();
        m
    }

    /// Series whose label values are known in advance exist from the start at 0, so that
    /// `increase()` sees their first event and alerts have a series to evaluate (those of the
    /// optional steps too: a dashboard and `rate()` see them before the first lead or
    /// enrollment).
    fn start_at_zero(&self) {
        let outcomes: [(&Family<OutcomeLabel, Counter>, &[&str]); 5] = [
            (
                &self.decisions,
                &["handed_off", "not_ready", "disqualified"],
            ),
            (&self.touches, &["met", "missed"]),
            (&self.dispositions, &["accepted", "nurture", "disqualified"]),
            (&self.rules_reloads, &["ok", "rejected"]),
            (&self.leads, &LEAD_OUTCOMES),
        ];
        for (family, values) in outcomes {
            for o in values {
                let _ = family.get_or_create(&OutcomeLabel {
                    outcome: (*o).to_owned(),
                });
            }
        }
        for action in [
            "remind",
            "escalate",
            "reassign",
            "fallback_queue",
            "close_loop",
        ] {
            let _ = self.sla_actions.get_or_create(&ActionLabel { action });
        }
        let skipped = SEQUENCE_SKIP_REASONS.map(|reason| ("skipped", reason));
        for (outcome, reason) in std::iter::once(("enrolled", "none")).chain(skipped) {
            let _ = self
                .sequence_enrollments
                .get_or_create(&SequenceLabel { outcome, reason });
        }
    }

    /// Breach counters at 0 for the playbook's SLA tiers.
    pub fn sla_tiers<'a>(&self, tiers: impl IntoIterator<Item = &'a str>) {
        for tier in tiers {
            let _ = self.sla_breaches.get_or_create(&TierLabel {
                tier: tier.to_owned(),
            });
        }
    }
}
