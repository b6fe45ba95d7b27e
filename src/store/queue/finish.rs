//! How a run ends in the queue: the worker records each job's [`Outcome`] (done, retry, dead,
//! deferred), or a whole batch's success in one commit. A finish is refused unless the worker
//! still holds the job's lease, so a job whose lease expired and was claimed again is never
//! finished twice.

use sqlx::Database;

use super::lease::{HELD, held};
use super::{Outcome, Queue, QueueError};
use crate::store::Dialect;
use crate::store::dispatch::{Ids, Param, Statement};

/// The statement that records `outcome` for job `id` if `owner` still holds its lease at
/// `now_ms`. Written once for [`Queue::finish`] and for probes, which finish in a transaction
/// with their own row. A retry past `max_attempts` becomes a dead letter saying so.
pub(in crate::store) fn finish_query<DB: Database>(
    id: i64,
    owner: &str,
    outcome: &Outcome,
    now_ms: i64,
) -> Statement<DB>
where
    i64: Param<DB>,
    Option<i64>: Param<DB>,
    Option<String>: Param<DB>,
    for<'a> &'a str: Param<DB>,
{
    let (set, at_ms, text) = assignments(outcome);
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
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(owner)
        .bind(now_ms)
        .bind(at_ms)
        .bind(text.map(str::to_owned))
}

/// What `outcome` sets (`$4` a time, `$5` a text), with the values of `$4` and `$5`.
fn assignments(outcome: &Outcome) -> (&'static str, Option<i64>, Option<&str>) {
    match outcome {
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
    }
}

impl Queue<'_> {
    /// Records a run's outcome; [`QueueError::LeaseLost`] unless `owner` still holds an
    /// unexpired lease. A retry past `max_attempts` becomes a dead letter saying so.
    pub async fn finish(
        self,
        id: i64,
        owner: &str,
        outcome: &Outcome,
        now_ms: i64,
    ) -> Result<(), QueueError> {
        let affected = on_writer!(self.db, |pool| {
            finish_query(id, owner, outcome, now_ms)
                .execute(pool)
                .await?
                .rows_affected()
        });
        held(id, affected)
    }

    /// Marks many jobs done in one statement (one commit for a claimed batch whose runs all
    /// succeeded). Returns the ids actually finished; an id missing from the answer had lost its
    /// lease, as [`Queue::finish`] would have said.
    pub async fn finish_done_many(
        self,
        owner: &str,
        ids: &[i64],
        now_ms: i64,
    ) -> Result<Vec<i64>, QueueError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // The list is one parameter: a JSON array on SQLite, an array on PostgreSQL.
        let member = match self.db.dialect() {
            Dialect::Sqlite => "id IN (SELECT value FROM json_each($3))",
            Dialect::Postgres => "id = ANY($3)",
        };
        let sql = format!(
            "UPDATE jobs SET status = 'done', lease_owner = NULL, lease_until_ms = NULL, \
             updated_at_ms = $2 WHERE status = 'leased' AND lease_owner = $1 \
             AND lease_until_ms >= $2 AND {member} RETURNING id"
        );
        let mut done: Vec<i64> = on_writer!(self.db, |pool| {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(owner)
                .bind(now_ms)
                .bind(Ids(ids))
                .fetch_all(pool)
                .await?
        });
        done.sort_unstable();
        Ok(done)
    }
}
