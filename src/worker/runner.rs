//! The worker of this process: its lanes (`worker.lanes`), each run by the one lane driver
//! (`lane.rs`) with its handler (`handler.rs`), and the time they read from an injected clock.
//! [`Worker::run`] runs every lane until shutdown; [`Worker::run_due`] is one step — every job
//! due now, on every lane, run to its end — which tests take with a clock in hand instead of
//! waiting for the loop.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::handler::Handler;
use super::lane::{At, Lane};
use super::pipeline::Pipeline;
use super::settings::{QueueSettings, WorkerSettings};
use crate::hubspot::client::Clock;
use crate::jobs::{LANE_ALERTS, LANE_EVENTS, LANE_SLA};
use crate::metrics::{JobLabel, Metrics};
use crate::store::Store;

/// Dependencies of every job run, in one place.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) store: Store,
    pub(crate) settings: WorkerSettings,
    pub(crate) lease_ms: i64,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) owner: String,
    pub(crate) clock: Arc<dyn Clock>,
    /// The handoff pipeline, when HubSpot portals are configured.
    pub(crate) pipeline: Option<Arc<Pipeline>>,
}

impl Ctx {
    /// The clock's time now, in ms.
    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now().as_millisecond()
    }
}

/// What ran: how many jobs ended how, by kind and outcome (as `handoff_jobs_finished_total`
/// counts them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ran {
    jobs: BTreeMap<(String, &'static str), u64>,
}

impl Ran {
    /// No job ran.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// How many jobs ran.
    pub fn total(&self) -> u64 {
        self.jobs.values().sum()
    }

    /// How many jobs of `kind` ended with `outcome` (`done`, `retry`, `deferred`, `dead`, ...).
    pub fn count(&self, kind: &str, outcome: &str) -> u64 {
        self.jobs
            .iter()
            .filter(|((k, o), _)| k == kind && *o == outcome)
            .map(|(_, n)| n)
            .sum()
    }

    /// Every `(kind, outcome, jobs)`.
    pub fn outcomes(&self) -> impl Iterator<Item = (&str, &'static str, u64)> {
        self.jobs.iter().map(|((k, o), n)| (k.as_str(), *o, *n))
    }

    /// Adds what `other` ran.
    pub fn merge(&mut self, other: Ran) {
        for (key, n) in other.jobs {
            *self.jobs.entry(key).or_default() += n;
        }
    }

    /// Counts `n` jobs of `kind` that ended with `outcome`, here and on the metric.
    pub(crate) fn count_finished(&mut self, ctx: &Ctx, kind: &str, outcome: &'static str, n: u64) {
        if n == 0 {
            return;
        }
        ctx.metrics
            .jobs_finished
            .get_or_create(&JobLabel {
                kind: kind.to_owned(),
                outcome,
            })
            .inc_by(n);
        *self.jobs.entry((kind.to_owned(), outcome)).or_default() += n;
    }
}

#[derive(Debug, Clone)]
pub struct Worker {
    ctx: Arc<Ctx>,
}

impl Worker {
    /// A worker reading the time from `clock` (the HubSpot client's, so both agree).
    pub fn new(
        store: Store,
        settings: WorkerSettings,
        queue: &QueueSettings,
        metrics: Arc<Metrics>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        // Unique per process: a restarted process must not finish its predecessor's leases.
        let owner = format!("{}-{}", std::process::id(), uuid::Uuid::now_v7().simple());
        Self {
            ctx: Arc::new(Ctx {
                store,
                settings,
                lease_ms: queue.lease_ms,
                metrics,
                owner,
                clock,
                pipeline: None,
            }),
        }
    }

    /// Runs the `events` and `sla` lanes with this pipeline.
    pub fn with_pipeline(self, pipeline: Arc<Pipeline>) -> Self {
        let mut ctx = (*self.ctx).clone();
        ctx.pipeline = Some(pipeline);
        Self { ctx: Arc::new(ctx) }
    }

    pub fn owner(&self) -> &str {
        &self.ctx.owner
    }

    /// The lanes this process runs, each with its handler; the names of the lanes that wait
    /// (events and SLA checks need the pipeline).
    fn lanes(&self) -> (Vec<Lane>, Vec<&str>) {
        let (mut lanes, mut waiting) = (Vec::new(), Vec::new());
        for lane in &self.ctx.settings.lanes {
            let needs_pipeline = [LANE_EVENTS, LANE_SLA, LANE_ALERTS].contains(&lane.as_str());
            match (&self.ctx.pipeline, lane.as_str()) {
                (None, _) if needs_pipeline => waiting.push(lane.as_str()),
                (Some(p), LANE_EVENTS) => {
                    let slots = p.batching().in_flight;
                    lanes.push(Lane::new(lane.clone(), Handler::Events(p.clone()), slots));
                }
                _ => {
                    let slots = self.ctx.settings.concurrency;
                    lanes.push(Lane::new(lane.clone(), Handler::Jobs, slots));
                }
            }
        }
        (lanes, waiting)
    }

    /// Runs every configured lane until `shutdown`, then drains.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(owner = %self.ctx.owner, lanes = ?self.ctx.settings.lanes, "worker started");
        let (lanes, waiting) = self.lanes();
        for lane in waiting {
            tracing::warn!(lane, "no HubSpot portals configured; this lane's jobs wait");
        }
        let mut running = JoinSet::new();
        for lane in lanes {
            running.spawn(lane.run(self.ctx.clone(), shutdown.clone()));
        }
        while running.join_next().await.is_some() {}
        tracing::info!(owner = %self.ctx.owner, "worker stopped");
    }

    /// One step: claims every job due at the clock's time now, on every lane, and runs each
    /// to its end (the lane's slots and batches as in the loop, without the batch window);
    /// again while a pass claims anything, since a job may make another one due. What ran.
    pub async fn run_due(&self) -> Ran {
        let at = self.ctx.now_ms();
        let (mut lanes, _) = self.lanes();
        let mut ran = Ran::default();
        loop {
            let mut started = 0;
            for lane in &mut lanes {
                loop {
                    let step = lane.start_due(&self.ctx, At::Step(at)).await;
                    if step.units == 0 {
                        break;
                    }
                    started += step.units;
                    ran.merge(lane.finish().await);
                }
            }
            if started == 0 {
                return ran;
            }
        }
    }
}
