//! Reading the journal's files for one backfill: each file's events enqueued, then the offset
//! after it stored (`mod.rs` explains the order and the gaps).

use crate::hubspot::client::{HubspotClient, JournalFrom, JournalPointer, JournalRead};
use crate::metrics::journal::{JournalMetrics, JournalRun};
use crate::store::Store;

use super::{BackfillError, BackfillReport, BackfillRequest, MAX_FILES, apply_file, record_gap};

/// Where a backfill is in the journal.
pub(super) struct Reading {
    pub(super) from: JournalFrom,
    /// A gap to record with the next file's publication time: its reason and start.
    pub(super) gap_from: Option<(&'static str, i64)>,
    /// Every event published up to this time is applied.
    pub(super) applied_through: Option<i64>,
    /// HubSpot has nothing newer.
    pub(super) caught_up: bool,
}

/// One backfill's dependencies and request.
pub(super) struct Run<'a> {
    pub(super) store: &'a Store,
    pub(super) client: &'a HubspotClient,
    pub(super) metrics: Option<&'a JournalMetrics>,
    pub(super) req: &'a BackfillRequest,
}

impl Run<'_> {
    /// Reads up to [`MAX_FILES`] files from `reading.from`, applying each and storing the
    /// offset after it; an offset HubSpot no longer knows is read again from the earliest
    /// entry, once.
    pub(super) async fn read_files(
        &self,
        reading: &mut Reading,
        report: &mut BackfillReport,
    ) -> Result<(), BackfillError> {
        let (req, portal_id) = (self.req, report.portal_id);
        let mut restarted = false;
        for _ in 0..MAX_FILES {
            let pointer = match self.client.journal_read(req.portal, &reading.from).await? {
                JournalRead::File(p) => p,
                JournalRead::CaughtUp => {
                    reading.caught_up = true;
                    break;
                }
                JournalRead::OffsetExpired if !restarted => {
                    // HubSpot no longer knows the offset, but everything after
                    // `applied_through` is within the retention (else `start` had read from
                    // the earliest entry already): read from the earliest entry; the inbox
                    // drops what is already queued.
                    tracing::warn!(
                        portal_id = portal_id.get(),
                        "journal offset unknown to HubSpot; reading from the earliest entry"
                    );
                    restarted = true;
                    reading.from = JournalFrom::Earliest;
                    continue;
                }
                JournalRead::OffsetExpired => return Err(BackfillError::Expired),
            };
            self.apply(pointer, reading, report).await?;
        }
        Ok(())
    }

    /// Reads and applies the file `pointer` names, then stores the offset after it.
    async fn apply(
        &self,
        pointer: JournalPointer,
        reading: &mut Reading,
        report: &mut BackfillReport,
    ) -> Result<(), BackfillError> {
        let (req, portal_id) = (self.req, report.portal_id);
        let file = self.client.journal_file(req.portal, &pointer).await?;
        let published_at_ms = file.published_at.unwrap_or(req.now_ms);
        if let Some((reason, from_ms)) = reading.gap_from.take() {
            let gap = record_gap(self.metrics, portal_id, reason, from_ms, published_at_ms);
            report.gap = Some(gap);
        }
        apply_file(self.store, &file.journal_events, req, report).await?;
        let through = reading
            .applied_through
            .map_or(published_at_ms, |t| t.max(published_at_ms));
        self.store
            .journal()
            .set_offset(portal_id, &pointer.current_offset, through, req.now_ms)
            .await?;
        reading.applied_through = Some(through);
        report.files += 1;
        report.offset = Some(pointer.current_offset.clone());
        reading.from = JournalFrom::After(pointer.current_offset);
        Ok(())
    }

    /// The run's lag and counts on the metrics, and its log line.
    pub(super) fn finished(&self, reading: &Reading, report: &BackfillReport) {
        let portal_id = report.portal_id;
        if let Some(m) = self.metrics {
            let lag_ms = match (reading.caught_up, reading.applied_through) {
                (true, _) | (false, None) => 0,
                (false, Some(at)) => self.req.now_ms - at,
            };
            m.lag(portal_id, lag_ms);
            m.record(
                portal_id,
                JournalRun {
                    entries: report.entries,
                    recovered: report.enqueued,
                    duplicates: report.duplicates,
                },
            );
        }
        tracing::info!(
            portal_id = portal_id.get(),
            files = report.files,
            entries = report.entries,
            enqueued = report.enqueued,
            duplicates = report.duplicates,
            skipped = report.skipped,
            gap = report.gap.is_some(),
            "journal backfill finished"
        );
    }
}
