//! Both store engines for tests: a temporary SQLite file, or a fresh database on the
//! PostgreSQL that `scripts/test` starts (pg_virtualenv exports PGHOST/PGPORT/PGUSER/PGPASSWORD).
//! Tests that need PostgreSQL fail, not skip, when it is not there.

use handoff::store::{Dialect, Store};
use handoff::store::{SqliteSynchronous, StoreSettings};

pub struct TestStore {
    pub store: Store,
    _dir: tempfile::TempDir,
}

/// A fresh, empty database URL for `engine`.
pub async fn fresh_url(engine: Dialect, dir: &std::path::Path) -> String {
    match engine {
        Dialect::Sqlite => format!("sqlite://{}/handoff.db", dir.display()),
        Dialect::Postgres => fresh_postgres_database().await,
    }
}

pub fn settings(url: &str) -> StoreSettings {
    StoreSettings {
        url: url.to_owned(),
        sqlite_synchronous: SqliteSynchronous::Normal,
        busy_timeout_ms: 5_000,
        max_connections: 4,
        commit_timeout_ms: 4_000,
        max_group_deliveries: 64,
    }
}

pub async fn open_store(engine: Dialect) -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_url(engine, dir.path()).await;
    let store = Store::connect(&settings(&url)).await.unwrap();
    store.migrate().await.unwrap();
    TestStore { store, _dir: dir }
}

async fn fresh_postgres_database() -> String {
    let server = super::pg_env::PgEnv::from_env().unwrap_or_else(|| {
        panic!("PostgreSQL is not available (PGHOST is unset): run the tests with scripts/test, which starts a throwaway cluster")
    });
    let name = format!("handoff_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&server.admin_url())
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {}: {e}", server.address));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut admin)
        .await
        .unwrap();
    server.url(&name)
}

/// Runs one statement on the database at `url` outside the store: for a column the store has
/// no writer for yet, or a state no API makes.
pub async fn execute(url: &str, statement: &str) {
    use sqlx::Connection;
    let statement = sqlx::AssertSqlSafe(statement.to_owned());
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query(statement).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(statement).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
}
