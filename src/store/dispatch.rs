//! Inside the store, the one place that knows there are two engines. Every part of the store (queue, inbox,
//! ledger, portals, ...) writes its SQL once, with `$N` placeholders that sqlx maps by number on
//! SQLite as on PostgreSQL, and runs it through the macros below, which pick the engine's pool
//! or open its write transaction. On SQLite, writes go through the single writer connection and
//! transactions start with `BEGIN IMMEDIATE` (no SQLITE_BUSY on a read-to-write upgrade); reads
//! use the reader pool. Where the text must differ (`SKIP LOCKED`, JSON functions), the part
//! picks it by [`Dialect`] and still runs it here. Declared before the store's modules, which
//! use the macros by textual scope.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Encode, Postgres, Sqlite, Type};

use super::StoreError;
use super::postgres::PostgresStore;
use super::sqlite::SqliteStore;
use super::wake::Wake;

/// Which SQL dialect (database engine) a store URL names: SQLite or PostgreSQL. Not to be
/// confused with the lead engine (`crate::engine`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// `sqlite:…` or `postgres://…` (`postgresql://…`); `None` for anything else.
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

/// An open store: its engine's pools, the wake-ups its commits send to idle workers, and how
/// long a delivery may wait for its commit.
#[derive(Debug)]
pub(super) struct Db {
    pub(super) backend: Backend,
    pub(super) wake: Wake,
    pub(super) commit_timeout_ms: u64,
}

#[derive(Debug)]
pub(super) enum Backend {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Db {
    pub(super) fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Applies the engine's embedded migrations.
    pub(super) async fn migrate(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.migrate().await,
            Backend::Postgres(s) => s.migrate().await,
        }
    }

    /// Finishes pending commits, then closes every connection.
    pub(super) async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(s) => s.close().await,
            Backend::Postgres(s) => s.close().await,
        }
    }
}

/// Runs `$body` with `$pool` the engine's pool: on SQLite its `$sqlite` pool (`reader` or
/// `writer`), on PostgreSQL the one pool.
macro_rules! on_pool {
    ($db:expr, $sqlite:ident, |$pool:ident| $body:expr) => {
        match &$db.backend {
            $crate::store::dispatch::Backend::Sqlite(s) => {
                let $pool = s.$sqlite();
                $body
            }
            $crate::store::dispatch::Backend::Postgres(s) => {
                let $pool = s.pool();
                $body
            }
        }
    };
}

/// Runs `$body` with `$pool` the engine's pool for reads.
macro_rules! on_reader {
    ($db:expr, |$pool:ident| $body:expr) => {
        on_pool!($db, reader, |$pool| $body)
    };
}

/// Runs `$body` with `$pool` the engine's pool for single-statement writes.
macro_rules! on_writer {
    ($db:expr, |$pool:ident| $body:expr) => {
        on_pool!($db, writer, |$pool| $body)
    };
}

/// Runs `$body` with `$tx` a transaction begun by `$begin` (a future of one), then commits.
macro_rules! committed {
    ($begin:expr, |$tx:ident| $body:expr) => {{
        let mut $tx = $begin.await.map_err($crate::store::StoreError::from)?;
        let out = $body;
        $tx.commit()
            .await
            .map_err($crate::store::StoreError::from)?;
        out
    }};
}

/// Runs `$body` with `$tx` a `BEGIN IMMEDIATE` transaction on SQLite store `$s`'s writer
/// connection, then commits.
macro_rules! immediate {
    ($s:expr, |$tx:ident| $body:expr) => {{
        let mut conn = $s
            .writer()
            .acquire()
            .await
            .map_err($crate::store::StoreError::from)?;
        committed!(
            sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE"),
            |$tx| $body
        )
    }};
}

/// Runs `$body` with `$tx` an open write transaction on either engine, then commits.
macro_rules! in_tx {
    ($db:expr, |$tx:ident| $body:expr) => {
        match &$db.backend {
            $crate::store::dispatch::Backend::Sqlite(s) => immediate!(s, |$tx| $body),
            $crate::store::dispatch::Backend::Postgres(s) => {
                committed!(s.pool().begin(), |$tx| $body)
            }
        }
    };
}

/// Runs `$body`, one statement that reads the rows it then changes, with `$conn` its executor:
/// on SQLite inside `BEGIN IMMEDIATE` (nothing can change the rows between the read and the
/// write), on PostgreSQL straight on the pool (the statement locks its own rows).
macro_rules! write_locked {
    ($db:expr, |$conn:ident| $body:expr) => {
        match &$db.backend {
            $crate::store::dispatch::Backend::Sqlite(s) => immediate!(s, |tx| {
                let $conn = &mut *tx;
                $body
            }),
            $crate::store::dispatch::Backend::Postgres(s) => {
                let $conn = s.pool();
                $body
            }
        }
    };
}

/// A statement built once for both engines, to run on either (`DB` is the engine).
pub(super) type Statement<DB> = sqlx::query::Query<'static, DB, <DB as Database>::Arguments>;

/// A value both engines bind: builders of shared statements are generic over the engine and ask
/// only this of each type they bind (`i64: Param<DB>`), so each statement is written once.
pub(super) trait Param<DB: Database>: for<'q> Encode<'q, DB> + Type<DB> {}

impl<DB: Database, T: for<'q> Encode<'q, DB> + Type<DB>> Param<DB> for T {}

/// A list of row ids bound as one parameter: a JSON array on SQLite (read with `json_each`),
/// a `BIGINT[]` on PostgreSQL (read with `= ANY`). One prepared statement serves every list.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ids<'a>(pub(super) &'a [i64]);

impl Ids<'_> {
    fn json(self) -> String {
        let items: Vec<String> = self.0.iter().map(i64::to_string).collect();
        format!("[{}]", items.join(","))
    }
}

impl Type<Sqlite> for Ids<'_> {
    fn type_info() -> <Sqlite as sqlx::Database>::TypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
}

impl<'q> Encode<'q, Sqlite> for Ids<'_> {
    fn encode_by_ref(
        &self,
        buf: &mut <Sqlite as sqlx::Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Sqlite>>::encode(self.json(), buf)
    }
}

impl Type<Postgres> for Ids<'_> {
    fn type_info() -> <Postgres as sqlx::Database>::TypeInfo {
        <Vec<i64> as Type<Postgres>>::type_info()
    }
}

impl<'q> Encode<'q, Postgres> for Ids<'_> {
    fn encode_by_ref(
        &self,
        buf: &mut <Postgres as sqlx::Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <&[i64] as Encode<'q, Postgres>>::encode(self.0, buf)
    }
}

/// `1,2,3` for an `IN (…)` list: integers only, so nothing can be injected.
pub(super) fn id_list<T: Copy + Into<i64>>(ids: &[T]) -> String {
    ids.iter()
        .map(|id| (*id).into().to_string())
        .collect::<Vec<_>>()
        .join(",")
}
