//! The PostgreSQL server of the environment, as `pg_virtualenv` (and `scripts/test`) exports it:
//! PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE. One reading for the tests and the benches,
//! which include this file with `#[path]`.

/// Where the server is, as a URL without a database name.
pub struct PgEnv {
    /// `postgres:///?host=…&port=…&user=…[&password=…]`.
    base: String,
    /// The database to connect to for `CREATE DATABASE` (PGDATABASE, else `postgres`).
    pub admin_db: String,
    /// `host:port`, for messages.
    pub address: String,
}

impl PgEnv {
    /// The server of the environment, or `None` when PGHOST is unset.
    pub fn from_env() -> Option<Self> {
        let host = env("PGHOST")?;
        let port = env("PGPORT").unwrap_or_else(|| "5432".into());
        let user = env("PGUSER").unwrap_or_else(|| "postgres".into());
        let password = env("PGPASSWORD")
            .map(|p| format!("&password={}", encode(&p)))
            .unwrap_or_default();
        let base = format!(
            "postgres:///?host={}&port={port}&user={}{password}",
            encode(&host),
            encode(&user)
        );
        let admin_db = env("PGDATABASE").unwrap_or_else(|| "postgres".into());
        let address = format!("{host}:{port}");
        Some(Self {
            base,
            admin_db,
            address,
        })
    }

    /// The URL of database `db` on this server.
    pub fn url(&self, db: &str) -> String {
        self.base
            .replacen("postgres:///", &format!("postgres:///{db}"), 1)
    }

    /// The URL of the admin database.
    pub fn admin_url(&self) -> String {
        self.url(&self.admin_db)
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Percent-encodes a URL query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
