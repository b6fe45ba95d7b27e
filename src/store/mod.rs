//! The store: the stage between intake and worker. It keeps the inbox (the dedup ledger of
//! accepted events), the job queue, the handoff ledger, portal pauses, stored tokens and the
//! journal checkpoint, on SQLite (embedded default) or PostgreSQL (several replicas). Knows
//! neither HTTP nor HubSpot nor the lead engine: callers hand it ready-made [`InboxEntry`]s,
//! rows and JSON.
//!
//! `Store` is a handle; each concern is its own part reached from it, so a caller names what it
//! works on: `store.inbox()`, `store.queue()`, `store.dead_letters()`, `store.probes()`,
//! `store.ledger()`, `store.leads()`, `store.sequences()`, `store.kpis()`, `store.portals()`,
//! `store.secrets()`, `store.journal()`. Every part writes its SQL once for both engines and
//! reaches the engine only through `dispatch`.

use handoff_ids::PortalId;
#[macro_use]
mod dispatch;
mod group_commit;
mod id_columns;
mod inbox;
mod journal_offsets;
pub mod ledger;
mod location;
mod portals;
mod postgres;
mod probes;
pub mod queue;
mod secrets;
pub mod sequences;
mod settings;
mod sqlite;
mod wake;

use std::sync::Arc;

pub use dispatch::Dialect;
pub use inbox::Inbox;
pub use journal_offsets::{Journal, JournalOffset};
pub use location::{check_url, describe as describe_location};
pub use portals::{PAUSED_ERROR, PortalPause, Portals};
pub use postgres::NOTIFY_CHANNEL;
pub use probes::{ProbeRun, Probes};
pub use queue::{QueueDepth, Sibling};
pub use secrets::{SealedRecord, Secrets};
pub use settings::{SqliteSynchronous, StoreSettings};

use dispatch::{Backend, Db};
use postgres::PostgresStore;
use sqlite::SqliteStore;

/// One accepted event: its ledger row and the job it becomes if it is new.
#[derive(Debug, Clone)]
pub struct InboxEntry {
    pub dedup_key: [u8; 16],
    pub portal_id: PortalId,
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
    db: Arc<Db>,
    listener: Arc<tokio::sync::OnceCell<tokio::task::AbortHandle>>,
}

impl Store {
    /// Opens (creating if missing) the store the settings name. Does not migrate.
    pub async fn connect(settings: &StoreSettings) -> Result<Self, StoreError> {
        let wake = wake::Wake::default();
        let backend = match Dialect::of_url(&settings.url) {
            Some(Dialect::Sqlite) => {
                Backend::Sqlite(SqliteStore::connect(settings, wake.clone()).await?)
            }
            Some(Dialect::Postgres) => Backend::Postgres(PostgresStore::connect(settings).await?),
            None => {
                return Err(StoreError::Config(
                    "expected sqlite://PATH or postgres://...".into(),
                ));
            }
        };
        Ok(Self {
            db: Arc::new(Db {
                backend,
                wake,
                commit_timeout_ms: settings.commit_timeout_ms,
            }),
            listener: Arc::default(),
        })
    }

    /// A receiver that changes whenever new jobs may be ready (committed here, or announced by
    /// another PostgreSQL replica). Workers wait on it instead of polling hot.
    pub async fn wakeups(&self) -> tokio::sync::watch::Receiver<u64> {
        if let Backend::Postgres(s) = &self.db.backend {
            let (pool, wake) = (s.pool().clone(), self.db.wake.clone());
            self.listener
                .get_or_init(|| async move {
                    tokio::spawn(wake::listen_postgres(pool, wake)).abort_handle()
                })
                .await;
        }
        self.db.wake.subscribe()
    }

    /// Which engine this store runs on.
    pub fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    /// Applies the embedded migrations of this engine; safe to run on every start.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.db.migrate().await
    }

    /// Succeeds when the store answers a query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_reader!(self.db, |pool| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Finishes pending commits, then closes every connection.
    pub async fn close(&self) {
        if let Some(listener) = self.listener.get() {
            listener.abort();
        }
        self.db.close().await;
    }

    /// Accepted events: the dedup ledger and the jobs they become.
    pub fn inbox(&self) -> Inbox<'_> {
        Inbox { db: &self.db }
    }

    /// The job queue: claims, leases, outcomes, scheduling, retention.
    pub fn queue(&self) -> queue::Queue<'_> {
        queue::Queue { db: &self.db }
    }

    /// Jobs that failed for good: list, replay, purge.
    pub fn dead_letters(&self) -> queue::DeadLetters<'_> {
        queue::DeadLetters { db: &self.db }
    }

    /// Canary jobs and their recorded runs.
    pub fn probes(&self) -> Probes<'_> {
        Probes { db: &self.db }
    }

    /// Decisions and handoffs, and the steps each handoff has reached.
    pub fn ledger(&self) -> ledger::Ledger<'_> {
        ledger::Ledger { db: &self.db }
    }

    /// The HubSpot Lead record of each handoff.
    pub fn leads(&self) -> ledger::Leads<'_> {
        ledger::Leads { db: &self.db }
    }

    /// Read-only ledger views for the KPIs.
    pub fn kpis(&self) -> ledger::Kpis<'_> {
        ledger::Kpis { db: &self.db }
    }

    /// First-touch sequence enrollment of each handoff.
    pub fn sequences(&self) -> sequences::Sequences<'_> {
        sequences::Sequences { db: &self.db }
    }

    /// Operator pauses and auth pauses per portal.
    pub fn portals(&self) -> Portals<'_> {
        Portals { db: &self.db }
    }

    /// Sealed per-portal OAuth tokens.
    pub fn secrets(&self) -> Secrets<'_> {
        Secrets { db: &self.db }
    }

    /// The Webhooks Journal checkpoint per portal.
    pub fn journal(&self) -> Journal<'_> {
        Journal { db: &self.db }
    }
}
