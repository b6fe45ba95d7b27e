//! Dead letters: jobs that failed for good (a permanent error, or every attempt spent) stay in
//! the queue for inspection until an operator replays or purges them (`handoff dlq`, the admin
//! endpoints, `doctor`). A replay keeps what the job went through in its `history`.

use serde::Serialize;
use sqlx::Database;

use super::QueueError;
use crate::store::Dialect;
use crate::store::dispatch::{Db, Param, Statement};

/// Selects dead jobs for `dlq list|replay|purge`.
#[derive(Debug, Clone, Default)]
pub struct DeadFilter {
    pub portal_id: Option<i64>,
    pub kind: Option<String>,
    pub since_ms: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DeadJob {
    pub id: i64,
    /// Column `queue` holds the lane; `dlq` output keeps calling it `queue`.
    #[sqlx(rename = "queue")]
    #[serde(rename = "queue")]
    pub lane: String,
    #[sqlx(rename = "job_key")]
    pub key: String,
    pub kind: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub history: String,
    pub payload: String,
    pub updated_at_ms: i64,
}

/// The dead letters part of a [`crate::store::Store`].
#[derive(Debug, Clone, Copy)]
pub struct DeadLetters<'s> {
    pub(in crate::store) db: &'s Db,
}

/// Dead jobs matching a [`DeadFilter`] (`$1` portal, `$2` kind, `$3` since). `CAST` types a
/// NULL parameter on both engines.
const DEAD_WHERE: &str = "status = 'dead' \
    AND (CAST($1 AS TEXT) IS NULL OR job_key LIKE $1 || ':%') \
    AND (CAST($2 AS TEXT) IS NULL OR kind = $2) \
    AND (CAST($3 AS BIGINT) IS NULL OR updated_at_ms >= $3)";

/// `sql`, which selects with [`DEAD_WHERE`], with the filter bound and `$4` (a limit, or one
/// job's id) after it.
fn matching<DB: Database>(sql: String, filter: &DeadFilter, fourth: Option<i64>) -> Statement<DB>
where
    Option<i64>: Param<DB>,
    Option<String>: Param<DB>,
{
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(filter.portal_id.map(|p| p.to_string()))
        .bind(filter.kind.clone())
        .bind(filter.since_ms)
        .bind(fourth)
}

impl DeadLetters<'_> {
    /// The dead jobs the filter matches, oldest first, at most `filter.limit`.
    pub async fn list(self, filter: &DeadFilter) -> Result<Vec<DeadJob>, QueueError> {
        let sql = format!(
            "SELECT id, queue, job_key, kind, attempts, last_error, history, payload, updated_at_ms \
             FROM jobs WHERE {DEAD_WHERE} ORDER BY id LIMIT CAST($4 AS BIGINT)"
        );
        // LIMIT -1 means "no limit" on SQLite; PostgreSQL reads LIMIT NULL the same way.
        let limit = match self.db.dialect() {
            Dialect::Sqlite => Some(filter.limit.unwrap_or(-1)),
            Dialect::Postgres => filter.limit,
        };
        on_writer!(self.db, |pool| {
            let rows = matching(sql, filter, limit).fetch_all(pool).await?;
            Ok(rows
                .iter()
                .map(sqlx::FromRow::from_row)
                .collect::<Result<_, _>>()?)
        })
    }

    /// Puts dead jobs back to ready now (one by `id`, or all the filter matches), with fresh
    /// attempts; what they went through is appended to their `history`. Returns how many.
    pub async fn replay(
        self,
        filter: &DeadFilter,
        id: Option<i64>,
        now_ms: i64,
    ) -> Result<u64, QueueError> {
        let history = match self.db.dialect() {
            Dialect::Sqlite => {
                "json_insert(history, '$[#]', \
                   json_object('replayed_at_ms', $5, 'attempts', attempts, 'error', last_error))"
            }
            Dialect::Postgres => {
                "(history::jsonb || jsonb_build_array(jsonb_build_object( \
                   'replayed_at_ms', $5::bigint, 'attempts', attempts, 'error', last_error)))::text"
            }
        };
        let sql = format!(
            "UPDATE jobs SET status = 'ready', run_at_ms = $5, due_since_ms = NULL, \
               updated_at_ms = $5, history = {history}, attempts = 0, last_error = NULL \
             WHERE {DEAD_WHERE} AND (CAST($4 AS BIGINT) IS NULL OR id = $4)"
        );
        Ok(write_locked!(self.db, |conn| matching(sql, filter, id)
            .bind(now_ms)
            .execute(conn)
            .await?
            .rows_affected()))
    }

    /// Deletes dead jobs for good: one by `id`, or every one the filter matches.
    pub async fn purge(self, filter: &DeadFilter, id: Option<i64>) -> Result<u64, QueueError> {
        let sql = format!(
            "DELETE FROM jobs WHERE {DEAD_WHERE} AND (CAST($4 AS BIGINT) IS NULL OR id = $4)"
        );
        Ok(on_writer!(self.db, |pool| matching(sql, filter, id)
            .execute(pool)
            .await?
            .rows_affected()))
    }
}
