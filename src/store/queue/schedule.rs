//! Jobs the service schedules itself (SLA checks, probes, operator jobs), and the queue's
//! retention. A scheduled job can replace the pending jobs of its lane and key in the same
//! transaction; on PostgreSQL a `NOTIFY` at commit wakes idle workers on every replica.

use sqlx::Database;

use super::{OnExisting, Queue, QueueError, Scheduled};
use crate::store::Dialect;
use crate::store::dispatch::{Param, Statement};
use crate::store::postgres::notify;

/// Adds `job` to run at its `run_at_ms` (created at `now_ms`) and returns its id. Also used by
/// the ledger, which schedules a handoff's SLA ladder with its step.
pub(in crate::store) fn insert_job<DB: Database>(job: &Scheduled, now_ms: i64) -> Statement<DB>
where
    i64: Param<DB>,
    for<'a> &'a str: Param<DB>,
{
    const SQL: &str = "INSERT INTO jobs (queue, job_key, kind, payload, occurred_at_ms, run_at_ms, \
         max_attempts, created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         RETURNING id";
    sqlx::query(SQL)
        .bind(job.job.lane)
        .bind(job.job.key.as_str())
        .bind(job.job.kind)
        .bind(job.job.payload.get())
        .bind(job.job.occurred_at_ms)
        .bind(job.run_at_ms)
        .bind(job.max_attempts)
        .bind(now_ms)
}

/// Removes the pending (ready) jobs of `lane` and `key`; a running job is left to finish.
pub(in crate::store) fn cancel_pending<DB: Database>(lane: &str, key: &str) -> Statement<DB>
where
    for<'a> &'a str: Param<DB>,
{
    const SQL: &str = "DELETE FROM jobs WHERE queue = $1 AND job_key = $2 AND status = 'ready'";
    sqlx::query(SQL).bind(lane).bind(key)
}

impl Queue<'_> {
    /// Adds a job to run at `run_at_ms`; with [`OnExisting::Replace`], pending jobs of the same
    /// lane and key are removed first, in the same transaction. Returns the new job's id.
    pub async fn schedule(
        self,
        job: &Scheduled,
        on_existing: OnExisting,
        now_ms: i64,
    ) -> Result<i64, QueueError> {
        let on_postgres = self.db.dialect() == Dialect::Postgres;
        let id: i64 = in_tx!(self.db, |tx| {
            if on_existing == OnExisting::Replace {
                cancel_pending(job.job.lane, &job.job.key)
                    .execute(&mut *tx)
                    .await?;
            }
            let row = insert_job(job, now_ms).fetch_one(&mut *tx).await?;
            let id: i64 = sqlx::Row::try_get(&row, 0)?;
            if on_postgres {
                notify(job.job.lane).execute(&mut *tx).await?;
            }
            id
        });
        if job.run_at_ms <= now_ms {
            self.db.wake.signal();
        }
        Ok(id)
    }

    /// Removes the pending (ready) jobs of a lane and key (e.g. `sla:portal:contact` once
    /// touched); a running job is left to finish.
    pub async fn cancel(self, lane: &str, key: &str) -> Result<u64, QueueError> {
        Ok(on_writer!(self.db, |pool| cancel_pending(lane, key)
            .execute(pool)
            .await?
            .rows_affected()))
    }

    /// Retention: deletes done jobs finished before `done_before_ms` and inbox rows received
    /// before `inbox_before_ms`; `(jobs, inbox rows)`. Dead jobs stay until purged.
    pub async fn prune(
        self,
        done_before_ms: i64,
        inbox_before_ms: i64,
    ) -> Result<(u64, u64), QueueError> {
        const JOBS: &str = "DELETE FROM jobs WHERE status = 'done' AND updated_at_ms < $1";
        const INBOX: &str = "DELETE FROM inbox WHERE received_at_ms < $1";
        on_writer!(self.db, |pool| {
            let jobs = sqlx::query(JOBS)
                .bind(done_before_ms)
                .execute(pool)
                .await?
                .rows_affected();
            let inbox = sqlx::query(INBOX)
                .bind(inbox_before_ms)
                .execute(pool)
                .await?
                .rows_affected();
            Ok((jobs, inbox))
        })
    }
}
