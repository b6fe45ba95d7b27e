//! Webhooks Journal backfill metrics (`worker::journal`), registered under `handoff_journal_*`.

use handoff_ids::PortalId;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// The label keeps the plain number: `prometheus-client` encodes its own value types only
/// (the id crate knows nothing of it); every series is made from a [`PortalId`].
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PortalLabel {
    pub portal_id: i64,
}

impl From<PortalId> for PortalLabel {
    fn from(id: PortalId) -> Self {
        Self {
            portal_id: id.get(),
        }
    }
}

/// What one backfill run of a portal read and queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalRun {
    pub entries: usize,
    /// Events only the journal brought (push missed them).
    pub recovered: usize,
    /// Events the inbox already had.
    pub duplicates: usize,
}

#[derive(Debug, Default)]
pub struct JournalMetrics {
    /// Seconds the applied journal is behind (now − applied-through time; 0 when the last read
    /// reached the end). Set at the start of each run too, so failing runs show a growing lag.
    pub lag_seconds: Family<PortalLabel, Gauge>,
    pub entries_read: Family<PortalLabel, Counter>,
    /// Events only the journal brought (push missed them).
    pub events_recovered: Family<PortalLabel, Counter>,
    pub events_duplicate: Family<PortalLabel, Counter>,
    /// Checkpoints whose events reach back past the journal's retention.
    pub gaps: Family<PortalLabel, Counter>,
}

impl JournalMetrics {
    pub fn new(r: &mut Registry) -> Self {
        let m = Self::default();
        let j = r.sub_registry_with_prefix("journal");
        register!(j, m, {
            "lag_seconds" => lag_seconds:
                "Seconds the applied journal is behind: now minus the time up to which every journal event is queued (0 when the last read reached the end)",
            "entries_read" => entries_read: "Journal entries read by backfills",
            "events_recovered" => events_recovered:
                "Events enqueued from the journal that push had not delivered",
            "events_duplicate" => events_duplicate: "Journal events the inbox already had",
            "gaps" => gaps:
                "Journal gaps: checkpoints (or --since) older than the journal retention",
        });
        m
    }

    /// Seconds behind: now − the time up to which every journal event is applied.
    pub(crate) fn lag(&self, portal_id: PortalId, lag_ms: i64) {
        self.lag_seconds
            .get_or_create(&PortalLabel::from(portal_id))
            .set(lag_ms.max(0) / 1000);
    }

    pub(crate) fn record(&self, portal_id: PortalId, run: JournalRun) {
        let l = PortalLabel::from(portal_id);
        self.entries_read
            .get_or_create(&l)
            .inc_by(run.entries as u64);
        self.events_recovered
            .get_or_create(&l)
            .inc_by(run.recovered as u64);
        self.events_duplicate
            .get_or_create(&l)
            .inc_by(run.duplicates as u64);
    }

    /// Creates the portal's series (at zero), so they are on `/metrics` before the first run.
    pub(crate) fn init(&self, portal_id: PortalId) {
        let l = PortalLabel::from(portal_id);
        self.lag_seconds.get_or_create(&l).set(0);
        for family in [
            &self.entries_read,
            &self.events_recovered,
            &self.events_duplicate,
            &self.gaps,
        ] {
            family.get_or_create(&l).inc_by(0);
        }
    }

    pub(crate) fn gap(&self, portal_id: PortalId) {
        self.gaps.get_or_create(&PortalLabel::from(portal_id)).inc();
    }
}
