//! What the Slack stand-in starts with (`SandboxConfig::slack`): the bot token it accepts, the
//! signing secret its clicks carry, where handoff's interactions route is, the workspace's team
//! id, which owners have no Slack account, time zones, channels, the per-channel post rate and
//! faults active from the start. Secrets are [`SecretString`]s, as the service's are: the stand-in
//! never prints them.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::faults::SlackFault;

/// The Slack side of a sandbox.
#[derive(Debug, Clone)]
pub struct SlackConfig {
    /// The bot token (`xoxb-…`) Web API calls must carry; `None` = any non-empty token (as
    /// HubSpot's `tokens` when empty).
    pub bot_token: Option<SecretString>,
    /// The app's signing secret: clicks are signed with it. Without one, clicks are refused.
    pub signing_secret: Option<SecretString>,
    /// handoff's interactivity Request URL (`http://…/slack/interactions`); can be set later,
    /// once handoff listens (`PUT /_sandbox/slack/interactions-url`).
    pub interactions_url: Option<String>,
    /// The workspace (`T…`).
    pub team_id: String,
    /// Owners (HubSpot owner ids) with no Slack account: `users.lookupByEmail` finds no user.
    pub without_account: Vec<u64>,
    /// Every user's `tz` unless `time_zones` names one (an IANA name).
    pub time_zone: String,
    /// `tz` per owner id.
    pub time_zones: BTreeMap<u64, String>,
    /// Channels (`C…`/`G…`) the bot is a member of.
    pub channels: Vec<String>,
    /// Channels that exist but the bot is not in: posts get `not_in_channel`.
    pub channels_not_joined: Vec<String>,
    /// The per-channel post rate above which `chat.postMessage` answers 429.
    pub channel_rate: ChannelRate,
    /// Faults active from the start (and after a reset).
    pub faults: Vec<SlackFault>,
}

impl Default for SlackConfig {
    fn default() -> Self {
        Self {
            bot_token: None,
            signing_secret: None,
            interactions_url: None,
            team_id: "T0SANDBOX".into(),
            without_account: Vec::new(),
            time_zone: "UTC".into(),
            time_zones: BTreeMap::new(),
            channels: vec!["C0TEAM".into()],
            channels_not_joined: Vec::new(),
            channel_rate: ChannelRate::default(),
            faults: Vec::new(),
        }
    }
}

/// A test double's config compares its secrets too (they are test values).
impl PartialEq for SlackConfig {
    fn eq(&self, other: &Self) -> bool {
        let same = |a: &Option<SecretString>, b: &Option<SecretString>| {
            a.as_ref().map(ExposeSecret::expose_secret)
                == b.as_ref().map(ExposeSecret::expose_secret)
        };
        same(&self.bot_token, &other.bot_token)
            && same(&self.signing_secret, &other.signing_secret)
            && self.interactions_url == other.interactions_url
            && self.team_id == other.team_id
            && self.without_account == other.without_account
            && self.time_zone == other.time_zone
            && self.time_zones == other.time_zones
            && self.channels == other.channels
            && self.channels_not_joined == other.channels_not_joined
            && self.channel_rate == other.channel_rate
            && self.faults == other.faults
    }
}

/// Slack's "about one message a second per channel, bursts allowed" (docs/slack.md "Rate
/// limits"), played as: more than `posts` posts to one channel within any `window_ms` is
/// answered 429. The default (6 in 5 s) never refuses a client that keeps one a second, timer
/// jitter included, and refuses a burst of seven.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelRate {
    /// Posts allowed per window.
    pub posts: u32,
    /// The rolling window.
    pub window_ms: u64,
}

impl Default for ChannelRate {
    fn default() -> Self {
        Self {
            posts: 6,
            window_ms: 5_000,
        }
    }
}

/// Slack's id shape: upper-case letters and digits starting with one of `prefixes`.
pub(crate) fn is_id(s: &str, prefixes: &[char]) -> bool {
    (2..=32).contains(&s.len())
        && s.starts_with(prefixes)
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl SlackConfig {
    /// Every problem, each naming its field.
    pub fn validate(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        if !is_id(&self.team_id, &['T', 'E']) {
            problems.push(format!("slack.team_id {:?} is not a T… id", self.team_id));
        }
        for c in self.channels.iter().chain(&self.channels_not_joined) {
            if !is_id(c, &['C', 'G']) {
                problems.push(format!("slack channel {c:?} is not a C… or G… id"));
            }
        }
        let zones = std::iter::once(("slack.time_zone".to_owned(), &self.time_zone))
            .chain((self.time_zones.iter()).map(|(id, tz)| (format!("slack.time_zones.{id}"), tz)));
        for (key, tz) in zones {
            if jiff::tz::TimeZone::get(tz).is_err() {
                problems.push(format!("{key}: {tz:?} is not a known time zone"));
            }
        }
        if let Some(url) = &self.interactions_url {
            check_url(url)
                .unwrap_or_else(|e| problems.push(format!("slack.interactions_url: {e}")));
        }
        if self.channel_rate.posts == 0 || self.channel_rate.window_ms == 0 {
            problems.push("slack.channel_rate: posts and window_ms must be positive".into());
        }
        for (i, f) in self.faults.iter().enumerate() {
            f.validate()
                .unwrap_or_else(|e| problems.push(format!("slack.faults[{i}]: {e}")));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

/// An absolute `http(s)` URL.
pub(crate) fn check_url(url: &str) -> Result<(), String> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(()),
        _ => Err(format!("{url:?} is not an absolute http(s) URL")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_team_channel_zone_url_or_rate_is_reported_by_field_all_at_once() {
        assert_eq!(SlackConfig::default().validate(), Ok(()));
        let bad = SlackConfig {
            team_id: "acme".into(),
            channels: vec!["#sales".into()],
            time_zones: BTreeMap::from([(101, "Mars/Olympus".into())]),
            interactions_url: Some("localhost:8080".into()),
            channel_rate: ChannelRate {
                posts: 0,
                window_ms: 1,
            },
            ..SlackConfig::default()
        };
        let err = bad.validate().unwrap_err();
        for key in [
            "slack.team_id",
            "\"#sales\"",
            "slack.time_zones.101",
            "slack.interactions_url",
            "slack.channel_rate",
        ] {
            assert!(err.contains(key), "{key} missing from {err}");
        }
    }

    #[test]
    fn the_secrets_never_show_in_debug() {
        let cfg = SlackConfig {
            bot_token: Some(SecretString::from("xoxb-very-secret")),
            signing_secret: Some(SecretString::from("signing-very-secret")),
            ..SlackConfig::default()
        };
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
    }
}
