//! The job queue on PostgreSQL: the same contract as `sqlite_queue`, for several replicas.
//! Claims lock candidate rows with `FOR UPDATE SKIP LOCKED`, so concurrent claimers pass each
//! other by instead of queueing on the same head-of-key rows; only a key's oldest open job is a
//! candidate, and a leased job blocks its key, so no key ever runs two jobs at once.

use sqlx::PgPool;

use super::NewJob;
use super::postgres::NOTIFY_CHANNEL;
use super::queue::{ClaimedJob, DeadFilter, OnExisting, QueueError, Scheduled};

pub(super) async fn claim(
    pool: &PgPool,
    queue: &str,
    owner: &str,
    now_ms: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<ClaimedJob>, QueueError> {
    let mut jobs: Vec<ClaimedJob> = sqlx::query_as(
        "WITH candidates AS ( \
           SELECT j.id FROM jobs AS j \
           WHERE j.queue = $4 AND j.status = 'ready' AND j.run_at_ms <= $3 \
             AND NOT EXISTS ( \
               SELECT 1 FROM jobs AS o \
               WHERE o.job_key = j.job_key AND o.status IN ('ready', 'leased') \
                 AND (o.status = 'leased' OR o.occurred_at_ms < j.occurred_at_ms \
                      OR (o.occurred_at_ms = j.occurred_at_ms AND o.id < j.id))) \
           ORDER BY j.run_at_ms, j.id LIMIT $5 \
           FOR UPDATE SKIP LOCKED) \
         UPDATE jobs SET status = 'leased', lease_owner = $1, lease_until_ms = $2, \
                attempts = jobs.attempts + 1, updated_at_ms = $3 \
         FROM candidates WHERE jobs.id = candidates.id AND jobs.status = 'ready' \
         RETURNING jobs.id, jobs.queue, jobs.job_key, jobs.kind, jobs.payload, jobs.attempts, \
                   jobs.max_attempts, jobs.occurred_at_ms, jobs.lease_until_ms",
    )
    .bind(owner)
    .bind(now_ms + lease_ms)
    .bind(now_ms)
    .bind(queue)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

pub(super) async fn schedule(
    pool: &PgPool,
    job: &Scheduled,
    on_existing: OnExisting,
    now_ms: i64,
) -> Result<i64, QueueError> {
    let mut tx = pool.begin().await?;
    if on_existing == OnExisting::Replace {
        cancel_in(&mut tx, job.job.lane, &job.job.key).await?;
    }
    let id = insert(&mut tx, &job.job, job.run_at_ms, job.max_attempts, now_ms).await?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(NOTIFY_CHANNEL)
        .bind(job.job.lane)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

async fn insert(
    conn: &mut sqlx::PgConnection,
    job: &NewJob,
    run_at_ms: i64,
    max_attempts: i64,
    now_ms: i64,
) -> Result<i64, QueueError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO jobs (queue, job_key, kind, payload, occurred_at_ms, run_at_ms, max_attempts, \
                           created_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(job.lane)
    .bind(&job.key)
    .bind(job.kind)
    .bind(job.payload.get())
    .bind(job.occurred_at_ms)
    .bind(run_at_ms)
    .bind(max_attempts)
    .bind(now_ms)
    .fetch_one(conn)
    .await?)
}

async fn cancel_in(
    conn: &mut sqlx::PgConnection,
    queue: &str,
    key: &str,
) -> Result<u64, QueueError> {
    Ok(
        sqlx::query("DELETE FROM jobs WHERE queue = $1 AND job_key = $2 AND status = 'ready'")
            .bind(queue)
            .bind(key)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

const DEAD_WHERE: &str = "status = 'dead' \
    AND ($1::text IS NULL OR job_key LIKE $1 || ':%') \
    AND ($2::text IS NULL OR kind = $2) \
    AND ($3::bigint IS NULL OR updated_at_ms >= $3)";

pub(super) async fn replay(
    pool: &PgPool,
    filter: &DeadFilter,
    id: Option<i64>,
    now_ms: i64,
) -> Result<u64, QueueError> {
    let sql = format!(
        "UPDATE jobs SET status = 'ready', run_at_ms = $5, due_since_ms = NULL, updated_at_ms = $5, \
           history = (history::jsonb || jsonb_build_array(jsonb_build_object( \
             'replayed_at_ms', $5::bigint, 'attempts', attempts, 'error', last_error)))::text, \
           attempts = 0, last_error = NULL \
         WHERE {DEAD_WHERE} AND ($4::bigint IS NULL OR id = $4)"
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(filter.portal_id.map(|p| p.to_string()))
        .bind(filter.kind.as_deref())
        .bind(filter.since_ms)
        .bind(id)
        .bind(now_ms)
        .execute(pool)
        .await?
        .rows_affected())
}
