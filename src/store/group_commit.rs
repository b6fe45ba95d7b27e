//! Group commit: concurrent deliveries queue up while the previous transaction commits, then
//! share one transaction and one fsync. Each caller still gets its answer only after the commit
//! that holds its events, so "2xx means durable" holds for every delivery.

use std::collections::HashSet;

use sqlx::{Connection, QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{EnqueueReceipt, InboxEntry, NewDelivery, StoreError};

/// Rows per multi-row INSERT; well under SQLite's 32766 bound variables.
const INBOX_ROWS_PER_INSERT: usize = 1000;
const JOB_ROWS_PER_INSERT: usize = 500;

struct Request {
    delivery: NewDelivery,
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

    pub(super) async fn submit(&self, delivery: NewDelivery) -> Result<EnqueueReceipt, StoreError> {
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
    let deliveries: Vec<&NewDelivery> = group.iter().map(|r| &r.delivery).collect();
    match write(pool, &deliveries).await {
        Ok(receipts) => {
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

/// One transaction for all deliveries of a group.
async fn write(
    pool: &SqlitePool,
    deliveries: &[&NewDelivery],
) -> Result<Vec<EnqueueReceipt>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let entries: Vec<(i64, &InboxEntry)> = deliveries
        .iter()
        .flat_map(|d| d.entries.iter().map(move |e| (d.received_at_ms, e)))
        .collect();
    let mut inserted: HashSet<Vec<u8>> = HashSet::with_capacity(entries.len());
    for chunk in entries.chunks(INBOX_ROWS_PER_INSERT) {
        inserted.extend(insert_inbox(&mut tx, chunk).await?);
    }
    // Within one statement SQLite inserts rows in VALUES order, so of two identical events the
    // earlier delivery's is the one inserted; hand each key out once, in the same order.
    let mut receipts = Vec::with_capacity(deliveries.len());
    let mut new_entries = Vec::with_capacity(inserted.len());
    for delivery in deliveries {
        let mut receipt = EnqueueReceipt::default();
        for entry in &delivery.entries {
            if inserted.remove(&entry.dedup_key[..]) {
                receipt.enqueued += 1;
                new_entries.push((delivery.received_at_ms, entry));
            } else {
                receipt.duplicates += 1;
            }
        }
        receipts.push(receipt);
    }
    for chunk in new_entries.chunks(JOB_ROWS_PER_INSERT) {
        insert_jobs(&mut tx, chunk).await?;
    }
    tx.commit().await?;
    Ok(receipts)
}

async fn insert_inbox(
    conn: &mut SqliteConnection,
    rows: &[(i64, &InboxEntry)],
) -> Result<Vec<Vec<u8>>, sqlx::Error> {
    let mut query =
        QueryBuilder::<Sqlite>::new("INSERT INTO inbox (dedup_key, portal_id, received_at_ms) ");
    query.push_values(rows, |mut row, (received_at_ms, entry)| {
        row.push_bind(entry.dedup_key.to_vec())
            .push_bind(entry.portal_id)
            .push_bind(*received_at_ms);
    });
    query.push(" ON CONFLICT DO NOTHING RETURNING dedup_key");
    query.build_query_scalar::<Vec<u8>>().fetch_all(conn).await
}

async fn insert_jobs(
    conn: &mut SqliteConnection,
    rows: &[(i64, &InboxEntry)],
) -> Result<(), sqlx::Error> {
    let mut query = QueryBuilder::<Sqlite>::new(
        "INSERT INTO jobs (queue, job_key, kind, payload, occurred_at_ms, run_at_ms, created_at_ms, updated_at_ms) ",
    );
    query.push_values(rows, |mut row, (received_at_ms, entry)| {
        let job = &entry.job;
        row.push_bind(job.queue)
            .push_bind(job.key.clone())
            .push_bind(job.kind)
            .push_bind(job.payload.clone())
            .push_bind(job.occurred_at_ms)
            .push_bind(*received_at_ms)
            .push_bind(*received_at_ms)
            .push_bind(*received_at_ms);
    });
    query.build().execute(conn).await?;
    Ok(())
}
