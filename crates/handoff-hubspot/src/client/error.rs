//! The closed set of HubSpot failures (docs/architecture.md "A closed set of HubSpot failures"):
//! `RateLimited`, `Transient`, `Permanent`, `Auth`. The worker matches on them to choose
//! `Retry { at }`, `Dead` or "pause the portal"; `code()` strings are stable and go into logs as
//! `error.code`.

use std::fmt;

use jiff::Timestamp;

use super::types::{PortalId, StandardError};
use super::validation::WriteRefusal;

/// Which limit was hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitPolicy {
    /// HubSpot's rolling 10-second burst limit (`policyName: TEN_SECONDLY_ROLLING`, docs/hubspot.md
    /// "429 answers and Retry-After").
    TenSecondly,
    /// HubSpot's daily limit (`policyName: DAILY`); the portal is parked until its reset.
    Daily,
    /// The search limit (5 requests/s, docs/hubspot.md "Search limits and index lag").
    Search,
    /// Our own budget is saturated for longer than we wait in place.
    LocalBudget,
}

impl RateLimitPolicy {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TenSecondly => "ten_secondly",
            Self::Daily => "daily",
            Self::Search => "search",
            Self::LocalBudget => "local_budget",
        }
    }
}

/// Why a retryable failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransientReason {
    /// No response in time.
    Timeout,
    /// Could not connect.
    Connect,
    /// 5xx (incl. HubSpot's 502/504 processing limits and 521/523/524).
    Server,
    /// 423 Locked (docs/hubspot.md "Error bodies and status codes": locks last 2 s).
    Locked,
    /// 477 Migration in progress, with `Retry-After`.
    Migration,
    /// 408 or another transport-level failure.
    Other,
}

impl TransientReason {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Connect => "connect",
            Self::Server => "server",
            Self::Locked => "locked",
            Self::Migration => "migration",
            Self::Other => "other",
        }
    }
}

/// Why a request was refused for auth reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// HubSpot answered 401 even after a token refresh; the portal is now paused.
    TokenRejected,
    /// The OAuth refresh was refused (e.g. revoked refresh token); the portal is now paused.
    RefreshRejected,
    /// The portal was paused earlier and not resumed.
    PortalPaused,
    /// The stored token could not be decrypted or saved.
    TokenStore,
}

impl AuthFailure {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TokenRejected => "token_rejected",
            Self::RefreshRejected => "refresh_rejected",
            Self::PortalPaused => "portal_paused",
            Self::TokenStore => "token_store",
        }
    }
}

/// What HubSpot said about a rejected request (docs/hubspot.md "Error bodies and status codes").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorDetail {
    /// HTTP status, when there was a response.
    pub status: Option<u16>,
    /// e.g. `VALIDATION_ERROR`, `OBJECT_NOT_FOUND`, `MISSING_SCOPES`; ours start with `handoff.`.
    pub category: Option<String>,
    /// HubSpot's message, truncated to 500 bytes.
    pub message: String,
    /// HubSpot's correlation id, for support tickets.
    pub correlation_id: Option<String>,
    /// What the body names beyond its message, when it names anything (boxed: every client
    /// `Result` carries this type).
    pub specifics: Option<Box<ErrorSpecifics>>,
}

/// The parts of an error body the client acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorSpecifics {
    /// The scopes a 403 `MISSING_SCOPES` names (`context.missingScopes`, or the
    /// `requiredGranularScopes` of its `errors[].context`; docs/hubspot.md "Which scopes a
    /// token has").
    pub missing_scopes: Vec<String>,
    /// The write-validation rule the body names (`errors[].code`, docs/hubspot.md "Write
    /// validation").
    pub refusal: Option<WriteRefusal>,
}

impl ErrorDetail {
    /// The write-validation refusal this error carries, if any.
    pub fn refusal(&self) -> Option<&WriteRefusal> {
        self.specifics.as_ref().and_then(|s| s.refusal.as_ref())
    }
}

impl fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = self.status {
            write!(f, "{s} ")?;
        }
        write!(
            f,
            "{}: {}",
            self.category.as_deref().unwrap_or("UNKNOWN"),
            self.message
        )?;
        if let Some(r) = self.refusal() {
            write!(f, " [{r}]")?;
        }
        if let Some(c) = &self.correlation_id {
            write!(f, " (correlationId {c})")?;
        }
        Ok(())
    }
}

/// A failed HubSpot call. Never carries a token or secret.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HubspotError {
    /// A rate limit stops this portal until `retry_at`.
    #[error("hubspot portal {portal} rate limited ({}) until {retry_at}", policy.as_str())]
    RateLimited {
        /// Portal.
        portal: PortalId,
        /// Which limit.
        policy: RateLimitPolicy,
        /// When to try again.
        retry_at: Timestamp,
    },
    /// Worth retrying later.
    #[error("hubspot portal {portal} transient failure ({}): {detail}", reason.as_str())]
    Transient {
        /// Portal.
        portal: PortalId,
        /// Why.
        reason: TransientReason,
        /// Response details, if any.
        detail: ErrorDetail,
        /// Earliest sensible retry.
        retry_at: Timestamp,
        /// The request may have been applied (a non-idempotent create timed out or got a 5xx):
        /// look before re-creating (docs/architecture.md "Retries written by hand").
        maybe_applied: bool,
    },
    /// HubSpot refused the request; retrying will not help.
    #[error("hubspot portal {portal} rejected request: {detail}")]
    Permanent {
        /// Portal.
        portal: PortalId,
        /// HubSpot's category, message and correlation id.
        detail: ErrorDetail,
    },
    /// Credentials failed; the portal needs an operator.
    #[error("hubspot portal {portal} auth failure ({})", reason.as_str())]
    Auth {
        /// Portal.
        portal: PortalId,
        /// Why.
        reason: AuthFailure,
    },
}

impl HubspotError {
    /// Stable code for logs (`error.code`) and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::RateLimited { .. } => "hubspot.rate_limited",
            Self::Transient { .. } => "hubspot.transient",
            Self::Permanent { .. } => "hubspot.permanent",
            Self::Auth { .. } => "hubspot.auth",
        }
    }

    /// Stable finer code, e.g. `hubspot.rate_limited.daily`.
    pub fn detail_code(&self) -> String {
        if let Some(r) = self.refusal() {
            return format!("{}.{}", self.code(), r.code.slug());
        }
        let sub = match self {
            Self::RateLimited { policy, .. } => policy.as_str(),
            Self::Transient { reason, .. } => reason.as_str(),
            Self::Permanent { detail, .. } if detail.status == Some(404) => "not_found",
            Self::Permanent { .. } => "rejected",
            Self::Auth { reason, .. } => reason.as_str(),
        };
        format!("{}.{sub}", self.code())
    }

    /// When the job queue should try again; `None` = don't (permanent or needs an operator).
    pub fn retry_at(&self) -> Option<Timestamp> {
        match self {
            Self::RateLimited { retry_at, .. } | Self::Transient { retry_at, .. } => {
                Some(*retry_at)
            }
            Self::Permanent { .. } | Self::Auth { .. } => None,
        }
    }

    /// The portal concerned.
    pub fn portal(&self) -> PortalId {
        match self {
            Self::RateLimited { portal, .. }
            | Self::Transient { portal, .. }
            | Self::Permanent { portal, .. }
            | Self::Auth { portal, .. } => *portal,
        }
    }

    /// HubSpot refused the whole request for a write-validation rule (a required or
    /// conditionally required property missing; docs/hubspot.md "Write validation").
    pub fn refusal(&self) -> Option<WriteRefusal> {
        match self {
            Self::Permanent { detail, .. } => detail.refusal().cloned(),
            _ => None,
        }
    }

    /// HubSpot answered 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Permanent { detail, .. } if detail.status == Some(404))
    }

    /// HubSpot answered 409 (e.g. a property or group name that exists).
    pub(crate) fn is_conflict(&self) -> bool {
        matches!(self, Self::Permanent { detail, .. } if detail.status == Some(409))
    }

    /// The scopes a 403 named as missing; empty for any other error.
    pub fn missing_scopes(&self) -> &[String] {
        match self {
            Self::Permanent { detail, .. } if detail.status == Some(403) => detail
                .specifics
                .as_ref()
                .map_or(&[], |s| s.missing_scopes.as_slice()),
            _ => &[],
        }
    }

    /// A permanent error raised by this client before any request (bad input, unknown portal,
    /// undecodable response).
    pub(crate) fn local(portal: PortalId, category: &str, message: impl Into<String>) -> Self {
        Self::Permanent {
            portal,
            detail: ErrorDetail {
                status: None,
                category: Some(format!("handoff.{category}")),
                message: message.into(),
                correlation_id: None,
                ..ErrorDetail::default()
            },
        }
    }
}

/// Why one input of a batch call has no result.
#[derive(Debug, Clone)]
pub enum ItemError {
    /// HubSpot reported this input as not found (`OBJECT_NOT_FOUND`).
    NotFound,
    /// HubSpot rejected this input (207 per-input error).
    Rejected(Box<StandardError>),
    /// HubSpot returned neither a result nor an error for it. For creates this means
    /// "unconfirmed": the record may exist.
    Unconfirmed,
    /// The whole request carrying this input failed.
    Request(HubspotError),
}

impl ItemError {
    /// The write-validation rule HubSpot refused this input for, from a per-input error or
    /// from the error of the request that carried it (docs/hubspot.md "Write validation").
    pub fn refusal(&self) -> Option<WriteRefusal> {
        match self {
            Self::Rejected(e) => WriteRefusal::of_standard(e),
            Self::Request(e) => e.refusal(),
            Self::NotFound | Self::Unconfirmed => None,
        }
    }

    pub(crate) fn from_standard(e: &StandardError) -> Self {
        if e.category.as_deref() == Some("OBJECT_NOT_FOUND") {
            Self::NotFound
        } else {
            Self::Rejected(Box::new(e.clone()))
        }
    }
}

/// Truncates HubSpot's message so a huge body cannot flood logs.
pub(crate) fn truncate(mut s: String) -> String {
    const MAX: usize = 500;
    if s.len() > MAX {
        let mut cut = MAX;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        let p = PortalId::new(1).unwrap();
        let at = Timestamp::UNIX_EPOCH;
        let e = HubspotError::RateLimited {
            portal: p,
            policy: RateLimitPolicy::Daily,
            retry_at: at,
        };
        assert_eq!(e.code(), "hubspot.rate_limited");
        assert_eq!(e.detail_code(), "hubspot.rate_limited.daily");
        assert_eq!(e.retry_at(), Some(at));
        let e = HubspotError::Auth {
            portal: p,
            reason: AuthFailure::TokenRejected,
        };
        assert_eq!(e.detail_code(), "hubspot.auth.token_rejected");
        assert_eq!(e.retry_at(), None);
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        let s = "é".repeat(400);
        let t = truncate(s);
        assert!(t.len() <= 503);
    }
}
