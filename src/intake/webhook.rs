//! `POST /webhooks/hubspot`: verify → parse → store (one transaction) → 2xx. A refused
//! delivery stores nothing; an accepted one is durable before the answer leaves.
//!
//! Logs: one info line per delivery, which names the delivery's contacts (`contact_ids`, and
//! `lead_ids` for Lead events) as one comma-separated string, and one debug line per event
//! (`portal_id`, `contact_id`, `event_id`, `request_id`). Not an info line per event: a delivery
//! carries up to 100 events, and a burst of property changes nothing reads would multiply the
//! log volume while the worker logs nothing for them. Every worker line about a contact
//! carries the `request_id` and `event_id` of the event that brought its job, which leads
//! back to this line (docs/operations.md, "Follow one lead").

use std::time::Instant;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;

use super::error::ApiError;
use super::state::{AppState, now_ms};
use super::verified::VerifiedWebhook;
use crate::hubspot::client::LEAD_OBJECT_TYPE;
use crate::hubspot::event::{HubspotEvent, parse_delivery};
use crate::hubspot::signature::SignatureVersion;
use crate::jobs::event_entry;
use crate::metrics::ReasonLabel;
use crate::store::{EnqueueReceipt, InboxEntry, NewDelivery};
use handoff_ids::RecordId;

pub(super) fn router(path: &str) -> Router<AppState> {
    Router::new().route(path, post(receive))
}

/// What an accepted delivery did; also the 200 body.
#[derive(Debug, Default, Serialize)]
struct Accepted {
    events: usize,
    enqueued: usize,
    duplicates: usize,
    ignored: usize,
    #[serde(skip)]
    portal_id: Option<i64>,
    #[serde(skip)]
    signature: &'static str,
    /// The delivery's contacts and leads, distinct, comma-separated (for the log line).
    #[serde(skip)]
    contact_ids: String,
    #[serde(skip)]
    lead_ids: Option<String>,
}

async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    webhook: Result<VerifiedWebhook, ApiError>,
) -> Response {
    let started = Instant::now();
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let metrics = state.metrics();
    match accept(&state, webhook, request_id).await {
        Ok(accepted) => {
            metrics.deliveries_accepted.inc();
            metrics
                .events_received
                .inc_by((accepted.events + accepted.ignored) as u64);
            metrics.events_enqueued.inc_by(accepted.enqueued as u64);
            metrics.events_duplicate.inc_by(accepted.duplicates as u64);
            metrics.events_ignored.inc_by(accepted.ignored as u64);
            metrics.ack_seconds.observe(started.elapsed().as_secs_f64());
            tracing::info!(
                request_id,
                portal_id = accepted.portal_id,
                events = accepted.events,
                enqueued = accepted.enqueued,
                duplicates = accepted.duplicates,
                ignored = accepted.ignored,
                contact_ids = %accepted.contact_ids,
                lead_ids = accepted.lead_ids.as_deref(),
                signature = accepted.signature,
                status = 200,
                ack_ms = started.elapsed().as_millis() as u64,
                "webhook delivery accepted"
            );
            (StatusCode::OK, Json(accepted)).into_response()
        }
        Err(err) => {
            metrics
                .deliveries_rejected
                .get_or_create(&ReasonLabel { reason: err.code })
                .inc();
            tracing::warn!(
                request_id,
                status = err.status.as_u16(),
                error.code = err.code,
                "webhook delivery rejected"
            );
            err.into_response()
        }
    }
}

async fn accept(
    state: &AppState,
    webhook: Result<VerifiedWebhook, ApiError>,
    request_id: &str,
) -> Result<Accepted, ApiError> {
    let webhook = webhook?;
    let parsed = parse_delivery(&webhook.body)?;
    check_app(state, webhook.app_index, &parsed.events)?;
    let mut accepted = Accepted {
        events: parsed.events.len(),
        ignored: parsed.ignored,
        portal_id: parsed.events.first().map(|e| e.portal_id.get()),
        signature: match webhook.version {
            SignatureVersion::V1 => "v1",
            SignatureVersion::V2 => "v2",
            SignatureVersion::V3 => "v3",
        },
        ..Accepted::default()
    };
    (accepted.contact_ids, accepted.lead_ids) = object_ids(&parsed.events);
    if parsed.events.is_empty() {
        return Ok(accepted);
    }
    let entries = parsed
        .events
        .iter()
        .map(|event| inbox_entry(event, request_id))
        .collect::<Result<Vec<_>, _>>()?;
    let delivery = NewDelivery {
        received_at_ms: now_ms(),
        entries,
    };
    let EnqueueReceipt {
        enqueued,
        duplicates,
    } = state
        .store()
        .inbox()
        .enqueue(delivery)
        .await
        .map_err(|err| {
            tracing::error!(request_id, error = %err, "could not store webhook delivery");
            ApiError::from(err)
        })?;
    accepted.enqueued = enqueued;
    accepted.duplicates = duplicates;
    for e in &parsed.events {
        if e.object_type_id == LEAD_OBJECT_TYPE {
            tracing::debug!(request_id, portal_id = e.portal_id.get(), lead_id = e.object_id.get(), event_id = e.event_id, subscription_type = %e.subscription_type, "webhook event received");
        } else {
            tracing::debug!(request_id, portal_id = e.portal_id.get(), contact_id = e.object_id.get(), event_id = e.event_id, subscription_type = %e.subscription_type, "webhook event received");
        }
    }
    Ok(accepted)
}

/// The distinct contact ids and lead ids of `events`, each list comma-separated in order of
/// appearance (at most 100 events per delivery, so the line stays short).
fn object_ids(events: &[HubspotEvent]) -> (String, Option<String>) {
    let (mut contacts, mut leads): (Vec<RecordId>, Vec<RecordId>) = (Vec::new(), Vec::new());
    for e in events {
        let list = if e.object_type_id == LEAD_OBJECT_TYPE {
            &mut leads
        } else {
            &mut contacts
        };
        if !list.contains(&e.object_id) {
            list.push(e.object_id);
        }
    }
    let join = |ids: &[RecordId]| {
        ids.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let leads = (!leads.is_empty()).then(|| join(&leads));
    (join(&contacts), leads)
}

/// When the signing app has a configured id, every event must name that app: a secret of one
/// app must not vouch for another app's events.
fn check_app(state: &AppState, app_index: usize, events: &[HubspotEvent]) -> Result<(), ApiError> {
    let Some(expected) = state
        .settings()
        .apps
        .get(app_index)
        .and_then(|app| app.app_id)
    else {
        return Ok(());
    };
    match events
        .iter()
        .position(|e| e.app_id.is_some_and(|id| id != expected))
    {
        None => Ok(()),
        Some(i) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "app_mismatch",
            format!("[{i}].appId does not match the app whose secret signed the request"),
        )),
    }
}

fn inbox_entry(event: &HubspotEvent, request_id: &str) -> Result<InboxEntry, ApiError> {
    event_entry(event, request_id).map_err(|err| {
        // Strings and integers always serialize; this is here so nothing can panic.
        tracing::error!(request_id, error = %err, "could not encode a job payload");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids_of(fixture: &str) -> (String, Option<String>) {
        let path = format!(
            "{}/fixtures/hubspot/webhooks/{fixture}",
            env!("CARGO_MANIFEST_DIR")
        );
        let parsed = parse_delivery(&std::fs::read(path).unwrap()).unwrap();
        object_ids(&parsed.events)
    }

    #[test]
    fn the_delivery_line_names_each_contact_once_and_leads_apart() {
        // Two property changes of one contact.
        assert_eq!(
            ids_of("contact_property_change.json"),
            ("1246965".into(), None)
        );
        assert_eq!(
            ids_of("generic_object_property_change.json"),
            ("546500061938,546500061939".into(), Some("88001".into()))
        );
    }
}
