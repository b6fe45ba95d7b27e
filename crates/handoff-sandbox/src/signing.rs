//! HubSpot's side of a webhook: the v3 signature HubSpot puts on each delivery
//! (docs/hubspot.md "The v3 signature"), so the load generator posts deliveries as HubSpot
//! would. Written here, not borrowed from handoff's verifier: a signer and a verifier that
//! shared code would agree on a mistake in it. A test in the service checks that what this
//! signs is accepted (`tests/it/webhook_intake.rs`).
//!
//! The URI is signed as given. HubSpot's verifier decodes some percent-escapes first, and no
//! live signature over an escaped URL has been observed (docs/hubspot.md "The v3 signature"),
//! so [`sign_v3`] refuses a URI with any.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Why a delivery cannot be signed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignError {
    #[error("the URL {0:?} has percent-escapes: give one without (HubSpot signs it decoded)")]
    Escaped(String),
}

/// The `X-HubSpot-Signature-v3` value: base64 of HMAC-SHA256, keyed with the app's client
/// secret, over the method, the full URI, the raw body and the `X-HubSpot-Request-Timestamp`
/// text, joined without separators.
pub fn sign_v3(
    secret: &SecretString,
    method: &str,
    uri: &str,
    body: &[u8],
    timestamp: &str,
) -> Result<String, SignError> {
    if uri.contains('%') {
        return Err(SignError::Escaped(uri.to_owned()));
    }
    // HMAC accepts a key of any length, so this never fails; the fallback only keeps a panic
    // path out of the code.
    let mut mac = HmacSha256::new_from_slice(secret.expose_secret().as_bytes())
        .unwrap_or_else(|_| HmacSha256::new(&Default::default()));
    for part in [
        method.as_bytes(),
        uri.as_bytes(),
        body,
        timestamp.as_bytes(),
    ] {
        mac.update(part);
    }
    Ok(BASE64.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The v3 vector of HubSpot's Python SDK tests (docs/hubspot.md "Official test vectors").
    #[test]
    fn signs_the_python_sdks_v3_test_vector() {
        let secret = SecretString::from("yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy");
        let sig = sign_v3(
            &secret,
            "POST",
            "https://www.example.com/webhook_uri",
            b"{'example_field':'example_value'}",
            "1693657560000",
        );
        assert_eq!(
            sig.as_deref(),
            Ok("K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y=")
        );
    }

    #[test]
    fn refuses_a_uri_with_percent_escapes() {
        let secret = SecretString::from("s");
        let err = sign_v3(&secret, "POST", "https://h/a%3Ab", b"[]", "1");
        assert_eq!(err, Err(SignError::Escaped("https://h/a%3Ab".into())));
    }
}
