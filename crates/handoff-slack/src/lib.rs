//! Everything that speaks Slack's protocol, for lead alerts where reps work (issue #18): the
//! interactivity request's signature (Slack → intake), the click it carries, the Block Kit
//! messages handoff sends, and the Web API client (worker → **slack client** → Slack) with its
//! per-workspace rate budget. Nothing here decides anything about leads — which alert goes
//! where, and what a click does, is the service's — and nothing here knows the store
//! (docs/architecture.md "Crates"; Slack's facts in docs/slack.md).
//!
//! # Layout
//! - [`signature`]: the `v0` request signature (pure; no clock, `now` is passed in).
//! - [`interaction`]: a verified `block_actions` body → a [`interaction::Click`].
//! - [`blocks`]: the assignment DM, re-ping, escalation, channel fallback and "acted" update,
//!   within Block Kit's limits; text rules in `mrkdwn`.
//! - [`client`]: `users.lookupByEmail`, `conversations.open`, `chat.postMessage`, `chat.update`;
//!   failures as a closed set; one rate budget per workspace.
//! - [`ids`]: Slack's ids and the lead reference handoff writes into its buttons.
//!
//! Items are `pub(crate)` unless the service uses them across the crate edge.

#![warn(unreachable_pub)]

pub mod blocks;
pub mod client;
pub mod ids;
pub mod interaction;
pub(crate) mod mrkdwn;
pub mod signature;

/// The path of the interactivity Request URL the service serves (the app manifest's
/// `settings.interactivity.request_url` ends with it; docs/slack.md "The app manifest").
pub const INTERACTIONS_PATH: &str = "/slack/interactions";

#[cfg(test)]
mod tests {
    /// deploy/slack/manifest.yaml, the app an admin creates (docs/slack.md "The app manifest").
    fn manifest() -> String {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../deploy/slack/manifest.yaml"
        );
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn the_app_manifest_sends_clicks_to_the_interactions_route() {
        let manifest = manifest();
        let urls: Vec<&str> = manifest
            .lines()
            .filter_map(|l| l.trim().strip_prefix("request_url:"))
            .map(str::trim)
            .collect();
        assert_eq!(urls.len(), 1, "{urls:?}");
        assert!(urls[0].starts_with("https://"), "{}", urls[0]);
        assert!(urls[0].ends_with(super::INTERACTIONS_PATH), "{}", urls[0]);
        let events = manifest
            .lines()
            .any(|l| l.trim_start().starts_with("event_subscriptions:"));
        assert!(!events, "handoff receives no events");
    }

    #[test]
    fn the_app_manifest_asks_for_the_scopes_of_the_methods_the_client_calls() {
        let manifest = manifest();
        let scopes: Vec<&str> = manifest
            .lines()
            .filter_map(|l| l.trim().strip_prefix("- "))
            .collect();
        assert_eq!(
            scopes,
            ["chat:write", "im:write", "users:read", "users:read.email"]
        );
    }
}
