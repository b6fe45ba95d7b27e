//! Every HubSpot call passes this gate before its handler: it is counted, delayed by injected
//! latency, authenticated (`Authorization: Bearer`), checked against 429 faults and the rate
//! limits, maybe answered with an injected 5xx, and gets the `X-HubSpot-RateLimit-*` headers
//! (docs/hubspot.md "Rate-limit headers": not on search; the daily ones not for OAuth tokens).

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use super::Sandbox;
use super::config::RateLimit;
use super::error::{ApiError, Policy, too_many};
use super::faults::Faults;
use super::ratelimit::{Lane, Limiter, Verdict, utc_day};
use super::state::now_ms;
use super::stats::Stats;

/// Who is calling: the rate-limit key and whether daily headers apply.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Caller {
    /// A private-app token: limited per token, daily headers sent.
    Static(String),
    /// An access token we issued: limited per account, no daily headers.
    OAuth,
}

impl Caller {
    fn key(&self) -> &str {
        match self {
            Self::Static(t) => t,
            Self::OAuth => "oauth-account",
        }
    }
}

type Headers = Vec<(&'static str, String)>;

#[derive(Debug)]
pub(crate) enum Refusal {
    Unauthorized(ApiError),
    Limited { policy: Policy, headers: Headers },
}

#[derive(Debug)]
pub(crate) struct Pass {
    headers: Headers,
    injected: Option<u16>,
}

/// The gate's state; one lock, so every decision happens in arrival order.
#[derive(Debug)]
pub(crate) struct Gate {
    tokens: Vec<String>,
    issued: HashMap<String, Instant>,
    pub(crate) limiter: Limiter,
    pub(crate) faults: Faults,
    pub(crate) stats: Stats,
}

fn unauthorized(category: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, category, message)
}

fn rate_headers(cfg: &RateLimit, caller: &Caller, remaining: u32, daily_left: u64) -> Headers {
    let mut h = vec![
        ("x-hubspot-ratelimit-max", cfg.requests.to_string()),
        ("x-hubspot-ratelimit-remaining", remaining.to_string()),
        (
            "x-hubspot-ratelimit-interval-milliseconds",
            cfg.interval_ms.to_string(),
        ),
    ];
    if matches!(caller, Caller::Static(_)) {
        h.push(("x-hubspot-ratelimit-daily", cfg.daily.to_string()));
        h.push((
            "x-hubspot-ratelimit-daily-remaining",
            daily_left.to_string(),
        ));
    }
    h
}

impl Gate {
    pub(crate) fn new(tokens: Vec<String>, limiter: Limiter, faults: Faults) -> Self {
        Self {
            tokens,
            issued: HashMap::new(),
            limiter,
            faults,
            stats: Stats::default(),
        }
    }

    pub(crate) fn count(&mut self, route: &str) {
        self.stats.requests += 1;
        *self.stats.by_route.entry(route.to_owned()).or_default() += 1;
    }

    /// A fresh access token valid for `ttl`.
    pub(crate) fn issue(&mut self, ttl: Duration, now: Instant) -> String {
        let token = format!("sandbox-at-{}", uuid::Uuid::now_v7().simple());
        self.issued.insert(token.clone(), now + ttl);
        self.stats.tokens_issued += 1;
        token
    }

    /// How long an issued access token stays valid; `None` for one not issued or expired.
    pub(crate) fn remaining(&self, token: &str, now: Instant) -> Option<Duration> {
        self.issued
            .get(token)
            .filter(|at| now < **at)
            .map(|at| *at - now)
    }

    /// Expires every issued token now (to test refresh-on-401).
    pub(crate) fn expire_issued(&mut self, now: Instant) {
        for at in self.issued.values_mut() {
            *at = now;
        }
    }

    fn authenticate(&self, token: Option<&str>, now: Instant) -> Result<Caller, ApiError> {
        const NOT_FOUND: &str = "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview";
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| unauthorized("INVALID_AUTHENTICATION", NOT_FOUND))?;
        if let Some(expires) = self.issued.get(token) {
            return if now < *expires {
                Ok(Caller::OAuth)
            } else {
                Err(unauthorized(
                    "EXPIRED_AUTHENTICATION",
                    "The OAuth token used to make this call expired.",
                ))
            };
        }
        if self.tokens.is_empty() || self.tokens.iter().any(|t| t == token) {
            Ok(Caller::Static(token.to_owned()))
        } else {
            Err(unauthorized("INVALID_AUTHENTICATION", NOT_FOUND))
        }
    }

    fn limited(&mut self, policy: Policy, headers: Headers) -> Refusal {
        self.stats.rate_limited += 1;
        *self
            .stats
            .rate_limited_by_policy
            .entry(policy.name().to_owned())
            .or_default() += 1;
        Refusal::Limited { policy, headers }
    }

    /// Decides one CRM request: refused (401/429), or passed with its headers and maybe an
    /// injected 5xx.
    pub(crate) fn admit(
        &mut self,
        token: Option<&str>,
        path: &str,
        lane: Lane,
        now: Instant,
        day: i64,
    ) -> Result<Pass, Refusal> {
        let caller = self.authenticate(token, now).map_err(|e| {
            self.stats.unauthorized += 1;
            Refusal::Unauthorized(e)
        })?;
        let cfg = self.limiter.config().clone();
        let headers_for = |remaining, daily_left| match lane {
            Lane::General => rate_headers(&cfg, &caller, remaining, daily_left),
            Lane::Search => Vec::new(),
        };
        // Journal calls are exempt from the daily and burst limits (docs/hubspot.md "Journal paths
        // and limits").
        let exempt = path.starts_with("/webhooks-journal/");
        if lane == Lane::General && !exempt {
            self.limiter.arrive(caller.key(), now);
            self.stats.max_in_window = self.limiter.max_in_window();
        }
        if let Some(policy) = self.faults.rate_fault(path, now) {
            return Err(self.limited(policy, headers_for(0, 0)));
        }
        let verdict = if exempt {
            Verdict::Admitted {
                remaining: 0,
                daily_remaining: 0,
            }
        } else {
            self.limiter.admit(caller.key(), lane, now, day)
        };
        let headers = match verdict {
            Verdict::Admitted { .. } if exempt => Vec::new(),
            Verdict::Limited(policy) => return Err(self.limited(policy, headers_for(0, 0))),
            Verdict::Admitted {
                remaining,
                daily_remaining,
            } => headers_for(remaining, daily_remaining),
        };
        let injected = self.faults.server_error(path);
        if injected.is_some() {
            self.stats.injected_5xx += 1;
        }
        Ok(Pass { headers, injected })
    }

    /// The OAuth endpoint has no auth and no rate limit, but does get 5xx faults.
    fn admit_oauth(&mut self, path: &str) -> Option<u16> {
        let injected = self.faults.server_error(path);
        if injected.is_some() {
            self.stats.injected_5xx += 1;
        }
        injected
    }
}

fn with_headers(mut resp: Response, headers: Headers) -> Response {
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            resp.headers_mut().insert(HeaderName::from_static(name), v);
        }
    }
    resp
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn injected_error(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    ApiError::new(
        status,
        "INTERNAL_ERROR",
        "internal error (injected by the sandbox)",
    )
    .into_response()
}

/// `"POST /crm/v3/objects/contacts/batch/read"`: method and route template.
fn route_of(req: &Request, matched: Option<&MatchedPath>) -> String {
    let path = matched.map_or(req.uri().path(), MatchedPath::as_str);
    format!("{} {path}", req.method())
}

/// Counts a request under its route and waits out any latency injected for its path.
async fn arrive(sb: &Sandbox, route: String, path: &str) {
    let latency = {
        let mut g = sb.gate();
        g.count(&route);
        g.faults.latency(path)
    };
    if let Some(wait) = latency {
        tokio::time::sleep(wait).await;
    }
}

/// Middleware for the CRM routes.
pub(crate) async fn crm(
    State(sb): State<Sandbox>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    arrive(&sb, route_of(&req, matched.as_ref()), &path).await;
    let lane = if path.ends_with("/search") {
        Lane::Search
    } else {
        Lane::General
    };
    let token = bearer(req.headers());
    let verdict = sb.gate().admit(
        token.as_deref(),
        &path,
        lane,
        Instant::now(),
        utc_day(now_ms()),
    );
    match verdict {
        Err(Refusal::Unauthorized(e)) => e.into_response(),
        Err(Refusal::Limited { policy, headers }) => with_headers(
            (StatusCode::TOO_MANY_REQUESTS, axum::Json(too_many(policy))).into_response(),
            headers,
        ),
        Ok(pass) => {
            let resp = match pass.injected {
                Some(status) => injected_error(status),
                None => {
                    let resp = next.run(req).await;
                    let delay = sb.gate().faults.response_delay(&path);
                    if let Some(wait) = delay {
                        tokio::time::sleep(wait).await;
                    }
                    resp
                }
            };
            with_headers(resp, pass.headers)
        }
    }
}

/// Middleware for `POST /oauth/v3/token`.
pub(crate) async fn oauth(
    State(sb): State<Sandbox>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    arrive(&sb, route_of(&req, matched.as_ref()), &path).await;
    let injected = sb.gate().admit_oauth(&path);
    match injected {
        Some(status) => injected_error(status),
        None => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(tokens: &[&str], rate: &str, faults: &str) -> Gate {
        Gate::new(
            tokens.iter().map(|t| (*t).to_owned()).collect(),
            Limiter::new(rate.parse().unwrap()),
            Faults::new(faults.parse().unwrap(), Instant::now()),
        )
    }

    fn header<'a>(pass: &'a Pass, name: &str) -> Option<&'a str> {
        pass.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn tokens_are_checked_and_issued_ones_expire() {
        let now = Instant::now();
        let mut g = gate(&["good"], "10/1s", "");
        let admit =
            |g: &mut Gate, t: Option<&str>| g.admit(t, "/crm/v3/owners", Lane::General, now, 0);
        assert!(matches!(admit(&mut g, None), Err(Refusal::Unauthorized(_))));
        assert!(matches!(
            admit(&mut g, Some("bad")),
            Err(Refusal::Unauthorized(_))
        ));
        let pass = admit(&mut g, Some("good")).unwrap();
        assert_eq!(header(&pass, "x-hubspot-ratelimit-remaining"), Some("9"));
        assert_eq!(header(&pass, "x-hubspot-ratelimit-daily"), Some("1000000"));
        let issued = g.issue(Duration::from_secs(60), now);
        let pass = admit(&mut g, Some(&issued)).unwrap();
        assert_eq!(header(&pass, "x-hubspot-ratelimit-max"), Some("10"));
        assert_eq!(
            header(&pass, "x-hubspot-ratelimit-daily"),
            None,
            "not for OAuth"
        );
        g.expire_issued(now);
        match admit(&mut g, Some(&issued)) {
            Err(Refusal::Unauthorized(e)) => assert_eq!(e.category, "EXPIRED_AUTHENTICATION"),
            other => panic!("{other:?}"),
        }
        assert_eq!(g.stats.unauthorized, 3);
    }

    #[test]
    fn storms_and_limits_are_429s_counted_per_policy_and_search_has_no_headers() {
        let now = Instant::now();
        let mut g = gate(&[], "1/1s", "");
        assert!(g.admit(Some("t"), "/a", Lane::General, now, 0).is_ok());
        match g.admit(Some("t"), "/a", Lane::General, now, 0) {
            Err(Refusal::Limited { policy, headers }) => {
                assert_eq!(policy, Policy::TenSecondly);
                assert!(headers.contains(&("x-hubspot-ratelimit-remaining", "0".into())));
            }
            other => panic!("{other:?}"),
        }
        let pass = g
            .admit(Some("t"), "/s/search", Lane::Search, now, 0)
            .unwrap();
        assert!(pass.headers.is_empty());
        assert_eq!(g.stats.max_in_window, 2);
        let mut g = gate(&[], "10/1s", "storm_ms=60000,fail_next=1");
        assert!(matches!(
            g.admit(Some("t"), "/a", Lane::General, now, 0),
            Err(Refusal::Limited {
                policy: Policy::TenSecondly,
                ..
            })
        ));
        assert_eq!(g.stats.rate_limited_by_policy["TEN_SECONDLY_ROLLING"], 1);
    }

    #[test]
    fn injected_errors_pass_the_limiter_first() {
        let now = Instant::now();
        let mut g = gate(&[], "10/1s", "fail_next=1,status=502");
        let pass = g.admit(Some("t"), "/a", Lane::General, now, 0).unwrap();
        assert_eq!(pass.injected, Some(502));
        assert_eq!(header(&pass, "x-hubspot-ratelimit-remaining"), Some("9"));
        assert_eq!(g.stats.injected_5xx, 1);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }
}
