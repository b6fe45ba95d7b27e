//! One HubSpot request, end to end: wait for budget → attach the token → send → read rate-limit
//! headers → classify → retry in place or return an error from the closed set.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::Inner;
use super::auth::Bearer;
use super::budget::{Lane, Priority, RateHeaders};
use super::error::{
    AuthFailure, ErrorDetail, ErrorSpecifics, HubspotError, RateLimitPolicy, TransientReason,
    truncate,
};
use super::retry::{Next, StatusClass, classify_status, parse_retry_after};
use super::types::PortalId;
use super::validation::WriteRefusal;

/// A request to send, before auth.
pub(crate) struct Call {
    pub(crate) portal: PortalId,
    pub(crate) method: reqwest::Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) lane: Lane,
    pub(crate) priority: Priority,
    /// Safe to resend after an ambiguous failure (reads, property updates). Creates are not.
    pub(crate) idempotent: bool,
    /// Sent instead of the portal's token (the Webhooks Journal's app token).
    pub(crate) app_bearer: Option<secrecy::SecretString>,
    /// A 401 here says nothing about the portal's CRM token: it is returned as a permanent
    /// error, without a refresh and without pausing the portal (Webhooks Journal calls).
    pub(crate) isolated_auth: bool,
    /// Not paced by the portal's budget, and a 429 does not cool the portal down: HubSpot
    /// exempts the call from the portal's limits (Webhooks Journal, docs/hubspot.md "Journal paths
    /// and limits").
    pub(crate) budget_exempt: bool,
}

impl Call {
    pub(crate) fn get(portal: PortalId, path: String, priority: Priority) -> Self {
        Self {
            portal,
            method: reqwest::Method::GET,
            path,
            query: Vec::new(),
            body: None,
            lane: Lane::General,
            priority,
            idempotent: true,
            app_bearer: None,
            isolated_auth: false,
            budget_exempt: false,
        }
    }

    pub(crate) fn post<B: serde::Serialize>(
        portal: PortalId,
        path: String,
        body: &B,
        priority: Priority,
        idempotent: bool,
    ) -> Result<Self, HubspotError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| HubspotError::local(portal, "encode", e.to_string()))?;
        Ok(Self {
            portal,
            method: reqwest::Method::POST,
            path,
            query: Vec::new(),
            body: Some(bytes),
            lane: Lane::General,
            priority,
            idempotent,
            app_bearer: None,
            isolated_auth: false,
            budget_exempt: false,
        })
    }
}

/// HubSpot's error body (docs/hubspot.md "Error bodies and status codes"); every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    correlation_id: Option<String>,
    #[serde(default)]
    policy_name: Option<String>,
    #[serde(default, deserialize_with = "super::types::de_context")]
    context: super::types::Context,
    /// The rules a write broke (`MISSING_REQUIRED_PROPERTY`, …; `validation.rs`).
    #[serde(default, deserialize_with = "super::types::de_entries")]
    errors: Vec<super::types::ErrorEntry>,
}

impl ErrorBody {
    /// Every scope the body names (`context.missingScopes`, HubSpot's `Error` example, or
    /// `requiredGranularScopes`, seen in 403 `MISSING_SCOPES` answers), top level first, once
    /// each.
    fn scopes(&self) -> Vec<String> {
        let contexts = std::iter::once(&self.context).chain(self.errors.iter().map(|e| &e.context));
        let mut out: Vec<String> = Vec::new();
        for c in contexts {
            let named = ["missingScopes", "requiredGranularScopes"].map(|k| c.get(k));
            for s in named.into_iter().flatten().flatten() {
                if !out.contains(s) {
                    out.push(s.clone());
                }
            }
        }
        out
    }

    /// The scopes and the write-validation rule the body names; `None` when it names neither.
    fn specifics(&self) -> Option<Box<ErrorSpecifics>> {
        let found = ErrorSpecifics {
            missing_scopes: self.scopes(),
            refusal: WriteRefusal::of_request(self.message.as_deref(), &self.context, &self.errors),
        };
        (found != ErrorSpecifics::default()).then(|| Box::new(found))
    }
}

/// `warnings[]` of a 2xx answer (`{category, message, context}`), optional on every version:
/// HubSpot reports a value it normalised (`PROPERTY_VALUE_NORMALIZED`) without failing the
/// write (docs/hubspot.md "Date-versioned API and write validation").
#[derive(Deserialize)]
struct Warnings {
    #[serde(default)]
    warnings: Vec<Warning>,
}

#[derive(Deserialize)]
struct Warning {
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

fn log_warnings(portal: PortalId, path: &str, body: &[u8]) {
    const KEY: &[u8] = b"\"warnings\"";
    if !body.windows(KEY.len()).any(|w| w == KEY) {
        return;
    }
    let Ok(found) = serde_json::from_slice::<Warnings>(body) else {
        return;
    };
    for w in found.warnings {
        tracing::info!(
            portal_id = portal.as_u64(),
            endpoint = %crate::client::metrics::endpoint_of(path),
            category = w.category.as_deref().unwrap_or(""),
            message = %truncate(w.message.unwrap_or_default()),
            "hubspot accepted a write with a warning"
        );
    }
}

fn header_num<T: std::str::FromStr>(h: &HeaderMap, name: &str) -> Option<T> {
    h.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn rate_headers(h: &HeaderMap) -> RateHeaders {
    RateHeaders {
        max: header_num(h, "x-hubspot-ratelimit-max"),
        remaining: header_num(h, "x-hubspot-ratelimit-remaining"),
        interval_ms: header_num(h, "x-hubspot-ratelimit-interval-milliseconds"),
    }
}

impl Inner {
    /// Sends `call` with budget, auth and retries; decodes a 2xx body (200, 201 or 207) as `T`.
    pub(crate) async fn send<T: DeserializeOwned>(&self, call: &Call) -> Result<T, HubspotError> {
        let portal = call.portal;
        let url = format!("{}{}", self.base_url, call.path);
        let mut attempt = 0u32;
        let mut reauthed = false;
        loop {
            attempt += 1;
            if !call.budget_exempt {
                self.budget
                    .acquire(portal, call.lane, call.priority)
                    .await?;
            }
            let bearer = match &call.app_bearer {
                Some(token) => Bearer {
                    token: token.clone(),
                    generation: 0,
                },
                None => self.auth.bearer(portal).await?,
            };
            let mut rb = self
                .http
                .request(call.method.clone(), &url)
                .bearer_auth(bearer.token.expose_secret());
            if !call.query.is_empty() {
                rb = rb.query(&call.query);
            }
            if let Some(body) = &call.body {
                rb = rb
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let started = std::time::Instant::now();
            let sent = rb.send().await;
            let now = self.clock.now();
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    let seconds = started.elapsed().as_secs_f64();
                    self.metrics
                        .request(&call.method, &call.path, None, seconds);
                    let reason = if e.is_timeout() {
                        TransientReason::Timeout
                    } else if e.is_connect() {
                        TransientReason::Connect
                    } else {
                        TransientReason::Other
                    };
                    // A connect error never reached HubSpot; anything else may have been applied.
                    let in_place = call.idempotent || reason == TransientReason::Connect;
                    let detail = ErrorDetail {
                        message: truncate(e.without_url().to_string()),
                        ..ErrorDetail::default()
                    };
                    match self
                        .retry
                        .next(attempt, now, Duration::ZERO, None, in_place)
                    {
                        Next::RetryIn(wait) => {
                            self.metrics.retry(reason.as_str());
                            tracing::debug!(
                                portal_id = portal.as_u64(),
                                attempt,
                                reason = reason.as_str(),
                                "hubspot request failed; retrying"
                            );
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                        Next::GiveUp { retry_at } => {
                            return Err(HubspotError::Transient {
                                portal,
                                reason,
                                detail,
                                retry_at,
                                maybe_applied: !in_place,
                            });
                        }
                    }
                }
            };
            let status = resp.status().as_u16();
            if call.lane == Lane::General {
                self.budget.observe(portal, rate_headers(resp.headers()));
            }
            let retry_after = resp
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, now));
            let body = resp.bytes().await.unwrap_or_default();
            let seconds = started.elapsed().as_secs_f64();
            self.metrics
                .request(&call.method, &call.path, Some(status), seconds);
            if (200..300).contains(&status) {
                // 204 has no body (the journal's "nothing newer", docs/hubspot.md "Journal files"):
                // it decodes as `null`, i.e. `None` for an `Option<T>`.
                let body: &[u8] = if status == 204 && body.is_empty() {
                    b"null"
                } else {
                    &body
                };
                log_warnings(portal, &call.path, body);
                return serde_json::from_slice(body).map_err(|e| {
                    HubspotError::local(portal, "decode", format!("status {status}: {e}"))
                });
            }
            let parsed: ErrorBody = serde_json::from_slice(&body).unwrap_or_default();
            let detail = ErrorDetail {
                status: Some(status),
                category: parsed.category.clone(),
                message: truncate(parsed.message.clone().unwrap_or_default()),
                correlation_id: parsed.correlation_id.clone(),
                specifics: parsed.specifics(),
            };
            match classify_status(status) {
                StatusClass::Unauthorized if call.isolated_auth => {
                    return Err(HubspotError::Permanent { portal, detail });
                }
                StatusClass::Unauthorized => {
                    if reauthed {
                        return Err(self.auth.pause(portal, AuthFailure::TokenRejected));
                    }
                    self.auth.after_401(portal, bearer.generation).await?;
                    self.metrics.retry("unauthorized");
                    reauthed = true;
                    attempt -= 1;
                }
                StatusClass::RateLimited if call.budget_exempt => {
                    // The call's own limit, not the portal's: wait it out here, no cooldown.
                    match self
                        .retry
                        .next(attempt, now, Duration::ZERO, retry_after, true)
                    {
                        Next::RetryIn(wait) => {
                            self.metrics.retry("rate_limited");
                            tokio::time::sleep(wait).await;
                        }
                        Next::GiveUp { retry_at } => {
                            return Err(HubspotError::Transient {
                                portal,
                                reason: TransientReason::Other,
                                detail,
                                retry_at,
                                maybe_applied: false,
                            });
                        }
                    }
                }
                StatusClass::RateLimited => {
                    let (policy, at) = self.budget.on_429(
                        portal,
                        call.lane,
                        parsed.policy_name.as_deref(),
                        retry_after,
                    );
                    self.metrics.rate_limited(policy.as_str());
                    let in_place = policy != RateLimitPolicy::Daily;
                    // The cooldown itself is waited out in `acquire`.
                    if let Next::GiveUp { .. } =
                        self.retry
                            .next(attempt, now, Duration::ZERO, Some(at), in_place)
                    {
                        return Err(HubspotError::RateLimited {
                            portal,
                            policy,
                            retry_at: at,
                        });
                    }
                    self.metrics.retry("rate_limited");
                }
                StatusClass::Transient { reason, min_wait } => {
                    let in_place = call.idempotent || reason == TransientReason::Locked;
                    match self
                        .retry
                        .next(attempt, now, min_wait, retry_after, in_place)
                    {
                        Next::RetryIn(wait) => {
                            self.metrics.retry(reason.as_str());
                            tracing::debug!(
                                portal_id = portal.as_u64(),
                                attempt,
                                status,
                                "hubspot request failed; retrying"
                            );
                            tokio::time::sleep(wait).await;
                        }
                        Next::GiveUp { retry_at } => {
                            return Err(HubspotError::Transient {
                                portal,
                                reason,
                                detail,
                                retry_at,
                                maybe_applied: !in_place,
                            });
                        }
                    }
                }
                StatusClass::Permanent => {
                    return Err(HubspotError::Permanent { portal, detail });
                }
            }
        }
    }
}
