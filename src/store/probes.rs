//! Canary jobs, which prove the queue end to end: a probe's effect (its `probe_runs` row) and
//! its completion commit together, so the run is recorded exactly once even when a worker dies
//! and the job is retried elsewhere.

use super::StoreError;
use super::dispatch::Db;
use super::queue::{ClaimedJob, Outcome, QueueError, finish_query, held};

/// One recorded probe run.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProbeRun {
    pub job_id: i64,
    pub job_key: String,
    pub occurred_at_ms: i64,
    pub owner: String,
    pub enqueued_at_ms: i64,
    pub started_at_ms: i64,
    pub finished_at_ms: i64,
}

/// The probes part of a [`super::Store`].
#[derive(Debug, Clone, Copy)]
pub struct Probes<'s> {
    pub(super) db: &'s Db,
}

impl Probes<'_> {
    /// Records the run and marks the job done, in one transaction; refused (nothing written)
    /// unless `owner` still holds the job's lease.
    pub async fn finish(
        self,
        job: &ClaimedJob,
        owner: &str,
        enqueued_at_ms: i64,
        started_at_ms: i64,
        now_ms: i64,
    ) -> Result<(), QueueError> {
        const RUN: &str = "INSERT INTO probe_runs (job_id, job_key, occurred_at_ms, owner, enqueued_at_ms, \
             started_at_ms, finished_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        in_tx!(self.db, |tx| {
            let done = finish_query(job.id, owner, &Outcome::Done, now_ms)
                .execute(&mut *tx)
                .await?;
            // Lost: the transaction is dropped uncommitted, nothing is written.
            held(job.id, done.rows_affected())?;
            sqlx::query(RUN)
                .bind(job.id)
                .bind(&job.key)
                .bind(job.occurred_at_ms)
                .bind(owner)
                .bind(enqueued_at_ms)
                .bind(started_at_ms)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Every recorded probe run, in the order they were recorded.
    pub async fn runs(self) -> Result<Vec<ProbeRun>, StoreError> {
        const SQL: &str = "SELECT job_id, job_key, occurred_at_ms, owner, enqueued_at_ms, started_at_ms, \
             finished_at_ms FROM probe_runs ORDER BY id";
        Ok(on_reader!(self.db, |pool| sqlx::query_as(SQL)
            .fetch_all(pool)
            .await?))
    }
}
