//! The sandbox's portal set-up state, through the real client: the scopes a static token
//! holds (access-token-info), scopes taken away (403 `MISSING_SCOPES` naming them), token info
//! turned off, owners removed or changed, properties removed; a reset undoes it all.

use handoff::hubspot::client::{PropertyObject, TokenScopesSource};
use handoff::sandbox::{Access, OwnerPatch};
use reqwest::Method;
use serde_json::json;

use crate::support::sandbox::*;

#[tokio::test]
async fn a_static_token_is_described_with_the_scopes_the_portal_grants() {
    let sb = start(seeded()).await;
    let c = client_for(&sb);
    let info = c.token_scopes(PORTAL).await.unwrap();
    assert_eq!(info.source, TokenScopesSource::AccessTokenInfo);
    assert_eq!(info.hub_id, Some(PORTAL.as_u64()));
    assert!(
        info.scopes
            .iter()
            .any(|s| s == "crm.schemas.contacts.write")
    );
    let route = "POST /oauth/v2/private-apps/get/access-token-info";
    assert_eq!(sb.sandbox.stats().by_route.get(route), Some(&1));

    let mut access = sb.sandbox.access();
    access.scopes.remove("crm.objects.owners.read");
    sb.sandbox.set_access(access);
    let info = c.token_scopes(PORTAL).await.unwrap();
    assert!(!info.scopes.iter().any(|s| s == "crm.objects.owners.read"));
    let err = c.list_owners(PORTAL).await.unwrap_err();
    assert_eq!(err.missing_scopes(), ["crm.objects.owners.read"]);
}

#[tokio::test]
async fn token_info_can_refuse_a_token_and_an_unknown_token_is_a_401() {
    let sb = start(seeded()).await;
    let body = json!({"scopes": ["oauth"], "tokenInfo": false});
    let resp = raw(&sb, Method::PUT, "/_sandbox/scopes", None, Some(body)).await;
    assert_eq!(resp.status(), 200);
    let c = client_for(&sb);
    let err = c.token_scopes(PORTAL).await.unwrap_err();
    assert!(err.to_string().contains("400"), "{err}");
    sb.sandbox.reset();
    assert_eq!(sb.sandbox.access(), Access::default());
    let resp = raw(
        &sb,
        Method::POST,
        "/oauth/v2/private-apps/get/access-token-info",
        Some("pat-other"),
        Some(json!({"tokenKey": "pat-mine"})),
    )
    .await;
    assert_eq!(resp.status(), 401, "the bearer must be the token described");
}

#[tokio::test]
async fn owners_and_properties_can_be_broken_and_a_reset_restores_them() {
    let sb = start(seeded()).await;
    let c = client_for(&sb);
    sb.sandbox.remove_owner(101).unwrap();
    let patch = OwnerPatch {
        email: Some("someone.else@example.com".into()),
        archived: None,
    };
    sb.sandbox.patch_owner(102, patch).unwrap();
    let resp = raw(
        &sb,
        Method::PATCH,
        "/_sandbox/owners/103",
        None,
        Some(json!({"archived": true})),
    )
    .await;
    assert_eq!(resp.status(), 204);
    let active = c.list_owners(PORTAL).await.unwrap();
    assert!(
        !active
            .iter()
            .any(|o| o.id.as_u64() == 101 || o.id.as_u64() == 103)
    );
    let lea = active.iter().find(|o| o.id.as_u64() == 102).unwrap();
    assert_eq!(lea.email.as_deref(), Some("someone.else@example.com"));
    let archived = c.list_archived_owners(PORTAL).await.unwrap();
    assert!(archived.iter().any(|o| o.id.as_u64() == 103));
    assert!(
        !archived.iter().any(|o| o.id.as_u64() == 101),
        "101 is gone altogether"
    );

    let resp = raw(
        &sb,
        Method::DELETE,
        "/_sandbox/properties/contacts/jobtitle",
        None,
        None,
    )
    .await;
    assert_eq!(resp.status(), 204);
    let contacts = PropertyObject::Contacts;
    assert_eq!(
        c.property(PORTAL, contacts, "jobtitle").await.unwrap(),
        None
    );
    sb.sandbox.reset();
    assert!(
        c.property(PORTAL, contacts, "jobtitle")
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(c.list_owners(PORTAL).await.unwrap().len(), 12);
}
