//! The queue operations whose SQL is the same on both engines, written once. sqlx maps `$N`
//! placeholders by number on SQLite as on PostgreSQL, and `CAST(... AS ...)` types a NULL
//! parameter for both. Writes on SQLite go through the single writer connection. Only `claim`
//! (`SKIP LOCKED`), `schedule` (its transaction and `NOTIFY`) and `replay` (JSON functions)
//! differ per engine.

use super::queue::{DeadFilter, DeadJob, Outcome, QueueError};
use super::{Backend, PAUSED_ERROR, QueueDepth, Store, StoreError};

const HELD: &str =
    "WHERE id = $1 AND status = 'leased' AND lease_owner = $2 AND lease_until_ms >= $3";

/// Dead jobs matching a [`DeadFilter`] (`$1` portal, `$2` kind, `$3` since).
const DEAD_WHERE: &str = "status = 'dead' \
    AND (CAST($1 AS TEXT) IS NULL OR job_key LIKE $1 || ':%') \
    AND (CAST($2 AS TEXT) IS NULL OR kind = $2) \
    AND (CAST($3 AS BIGINT) IS NULL OR updated_at_ms >= $3)";

/// Jobs per lane and state at `$1` (see [`QueueDepth`]); `$2` is [`PAUSED_ERROR`]. A waiting
/// job's age runs from `due_since_ms` (when it first became due), else from its `run_at_ms`.
const DEPTH: &str = "SELECT queue, \
      CASE WHEN status <> 'ready' THEN status \
           WHEN run_at_ms <= $1 THEN 'due' \
           WHEN last_error = $2 THEN 'paused' \
           WHEN due_since_ms IS NOT NULL THEN 'held' \
           ELSE 'scheduled' END AS status, \
      COUNT(*) AS jobs, MIN(COALESCE(due_since_ms, run_at_ms)) AS oldest_due_ms, \
      MIN(run_at_ms) AS next_run_at_ms \
    FROM jobs WHERE status IN ('ready', 'leased', 'dead') GROUP BY 1, 2 ORDER BY 1, 2";

impl Store {
    /// Jobs per lane and state at `now_ms`: ready jobs are told apart by whether they can run
    /// now (`due`), were due and wait to run again (`held`, `paused`) or are not due yet
    /// (`scheduled`).
    pub async fn queue_depth(&self, now_ms: i64) -> Result<Vec<QueueDepth>, StoreError> {
        let rows: Vec<QueueDepth> = on_reader!(self, |pool| sqlx::query_as(DEPTH)
            .bind(now_ms)
            .bind(PAUSED_ERROR)
            .fetch_all(pool)
            .await?);
        Ok(rows
            .into_iter()
            .map(|row| QueueDepth {
                // Not due yet: no age.
                oldest_due_ms: row.oldest_due_ms.filter(|_| row.status != "scheduled"),
                ..row
            })
            .collect())
    }

    /// Returns expired leases to `ready`, or to the dead letters once their attempts are spent:
    /// `(ready, dead)`. Each statement stands alone: the second only takes jobs with attempts
    /// left, so no transaction is needed between them.
    pub async fn release_expired(&self, now_ms: i64) -> Result<(u64, u64), QueueError> {
        const DEAD: &str = "UPDATE jobs SET status = 'dead', lease_owner = NULL, lease_until_ms = NULL, \
             updated_at_ms = $1, last_error = 'lease expired on its last attempt (worker crashed or hung)' \
             WHERE status = 'leased' AND lease_until_ms < $1 AND attempts >= max_attempts";
        const READY: &str = "UPDATE jobs SET status = 'ready', lease_owner = NULL, lease_until_ms = NULL, \
             updated_at_ms = $1 WHERE status = 'leased' AND lease_until_ms < $1 AND attempts < max_attempts";
        on_writer!(self, |pool| {
            let dead = sqlx::query(DEAD)
                .bind(now_ms)
                .execute(pool)
                .await?
                .rows_affected();
            let ready = sqlx::query(READY)
                .bind(now_ms)
                .execute(pool)
                .await?
                .rows_affected();
            Ok((ready, dead))
        })
    }

    /// Extends a lease the owner still holds.
    pub async fn extend_lease(
        &self,
        id: i64,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<(), QueueError> {
        const SQL: &str = "UPDATE jobs SET lease_until_ms = $4, updated_at_ms = $3 \
             WHERE id = $1 AND status = 'leased' AND lease_owner = $2 AND lease_until_ms >= $3";
        let affected = on_writer!(self, |pool| {
            sqlx::query(SQL)
                .bind(id)
                .bind(owner)
                .bind(now_ms)
                .bind(until_ms)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if affected == 1 {
            Ok(())
        } else {
            Err(QueueError::LeaseLost(id))
        }
    }

    /// Records a run's outcome; [`QueueError::LeaseLost`] unless `owner` still holds an
    /// unexpired lease. A retry past `max_attempts` becomes a dead letter saying so.
    pub async fn finish(
        &self,
        id: i64,
        owner: &str,
        outcome: &Outcome,
        now_ms: i64,
    ) -> Result<(), QueueError> {
        let (set, at_ms, text) = match outcome {
            Outcome::Done => ("status = 'done'", None, None),
            Outcome::Retry { at_ms, error } => (
                "status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'ready' END, \
                 due_since_ms = COALESCE(due_since_ms, run_at_ms), \
                 run_at_ms = COALESCE(CAST($4 AS BIGINT), run_at_ms), \
                 last_error = CASE WHEN attempts >= max_attempts \
                              THEN 'gave up after ' || attempts || ' attempts: ' || $5 ELSE $5 END",
                Some(*at_ms),
                Some(error.as_str()),
            ),
            Outcome::Dead { reason } => (
                "status = 'dead', last_error = $5",
                None,
                Some(reason.as_str()),
            ),
            // The claim counted an attempt; a job that was not run gives it back.
            // Put back, a job keeps the time it first became due (its age goes on growing).
            Outcome::Defer { at_ms, reason } => (
                "status = 'ready', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, \
                 due_since_ms = COALESCE(due_since_ms, run_at_ms), \
                 run_at_ms = CAST($4 AS BIGINT), last_error = $5",
                Some(*at_ms),
                Some(reason.as_str()),
            ),
        };
        // Every variant binds $4 and $5; the ones that do not use them compare them to NULL.
        let unused = if at_ms.is_none() && text.is_none() {
            "AND CAST($4 AS BIGINT) IS NULL AND CAST($5 AS TEXT) IS NULL"
        } else if at_ms.is_none() {
            "AND CAST($4 AS BIGINT) IS NULL"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE jobs SET {set}, lease_owner = NULL, lease_until_ms = NULL, updated_at_ms = $3 {HELD} {unused}"
        );
        let affected = on_writer!(self, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(id)
                .bind(owner)
                .bind(now_ms)
                .bind(at_ms)
                .bind(text)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if affected == 1 {
            Ok(())
        } else {
            Err(QueueError::LeaseLost(id))
        }
    }

    /// Marks many jobs done in one transaction (one commit for a claimed batch whose runs all
    /// succeeded). Returns the ids actually finished; an id missing from the answer had lost its
    /// lease, as [`Store::finish`] would have said.
    pub async fn finish_done_many(
        &self,
        owner: &str,
        ids: &[i64],
        now_ms: i64,
    ) -> Result<Vec<i64>, QueueError> {
        const SET: &str = "UPDATE jobs SET status = 'done', lease_owner = NULL, lease_until_ms = NULL, \
             updated_at_ms = $2 WHERE status = 'leased' AND lease_owner = $1 AND lease_until_ms >= $2";
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut done: Vec<i64> = match &*self.backend {
            Backend::Sqlite(s) => {
                let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
                let sql = format!("{SET} AND id IN (SELECT value FROM json_each($3)) RETURNING id");
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .bind(owner)
                    .bind(now_ms)
                    .bind(list)
                    .fetch_all(s.writer())
                    .await?
            }
            Backend::Postgres(s) => {
                let sql = format!("{SET} AND id = ANY($3) RETURNING id");
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .bind(owner)
                    .bind(now_ms)
                    .bind(ids)
                    .fetch_all(s.pool())
                    .await?
            }
        };
        done.sort_unstable();
        Ok(done)
    }

    /// Removes the pending (ready) jobs of a lane and key (e.g. `sla:portal:contact` once
    /// touched); a running job is left to finish.
    pub async fn cancel(&self, queue: &str, key: &str) -> Result<u64, QueueError> {
        const SQL: &str = "DELETE FROM jobs WHERE queue = $1 AND job_key = $2 AND status = 'ready'";
        Ok(on_writer!(self, |pool| sqlx::query(SQL)
            .bind(queue)
            .bind(key)
            .execute(pool)
            .await?
            .rows_affected()))
    }

    /// Retention: deletes done jobs finished before `done_before_ms` and inbox rows received
    /// before `inbox_before_ms`; `(jobs, inbox rows)`. Dead jobs stay until purged.
    pub async fn prune(
        &self,
        done_before_ms: i64,
        inbox_before_ms: i64,
    ) -> Result<(u64, u64), QueueError> {
        const JOBS: &str = "DELETE FROM jobs WHERE status = 'done' AND updated_at_ms < $1";
        const INBOX: &str = "DELETE FROM inbox WHERE received_at_ms < $1";
        on_writer!(self, |pool| {
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

    pub async fn dead_jobs(&self, filter: &DeadFilter) -> Result<Vec<DeadJob>, QueueError> {
        let sql = format!(
            "SELECT id, queue, job_key, kind, attempts, last_error, history, payload, updated_at_ms \
             FROM jobs WHERE {DEAD_WHERE} ORDER BY id LIMIT CAST($4 AS BIGINT)"
        );
        let portal = filter.portal_id.map(|p| p.to_string());
        // LIMIT -1 means "no limit" on SQLite; PostgreSQL reads LIMIT NULL the same way.
        let limit = match self.dialect() {
            super::Dialect::Sqlite => Some(filter.limit.unwrap_or(-1)),
            super::Dialect::Postgres => filter.limit,
        };
        Ok(on_writer!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(portal.as_deref())
                .bind(filter.kind.as_deref())
                .bind(filter.since_ms)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Deletes dead jobs for good: one by `id`, or every one the filter matches.
    pub async fn purge(&self, filter: &DeadFilter, id: Option<i64>) -> Result<u64, QueueError> {
        let sql = format!(
            "DELETE FROM jobs WHERE {DEAD_WHERE} AND (CAST($4 AS BIGINT) IS NULL OR id = $4)"
        );
        let portal = filter.portal_id.map(|p| p.to_string());
        Ok(on_writer!(self, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(portal.as_deref())
                .bind(filter.kind.as_deref())
                .bind(filter.since_ms)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}
