//! The inbox: where intake's accepted events land. A delivery's new events go into the dedup
//! ledger (`inbox`) and the job queue in one transaction; an event already there is a duplicate
//! and adds nothing. SQLite batches concurrent deliveries into one commit (`group_commit`);
//! PostgreSQL commits each delivery on its own and lets the server group the WAL flushes.

use std::time::Duration;

use super::dispatch::{Backend, Db};
use super::{EnqueueReceipt, NewDelivery, StoreError};

/// How a delivery's rows go in, the same on both engines; each engine adds the rows its own way
/// (`UNNEST` on PostgreSQL, a multi-row `VALUES` on SQLite).
pub(super) const INSERT_INBOX: &str =
    "INSERT INTO inbox (occurred_at_ms, dedup_key, portal_id, received_at_ms) ";
pub(super) const INSERT_JOBS: &str = "INSERT INTO jobs (queue, job_key, kind, payload, \
     occurred_at_ms, run_at_ms, created_at_ms, updated_at_ms) ";

/// The inbox part of a [`super::Store`].
#[derive(Debug, Clone, Copy)]
pub struct Inbox<'s> {
    pub(super) db: &'s Db,
}

impl Inbox<'_> {
    /// Durably records a delivery: its new events go into the inbox and the job queue in one
    /// transaction; events already in the inbox count as duplicates and add nothing. Returns
    /// only after the commit, or [`StoreError::Timeout`] when none came within
    /// `store.commit_timeout_ms` (intake then answers 503 and HubSpot retries).
    pub async fn enqueue(self, delivery: NewDelivery) -> Result<EnqueueReceipt, StoreError> {
        let commit = async {
            match &self.db.backend {
                Backend::Sqlite(s) => s.enqueue_delivery(delivery).await,
                Backend::Postgres(s) => Ok(s.enqueue_delivery(delivery).await?),
            }
        };
        let timeout_ms = self.db.commit_timeout_ms;
        match tokio::time::timeout(Duration::from_millis(timeout_ms), commit).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::Timeout(timeout_ms)),
        }
    }

    /// Number of events in the dedup ledger.
    pub async fn count(self) -> Result<i64, StoreError> {
        Ok(on_reader!(self.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM inbox"
        )
        .fetch_one(pool)
        .await?))
    }
}
