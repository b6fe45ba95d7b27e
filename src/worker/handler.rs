//! What each lane runs, for the driver (`lane.rs`): a handler claims units of work and runs
//! them, recording how every job ended (the queue's outcome, `handoff_jobs_finished_total`,
//! dead letters). Probe and SLA lanes run one job per unit; the events lane claims a batch of
//! contacts per unit (micro-batch window, `pipeline::events`) and records each head job's
//! outcome and the siblings folded into it.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::AbortHandle;
use tracing::{Instrument, Span};

use super::lane::At;
use super::pipeline::{self, Pipeline};
use super::runner::{Ctx, Ran};
use crate::jobs::{Job, KIND_HUBSPOT_EVENT, LANE_EVENTS, Probe};
use crate::store::queue::{ClaimedJob, Outcome, QueueError};

/// A lane's handler.
#[derive(Debug, Clone)]
pub(crate) enum Handler {
    /// One job per unit: probes, SLA checks (with the pipeline, when there is one), and the
    /// dead letter of anything else.
    Jobs,
    /// The events lane: one batch of contacts per unit.
    Events(Arc<Pipeline>),
}

/// A claimed unit of work: one job, or one batch of the events lane with its pipeline.
pub(crate) enum Unit {
    Job(ClaimedJob),
    Batch(Arc<Pipeline>, Vec<ClaimedJob>),
}

impl Unit {
    pub(crate) fn job_ids(&self) -> Vec<i64> {
        match self {
            Unit::Job(job) => vec![job.id],
            Unit::Batch(_, jobs) => jobs.iter().map(|j| j.id).collect(),
        }
    }

    /// Runs the unit, stops its heartbeat and records how its jobs ended.
    pub(crate) async fn run(self, ctx: &Ctx, heartbeat: Heartbeat) -> Ran {
        match self {
            Unit::Job(job) => {
                let ran = run_job(ctx, job).await;
                drop(heartbeat);
                ran
            }
            Unit::Batch(p, jobs) => {
                let ran = pipeline::events::run(&p, jobs).await;
                drop(heartbeat);
                finish_batch(ctx, ran).await
            }
        }
    }
}

/// A unit's lease heartbeat, stopped when dropped (also when the unit panics).
pub(crate) struct Heartbeat(pub(crate) AbortHandle);

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Handler {
    /// Whether its units are batches (for the drain's log line).
    pub(crate) fn batches(&self) -> bool {
        matches!(self, Handler::Events(_))
    }

    /// Claims units for up to `free` slots; whether more may be due right now.
    pub(crate) async fn claim(
        &self,
        ctx: &Ctx,
        lane: &str,
        free: usize,
        at: At<'_>,
    ) -> (Vec<Unit>, bool) {
        match self {
            Handler::Jobs => {
                let jobs = claim(ctx, lane, free as i64, at).await;
                let more = jobs.len() == free;
                (jobs.into_iter().map(Unit::Job).collect(), more)
            }
            Handler::Events(p) => {
                let jobs = gather(ctx, p, at).await;
                let more = !jobs.is_empty();
                let batch = more.then(|| Unit::Batch(p.clone(), jobs));
                (batch.into_iter().collect(), more)
            }
        }
    }
}

/// Leases up to `limit` due jobs of `lane`.
async fn claim(ctx: &Ctx, lane: &str, limit: i64, at: At<'_>) -> Vec<ClaimedJob> {
    let now = match at {
        At::Live(_) => ctx.now_ms(),
        At::Step(now) => now,
    };
    let claimed = ctx
        .store
        .queue()
        .claim(lane, &ctx.owner, now, ctx.lease_ms, limit)
        .await;
    match claimed {
        Ok(jobs) => {
            ctx.metrics.queue_claims.inc_by(jobs.len() as u64);
            jobs
        }
        Err(err) => {
            tracing::warn!(lane, error = %err, "claim failed; retrying after the poll interval");
            Vec::new()
        }
    }
}

/// Claims a batch: what is due now, plus, in the loop, what arrives within the window.
async fn gather(ctx: &Ctx, p: &Pipeline, at: At<'_>) -> Vec<ClaimedJob> {
    let batching = p.batching();
    let max = batching.max_contacts as i64;
    let mut jobs = claim(ctx, LANE_EVENTS, max, at).await;
    let At::Live(shutdown) = at else {
        return jobs;
    };
    if jobs.is_empty() || jobs.len() as i64 >= max || batching.window_ms == 0 {
        return jobs;
    }
    tokio::select! {
        () = shutdown.cancelled() => return jobs,
        () = tokio::time::sleep(Duration::from_millis(batching.window_ms)) => {}
    }
    let more = claim(ctx, LANE_EVENTS, max - jobs.len() as i64, at).await;
    jobs.extend(more);
    jobs
}

/// Runs one job: parse, run, record. Counts and logs how it ended.
async fn run_job(ctx: &Ctx, job: ClaimedJob) -> Ran {
    let started_at_ms = ctx.now_ms();
    let result = execute(ctx, &job, started_at_ms).await;
    let outcome = match &result {
        Ok(outcome) => *outcome,
        Err(QueueError::LeaseLost(_)) => "lease_lost",
        Err(QueueError::Store(_)) => "store_error",
    };
    let mut ran = Ran::default();
    ran.count_finished(ctx, &job.kind, outcome, 1);
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
    ran
}

/// One job: parse, run, record. Returns the outcome's name for metrics and logs.
async fn execute(
    ctx: &Ctx,
    job: &ClaimedJob,
    started_at_ms: i64,
) -> Result<&'static str, QueueError> {
    let outcome = match (Job::parse(job), &ctx.pipeline) {
        (Ok(Job::Probe(probe)), _) => return run_probe(ctx, job, &probe, started_at_ms).await,
        (Ok(Job::Sla(check)), Some(p)) => {
            let outcome = pipeline::sla::run(p, &check, job.attempts)
                .instrument(pipeline::trace::sla_check(&check, job.id))
                .await;
            if matches!(outcome, Outcome::Dead { .. }) {
                ctx.metrics.queue_dead_letters.inc();
            }
            return finish(ctx, job, &outcome).await;
        }
        (Ok(Job::SlackAlert(alert)), Some(p)) => {
            let outcome = pipeline::slack::send::run(p, alert, job.attempts).await;
            return finish(ctx, job, &outcome).await;
        }
        (Ok(Job::SlackClick(click)), Some(p)) => {
            let outcome = pipeline::slack::clicks::run(p, click, job.attempts).await;
            return finish(ctx, job, &outcome).await;
        }
        (Ok(Job::Event(_) | Job::Sla(_) | Job::SlackAlert(_) | Job::SlackClick(_)), _) => {
            Outcome::Dead {
                reason: "this job kind runs in its own lane with a HubSpot client".to_string(),
            }
        }
        (Err(reason), _) => Outcome::Dead { reason },
    };
    let name = finish(ctx, job, &outcome).await?;
    ctx.metrics.queue_dead_letters.inc();
    Ok(name)
}

/// Records a job's outcome; its name.
async fn finish(
    ctx: &Ctx,
    job: &ClaimedJob,
    outcome: &Outcome,
) -> Result<&'static str, QueueError> {
    ctx.store
        .queue()
        .finish(job.id, &ctx.owner, outcome, ctx.now_ms())
        .await?;
    Ok(outcome.name())
}

async fn run_probe(
    ctx: &Ctx,
    job: &ClaimedJob,
    probe: &Probe,
    started_at_ms: i64,
) -> Result<&'static str, QueueError> {
    tokio::time::sleep(Duration::from_millis(probe.work_ms.min(60_000))).await;
    let now = ctx.now_ms();
    ctx.store
        .probes()
        .finish(job, &ctx.owner, probe.enqueued_at_ms, started_at_ms, now)
        .await?;
    Ok("done")
}

/// Records how a batch's head jobs ended: the done ones (and the siblings folded into them)
/// at once, the others one by one.
async fn finish_batch(ctx: &Ctx, ran: pipeline::events::Ran) -> Ran {
    let mut counted = Ran::default();
    let now = ctx.now_ms();
    let queue = ctx.store.queue();
    let ids: Vec<i64> = ran.done.iter().map(|(head, _)| head.id).collect();
    match queue.finish_done_many(&ctx.owner, &ids, now).await {
        Ok(finished) => {
            let siblings: Vec<i64> = ran
                .done
                .iter()
                .filter(|(head, _)| finished.binary_search(&head.id).is_ok())
                .flat_map(|(_, siblings)| siblings.iter().copied())
                .collect();
            if let Ok(n) = queue.finish_siblings(&siblings, now).await {
                ctx.metrics.pipeline.events_coalesced.inc_by(n);
            }
            let lost = (ids.len() - finished.len()) as u64;
            counted.count_finished(ctx, KIND_HUBSPOT_EVENT, "done", finished.len() as u64);
            counted.count_finished(ctx, KIND_HUBSPOT_EVENT, "lease_lost", lost);
        }
        Err(err) => tracing::error!(error = %err, "could not record a job's outcome"),
    }
    for (job, outcome, span) in ran.failed {
        counted.merge(finish_failed(ctx, &job, &outcome, &span, now).await);
    }
    counted
}

/// Records how a head job that is not done ended (a dead letter says why, in its span).
async fn finish_failed(
    ctx: &Ctx,
    job: &ClaimedJob,
    outcome: &Outcome,
    span: &Span,
    now: i64,
) -> Ran {
    let mut counted = Ran::default();
    let name = outcome.name();
    if let Outcome::Dead { reason } = outcome {
        span.in_scope(|| {
            tracing::warn!(job_id = job.id, key = %job.key, reason = %reason, "event job dead-lettered");
        });
        ctx.metrics.queue_dead_letters.inc();
    }
    match ctx
        .store
        .queue()
        .finish(job.id, &ctx.owner, outcome, now)
        .await
    {
        Ok(()) => counted.count_finished(ctx, KIND_HUBSPOT_EVENT, name, 1),
        Err(err) => {
            tracing::warn!(job_id = job.id, error = %err, "could not record a job's outcome")
        }
    }
    counted
}
