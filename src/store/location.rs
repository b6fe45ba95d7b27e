//! Which store a command opened, said in words (engine and absolute path, or host and
//! database — never a password), and the refusal to open a missing SQLite file for a command
//! that only reads or changes what is there: a relative `sqlite://data/handoff.db` run from
//! another directory would otherwise create a fresh empty store, and `report` or `queue stats`
//! would show nothing and look healthy.

use std::path::{Path, PathBuf};

use super::{Dialect, Store, StoreError, StoreSettings};

/// Where `url` points, for output: `SQLite /abs/path/handoff.db` or
/// `PostgreSQL db.example.com:5432/handoff`.
pub fn describe(url: &str) -> String {
    match Dialect::of_url(url) {
        Some(Dialect::Sqlite) => match sqlite_path(url) {
            Some(path) => format!("SQLite {}", absolute(&path).display()),
            None => "SQLite (no file path)".to_owned(),
        },
        Some(Dialect::Postgres) => {
            let rest = url.split_once("://").map_or("", |(_, r)| r);
            // user:password@host/db?options → host/db
            let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
            let rest = rest.split('?').next().unwrap_or_default();
            format!("PostgreSQL {rest}")
        }
        None => "an unknown store".to_owned(),
    }
}

/// Whether the store can open `url`; the error says which URLs it takes. Only the scheme is
/// echoed: a postgres URL may carry a password.
pub fn check_url(url: &str) -> Result<(), String> {
    if Dialect::of_url(url).is_some() {
        return Ok(());
    }
    let scheme = url.split("://").next().unwrap_or_default();
    Err(format!(
        "must be sqlite://PATH or postgres://USER@HOST/DB (got a {scheme:?} URL)"
    ))
}

impl Store {
    /// Opens a store that must exist already (migrating it if an older version left it): a
    /// SQLite file that is not there is an error naming the absolute path looked at, instead
    /// of a new empty store.
    pub async fn open_existing(settings: &StoreSettings) -> Result<Store, StoreError> {
        if let Some(path) = sqlite_path(&settings.url)
            && !path.is_file()
        {
            return Err(StoreError::Missing(format!(
                "no store at {} (store.url = {:?}, relative to the directory this command runs \
                 in): run it where `serve` runs, or set HANDOFF__STORE__URL to the store's \
                 absolute path, e.g. sqlite:///var/lib/handoff/handoff.db",
                absolute(&path).display(),
                settings.url
            )));
        }
        let store = Store::connect(settings).await?;
        store.migrate().await?;
        Ok(store)
    }
}

/// The file a `sqlite:` URL names, without its query.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_is_described_by_engine_and_place_never_by_password() {
        let d =
            describe("postgres://handoff:s3cr3t-pw@db.example.com:5432/handoff?sslmode=require");
        assert_eq!(d, "PostgreSQL db.example.com:5432/handoff");
        let d = describe("sqlite:///var/lib/handoff/handoff.db");
        assert_eq!(d, "SQLite /var/lib/handoff/handoff.db");
        let d = describe("sqlite://data/handoff.db?mode=rwc");
        assert!(
            d.starts_with("SQLite /") && d.ends_with("/data/handoff.db"),
            "{d}"
        );
    }
}
