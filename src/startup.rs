//! Building and running the service: the store is opened and migrated, then the listener a
//! caller hands in is served until the shutdown token fires. Tests pass port 0 and their own
//! token; `main` passes the configured address and a signal-driven token.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::{LoadedConfig, QueueSettings};
use crate::intake::{self, AppState, IntakeSettings};
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("server error: {0}")]
    Serve(#[from] std::io::Error),
}

/// A built service, ready to serve.
#[derive(Debug)]
pub struct Application {
    state: AppState,
    metrics: Arc<Metrics>,
    queue: QueueSettings,
    request_timeout: Duration,
    shutdown_grace: Duration,
}

impl Application {
    /// Opens and migrates the store and assembles the routes' shared state.
    pub async fn build(config: LoadedConfig) -> Result<Self, StartupError> {
        let settings = config.settings;
        let store = Store::connect(&settings.store).await?;
        store.migrate().await?;
        let intake = IntakeSettings {
            path: settings.webhook.path.clone(),
            public_url: settings.webhook.public_url.clone(),
            apps: config.webhook_apps,
            timestamp_tolerance_ms: settings.webhook.timestamp_tolerance_ms,
            max_body_bytes: settings.webhook.max_body_bytes,
        };
        let metrics = Arc::new(Metrics::new());
        let state = AppState::new(intake, store, metrics.clone());
        Ok(Self {
            state,
            metrics,
            queue: settings.queue.clone(),
            request_timeout: Duration::from_millis(settings.server.request_timeout_ms),
            shutdown_grace: Duration::from_millis(settings.server.shutdown_grace_ms),
        })
    }

    pub fn store(&self) -> &Store {
        self.state.store()
    }

    /// Serves until `shutdown` fires: then stops accepting, lets in-flight requests finish
    /// (at most the configured grace), and closes the store after its last commit.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> Result<(), StartupError> {
        let router = intake::router(self.state.clone(), self.request_timeout);
        let maintenance = tokio::spawn(crate::worker::maintenance::run(
            self.state.store().clone(),
            self.queue.clone(),
            self.metrics.clone(),
            shutdown.child_token(),
        ));
        let server = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown.clone().cancelled_owned());
        let mut server = tokio::spawn(async move { server.await });
        let result = tokio::select! {
            result = &mut server => result,
            () = shutdown.cancelled() => {
                tracing::info!(grace_ms = self.shutdown_grace.as_millis() as u64, "shutting down: draining in-flight requests");
                match tokio::time::timeout(self.shutdown_grace, &mut server).await {
                    Ok(result) => result,
                    Err(_) => {
                        tracing::warn!("shutdown grace elapsed; closing remaining connections");
                        server.abort();
                        Ok(Ok(()))
                    }
                }
            }
        };
        maintenance.abort();
        let _ = maintenance.await;
        self.state.store().close().await;
        tracing::info!("store closed");
        match result {
            Ok(served) => Ok(served?),
            Err(join) => Err(StartupError::Serve(std::io::Error::other(join.to_string()))),
        }
    }
}
