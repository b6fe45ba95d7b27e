//! Group commit: concurrent deliveries queue up while the previous transaction commits, then
//! share one transaction and one fsync. Each caller still gets its answer only after the commit
//! that holds its events, so "2xx means durable" holds for every delivery.

use std::collections::HashSet;

use sqlx::{Connection, QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::inbox::{INSERT_INBOX, INSERT_JOBS};
use super::{EnqueueReceipt, InboxEntry, NewDelivery, StoreError};

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
    pub(super) fn start(pool: SqlitePool, max_group: usize, wake: super::wake::Wake) -> Self {
        let (tx, rx) = mpsc::channel(max_group.max(1) * 4);
        let close = tokio_util::sync::CancellationToken::new();
        let task = tokio::spawn(run(pool, rx, max_group.max(1), close.clone(), wake));
        Self {
            tx,
            close,
            task: Mutex::new(Some(task)),
        }
    }

    pub(super) async fn submit(&self, delivery: NewDelivery) -> Result<EnqueueReceipt, StoreError> {
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
    wake: super::wake::Wake,
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
        // Idle workers of this process look for the new jobs now, not at their next poll.
        wake.signal();
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

/// A delivery in the form the writer needs, built in the request's task (on any core) so the
/// single writer does as little as possible.
#[derive(Debug)]
pub(super) struct Prepared {
    received_at_ms: i64,
    entries: Vec<InboxEntry>,
}

impl Prepared {
    pub(super) fn new(delivery: NewDelivery) -> Self {
        Self {
            received_at_ms: delivery.received_at_ms,
            entries: delivery.entries,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Rows per multi-row INSERT: a full HubSpot delivery. Chunks of the same size share one
/// cached prepared statement.
const ROWS_PER_INSERT: usize = 100;

/// One transaction for all deliveries of a group.
async fn write(
    pool: &SqlitePool,
    deliveries: &[&Prepared],
) -> Result<Vec<EnqueueReceipt>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    // Inside this IMMEDIATE transaction no one else writes, so "not in the inbox now" stays
    // true until the commit. Redeliveries are rare: this normally returns no rows.
    let all: Vec<&InboxEntry> = deliveries.iter().flat_map(|d| d.entries.iter()).collect();
    let seen = in_inbox(&mut tx, &all).await?;
    let (receipts, new_rows) = sort_out(deliveries, seen);
    for chunk in new_rows.chunks(ROWS_PER_INSERT) {
        insert(&mut tx, chunk).await?;
    }
    tx.commit().await?;
    Ok(receipts)
}

/// The dedup keys of `entries` the inbox already holds.
async fn in_inbox(
    conn: &mut SqliteConnection,
    entries: &[&InboxEntry],
) -> Result<HashSet<[u8; 16]>, sqlx::Error> {
    let mut seen = HashSet::new();
    for chunk in entries.chunks(ROWS_PER_INSERT) {
        let mut lookup = QueryBuilder::<Sqlite>::new(
            "SELECT dedup_key FROM inbox WHERE (occurred_at_ms, dedup_key) IN (",
        );
        lookup.push_values(chunk, |mut row, entry| {
            row.push_bind(entry.job.occurred_at_ms)
                .push_bind(entry.dedup_key.to_vec());
        });
        lookup.push(")");
        let existing: Vec<Vec<u8>> = lookup.build_query_scalar().fetch_all(&mut *conn).await?;
        seen.extend(
            existing
                .iter()
                .filter_map(|k| <[u8; 16]>::try_from(k.as_slice()).ok()),
        );
    }
    Ok(seen)
}

/// Each delivery's receipt, and the new events with their delivery's receive time. An event
/// in `seen` (the inbox) is a duplicate; of two identical events in one group, the earlier
/// delivery's is the new one.
fn sort_out<'a>(
    deliveries: &[&'a Prepared],
    mut seen: HashSet<[u8; 16]>,
) -> (Vec<EnqueueReceipt>, Vec<(i64, &'a InboxEntry)>) {
    let mut receipts = Vec::with_capacity(deliveries.len());
    let mut new_rows = Vec::new();
    for delivery in deliveries {
        let mut receipt = EnqueueReceipt::default();
        for entry in &delivery.entries {
            if seen.insert(entry.dedup_key) {
                receipt.enqueued += 1;
                new_rows.push((delivery.received_at_ms, entry));
            } else {
                receipt.duplicates += 1;
            }
        }
        receipts.push(receipt);
    }
    (receipts, new_rows)
}

/// Inserts new events into the inbox and their jobs into the queue (at most
/// [`ROWS_PER_INSERT`] rows).
async fn insert(
    conn: &mut SqliteConnection,
    chunk: &[(i64, &InboxEntry)],
) -> Result<(), sqlx::Error> {
    let mut inbox = QueryBuilder::<Sqlite>::new(INSERT_INBOX);
    inbox.push_values(chunk, |mut row, (at, entry)| {
        row.push_bind(entry.job.occurred_at_ms)
            .push_bind(entry.dedup_key.to_vec())
            .push_bind(entry.portal_id.get())
            .push_bind(*at);
    });
    inbox.push(" ON CONFLICT DO NOTHING");
    inbox.build().execute(&mut *conn).await?;
    let mut jobs = QueryBuilder::<Sqlite>::new(INSERT_JOBS);
    jobs.push_values(chunk, |mut row, (at, entry)| {
        let job = &entry.job;
        row.push_bind(job.lane)
            .push_bind(job.key.clone())
            .push_bind(job.kind)
            .push_bind(job.payload.get().to_owned())
            .push_bind(job.occurred_at_ms)
            .push_bind(*at)
            .push_bind(*at)
            .push_bind(*at);
    });
    jobs.build().execute(&mut *conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: u8) -> InboxEntry {
        InboxEntry {
            dedup_key: [key; 16],
            portal_id: handoff_ids::PortalId::new(1).unwrap(),
            job: crate::store::NewJob {
                lane: "events",
                key: format!("contact:{key}"),
                kind: "test.v1",
                payload: serde_json::value::to_raw_value(&key).unwrap(),
                occurred_at_ms: 0,
            },
        }
    }

    fn delivery(received_at_ms: i64, keys: &[u8]) -> Prepared {
        Prepared {
            received_at_ms,
            entries: keys.iter().map(|k| entry(*k)).collect(),
        }
    }

    #[test]
    fn an_event_in_two_deliveries_of_a_group_is_new_in_the_earlier_one_only() {
        let (first, second) = (delivery(10, &[1, 2]), delivery(20, &[2, 3]));
        let in_inbox = HashSet::from([[3; 16]]);
        let (receipts, new_rows) = sort_out(&[&first, &second], in_inbox);
        let receipt = |enqueued, duplicates| EnqueueReceipt {
            enqueued,
            duplicates,
        };
        assert_eq!(receipts, [receipt(2, 0), receipt(0, 2)]);
        let new: Vec<(i64, u8)> = new_rows
            .iter()
            .map(|(at, e)| (*at, e.dedup_key[0]))
            .collect();
        assert_eq!(new, [(10, 1), (10, 2)]);
    }
}
