//! Operator pauses as the worker sees them. Before a portal's jobs run, the lane reads which
//! portals are paused (one small query per batch or SLA check, so a pause made on any replica,
//! or with `handoff portal pause` while the service runs, holds at once); a paused portal's
//! jobs are deferred: back to the queue without a HubSpot call and without spending an attempt.
//! Resuming makes them due again (`store::Portals::resume`).
//!
//! The HubSpot client's auth pause lives in memory, per process. A resume recorded in the
//! store after this process started lifts it here too, so one resume frees every replica.
//! Each process also records its auth pauses in the store (before every batch and every few
//! seconds while one lasts), so `handoff portal list` shows them; a start clears the record
//! and makes the jobs that waited out an auth failure due at once: the credentials were just
//! loaded afresh, so they need not wait out their backoff.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Pipeline;
use crate::hubspot::client::{HubspotClient, PortalId};
use crate::store::queue::Outcome;
use crate::store::{PAUSED_ERROR, PortalPause, Store, StoreError};

/// How often a process whose client holds an auth pause makes sure the store shows it.
const AUTH_WATCH: Duration = Duration::from_secs(5);

/// How long a deferred job waits before it looks again, unless a resume makes it due sooner.
const RECHECK_MS: i64 = 60_000;

#[derive(Debug)]
pub struct Pauses {
    started_at_ms: i64,
    /// The newest resume acted on, per portal.
    resumes_seen: Mutex<HashMap<PortalId, i64>>,
}

impl Pauses {
    pub fn new(started_at_ms: i64) -> Self {
        Self {
            started_at_ms,
            resumes_seen: Mutex::default(),
        }
    }

    /// The portals paused at `now_ms`. Lifts the client's auth pause of portals resumed since
    /// this process started (once per resume) and records the ones left.
    pub(crate) async fn paused(
        &self,
        store: &Store,
        client: &HubspotClient,
        now_ms: i64,
    ) -> Result<BTreeSet<PortalId>, StoreError> {
        let rows = store.portals().pauses().await?;
        self.follow(store, client, &rows, now_ms).await;
        Ok(rows
            .iter()
            .filter(|r| r.is_paused())
            .map(|r| r.portal_id)
            .collect())
    }

    /// Brings this process in line with the store's records (`rows`): lifts the client's auth
    /// pause of portals resumed since it started, then records the auth pauses left.
    async fn follow(
        &self,
        store: &Store,
        client: &HubspotClient,
        rows: &[PortalPause],
        now_ms: i64,
    ) {
        for row in rows.iter().filter(|r| !r.is_paused()) {
            if let Some(at) = row.resumed_at_ms {
                self.lift_auth_pause(client, row.portal_id, at);
            }
        }
        record_auth_pauses(store, client, rows, now_ms).await;
    }

    /// Lifts the client's auth pause of a portal resumed at `resumed_at_ms`, unless this
    /// resume was acted on already (or predates this process).
    pub(crate) fn lift_auth_pause(
        &self,
        client: &HubspotClient,
        portal_id: PortalId,
        resumed_at_ms: i64,
    ) {
        if self.first_look_at(portal_id, resumed_at_ms) {
            client.resume_portal(portal_id);
        }
    }

    /// True once for each resume newer than this process.
    fn first_look_at(&self, portal_id: PortalId, resumed_at_ms: i64) -> bool {
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

/// Records in the store each auth pause of this process's client while the store shows none
/// (`rows`: the store's records). Never clears one (another replica may still be paused) nor
/// overwrites one (replicas paused for different reasons would take turns); a resume made since
/// `rows` were read wins (the next look lifts the pause instead).
async fn record_auth_pauses(
    store: &Store,
    client: &HubspotClient,
    rows: &[PortalPause],
    now_ms: i64,
) {
    for id in client.portals() {
        let Some(failure) = client.auth_pause(id) else {
            continue;
        };
        let portal_id = id;
        let row = rows.iter().find(|r| r.portal_id == id);
        if row.is_some_and(|r| r.auth_failure.is_some()) {
            continue;
        }
        let seen_resume = row.and_then(|r| r.resumed_at_ms);
        let recorded = store
            .portals()
            .record_auth_failure(portal_id, failure, seen_resume, now_ms)
            .await;
        match recorded {
            Ok(false) => {}
            Ok(true) => tracing::warn!(
                portal_id = portal_id.get(),
                error.code = failure,
                "portal held by a HubSpot auth failure: its jobs wait until it is resumed or handoff restarts"
            ),
            Err(err) => {
                tracing::warn!(portal_id = portal_id.get(), error = %err, "could not record a portal's auth pause; retrying")
            }
        }
    }
}

impl Pipeline {
    /// Every [`AUTH_WATCH`], while this process's client holds an auth pause, makes sure the
    /// store shows it (a pause can begin outside any batch, e.g. in the owners refresh).
    pub async fn watch_auth_pauses(self: Arc<Self>, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(AUTH_WATCH);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            let client = &self.client;
            if !client
                .portals()
                .iter()
                .any(|id| client.auth_pause(*id).is_some())
            {
                continue;
            }
            if let Err(err) = self.paused().await {
                tracing::warn!(error = %err, "could not record a portal's auth pause; retrying")
            }
        }
    }
}

/// At start, with every portal's credentials just loaded: clears the auth failures recorded by
/// the last run and makes the jobs that waited one out due now, instead of after the rest of
/// their backoff (up to an hour). Logs what it did per portal; a store error is logged and
/// the jobs keep their times.
pub async fn fresh_start(store: &Store, portals: &[PortalId], now_ms: i64) {
    for &portal_id in portals {
        match store.portals().auth_fresh_start(portal_id, now_ms).await {
            Ok((None, 0)) => {}
            Ok((failure, jobs_due)) => tracing::info!(
                portal_id = portal_id.get(),
                recorded = failure.as_deref().unwrap_or("none"),
                jobs_due,
                "credentials loaded afresh: jobs held by a HubSpot auth failure are due now"
            ),
            Err(err) => tracing::warn!(
                portal_id = portal_id.get(),
                error = %err,
                "could not release the jobs held by an auth failure; they run at their retry time"
            ),
        }
    }
}

/// The outcome at `now_ms` of a job whose portal is paused.
pub(crate) fn deferred(now_ms: i64) -> Outcome {
    Outcome::Defer {
        at_ms: now_ms + RECHECK_MS,
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
            !pauses.first_look_at(handoff_ids::PortalId::new(7).unwrap(), 500),
            "a resume before this process started"
        );
        assert!(pauses.first_look_at(handoff_ids::PortalId::new(7).unwrap(), 2_000));
        assert!(
            !pauses.first_look_at(handoff_ids::PortalId::new(7).unwrap(), 2_000),
            "the same resume again"
        );
        assert!(
            pauses.first_look_at(handoff_ids::PortalId::new(8).unwrap(), 2_000),
            "another portal"
        );
        assert!(
            pauses.first_look_at(handoff_ids::PortalId::new(7).unwrap(), 3_000),
            "a later resume"
        );
    }
}
