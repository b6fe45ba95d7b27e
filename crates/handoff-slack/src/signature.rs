//! Slack request signatures (docs/slack.md "Request signing"): a pure check over the raw request,
//! no I/O and no clock. The interactivity route calls [`verify`] before it decodes a single byte
//! of the body, and only a [`VerifiedBody`] can be parsed into a click
//! ([`crate::interaction::parse`]).
//!
//! `X-Slack-Signature = "v0=" + hex(HMAC-SHA256(signing secret, "v0:" + timestamp + ":" +
//! body))`, the timestamp (Unix seconds, unlike HubSpot's milliseconds) within five minutes of
//! now either way, compared in constant time.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The signature header (case-insensitive, as every HTTP header name).
pub const HEADER_SIGNATURE: &str = "x-slack-signature";
/// The timestamp header: Unix seconds.
pub const HEADER_TIMESTAMP: &str = "x-slack-request-timestamp";
/// Slack's replay window: five minutes (docs/slack.md "Request signing").
pub const WINDOW_S: i64 = 300;

/// The parts of a request the signature covers, as they arrived.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// `X-Slack-Signature`, when present.
    pub signature: Option<&'a str>,
    /// `X-Slack-Request-Timestamp`, when present.
    pub timestamp: Option<&'a str>,
    /// The raw body, before any form or JSON decoding.
    pub body: &'a [u8],
}

/// Why a request was refused. Every variant is a 401 at the route.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-Slack-Signature`.
    #[error("X-Slack-Signature is missing")]
    MissingSignature,
    /// No `X-Slack-Request-Timestamp`.
    #[error("X-Slack-Request-Timestamp is missing")]
    MissingTimestamp,
    /// The timestamp is not a whole number of seconds.
    #[error("X-Slack-Request-Timestamp is not a whole number of seconds")]
    MalformedTimestamp,
    /// Older than the window.
    #[error("the request timestamp is {age_s} s old, beyond the {window_s} s window")]
    Stale {
        /// How old.
        age_s: i64,
        /// The window.
        window_s: i64,
    },
    /// Further ahead than the window.
    #[error("the request timestamp is {ahead_s} s in the future, beyond the {window_s} s window")]
    Future {
        /// How far ahead.
        ahead_s: i64,
        /// The window.
        window_s: i64,
    },
    /// Not `v0=` followed by 64 hex digits.
    #[error("X-Slack-Signature is not v0= and 64 hex digits")]
    MalformedSignature,
    /// A version other than `v0`.
    #[error("X-Slack-Signature has a version other than v0")]
    UnsupportedVersion,
    /// No configured signing secret produces this signature.
    #[error("the signature does not match any configured signing secret")]
    Mismatch,
}

impl SignatureError {
    /// Stable code for answers, logs and the `reason` label of a reject metric (the same codes
    /// as the HubSpot intake's where the reason is the same).
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingSignature => "signature_missing",
            Self::MissingTimestamp | Self::MalformedTimestamp => "timestamp_invalid",
            Self::Stale { .. } => "timestamp_stale",
            Self::Future { .. } => "timestamp_future",
            Self::MalformedSignature => "signature_malformed",
            Self::UnsupportedVersion => "signature_version_not_allowed",
            Self::Mismatch => "signature_mismatch",
        }
    }
}

/// A body whose signature checked out: the only input [`crate::interaction::parse`] takes.
#[derive(Debug, Clone, Copy)]
pub struct VerifiedBody<'a> {
    body: &'a [u8],
    secret_index: usize,
    timestamp_s: i64,
}

impl<'a> VerifiedBody<'a> {
    /// The raw body.
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// Which of the secrets given to [`verify`] signed it (which Slack app, when several share
    /// the route).
    pub fn secret_index(&self) -> usize {
        self.secret_index
    }

    /// The signed timestamp, Unix seconds.
    pub fn timestamp_s(&self) -> i64 {
        self.timestamp_s
    }

    /// For this crate's tests: a body taken as verified.
    #[cfg(test)]
    pub(crate) fn assume_verified(body: &'a [u8]) -> Self {
        Self {
            body,
            secret_index: 0,
            timestamp_s: 0,
        }
    }
}

/// Checks `request` against every signing secret (several while a secret is rotated); `now_s` is
/// the receiver's clock, Unix seconds, and `window_s` normally [`WINDOW_S`].
pub fn verify<'a>(
    request: &SignedRequest<'a>,
    secrets: &[SecretString],
    now_s: i64,
    window_s: i64,
) -> Result<VerifiedBody<'a>, SignatureError> {
    let signature = request.signature.ok_or(SignatureError::MissingSignature)?;
    let timestamp = request.timestamp.ok_or(SignatureError::MissingTimestamp)?;
    let timestamp_s = check_timestamp(timestamp, now_s, window_s)?;
    let expected = decode_signature(signature)?;
    let index = secrets
        .iter()
        .position(|secret| {
            // `verify_slice` compares in constant time (it uses `subtle`).
            mac(secret, timestamp, request.body)
                .verify_slice(&expected)
                .is_ok()
        })
        .ok_or(SignatureError::Mismatch)?;
    Ok(VerifiedBody {
        body: request.body,
        secret_index: index,
        timestamp_s,
    })
}

/// `v0=` + lowercase hex of the HMAC, as Slack sends it. For tests and tools that play Slack.
pub fn sign(secret: &SecretString, timestamp: &str, body: &[u8]) -> String {
    format!(
        "v0={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Digits only (the basestring uses the header verbatim, so nothing may be trimmed or
/// normalised), then the window in both directions, `abs(now - ts) <= window` as Slack's Python
/// SDK does: refusing timestamps from the future too keeps a pre-signed request from being
/// replayed later (docs/slack.md "Request signing").
fn check_timestamp(timestamp: &str, now_s: i64, window_s: i64) -> Result<i64, SignatureError> {
    if timestamp.is_empty()
        || timestamp.len() > 18
        || !timestamp.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(SignatureError::MalformedTimestamp);
    }
    let ts: i64 = timestamp
        .parse()
        .map_err(|_| SignatureError::MalformedTimestamp)?;
    let age_s = now_s.saturating_sub(ts);
    if age_s > window_s {
        return Err(SignatureError::Stale { age_s, window_s });
    }
    let ahead_s = ts.saturating_sub(now_s);
    if ahead_s > window_s {
        return Err(SignatureError::Future { ahead_s, window_s });
    }
    Ok(ts)
}

/// `v0=` and exactly 32 bytes of hex (upper or lower case); any other version is refused.
fn decode_signature(signature: &str) -> Result<Vec<u8>, SignatureError> {
    let Some((version, hex_digest)) = signature.split_once('=') else {
        return Err(SignatureError::MalformedSignature);
    };
    if version != "v0" {
        return Err(SignatureError::UnsupportedVersion);
    }
    if hex_digest.len() != 64 {
        return Err(SignatureError::MalformedSignature);
    }
    hex::decode(hex_digest).map_err(|_| SignatureError::MalformedSignature)
}

fn mac(secret: &SecretString, timestamp: &str, body: &[u8]) -> HmacSha256 {
    // The key is the secret's UTF-8 bytes, not hex-decoded (docs/slack.md "Request signing").
    // HMAC takes keys of any length, so `new_from_slice` never fails; the fallback only keeps
    // this function free of a panic path.
    let key = secret.expose_secret().as_bytes();
    let mut mac =
        HmacSha256::new_from_slice(key).unwrap_or_else(|_| HmacSha256::new(&Default::default()));
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    mac
}

#[cfg(test)]
#[path = "signature_tests.rs"]
mod tests;
