//! The KPI gauges (`handoff_kpi_*{window}`): the scoreboard of `handoff report` for the last 7
//! and 30 days, set from the ledger by `report::refresh_gauges` at most every 30 s. A KPI with
//! nothing to divide by has no series until it has.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WindowLabel {
    pub window: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageLabel {
    pub stage: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QuantileLabel {
    pub window: String,
    pub quantile: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WindowOutcomeLabel {
    pub window: String,
    pub outcome: String,
}

type Ratio = Family<WindowLabel, Gauge<f64, AtomicU64>>;
type Count = Family<WindowLabel, Gauge>;

#[derive(Debug, Default)]
pub struct KpiMetrics {
    pub handoffs: Count,
    pub open_handoffs: Count,
    pub acceptance_ratio: Ratio,
    pub assignment_coverage_ratio: Ratio,
    pub first_touch_seconds: Family<QuantileLabel, Gauge<f64, AtomicU64>>,
    pub time_to_accept_seconds: Family<QuantileLabel, Gauge<f64, AtomicU64>>,
    pub sla_compliance_ratio: Ratio,
    /// Handoffs touched late, or untouched past due.
    pub sla_missed: Count,
    pub escalations: Count,
    pub reassignments: Count,
    /// Leads decided in the window, each once (see `report::LeadCounts`).
    pub leads: Family<WindowOutcomeLabel, Gauge>,
    pub dispositions: Family<WindowOutcomeLabel, Gauge>,
    /// Ready leads without an owner's task after the grace period, by where they stopped
    /// (not windowed: must stay 0).
    pub unassigned_leads: Family<StageLabel, Gauge>,
    /// When the gauges were last computed (Unix seconds): stale KPIs show here.
    pub computed_at_seconds: Gauge<f64, AtomicU64>,
    last_refresh_ms: AtomicI64,
}

impl KpiMetrics {
    pub fn new(r: &mut Registry) -> Self {
        let m = Self {
            last_refresh_ms: AtomicI64::new(i64::MIN),
            ..Self::default()
        };
        let k = r.sub_registry_with_prefix("kpi");
        register!(k, m, {
            "handoffs" => handoffs: "Handoffs in the window (merged ones not counted)",
            "open_handoffs" => open_handoffs: "Handoffs in the window still open",
            "acceptance_ratio" => acceptance_ratio:
                "Accepted handoffs / handoffs with a disposition",
            "assignment_coverage_ratio" => assignment_coverage_ratio:
                "handed_off leads (handoff_kpi_leads) with an owner in the ledger / handed_off leads",
            "first_touch_seconds" => first_touch_seconds:
                "Handoff to first sales touch, touched handoffs only (no series before the first touch), by quantile",
            "time_to_accept_seconds" => time_to_accept_seconds:
                "Handoff to its acceptance (the disposition's time), accepted handoffs only (no series before the first), by quantile",
            "sla_compliance_ratio" => sla_compliance_ratio:
                "Touched within SLA / handoffs touched or past due",
            "sla_missed" => sla_missed: "Handoffs in the window touched late or untouched past due",
            "unassigned_leads" => unassigned_leads:
                "Ready leads still without an owner's task after the grace period, by stage",
            "escalations" => escalations: "Escalations of handoffs in the window",
            "reassignments" => reassignments: "Reassignments of handoffs in the window",
            "leads" => leads:
                "Leads decided in the window, each once, by outcome (handed_off if ready at least once)",
            "dispositions" => dispositions: "Handoffs in the window by disposition",
            "computed_timestamp_seconds" => computed_at_seconds:
                "When the KPI gauges were last computed",
        });
        m
    }

    /// True for exactly one caller once `every_ms` has passed since the last refresh; that
    /// caller refreshes, concurrent scrapes keep the gauges they have.
    pub fn claim_refresh(&self, now_ms: i64, every_ms: i64) -> bool {
        let last = self.last_refresh_ms.load(Ordering::Acquire);
        if last != i64::MIN && now_ms.saturating_sub(last) < every_ms {
            return false;
        }
        self.last_refresh_ms
            .compare_exchange(last, now_ms, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Drops every series, so a window whose KPI became n/a shows none.
    pub fn clear(&self) {
        self.handoffs.clear();
        self.open_handoffs.clear();
        self.acceptance_ratio.clear();
        self.assignment_coverage_ratio.clear();
        self.first_touch_seconds.clear();
        self.time_to_accept_seconds.clear();
        self.sla_compliance_ratio.clear();
        self.sla_missed.clear();
        self.escalations.clear();
        self.reassignments.clear();
        self.leads.clear();
        self.dispositions.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_refresh_per_interval_whoever_asks() {
        let m = KpiMetrics::new(&mut Registry::default());
        assert!(m.claim_refresh(1_000, 30_000), "the first scrape refreshes");
        assert!(!m.claim_refresh(1_000, 30_000));
        assert!(!m.claim_refresh(30_999, 30_000));
        assert!(m.claim_refresh(31_000, 30_000));
    }
}
