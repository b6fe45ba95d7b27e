//! How deep each lane of the queue is, by state: what `/metrics` and `handoff queue stats`
//! show, and the ages on-call alerts on.

use super::Queue;
use crate::store::{PAUSED_ERROR, StoreError};

/// Job counts per lane and state, for `/metrics` and `queue stats` ([`Queue::depth`]).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QueueDepth {
    /// Column `queue` holds the lane.
    #[sqlx(rename = "queue")]
    pub lane: String,
    /// `due` (can run now), `held` (was due, put back to wait: a retry's backoff, an auth
    /// failure), `paused` (waits for its portal's resume), `scheduled` (not due yet, e.g. SLA
    /// checks), `leased` (running) or `dead`.
    pub status: String,
    pub jobs: i64,
    /// When the oldest of these jobs first became due; kept while a job is put back, so a job
    /// held back keeps ageing. `None` for scheduled jobs, which are not due yet.
    pub oldest_due_ms: Option<i64>,
    /// The earliest time one of them is set to run (for held and scheduled jobs: the next run).
    pub next_run_at_ms: Option<i64>,
}

/// Jobs per lane and state at `$1` (see [`QueueDepth`]); `$2` is [`PAUSED_ERROR`]. A waiting
/// job's age runs from `due_since_ms` (when it first became due), else from its `run_at_ms`.
const DEPTH: &str = "SELECT queue, \
      CASE WHEN status <> 'ready' THEN status \
           WHEN run_at_ms <= $1 THEN 'due' \
           WHEN last_error = $2 THEN 'paused' \
           WHEN due_since_ms IS NOT NULL THEN 'held' \
           ELSE 'scheduled' END AS status, \
      COUNT(*) AS jobs, MIN(COALESCE(due_since_ms, run_at_ms)) AS oldest_due_ms, \
      MIN(run_at_ms) AS next_run_at_ms \
    FROM jobs WHERE status IN ('ready', 'leased', 'dead') GROUP BY 1, 2 ORDER BY 1, 2";

impl Queue<'_> {
    /// Jobs per lane and state at `now_ms`: ready jobs are told apart by whether they can run
    /// now (`due`), were due and wait to run again (`held`, `paused`) or are not due yet
    /// (`scheduled`).
    pub async fn depth(self, now_ms: i64) -> Result<Vec<QueueDepth>, StoreError> {
        let rows: Vec<QueueDepth> = on_reader!(self.db, |pool| sqlx::query_as(DEPTH)
            .bind(now_ms)
            .bind(PAUSED_ERROR)
            .fetch_all(pool)
            .await?);
        Ok(rows
            .into_iter()
            .map(|row| QueueDepth {
                // Not due yet: no age.
                oldest_due_ms: row.oldest_due_ms.filter(|_| row.status != "scheduled"),
                ..row
            })
            .collect())
    }
}
