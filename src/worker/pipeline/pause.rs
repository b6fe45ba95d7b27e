//! Operator pauses as the worker sees them. Before a portal's jobs run, the lane reads which
//! portals are paused (one small query per batch or SLA check, so a pause made on any replica,
//! or with `handoff portal pause` while the service runs, holds at once); a paused portal's
//! jobs are deferred: back to the queue without a HubSpot call and without spending an attempt.
//! Resuming makes them due again (`Store::resume_portal`).
//!
//! The HubSpot client's auth pause lives in memory, per process. A resume recorded in the
//! store after this process started lifts it here too, so one resume frees every replica.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use super::{Pipeline, now_ms, portal};
use crate::store::queue::Outcome;
use crate::store::{PAUSED_ERROR, StoreError};

/// How long a deferred job waits before it looks again, unless a resume makes it due sooner.
const RECHECK_MS: i64 = 60_000;

#[derive(Debug)]
pub struct Pauses {
    started_at_ms: i64,
    /// The newest resume acted on, per portal.
    resumes_seen: Mutex<HashMap<i64, i64>>,
}

impl Pauses {
    pub fn new(started_at_ms: i64) -> Self {
        Self {
            started_at_ms,
            resumes_seen: Mutex::default(),
        }
    }

    /// The portals paused now. Lifts the client's auth pause of portals resumed since this
    /// process started (once per resume).
    pub(crate) async fn paused(&self, p: &Pipeline) -> Result<BTreeSet<i64>, StoreError> {
        let rows = p.store.portal_pauses().await?;
        let mut paused = BTreeSet::new();
        for row in rows {
            if row.is_paused() {
                paused.insert(row.portal_id);
            } else if let Some(at) = row.resumed_at_ms {
                self.lift_auth_pause(p, row.portal_id, at);
            }
        }
        Ok(paused)
    }

    /// Lifts the client's auth pause of a portal resumed at `resumed_at_ms`, unless this
    /// resume was acted on already (or predates this process).
    pub(crate) fn lift_auth_pause(&self, p: &Pipeline, portal_id: i64, resumed_at_ms: i64) {
        if self.first_look_at(portal_id, resumed_at_ms) {
            p.client.resume_portal(portal(portal_id));
        }
    }

    /// True once for each resume newer than this process.
    fn first_look_at(&self, portal_id: i64, resumed_at_ms: i64) -> bool {
        if resumed_at_ms < self.started_at_ms {
            return false;
        }
        let Ok(mut seen) = self.resumes_seen.lock() else {
            return false;
        };
        let last = seen.entry(portal_id).or_insert(i64::MIN);
        if resumed_at_ms > *last {
            *last = resumed_at_ms;
            true
        } else {
            false
        }
    }
}

/// The outcome of a job whose portal is paused.
pub(crate) fn deferred() -> Outcome {
    Outcome::Defer {
        at_ms: now_ms() + RECHECK_MS,
        reason: PAUSED_ERROR.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_resume_after_start_lifts_the_auth_pause_once() {
        let pauses = Pauses::new(1_000);
        assert!(
            !pauses.first_look_at(7, 500),
            "a resume before this process started"
        );
        assert!(pauses.first_look_at(7, 2_000));
        assert!(!pauses.first_look_at(7, 2_000), "the same resume again");
        assert!(pauses.first_look_at(8, 2_000), "another portal");
        assert!(pauses.first_look_at(7, 3_000), "a later resume");
    }
}
