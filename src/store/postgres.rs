//! PostgreSQL backend, for several replicas on one database. Each delivery is its own
//! transaction (PostgreSQL groups concurrent WAL flushes itself); rows go in as arrays through
//! `UNNEST`, and a `NOTIFY` at commit wakes idle workers.

use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::StoreSettings;
use super::dispatch::{Param, Statement};
use super::inbox::{INSERT_INBOX, INSERT_JOBS};
use super::{EnqueueReceipt, NewDelivery, StoreError};

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The channel `NOTIFY` uses when jobs become ready; the payload is the lane.
pub const NOTIFY_CHANNEL: &str = "handoff_jobs";

/// Wakes idle workers on every replica once the transaction commits: `NOTIFY` on
/// [`NOTIFY_CHANNEL`] with the lane. PostgreSQL only; generic so that statements written once
/// for both engines can hold it behind a check of the dialect.
pub(super) fn notify<DB: sqlx::Database>(lane: &str) -> Statement<DB>
where
    for<'a> &'a str: Param<DB>,
{
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(NOTIFY_CHANNEL)
        .bind(lane)
}

#[derive(Debug)]
pub(crate) struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    pub(super) async fn connect(settings: &StoreSettings) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(&settings.url)
            .map_err(|_| StoreError::Config("not a valid postgres:// URL".into()))?
            .application_name("handoff")
            // A statement that hangs must not hold a pool slot forever (docs/architecture.md
            // "Store: sqlx on SQLite and PostgreSQL").
            .options([("statement_timeout", "30s")]);
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections.max(2) * 2)
            .acquire_timeout(Duration::from_millis(settings.busy_timeout_ms.max(1000)))
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    pub(super) fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub(super) async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATIONS.run(&self.pool).await?;
        Ok(())
    }

    /// Commits a delivery in its own transaction (see `Inbox::enqueue`).
    pub(super) async fn enqueue_delivery(
        &self,
        delivery: NewDelivery,
    ) -> Result<EnqueueReceipt, sqlx::Error> {
        let at = delivery.received_at_ms;
        let mut tx = self.pool.begin().await?;
        let mut fresh = insert_inbox(&mut tx, &delivery).await?;
        let mut receipt = EnqueueReceipt::default();
        let mut jobs = JobColumns::default();
        for entry in &delivery.entries {
            if fresh.remove(&entry.dedup_key[..]) {
                receipt.enqueued += 1;
                jobs.push(entry);
            } else {
                receipt.duplicates += 1;
            }
        }
        if receipt.enqueued > 0 {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{INSERT_JOBS} SELECT q, k, kd, p, o, $6, $6, $6 \
                 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) \
                 AS t(q, k, kd, p, o)"
            )))
            .bind(&jobs.queue)
            .bind(&jobs.key)
            .bind(&jobs.kind)
            .bind(&jobs.payload)
            .bind(&jobs.occurred)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            let mut lanes = jobs.queue.clone();
            lanes.dedup();
            for lane in lanes {
                notify(&lane).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(receipt)
    }

    pub(super) async fn close(&self) {
        self.pool.close().await;
    }
}

/// Adds the delivery's events to the inbox; returns the dedup keys that were new. A concurrent
/// delivery of the same event waits on the unique key, then does nothing.
async fn insert_inbox(
    tx: &mut sqlx::PgConnection,
    delivery: &NewDelivery,
) -> Result<HashSet<Vec<u8>>, sqlx::Error> {
    let entries = &delivery.entries;
    let occurred: Vec<i64> = entries.iter().map(|e| e.job.occurred_at_ms).collect();
    let keys: Vec<Vec<u8>> = entries.iter().map(|e| e.dedup_key.to_vec()).collect();
    let portals: Vec<i64> = entries.iter().map(|e| e.portal_id.get()).collect();
    let inserted: Vec<Vec<u8>> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "{INSERT_INBOX} \
         SELECT o, k, p, $4 FROM UNNEST($1::bigint[], $2::bytea[], $3::bigint[]) AS t(o, k, p) \
         ON CONFLICT DO NOTHING RETURNING dedup_key"
    )))
    .bind(&occurred)
    .bind(&keys)
    .bind(&portals)
    .bind(delivery.received_at_ms)
    .fetch_all(tx)
    .await?;
    Ok(inserted.into_iter().collect())
}

#[derive(Default)]
struct JobColumns {
    queue: Vec<String>,
    key: Vec<String>,
    kind: Vec<String>,
    payload: Vec<String>,
    occurred: Vec<i64>,
}

impl JobColumns {
    fn push(&mut self, entry: &super::InboxEntry) {
        let job = &entry.job;
        self.queue.push(job.lane.to_owned());
        self.key.push(job.key.clone());
        self.kind.push(job.kind.to_owned());
        self.payload.push(job.payload.get().to_owned());
        self.occurred.push(job.occurred_at_ms);
    }
}
