//! With portals configured, `serve` builds the HubSpot client (tokens persisted in the store)
//! and keeps each portal's owners cache fresh in the background.

use std::time::{Duration, Instant};

use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::app::spawn_app_with;

#[tokio::test]
async fn serve_refreshes_each_portals_owners_from_hubspot_in_the_background() {
    let hubspot = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/crm/owners/2026-09"))
        .and(header("authorization", "Bearer pat-test-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "results": [{"id": "101", "email": "jonas.becker@example.com", "type": "PERSON",
                         "userId": 9586504, "archived": false,
                         "createdAt": "2019-12-25T13:01:35.228Z", "updatedAt": "2023-08-22T13:40:26.790Z"}]
        })))
        .mount(&hubspot)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "pat-test-token\n").unwrap();
    let toml = format!(
        "[hubspot]\nbase_url = {:?}\n\n[[hubspot.portals]]\nid = 62515\nplaybook = \"example-b2b-saas\"\n\
         auth = {{ kind = \"private_app\", token_file = {:?} }}\n",
        hubspot.uri(),
        token.display().to_string()
    );
    let app = spawn_app_with(&toml, &[]).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let requests = hubspot.received_requests().await.unwrap_or_default();
        if requests
            .iter()
            .any(|r| r.url.path() == "/crm/owners/2026-09")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "serve never asked HubSpot for owners"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.stop().await;
}
