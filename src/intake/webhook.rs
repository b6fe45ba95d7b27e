//! `POST /webhooks/hubspot`: verify → parse → store (one transaction) → 2xx. A refused
//! delivery stores nothing; an accepted one is durable before the answer leaves.

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
use crate::hubspot::event::{HubspotEvent, parse_delivery};
use crate::hubspot::signature::SignatureVersion;
use crate::metrics::ReasonLabel;
use crate::store::{
    EnqueueReceipt, InboxEntry, KIND_HUBSPOT_EVENT, NewDelivery, NewJob, QUEUE_EVENTS,
};

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
        portal_id: parsed.events.first().map(|e| e.portal_id),
        signature: match webhook.version {
            SignatureVersion::V1 => "v1",
            SignatureVersion::V2 => "v2",
            SignatureVersion::V3 => "v3",
        },
        ..Accepted::default()
    };
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
        .enqueue_delivery(delivery)
        .await
        .map_err(|err| {
            tracing::error!(request_id, error = %err, "could not store webhook delivery");
            ApiError::from(err)
        })?;
    accepted.enqueued = enqueued;
    accepted.duplicates = duplicates;
    Ok(accepted)
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobPayload<'a> {
    request_id: &'a str,
    event: &'a HubspotEvent,
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

/// The inbox row and job of one event, as every path that brings events builds it (push here,
/// the journal backfill in `worker::journal`): same dedup key, same job.
pub(crate) fn event_entry(
    event: &HubspotEvent,
    request_id: &str,
) -> Result<InboxEntry, serde_json::Error> {
    let payload = serde_json::value::to_raw_value(&JobPayload { request_id, event })?;
    Ok(InboxEntry {
        dedup_key: event.dedup_key(),
        portal_id: event.portal_id,
        job: NewJob {
            queue: QUEUE_EVENTS,
            key: event.object_key(),
            kind: KIND_HUBSPOT_EVENT,
            payload,
            occurred_at_ms: event.occurred_at,
        },
    })
}
