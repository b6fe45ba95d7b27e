//! Operator and admin tools behind the CLI and the admin routes (`http/`, served on their own
//! listener): the engine's offline `explain` and `simulate`, the queue's `queue stats` and
//! `dlq` commands, portal pauses, the Webhooks Journal commands (`journal subscribe`,
//! `backfill`), the HubSpot project app handoff runs as (`hubspot-app`), and going live on a
//! portal: `portal setup` (`setup.rs`, `write_back.rs`) and `doctor` (`doctor/`, `scopes.rs`).
//! Every error names what it is about (file and line, key path, job id, portal).

mod config_view;
pub mod doctor;
mod engine;
pub(crate) mod http;
pub mod hubspot_app;
mod journal;
mod portals;
mod queue;
pub mod scopes;
pub mod send_webhook;
pub mod setup;
pub mod write_back;

use std::path::{Path, PathBuf};

pub use config_view::describe_config;
pub use engine::{
    compare, explain, load_contact, load_contacts_jsonl, load_playbook, load_roster, parse_at,
};
pub use journal::{journal_backfill, journal_subscribe, render_backfill};
pub use portals::{PortalStatus, pause_portal, portal_statuses, render_statuses, resume_portal};
pub use queue::{
    DeadSelection, dead_json, dead_letters, find_dead, parse_since, probe, purge_dead, queue_stats,
    replay, replay_dead, show_dead,
};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("--at {0:?} is not an RFC 3339 time (e.g. 2026-11-24T09:00:00Z)")]
    At(String),
    #[error("--since {0:?} is neither a duration (e.g. 7d, 24h) nor an RFC 3339 time")]
    Since(String),
    #[error("no dead job with id {0}")]
    NoSuchJob(i64),
    #[error("give a job id or --all (with any filters) to say which dead jobs")]
    NothingSelected,
    #[error("portal {0} is not configured ([[hubspot.portals]])")]
    UnknownPortal(i64),
    #[error("the reason is longer than {0} characters")]
    Reason(usize),
    #[error("journal: {0}")]
    Journal(String),
    #[error("HubSpot client: {0}")]
    Hubspot(String),
    #[error(transparent)]
    Queue(#[from] crate::store::queue::QueueError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

fn file_error(path: &Path, message: impl Into<String>) -> AdminError {
    AdminError::File {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// A HubSpot client for the CLI, its OAuth tokens kept in `store` as `serve` keeps them (in
/// memory when there is no store yet).
pub fn portal_client(
    loaded: &crate::config::LoadedConfig,
    store: Option<&crate::store::Store>,
) -> Result<crate::hubspot::client::HubspotClient, AdminError> {
    use crate::hubspot::client::{ClientDeps, HubspotClient};
    use crate::startup::PersistentTokenStore;
    let hubspot = &loaded.settings.hubspot;
    let http =
        HubspotClient::http_client(hubspot).map_err(|e| AdminError::Hubspot(e.to_string()))?;
    let mut deps = ClientDeps::default();
    if let Some(store) = store {
        deps.token_store = std::sync::Arc::new(PersistentTokenStore::new(store.clone()));
    }
    HubspotClient::new(hubspot, http, deps).map_err(|e| AdminError::Hubspot(e.to_string()))
}

/// `handoff portal setup`: the portal must be configured.
pub async fn setup_portal(
    loaded: &crate::config::LoadedConfig,
    client: &crate::hubspot::client::HubspotClient,
    portal: i64,
    dry_run: bool,
) -> Result<setup::SetupReport, AdminError> {
    let id = loaded
        .settings
        .hubspot
        .portals
        .iter()
        .find(|p| p.id.get() == portal)
        .map(|p| p.id)
        .ok_or(AdminError::UnknownPortal(portal))?;
    let props = setup::planned_properties(loaded);
    Ok(setup::portal_setup(client, id, &props, dry_run).await)
}
