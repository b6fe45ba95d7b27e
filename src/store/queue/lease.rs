//! Claims and leases: how the worker takes due jobs, keeps them while it runs them, and how a
//! crashed worker's jobs come back. On PostgreSQL a claim locks its candidate rows with
//! `FOR UPDATE SKIP LOCKED`, so concurrent claimers (several replicas) pass each other by instead
//! of queueing on the same head-of-key rows; on SQLite the claim runs in `BEGIN IMMEDIATE` on the
//! single writer. Only a key's oldest open job is a candidate, and a leased job blocks its key,
//! so no key ever runs two jobs at once.

use super::{ClaimedJob, Queue, QueueError};
use crate::store::Dialect;

/// The due jobs of lane `$4` that head their key (its oldest open job, none of the key leased),
/// at most `$5`, earliest first; `$3` is now.
macro_rules! candidates {
    () => {
        "SELECT j.id FROM jobs AS j \
         WHERE j.queue = $4 AND j.status = 'ready' AND j.run_at_ms <= $3 \
           AND NOT EXISTS ( \
             SELECT 1 FROM jobs AS o \
             WHERE o.job_key = j.job_key AND o.status IN ('ready', 'leased') \
               AND (o.status = 'leased' OR o.occurred_at_ms < j.occurred_at_ms \
                    OR (o.occurred_at_ms = j.occurred_at_ms AND o.id < j.id))) \
         ORDER BY j.run_at_ms, j.id LIMIT $5"
    };
}

/// Leases rows of `jobs` to `$1` until `$2`, at `$3`; the rows follow.
macro_rules! lease {
    () => {
        "UPDATE jobs SET status = 'leased', lease_owner = $1, lease_until_ms = $2, \
           attempts = jobs.attempts + 1, updated_at_ms = $3 "
    };
}

/// What a claim hands out ([`ClaimedJob`]).
macro_rules! leased {
    () => {
        " RETURNING jobs.id, jobs.queue, jobs.job_key, jobs.kind, jobs.payload, jobs.attempts, \
           jobs.max_attempts, jobs.occurred_at_ms, jobs.lease_until_ms"
    };
}

/// The claim on SQLite, which has one writer: no row can be taken from under it.
const CLAIM_SQLITE: &str = concat!(lease!(), "WHERE id IN (", candidates!(), ")", leased!());

/// The claim on PostgreSQL, skipping the rows another replica is claiming right now.
const CLAIM_POSTGRES: &str = concat!(
    "WITH candidates AS (",
    candidates!(),
    " FOR UPDATE SKIP LOCKED) ",
    lease!(),
    "FROM candidates WHERE jobs.id = candidates.id AND jobs.status = 'ready'",
    leased!()
);

/// A lease `$2` still holds on job `$1` at `$3`.
pub(super) const HELD: &str =
    "WHERE id = $1 AND status = 'leased' AND lease_owner = $2 AND lease_until_ms >= $3";

/// The answer to a statement on job `id` filtered by [`HELD`]: it changed the job, or the lease
/// was lost.
pub(in crate::store) fn held(id: i64, affected: u64) -> Result<(), QueueError> {
    if affected == 1 {
        Ok(())
    } else {
        Err(QueueError::LeaseLost(id))
    }
}

impl Queue<'_> {
    /// Leases up to `limit` due jobs of `lane` to `owner` for `lease_ms`; each is the oldest
    /// open job of its key, and no key has two jobs leased at once.
    pub async fn claim(
        self,
        lane: &str,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedJob>, QueueError> {
        let sql = match self.db.dialect() {
            Dialect::Sqlite => CLAIM_SQLITE,
            Dialect::Postgres => CLAIM_POSTGRES,
        };
        let mut jobs: Vec<ClaimedJob> = write_locked!(self.db, |conn| {
            sqlx::query_as(sql)
                .bind(owner)
                .bind(now_ms + lease_ms)
                .bind(now_ms)
                .bind(lane)
                .bind(limit)
                .fetch_all(conn)
                .await?
        });
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    /// Extends a lease the owner still holds.
    pub async fn extend_lease(
        self,
        id: i64,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<(), QueueError> {
        let sql = format!("UPDATE jobs SET lease_until_ms = $4, updated_at_ms = $3 {HELD}");
        let affected = on_writer!(self.db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(owner)
                .bind(now_ms)
                .bind(until_ms)
                .execute(pool)
                .await?
                .rows_affected()
        });
        held(id, affected)
    }

    /// Returns expired leases to `ready`, or to the dead letters once their attempts are spent:
    /// `(ready, dead)`. Each statement stands alone: the second only takes jobs with attempts
    /// left, so no transaction is needed between them.
    pub async fn release_expired(self, now_ms: i64) -> Result<(u64, u64), QueueError> {
        const DEAD: &str = "UPDATE jobs SET status = 'dead', lease_owner = NULL, lease_until_ms = NULL, \
             updated_at_ms = $1, last_error = 'lease expired on its last attempt (worker crashed or hung)' \
             WHERE status = 'leased' AND lease_until_ms < $1 AND attempts >= max_attempts";
        const READY: &str = "UPDATE jobs SET status = 'ready', lease_owner = NULL, lease_until_ms = NULL, \
             updated_at_ms = $1 WHERE status = 'leased' AND lease_until_ms < $1 AND attempts < max_attempts";
        on_writer!(self.db, |pool| {
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
}
