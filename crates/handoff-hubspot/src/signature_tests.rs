//! Official vectors (docs/hubspot.md "Official test vectors") plus properties: any change of
//! method, URI, body, timestamp or secret is rejected.

use proptest::prelude::*;
use secrecy::SecretString;

use super::*;

const SECRET: &str = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
const URL: &str = "https://www.example.com/webhook_uri";
/// The 207-byte Node SDK v1 body (Node SDK test).
const NODE_BODY: &str = r#"[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]"#;
/// The Python/Ruby SDK body, single quotes and all (Python and Ruby SDK tests).
const PY_BODY: &str = "{'example_field':'example_value'}";

fn secret() -> SecretString {
    SecretString::from(SECRET)
}

fn app(allow_v1: bool, allow_v2: bool) -> AppKey {
    AppKey {
        app_id: None,
        secret: secret(),
        allow_v1,
        allow_v2,
    }
}

fn v3_request<'a>(
    method: &'a str,
    uri: &'a str,
    body: &'a [u8],
    sig: &'a str,
    ts: &'a str,
) -> SignedRequest<'a> {
    SignedRequest {
        method,
        uri,
        body,
        signature_v3: Some(sig),
        timestamp: Some(ts),
        signature_legacy: None,
        legacy_version: None,
    }
}

#[test]
fn node_sdk_v1_vector() {
    assert_eq!(
        sign_v1(&secret(), NODE_BODY.as_bytes()),
        "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
    );
}

#[test]
fn node_sdk_v2_vectors() {
    assert_eq!(
        sign_v2(&secret(), "GET", URL, b""),
        "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"
    );
    assert_eq!(
        sign_v2(
            &secret(),
            "POST",
            URL,
            br#"{"example_field":"example_value"}"#
        ),
        "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900"
    );
}

#[test]
fn python_and_ruby_sdk_v1_v2_vectors() {
    assert_eq!(
        sign_v1(&secret(), PY_BODY.as_bytes()),
        "69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750"
    );
    assert_eq!(
        sign_v2(&secret(), "POST", URL, PY_BODY.as_bytes()),
        "4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383"
    );
}

#[test]
fn python_sdk_v3_vector() {
    assert_eq!(
        sign_v3(&secret(), "POST", URL, PY_BODY.as_bytes(), "1693657560000"),
        "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y="
    );
}

#[test]
fn ruby_sdk_v3_vector() {
    assert_eq!(
        sign_v3(&secret(), "POST", URL, PY_BODY.as_bytes(), "1700000300000"),
        "RnbPH7+UMKVkbV32P8bz450N4M56aPmcru1+D3kSDtw="
    );
}

#[test]
fn derived_v3_vectors_decode_exactly_the_listed_escapes() {
    let body = NODE_BODY.as_bytes();
    assert_eq!(
        sign_v3(&secret(), "POST", URL, body, "1700000300000"),
        "smW6rgegs09CsNkBMkt7S2A8yJh/NGA8hRa/1lTI9wc="
    );
    let raw = "https://www.example.com/webhook_uri?src=hs%3Aapp%2Fv3&x=%28a%29&sp=a%20b";
    assert_eq!(
        decode_uri(raw),
        "https://www.example.com/webhook_uri?src=hs:app/v3&x=(a)&sp=a%20b"
    );
    assert_eq!(
        sign_v3(&secret(), "POST", raw, body, "1700000300000"),
        "csY0i/WT5VNEuPHxU5wPm56oy81GldpLJZG4rtvoP98="
    );
}

#[test]
fn decode_uri_handles_truncated_and_unlisted_escapes() {
    assert_eq!(decode_uri("a%2"), "a%2");
    assert_eq!(decode_uri("a%"), "a%");
    assert_eq!(decode_uri("%26%3D%3a"), "%26%3D%3a");
    assert_eq!(decode_uri("%21%24%27%2A%2C%3B%40%3F"), "!$'*,;@?");
}

#[test]
fn v3_vector_verifies_within_the_window_and_not_outside() {
    let sig = "RnbPH7+UMKVkbV32P8bz450N4M56aPmcru1+D3kSDtw=";
    let req = v3_request("POST", URL, PY_BODY.as_bytes(), sig, "1700000300000");
    let apps = [app(false, false)];
    let ok = verify(&req, &apps, 1_700_000_300_000 + 299_999, 300_000);
    assert_eq!(
        ok,
        Ok(Verified {
            app_index: 0,
            version: SignatureVersion::V3
        })
    );
    // The PHP SDK's case: 300 500 ms old is stale (docs/hubspot.md "Official test vectors").
    let stale = verify(&req, &apps, 1_700_000_300_000 + 300_500, 300_000);
    assert!(matches!(stale, Err(SignatureError::Stale { .. })));
    let future = verify(&req, &apps, 1_700_000_300_000 - 300_001, 300_000);
    assert!(matches!(future, Err(SignatureError::Future { .. })));
}

/// Found by the `signature_headers` fuzz target (docs/fuzzing.md): a clock at `i64::MIN`
/// overflowed the "how far ahead" computation. Extreme clocks and timestamps now get an answer.
#[test]
fn timestamps_at_the_ends_of_the_clock_are_judged_without_overflow() {
    let apps = [app(false, false)];
    for (now_ms, ts, window_ms) in [
        (i64::MIN, "0", 0),
        (i64::MIN, "9223372036854775807", 300_000),
        (i64::MAX, "0", 300_000),
        (0, "9223372036854775807", i64::MAX),
    ] {
        let sig = sign_v3(&secret(), "POST", URL, b"[]", ts);
        let req = v3_request("POST", URL, b"[]", &sig, ts);
        let answer = verify(&req, &apps, now_ms, window_ms);
        assert!(
            matches!(
                answer,
                Err(SignatureError::Stale { .. } | SignatureError::Future { .. }) | Ok(_)
            ),
            "now {now_ms}, ts {ts}: {answer:?}"
        );
    }
    let sig = sign_v3(&secret(), "POST", URL, b"[]", "0");
    let future = verify(
        &v3_request("POST", URL, b"[]", &sig, "0"),
        &apps,
        i64::MIN,
        0,
    );
    assert_eq!(
        future,
        Err(SignatureError::Future {
            ahead_ms: i64::MAX,
            window_ms: 0
        })
    );
}

#[test]
fn v3_picks_the_app_whose_secret_signed() {
    let sig = sign_v3(&secret(), "POST", URL, b"[]", "1000");
    let other = AppKey {
        app_id: Some(1),
        secret: SecretString::from("other"),
        allow_v1: false,
        allow_v2: false,
    };
    let apps = [other, app(false, false)];
    let req = v3_request("POST", URL, b"[]", &sig, "1000");
    assert_eq!(
        verify(&req, &apps, 1000, 300_000).map(|v| v.app_index),
        Ok(1)
    );
}

#[test]
fn v3_rejects_missing_or_malformed_headers() {
    let apps = [app(true, true)];
    let mut req = v3_request("POST", URL, b"[]", "not base64!", "1000");
    assert_eq!(
        verify(&req, &apps, 1000, 300_000),
        Err(SignatureError::BadEncoding("base64"))
    );
    req.timestamp = Some("12ab");
    assert_eq!(
        verify(&req, &apps, 1000, 300_000),
        Err(SignatureError::MalformedTimestamp)
    );
    req.timestamp = Some("-1000");
    assert_eq!(
        verify(&req, &apps, 1000, 300_000),
        Err(SignatureError::MalformedTimestamp)
    );
    req.timestamp = None;
    assert_eq!(
        verify(&req, &apps, 1000, 300_000),
        Err(SignatureError::MissingTimestamp)
    );
    req.signature_v3 = None;
    assert_eq!(
        verify(&req, &apps, 1000, 300_000),
        Err(SignatureError::Missing)
    );
}

#[test]
fn legacy_signatures_are_refused_unless_the_app_enables_them() {
    let body = NODE_BODY.as_bytes();
    let v1 = sign_v1(&secret(), body);
    let req = SignedRequest {
        method: "POST",
        uri: URL,
        body,
        signature_v3: None,
        timestamp: None,
        signature_legacy: Some(&v1),
        legacy_version: Some("v1"),
    };
    assert_eq!(
        verify(&req, &[app(false, true)], 0, 300_000),
        Err(SignatureError::VersionNotAllowed("v1".into()))
    );
    assert_eq!(
        verify(&req, &[app(true, false)], 0, 300_000),
        Ok(Verified {
            app_index: 0,
            version: SignatureVersion::V1
        })
    );
    let v2 = sign_v2(&secret(), "POST", URL, body);
    let req = SignedRequest {
        signature_legacy: Some(&v2),
        legacy_version: Some("v2"),
        ..req
    };
    assert_eq!(
        verify(&req, &[app(true, false)], 0, 300_000),
        Err(SignatureError::VersionNotAllowed("v2".into()))
    );
    assert_eq!(
        verify(&req, &[app(false, true)], 0, 300_000).map(|v| v.version),
        Ok(SignatureVersion::V2)
    );
    let bad = SignedRequest { body: b"[]", ..req };
    assert_eq!(
        verify(&bad, &[app(false, true)], 0, 300_000),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn a_v3_header_is_judged_by_v3_even_when_a_valid_legacy_header_is_present() {
    let body = NODE_BODY.as_bytes();
    let v1 = sign_v1(&secret(), body);
    let req = SignedRequest {
        method: "POST",
        uri: URL,
        body,
        signature_v3: Some("AAAA"),
        timestamp: Some("1000"),
        signature_legacy: Some(&v1),
        legacy_version: Some("v1"),
    };
    assert_eq!(
        verify(&req, &[app(true, true)], 1000, 300_000),
        Err(SignatureError::Mismatch)
    );
}

proptest! {
    #[test]
    fn any_change_to_a_signed_v3_request_is_rejected(
        method in prop::sample::select(vec!["POST", "GET", "PUT", "post"]),
        path in "[a-z/]{0,20}",
        body in prop::collection::vec(any::<u8>(), 0..256),
        ts in 1_000_000_000_000i64..2_000_000_000_000,
        key in "[ -~]{1,40}",
        which in 0usize..5,
        flip in any::<u8>(),
    ) {
        let uri = format!("https://hooks.example.com/{path}");
        let ts_s = ts.to_string();
        let secret = SecretString::from(key.clone());
        let sig = sign_v3(&secret, method, &uri, &body, &ts_s);
        let apps = [AppKey { app_id: None, secret, allow_v1: false, allow_v2: false }];
        let good = v3_request(method, &uri, &body, &sig, &ts_s);
        prop_assert!(verify(&good, &apps, ts, 300_000).is_ok());

        let flip = flip | 1; // never zero, so the change is real
        let mut body2 = body.clone();
        let uri2 = format!("{uri}x");
        let ts2 = (ts + 1).to_string();
        let method2 = if method == "POST" { "PUT" } else { "POST" };
        let other_key = SecretString::from(format!("{key}!"));
        let result = match which {
            0 => verify(&v3_request(method2, &uri, &body, &sig, &ts_s), &apps, ts, 300_000),
            1 => verify(&v3_request(method, &uri2, &body, &sig, &ts_s), &apps, ts, 300_000),
            2 => {
                if body2.is_empty() { body2.push(flip) } else { body2[0] ^= flip }
                verify(&v3_request(method, &uri, &body2, &sig, &ts_s), &apps, ts, 300_000)
            }
            3 => verify(&v3_request(method, &uri, &body, &sig, &ts2), &apps, ts, 300_000),
            _ => {
                let apps = [AppKey { app_id: None, secret: other_key, allow_v1: false, allow_v2: false }];
                verify(&good, &apps, ts, 300_000)
            }
        };
        prop_assert_eq!(result, Err(SignatureError::Mismatch));
    }
}
