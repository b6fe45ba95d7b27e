//! The PostgreSQL server of the environment (PGHOST, PGPORT, PGUSER, PGPASSWORD, as the tests
//! and the queue bench read them), and the review ledger on it, seeded once per server.

use std::future::Future;

use sqlx::Connection;

#[path = "../../tests/it/support/pg_env.rs"]
mod pg_env;

pub struct Server {
    env: pg_env::PgEnv,
}

impl Server {
    pub fn from_env() -> Option<Self> {
        pg_env::PgEnv::from_env().map(|env| Self { env })
    }

    fn url(&self, db: &str) -> String {
        self.env.url(db)
    }

    async fn admin(&self) -> sqlx::PgConnection {
        sqlx::PgConnection::connect(&self.env.admin_url())
            .await
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {}: {e}", self.env.address))
    }

    /// The URL of database `name`, seeded by `seed` (given the URL of a fresh database) unless
    /// it exists; a seed is vacuumed and analyzed (what autovacuum does after a load) before
    /// it takes its name, so an interrupted one is never reused.
    pub async fn ledger<F, Fut>(&self, name: &str, seed: F) -> String
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = ()>,
    {
        let mut admin = self.admin().await;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(name)
                .fetch_one(&mut admin)
                .await
                .unwrap();
        if !exists {
            let part = format!("{name}_part");
            for sql in [
                format!("DROP DATABASE IF EXISTS \"{part}\" WITH (FORCE)"),
                format!("CREATE DATABASE \"{part}\""),
            ] {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut admin)
                    .await
                    .unwrap();
            }
            seed(self.url(&part)).await;
            let mut conn = sqlx::PgConnection::connect(&self.url(&part)).await.unwrap();
            let started = std::time::Instant::now();
            sqlx::raw_sql("VACUUM ANALYZE")
                .execute(&mut conn)
                .await
                .unwrap();
            eprintln!("VACUUM ANALYZE in {:.0?}", started.elapsed());
            conn.close().await.unwrap();
            let rename = format!("ALTER DATABASE \"{part}\" RENAME TO \"{name}\"");
            sqlx::raw_sql(sqlx::AssertSqlSafe(rename))
                .execute(&mut admin)
                .await
                .unwrap();
        }
        self.url(name)
    }

    /// Version, durability and the size of database `name`, for the report.
    pub async fn describe(&self, name: &str) -> String {
        let mut admin = self.admin().await;
        let mut parts = Vec::new();
        for setting in ["server_version", "fsync", "shared_buffers", "work_mem"] {
            let value: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SHOW {setting}")))
                .fetch_one(&mut admin)
                .await
                .unwrap();
            parts.push(format!("{setting}={value}"));
        }
        let size: i64 = sqlx::query_scalar("SELECT pg_database_size($1)")
            .bind(name)
            .fetch_one(&mut admin)
            .await
            .unwrap();
        format!("{name}, {:.2} GB ({})", size as f64 / 1e9, parts.join(", "))
    }
}
