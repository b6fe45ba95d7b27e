//! Backfill from the Webhooks Journal (docs/hubspot.md "Resuming from the journal"): the durable
//! path beside push. Reads the portal's local journal from its stored offset, maps each entry to
//! the event the push receiver would have produced, and enqueues it through the same inbox (same
//! dedup key, same job), so an event is handled once whichever path brought it first. A checkpoint
//! (or `--since`) older than the journal's retention is a gap: reported with its time range, logged
//! at error, counted — never skipped silently. An offset HubSpot no longer knows (404) while the
//! checkpoint is within the retention is read again from the journal's earliest entry.
//!
//! Order per file: enqueue its events (one transaction), then advance the offset. A crash in
//! between reads the file again; the inbox drops its events as duplicates.

use serde::Serialize;

use crate::hubspot::client::{HubspotClient, HubspotError, JournalConfig, JournalFrom, PortalId};
use crate::hubspot::journal::map_entries;
use crate::jobs::event_entry;
use crate::metrics::journal::JournalMetrics;
use crate::store::{JournalOffset, NewDelivery, Store, StoreError};

mod catch_up;
mod files;

pub use catch_up::{catch_up_loop, watched_properties};
use files::{Reading, Run};

/// Files read in one run at most: a safety stop, far above 3 days of journal.
const MAX_FILES: usize = 100_000;

/// What to backfill.
#[derive(Debug, Clone)]
pub struct BackfillRequest {
    pub portal: PortalId,
    pub config: JournalConfig,
    /// Read from the earliest retained entry and keep entries that occurred at or after this,
    /// whatever the stored offset says.
    pub since_ms: Option<i64>,
    pub now_ms: i64,
}

/// Events the journal still had but handoff had not: what one run recovered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackfillReport {
    #[serde(with = "handoff_ids::number")]
    pub portal_id: PortalId,
    /// What this run did to the portal's journal subscription.
    pub subscription: SubscriptionChange,
    pub files: usize,
    pub entries: usize,
    /// New events, now queued for the pipeline.
    pub enqueued: usize,
    /// Events the inbox already had (push brought them, or an earlier run).
    pub duplicates: usize,
    /// Entries of other objects, portals or actions, before `--since`, or malformed.
    pub skipped: usize,
    pub gap: Option<Gap>,
    /// The stored offset after the run.
    pub offset: Option<String>,
}

/// A stretch of time whose events the journal no longer holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// Why: `beyond_retention` (the events since the checkpoint, or since `--since`, reach back
    /// past the journal's retention).
    pub reason: &'static str,
    pub from_ms: i64,
    /// The first entry the journal still had (its file's publish time), or the run's time.
    pub to_ms: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    #[error(transparent)]
    Hubspot(#[from] HubspotError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not encode a job payload: {0}")]
    Encode(#[from] serde_json::Error),
    #[error(
        "HubSpot answered 404 for a journal offset again after re-reading from the earliest entry"
    )]
    Expired,
}

impl BackfillError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Hubspot(e) => e.code(),
            Self::Store(_) => "store",
            Self::Encode(_) => "internal",
            Self::Expired => "journal.expired",
        }
    }
}

/// What [`ensure_subscription`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionChange {
    /// The subscription was there as configured.
    #[default]
    Present,
    Created,
    /// It had other actions or properties: updated.
    Updated,
}

/// Creates the portal's contact subscription unless the app already has one for it, and brings
/// an existing one up to date when its actions or properties differ from the configuration
/// (HubSpot's POST is an upsert, docs/hubspot.md "Journal subscriptions").
pub async fn ensure_subscription(
    client: &HubspotClient,
    portal: PortalId,
    config: &JournalConfig,
) -> Result<SubscriptionChange, HubspotError> {
    let id = portal.get();
    let existing = client.journal_subscriptions(portal).await?;
    let want = config.subscription(portal);
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    let found = existing.iter().find(|s| {
        s.subscription_type == "OBJECT"
            && s.object_type_id == want.object_type_id
            && s.portal_id == Some(id)
    });
    match found {
        Some(s)
            if sorted(&s.actions) == sorted(&want.actions)
                && sorted(&s.properties) == sorted(&want.properties) =>
        {
            Ok(SubscriptionChange::Present)
        }
        Some(_) => {
            client.create_journal_subscription(portal, &want).await?;
            tracing::info!(portal_id = id, "journal subscription updated");
            Ok(SubscriptionChange::Updated)
        }
        None => {
            client.create_journal_subscription(portal, &want).await?;
            tracing::info!(portal_id = id, "journal subscription created");
            Ok(SubscriptionChange::Created)
        }
    }
}

/// Reads the journal from the stored offset to its end; see the module doc.
#[tracing::instrument(skip_all, fields(portal_id = req.portal.as_u64()))]
pub async fn backfill(
    store: &Store,
    client: &HubspotClient,
    metrics: Option<&JournalMetrics>,
    req: &BackfillRequest,
) -> Result<BackfillReport, BackfillError> {
    let portal_id = req.portal;
    let mut report = BackfillReport {
        portal_id,
        subscription: ensure_subscription(client, req.portal, &req.config).await?,
        files: 0,
        entries: 0,
        enqueued: 0,
        duplicates: 0,
        skipped: 0,
        gap: None,
        offset: None,
    };
    let checkpoint = store.journal().offset(portal_id).await?;
    let applied_through = checkpoint.as_ref().map(|c| c.applied_through_ms);
    if let (Some(m), Some(at)) = (metrics, applied_through) {
        // Set before reading, so a run that fails keeps showing a growing lag.
        m.lag(portal_id, req.now_ms - at);
    }
    report.offset = checkpoint.as_ref().map(|c| c.journal_offset.clone());
    let (from, gap_from) = start(req, checkpoint.as_ref());
    let mut reading = Reading {
        from,
        gap_from,
        applied_through,
        caught_up: false,
    };
    let run = Run {
        store,
        client,
        metrics,
        req,
    };
    run.read_files(&mut reading, &mut report).await?;
    if let Some((reason, from_ms)) = reading.gap_from {
        report.gap = Some(record_gap(metrics, portal_id, reason, from_ms, req.now_ms));
    }
    if reading.caught_up
        && let Some(offset) = &report.offset
    {
        // Nothing newer: every event up to now is applied.
        store
            .journal()
            .set_offset(portal_id, offset, req.now_ms, req.now_ms)
            .await?;
        reading.applied_through = Some(req.now_ms);
    }
    run.finished(&reading, &report);
    Ok(report)
}

/// Where to read from, and the start of a gap when the events since the checkpoint (or since
/// `--since`) reach back past the retention: then the earliest entry is the best there is.
fn start(
    req: &BackfillRequest,
    checkpoint: Option<&JournalOffset>,
) -> (JournalFrom, Option<(&'static str, i64)>) {
    let retained_from = req.now_ms - req.config.retention_ms;
    match (req.since_ms, checkpoint) {
        (Some(since), _) if since < retained_from => {
            (JournalFrom::Earliest, Some(("beyond_retention", since)))
        }
        (Some(_), _) | (None, None) => (JournalFrom::Earliest, None),
        (None, Some(cp)) if cp.applied_through_ms < retained_from => (
            JournalFrom::Earliest,
            Some(("beyond_retention", cp.applied_through_ms)),
        ),
        (None, Some(cp)) => (JournalFrom::After(cp.journal_offset.clone()), None),
    }
}

/// Enqueues one file's events through the inbox, like a webhook delivery.
async fn apply_file(
    store: &Store,
    entries: &[crate::hubspot::journal::JournalEntry],
    req: &BackfillRequest,
    report: &mut BackfillReport,
) -> Result<(), BackfillError> {
    let portal_id = report.portal_id;
    let mapped = map_entries(req.portal, entries);
    report.entries += entries.len();
    report.skipped += mapped.skipped + mapped.malformed;
    if mapped.malformed > 0 {
        tracing::warn!(
            portal_id = portal_id.get(),
            malformed = mapped.malformed,
            "journal entries without occurredAt, objectId or action skipped"
        );
    }
    let mut batch = Vec::with_capacity(mapped.events.len());
    for event in &mapped.events {
        if req.since_ms.is_some_and(|since| event.occurred_at < since) {
            report.skipped += 1;
            continue;
        }
        batch.push(event_entry(event, "journal")?);
    }
    if batch.is_empty() {
        return Ok(());
    }
    let receipt = store
        .inbox()
        .enqueue(NewDelivery {
            received_at_ms: req.now_ms,
            entries: batch,
        })
        .await?;
    report.enqueued += receipt.enqueued;
    report.duplicates += receipt.duplicates;
    Ok(())
}

fn record_gap(
    metrics: Option<&JournalMetrics>,
    portal_id: PortalId,
    reason: &'static str,
    from_ms: i64,
    to_ms: i64,
) -> Gap {
    tracing::error!(
        portal_id = portal_id.get(),
        reason,
        from_ms,
        to_ms,
        "journal gap: events in this range are no longer in the journal"
    );
    if let Some(m) = metrics {
        m.gap(portal_id);
    }
    Gap {
        reason,
        from_ms,
        to_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn req(since_ms: Option<i64>) -> BackfillRequest {
        BackfillRequest {
            portal: PortalId::new(1).unwrap(),
            config: JournalConfig::default(),
            since_ms,
            now_ms: 10 * DAY,
        }
    }

    fn checkpoint(applied_through_ms: i64) -> JournalOffset {
        JournalOffset {
            portal_id: PortalId::new(1).unwrap(),
            journal_offset: "off-1".into(),
            applied_through_ms,
            updated_at_ms: applied_through_ms,
        }
    }

    #[test]
    fn a_recent_checkpoint_reads_after_its_offset_and_an_old_one_is_a_gap_from_its_time() {
        let recent = checkpoint(9 * DAY);
        assert_eq!(
            start(&req(None), Some(&recent)),
            (JournalFrom::After("off-1".into()), None)
        );
        let old = checkpoint(6 * DAY);
        assert_eq!(
            start(&req(None), Some(&old)),
            (JournalFrom::Earliest, Some(("beyond_retention", 6 * DAY)))
        );
        // No checkpoint: the journal holds only what came after the subscription, all of it.
        assert_eq!(start(&req(None), None), (JournalFrom::Earliest, None));
    }

    #[test]
    fn since_reads_from_the_earliest_entry_and_is_a_gap_only_past_the_retention() {
        let recent = checkpoint(9 * DAY);
        assert_eq!(
            start(&req(Some(8 * DAY)), Some(&recent)),
            (JournalFrom::Earliest, None)
        );
        assert_eq!(
            start(&req(Some(5 * DAY)), None),
            (JournalFrom::Earliest, Some(("beyond_retention", 5 * DAY)))
        );
    }
}
