//! SQLite backend: WAL, `synchronous=FULL` by default, one writer connection fed by the group
//! committer, and a small pool for reads. Every write transaction is `BEGIN IMMEDIATE` so a
//! read-to-write upgrade can never fail with SQLITE_BUSY (docs/architecture.md "Store: sqlx on
//! SQLite and PostgreSQL").

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous as Sync,
};

use super::group_commit::GroupWriter;
use super::settings::{SqliteSynchronous, StoreSettings};
use super::{EnqueueReceipt, NewDelivery, StoreError};

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

#[derive(Debug)]
pub(crate) struct SqliteStore {
    write_pool: SqlitePool,
    read_pool: SqlitePool,
    writer: GroupWriter,
}

impl SqliteStore {
    pub(super) async fn connect(
        settings: &StoreSettings,
        wake: super::wake::Wake,
    ) -> Result<Self, StoreError> {
        let options = connect_options(settings)?;
        let write_pool = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_millis(settings.busy_timeout_ms.max(1000)))
            .connect_with(options.clone())
            .await?;
        let read_pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(Duration::from_millis(settings.busy_timeout_ms.max(1000)))
            .connect_with(options)
            .await?;
        let writer = GroupWriter::start(write_pool.clone(), settings.max_group_deliveries, wake);
        Ok(Self {
            write_pool,
            read_pool,
            writer,
        })
    }

    pub(super) async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATIONS.run(&self.write_pool).await?;
        Ok(())
    }

    /// Commits a delivery with those queued beside it (see `group_commit`).
    pub(super) async fn enqueue_delivery(
        &self,
        delivery: NewDelivery,
    ) -> Result<EnqueueReceipt, StoreError> {
        self.writer.submit(delivery).await
    }

    /// The single writer connection's pool, for the queue's short write transactions.
    pub(super) fn writer(&self) -> &SqlitePool {
        &self.write_pool
    }

    pub(super) fn reader(&self) -> &SqlitePool {
        &self.read_pool
    }

    pub(super) async fn close(&self) {
        self.writer.close().await;
        self.read_pool.close().await;
        self.write_pool.close().await;
    }
}

fn connect_options(settings: &StoreSettings) -> Result<SqliteConnectOptions, StoreError> {
    let url = &settings.url;
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| StoreError::Config("expected sqlite://PATH".into()))?;
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        // An in-memory database would lose every acknowledged event on restart.
        return Err(StoreError::Config(
            "a file path is required (in-memory loses events)".into(),
        ));
    }
    if let Some(parent) = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|err| {
            StoreError::Config(format!("cannot create {}: {err}", parent.display()))
        })?;
    }
    let synchronous = match settings.sqlite_synchronous {
        SqliteSynchronous::Full => Sync::Full,
        SqliteSynchronous::Normal => Sync::Normal,
    };
    Ok(SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(synchronous)
        .busy_timeout(Duration::from_millis(settings.busy_timeout_ms))
        // 64 MiB of page cache per connection (negative = KiB): keeps the hot index pages of
        // the inbox and queue in memory under import bursts.
        .pragma("cache_size", "-65536")
        .foreign_keys(true))
}
