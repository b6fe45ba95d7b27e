//! Group commit: concurrent deliveries queue up while the previous transaction commits, then
//! share one transaction and one fsync. Each caller still gets its answer only after the commit
//! that holds its events, so "2xx means durable" holds for every delivery.

use std::collections::HashSet;

use sqlx::{Connection, SqlitePool};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{EnqueueReceipt, NewDelivery, StoreError};

struct Request {
    delivery: Prepared,
    reply: oneshot::Sender<Result<EnqueueReceipt, StoreError>>,
}

/// The single writer task and the channel that feeds it.
#[derive(Debug)]
pub(super) struct GroupWriter {
    tx: mpsc::Sender<Request>,
    close: tokio_util::sync::CancellationToken,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("events", &self.delivery.entries.len())
            .finish()
    }
}

impl GroupWriter {
    pub(super) fn start(pool: SqlitePool, max_group: usize) -> Self {
        let (tx, rx) = mpsc::channel(max_group.max(1) * 4);
        let close = tokio_util::sync::CancellationToken::new();
        let task = tokio::spawn(run(pool, rx, max_group.max(1), close.clone()));
        Self {
            tx,
            close,
            task: Mutex::new(Some(task)),
        }
    }

    pub(super) async fn submit(
        &self,
        delivery: &NewDelivery,
    ) -> Result<EnqueueReceipt, StoreError> {
        let delivery = Prepared::new(delivery);
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request { delivery, reply })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Stops taking new deliveries, commits those already queued, and waits for the writer.
    pub(super) async fn close(&self) {
        self.close.cancel();
        let task = self.task.lock().await.take();
        if let Some(Err(err)) = match task {
            Some(task) => Some(task.await),
            None => None,
        } {
            tracing::error!(error = %err, "store writer task ended abnormally");
        }
    }
}

async fn run(
    pool: SqlitePool,
    mut rx: mpsc::Receiver<Request>,
    max_group: usize,
    close: tokio_util::sync::CancellationToken,
) {
    let mut group = Vec::with_capacity(max_group);
    loop {
        let first = tokio::select! {
            biased;
            request = rx.recv() => request,
            () = close.cancelled() => {
                // Refuse new senders, then drain what is already queued before exiting.
                rx.close();
                rx.recv().await
            }
        };
        let Some(first) = first else { break };
        group.push(first);
        while group.len() < max_group {
            match rx.try_recv() {
                Ok(request) => group.push(request),
                Err(_) => break,
            }
        }
        commit_group(&pool, &mut group).await;
    }
}

/// Commits a group; if the shared transaction fails, each delivery is retried alone so one
/// bad delivery cannot fail its neighbours.
async fn commit_group(pool: &SqlitePool, group: &mut Vec<Request>) {
    let deliveries: Vec<&Prepared> = group.iter().map(|r| &r.delivery).collect();
    let started = std::time::Instant::now();
    match write(pool, &deliveries).await {
        Ok(receipts) => {
            tracing::debug!(
                deliveries = deliveries.len(),
                events = deliveries.iter().map(|d| d.len()).sum::<usize>(),
                commit_us = started.elapsed().as_micros() as u64,
                "group committed"
            );
            for (request, receipt) in group.drain(..).zip(receipts) {
                let _ = request.reply.send(Ok(receipt));
            }
        }
        Err(err) if group.len() == 1 => {
            tracing::warn!(error = %err, "store commit failed");
            if let Some(request) = group.pop() {
                let _ = request.reply.send(Err(StoreError::Unavailable(err)));
            }
        }
        Err(err) => {
            tracing::warn!(error = %err, deliveries = group.len(), "group commit failed; committing one by one");
            for request in group.drain(..) {
                let result = write(pool, &[&request.delivery]).await;
                let answer = result
                    .map(|mut r| r.pop().unwrap_or_default())
                    .map_err(StoreError::from);
                let _ = request.reply.send(answer);
            }
        }
    }
}

/// A delivery in the form the writer needs: each event's rows already rendered as JSON array
/// elements, so that work happens in the request's task (on any core), not in the one writer.
#[derive(Debug)]
pub(super) struct Prepared {
    entries: Vec<PreparedEntry>,
}

#[derive(Debug)]
struct PreparedEntry {
    dedup_key: [u8; 16],
    /// `[occurred_at_ms,"hex key"]`
    key_json: String,
    /// `[occurred_at_ms,"hex key",portal_id,received_at_ms]`
    inbox_json: String,
    /// `["queue","key","kind",{payload},occurred_at_ms,received_at_ms]`; the payload is
    /// embedded as JSON, not as an escaped string, and SQLite stores its text.
    job_json: String,
}

impl Prepared {
    pub(super) fn new(delivery: &NewDelivery) -> Self {
        let at = delivery.received_at_ms;
        let entries = delivery
            .entries
            .iter()
            .map(|e| {
                let job = &e.job;
                let key_json = format!("[{},\"{}\"]", job.occurred_at_ms, hex::encode(e.dedup_key));
                let inbox_json = format!(
                    "{},{},{}]",
                    &key_json[..key_json.len() - 1],
                    e.portal_id,
                    at
                );
                let payload = job.payload.get();
                let job_json = format!(
                    "[{},{},{},{payload},{},{at}]",
                    json_string(job.queue),
                    json_string(&job.key),
                    json_string(job.kind),
                    job.occurred_at_ms
                );
                PreparedEntry {
                    dedup_key: e.dedup_key,
                    key_json,
                    inbox_json,
                    job_json,
                }
            })
            .collect();
        Self { entries }
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

fn json_array<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::from("[");
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out.push(']');
    out
}

/// One transaction for all deliveries of a group. Rows travel as one JSON array per table and
/// are unpacked by SQLite's `json_each`, so each statement has a constant text (prepared once)
/// and 1,000 rows cost one bound parameter instead of 8,000.
async fn write(
    pool: &SqlitePool,
    deliveries: &[&Prepared],
) -> Result<Vec<EnqueueReceipt>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let all = || deliveries.iter().flat_map(|d| d.entries.iter());
    // Inside this IMMEDIATE transaction no one else writes, so "not in the inbox now" stays
    // true until the commit. Redeliveries are rare: this normally returns no rows.
    let existing: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT i.dedup_key FROM json_each(?1) AS k JOIN inbox AS i \
         ON i.occurred_at_ms = k.value->>0 AND i.dedup_key = unhex(k.value->>1)",
    )
    .bind(json_array(all().map(|e| e.key_json.as_str())))
    .fetch_all(&mut *tx)
    .await?;
    let mut seen: HashSet<Vec<u8>> = existing.into_iter().collect();
    let mut receipts = Vec::with_capacity(deliveries.len());
    let mut new_entries = Vec::new();
    for delivery in deliveries {
        let mut receipt = EnqueueReceipt::default();
        for entry in &delivery.entries {
            // Of two identical events in one group, the earlier delivery's is the new one.
            if seen.insert(entry.dedup_key.to_vec()) {
                receipt.enqueued += 1;
                new_entries.push(entry);
            } else {
                receipt.duplicates += 1;
            }
        }
        receipts.push(receipt);
    }
    if !new_entries.is_empty() {
        sqlx::query(
            "INSERT INTO inbox (occurred_at_ms, dedup_key, portal_id, received_at_ms) \
             SELECT value->>0, unhex(value->>1), value->>2, value->>3 FROM json_each(?1) WHERE true \
             ON CONFLICT DO NOTHING",
        )
        .bind(json_array(new_entries.iter().map(|e| e.inbox_json.as_str())))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO jobs (queue, job_key, kind, payload, occurred_at_ms, run_at_ms, created_at_ms, updated_at_ms) \
             SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>5, value->>5 \
             FROM json_each(?1)",
        )
        .bind(json_array(new_entries.iter().map(|e| e.job_json.as_str())))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(receipts)
}
