//! Lead alerts in Slack, the worker's side (issue #18; docs/slack.md): which alerts a handoff
//! is due and when they are claimed (`claim.rs`), what an alert says (`lead.rs`), who it goes
//! to (`people.rs`), how the alerts lane sends one (`send.rs`) and applies a click
//! (`clicks.rs`, `click_effects.rs`), and what a Slack failure leads to (`retry.rs`).
//!
//! Never in the way: the handoff steps only claim an alert (a row and its job, in the store),
//! and everything that talks to Slack runs in the `alerts` lane, on Slack's budget and its own
//! retry schedule, so Slack being slow, down or refusing the token never holds up a HubSpot
//! write. The protocol (signing, Block Kit, the Web API client and its rate budget) is the
//! `handoff-slack` crate's.

mod address;
pub(crate) mod claim;
mod click_effects;
pub(crate) mod clicks;
mod lead;
mod lead_stage;
mod people;
mod retry;
pub(crate) mod send;

use handoff_slack::blocks::DispositionReasons;
use handoff_slack::client::{BuildError, SlackClient, SlackSettings};
use handoff_slack::ids::Conversation;
use secrecy::SecretString;

use crate::config::{AlertEvent, SlackAlertsSettings};
use crate::engine::Playbook;

/// Slack alerts as this process sends them: the workspace's client and what the section says.
#[derive(Debug)]
pub struct SlackAlerts {
    client: SlackClient,
    /// The owner's DM on assignment (`events` lists `assigned`).
    assigned: bool,
    /// Ladder steps that name an `alert` (`events` lists `ladder`).
    ladder: bool,
    /// Where a lead goes whose owner has no Slack account.
    default_channel: Option<Conversation>,
    /// HubSpot's app, for the links to the contact's record.
    app_url: String,
    /// How long an owner's Slack user is trusted before it is looked up again.
    user_refresh_ms: i64,
    /// One lookup of an owner at a time in this process: the alerts of one owner that run at
    /// the same moment wait for the first lookup's answer instead of each asking Slack.
    lookups: people::Lookups,
}

impl SlackAlerts {
    /// The alerts of an enabled `[alerts.slack]`, sending with `token`; owners' Slack users are
    /// looked up again after `user_refresh_ms` (the owners cache's interval).
    pub fn new(
        settings: &SlackAlertsSettings,
        token: SecretString,
        user_refresh_ms: i64,
    ) -> Result<Self, BuildError> {
        let client = SlackClient::new(
            token,
            &SlackSettings {
                base_url: settings.base_url.clone(),
                ..SlackSettings::default()
            },
        )?;
        Ok(Self {
            client,
            assigned: settings.events.contains(&AlertEvent::Assigned),
            ladder: settings.events.contains(&AlertEvent::Ladder),
            // Checked with the configuration: a channel that does not parse is none.
            default_channel: Conversation::parse(&settings.default_channel).ok(),
            app_url: settings.hubspot_app_url.trim_end_matches('/').to_owned(),
            user_refresh_ms,
            lookups: people::Lookups::default(),
        })
    }

    /// The **Not a fit** reasons the playbook offers (checked with the playbook; a list Slack
    /// could not show is offered as none).
    pub(crate) fn reasons(playbook: &Playbook) -> DispositionReasons {
        let pairs = playbook
            .doc
            .dispositions
            .reasons
            .iter()
            .map(|r| (r.value.trim().to_owned(), r.label.clone()));
        DispositionReasons::new(pairs).unwrap_or_default()
    }
}
