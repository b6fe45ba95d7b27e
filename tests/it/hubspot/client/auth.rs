//! OAuth refresh before expiry, single-flight, 401 handling, encrypted persistence.

use std::sync::Arc;
use std::time::Duration;

use handoff::hubspot::client::{
    AuthFailure, ClientDeps, ContactId, HubspotError, InMemoryTokenStore, Jitter, ManualClock,
    TokenStore,
};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::hubspot::*;

fn token(n: u32) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(
        json!({"token_type": "bearer", "access_token": format!("tok-{n}"),
        "refresh_token": format!("refresh-SECRET-{n}"), "expires_in": 1800, "hub_id": PORTAL.as_u64()}),
    )
}

async fn mount_tokens(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/oauth/v3/token"))
        .respond_with(Sequence::new(vec![token(1), token(2), token(3)]))
        .mount(server)
        .await;
}

async fn mount_contact_for(server: &MockServer, bearer: &str, status: u16) {
    let resp = if status == 200 {
        ResponseTemplate::new(200).set_body_json(contact_json("1"))
    } else {
        ResponseTemplate::new(status).set_body_json(json!({"status": "error", "message": "Authentication credentials not found.",
            "category": "INVALID_AUTHENTICATION", "correlationId": "5e4a3b1c-0000-4000-8000-000000000000"}))
    };
    Mock::given(method("GET"))
        .and(path("/crm/objects/2026-09/contacts/1"))
        .and(header("Authorization", format!("Bearer {bearer}").as_str()))
        .respond_with(resp)
        .mount(server)
        .await;
}

async fn token_requests(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/oauth/v3/token")
        .map(|r| String::from_utf8(r.body.clone()).unwrap())
        .collect()
}

#[tokio::test]
async fn oauth_tokens_are_refreshed_before_expiry_and_stored_encrypted() {
    let server = fake().await;
    mount_tokens(&server).await;
    mount_contact_for(&server, "tok-1", 200).await;
    mount_contact_for(&server, "tok-2", 200).await;
    let clock = Arc::new(ManualClock::new("2026-11-23T10:00:00Z".parse().unwrap()));
    let store = Arc::new(InMemoryTokenStore::default());
    let deps = ClientDeps {
        clock: clock.clone(),
        token_store: store.clone(),
        jitter: Jitter::from_fn(|_| 0),
    };
    let c = client_with(&oauth_config(&server.uri()), deps);

    c.get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
        .await
        .unwrap();
    c.get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
        .await
        .unwrap();
    assert_eq!(
        token_requests(&server).await.len(),
        1,
        "token reused while fresh"
    );

    // 1800 s token, refreshed 300 s before expiry.
    clock.advance(Duration::from_secs(1_499));
    c.get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
        .await
        .unwrap();
    assert_eq!(token_requests(&server).await.len(), 1);
    clock.advance(Duration::from_secs(2));
    c.get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
        .await
        .unwrap();
    let forms = token_requests(&server).await;
    assert_eq!(forms.len(), 2, "refreshed before expiry");
    assert!(
        forms[0].contains("grant_type=refresh_token") && forms[0].contains("client_id=client-id-1")
    );
    assert!(forms[0].contains("refresh_token=refresh-SECRET-0"));
    assert!(
        forms[1].contains("refresh_token=refresh-SECRET-1"),
        "rotated refresh token used"
    );

    let sealed = store.load(PORTAL).await.unwrap().unwrap();
    for needle in [&b"tok-2"[..], b"refresh-SECRET"] {
        assert!(!sealed.ciphertext.windows(needle.len()).any(|w| w == needle));
    }
}

#[tokio::test]
async fn a_restarted_client_resumes_from_the_stored_tokens() {
    let server = fake().await;
    mount_tokens(&server).await;
    mount_contact_for(&server, "tok-1", 200).await;
    let store = Arc::new(InMemoryTokenStore::default());
    let cfg = oauth_config(&server.uri());
    let deps = ClientDeps {
        token_store: store.clone(),
        jitter: Jitter::from_fn(|_| 0),
        ..ClientDeps::default()
    };
    client_with(&cfg, deps.clone())
        .get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
        .await
        .unwrap();
    client_with(&cfg, deps)
        .get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
        .await
        .unwrap();
    assert_eq!(token_requests(&server).await.len(), 1);
}

#[tokio::test]
async fn concurrent_requests_share_one_refresh() {
    let server = fake().await;
    mount_tokens(&server).await;
    mount_contact_for(&server, "tok-1", 200).await;
    let c = client(&oauth_config(&server.uri()));
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(
                async move { c.get_contact(PORTAL, ContactId::new(1).unwrap(), &[]).await },
            )
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(token_requests(&server).await.len(), 1);
}

#[tokio::test]
async fn a_401_triggers_one_refresh_then_succeeds() {
    let server = fake().await;
    mount_tokens(&server).await;
    mount_contact_for(&server, "tok-1", 401).await;
    mount_contact_for(&server, "tok-2", 200).await;
    let c = client(&oauth_config(&server.uri()));
    c.get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
        .await
        .unwrap();
    assert_eq!(token_requests(&server).await.len(), 2);
}

#[tokio::test]
async fn a_401_after_refresh_pauses_the_portal_until_resumed() {
    let server = fake().await;
    mount_tokens(&server).await;
    for t in ["tok-1", "tok-2", "tok-3"] {
        mount_contact_for(&server, t, 401).await;
    }
    let c = client(&oauth_config(&server.uri()));
    let err = c
        .get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
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
        "{err:?}"
    );
    assert_eq!(err.retry_at(), None);
    let sent = server.received_requests().await.unwrap().len();
    let again = c
        .get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
        .await
        .unwrap_err();
    assert_eq!(again.detail_code(), "hubspot.auth.portal_paused");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        sent,
        "paused portal sends nothing"
    );
    c.resume_portal(PORTAL);
    let after = c
        .get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
        .await
        .unwrap_err();
    assert_eq!(after.detail_code(), "hubspot.auth.token_rejected");
}

#[tokio::test]
async fn a_private_app_401_pauses_at_once() {
    let server = fake().await;
    mount_contact_for(&server, "pat-na1-SECRET-TOKEN", 401).await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    let err = c
        .get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
        .await
        .unwrap_err();
    assert_eq!(err.detail_code(), "hubspot.auth.token_rejected");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_refused_refresh_pauses_the_portal() {
    let server = fake().await;
    Mock::given(method("POST"))
        .and(path("/oauth/v3/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"status": "BAD_REFRESH_TOKEN", "message": "missing or unknown refresh token"}),
        ))
        .mount(&server)
        .await;
    let c = client(&oauth_config(&server.uri()));
    let err = c
        .get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
        .await
        .unwrap_err();
    assert_eq!(err.detail_code(), "hubspot.auth.refresh_rejected");
}
