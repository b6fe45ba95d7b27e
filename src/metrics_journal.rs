//! Webhooks Journal backfill metrics (`worker::journal`), registered under `handoff_journal_*`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::worker::journal::BackfillReport;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PortalLabel {
    pub portal_id: i64,
}

#[derive(Debug, Default)]
pub struct JournalMetrics {
    /// Seconds the applied journal is behind: 0 when the last read reached the end.
    pub lag_seconds: Family<PortalLabel, Gauge>,
    pub entries_read: Family<PortalLabel, Counter>,
    /// Events only the journal brought (push missed them).
    pub events_recovered: Family<PortalLabel, Counter>,
    pub events_duplicate: Family<PortalLabel, Counter>,
    /// Offsets older than the retention or unknown to HubSpot.
    pub gaps: Family<PortalLabel, Counter>,
}

impl JournalMetrics {
    pub fn new(r: &mut Registry) -> Self {
        let m = Self::default();
        let j = r.sub_registry_with_prefix("journal");
        j.register(
            "lag_seconds",
            "How far the applied journal is behind (0 when the last read reached the end)",
            m.lag_seconds.clone(),
        );
        j.register(
            "entries_read",
            "Journal entries read by backfills",
            m.entries_read.clone(),
        );
        j.register(
            "events_recovered",
            "Events enqueued from the journal that push had not delivered",
            m.events_recovered.clone(),
        );
        j.register(
            "events_duplicate",
            "Journal events the inbox already had",
            m.events_duplicate.clone(),
        );
        j.register(
            "gaps",
            "Journal offsets older than the retention or unknown to HubSpot",
            m.gaps.clone(),
        );
        m
    }

    pub(crate) fn record(&self, portal_id: i64, report: &BackfillReport, lag_ms: i64) {
        let l = PortalLabel { portal_id };
        self.lag_seconds.get_or_create(&l).set(lag_ms / 1000);
        self.entries_read
            .get_or_create(&l)
            .inc_by(report.entries as u64);
        self.events_recovered
            .get_or_create(&l)
            .inc_by(report.enqueued as u64);
        self.events_duplicate
            .get_or_create(&l)
            .inc_by(report.duplicates as u64);
    }

    pub(crate) fn gap(&self, portal_id: i64) {
        self.gaps.get_or_create(&PortalLabel { portal_id }).inc();
    }
}
