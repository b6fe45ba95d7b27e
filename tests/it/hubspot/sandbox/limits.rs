//! HubSpot's behaviours under stress: the rolling burst limit (headers and 429 bodies), the
//! client's budget staying under it, injected 5xx and daily exhaustion, and auth (401 bodies,
//! OAuth tokens issued and refreshed).

use std::time::{Duration, Instant};

use handoff::hubspot::client::{
    AuthFailure, ContactId, HubspotError, ItemError, NewTask, RateLimitPolicy,
};
use handoff::sandbox::{FaultConfig, SandboxConfig};
use reqwest::Method;
use serde_json::json;

use crate::support::hubspot::{client, oauth_config};
use crate::support::sandbox::*;

fn limited(rate: &str) -> SandboxConfig {
    SandboxConfig {
        rate_limit: rate.parse().unwrap(),
        ..seeded()
    }
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_burst_beyond_the_limit_gets_429_with_hubspots_headers_and_body() {
    let sb = start(limited("5/3s")).await;
    for expected_remaining in (0..5).rev() {
        let resp = raw(&sb, Method::GET, "/crm/v3/owners", Some("pat"), None).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(
            header(&resp, "x-hubspot-ratelimit-max").as_deref(),
            Some("5")
        );
        assert_eq!(
            header(&resp, "x-hubspot-ratelimit-remaining"),
            Some(expected_remaining.to_string())
        );
        assert_eq!(
            header(&resp, "x-hubspot-ratelimit-interval-milliseconds").as_deref(),
            Some("3000")
        );
        assert!(header(&resp, "x-hubspot-ratelimit-daily-remaining").is_some());
    }
    let resp = raw(&sb, Method::GET, "/crm/v3/owners", Some("pat"), None).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(
        header(&resp, "x-hubspot-ratelimit-remaining").as_deref(),
        Some("0")
    );
    let body = json(resp).await;
    assert_eq!(body["status"], "error");
    assert_eq!(body["errorType"], "RATE_LIMIT");
    assert_eq!(body["policyName"], "TEN_SECONDLY_ROLLING");
    assert!(
        body["correlationId"]
            .as_str()
            .is_some_and(|c| c.len() == 36)
    );
    let other_token = raw(&sb, Method::GET, "/crm/v3/owners", Some("other-app"), None).await;
    assert_eq!(
        other_token.status(),
        200,
        "private-app tokens have their own windows"
    );
    let stats = sb.sandbox.stats();
    assert_eq!(stats.rate_limited, 1);
    assert_eq!(stats.rate_limited_by_policy["TEN_SECONDLY_ROLLING"], 1);
    assert_eq!(stats.max_in_window, 6, "the refused request arrived too");
}

#[tokio::test]
async fn the_clients_budget_keeps_a_burst_under_the_limit() {
    let sb = start(limited("10/1s")).await;
    let c = client_for(&sb);
    let started = Instant::now();
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move {
                c.get_contact(PORTAL, ContactId::new(51001).unwrap(), &[])
                    .await
            })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    let stats = sb.sandbox.stats();
    assert_eq!(stats.requests, 16);
    assert_eq!(stats.rate_limited, 0);
    assert!(
        stats.max_in_window <= 10,
        "{} in one window",
        stats.max_in_window
    );
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "paced, not sent at once"
    );
}

#[tokio::test]
async fn injected_5xx_on_a_read_are_retried_and_the_call_succeeds() {
    let sb = start(seeded()).await;
    let faults = json!({"failNext": 2, "failStatus": 500, "pathPrefix": "/crm/objects/2026-09/contacts/batch/read"});
    let resp = raw(&sb, Method::PUT, "/_sandbox/faults", None, Some(faults)).await;
    assert_eq!(resp.status(), 200);
    let c = client_for(&sb);
    let items = c
        .batch_read_contacts(PORTAL, &[ContactId::new(51001).unwrap()], &["email"])
        .await;
    assert!(items[0].result.is_ok(), "{:?}", items[0].result);
    let stats = sb.sandbox.stats();
    assert_eq!(stats.injected_5xx, 2);
    assert_eq!(
        stats.by_route["POST /crm/objects/2026-09/contacts/batch/read"],
        3
    );
}

#[tokio::test]
async fn injected_latency_delays_only_the_paths_it_names() {
    let sb = start(seeded()).await;
    let faults = json!({"latencyMs": 300, "pathPrefix": "/crm/v3/owners"});
    raw(&sb, Method::PUT, "/_sandbox/faults", None, Some(faults)).await;
    let started = Instant::now();
    let resp = raw(&sb, Method::GET, "/crm/v3/owners", Some("t"), None).await;
    assert_eq!(resp.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    raw(
        &sb,
        Method::GET,
        "/crm/v3/objects/contacts/51001",
        Some("t"),
        None,
    )
    .await;
    assert!(started.elapsed() < Duration::from_millis(300));
    raw(&sb, Method::PUT, "/_sandbox/faults", None, Some(json!({}))).await;
    assert_eq!(
        sb.sandbox.faults(),
        FaultConfig::default(),
        "PUT replaces the whole set"
    );
}

#[tokio::test]
async fn an_injected_5xx_on_a_create_is_not_resent_and_may_have_applied() {
    let sb = start(seeded()).await;
    sb.sandbox
        .set_faults(FaultConfig {
            fail_next: 1,
            fail_status: 502,
            ..FaultConfig::default()
        })
        .unwrap();
    let c = client_for(&sb);
    let due = jiff::Timestamp::from_second(1_795_428_000).unwrap();
    let created = c
        .create_tasks(
            PORTAL,
            vec![NewTask::new(ContactId::new(51001).unwrap(), "Call", due)],
        )
        .await;
    match &created[0].result {
        Err(ItemError::Request(HubspotError::Transient { maybe_applied, .. })) => {
            assert!(*maybe_applied);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sb.sandbox.stats().requests, 1, "not resent in place");
    assert!(sb.sandbox.tasks(None).is_empty());
}

#[tokio::test]
async fn daily_exhaustion_parks_the_portal_and_storms_answer_429() {
    let sb = start(seeded()).await;
    sb.sandbox
        .set_faults("daily_exhausted".parse().unwrap())
        .unwrap();
    let c = client_for(&sb);
    let err = c
        .get_contact(PORTAL, ContactId::new(51001).unwrap(), &[])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            HubspotError::RateLimited {
                policy: RateLimitPolicy::Daily,
                ..
            }
        ),
        "{err}"
    );
    sb.sandbox
        .set_faults("storm_ms=60000".parse().unwrap())
        .unwrap();
    let resp = raw(&sb, Method::GET, "/crm/v3/owners", Some("t"), None).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(json(resp).await["policyName"], "TEN_SECONDLY_ROLLING");
    sb.sandbox.set_faults(FaultConfig::default()).unwrap();
    let resp = raw(&sb, Method::GET, "/crm/v3/owners", Some("t"), None).await;
    assert_eq!(
        resp.status(),
        200,
        "the storm ends when the faults are cleared"
    );
}

#[tokio::test]
async fn a_wrong_token_gets_401_with_hubspots_body_and_pauses_the_portal() {
    let sb = start(SandboxConfig {
        tokens: vec!["the-right-token".into()],
        ..seeded()
    })
    .await;
    for token in [None, Some("wrong")] {
        let resp = raw(&sb, Method::GET, "/crm/v3/owners", token, None).await;
        assert_eq!(resp.status(), 401);
        let body = json(resp).await;
        assert_eq!(body["status"], "error");
        assert_eq!(body["category"], "INVALID_AUTHENTICATION");
        assert!(body["correlationId"].is_string());
    }
    let ok = raw(
        &sb,
        Method::GET,
        "/crm/v3/owners",
        Some("the-right-token"),
        None,
    )
    .await;
    assert_eq!(ok.status(), 200);
    let c = client_for(&sb);
    let err = c
        .get_contact(PORTAL, ContactId::new(51001).unwrap(), &[])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            HubspotError::Auth {
                reason: AuthFailure::TokenRejected,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(sb.sandbox.stats().unauthorized, 3);
}

#[tokio::test]
async fn oauth_tokens_from_the_sandbox_are_accepted_and_refreshed_after_expiry() {
    let sb = start(SandboxConfig {
        tokens: vec!["no-static-token-matches".into()],
        ..seeded()
    })
    .await;
    let c = client(&oauth_config(&sb.base_url));
    let contact = c
        .get_contact(PORTAL, ContactId::new(51001).unwrap(), &[])
        .await
        .unwrap();
    assert_eq!(contact.id, ContactId::new(51001).unwrap());
    assert_eq!(sb.sandbox.stats().tokens_issued, 1);
    sb.sandbox.expire_tokens();
    c.get_contact(PORTAL, ContactId::new(51001).unwrap(), &[])
        .await
        .unwrap();
    let stats = sb.sandbox.stats();
    assert_eq!(
        stats.tokens_issued, 2,
        "a 401 on the expired token made the client refresh"
    );
    assert_eq!(stats.unauthorized, 1);

    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", "a"),
        ("client_secret", "b"),
    ];
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth/v3/token", sb.base_url))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(json(resp).await["status"], "BAD_REFRESH_TOKEN");
}

#[tokio::test]
async fn oauth_responses_carry_no_daily_headers() {
    let sb = start(seeded()).await;
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", "a"),
        ("client_secret", "b"),
        ("refresh_token", "r"),
    ];
    let token = reqwest::Client::new()
        .post(format!("{}/oauth/v3/token", sb.base_url))
        .form(&form)
        .send()
        .await
        .unwrap();
    let token = json(token).await;
    assert_eq!(token["expires_in"], 1800);
    assert_eq!(token["refresh_token"], "r");
    let access = token["access_token"].as_str().unwrap();
    let resp = raw(&sb, Method::GET, "/crm/v3/owners", Some(access), None).await;
    assert_eq!(resp.status(), 200);
    assert!(header(&resp, "x-hubspot-ratelimit-max").is_some());
    assert!(header(&resp, "x-hubspot-ratelimit-daily").is_none());
}
