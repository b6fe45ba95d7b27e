//! Signature checking (crates/handoff-hubspot/src/signature.rs) with arbitrary method, URI, body,
//! headers, clock and window: never panics; a request signed with the app's secret at a timestamp
//! inside the window is accepted, by an app whose secret makes that signature; the same request
//! with another body is refused; legacy signatures pass exactly when enabled.
#![no_main]

use arbitrary::Arbitrary;
use handoff::hubspot::signature::{
    AppKey, SignatureVersion, SignedRequest, decode_uri, sign_v1, sign_v2, sign_v3, verify,
};
use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    method: &'a str,
    uri: &'a str,
    body: &'a [u8],
    signature_v3: Option<&'a str>,
    timestamp: Option<&'a str>,
    signature_legacy: Option<&'a str>,
    legacy_version: Option<&'a str>,
    now_ms: i64,
    window_ms: i64,
    secret: &'a str,
    other_secret: &'a str,
    allow_v1: bool,
    allow_v2: bool,
    /// Offset of a genuinely signed timestamp from `now_ms`.
    skew_ms: i16,
}

fuzz_target!(|input: Input<'_>| {
    let apps = [
        AppKey {
            app_id: Some(1),
            secret: SecretString::from(input.other_secret),
            allow_v1: false,
            allow_v2: false,
        },
        AppKey {
            app_id: None,
            secret: SecretString::from(input.secret),
            allow_v1: input.allow_v1,
            allow_v2: input.allow_v2,
        },
    ];
    // Whatever the headers say: an answer, never a panic.
    let raw = SignedRequest {
        method: input.method,
        uri: input.uri,
        body: input.body,
        signature_v3: input.signature_v3,
        timestamp: input.timestamp,
        signature_legacy: input.signature_legacy,
        legacy_version: input.legacy_version,
    };
    match verify(&raw, &apps, input.now_ms, input.window_ms) {
        Ok(verified) => assert!(verified.app_index < apps.len()),
        Err(err) => assert!(!err.code().is_empty() && !err.to_string().is_empty()),
    }
    let _ = decode_uri(input.uri);

    // A genuine v3 signature inside the window is accepted, by the app that made it (or one
    // with the same secret); over another body it is refused.
    let window_ms = 300_000;
    let now_ms = input.now_ms.clamp(0, i64::MAX / 2);
    let ts = (now_ms + i64::from(input.skew_ms)).max(0).to_string();
    let secret = SecretString::from(input.secret);
    let sig = sign_v3(&secret, input.method, input.uri, input.body, &ts);
    let signed = SignedRequest {
        signature_v3: Some(&sig),
        timestamp: Some(&ts),
        signature_legacy: None,
        legacy_version: None,
        ..raw
    };
    let ok = verify(&signed, &apps, now_ms, window_ms).expect("a genuine v3 signature");
    assert_eq!(ok.version, SignatureVersion::V3);
    // The app it names signs the same way (HMAC pads keys with zero bytes, so two secrets
    // that differ only by trailing NULs are the same key: not the app that signed, but equal).
    let named = &apps[ok.app_index].secret;
    assert_eq!(
        sign_v3(named, input.method, input.uri, input.body, &ts),
        sig
    );
    let mut other_body = input.body.to_vec();
    other_body.push(b' ');
    let tampered = SignedRequest {
        body: &other_body,
        ..signed
    };
    assert!(verify(&tampered, &apps, now_ms, window_ms).is_err());

    // Legacy signatures: accepted exactly when an app with that secret enables them.
    for (version, sig) in [
        ("v1", sign_v1(&secret, input.body)),
        ("v2", sign_v2(&secret, input.method, input.uri, input.body)),
    ] {
        let legacy = SignedRequest {
            signature_v3: None,
            timestamp: None,
            signature_legacy: Some(&sig),
            legacy_version: Some(version),
            ..raw
        };
        let enabled = if version == "v1" {
            input.allow_v1
        } else {
            input.allow_v2
        };
        assert_eq!(
            verify(&legacy, &apps, now_ms, window_ms).is_ok(),
            enabled,
            "{version}"
        );
    }
});
