//! The job queue, between intake (which enqueues) and the worker (which claims): its
//! vocabulary (what a claim hands out, how a run ends, the backoff rule) and the part that runs
//! it. Semantics (identical on every engine):
//! - a claim leases a job to one owner until `lease_until_ms`; the owner may extend it;
//! - at most one job per key runs at a time, oldest `occurred_at_ms` first; lanes (column
//!   `queue`) are claimed separately so one lane's backlog cannot starve another. Keys are
//!   global, not per lane: lanes use distinct key prefixes (`portal:type:object` for events,
//!   `sla:…` for SLA checks) so they never block each other;
//! - a lease that expires returns the job to `ready` (or `dead` once attempts are used up);
//! - finishing a job whose lease was lost is refused, so two owners never both finish it.
//!
//! [`Queue`] is the store's part that runs these: claims and leases (`lease.rs`), outcomes
//! (`finish.rs`), scheduled jobs and retention (`schedule.rs`), a contact's coalesced burst
//! (`siblings.rs`), depth per lane (`depth.rs`); dead letters are [`DeadLetters`] (`dead.rs`).
//! The SQL is the same on both engines except a claim's locking and a replay's JSON.

mod dead;
mod depth;
mod finish;
mod lease;
mod schedule;
mod siblings;

pub use dead::{DeadFilter, DeadJob, DeadLetters};
pub use depth::QueueDepth;
pub(super) use finish::finish_query;
pub(super) use lease::held;
pub(super) use schedule::{cancel_pending, insert_job};
pub use siblings::Sibling;

use super::dispatch::Db;

/// The job queue part of a [`super::Store`].
#[derive(Debug, Clone, Copy)]
pub struct Queue<'s> {
    pub(in crate::store) db: &'s Db,
}

/// A leased job.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimedJob {
    pub id: i64,
    /// Column `queue` holds the lane.
    #[sqlx(rename = "queue")]
    pub lane: String,
    #[sqlx(rename = "job_key")]
    pub key: String,
    pub kind: String,
    pub payload: String,
    /// Runs so far, this one included.
    pub attempts: i64,
    pub max_attempts: i64,
    pub occurred_at_ms: i64,
    pub lease_until_ms: i64,
}

/// How one run of a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Run again at `at_ms` (backoff, or e.g. a rate-limit reset); dead once attempts are spent.
    Retry {
        at_ms: i64,
        error: String,
    },
    /// A permanent failure: keep the job for inspection, never run it again unless replayed.
    Dead {
        reason: String,
    },
    /// Not run at all (its portal is paused): back to the queue at `at_ms`, the claim's attempt
    /// given back, so waiting never leads to a dead letter. `reason` shows as its last error.
    Defer {
        at_ms: i64,
        reason: String,
    },
}

impl Outcome {
    /// `done`, `retry`, `dead` or `deferred`, for metrics and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Retry { .. } => "retry",
            Outcome::Dead { .. } => "dead",
            Outcome::Defer { .. } => "deferred",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The job is no longer leased to this owner (its lease expired, or it was reclaimed).
    #[error("lease on job {0} was lost")]
    LeaseLost(i64),
    #[error(transparent)]
    Store(#[from] super::StoreError),
}

impl From<sqlx::Error> for QueueError {
    fn from(err: sqlx::Error) -> Self {
        Self::Store(err.into())
    }
}

/// A job scheduled for later (e.g. an SLA check), cancellable and replaceable by its key.
#[derive(Debug, Clone)]
pub struct Scheduled {
    pub job: super::NewJob,
    pub run_at_ms: i64,
    pub max_attempts: i64,
}

/// What to do with pending jobs of the same lane and key when scheduling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExisting {
    /// Keep them; add this one too.
    Keep,
    /// Remove pending (ready, not running) jobs of the key first.
    Replace,
}

/// Exponential backoff with full jitter: a uniform draw in `[0, min(cap, base·2^(attempts-1))]`,
/// never less than `base/2`. `unit` is the caller's random number in `[0, 1)`, so the rule
/// itself stays deterministic and testable.
pub fn backoff_ms(attempts: i64, base_ms: i64, cap_ms: i64, unit: f64) -> i64 {
    let exp = attempts.clamp(1, 32) - 1;
    let ceiling = base_ms.saturating_mul(1i64 << exp).min(cap_ms).max(base_ms);
    let drawn = (ceiling as f64 * unit.clamp(0.0, 1.0)) as i64;
    drawn.max(base_ms / 2)
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;
    use proptest::prelude::*;

    #[test]
    fn backoff_grows_then_caps() {
        assert_eq!(backoff_ms(1, 1_000, 60_000, 0.999_999), 999);
        assert_eq!(backoff_ms(4, 1_000, 60_000, 0.999_999), 7_999);
        assert_eq!(backoff_ms(30, 1_000, 60_000, 0.999_999), 59_999);
        assert_eq!(backoff_ms(3, 1_000, 60_000, 0.0), 500);
    }

    proptest! {
        #[test]
        fn backoff_stays_within_half_base_and_cap(attempts in -5i64..100, unit in 0.0f64..1.0) {
            let wait = backoff_ms(attempts, 2_000, 300_000, unit);
            prop_assert!((1_000..=300_000).contains(&wait));
        }
    }
}
