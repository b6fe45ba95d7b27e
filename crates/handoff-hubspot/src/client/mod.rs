//! The HubSpot CRM client: the last stage of the pipe (worker → **hubspot client** → HubSpot).
//!
//! [`HubspotClient`] is built once from [`HubspotConfig`] and one shared `reqwest::Client`, and is
//! cheap to clone. Every call names its portal; each portal has its own rate budget
//! (`budget.rs`), credentials (`auth.rs`) and owner cache (`owners.rs`). Failures come back as
//! [`HubspotError`], a closed set the worker maps to `Retry { at }`, `Dead` or "pause portal".
//!
//! Paths: `paths.rs` maps each call to its path for `hubspot.api_version` (2026-09 or v3).
//! Endpoints: `contacts.rs`, `associations.rs`, `companies.rs`, `tasks.rs`, `owners.rs`,
//! `search.rs`, `users.rs` (availability, parsed in `user_availability.rs`), `sequences.rs`,
//! `leads.rs`, `properties.rs` (definitions and groups, for setup and doctor), `token_info.rs`
//! (a token's scopes); batching in `batch.rs` (a batch refused as a whole for one input:
//! `isolate.rs`); the request loop in `transport.rs`; write-validation refusals
//! (`MISSING_*REQUIRED_PROPERTY`) read in `validation.rs`.

mod associations;
mod auth;
mod batch;
mod budget;
mod clock;
mod companies;
pub mod config;
mod config_check;
mod contacts;
pub mod error;
mod isolate;
mod journal;
mod leads;
pub mod metrics;
mod owners;
mod pacing;
pub mod paths;
mod properties;
mod retry;
mod search;
mod sequences;
mod slots;
mod tasks;
mod token_info;
pub mod token_store;
mod transport;
mod types;
pub mod user_availability;
mod users;
mod validation;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use associations::CompanyLink;
pub use batch::{BatchItem, MAX_OBJECT_BATCH};
pub use budget::Priority;
pub use clock::{Clock, ManualClock, SystemClock, TokioClock};
pub use companies::Company;
pub use config::{AuthConfig, ConfigError, HubspotConfig, PortalConfig};
pub use contacts::{Contact, ContactUpdate};
pub use error::{AuthFailure, ErrorDetail, HubspotError, ItemError, RateLimitPolicy};
pub use journal::SCOPES as JOURNAL_SCOPES;
pub use journal::{
    JournalConfig, JournalFrom, JournalPointer, JournalRead, JournalSubscription,
    NewJournalSubscription,
};
pub use leads::{
    LEAD_OBJECT_TYPE, LEAD_STAGE_PROPERTY, LeadOwnerUpdate, LeadPipeline, LeadStage, LeadUpdate,
    NewLead,
};
pub use owners::{Owner, OwnerType};
pub use paths::{Api, ApiVersion};
pub use properties::{
    Created, NewProperty, NewPropertyGroup, PropertyDef, PropertyGroup, PropertyObject,
    PropertyOption,
};
pub use retry::Jitter;
pub use search::{Filter, FilterGroup, SearchObject, SearchPage, SearchRequest, Sort};
pub use sequences::{ContactEnrollment, Enrollment, EnrollmentRequest, Sequence, refusal_reason};
pub use tasks::{NewTask, Task};
pub use token_info::{TokenScopes, TokenScopesSource};
pub use token_store::{InMemoryTokenStore, TokenCipher, TokenStore};
pub use types::{BatchResponse, CompanyId, ContactId, CrmObject, OwnerId, PortalId, TaskId};
pub use users::CrmUser;
pub use validation::{RefusalCode, WriteRefusal};

use auth::{Auth, AuthDeps, Credentials};
use budget::{Budget, PortalQuota};
use metrics::HubspotMetrics;
use owners::OwnerCache;
use retry::RetryPolicy;
use users::UserCache;

/// What the client needs besides config. `Default`: the system clock, an in-memory token store
/// (tests and tools; the service passes one backed by its store) and OS-random jitter.
#[derive(Debug, Clone)]
pub struct ClientDeps {
    /// Time source.
    pub clock: Arc<dyn Clock>,
    /// Where refreshed OAuth tokens are persisted (encrypted).
    pub token_store: Arc<dyn TokenStore>,
    /// Backoff jitter.
    pub jitter: Jitter,
}

impl Default for ClientDeps {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            token_store: Arc::new(InMemoryTokenStore::default()),
            jitter: Jitter::random(),
        }
    }
}

/// HubSpot CRM client for every configured portal.
#[derive(Clone)]
pub struct HubspotClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for HubspotClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubspotClient")
            .field("base_url", &self.inner.base_url)
            .field("portals", &self.inner.playbooks.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    http: reqwest::Client,
    base_url: String,
    /// The path family of every call (`paths.rs`).
    api: ApiVersion,
    clock: Arc<dyn Clock>,
    budget: Budget,
    auth: Auth,
    retry: RetryPolicy,
    owners: OwnerCache,
    users: UserCache,
    playbooks: HashMap<PortalId, String>,
    chunk_concurrency: usize,
    metrics: HubspotMetrics,
}

impl HubspotClient {
    /// The one shared HTTP client (docs/architecture.md "Outgoing HTTP: one reqwest client").
    pub fn http_client(cfg: &HubspotConfig) -> Result<reqwest::Client, ConfigError> {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(cfg.connect_timeout_ms))
            .timeout(Duration::from_millis(cfg.request_timeout_ms))
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_keepalive(Duration::from_secs(60))
            .user_agent(concat!("handoff/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::Http(e.to_string()))
    }

    /// Validates `cfg`, loads every secret it references, and builds the client; it counts
    /// into metrics of its own (see [`HubspotClient::metrics`]).
    pub fn new(
        cfg: &HubspotConfig,
        http: reqwest::Client,
        deps: ClientDeps,
    ) -> Result<Self, ConfigError> {
        Self::with_metrics(cfg, http, deps, HubspotMetrics::default())
    }

    /// [`HubspotClient::new`], counting into `metrics` (the app's, registered for `/metrics`).
    pub fn with_metrics(
        cfg: &HubspotConfig,
        http: reqwest::Client,
        deps: ClientDeps,
        metrics: HubspotMetrics,
    ) -> Result<Self, ConfigError> {
        cfg.validate()?;
        let base_url = cfg.base_url.trim_end_matches('/').to_owned();
        let cipher = token_cipher(cfg)?;
        let (quotas, creds, playbooks) = portals_of(cfg)?;
        let retry = RetryPolicy::new(&cfg.retry, deps.jitter.clone());
        let budget = Budget::new(
            quotas,
            deps.clock.clone(),
            retry.max_inline_wait,
            metrics.clone(),
        );
        let auth = Auth::new(
            creds,
            AuthDeps {
                http: http.clone(),
                token_url: format!("{base_url}{}", paths::OAUTH_TOKEN),
                clock: deps.clock.clone(),
                store: deps.token_store.clone(),
                cipher,
                refresh_skew: Duration::from_millis(cfg.token_refresh_skew_ms),
                metrics: metrics.clone(),
            },
        );
        let owners = OwnerCache::new(Duration::from_millis(cfg.owners_refresh_ms));
        let users = UserCache::new(
            cfg.portals
                .iter()
                .filter(|p| p.availability.from_hubspot)
                .map(|p| (p.id, Duration::from_millis(p.availability.refresh_ms)))
                .collect(),
        );
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url,
                api: cfg.api_version,
                clock: deps.clock,
                budget,
                auth,
                retry,
                owners,
                users,
                playbooks,
                chunk_concurrency: usize::try_from(cfg.chunk_concurrency).unwrap_or(1).max(1),
                metrics,
            }),
        })
    }

    /// The HubSpot API version every call uses.
    pub fn api_version(&self) -> ApiVersion {
        self.inner.api
    }

    /// The configured portals.
    pub fn portals(&self) -> Vec<PortalId> {
        self.inner.playbooks.keys().copied().collect()
    }

    /// Which playbook applies to a portal.
    pub fn playbook(&self, portal: PortalId) -> Option<&str> {
        self.inner.playbooks.get(&portal).map(String::as_str)
    }

    /// The portal's auth pause in this process (`token_rejected`, `refresh_rejected`,
    /// `token_store`), if it has one.
    pub fn auth_pause(&self, portal: PortalId) -> Option<&'static str> {
        self.inner
            .auth
            .paused_reason(portal)
            .map(AuthFailure::as_str)
    }

    /// Lifts an auth pause after an operator fixed the portal's credentials.
    pub fn resume_portal(&self, portal: PortalId) {
        self.inner.auth.resume(portal);
        tracing::info!(portal_id = portal.as_u64(), "hubspot portal resumed");
    }

    /// What this client has counted (requests, 429s, cooldowns, refreshes, pauses).
    pub fn metrics(&self) -> &HubspotMetrics {
        &self.inner.metrics
    }

    /// `(requests per window, window)` this replica currently allows itself for a portal.
    pub fn enforced_budget(&self, portal: PortalId) -> Option<(u32, Duration)> {
        self.inner.budget.enforced(portal)
    }
}

/// Bound on pages per listing (100 records each), against a cursor that never ends.
const MAX_PAGES: usize = 1_000;

impl Inner {
    /// The path of `resource` in `api` for the configured version (`paths.rs`).
    pub(crate) fn path(&self, api: Api, resource: &str) -> String {
        paths::path(self.api, api, resource)
    }

    /// Every record of a list, following `paging.next.after` from the first page `call` asks
    /// for; more than [`MAX_PAGES`] pages is an error named after `what` (`owner`, `user`).
    pub(crate) async fn every_page<T: serde::de::DeserializeOwned>(
        &self,
        mut call: transport::Call,
        what: &str,
    ) -> Result<Vec<T>, HubspotError> {
        let mut all = Vec::new();
        for _ in 0..MAX_PAGES {
            let page: types::Page<T> = self.send(&call).await?;
            all.extend(page.results);
            let Some(after) = types::Paging::after(&page.paging) else {
                return Ok(all);
            };
            call.query.retain(|(key, _)| *key != "after");
            call.query.push(("after", after));
        }
        Err(HubspotError::local(
            call.portal,
            &format!("{what}s_paging"),
            format!("too many {what} pages"),
        ))
    }
}

/// The cipher for stored OAuth tokens, when a portal uses OAuth and a key is configured.
fn token_cipher(cfg: &HubspotConfig) -> Result<Option<Arc<TokenCipher>>, ConfigError> {
    let oauth = cfg
        .portals
        .iter()
        .any(|p| matches!(p.auth, AuthConfig::Oauth { .. }));
    match cfg.token_key_ref() {
        Some(key) if oauth => Ok(Some(Arc::new(TokenCipher::from_ref(&key)?))),
        _ => Ok(None),
    }
}

/// Each portal's quotas, credentials and playbook name.
type Portals = (
    Vec<PortalQuota>,
    Vec<(PortalId, Credentials)>,
    HashMap<PortalId, String>,
);

fn portals_of(cfg: &HubspotConfig) -> Result<Portals, ConfigError> {
    let mut quotas = Vec::new();
    let mut creds = Vec::new();
    let mut playbooks = HashMap::new();
    for p in &cfg.portals {
        let time_zone = jiff::tz::TimeZone::get(&p.time_zone).map_err(|_| {
            ConfigError::Invalid(vec![config::ConfigIssue {
                path: format!("portals.{}.time_zone", p.id),
                message: "unknown IANA time zone".into(),
            }])
        })?;
        quotas.push(PortalQuota {
            portal: p.id,
            quota: p.resolved_quota(cfg.replicas),
            search: p.search_quota.clone(),
            time_zone,
        });
        creds.push((p.id, load_credentials(p)?));
        playbooks.insert(p.id, p.playbook.clone());
    }
    Ok((quotas, creds, playbooks))
}

fn load_credentials(p: &PortalConfig) -> Result<Credentials, ConfigError> {
    let missing = || ConfigError::SecretUnavailable {
        source_name: format!("portal {} credentials", p.id),
    };
    match &p.auth {
        AuthConfig::PrivateApp { .. } => {
            let r = p.auth.token_ref().ok_or_else(missing)?;
            Ok(Credentials::PrivateApp(r.load()?))
        }
        AuthConfig::Oauth { client_id, .. } => {
            let (secret, refresh) = p.auth.oauth_refs().ok_or_else(missing)?;
            Ok(Credentials::OAuth {
                client_id: client_id.clone(),
                client_secret: secret.ok_or_else(missing)?.load()?,
                refresh_token: refresh.ok_or_else(missing)?.load()?,
            })
        }
    }
}
