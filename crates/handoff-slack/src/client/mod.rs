//! The Slack Web API client for one workspace (worker → **slack client** → Slack; docs/slack.md
//! "Web API methods"): `users.lookupByEmail`, `conversations.open`, `chat.postMessage` and
//! `chat.update`, each behind the workspace's rate budget ([`BudgetSettings`]), each failure in
//! the closed set of [`SlackError`]. The client never retries by itself: a 429's `Retry-After`
//! comes back in [`SlackError::RateLimited`] for the caller to obey, and pauses that method in
//! the budget meanwhile.
//!
//! The bot token is a [`SecretString`]: it goes into the `Authorization` header (marked
//! sensitive) and nowhere else — not into `Debug`, errors or logs. The base URL is configurable,
//! so the sandbox or a test server can play Slack.

mod budget;
mod error;
mod methods;
mod transport;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

pub use budget::BudgetSettings;
pub use error::SlackError;
pub use methods::{PostMessage, Posted};

use budget::Budget;

/// Slack's Web API.
pub const DEFAULT_BASE_URL: &str = "https://slack.com/api/";

/// A Web API method handoff calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `users.lookupByEmail` (Tier 3).
    LookupByEmail,
    /// `conversations.open` (Tier 3).
    ConversationsOpen,
    /// `chat.postMessage` (special: per channel).
    PostMessage,
    /// `chat.update` (Tier 3).
    Update,
}

impl Method {
    /// Slack's name for it, the last segment of its URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LookupByEmail => "users.lookupByEmail",
            Self::ConversationsOpen => "conversations.open",
            Self::PostMessage => "chat.postMessage",
            Self::Update => "chat.update",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to reach Slack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackSettings {
    /// The Web API's base URL, [`DEFAULT_BASE_URL`] unless a stand-in plays Slack.
    pub base_url: String,
    /// The longest one call may take, connecting included.
    pub timeout: Duration,
    /// The workspace's rate budget.
    pub budget: BudgetSettings,
}

impl Default for SlackSettings {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: Duration::from_secs(10),
            budget: BudgetSettings::default(),
        }
    }
}

/// Why a client could not be built (a configuration error; the token is never shown).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The base URL is not an absolute `http(s)` URL.
    #[error("base_url {0:?} is not an absolute http(s) URL")]
    BaseUrl(String),
    /// The token is empty or holds characters an HTTP header cannot carry.
    #[error("the bot token is empty or holds characters an HTTP header cannot carry")]
    Token,
    /// The HTTP client could not be set up.
    #[error("the HTTP client could not be set up")]
    Http,
}

/// One workspace's client; cheap to clone (the clones share the budget).
#[derive(Clone)]
pub struct SlackClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    token: SecretString,
    budget: Budget,
}

impl fmt::Debug for SlackClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackClient")
            .field("base_url", &self.inner.base.as_str())
            .field("token", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl SlackClient {
    /// A client for the workspace whose bot token (`xoxb-…`) this is.
    pub fn new(token: SecretString, settings: &SlackSettings) -> Result<Self, BuildError> {
        let mut base = Url::parse(&settings.base_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .ok_or_else(|| BuildError::BaseUrl(settings.base_url.clone()))?;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        if token.expose_secret().trim().is_empty() || bearer(&token).is_none() {
            return Err(BuildError::Token);
        }
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .build()
            .map_err(|_| BuildError::Http)?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base,
                token,
                budget: Budget::new(&settings.budget),
            }),
        })
    }
}

/// `Bearer <token>`, marked sensitive so no `Debug` of a request shows it.
fn bearer(token: &SecretString) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).ok()?;
    value.set_sensitive(true);
    Some(value)
}

#[cfg(test)]
mod tests;
