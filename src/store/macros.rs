//! Picking the engine's pool (or opening a write transaction) once, so SQL that is the same on
//! both engines is written once. On SQLite, writes go through the single writer connection and
//! transactions start with `BEGIN IMMEDIATE` (no SQLITE_BUSY); reads use the reader pool.
//! Declared before the store's modules, which use them by textual scope.

/// Runs `$body` with `$tx` an open write transaction on either engine, then commits.
macro_rules! in_tx {
    ($store:expr, |$tx:ident| $body:expr) => {
        match &*$store.backend {
            Backend::Sqlite(s) => {
                let mut conn = s.writer().acquire().await.map_err(StoreError::from)?;
                let mut $tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE")
                    .await
                    .map_err(StoreError::from)?;
                let out = $body;
                $tx.commit().await.map_err(StoreError::from)?;
                out
            }
            Backend::Postgres(s) => {
                let mut $tx = s.pool().begin().await.map_err(StoreError::from)?;
                let out = $body;
                $tx.commit().await.map_err(StoreError::from)?;
                out
            }
        }
    };
}

/// Runs `$body` with `$pool` the engine's pool for reads.
macro_rules! on_reader {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &*$store.backend {
            Backend::Sqlite(s) => {
                let $pool = s.reader();
                $body
            }
            Backend::Postgres(s) => {
                let $pool = s.pool();
                $body
            }
        }
    };
}

/// Runs `$body` with `$pool` the engine's pool for single-statement writes.
macro_rules! on_writer {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &*$store.backend {
            Backend::Sqlite(s) => {
                let $pool = s.writer();
                $body
            }
            Backend::Postgres(s) => {
                let $pool = s.pool();
                $body
            }
        }
    };
}
