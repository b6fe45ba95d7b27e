//! Lead alerts in Slack end to end: the sandbox plays HubSpot and Slack, `serve` runs with
//! `[alerts.slack]` on, and a rep acts in Slack as a person would (the stand-in signs each
//! click and posts it to handoff's interactions route). `buttons.rs`: each button, a second
//! and a stale click, a click by someone else; `faults.rs`: a rep without Slack, a crash
//! between storing and applying a click, a post cut off mid-call, Slack outages and 429s while
//! handoffs go on; `ladder.rs`: the ladder's alerts and the HubSpot Lead's stage.

mod buttons;
mod faults;
mod ladder;

use handoff::demo::EnvOptions;
use handoff::demo::slack::Button;
use handoff::store::ledger::HandoffRow;
use handoff_ids::{ContactId, PortalId};
use serde_json::Value;

use crate::support::world::start_with;

pub(super) const PORTAL: u64 = 62515;

pub(super) async fn slack_world(
    dir: &std::path::Path,
    speed: handoff::demo::setup::Speed,
) -> handoff::demo::DemoEnv {
    start_with(
        dir,
        EnvOptions {
            speed,
            slack: true,
            ..EnvOptions::default()
        },
    )
    .await
}

pub(super) fn lead(id: i64) -> (PortalId, ContactId) {
    (
        PortalId::new(PORTAL).unwrap(),
        ContactId::try_from(id).unwrap(),
    )
}

/// The owner's Slack user and DM in the stand-in (derived from the HubSpot owner id).
pub(super) fn slack_of(row: &HandoffRow) -> (String, String) {
    (format!("U{}", row.owner_id), format!("D{}", row.owner_id))
}

/// The alerts handoff posted in a conversation (its top-level messages), oldest first.
pub(super) async fn bot_messages(env: &handoff::demo::DemoEnv, channel: &str) -> Vec<Value> {
    env.slack_messages(Some(channel))
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m["user"] == "U0HANDOFF" && m["thread_ts"].is_null())
        .collect()
}

/// Every text of a message's blocks, in one string.
pub(super) fn blocks_text(m: &Value) -> String {
    m["blocks"].to_string()
}

pub(super) fn at(m: &Value) -> (String, String) {
    (
        m["channel"].as_str().unwrap().to_owned(),
        m["ts"].as_str().unwrap().to_owned(),
    )
}

pub(super) async fn click(env: &handoff::demo::DemoEnv, m: &Value, button: Button, user: &str) {
    let (channel, ts) = at(m);
    let status = env
        .slack_click((&channel, &ts), button, user)
        .await
        .unwrap();
    assert_eq!(status, 200, "handoff took the click");
}

pub(super) async fn click_outcomes(
    env: &handoff::demo::DemoEnv,
    id: i64,
) -> Vec<(String, Option<String>)> {
    let (p, c) = lead(id);
    env.store
        .slack()
        .clicks_of(p, c)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.action, c.outcome))
        .collect()
}
