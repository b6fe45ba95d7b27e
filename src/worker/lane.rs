//! The one lane driver. Every lane runs the same way: claim as many units of work as it has
//! free slots, run each with a lease heartbeat, record how it ended; when nothing is due, wait
//! for a wake-up (new work committed here or announced by another replica), a poll tick, or a
//! slot to free up. On shutdown, running units get `worker.drain_ms` to finish. What a unit is
//! belongs to the lane's handler (`handler.rs`): one job (probes, SLA checks), or one batch of
//! contacts' event jobs (the events lane, `pipeline.batches_in_flight` batches at once).
//!
//! [`Lane::start_due`] is the step both the loop and [`super::Worker::run_due`] take: the loop
//! claims at the clock's time of each claim and lets a batch gather over its window; a step
//! claims what was due at its own time, without waiting.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::handler::{Handler, Heartbeat, Unit};
use super::runner::{Ctx, Ran};

/// When a lane claims.
#[derive(Debug, Clone, Copy)]
pub(crate) enum At<'a> {
    /// In the loop: at the clock's time of each claim; a batch may wait out its window for
    /// more events, unless shutdown comes first.
    Live(&'a CancellationToken),
    /// In a step: what was due at this time (ms), without waiting.
    Step(i64),
}

/// What one [`Lane::start_due`] did.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Started {
    /// Units started.
    pub(crate) units: usize,
    /// Every slot was busy: nothing was claimed.
    pub(crate) full: bool,
    /// More may be due right now (the claim filled what it could take).
    pub(crate) more: bool,
}

/// One lane of this process: its handler, its slots and its running units.
pub(crate) struct Lane {
    name: String,
    handler: Handler,
    slots: Arc<Semaphore>,
    running: JoinSet<Ran>,
}

impl Lane {
    pub(crate) fn new(name: String, handler: Handler, slots: usize) -> Self {
        Self {
            name,
            handler,
            slots: Arc::new(Semaphore::new(slots)),
            running: JoinSet::new(),
        }
    }

    /// Takes finished units off, claims what is due into the free slots and starts it.
    pub(crate) async fn start_due(&mut self, ctx: &Arc<Ctx>, at: At<'_>) -> Started {
        while self.running.try_join_next().is_some() {}
        let free = self.slots.available_permits();
        if free == 0 {
            return Started {
                full: true,
                ..Started::default()
            };
        }
        let (units, more) = self.handler.claim(ctx, &self.name, free, at).await;
        let mut started = 0;
        for unit in units {
            let Ok(permit) = self.slots.clone().acquire_owned().await else {
                break;
            };
            let ctx = ctx.clone();
            self.running.spawn(async move {
                let ran = run_unit(&ctx, unit).await;
                drop(permit);
                ran
            });
            started += 1;
        }
        Started {
            units: started,
            full: false,
            more,
        }
    }

    /// Waits for every unit started so far; what they ran.
    pub(crate) async fn finish(&mut self) -> Ran {
        let mut ran = Ran::default();
        while let Some(done) = self.running.join_next().await {
            if let Ok(done) = done {
                ran.merge(done);
            }
        }
        ran
    }

    /// Runs the lane until `shutdown`, then drains.
    pub(crate) async fn run(mut self, ctx: Arc<Ctx>, shutdown: CancellationToken) {
        let mut wake = ctx.store.wakeups().await;
        let poll = Duration::from_millis(ctx.settings.poll_interval_ms);
        while !shutdown.is_cancelled() {
            let started = self.start_due(&ctx, At::Live(&shutdown)).await;
            if started.more {
                continue; // there may be more due right now
            }
            if started.full {
                tokio::select! {
                    () = shutdown.cancelled() => {}
                    Some(_) = self.running.join_next() => {}
                }
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => {}
                _ = wake.changed() => {}
                () = tokio::time::sleep(poll) => {}
                Some(_) = self.running.join_next(), if !self.running.is_empty() => {}
            }
        }
        self.drain(&ctx).await;
    }

    async fn drain(mut self, ctx: &Ctx) {
        if self.running.is_empty() {
            return;
        }
        let (lane, running) = (self.name.as_str(), self.running.len());
        if self.handler.batches() {
            tracing::info!(lane, batches = running, "draining running jobs");
        } else {
            tracing::info!(lane, jobs = running, "draining running jobs");
        }
        let all = async { while self.running.join_next().await.is_some() {} };
        let drain = Duration::from_millis(ctx.settings.drain_ms);
        if tokio::time::timeout(drain, all).await.is_err() {
            // Their leases run out and another worker (or the next start) takes them over.
            tracing::warn!(
                lane,
                jobs = self.running.len(),
                "drain time elapsed; leaving jobs to lease expiry"
            );
            self.running.abort_all();
        }
    }
}

/// Runs one unit with a lease heartbeat; the unit records how its jobs ended.
async fn run_unit(ctx: &Arc<Ctx>, unit: Unit) -> Ran {
    let heartbeat = tokio::spawn(heartbeat(ctx.clone(), unit.job_ids()));
    unit.run(ctx, Heartbeat(heartbeat.abort_handle())).await
}

/// Extends the leases every third of their length while the jobs run; a job whose lease was
/// lost (another worker owns it now) drops out, and the heartbeat ends when none is left.
async fn heartbeat(ctx: Arc<Ctx>, mut ids: Vec<i64>) {
    let every = Duration::from_millis((ctx.lease_ms / 3).max(100) as u64);
    while !ids.is_empty() {
        tokio::time::sleep(every).await;
        let now = ctx.now_ms();
        let mut held = Vec::with_capacity(ids.len());
        for id in ids {
            if ctx
                .store
                .queue()
                .extend_lease(id, &ctx.owner, now, now + ctx.lease_ms)
                .await
                .is_ok()
            {
                held.push(id);
            }
        }
        ids = held;
    }
}
