//! What the sandbox has counted since start or reset, for `GET /_sandbox/stats` and tests.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What the sandbox has seen since start or reset (`GET /_sandbox/stats`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// HubSpot API requests (CRM and OAuth), whatever their answer.
    pub requests: u64,
    /// Per route, e.g. `"POST /crm/v3/objects/contacts/batch/read"`.
    pub by_route: BTreeMap<String, u64>,
    /// 429s served (limits and injected).
    pub rate_limited: u64,
    /// 429s per policy: `TEN_SECONDLY_ROLLING`, `DAILY`, `SEARCH`.
    pub rate_limited_by_policy: BTreeMap<String, u64>,
    /// Injected 5xx answers.
    #[serde(rename = "injected5xx")]
    pub injected_5xx: u64,
    /// 401s.
    pub unauthorized: u64,
    /// Most authenticated non-search requests that arrived for one key within any window of
    /// the configured interval (429'd ones included).
    pub max_in_window: u64,
    /// Access tokens issued by `POST /oauth/v3/token`.
    pub tokens_issued: u64,
}

/// What the Slack stand-in has seen since start or reset (`GET /_sandbox/slack/stats`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SlackStats {
    /// Web API calls, whatever their answer.
    pub calls: u64,
    /// Per method, e.g. `"chat.postMessage"`.
    pub by_method: BTreeMap<String, u64>,
    /// Every 429 served: injected, or the per-channel pace.
    pub rate_limited: u64,
    /// The 429s of the per-channel pace alone.
    pub channel_rate_limited: u64,
    /// Injected `ok: false` answers.
    pub injected_errors: u64,
    /// Injected 5xx answers.
    pub injected_5xx: u64,
    /// Calls refused with `not_authed` or `invalid_auth`.
    pub unauthorized: u64,
    /// Messages posted (`chat.postMessage` successes).
    pub posted: u64,
    /// Messages updated (`chat.update` successes).
    pub updated: u64,
    /// Clicks sent to handoff by `POST /_sandbox/slack/click`.
    pub clicks: u64,
    /// The most posts one channel had within one pace window.
    pub max_channel_posts_in_window: u32,
}
