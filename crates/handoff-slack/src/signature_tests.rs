//! Slack's documented example (docs/slack.md "Request signing") plus the refusals and a property:
//! any change of body or timestamp is rejected.

use proptest::prelude::*;

use super::*;

const DOC_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const DOC_TS: &str = "1531420618";
const DOC_BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const DOC_SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
const NOW: i64 = 1_531_420_618;

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn request<'a>(sig: Option<&'a str>, ts: Option<&'a str>, body: &'a [u8]) -> SignedRequest<'a> {
    SignedRequest {
        signature: sig,
        timestamp: ts,
        body,
    }
}

fn check(sig: Option<&str>, ts: Option<&str>, body: &[u8], now: i64) -> Result<(), SignatureError> {
    verify(
        &request(sig, ts, body),
        &[secret(DOC_SECRET)],
        now,
        WINDOW_S,
    )
    .map(|_| ())
}

#[test]
fn slacks_documented_example_signs_and_verifies() {
    assert_eq!(DOC_BODY.len(), 362);
    assert_eq!(
        sign(&secret(DOC_SECRET), DOC_TS, DOC_BODY.as_bytes()),
        DOC_SIGNATURE
    );
    let ok = verify(
        &request(Some(DOC_SIGNATURE), Some(DOC_TS), DOC_BODY.as_bytes()),
        &[secret(DOC_SECRET)],
        NOW,
        WINDOW_S,
    )
    .unwrap();
    assert_eq!(ok.body(), DOC_BODY.as_bytes());
    assert_eq!(ok.timestamp_s(), NOW);
}

#[test]
fn a_timestamp_older_than_five_minutes_is_stale_and_one_at_the_edge_is_not() {
    let body = DOC_BODY.as_bytes();
    assert_eq!(
        check(Some(DOC_SIGNATURE), Some(DOC_TS), body, NOW + 300),
        Ok(())
    );
    assert_eq!(
        check(Some(DOC_SIGNATURE), Some(DOC_TS), body, NOW + 301),
        Err(SignatureError::Stale {
            age_s: 301,
            window_s: 300
        })
    );
}

#[test]
fn a_timestamp_more_than_five_minutes_ahead_is_refused() {
    let body = DOC_BODY.as_bytes();
    assert_eq!(
        check(Some(DOC_SIGNATURE), Some(DOC_TS), body, NOW - 300),
        Ok(())
    );
    let err = check(Some(DOC_SIGNATURE), Some(DOC_TS), body, NOW - 301).unwrap_err();
    assert_eq!(
        err,
        SignatureError::Future {
            ahead_s: 301,
            window_s: 300
        }
    );
    assert_eq!(err.code(), "timestamp_future");
}

#[test]
fn a_tampered_body_is_a_mismatch() {
    let tampered = DOC_BODY.replace("roadrunner", "wilecoyote");
    assert_eq!(
        check(Some(DOC_SIGNATURE), Some(DOC_TS), tampered.as_bytes(), NOW),
        Err(SignatureError::Mismatch)
    );
    let with_newline = format!("{DOC_BODY}\n");
    assert_eq!(
        check(
            Some(DOC_SIGNATURE),
            Some(DOC_TS),
            with_newline.as_bytes(),
            NOW
        ),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn a_wrong_secret_is_a_mismatch_and_the_right_one_among_several_is_named() {
    let req = request(Some(DOC_SIGNATURE), Some(DOC_TS), DOC_BODY.as_bytes());
    let wrong = [secret("another-apps-secret")];
    assert_eq!(
        verify(&req, &wrong, NOW, WINDOW_S).unwrap_err(),
        SignatureError::Mismatch
    );
    // The key is the secret's bytes: the hex-decoded form of a hex-looking secret is not it.
    let hexish = [secret("8f742231b10e8888")];
    assert!(verify(&req, &hexish, NOW, WINDOW_S).is_err());
    let both = [secret("another-apps-secret"), secret(DOC_SECRET)];
    assert_eq!(
        verify(&req, &both, NOW, WINDOW_S).unwrap().secret_index(),
        1
    );
    assert!(verify(&req, &[], NOW, WINDOW_S).is_err());
}

#[test]
fn missing_headers_are_named() {
    let body = DOC_BODY.as_bytes();
    assert_eq!(
        check(None, Some(DOC_TS), body, NOW),
        Err(SignatureError::MissingSignature)
    );
    assert_eq!(
        check(Some(DOC_SIGNATURE), None, body, NOW),
        Err(SignatureError::MissingTimestamp)
    );
    assert_eq!(
        check(None, None, body, NOW),
        Err(SignatureError::MissingSignature)
    );
}

#[test]
fn malformed_headers_are_refused_before_any_hmac() {
    let body = DOC_BODY.as_bytes();
    for ts in [
        "",
        " 1531420618",
        "1531420618.5",
        "-1531420618",
        "1e9",
        "99999999999999999999",
    ] {
        assert_eq!(
            check(Some(DOC_SIGNATURE), Some(ts), body, NOW),
            Err(SignatureError::MalformedTimestamp),
            "{ts:?}"
        );
    }
    let v1 = DOC_SIGNATURE.replacen("v0=", "v1=", 1);
    assert_eq!(
        check(Some(&v1), Some(DOC_TS), body, NOW),
        Err(SignatureError::UnsupportedVersion)
    );
    let short = &DOC_SIGNATURE[..DOC_SIGNATURE.len() - 2];
    let not_hex = DOC_SIGNATURE.replace('a', "z");
    for sig in ["", "v0", "v0=", short, &not_hex, "a2114d57b48eac39"] {
        let err = check(Some(sig), Some(DOC_TS), body, NOW).unwrap_err();
        assert!(
            matches!(
                err,
                SignatureError::MalformedSignature | SignatureError::UnsupportedVersion
            ),
            "{sig:?}: {err:?}"
        );
    }
    let upper = format!("v0={}", DOC_SIGNATURE[3..].to_uppercase());
    assert_eq!(check(Some(&upper), Some(DOC_TS), body, NOW), Ok(()));
}

#[test]
fn extreme_clocks_and_timestamps_do_not_overflow() {
    let body = b"payload=x";
    let ts = "999999999999999999";
    let sig = sign(&secret(DOC_SECRET), ts, body);
    assert!(matches!(
        check(Some(&sig), Some(ts), body, i64::MIN),
        Err(SignatureError::Future { .. })
    ));
    let sig0 = sign(&secret(DOC_SECRET), "0", body);
    assert!(matches!(
        check(Some(&sig0), Some("0"), body, i64::MAX),
        Err(SignatureError::Stale { .. })
    ));
}

#[test]
fn no_error_message_shows_the_secret() {
    let req = request(Some(DOC_SIGNATURE), Some(DOC_TS), b"x");
    let err = verify(&req, &[secret(DOC_SECRET)], NOW, WINDOW_S).unwrap_err();
    assert!(!format!("{err} {err:?}").contains(DOC_SECRET));
}

proptest! {
    #[test]
    fn any_change_of_body_or_timestamp_is_rejected(
        body in proptest::collection::vec(any::<u8>(), 0..300),
        flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
        ts_delta in 1i64..=300,
        later in any::<bool>(),
    ) {
        let s = secret("test-signing-secret");
        let ts = NOW.to_string();
        let sig = sign(&s, &ts, &body);
        let ok = verify(&request(Some(&sig), Some(&ts), &body), std::slice::from_ref(&s), NOW, WINDOW_S);
        prop_assert!(ok.is_ok());
        if !body.is_empty() {
            let mut changed = body.clone();
            let at = flip.index(changed.len());
            changed[at] ^= 1 << bit;
            let r = verify(&request(Some(&sig), Some(&ts), &changed), std::slice::from_ref(&s), NOW, WINDOW_S);
            prop_assert_eq!(r.unwrap_err(), SignatureError::Mismatch);
        }
        let mut longer = body.clone();
        longer.push(b'x');
        let r = verify(&request(Some(&sig), Some(&ts), &longer), std::slice::from_ref(&s), NOW, WINDOW_S);
        prop_assert_eq!(r.unwrap_err(), SignatureError::Mismatch);
        // Another timestamp, still inside the window, with the old signature.
        let other = if later { NOW + ts_delta } else { NOW - ts_delta };
        let other = other.to_string();
        let r = verify(&request(Some(&sig), Some(&other), &body), std::slice::from_ref(&s), NOW, WINDOW_S);
        prop_assert_eq!(r.unwrap_err(), SignatureError::Mismatch);
    }
}
