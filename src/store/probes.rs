//! Canary jobs: a probe's effect (its `probe_runs` row) and its completion commit together, so
//! the run is recorded exactly once even when a worker dies and the job is retried elsewhere.

use super::queue::{ClaimedJob, QueueError};
use super::{Backend, Store, StoreError};

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

impl Store {
    /// Records the run and marks the job done, in one transaction; refused (nothing written)
    /// unless `owner` still holds the job's lease.
    pub async fn finish_probe(
        &self,
        job: &ClaimedJob,
        owner: &str,
        enqueued_at_ms: i64,
        started_at_ms: i64,
        now_ms: i64,
    ) -> Result<(), QueueError> {
        // `$N` placeholders work on both engines.
        const DONE: &str = "UPDATE jobs SET status = 'done', lease_owner = NULL, lease_until_ms = NULL, \
             updated_at_ms = $3 WHERE id = $1 AND status = 'leased' AND lease_owner = $2 AND lease_until_ms >= $3";
        const RUN: &str = "INSERT INTO probe_runs (job_id, job_key, occurred_at_ms, owner, enqueued_at_ms, \
             started_at_ms, finished_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        macro_rules! finish_in {
            ($tx:expr) => {{
                let mut tx = $tx;
                let held = sqlx::query(DONE)
                    .bind(job.id)
                    .bind(owner)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                if held.rows_affected() != 1 {
                    return Err(QueueError::LeaseLost(job.id));
                }
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
                tx.commit().await?;
            }};
        }
        match &*self.backend {
            Backend::Sqlite(s) => {
                let mut conn = s.writer().acquire().await.map_err(StoreError::from)?;
                finish_in!(sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?)
            }
            Backend::Postgres(s) => finish_in!(s.pool().begin().await?),
        }
        Ok(())
    }

    /// Every recorded probe run, in the order they were recorded.
    pub async fn probe_runs(&self) -> Result<Vec<ProbeRun>, StoreError> {
        const SQL: &str = "SELECT job_id, job_key, occurred_at_ms, owner, enqueued_at_ms, started_at_ms, \
             finished_at_ms FROM probe_runs ORDER BY id";
        Ok(match &*self.backend {
            Backend::Sqlite(s) => sqlx::query_as(SQL).fetch_all(s.reader()).await?,
            Backend::Postgres(s) => sqlx::query_as(SQL).fetch_all(s.pool()).await?,
        })
    }
}
