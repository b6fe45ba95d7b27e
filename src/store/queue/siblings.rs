//! Coalescing a contact's burst of events into one run: while a worker holds the lease on the
//! oldest open job of a key, no other worker can claim that key's later jobs (per-key order),
//! so it may read them and finish them with the head once the contact's current state has been
//! acted on.

use super::{Queue, QueueError};
use crate::store::dispatch::id_list;

/// A ready job behind a leased head of the same key.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Sibling {
    pub id: i64,
    pub payload: String,
    pub occurred_at_ms: i64,
}

impl Queue<'_> {
    /// Ready, due jobs of `key` in `lane`, oldest event first.
    pub async fn ready_siblings(
        self,
        lane: &str,
        key: &str,
        now_ms: i64,
        limit: i64,
    ) -> Result<Vec<Sibling>, QueueError> {
        const SQL: &str = "SELECT id, payload, occurred_at_ms FROM jobs WHERE job_key = $1 AND queue = $2 \
             AND status = 'ready' AND run_at_ms <= $3 ORDER BY occurred_at_ms, id LIMIT $4";
        Ok(on_reader!(self.db, |pool| sqlx::query_as(SQL)
            .bind(key)
            .bind(lane)
            .bind(now_ms)
            .bind(limit)
            .fetch_all(pool)
            .await?))
    }

    /// Marks coalesced siblings done (they were acted on with their head). Only `ready` ones
    /// change, so a sibling someone replayed or cancelled meanwhile is left alone.
    pub async fn finish_siblings(self, ids: &[i64], now_ms: i64) -> Result<u64, QueueError> {
        if ids.is_empty() {
            return Ok(0);
        }
        // Ids are integers, so the list cannot inject anything.
        let sql = format!(
            "UPDATE jobs SET status = 'done', updated_at_ms = $1 WHERE status = 'ready' AND id IN ({})",
            id_list(ids)
        );
        Ok(on_writer!(self.db, |pool| sqlx::query(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(now_ms)
        .execute(pool)
        .await?
        .rows_affected()))
    }
}
