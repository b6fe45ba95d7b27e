//! The job queue on SQLite. Every write is one short `BEGIN IMMEDIATE` transaction on the single
//! writer connection (shared with the group committer), so receiver and workers never meet a
//! SQLITE_BUSY; claims and completions are each one statement.

use sqlx::{Connection, SqlitePool};

use super::NewJob;
use super::queue::{ClaimedJob, DeadFilter, OnExisting, QueueError, Scheduled};

/// Leases up to `limit` due jobs of a lane, each the oldest open job of its key, to `owner`.
pub(super) async fn claim(
    pool: &SqlitePool,
    queue: &str,
    owner: &str,
    now_ms: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<ClaimedJob>, QueueError> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let jobs = sqlx::query_as(
        "UPDATE jobs SET status = 'leased', lease_owner = ?1, lease_until_ms = ?2, \
                attempts = attempts + 1, updated_at_ms = ?3 \
         WHERE id IN ( \
           SELECT j.id FROM jobs AS j \
           WHERE j.queue = ?4 AND j.status = 'ready' AND j.run_at_ms <= ?3 \
             AND NOT EXISTS ( \
               SELECT 1 FROM jobs AS o \
               WHERE o.job_key = j.job_key AND o.status IN ('ready', 'leased') \
                 AND (o.status = 'leased' OR o.occurred_at_ms < j.occurred_at_ms \
                      OR (o.occurred_at_ms = j.occurred_at_ms AND o.id < j.id))) \
           ORDER BY j.run_at_ms, j.id LIMIT ?5) \
         RETURNING id, queue, job_key, kind, payload, attempts, max_attempts, occurred_at_ms, lease_until_ms",
    )
    .bind(owner)
    .bind(now_ms + lease_ms)
    .bind(now_ms)
    .bind(queue)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut jobs: Vec<ClaimedJob> = jobs;
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

/// Adds a job to run at `run_at_ms`; with [`OnExisting::Replace`], pending jobs of the same
/// lane and key are removed first, in the same transaction. Returns the new job's id.
pub(super) async fn schedule(
    pool: &SqlitePool,
    job: &Scheduled,
    on_existing: OnExisting,
    now_ms: i64,
) -> Result<i64, QueueError> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    if on_existing == OnExisting::Replace {
        cancel_in(&mut tx, job.job.lane, &job.job.key).await?;
    }
    let id = insert(&mut tx, &job.job, job.run_at_ms, job.max_attempts, now_ms).await?;
    tx.commit().await?;
    Ok(id)
}

async fn insert(
    conn: &mut sqlx::SqliteConnection,
    job: &NewJob,
    run_at_ms: i64,
    max_attempts: i64,
    now_ms: i64,
) -> Result<i64, QueueError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO jobs (queue, job_key, kind, payload, occurred_at_ms, run_at_ms, max_attempts, \
                           created_at_ms, updated_at_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) RETURNING id",
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
    conn: &mut sqlx::SqliteConnection,
    queue: &str,
    key: &str,
) -> Result<u64, QueueError> {
    Ok(
        sqlx::query("DELETE FROM jobs WHERE queue = ?1 AND job_key = ?2 AND status = 'ready'")
            .bind(queue)
            .bind(key)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

const DEAD_WHERE: &str = "status = 'dead' \
    AND (?1 IS NULL OR job_key LIKE ?1 || ':%') \
    AND (?2 IS NULL OR kind = ?2) \
    AND (?3 IS NULL OR updated_at_ms >= ?3)";

/// Puts matching dead jobs back to `ready` now, with fresh attempts; what they went through is
/// appended to their `history`. Returns how many.
pub(super) async fn replay(
    pool: &SqlitePool,
    filter: &DeadFilter,
    id: Option<i64>,
    now_ms: i64,
) -> Result<u64, QueueError> {
    let sql = format!(
        "UPDATE jobs SET status = 'ready', run_at_ms = ?5, due_since_ms = NULL, updated_at_ms = ?5, \
           history = json_insert(history, '$[#]', \
             json_object('replayed_at_ms', ?5, 'attempts', attempts, 'error', last_error)), \
           attempts = 0, last_error = NULL \
         WHERE {DEAD_WHERE} AND (?4 IS NULL OR id = ?4)"
    );
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let n = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(filter.portal_id.map(|p| p.to_string()))
        .bind(filter.kind.as_deref())
        .bind(filter.since_ms)
        .bind(id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(n)
}
