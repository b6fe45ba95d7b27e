//! One HubSpot request, end to end: wait for budget → attach the token → send → read rate-limit
//! headers → classify → retry in place or return an error from the closed set.

use std::time::Duration;

use jiff::Timestamp;

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
use super::retry::{Next, Retryable, StatusClass, classify_status, parse_retry_after};
use super::types::PortalId;
use super::validation::{WriteRefusal, log_warnings};

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
            method: reqwest::Method::POST,
            body: Some(bytes),
            idempotent,
            ..Self::get(portal, path, priority)
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

/// An answer as read off the wire.
struct Reply {
    status: u16,
    retry_after: Option<Timestamp>,
    body: Vec<u8>,
}

impl Reply {
    /// Decodes a 2xx body as `T`. 204 has no body (the journal's "nothing newer",
    /// docs/hubspot.md "Journal files"): it decodes as `null`, i.e. `None` for an `Option<T>`.
    fn decode<T: DeserializeOwned>(&self, portal: PortalId, path: &str) -> Result<T, HubspotError> {
        let status = self.status;
        let body: &[u8] = if status == 204 && self.body.is_empty() {
            b"null"
        } else {
            &self.body
        };
        log_warnings(portal, path, body);
        serde_json::from_slice(body)
            .map_err(|e| HubspotError::local(portal, "decode", format!("status {status}: {e}")))
    }

    /// What a non-2xx body says, and the rate-limit policy it names.
    fn detail(&self) -> (ErrorDetail, Option<String>) {
        let parsed: ErrorBody = serde_json::from_slice(&self.body).unwrap_or_default();
        let detail = ErrorDetail {
            status: Some(self.status),
            category: parsed.category.clone(),
            message: truncate(parsed.message.clone().unwrap_or_default()),
            correlation_id: parsed.correlation_id.clone(),
            specifics: parsed.specifics(),
        };
        (detail, parsed.policy_name)
    }
}

/// How the next attempt follows a failed one.
enum Again {
    /// After this wait; it counts as an attempt.
    After(Duration),
    /// At once; it counts as an attempt (a 429's cooldown is waited out in `acquire`).
    Now,
    /// At once, uncounted: the token was refreshed after a 401.
    Reauthed,
}

fn unanswered(e: reqwest::Error, idempotent: bool) -> Retryable {
    let reason = if e.is_timeout() {
        TransientReason::Timeout
    } else if e.is_connect() {
        TransientReason::Connect
    } else {
        TransientReason::Other
    };
    Retryable::unanswered(reason, idempotent, truncate(e.without_url().to_string()))
}

impl Inner {
    /// Sends `call` with budget, auth and retries; decodes a 2xx body (200, 201 or 207) as `T`.
    pub(crate) async fn send<T: DeserializeOwned>(&self, call: &Call) -> Result<T, HubspotError> {
        let url = format!("{}{}", self.base_url, call.path);
        let mut attempt = 0u32;
        let mut reauthed = false;
        loop {
            attempt += 1;
            let bearer = self.ready(call).await?;
            let started = std::time::Instant::now();
            let sent = self.request(call, &url, &bearer).send().await;
            let now = self.clock.now();
            let again = match sent {
                Err(e) => {
                    let seconds = started.elapsed().as_secs_f64();
                    self.metrics
                        .request(&call.method, &call.path, None, seconds);
                    self.retry_or_give_up(
                        call.portal,
                        attempt,
                        now,
                        unanswered(e, call.idempotent),
                    )?
                }
                Ok(resp) => {
                    let reply = self.read(call, resp, now, started).await;
                    if (200..300).contains(&reply.status) {
                        return reply.decode(call.portal, &call.path);
                    }
                    let generation = (!reauthed).then_some(bearer.generation);
                    self.after_error(call, &reply, attempt, now, generation)
                        .await?
                }
            };
            match again {
                Again::After(wait) => tokio::time::sleep(wait).await,
                Again::Now => {}
                Again::Reauthed => {
                    reauthed = true;
                    attempt -= 1;
                }
            }
        }
    }

    /// Waits for the portal's budget (unless the call is exempt) and picks the token.
    async fn ready(&self, call: &Call) -> Result<Bearer, HubspotError> {
        if !call.budget_exempt {
            self.budget
                .acquire(call.portal, call.lane, call.priority)
                .await?;
        }
        match &call.app_bearer {
            Some(token) => Ok(Bearer {
                token: token.clone(),
                generation: 0,
            }),
            None => self.auth.bearer(call.portal).await,
        }
    }

    fn request(&self, call: &Call, url: &str, bearer: &Bearer) -> reqwest::RequestBuilder {
        let mut rb = self
            .http
            .request(call.method.clone(), url)
            .bearer_auth(bearer.token.expose_secret());
        if !call.query.is_empty() {
            rb = rb.query(&call.query);
        }
        if let Some(body) = &call.body {
            rb = rb
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        rb
    }

    /// Reads the answer: feeds its rate-limit headers to the budget and records the request.
    async fn read(
        &self,
        call: &Call,
        resp: reqwest::Response,
        now: Timestamp,
        started: std::time::Instant,
    ) -> Reply {
        let status = resp.status().as_u16();
        if call.lane == Lane::General {
            self.budget
                .observe(call.portal, rate_headers(resp.headers()));
        }
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, now));
        let body = resp.bytes().await.map(Vec::from).unwrap_or_default();
        let seconds = started.elapsed().as_secs_f64();
        self.metrics
            .request(&call.method, &call.path, Some(status), seconds);
        Reply {
            status,
            retry_after,
            body,
        }
    }

    /// A non-2xx answer: how to try again, or the error to return. `generation` is the token's
    /// when a 401 may still refresh it (`None` once it has been refreshed).
    async fn after_error(
        &self,
        call: &Call,
        reply: &Reply,
        attempt: u32,
        now: Timestamp,
        generation: Option<u64>,
    ) -> Result<Again, HubspotError> {
        let portal = call.portal;
        let (detail, policy_name) = reply.detail();
        let retryable = |reason, label, min_wait, in_place| Retryable {
            reason,
            label,
            min_wait,
            earliest: reply.retry_after,
            in_place,
            detail: detail.clone(),
        };
        let failure = match classify_status(reply.status) {
            StatusClass::Permanent => return Err(HubspotError::Permanent { portal, detail }),
            StatusClass::Unauthorized if call.isolated_auth => {
                return Err(HubspotError::Permanent { portal, detail });
            }
            StatusClass::Unauthorized => {
                let Some(generation) = generation else {
                    return Err(self.auth.pause(portal, AuthFailure::TokenRejected));
                };
                self.auth.after_401(portal, generation).await?;
                self.metrics.retry("unauthorized");
                return Ok(Again::Reauthed);
            }
            // The call's own limit, not the portal's: wait it out here, no cooldown.
            StatusClass::RateLimited if call.budget_exempt => {
                retryable(TransientReason::Other, "rate_limited", Duration::ZERO, true)
            }
            StatusClass::RateLimited => {
                return self.cool_down(call, attempt, now, reply, policy_name.as_deref());
            }
            StatusClass::Transient { reason, min_wait } => {
                let in_place = call.idempotent || reason == TransientReason::Locked;
                retryable(reason, reason.as_str(), min_wait, in_place)
            }
        };
        self.retry_or_give_up(portal, attempt, now, failure)
    }

    /// A 429 on the portal's budget: the budget cools the portal down (the cooldown itself is
    /// waited out in `acquire`); a daily limit goes back to the queue at once.
    fn cool_down(
        &self,
        call: &Call,
        attempt: u32,
        now: Timestamp,
        reply: &Reply,
        policy_name: Option<&str>,
    ) -> Result<Again, HubspotError> {
        let portal = call.portal;
        let (policy, at) = self
            .budget
            .on_429(portal, call.lane, policy_name, reply.retry_after);
        self.metrics.rate_limited(policy.as_str());
        let in_place = policy != RateLimitPolicy::Daily;
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
        Ok(Again::Now)
    }

    /// The one "retry or give up" step: a wait to sleep (counted and logged), or the error.
    fn retry_or_give_up(
        &self,
        portal: PortalId,
        attempt: u32,
        now: Timestamp,
        failure: Retryable,
    ) -> Result<Again, HubspotError> {
        let (label, status) = (failure.label, failure.detail.status);
        let wait = failure.decide(&self.retry, portal, attempt, now)?;
        self.metrics.retry(label);
        tracing::debug!(
            portal_id = portal.as_u64(),
            attempt,
            reason = label,
            status,
            "hubspot request failed; retrying"
        );
        Ok(Again::After(wait))
    }
}
