//! Tokens and secrets never appear in Debug output, Display of errors, or logs' inputs.

use handoff::hubspot::client::{ClientDeps, ContactId, HubspotConfig};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::hubspot::*;

fn assert_clean(what: &str, text: &str) {
    for needle in ["SECRET", "tok-", KEY_HEX] {
        assert!(!text.contains(needle), "{what} leaks {needle}: {text}");
    }
}

#[tokio::test]
async fn secrets_never_appear_in_debug_output_or_errors() {
    let server = fake().await;
    Mock::given(method("GET"))
        .and(path("/crm/objects/2026-09/contacts/1"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/v3/token"))
        .respond_with(ResponseTemplate::new(400))
        .mount(&server)
        .await;
    let private: HubspotConfig = private_app_config(&server.uri(), "", "");
    let oauth: HubspotConfig = oauth_config(&server.uri());
    assert_clean("config", &format!("{private:?}{oauth:?}"));
    for cfg in [&private, &oauth] {
        let c = client(cfg);
        assert_clean("client", &format!("{c:?}"));
        let err = c
            .get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
            .await
            .unwrap_err();
        assert_clean("error", &format!("{err:?} {err}"));
    }
    assert_clean("deps", &format!("{:?}", ClientDeps::default()));
    let secret: secrecy::SecretString = "tok-SECRET".into();
    assert_clean("SecretString", &format!("{secret:?}"));
}
