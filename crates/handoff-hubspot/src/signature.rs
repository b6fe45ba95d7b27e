//! HubSpot request signatures (docs/hubspot.md "Webhook signatures"): pure functions over the raw
//! request, no I/O and no clock. The intake stage calls [`verify`] before it parses a single byte
//! of the body.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Header carrying the v3 signature (docs/hubspot.md "Signature headers and versions";
/// case-insensitive).
pub const HEADER_V3: &str = "x-hubspot-signature-v3";
/// Header carrying the v3 timestamp, Unix epoch milliseconds (docs/hubspot.md "Signature headers
/// and versions").
pub const HEADER_TIMESTAMP: &str = "x-hubspot-request-timestamp";
/// Header carrying a v1 or v2 signature, lowercase hex (docs/hubspot.md "Signature headers and
/// versions").
pub const HEADER_LEGACY: &str = "x-hubspot-signature";
/// Says which algorithm [`HEADER_LEGACY`] uses: `v1` or `v2` (docs/hubspot.md "Signature headers
/// and versions").
pub const HEADER_LEGACY_VERSION: &str = "x-hubspot-signature-version";

/// One HubSpot app whose client secret may sign deliveries to this receiver.
#[derive(Debug, Clone)]
pub struct AppKey {
    /// The app's id; when set, every event of a delivery signed with this key must name it.
    pub app_id: Option<i64>,
    /// The app's client secret: the HMAC key (v3) or hash prefix (v1/v2), docs/hubspot.md "The
    /// signing secret".
    pub secret: SecretString,
    /// Accept the legacy v1 signature (`sha256(secret + body)`, no timestamp).
    pub allow_v1: bool,
    /// Accept the legacy v2 signature (`sha256(secret + method + uri + body)`, no timestamp).
    pub allow_v2: bool,
}

/// The parts of a request a signature covers, as they arrived.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The full target URL HubSpot posted to (scheme, host, path, query), as configured there.
    pub uri: &'a str,
    pub body: &'a [u8],
    pub signature_v3: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature_legacy: Option<&'a str>,
    pub legacy_version: Option<&'a str>,
}

/// Which signature a request was accepted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureVersion {
    V1,
    V2,
    V3,
}

/// Why a request's signature was refused. Every variant maps to a 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request carries no HubSpot signature header")]
    Missing,
    #[error("X-HubSpot-Request-Timestamp is missing")]
    MissingTimestamp,
    #[error("X-HubSpot-Request-Timestamp is not a whole number of milliseconds")]
    MalformedTimestamp,
    #[error("the request timestamp is {age_ms} ms old, beyond the {window_ms} ms window")]
    Stale { age_ms: i64, window_ms: i64 },
    #[error(
        "the request timestamp is {ahead_ms} ms in the future, beyond the {window_ms} ms window"
    )]
    Future { ahead_ms: i64, window_ms: i64 },
    #[error("the signature header is not valid {0}")]
    BadEncoding(&'static str),
    #[error("signature version {0:?} is not enabled for any configured app")]
    VersionNotAllowed(String),
    #[error("the signature does not match any configured app secret")]
    Mismatch,
}

impl SignatureError {
    /// Stable code for responses, logs and the `reason` label of the reject metric.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "signature_missing",
            Self::MissingTimestamp | Self::MalformedTimestamp => "timestamp_invalid",
            Self::Stale { .. } => "timestamp_stale",
            Self::Future { .. } => "timestamp_future",
            Self::BadEncoding(_) => "signature_malformed",
            Self::VersionNotAllowed(_) => "signature_version_not_allowed",
            Self::Mismatch => "signature_mismatch",
        }
    }
}

/// A successful verification: which app signed, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// Index into the `apps` slice given to [`verify`].
    pub app_index: usize,
    pub version: SignatureVersion,
}

/// Checks a request against every configured app.
///
/// A request carrying `X-HubSpot-Signature-v3` is judged by v3 alone: HubSpot sends the legacy
/// header beside it for backwards compatibility (docs/hubspot.md "Signature headers and versions"),
/// and v3 is the only one that covers a timestamp. Without it, v1/v2 are tried only for apps that
/// enable them.
pub fn verify(
    request: &SignedRequest<'_>,
    apps: &[AppKey],
    now_ms: i64,
    window_ms: i64,
) -> Result<Verified, SignatureError> {
    if let Some(signature) = request.signature_v3 {
        return verify_v3(request, signature, apps, (now_ms, window_ms));
    }
    let Some(signature) = request.signature_legacy else {
        return Err(SignatureError::Missing);
    };
    verify_legacy(request, signature, apps)
}

fn verify_v3(
    request: &SignedRequest<'_>,
    signature: &str,
    apps: &[AppKey],
    (now_ms, window_ms): (i64, i64),
) -> Result<Verified, SignatureError> {
    let timestamp = request.timestamp.ok_or(SignatureError::MissingTimestamp)?;
    check_timestamp(timestamp, now_ms, window_ms)?;
    let expected = BASE64
        .decode(signature.trim())
        .map_err(|_| SignatureError::BadEncoding("base64"))?;
    let uri = decode_uri(request.uri);
    let index = apps
        .iter()
        .position(|app| {
            let mac = v3_mac(&app.secret, request.method, &uri, request.body, timestamp);
            // Constant-time comparison (docs/hubspot.md "The v3 signature", step 5):
            // `verify_slice` uses `subtle`.
            mac.verify_slice(&expected).is_ok()
        })
        .ok_or(SignatureError::Mismatch)?;
    Ok(Verified {
        app_index: index,
        version: SignatureVersion::V3,
    })
}

/// v1 or v2, tried only for the apps that enable the version.
fn verify_legacy(
    request: &SignedRequest<'_>,
    signature: &str,
    apps: &[AppKey],
) -> Result<Verified, SignatureError> {
    let version = match request.legacy_version.map(str::trim) {
        Some(v) if v.eq_ignore_ascii_case("v1") => SignatureVersion::V1,
        Some(v) if v.eq_ignore_ascii_case("v2") => SignatureVersion::V2,
        other => {
            return Err(SignatureError::VersionNotAllowed(
                other.unwrap_or("").to_owned(),
            ));
        }
    };
    let expected = hex::decode(signature.trim()).map_err(|_| SignatureError::BadEncoding("hex"))?;
    let mut allowed = apps
        .iter()
        .enumerate()
        .filter(|(_, app)| match version {
            SignatureVersion::V1 => app.allow_v1,
            SignatureVersion::V2 => app.allow_v2,
            SignatureVersion::V3 => false,
        })
        .peekable();
    if allowed.peek().is_none() {
        let name = if version == SignatureVersion::V1 {
            "v1"
        } else {
            "v2"
        };
        return Err(SignatureError::VersionNotAllowed(name.to_owned()));
    }
    for (index, app) in allowed {
        let digest = match version {
            SignatureVersion::V1 => v1_digest(&app.secret, request.body),
            _ => v2_digest(&app.secret, request.method, request.uri, request.body),
        };
        if constant_time_eq(&digest, &expected) {
            return Ok(Verified {
                app_index: index,
                version,
            });
        }
    }
    Err(SignatureError::Mismatch)
}

/// Rejects timestamps outside `±window_ms` of `now_ms` (docs/hubspot.md "The timestamp window": the
/// docs reject old ones; refusing future ones too is our hardening against pre-signed replays).
fn check_timestamp(timestamp: &str, now_ms: i64, window_ms: i64) -> Result<(), SignatureError> {
    if timestamp.is_empty() || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::MalformedTimestamp);
    }
    let ts: i64 = timestamp
        .parse()
        .map_err(|_| SignatureError::MalformedTimestamp)?;
    // Both differences saturate: no clock or header value can overflow them (the fuzzer found
    // `-age_ms` overflowing for a clock at i64::MIN; regression test in signature_tests.rs).
    let age_ms = now_ms.saturating_sub(ts);
    if age_ms > window_ms {
        return Err(SignatureError::Stale { age_ms, window_ms });
    }
    let ahead_ms = ts.saturating_sub(now_ms);
    if ahead_ms > window_ms {
        return Err(SignatureError::Future {
            ahead_ms,
            window_ms,
        });
    }
    Ok(())
}

/// Decodes exactly the 12 percent-escapes HubSpot's v3 rule lists (docs/hubspot.md "The v3
/// signature"), in the upper-case form the table gives; every other escape (`%20`, `%26`, …) stays
/// as is.
pub fn decode_uri(uri: &str) -> Cow<'_, str> {
    if !uri.contains('%') {
        return Cow::Borrowed(uri);
    }
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(pos) = rest.find('%') {
        out.push_str(&rest[..pos]);
        let escape = rest.get(pos..pos + 3);
        match escape.and_then(decoded_escape) {
            Some(c) => {
                out.push(c);
                rest = &rest[pos + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[pos + 1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn decoded_escape(escape: &str) -> Option<char> {
    Some(match escape {
        "%3A" => ':',
        "%2F" => '/',
        "%3F" => '?',
        "%40" => '@',
        "%21" => '!',
        "%24" => '$',
        "%27" => '\'',
        "%28" => '(',
        "%29" => ')',
        "%2A" => '*',
        "%2C" => ',',
        "%3B" => ';',
        _ => return None,
    })
}

fn v3_mac(secret: &SecretString, method: &str, uri: &str, body: &[u8], ts: &str) -> HmacSha256 {
    // HMAC takes keys of any length, so `new_from_slice` never fails (hmac 0.13 block_api);
    // the fallback only keeps this function free of a panic path.
    let key = secret.expose_secret().as_bytes();
    let mut mac =
        HmacSha256::new_from_slice(key).unwrap_or_else(|_| HmacSha256::new(&Default::default()));
    mac.update(method.as_bytes());
    mac.update(uri.as_bytes());
    mac.update(body);
    mac.update(ts.as_bytes());
    mac
}

/// `base64(HMAC_SHA256(secret, method + uri + body + timestamp))`, with `uri` decoded per
/// [`decode_uri`]. Used by tests and the load tool to sign deliveries the way HubSpot does.
pub fn sign_v3(secret: &SecretString, method: &str, uri: &str, body: &[u8], ts: &str) -> String {
    let uri = decode_uri(uri);
    BASE64.encode(
        v3_mac(secret, method, &uri, body, ts)
            .finalize()
            .into_bytes(),
    )
}

fn v1_digest(secret: &SecretString, body: &[u8]) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(secret.expose_secret().as_bytes());
    hash.update(body);
    hash.finalize().to_vec()
}

fn v2_digest(secret: &SecretString, method: &str, uri: &str, body: &[u8]) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(secret.expose_secret().as_bytes());
    hash.update(method.as_bytes());
    hash.update(uri.as_bytes());
    hash.update(body);
    hash.finalize().to_vec()
}

/// Lowercase hex v1 signature: `sha256(secret + body)` (docs/hubspot.md "Legacy v1 and v2
/// signatures").
pub fn sign_v1(secret: &SecretString, body: &[u8]) -> String {
    hex::encode(v1_digest(secret, body))
}

/// Lowercase hex v2 signature: `sha256(secret + method + uri + body)` (docs/hubspot.md "Legacy v1
/// and v2 signatures").
pub fn sign_v2(secret: &SecretString, method: &str, uri: &str, body: &[u8]) -> String {
    hex::encode(v2_digest(secret, method, uri, body))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // `subtle` is what `hmac` uses for `verify_slice`; unequal lengths return false at once,
    // which leaks only the length of a public hash size.
    bool::from(a.ct_eq(b))
}

#[cfg(test)]
#[path = "signature_tests.rs"]
mod tests;
