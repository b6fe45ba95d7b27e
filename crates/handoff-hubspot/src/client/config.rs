//! Typed configuration for the HubSpot client: the `[hubspot]` settings and one `[[portals]]`
//! entry per connected HubSpot account. Unknown keys are reported by the configuration loader
//! (`config::load`, which lists every one with its path), so these types do not deny them
//! themselves — except `auth`, whose tagged form serde cannot walk key by key. Secrets are
//! referenced (env var or file), never inlined, and are loaded into [`SecretString`] so they
//! cannot leak through `Debug`, logs or errors.
//!
//! ```toml
//! base_url = "https://api.hubapi.com"
//! api_version = "2026-09"           # or "v3" (legacy paths, unsupported from September 2027)
//! replicas = 2                      # how many worker replicas share each portal's budget
//! token_key_env = "HANDOFF_TOKEN_KEY"
//!
//! [[portals]]
//! id = 62515
//! playbook = "default"
//! time_zone = "Europe/Berlin"       # the portal's HubSpot time zone: DAILY limits reset at its midnight
//! auth = { kind = "private_app", token_env = "HUBSPOT_TOKEN_62515", tier = "professional" }
//! quota = { requests = 190, interval_ms = 10000, safety_margin_pct = 10 }
//! search_quota = { requests = 5, interval_ms = 1000 }
//!
//! [[portals]]
//! id = 7
//! playbook = "emea"
//! [portals.auth]
//! kind = "oauth"
//! client_id = "abc"
//! client_secret_file = "/run/secrets/hubspot_client_secret"
//! refresh_token_env = "HUBSPOT_REFRESH_7"
//! ```

use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

use super::types::PortalId;

/// Client-wide settings plus the portals.
#[derive(Debug, Clone, Deserialize)]
pub struct HubspotConfig {
    /// CRM API base URL; tests point it at a local fake (docs/hubspot.md "Records and property
    /// values").
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// Which path family every call uses: `"2026-09"` (date-versioned, the default) or `"v3"`
    /// (`paths.rs`; docs/hubspot.md "Date-versioned API and write validation").
    #[serde(default)]
    pub api_version: super::paths::ApiVersion,
    /// TCP connect timeout for every HubSpot request.
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Whole-request timeout (reqwest has none by default).
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// Default number of replicas sharing every portal's budget (see `budget.rs`).
    #[serde(default = "one")]
    pub replicas: u32,
    /// Env var holding the 32-byte token-encryption key as 64 hex digits. One of
    /// `token_key_env` / `token_key_file` is required with OAuth.
    #[serde(default)]
    pub token_key_env: Option<String>,
    /// File holding the same key.
    #[serde(default)]
    pub token_key_file: Option<PathBuf>,
    /// Refresh OAuth access tokens this long before they expire.
    #[serde(default = "default_refresh_skew_ms")]
    pub token_refresh_skew_ms: u64,
    /// Owner cache age after which it is refreshed on next use.
    #[serde(default = "default_owners_refresh_ms")]
    pub owners_refresh_ms: u64,
    /// How many batch chunks of one call run concurrently.
    #[serde(default = "default_chunk_concurrency")]
    pub chunk_concurrency: u32,
    /// Retry policy.
    #[serde(default)]
    pub retry: RetryConfig,
    /// The connected HubSpot accounts.
    #[serde(default)]
    pub portals: Vec<PortalConfig>,
}

/// How failures are retried (see `retry.rs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RetryConfig {
    /// Attempts per request, in place, including the first.
    pub max_attempts: u32,
    /// Backoff base; attempt n waits a random time in `[0, min(max, base * 2^n)]`.
    pub base_delay_ms: u64,
    /// Backoff cap.
    pub max_delay_ms: u64,
    /// Longest wait (budget, cooldown or backoff) taken in place; longer waits are returned as
    /// an error with `retry_at` so the job queue reschedules the work and frees the worker.
    pub max_inline_wait_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay_ms: 500,
            max_delay_ms: 10_000,
            max_inline_wait_ms: 20_000,
        }
    }
}

/// One connected HubSpot account.
#[derive(Debug, Clone, Deserialize)]
pub struct PortalConfig {
    /// HubSpot account (hub) id.
    pub id: PortalId,
    /// Which playbook applies to this portal's leads.
    pub playbook: String,
    /// How requests authenticate.
    pub auth: AuthConfig,
    /// IANA zone of the account; HubSpot's DAILY limit resets at its midnight (docs/hubspot.md "429
    /// answers and Retry-After").
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    /// General request budget; defaults depend on the app type (docs/hubspot.md "Limits by app
    /// type").
    #[serde(default)]
    pub quota: QuotaConfig,
    /// Search budget; HubSpot allows 5 requests/s per token (docs/hubspot.md "Search limits and
    /// index lag").
    #[serde(default)]
    pub search_quota: SearchQuotaConfig,
    /// Webhooks Journal backfill for this portal (docs/hubspot.md "Webhooks Journal"; off by
    /// default).
    #[serde(default)]
    pub journal: super::journal::JournalConfig,
    /// Rep availability read from HubSpot's CRM users (docs/hubspot.md "Rep availability from CRM
    /// users"); off by default.
    #[serde(default)]
    pub availability: AvailabilityConfig,
}

/// `availability = { from_hubspot = true, refresh_ms = 60000 }` on a portal: routing skips reps
/// HubSpot shows away, out of office or (where the pool respects them) outside working hours.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AvailabilityConfig {
    /// Read `/crm/v3/objects/users` (scope `crm.objects.users.read`) and apply it to the roster.
    pub from_hubspot: bool,
    /// How old the cached users may get before a refresh (a few requests per refresh).
    pub refresh_ms: u64,
}

impl Default for AvailabilityConfig {
    fn default() -> Self {
        Self {
            from_hubspot: false,
            refresh_ms: 60_000,
        }
    }
}

/// How a portal authenticates (docs/hubspot.md "Authentication").
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AuthConfig {
    /// A private-app access token: exactly one of `token_env` / `token_file`.
    PrivateApp {
        #[serde(default)]
        token_env: Option<String>,
        #[serde(default)]
        token_file: Option<PathBuf>,
        /// Account tier, only used for the default quota.
        #[serde(default)]
        tier: PrivateAppTier,
    },
    /// A public app with OAuth refresh tokens.
    Oauth {
        client_id: String,
        #[serde(default)]
        client_secret_env: Option<String>,
        #[serde(default)]
        client_secret_file: Option<PathBuf>,
        #[serde(default)]
        refresh_token_env: Option<String>,
        #[serde(default)]
        refresh_token_file: Option<PathBuf>,
    },
}

/// Private-app tiers with their documented burst limits (docs/hubspot.md "Limits by app type").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrivateAppTier {
    /// 100 / 10 s.
    #[default]
    Free,
    /// 100 / 10 s.
    Starter,
    /// 190 / 10 s.
    Professional,
    /// 190 / 10 s.
    Enterprise,
    /// 250 / 10 s.
    ApiLimitIncrease,
}

/// The general (non-search) budget of a portal.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QuotaConfig {
    /// HubSpot's limit per interval; unset = the app-type default. Corrected at run time from
    /// `X-HubSpot-RateLimit-Max`.
    pub requests: Option<u32>,
    /// Window length; unset = 10 000 ms. Corrected from `X-HubSpot-RateLimit-Interval-Milliseconds`.
    pub interval_ms: Option<u64>,
    /// Percent of the limit left unused for other integrations and clock skew; unset = 10.
    pub safety_margin_pct: Option<u8>,
    /// Replicas sharing this portal; unset = the client-wide `replicas`.
    pub replicas: Option<u32>,
}

/// The search budget of a portal.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SearchQuotaConfig {
    /// Requests per interval (HubSpot: 5 per second).
    pub requests: u32,
    /// Window length.
    pub interval_ms: u64,
}

impl Default for SearchQuotaConfig {
    fn default() -> Self {
        Self {
            requests: 5,
            interval_ms: 1_000,
        }
    }
}

/// The quota a portal starts with, after defaults are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedQuota {
    /// HubSpot's limit per interval.
    pub requests: u32,
    /// Window length in ms.
    pub interval_ms: u64,
    /// Percent kept in reserve.
    pub safety_margin_pct: u8,
    /// Replicas sharing it.
    pub replicas: u32,
}

impl PortalConfig {
    /// Quota with app-type defaults applied (docs/hubspot.md "Limits by app type": public OAuth
    /// apps 110/10 s; private apps 100, 190 or 250 per 10 s by tier).
    pub(crate) fn resolved_quota(&self, default_replicas: u32) -> ResolvedQuota {
        let default_requests = match &self.auth {
            AuthConfig::Oauth { .. } => 110,
            AuthConfig::PrivateApp { tier, .. } => match tier {
                PrivateAppTier::Free | PrivateAppTier::Starter => 100,
                PrivateAppTier::Professional | PrivateAppTier::Enterprise => 190,
                PrivateAppTier::ApiLimitIncrease => 250,
            },
        };
        ResolvedQuota {
            requests: self.quota.requests.unwrap_or(default_requests),
            interval_ms: self.quota.interval_ms.unwrap_or(10_000),
            safety_margin_pct: self.quota.safety_margin_pct.unwrap_or(10),
            replicas: self.quota.replicas.unwrap_or(default_replicas),
        }
    }
}

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// An environment variable's value.
    Env(String),
    /// A file's content, trimmed of surrounding whitespace.
    File(PathBuf),
}

impl SecretRef {
    pub(crate) fn pick(env: &Option<String>, file: &Option<PathBuf>) -> Option<Self> {
        match (env, file) {
            (Some(e), None) => Some(Self::Env(e.clone())),
            (None, Some(f)) => Some(Self::File(f.clone())),
            _ => None,
        }
    }

    /// Reads the secret. Errors name the variable or path, never the value.
    pub fn load(&self) -> Result<SecretString, ConfigError> {
        let raw = match self {
            Self::Env(name) => std::env::var(name).map_err(|_| ConfigError::SecretUnavailable {
                source_name: format!("env {name}"),
            })?,
            Self::File(path) => {
                std::fs::read_to_string(path).map_err(|_| ConfigError::SecretUnavailable {
                    source_name: format!("file {}", path.display()),
                })?
            }
        };
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ConfigError::SecretUnavailable {
                source_name: self.describe(),
            });
        }
        Ok(SecretString::from(trimmed.to_owned()))
    }

    fn describe(&self) -> String {
        match self {
            Self::Env(name) => format!("env {name} (empty)"),
            Self::File(path) => format!("file {} (empty)", path.display()),
        }
    }
}

impl AuthConfig {
    /// The private-app token reference, if this is a private app.
    pub fn token_ref(&self) -> Option<SecretRef> {
        match self {
            Self::PrivateApp {
                token_env,
                token_file,
                ..
            } => SecretRef::pick(token_env, token_file),
            Self::Oauth { .. } => None,
        }
    }

    /// `(client secret, refresh token)` references, if this is OAuth.
    pub fn oauth_refs(&self) -> Option<(Option<SecretRef>, Option<SecretRef>)> {
        match self {
            Self::Oauth {
                client_secret_env,
                client_secret_file,
                refresh_token_env,
                refresh_token_file,
                ..
            } => Some((
                SecretRef::pick(client_secret_env, client_secret_file),
                SecretRef::pick(refresh_token_env, refresh_token_file),
            )),
            Self::PrivateApp { .. } => None,
        }
    }
}

/// One problem in the configuration, with the key path it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    /// e.g. `portals[1].auth`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Why a client could not be built.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigError {
    /// Validation found problems; all of them are listed.
    #[error("invalid hubspot config: {}", render(.0))]
    Invalid(Vec<ConfigIssue>),
    /// A referenced secret is missing or empty.
    #[error("secret unavailable: {source_name}")]
    SecretUnavailable {
        /// `env NAME` or `file PATH`.
        source_name: String,
    },
    /// The HTTP client could not be built.
    #[error("http client: {0}")]
    Http(String),
}

fn render(issues: &[ConfigIssue]) -> String {
    let parts: Vec<String> = issues
        .iter()
        .map(|i| format!("{}: {}", i.path, i.message))
        .collect();
    parts.join("; ")
}

fn default_base_url() -> String {
    "https://api.hubapi.com".to_owned()
}
fn default_connect_timeout_ms() -> u64 {
    5_000
}
fn default_request_timeout_ms() -> u64 {
    30_000
}
fn one() -> u32 {
    1
}
fn default_refresh_skew_ms() -> u64 {
    300_000
}
fn default_owners_refresh_ms() -> u64 {
    900_000
}
fn default_chunk_concurrency() -> u32 {
    4
}
fn default_time_zone() -> String {
    "UTC".to_owned()
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
