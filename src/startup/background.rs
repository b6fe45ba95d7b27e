//! What a running service does besides answering requests: the worker, queue maintenance, the
//! owners refresh, the journal catch-up, the auth-pause watch, the checks logged at start and
//! rules reloads on SIGHUP — all stopped by the shutdown token. How they are driven is the
//! caller's ([`Drive`]): production reads the system clock and runs the worker's loop; a test
//! hands in its own clock and steps the worker itself ([`Stepped`]).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::Application;
use crate::hubspot::client::{Clock, SystemClock};
use crate::worker::pipeline::{Pipeline, RulesHandle};
use crate::worker::{Ran, Worker};

/// How a built service is driven.
#[derive(Debug, Clone)]
pub struct Drive {
    /// The time the worker, the pipeline and the HubSpot client read.
    pub clock: Arc<dyn Clock>,
    /// The worker runs its own loop and the start checks run on their own (`true`), or the
    /// caller takes them ([`Application::stepped`]).
    pub worker_loop: bool,
}

impl Default for Drive {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            worker_loop: true,
        }
    }
}

/// A service's worker as its caller drives it (a service built with `worker_loop: false`).
#[derive(Debug, Clone)]
pub struct Stepped {
    worker: Worker,
    pipeline: Option<Arc<Pipeline>>,
}

impl Stepped {
    /// The checks `serve` logs at start (roster, sequences, lead stages), run to their end.
    pub async fn start(&self) {
        if let Some(p) = &self.pipeline {
            p.clone().at_start().await;
        }
    }

    /// One step of the worker: every job due now, on every lane, run to its end.
    pub async fn run_due(&self) -> Ran {
        self.worker.run_due().await
    }
}

impl Application {
    /// This service's worker.
    fn worker(&self) -> Worker {
        let worker = Worker::new(
            self.state.store().clone(),
            self.worker.clone(),
            &self.queue,
            self.metrics.clone(),
            self.drive.clock.clone(),
        );
        match &self.pipeline {
            Some(pipeline) => worker.with_pipeline(pipeline.clone()),
            None => worker,
        }
    }

    /// The worker and the start checks, for the caller to drive; built with
    /// `worker_loop: false`, `serve` leaves them to it.
    pub fn stepped(&self) -> Stepped {
        Stepped {
            worker: self.worker(),
            pipeline: self.pipeline.clone(),
        }
    }

    /// The worker and queue maintenance, stopped by `shutdown`.
    pub(super) fn spawn_background(&self, shutdown: &CancellationToken) -> Background {
        let store = self.state.store().clone();
        let clock = &self.drive.clock;
        let reload = self.pipeline.clone().map(|p| {
            let rules = p.rules().clone();
            tokio::spawn(reload_on_hangup(rules, shutdown.child_token()))
        });
        if let Some(p) = self.pipeline.clone() {
            tokio::spawn(p.clone().watch_auth_pauses(shutdown.child_token()));
            if self.drive.worker_loop {
                tokio::spawn(p.at_start());
            }
        }
        let owners = self.hubspot.clone().map(|client| {
            tokio::spawn(crate::worker::owners::refresh_loop(
                client,
                self.owners_refresh,
                shutdown.child_token(),
            ))
        });
        let journal = self.hubspot.clone().map(|client| {
            tokio::spawn(crate::worker::journal::catch_up_loop(
                store.clone(),
                client,
                self.metrics.clone(),
                clock.clone(),
                self.journals.clone(),
                shutdown.child_token(),
            ))
        });
        let worker = self.drive.worker_loop.then(|| {
            let worker = self.worker();
            tokio::spawn(worker.run(shutdown.child_token()))
        });
        Background {
            reload,
            owners,
            journal,
            worker,
            maintenance: tokio::spawn(crate::worker::maintenance::run(
                store,
                self.queue.clone(),
                self.metrics.clone(),
                clock.clone(),
                shutdown.child_token(),
            )),
        }
    }
}

/// Background tasks of a running service.
#[derive(Debug)]
pub(super) struct Background {
    reload: Option<tokio::task::JoinHandle<()>>,
    owners: Option<tokio::task::JoinHandle<()>>,
    journal: Option<tokio::task::JoinHandle<()>>,
    /// The worker's loop (none when the caller steps the worker).
    worker: Option<tokio::task::JoinHandle<()>>,
    maintenance: tokio::task::JoinHandle<()>,
}

impl Background {
    /// Waits for the worker to drain (it stops on its own once the token is cancelled).
    pub(super) async fn finish(self) {
        if let Some(worker) = self.worker {
            let _ = worker.await;
        }
        let _ = self.maintenance.await;
        if let Some(owners) = self.owners {
            let _ = owners.await;
        }
        if let Some(journal) = self.journal {
            let _ = journal.await;
        }
        if let Some(reload) = self.reload {
            reload.abort();
        }
    }
}

/// Reloads the rules on SIGHUP: a configuration that fails the checks is refused with the
/// same report as `check-config`, and the rules in force stay.
async fn reload_on_hangup(rules: RulesHandle, shutdown: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hangups) = signal(SignalKind::hangup()) else {
        tracing::warn!("SIGHUP handler could not be installed; reload by restart");
        return;
    };
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            Some(()) = hangups.recv() => { let _ = rules.reload(); }
        }
    }
}
