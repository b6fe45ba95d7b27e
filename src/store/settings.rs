//! `[store]`: where the store lives and how it commits. The store owns this type and `config`
//! deserializes its section into it (as `hubspot` owns `HubspotConfig`), so the store never
//! imports the configuration tree; `config/default.toml` documents every key.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct StoreSettings {
    pub url: String,
    pub sqlite_synchronous: SqliteSynchronous,
    pub busy_timeout_ms: u64,
    pub max_connections: u32,
    pub commit_timeout_ms: u64,
    pub max_group_deliveries: usize,
}

/// SQLite's `synchronous` pragma for the WAL: `full` fsyncs every commit, so an acknowledged
/// event survives power loss; `normal` survives a process crash only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    Full,
    Normal,
}
