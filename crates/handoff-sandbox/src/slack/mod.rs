//! The Slack stand-in (docs/slack.md "The stand-in"): the far end of handoff's Slack client
//! (worker → slack client → **Slack**), played locally, plus Slack's other side, the signed click.
//! Like the HubSpot side it imports nothing of the service, not even `handoff-slack`'s signer or
//! parser; the crate's tests prove it compatible with them (`tests/slack.rs`).
//!
//! - `api.rs`: `/api/users.lookupByEmail`, `/api/conversations.open`, `/api/chat.postMessage`,
//!   `/api/chat.update` in Slack's shapes (`{"ok": false, "error": "users_not_found"}`, 429 with
//!   `Retry-After`), behind the bot token, the injected faults (`faults.rs`) and the per-channel
//!   pace (`pace.rs`). With a client's base URL set to `<sandbox>/api/`, the real client talks
//!   to it.
//! - `users.rs`: the workspace's people, derived from the sandbox's owners.
//! - `messages.rs`: every message posted and updated, readable by tests and the demo.
//! - `click.rs` + `signing.rs`: `POST /_sandbox/slack/click` builds the `block_actions` payload
//!   of a click on a stored message's button, signs it as Slack does and posts it to handoff.
//! - `control.rs`: `/_sandbox/slack/…` (no auth; Slack's snake_case field names): messages,
//!   click, faults, stats, the interactions URL.
//! - `config.rs`: [`SlackConfig`], part of the sandbox's config.
//!
//! New dependencies: `hex` (the signature's digest) and `form_urlencoded` (the click's form body
//! and `conversations.open`'s), both already in the workspace for the Slack crate.

mod api;
mod click;
mod config;
mod control;
mod faults;
mod messages;
mod pace;
mod signing;
mod users;

use std::collections::BTreeSet;

use tokio::time::Instant;

pub use click::{ClickAction, ClickError, ClickOutcome, MessageRef, SlackClick};
pub use config::{ChannelRate, SlackConfig};
pub use faults::{SlackAnswer, SlackFault};
pub use messages::SlackMessage;
pub use signing::sign_slack_v0;

pub(crate) use api::router as api_router;
pub(crate) use control::router as control_router;

use super::Sandbox;
use super::stats::SlackStats;
use super::views::ControlError;
use users::Directory;

/// The Slack stand-in's state, behind one lock: every decision in arrival order.
#[derive(Debug)]
pub(crate) struct Slack {
    faults: faults::Faults,
    pace: pace::Pace,
    messages: messages::Messages,
    /// DMs opened with `conversations.open` (a second open says `already_open`).
    opened: BTreeSet<String>,
    interactions_url: Option<String>,
    pub(crate) stats: SlackStats,
}

impl Slack {
    /// As configured: no messages, zero stats, the configured faults active from `now`.
    pub(crate) fn new(cfg: &SlackConfig, now: Instant) -> Self {
        Self {
            faults: faults::Faults::new(cfg.faults.clone(), now),
            pace: pace::Pace::new(cfg.channel_rate.clone()),
            messages: messages::Messages::default(),
            opened: BTreeSet::new(),
            interactions_url: cfg.interactions_url.clone(),
            stats: SlackStats::default(),
        }
    }

    fn count(&mut self, method: &str) {
        self.stats.calls += 1;
        *self.stats.by_method.entry(method.to_owned()).or_default() += 1;
    }
}

impl Sandbox {
    /// The workspace's users now (owners as they are now).
    pub(crate) fn directory(&self) -> Directory {
        Directory::new(&self.crm().owners, &self.config().slack)
    }

    /// Every message, in post order.
    pub fn slack_messages(&self) -> Vec<SlackMessage> {
        self.slack().messages.all().to_vec()
    }

    /// Slack counters since start or reset.
    pub fn slack_stats(&self) -> SlackStats {
        let slack = self.slack();
        SlackStats {
            max_channel_posts_in_window: slack.pace.max_in_window,
            ..slack.stats.clone()
        }
    }

    /// The faults still in force (`times` and `for_ms` as what is left).
    pub fn slack_faults(&self) -> Vec<SlackFault> {
        self.slack().faults.view(Instant::now())
    }

    /// Replaces the faults; counts and periods start now.
    pub fn set_slack_faults(&self, faults: Vec<SlackFault>) -> Result<(), ControlError> {
        for (i, f) in faults.iter().enumerate() {
            f.validate()
                .map_err(|e| ControlError::Invalid(format!("faults[{i}]: {e}")))?;
        }
        self.slack().faults = faults::Faults::new(faults, Instant::now());
        Ok(())
    }

    /// Where clicks go: handoff's interactivity Request URL, once it listens.
    pub fn set_slack_interactions_url(&self, url: &str) -> Result<(), ControlError> {
        config::check_url(url).map_err(ControlError::Invalid)?;
        self.slack().interactions_url = Some(url.to_owned());
        Ok(())
    }
}
