//! The store seam: the inbox (dedup ledger), the job queue, the handoff ledger, portal pauses
//! and stored tokens. One `Store` type, backed by SQLite (embedded default) or PostgreSQL (for
//! several replicas). Knows neither HTTP nor HubSpot: callers hand it ready-made
//! [`InboxEntry`]s.

#[macro_use]
mod macros;
mod coalesce;
mod group_commit;
mod journal_offsets;
pub mod ledger;
mod location;
mod pauses;
mod postgres;
mod postgres_queue;
mod probes;
pub mod queue;
mod queue_common;
mod secrets;
pub mod sequences;
mod sqlite;
mod sqlite_queue;
mod wake;

pub use location::{check_url, describe as describe_location};

use std::sync::Arc;

pub use coalesce::Sibling;
pub use journal_offsets::JournalOffset;
pub use pauses::{PAUSED_ERROR, PortalPause};
pub use postgres::{NOTIFY_CHANNEL, PostgresStore};
pub use probes::ProbeRun;
pub use secrets::SealedRecord;
pub use sqlite::SqliteStore;

use crate::config::StoreSettings;
use queue::{ClaimedJob, DeadFilter, OnExisting, QueueError, Scheduled};

/// One accepted event: its ledger row and the job it becomes if it is new.
#[derive(Debug, Clone)]
pub struct InboxEntry {
    pub dedup_key: [u8; 16],
    pub portal_id: i64,
    pub job: NewJob,
}

#[derive(Debug, Clone)]
pub struct NewJob {
    /// The lane it runs in (`jobs::LANES`).
    pub lane: &'static str,
    pub key: String,
    pub kind: &'static str,
    /// The job's input, JSON by construction (`serde_json::value::to_raw_value`).
    pub payload: Box<serde_json::value::RawValue>,
    pub occurred_at_ms: i64,
}

/// All events of one webhook delivery; committed together or not at all.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub received_at_ms: i64,
    pub entries: Vec<InboxEntry>,
}

/// What a committed delivery added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EnqueueReceipt {
    pub enqueued: usize,
    pub duplicates: usize,
}

/// Job counts per lane and state, for `/metrics` and `queue stats` ([`Store::queue_depth`]).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QueueDepth {
    /// Column `queue` holds the lane.
    #[sqlx(rename = "queue")]
    pub lane: String,
    /// `due` (can run now), `held` (was due, put back to wait: a retry's backoff, an auth
    /// failure), `paused` (waits for its portal's resume), `scheduled` (not due yet, e.g. SLA
    /// checks), `leased` (running) or `dead`.
    pub status: String,
    pub jobs: i64,
    /// When the oldest of these jobs first became due; kept while a job is put back, so a job
    /// held back keeps ageing. `None` for scheduled jobs, which are not due yet.
    pub oldest_due_ms: Option<i64>,
    /// The earliest time one of them is set to run (for held and scheduled jobs: the next run).
    pub next_run_at_ms: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store url is not usable: {0}")]
    Config(String),
    #[error("store is unavailable: {0}")]
    Unavailable(#[from] sqlx::Error),
    #[error("migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("store did not commit within {0} ms")]
    Timeout(u64),
    #[error("store is shutting down")]
    Closed,
    /// A command that reads an existing store found none where the URL points.
    #[error("{0}")]
    Missing(String),
}

/// Handle to the store; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Arc<Backend>,
    wake: wake::Wake,
    listener: Arc<tokio::sync::OnceCell<tokio::task::AbortHandle>>,
}

#[derive(Debug)]
enum Backend {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// Which engine a store URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

impl Store {
    /// Opens (creating if missing) the store the settings name. Does not migrate.
    pub async fn connect(settings: &StoreSettings) -> Result<Self, StoreError> {
        let wake = wake::Wake::default();
        let backend = match Engine::of_url(&settings.url) {
            Some(Engine::Sqlite) => {
                Backend::Sqlite(SqliteStore::connect(settings, wake.clone()).await?)
            }
            Some(Engine::Postgres) => Backend::Postgres(PostgresStore::connect(settings).await?),
            None => {
                return Err(StoreError::Config(
                    "expected sqlite://PATH or postgres://...".into(),
                ));
            }
        };
        Ok(Self {
            backend: Arc::new(backend),
            wake,
            listener: Arc::default(),
        })
    }

    /// A receiver that changes whenever new jobs may be ready (committed here, or announced by
    /// another PostgreSQL replica). Workers wait on it instead of polling hot.
    pub async fn wakeups(&self) -> tokio::sync::watch::Receiver<u64> {
        if let Backend::Postgres(s) = &*self.backend {
            let (pool, wake) = (s.pool().clone(), self.wake.clone());
            self.listener
                .get_or_init(|| async move {
                    tokio::spawn(wake::listen_postgres(pool, wake)).abort_handle()
                })
                .await;
        }
        self.wake.subscribe()
    }

    pub fn engine(&self) -> Engine {
        match &*self.backend {
            Backend::Sqlite(_) => Engine::Sqlite,
            Backend::Postgres(_) => Engine::Postgres,
        }
    }

    /// Applies the embedded migrations of this engine; safe to run on every start.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &*self.backend {
            Backend::Sqlite(s) => s.migrate().await,
            Backend::Postgres(s) => s.migrate().await,
        }
    }

    /// Durably records a delivery: its new events go into the inbox and the job queue in one
    /// transaction; events already in the inbox count as duplicates and add nothing. Returns
    /// only after the commit.
    pub async fn enqueue_delivery(
        &self,
        delivery: NewDelivery,
    ) -> Result<EnqueueReceipt, StoreError> {
        match &*self.backend {
            Backend::Sqlite(s) => s.enqueue_delivery(delivery).await,
            Backend::Postgres(s) => s.enqueue_delivery(delivery).await,
        }
    }

    /// Succeeds when the store answers a query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match &*self.backend {
            Backend::Sqlite(s) => s.ping().await,
            Backend::Postgres(s) => s.ping().await,
        }
    }

    /// Number of events in the dedup ledger.
    pub async fn inbox_len(&self) -> Result<i64, StoreError> {
        match &*self.backend {
            Backend::Sqlite(s) => s.inbox_len().await,
            Backend::Postgres(s) => s.inbox_len().await,
        }
    }

    /// Leases up to `limit` due jobs of `lane` to `owner` for `lease_ms`; each is the oldest
    /// open job of its key, and no key has two jobs leased at once.
    pub async fn claim(
        &self,
        lane: &str,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedJob>, QueueError> {
        match &*self.backend {
            Backend::Sqlite(s) => {
                sqlite_queue::claim(s.writer(), lane, owner, now_ms, lease_ms, limit).await
            }
            Backend::Postgres(s) => {
                postgres_queue::claim(s.pool(), lane, owner, now_ms, lease_ms, limit).await
            }
        }
    }

    pub async fn schedule(
        &self,
        job: &Scheduled,
        on_existing: OnExisting,
        now_ms: i64,
    ) -> Result<i64, QueueError> {
        let id = match &*self.backend {
            Backend::Sqlite(s) => {
                sqlite_queue::schedule(s.writer(), job, on_existing, now_ms).await
            }
            Backend::Postgres(s) => {
                postgres_queue::schedule(s.pool(), job, on_existing, now_ms).await
            }
        }?;
        if job.run_at_ms <= now_ms {
            self.wake.signal();
        }
        Ok(id)
    }

    /// Puts dead jobs back to ready (one by `id`, or all the filter matches), history kept.
    pub async fn replay(
        &self,
        filter: &DeadFilter,
        id: Option<i64>,
        now_ms: i64,
    ) -> Result<u64, QueueError> {
        match &*self.backend {
            Backend::Sqlite(s) => sqlite_queue::replay(s.writer(), filter, id, now_ms).await,
            Backend::Postgres(s) => postgres_queue::replay(s.pool(), filter, id, now_ms).await,
        }
    }

    /// Finishes pending commits, then closes every connection.
    pub async fn close(&self) {
        if let Some(listener) = self.listener.get() {
            listener.abort();
        }
        match &*self.backend {
            Backend::Sqlite(s) => s.close().await,
            Backend::Postgres(s) => s.close().await,
        }
    }
}
