//! The job loop. Each lane runs up to `worker.concurrency` jobs at once: claim as many as there
//! are free slots, run each with a lease heartbeat, record the outcome; when nothing is due,
//! wait for a wake-up (new work committed here or announced by another replica), a poll tick,
//! or a slot to free up. On shutdown, running jobs get `worker.drain_ms` to finish.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::pipeline::{self, Pipeline};
use super::settings::{QueueSettings, WorkerSettings};
use crate::jobs::{Job, LANE_EVENTS, LANE_SLA, Probe};
use crate::metrics::{JobLabel, Metrics};
use crate::store::Store;
use crate::store::queue::{ClaimedJob, Outcome, QueueError};

/// Dependencies of every job run, in one place.
#[derive(Debug, Clone)]
struct Ctx {
    store: Store,
    settings: WorkerSettings,
    lease_ms: i64,
    metrics: Arc<Metrics>,
    owner: String,
    /// The handoff pipeline, when HubSpot portals are configured.
    pipeline: Option<Arc<Pipeline>>,
}

#[derive(Debug, Clone)]
pub struct Worker {
    ctx: Arc<Ctx>,
}

fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

impl Worker {
    pub fn new(
        store: Store,
        settings: WorkerSettings,
        queue: &QueueSettings,
        metrics: Arc<Metrics>,
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

    /// Runs every configured lane until `shutdown`, then drains.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(owner = %self.ctx.owner, lanes = ?self.ctx.settings.lanes, "worker started");
        let mut lanes = JoinSet::new();
        for lane in self.ctx.settings.lanes.clone() {
            let needs_pipeline = lane == LANE_EVENTS || lane == LANE_SLA;
            match (&self.ctx.pipeline, lane.as_str()) {
                (None, _) if needs_pipeline => {
                    tracing::warn!(lane, "no HubSpot portals configured; this lane's jobs wait");
                }
                (Some(p), LANE_EVENTS) => {
                    let settings = pipeline::lane::LaneSettings {
                        owner: self.ctx.owner.clone(),
                        lease_ms: self.ctx.lease_ms,
                        poll: Duration::from_millis(self.ctx.settings.poll_interval_ms),
                        drain: Duration::from_millis(self.ctx.settings.drain_ms),
                    };
                    lanes.spawn(pipeline::lane::run(p.clone(), settings, shutdown.clone()));
                }
                _ => {
                    lanes.spawn(lane_loop(self.ctx.clone(), lane, shutdown.clone()));
                }
            }
        }
        while lanes.join_next().await.is_some() {}
        tracing::info!(owner = %self.ctx.owner, "worker stopped");
    }
}

async fn lane_loop(ctx: Arc<Ctx>, lane: String, shutdown: CancellationToken) {
    let slots = Arc::new(Semaphore::new(ctx.settings.concurrency));
    let mut running = JoinSet::new();
    let mut wake = ctx.store.wakeups().await;
    let poll = Duration::from_millis(ctx.settings.poll_interval_ms);
    while !shutdown.is_cancelled() {
        while running.try_join_next().is_some() {}
        let free = slots.available_permits();
        let mut claimed = 0;
        if free > 0 {
            match ctx
                .store
                .queue()
                .claim(&lane, &ctx.owner, now_ms(), ctx.lease_ms, free as i64)
                .await
            {
                Ok(jobs) => {
                    claimed = jobs.len();
                    ctx.metrics.queue_claims.inc_by(claimed as u64);
                    for job in jobs {
                        let Ok(permit) = slots.clone().acquire_owned().await else {
                            break;
                        };
                        let ctx = ctx.clone();
                        running.spawn(async move {
                            run_one(&ctx, job).await;
                            drop(permit);
                        });
                    }
                }
                Err(err) => {
                    tracing::warn!(lane, error = %err, "claim failed; retrying after the poll interval")
                }
            }
        }
        if claimed > 0 && claimed == free {
            continue; // there may be more due right now
        }
        tokio::select! {
            () = shutdown.cancelled() => {}
            _ = wake.changed() => {}
            () = tokio::time::sleep(poll) => {}
            Some(_) = running.join_next(), if !running.is_empty() => {}
        }
    }
    drain(&ctx, &lane, running).await;
}

async fn drain(ctx: &Ctx, lane: &str, mut running: JoinSet<()>) {
    if running.is_empty() {
        return;
    }
    tracing::info!(lane, jobs = running.len(), "draining running jobs");
    let all = async { while running.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_millis(ctx.settings.drain_ms), all)
        .await
        .is_err()
    {
        // Their leases run out and another worker (or the next start) takes them over.
        tracing::warn!(
            lane,
            jobs = running.len(),
            "drain time elapsed; leaving jobs to lease expiry"
        );
        running.abort_all();
    }
}

/// Runs one claimed job with a lease heartbeat and records how it ended.
async fn run_one(ctx: &Ctx, job: ClaimedJob) {
    let started_at_ms = now_ms();
    let heartbeat = tokio::spawn(heartbeat(
        ctx.store.clone(),
        vec![job.id],
        ctx.owner.clone(),
        ctx.lease_ms,
    ));
    let result = execute(ctx, &job, started_at_ms).await;
    heartbeat.abort();
    let outcome = match &result {
        Ok(outcome) => *outcome,
        Err(QueueError::LeaseLost(_)) => "lease_lost",
        Err(QueueError::Store(_)) => "store_error",
    };
    ctx.metrics
        .jobs_finished
        .get_or_create(&JobLabel {
            kind: job.kind.clone(),
            outcome,
        })
        .inc();
    match result {
        Ok(outcome) => {
            tracing::debug!(job_id = job.id, kind = %job.kind, attempt = job.attempts, outcome, "job finished")
        }
        Err(QueueError::LeaseLost(_)) => tracing::warn!(
            job_id = job.id,
            kind = %job.kind,
            attempt = job.attempts,
            "lease lost before the job finished; another worker owns it now"
        ),
        Err(err) => {
            tracing::error!(job_id = job.id, kind = %job.kind, error = %err, "could not record a job's outcome")
        }
    }
}

/// Extends the leases every third of their length while the jobs run; a job whose lease was
/// lost (another worker owns it now) drops out, and the heartbeat ends when none is left.
pub(super) async fn heartbeat(store: Store, mut ids: Vec<i64>, owner: String, lease_ms: i64) {
    let every = Duration::from_millis((lease_ms / 3).max(100) as u64);
    while !ids.is_empty() {
        tokio::time::sleep(every).await;
        let now = now_ms();
        let mut held = Vec::with_capacity(ids.len());
        for id in ids {
            if store
                .queue()
                .extend_lease(id, &owner, now, now + lease_ms)
                .await
                .is_ok()
            {
                held.push(id);
            }
        }
        ids = held;
    }
}

/// One step: parse, run, record. Returns the outcome's name for metrics and logs.
async fn execute(
    ctx: &Ctx,
    job: &ClaimedJob,
    started_at_ms: i64,
) -> Result<&'static str, QueueError> {
    match Job::parse(job) {
        Ok(Job::Probe(probe)) => run_probe(ctx, job, &probe, started_at_ms).await,
        Ok(Job::Sla(check)) if ctx.pipeline.is_some() => {
            let outcome = match &ctx.pipeline {
                Some(p) => {
                    pipeline::sla::run(p, &check, job.attempts)
                        .instrument(pipeline::trace::sla_check(&check, job.id))
                        .await
                }
                None => crate::store::queue::Outcome::Done,
            };
            let name = outcome.name();
            if matches!(outcome, Outcome::Dead { .. }) {
                ctx.metrics.queue_dead_letters.inc();
            }
            ctx.store
                .queue()
                .finish(job.id, &ctx.owner, &outcome, now_ms())
                .await?;
            Ok(name)
        }
        Ok(Job::Event(_) | Job::Sla(_)) => {
            let reason = "this job kind runs in its own lane with a HubSpot client".to_string();
            ctx.store
                .queue()
                .finish(job.id, &ctx.owner, &Outcome::Dead { reason }, now_ms())
                .await?;
            ctx.metrics.queue_dead_letters.inc();
            Ok("dead")
        }
        Err(reason) => {
            ctx.store
                .queue()
                .finish(job.id, &ctx.owner, &Outcome::Dead { reason }, now_ms())
                .await?;
            ctx.metrics.queue_dead_letters.inc();
            Ok("dead")
        }
    }
}

async fn run_probe(
    ctx: &Ctx,
    job: &ClaimedJob,
    probe: &Probe,
    started_at_ms: i64,
) -> Result<&'static str, QueueError> {
    tokio::time::sleep(Duration::from_millis(probe.work_ms.min(60_000))).await;
    let store = &ctx.store;
    store
        .probes()
        .finish(
            job,
            &ctx.owner,
            probe.enqueued_at_ms,
            started_at_ms,
            now_ms(),
        )
        .await?;
    Ok("done")
}
