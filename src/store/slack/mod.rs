//! Lead alerts in Slack as the store keeps them (migrations 0015, 0016): each owner's Slack user
//! (`users.rs`), each alert a handoff is due (`alerts.rs`: claimed before it is posted, so a
//! step is sent at most once) and the clicks `POST /slack/interactions` took (`clicks.rs`:
//! stored before its 200, applied later by the worker). A new alert or click is a job of the
//! alerts lane, inserted with its row in one transaction, so neither is ever stored without the
//! work that sends or applies it. Typed HubSpot ids (a row whose id is not an id fails to load),
//! Slack's ids as text: the store knows neither Slack nor HTTP. One statement per query for
//! both engines.

mod alerts;
mod clicks;
mod users;

use handoff_ids::{ContactId, PortalId};
use serde::Serialize;

use super::NewJob;
use super::StoreError;
use super::dispatch::Db;
use super::queue::Scheduled;

pub use alerts::{AlertKey, AlertRow, NewAlert};
pub use clicks::{ClickRow, NewClick};
pub use users::{NO_SLACK_USER, SlackUserRow};

/// The lane that sends alerts and applies clicks (`jobs::LANE_ALERTS`).
pub const LANE_ALERTS: &str = "alerts";
/// A job that sends one alert: payload `{"alertId": n}`.
pub const KIND_SLACK_ALERT: &str = "slack_alert.v1";
/// A job that applies one click: payload `{"clickId": n}`.
pub const KIND_SLACK_CLICK: &str = "slack_click.v1";

/// Alert and click jobs are retried on the alert lane's own schedule, which gives up by itself
/// (`worker::alerts`); this only keeps a runaway job from living for ever.
const MAX_ATTEMPTS: i64 = 100;

/// The Slack part of a [`super::Store`].
#[derive(Debug, Clone, Copy)]
pub struct Slack<'s> {
    pub(in crate::store) db: &'s Db,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AlertPayload {
    alert_id: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClickPayload {
    click_id: i64,
}

/// The job of a new alert (`alert = true`) or click row: keyed per lead and kind, so one lead's
/// alerts go out in order (a re-ping after its DM) and its clicks apply one at a time, while a
/// retrying alert never holds a click back.
fn job(
    alert: bool,
    id: i64,
    (portal, contact): (PortalId, ContactId),
    run_at_ms: i64,
) -> Result<Scheduled, StoreError> {
    let (key, kind, payload) = if alert {
        let p = serde_json::value::to_raw_value(&AlertPayload { alert_id: id });
        (alert_key(portal, contact), KIND_SLACK_ALERT, p)
    } else {
        let p = serde_json::value::to_raw_value(&ClickPayload { click_id: id });
        (click_key(portal, contact), KIND_SLACK_CLICK, p)
    };
    let payload = payload.map_err(|e| StoreError::Config(format!("job payload: {e}")))?;
    Ok(Scheduled {
        job: NewJob {
            lane: LANE_ALERTS,
            key,
            kind,
            payload,
            occurred_at_ms: run_at_ms,
        },
        run_at_ms,
        max_attempts: MAX_ATTEMPTS,
    })
}

/// The job key of a lead's alerts.
pub(crate) fn alert_key(portal: PortalId, contact: ContactId) -> String {
    format!("slack-alert:{}:{}", portal.get(), contact.get())
}

/// The job key of a lead's clicks.
pub(crate) fn click_key(portal: PortalId, contact: ContactId) -> String {
    format!("slack-click:{}:{}", portal.get(), contact.get())
}
