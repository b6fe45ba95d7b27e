//! One typed configuration tree. `config/default.toml` (compiled in, fully commented) is the
//! lowest layer, then the admin's files, then `HANDOFF__SECTION__KEY` environment variables.
//! [`load`] reports every problem at once, with its key path and where it came from
//! (file:line:column or variable). Secrets come only from the environment or files: a file
//! holding one inline is refused, and no report ever shows a secret value (`redact.rs`).

mod admin;
mod engine;
#[cfg(test)]
pub(crate) use engine::example_playbook;
mod load;
mod redact;
mod report;
mod slack;
mod source;
mod typed;
mod validate;

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

pub use admin::admin_token;
pub use load::{ConfigSources, LoadedConfig, load, load_for};
pub use report::{Problem, Report};
pub use slack::{AlertEvent, AlertsSettings, SlackAlertsSettings, SlackSecrets, slack_secrets};
pub use validate::read_secret;

/// What a command uses, so its configuration is checked for that and nothing more: a RevOps
/// admin tries a rule on a laptop without the webhook's secret, and `report` reads a store
/// without a portal's token. Every purpose checks the whole tree's shape (types, unknown keys,
/// ranges, the playbook and roster); they differ in which secrets and URLs must be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `serve`, `work`, `check-config`: everything, every secret resolved and present.
    Service,
    /// Commands that call HubSpot for a portal (`backfill`, `journal subscribe`, `portal
    /// setup`, `doctor`): the portals' credentials, not the webhook's secret or URL.
    Hubspot,
    /// Commands that read or change the store (`report`, `queue`, `dlq`, `portal
    /// list|pause|resume`, `explain --contact-id`, `migrate`): no secret at all.
    Store,
    /// Commands that only evaluate rules (`explain --contact`, `simulate`, `hubspot-app`):
    /// the playbook and roster.
    Rules,
}

impl Purpose {
    /// The webhook receiver runs: its URL and every app's secret are required.
    pub(crate) fn receives_webhooks(self) -> bool {
        self == Purpose::Service
    }

    /// HubSpot is called: every portal's credentials must be there.
    pub(crate) fn calls_hubspot(self) -> bool {
        matches!(self, Purpose::Service | Purpose::Hubspot)
    }
}

/// The compiled-in defaults: the very file `config/default.toml` of this repository.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

/// Top-level sections; unknown keys anywhere are reported by [`load`], not silently ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub store: crate::store::StoreSettings,
    pub webhook: WebhookSettings,
    pub hubspot: crate::hubspot::client::HubspotConfig,
    pub log: LogSettings,
    pub engine: EngineSettings,
    pub queue: crate::worker::settings::QueueSettings,
    pub worker: crate::worker::settings::WorkerSettings,
    pub pipeline: crate::worker::settings::PipelineSettings,
    /// `[alerts.slack]` (off unless enabled).
    pub alerts: AlertsSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EngineSettings {
    /// Example contacts every rule is run against by `check-config`; "" skips that check.
    pub examples_dir: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    pub request_timeout_ms: u64,
    pub shutdown_grace_ms: u64,
    /// Where the admin routes listen, apart from `listen`.
    pub admin_bind: AdminBind,
    /// Bearer token of the admin routes: optional on a loopback `admin_bind` (required when
    /// set), required on any other address. Only from the environment
    /// (`HANDOFF__SERVER__ADMIN_TOKEN`): a file that sets it is refused (`source.rs`).
    pub admin_token: Option<SecretString>,
    pub admin_token_file: Option<PathBuf>,
}

/// `server.admin_bind`: an address for the admin listener, or `"off"` for none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminBind {
    Off,
    At(SocketAddr),
}

impl AdminBind {
    /// The address, unless the admin listener is off.
    pub fn addr(self) -> Option<SocketAddr> {
        match self {
            AdminBind::Off => None,
            AdminBind::At(addr) => Some(addr),
        }
    }
}

impl<'de> Deserialize<'de> for AdminBind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text.trim().eq_ignore_ascii_case("off") {
            return Ok(AdminBind::Off);
        }
        text.trim().parse().map(AdminBind::At).map_err(|_| {
            serde::de::Error::custom(format!(
                "admin_bind {text:?} is neither ADDRESS:PORT (e.g. 127.0.0.1:9091) nor \"off\""
            ))
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebhookSettings {
    pub path: String,
    pub public_url: String,
    pub app_id: Option<i64>,
    /// Only from the environment (`HANDOFF__WEBHOOK__CLIENT_SECRET`): a file that sets it is
    /// refused (`source.rs`).
    pub client_secret: Option<SecretString>,
    pub client_secret_file: Option<PathBuf>,
    pub legacy_signatures: Vec<LegacySignature>,
    pub timestamp_tolerance_ms: i64,
    pub max_body_bytes: usize,
    #[serde(default)]
    pub apps: Vec<WebhookApp>,
}

/// A further HubSpot app posting to the same receiver.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookApp {
    pub app_id: i64,
    /// Name of the environment variable holding this app's client secret.
    pub client_secret_env: Option<String>,
    /// File holding this app's client secret (e.g. a mounted Kubernetes Secret).
    pub client_secret_file: Option<PathBuf>,
    #[serde(default)]
    pub legacy_signatures: Vec<LegacySignature>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LegacySignature {
    V1,
    V2,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}
