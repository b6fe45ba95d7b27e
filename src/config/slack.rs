//! `[alerts.slack]`: lead alerts in Slack (issue #18), off unless `enabled`. Typed here, checked
//! with every other section, and its two secrets — the bot token and the signing secrets — are
//! named (an environment variable or a file), never written: a file that writes one is refused
//! (`source.rs`). They are read only by the commands that use them (`serve`, `work`), and kept
//! in `SecretString`s.
//!
//! One section for every portal: the configuration has no per-portal section of its own
//! (`[[hubspot.portals]]` belongs to the HubSpot client, which knows nothing of Slack), so a
//! per-portal override waits until there is one.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::{Deserialize, Deserializer};

use super::load::ConfigSources;
use super::validate::{check_url, env_secret, read_secret};
use super::{Purpose, Settings};
use crate::engine::playbook::check_slack_channel;

/// `[alerts]`: where alerts go besides HubSpot tasks.
#[derive(Debug, Clone, Deserialize)]
pub struct AlertsSettings {
    pub slack: SlackAlertsSettings,
}

/// `[alerts.slack]`.
#[derive(Debug, Clone, Deserialize)]
pub struct SlackAlertsSettings {
    /// Off: nothing of Slack runs, `POST /slack/interactions` answers 404 and no table is read.
    pub enabled: bool,
    /// The variable holding the bot token (`xoxb-…`), or the file holding it: exactly one.
    pub bot_token_env: Option<String>,
    pub bot_token_file: Option<PathBuf>,
    /// The variables (or files) holding the app's signing secrets: one, or several while a
    /// secret is regenerated (a request signed with any of them is accepted). A name or a list.
    #[serde(default, deserialize_with = "one_or_many")]
    pub signing_secret_env: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub signing_secret_file: Vec<String>,
    /// The team channel for leads whose owner has no Slack account: `#name` or a channel id
    /// (`C…`, `G…`); "" for none.
    pub default_channel: String,
    /// Which alerts are sent: `assigned` (the owner's DM when a lead is handed off) and
    /// `ladder` (the SLA ladder's steps that name an `alert`).
    pub events: Vec<AlertEvent>,
    /// Slack's Web API (docs/slack.md "Web API methods"); the sandbox's `/api/` in development.
    pub base_url: String,
    /// HubSpot's app, for the alert's link to the contact's record (`https://app.hubspot.com`;
    /// `https://app-eu1.hubspot.com` for a portal hosted in the EU).
    pub hubspot_app_url: String,
}

/// An alert kind `events` may list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertEvent {
    Assigned,
    Ladder,
}

/// A name or a list of names; a name may list several, comma-separated (as an environment
/// variable would: `HANDOFF__ALERTS__SLACK__SIGNING_SECRET_ENV=NEW,OLD`).
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    let names = match OneOrMany::deserialize(d)? {
        OneOrMany::One(text) => text.split(',').map(str::to_owned).collect(),
        OneOrMany::Many(list) => list,
    };
    Ok(names
        .into_iter()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect())
}

/// The secrets of an enabled `[alerts.slack]`, read afresh where they are used.
#[derive(Debug, Clone)]
pub struct SlackSecrets {
    pub bot_token: SecretString,
    /// Every configured signing secret, in the order written (variables first).
    pub signing_secrets: Vec<SecretString>,
}

const KEY: &str = "alerts.slack";

/// Reads the bot token and the signing secrets; each problem names its key and the variable or
/// file, never a value.
pub fn slack_secrets(
    slack: &SlackAlertsSettings,
    sources: &ConfigSources,
) -> Result<SlackSecrets, Vec<(String, String)>> {
    let mut problems = Vec::new();
    let bot_token = match (&slack.bot_token_env, &slack.bot_token_file) {
        (Some(name), None) => env_secret(sources, name)
            .map_err(|e| problems.push((format!("{KEY}.bot_token_env"), e)))
            .ok(),
        (None, Some(path)) => read_secret(path)
            .map_err(|e| problems.push((format!("{KEY}.bot_token_file"), e)))
            .ok(),
        _ => {
            problems.push((
                KEY.to_owned(),
                "set exactly one of bot_token_env or bot_token_file".into(),
            ));
            None
        }
    };
    let mut signing_secrets = Vec::new();
    // The message names the variable or file, so the key needs no index (a single name has
    // none to point at).
    for name in &slack.signing_secret_env {
        match env_secret(sources, name) {
            Ok(secret) => signing_secrets.push(secret),
            Err(e) => problems.push((format!("{KEY}.signing_secret_env"), e)),
        }
    }
    for path in &slack.signing_secret_file {
        match read_secret(std::path::Path::new(path)) {
            Ok(secret) => signing_secrets.push(secret),
            Err(e) => problems.push((format!("{KEY}.signing_secret_file"), e)),
        }
    }
    if slack.signing_secret_env.is_empty() && slack.signing_secret_file.is_empty() {
        problems.push((
            format!("{KEY}.signing_secret_env"),
            "no signing secret: name its variable with signing_secret_env or its file with \
             signing_secret_file (Slack app: Basic Information, App Credentials)"
                .into(),
        ));
    }
    match (bot_token, problems.is_empty()) {
        (Some(bot_token), true) => Ok(SlackSecrets {
            bot_token,
            signing_secrets,
        }),
        _ => Err(problems),
    }
}

/// Checks `[alerts.slack]`: the shapes always (the defaults pass), the secrets only when it is
/// enabled and `purpose` runs the service.
pub(super) fn validate(
    settings: &Settings,
    (sources, purpose): (&ConfigSources, Purpose),
    p: &mut dyn FnMut(&str, String),
) {
    let slack = &settings.alerts.slack;
    if let Err(message) = check_url(&slack.base_url) {
        p(&format!("{KEY}.base_url"), message);
    }
    if let Err(message) = check_url(&slack.hubspot_app_url) {
        p(&format!("{KEY}.hubspot_app_url"), message);
    }
    if !slack.default_channel.is_empty()
        && let Err(message) = check_slack_channel(&slack.default_channel)
    {
        p(&format!("{KEY}.default_channel"), message);
    }
    if slack.enabled && settings.webhook.path == crate::slack::INTERACTIONS_PATH {
        p(
            "webhook.path",
            format!(
                "{} is Slack's click route while [alerts.slack] is enabled; choose another path",
                crate::slack::INTERACTIONS_PATH
            ),
        );
    }
    if slack.enabled
        && purpose.receives_webhooks()
        && let Err(problems) = slack_secrets(slack, sources)
    {
        for (key, message) in problems {
            p(&key, message);
        }
    }
}
