//! What every handler shares.

use std::sync::Arc;

use crate::hubspot::signature::AppKey;
use crate::metrics::Metrics;
use crate::store::Store;

/// Settings of the webhook route, resolved from the configuration.
#[derive(Debug, Clone)]
pub struct IntakeSettings {
    pub path: String,
    /// The URI HubSpot signs: the target URL configured there.
    pub public_url: String,
    pub apps: Vec<AppKey>,
    pub timestamp_tolerance_ms: i64,
    pub max_body_bytes: usize,
    /// `POST /slack/interactions`, when `[alerts.slack]` is enabled.
    pub slack: Option<super::slack::SlackIntake>,
}

#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: IntakeSettings,
    store: Store,
    metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(settings: IntakeSettings, store: Store, metrics: Arc<Metrics>) -> Self {
        Self {
            inner: Arc::new(Inner {
                settings,
                store,
                metrics,
            }),
        }
    }

    pub fn settings(&self) -> &IntakeSettings {
        &self.inner.settings
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }
}

/// Wall-clock milliseconds since the Unix epoch, as HubSpot's timestamps are.
pub(crate) fn now_ms() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    now.map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
