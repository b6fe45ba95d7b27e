//! The job queue on PostgreSQL: the same contract as `sqlite_queue`, for several replicas.
//! Claims lock candidate rows with `FOR UPDATE SKIP LOCKED`, so concurrent claimers pass each
//! other by instead of queueing on the same head-of-key rows; only a key's oldest open job is a
//! candidate, and a leased job blocks its key, so no key ever runs two jobs at once.

use sqlx::PgPool;

use super::NewJob;
use super::postgres::NOTIFY_CHANNEL;
use super::queue::{ClaimedJob, DeadFilter, DeadJob, OnExisting, Outcome, QueueError, Scheduled};

pub(super) async fn release_expired(pool: &PgPool, now_ms: i64) -> Result<(u64, u64), QueueError> {
    let mut tx = pool.begin().await?;
    let dead = sqlx::query(
        "UPDATE jobs SET status = 'dead', lease_owner = NULL, lease_until_ms = NULL, updated_at_ms = $1, \
         last_error = 'lease expired on its last attempt (worker crashed or hung)' \
         WHERE status = 'leased' AND lease_until_ms < $1 AND attempts >= max_attempts",
    )
    .bind(now_ms)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let ready = sqlx::query(
        "UPDATE jobs SET status = 'ready', lease_owner = NULL, lease_until_ms = NULL, updated_at_ms = $1 \
         WHERE status = 'leased' AND lease_until_ms < $1",
    )
    .bind(now_ms)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok((ready, dead))
}

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

pub(super) async fn extend_lease(
    pool: &PgPool,
    id: i64,
    owner: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<(), QueueError> {
    let affected = sqlx::query(
        "UPDATE jobs SET lease_until_ms = $1, updated_at_ms = $2 \
         WHERE id = $3 AND status = 'leased' AND lease_owner = $4 AND lease_until_ms >= $2",
    )
    .bind(until_ms)
    .bind(now_ms)
    .bind(id)
    .bind(owner)
    .execute(pool)
    .await?
    .rows_affected();
    if affected == 1 {
        Ok(())
    } else {
        Err(QueueError::LeaseLost(id))
    }
}

pub(super) async fn finish(
    pool: &PgPool,
    id: i64,
    owner: &str,
    outcome: &Outcome,
    now_ms: i64,
) -> Result<(), QueueError> {
    const HELD: &str =
        "WHERE id = $1 AND status = 'leased' AND lease_owner = $2 AND lease_until_ms >= $3";
    let (set, at_ms, text) = match outcome {
        Outcome::Done => (
            "status = 'done', run_at_ms = COALESCE($4, run_at_ms), last_error = COALESCE($5, last_error)",
            None,
            None,
        ),
        Outcome::Retry { at_ms, error } => (
            "status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'ready' END, \
             run_at_ms = COALESCE($4, run_at_ms), \
             last_error = CASE WHEN attempts >= max_attempts \
                          THEN 'gave up after ' || attempts || ' attempts: ' || $5 ELSE $5 END",
            Some(*at_ms),
            Some(error.as_str()),
        ),
        Outcome::Dead { reason } => (
            "status = 'dead', run_at_ms = COALESCE($4, run_at_ms), last_error = $5",
            None,
            Some(reason.as_str()),
        ),
    };
    let sql = format!(
        "UPDATE jobs SET {set}, lease_owner = NULL, lease_until_ms = NULL, updated_at_ms = $3 {HELD}"
    );
    let affected = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(owner)
        .bind(now_ms)
        .bind(at_ms)
        .bind(text)
        .execute(pool)
        .await?
        .rows_affected();
    if affected == 1 {
        Ok(())
    } else {
        Err(QueueError::LeaseLost(id))
    }
}

pub(super) async fn schedule(
    pool: &PgPool,
    job: &Scheduled,
    on_existing: OnExisting,
    now_ms: i64,
) -> Result<i64, QueueError> {
    let mut tx = pool.begin().await?;
    if on_existing == OnExisting::Replace {
        cancel_in(&mut tx, job.job.queue, &job.job.key).await?;
    }
    let id = insert(&mut tx, &job.job, job.run_at_ms, job.max_attempts, now_ms).await?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(NOTIFY_CHANNEL)
        .bind(job.job.queue)
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
    .bind(job.queue)
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

pub(super) async fn cancel(pool: &PgPool, queue: &str, key: &str) -> Result<u64, QueueError> {
    let mut conn = pool.acquire().await?;
    cancel_in(&mut conn, queue, key).await
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

pub(super) async fn prune(
    pool: &PgPool,
    done_before_ms: i64,
    inbox_before_ms: i64,
) -> Result<(u64, u64), QueueError> {
    let mut tx = pool.begin().await?;
    let jobs = sqlx::query("DELETE FROM jobs WHERE status = 'done' AND updated_at_ms < $1")
        .bind(done_before_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let inbox = sqlx::query("DELETE FROM inbox WHERE received_at_ms < $1")
        .bind(inbox_before_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok((jobs, inbox))
}

const DEAD_WHERE: &str = "status = 'dead' \
    AND ($1::text IS NULL OR job_key LIKE $1 || ':%') \
    AND ($2::text IS NULL OR kind = $2) \
    AND ($3::bigint IS NULL OR updated_at_ms >= $3)";

pub(super) async fn dead_jobs(
    pool: &PgPool,
    filter: &DeadFilter,
) -> Result<Vec<DeadJob>, QueueError> {
    let sql = format!(
        "SELECT id, queue, job_key, kind, attempts, last_error, history, payload, updated_at_ms \
         FROM jobs WHERE {DEAD_WHERE} ORDER BY id LIMIT $4"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(filter.portal_id.map(|p| p.to_string()))
        .bind(filter.kind.as_deref())
        .bind(filter.since_ms)
        .bind(filter.limit)
        .fetch_all(pool)
        .await?)
}

pub(super) async fn replay(
    pool: &PgPool,
    filter: &DeadFilter,
    id: Option<i64>,
    now_ms: i64,
) -> Result<u64, QueueError> {
    let sql = format!(
        "UPDATE jobs SET status = 'ready', run_at_ms = $5, updated_at_ms = $5, \
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

pub(super) async fn purge(
    pool: &PgPool,
    filter: &DeadFilter,
    id: Option<i64>,
) -> Result<u64, QueueError> {
    let sql = format!("DELETE FROM jobs WHERE {DEAD_WHERE} AND ($4::bigint IS NULL OR id = $4)");
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(filter.portal_id.map(|p| p.to_string()))
        .bind(filter.kind.as_deref())
        .bind(filter.since_ms)
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected())
}
