//! Building and running the service: the store is opened and migrated, then the listeners a
//! caller hands in (public, and admin apart from it) are served until the shutdown token fires.
//! Tests pass port 0 and their own token; `main` binds the configured addresses and passes a
//! signal-driven token.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::admin::http::{AdminState, Live};
use crate::config::{AdminBind, LoadedConfig};
use crate::hubspot::client::{ClientDeps, HubspotClient, PortalId};
use crate::intake::{self, AppState, IntakeSettings};
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};
use crate::worker::pipeline::slack::SlackAlerts;
use crate::worker::pipeline::{Pipeline, PipelineParts, Rules, RulesHandle};
use crate::worker::settings::{QueueSettings, WorkerSettings};

mod background;
mod token_store;

pub use background::{Drive, Stepped};
pub use token_store::PersistentTokenStore;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("HubSpot client: {0}")]
    Hubspot(#[from] crate::hubspot::client::ConfigError),
    #[error("server error: {0}")]
    Serve(#[from] std::io::Error),
    #[error("server.admin_token_file: {0}")]
    AdminToken(String),
    /// `[alerts.slack]`'s secrets could not be read (they were there when checked).
    #[error("{0}")]
    SlackSecrets(String),
    #[error("cannot bind the admin listener {addr} (server.admin_bind)")]
    AdminBind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// A built service, ready to serve.
#[derive(Debug)]
pub struct Application {
    state: AppState,
    metrics: Arc<Metrics>,
    queue: QueueSettings,
    worker: WorkerSettings,
    /// The CRM client, when portals are configured.
    hubspot: Option<HubspotClient>,
    /// The handoff pipeline (needs the client).
    pipeline: Option<Arc<Pipeline>>,
    owners_refresh: Duration,
    admin_token: Option<secrecy::SecretString>,
    /// The configured portals with their time zones, for the admin routes (`/review` cuts
    /// its weeks in the portal's zone).
    time_zones: Vec<(PortalId, String)>,
    /// Each portal's Webhooks Journal settings (`worker::journal`).
    journals: Vec<(
        crate::hubspot::client::PortalId,
        crate::hubspot::client::JournalConfig,
    )>,
    request_timeout: Duration,
    shutdown_grace: Duration,
    /// The clock, and whether the worker runs its own loop.
    drive: Drive,
}

/// The CRM client, when portals are configured: on the service's clock, its tokens kept in
/// the store, counting into the service's metrics.
fn hubspot_client(
    cfg: &crate::hubspot::client::HubspotConfig,
    store: &Store,
    metrics: &Metrics,
    drive: &Drive,
) -> Result<Option<HubspotClient>, StartupError> {
    if cfg.portals.is_empty() {
        return Ok(None);
    }
    let http = HubspotClient::http_client(cfg)?;
    let deps = ClientDeps {
        clock: drive.clock.clone(),
        token_store: Arc::new(PersistentTokenStore::new(store.clone())),
        ..ClientDeps::default()
    };
    let client = HubspotClient::with_metrics(cfg, http, deps, metrics.hubspot.clone())?;
    Ok(Some(client))
}

/// The Slack click route's secrets and clock, and the alerts' client, when `[alerts.slack]` is
/// enabled: read again here (as the admin token is), so a secret that went missing since the
/// checks stops the start.
fn slack_parts(
    config: &LoadedConfig,
    drive: &Drive,
) -> Result<Option<(intake::SlackIntake, Arc<SlackAlerts>)>, StartupError> {
    let slack = &config.settings.alerts.slack;
    if !slack.enabled {
        return Ok(None);
    }
    let secrets = crate::config::slack_secrets(slack, &config.sources).map_err(|problems| {
        let text: Vec<String> = problems.iter().map(|(k, m)| format!("{k}: {m}")).collect();
        StartupError::SlackSecrets(text.join("; "))
    })?;
    let refresh_ms = config.settings.hubspot.owners_refresh_ms.max(1_000) as i64;
    let alerts = SlackAlerts::new(slack, secrets.bot_token, refresh_ms)
        .map_err(|e| StartupError::SlackSecrets(format!("alerts.slack: {e}")))?;
    let intake = intake::SlackIntake {
        signing_secrets: secrets.signing_secrets,
        clock: drive.clock.clone(),
    };
    Ok(Some((intake, Arc::new(alerts))))
}

/// The handoff pipeline, with the rules it reloads.
fn pipeline(
    config: &LoadedConfig,
    (client, slack): (HubspotClient, Option<Arc<SlackAlerts>>),
    (store, metrics, drive): (&Store, &Arc<Metrics>, &Drive),
) -> Arc<Pipeline> {
    let rules = RulesHandle::new(
        Rules {
            playbook: config.playbook.clone(),
            roster: config.roster.clone(),
        },
        config.sources.clone(),
        metrics.pipeline.rules_reloads.clone(),
    );
    Arc::new(Pipeline::new(PipelineParts {
        store: store.clone(),
        client,
        rules,
        settings: config.settings.pipeline.clone(),
        metrics: metrics.clone(),
        clock: drive.clock.clone(),
        slack,
    }))
}

/// Each portal's Webhooks Journal settings, watching the properties the playbook reads.
fn journals(
    config: &LoadedConfig,
) -> Vec<(
    crate::hubspot::client::PortalId,
    crate::hubspot::client::JournalConfig,
)> {
    let settings = &config.settings;
    let watched = crate::worker::journal::watched_properties(&config.playbook, &settings.pipeline);
    settings
        .hubspot
        .portals
        .iter()
        .map(|p| (p.id, p.journal.clone().with_default_properties(&watched)))
        .collect()
}

impl Application {
    /// Opens and migrates the store and assembles the routes' shared state.
    pub async fn build(config: LoadedConfig) -> Result<Self, StartupError> {
        Self::build_with(config, Drive::default()).await
    }

    /// [`Application::build`] driven as `drive` says: on its clock, and with the worker's loop
    /// or stepped by the caller ([`Application::stepped`]).
    pub async fn build_with(mut config: LoadedConfig, drive: Drive) -> Result<Self, StartupError> {
        let apps = std::mem::take(&mut config.webhook_apps);
        let settings = &config.settings;
        let store = Store::connect(&settings.store).await?;
        store.migrate().await?;
        let (slack_intake, slack_alerts) = slack_parts(&config, &drive)?.unzip();
        let intake = IntakeSettings {
            path: settings.webhook.path.clone(),
            public_url: settings.webhook.public_url.clone(),
            apps,
            timestamp_tolerance_ms: settings.webhook.timestamp_tolerance_ms,
            max_body_bytes: settings.webhook.max_body_bytes,
            slack: slack_intake,
        };
        let metrics = Arc::new(Metrics::new());
        let tiers = &config.playbook.doc.sla.tiers;
        metrics
            .pipeline
            .sla_tiers(tiers.iter().map(|t| t.id.as_str()));
        let hubspot = hubspot_client(&settings.hubspot, &store, &metrics, &drive)?;
        let pipeline = hubspot
            .clone()
            .map(|client| pipeline(&config, (client, slack_alerts), (&store, &metrics, &drive)));
        let portals: Vec<PortalId> = settings.hubspot.portals.iter().map(|p| p.id).collect();
        if pipeline.is_some() {
            let now = drive.clock.now().as_millisecond();
            crate::worker::pipeline::pause::fresh_start(&store, &portals, now).await;
        }
        let state = AppState::new(intake, store, metrics.clone());
        Ok(Self {
            state,
            metrics,
            queue: settings.queue.clone(),
            worker: settings.worker.clone(),
            hubspot,
            pipeline,
            // Read again here: a token file that became unreadable since the checks must not
            // leave the admin routes open.
            admin_token: crate::config::admin_token(&settings.server)
                .map_err(StartupError::AdminToken)?,
            time_zones: settings
                .hubspot
                .portals
                .iter()
                .map(|p| (p.id, p.time_zone.clone()))
                .collect(),
            journals: journals(&config),
            owners_refresh: Duration::from_millis(settings.hubspot.owners_refresh_ms.max(1_000)),
            request_timeout: Duration::from_millis(settings.server.request_timeout_ms),
            shutdown_grace: Duration::from_millis(settings.server.shutdown_grace_ms),
            drive,
        })
    }

    pub fn store(&self) -> &Store {
        self.state.store()
    }

    /// Binds the admin listener `server.admin_bind` names (`None` when it is `off`).
    pub async fn bind_admin(bind: AdminBind) -> Result<Option<TcpListener>, StartupError> {
        let Some(addr) = bind.addr() else {
            return Ok(None);
        };
        TcpListener::bind(addr)
            .await
            .map(Some)
            .map_err(|source| StartupError::AdminBind { addr, source })
    }

    /// Serves the admin routes on `listener` until `shutdown`.
    fn spawn_admin(&self, listener: TcpListener, shutdown: &CancellationToken) -> Server {
        let live = self.pipeline.as_ref().map(|p| Live {
            rules: p.rules().clone(),
            client: p.client().clone(),
            pauses: p.pauses().clone(),
        });
        let state = AdminState::new(
            self.admin_token.clone(),
            self.state.store().clone(),
            live,
            self.time_zones.clone(),
        );
        let router = crate::admin::http::router(state, self.request_timeout);
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(listen = %addr, token_required = self.admin_token.is_some(), "admin listener serving");
        }
        let server = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown.clone().cancelled_owned());
        tokio::spawn(async move { server.await })
    }

    /// `handoff work`: the worker and queue maintenance, with `/healthz`, `/readyz` and
    /// `/metrics` (no webhook route) on `probes` and the admin routes on `admin`, if given,
    /// until `shutdown`; running jobs drain within `worker.drain_ms`.
    pub async fn work(
        self,
        probes: Option<TcpListener>,
        admin: Option<TcpListener>,
        shutdown: CancellationToken,
    ) {
        let background = self.spawn_background(&shutdown);
        let admin = admin.map(|l| self.spawn_admin(l, &shutdown));
        let probes = probes.map(|listener| {
            let router = intake::probes_router(self.state.clone(), self.request_timeout);
            let server = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown.clone().cancelled_owned());
            tokio::spawn(async move { server.await })
        });
        shutdown.cancelled().await;
        for server in [admin, probes].into_iter().flatten() {
            let _ = stop(server, self.shutdown_grace).await;
        }
        background.finish().await;
        self.state.store().close().await;
        tracing::info!("store closed");
    }

    /// Serves the public routes on `listener` and the admin routes on `admin` until `shutdown`
    /// fires: then stops accepting, lets in-flight requests finish (at most the configured
    /// grace), and closes the store after its last commit.
    pub async fn serve(
        self,
        listener: TcpListener,
        admin: Option<TcpListener>,
        shutdown: CancellationToken,
    ) -> Result<(), StartupError> {
        let router = intake::router(self.state.clone(), self.request_timeout);
        let background = self.spawn_background(&shutdown);
        let admin = admin.map(|l| self.spawn_admin(l, &shutdown));
        let server = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown.clone().cancelled_owned());
        let mut server = tokio::spawn(async move { server.await });
        let result = tokio::select! {
            result = &mut server => result,
            () = shutdown.cancelled() => {
                tracing::info!(grace_ms = self.shutdown_grace.as_millis() as u64, "shutting down: draining in-flight requests");
                stop(server, self.shutdown_grace).await
            }
        };
        shutdown.cancel();
        if let Some(admin) = admin {
            let _ = stop(admin, self.shutdown_grace).await;
        }
        background.finish().await;
        self.state.store().close().await;
        tracing::info!("store closed");
        match result {
            Ok(served) => Ok(served?),
            Err(join) => Err(StartupError::Serve(std::io::Error::other(join.to_string()))),
        }
    }
}

/// A running HTTP server.
type Server = tokio::task::JoinHandle<std::io::Result<()>>;

/// Waits for a server that was told to shut down, at most `grace`; then cuts what is left.
async fn stop(
    mut server: Server,
    grace: Duration,
) -> Result<std::io::Result<()>, tokio::task::JoinError> {
    match tokio::time::timeout(grace, &mut server).await {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!("shutdown grace elapsed; closing remaining connections");
            server.abort();
            Ok(Ok(()))
        }
    }
}
