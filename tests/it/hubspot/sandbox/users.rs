//! CRM users (docs/hubspot.md "Rep availability from CRM users"): the seeded users joined to the
//! seeded owners, paging and property selection, the control route that flips a status, and the
//! client's per-portal cache that sees the flip only after its refresh interval.

use std::sync::Arc;
use std::time::Duration;

use handoff::hubspot::client::ManualClock;
use handoff::hubspot::client::user_availability::Status;
use reqwest::Method;
use serde_json::json;

use crate::support::hubspot::{client_with, deps_with_clock, private_app_config};
use crate::support::sandbox::*;

/// A client whose portal reads availability every minute, on a clock the test moves.
fn reading_availability(
    sb: &handoff::sandbox::RunningSandbox,
) -> (handoff::hubspot::client::HubspotClient, Arc<ManualClock>) {
    let limit = sb.sandbox.rate_limit();
    let cfg = private_app_config(
        &sb.base_url,
        "",
        &format!(
            "quota = {{ requests = {}, interval_ms = {} }}\navailability = {{ from_hubspot = true, refresh_ms = 60000 }}",
            limit.requests, limit.interval_ms
        ),
    );
    let clock = Arc::new(ManualClock::new("2026-11-24T10:00:00Z".parse().unwrap()));
    (client_with(&cfg, deps_with_clock(clock.clone())), clock)
}

#[tokio::test]
async fn every_active_seeded_owner_has_a_crm_user_joined_by_user_id() {
    let sb = start(seeded()).await;
    let c = client_for(&sb);
    let users = c.list_users(PORTAL).await.unwrap();
    let owners = c.list_owners(PORTAL).await.unwrap();
    for o in owners.iter().filter(|o| !o.archived && o.user_id.is_some()) {
        let u = users
            .iter()
            .find(|u| u.internal_user_id() == o.user_id)
            .unwrap_or_else(|| panic!("owner {} has no CRM user", o.id.as_u64()));
        assert_eq!(u.email(), o.email.as_deref());
        assert_eq!(u.availability().status, Status::Available);
    }
}

#[tokio::test]
async fn users_are_paged_and_only_the_requested_properties_come_back() {
    let sb = start(seeded()).await;
    let first = json(
        raw(
            &sb,
            Method::GET,
            "/crm/v3/objects/users?limit=5&properties=hs_availability_status",
            Some("demo-token"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(first["results"].as_array().unwrap().len(), 5);
    let props = &first["results"][0]["properties"];
    assert_eq!(props["hs_availability_status"], "available");
    assert!(props.get("hs_email").is_none(), "{props}");
    assert_eq!(props["hs_object_id"], first["results"][0]["id"]);
    let after = first["paging"]["next"]["after"].as_str().unwrap();
    let second = json(
        raw(
            &sb,
            Method::GET,
            &format!("/crm/v3/objects/users?limit=5&after={after}"),
            Some("demo-token"),
            None,
        )
        .await,
    )
    .await;
    assert_ne!(second["results"][0]["id"], first["results"][0]["id"]);
    let bad = raw(
        &sb,
        Method::GET,
        "/crm/v3/objects/users?limit=500",
        Some("demo-token"),
        None,
    )
    .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(json(bad).await["category"], "VALIDATION_ERROR");
}

#[tokio::test]
async fn the_control_route_sets_a_status_by_user_or_owner_id_and_refuses_unknown_values() {
    let sb = start(seeded()).await;
    let away = json!({"properties": {"hs_availability_status": "away"}});
    let resp = raw(&sb, Method::PATCH, "/_sandbox/users/301", None, Some(away)).await;
    assert_eq!(resp.status(), 200, "owner id 301 names its user");
    let user = json(resp).await;
    assert_eq!(user["properties"]["hs_internal_user_id"], "9301");
    assert_eq!(user["properties"]["hs_availability_status"], "away");

    let boat = json!({"properties": {"hs_availability_status": "on_a_boat"}});
    let resp = raw(
        &sb,
        Method::PATCH,
        "/_sandbox/users/20783889301",
        None,
        Some(boat),
    )
    .await;
    assert_eq!(resp.status(), 400);
    let verbatim = json!({"properties": {"hs_availability_status": "on_a_boat"}, "verbatim": true});
    let resp = raw(
        &sb,
        Method::PATCH,
        "/_sandbox/users/20783889301",
        None,
        Some(verbatim),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let resp = raw(
        &sb,
        Method::PATCH,
        "/_sandbox/users/31337",
        None,
        Some(json!({"properties": {}})),
    )
    .await;
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn without_the_users_scope_reads_are_refused_with_missing_scopes_until_granted() {
    let sb = start(seeded()).await;
    let scope = |granted: bool| json!({ "granted": granted });
    let resp = raw(
        &sb,
        Method::PUT,
        "/_sandbox/users/scope",
        None,
        Some(scope(false)),
    )
    .await;
    assert_eq!(resp.status(), 204);
    let c = client_for(&sb);
    let err = c.list_users(PORTAL).await.unwrap_err();
    assert_eq!(err.code(), "hubspot.permanent", "{err}");
    let body = json(raw(&sb, Method::GET, "/crm/v3/objects/users", Some("t"), None).await).await;
    assert_eq!(body["category"], "MISSING_SCOPES");
    raw(
        &sb,
        Method::PUT,
        "/_sandbox/users/scope",
        None,
        Some(scope(true)),
    )
    .await;
    assert!(!c.list_users(PORTAL).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_client_caches_users_per_portal_and_sees_a_change_after_the_refresh_interval() {
    let sb = start(seeded()).await;
    let (c, clock) = reading_availability(&sb);
    assert_eq!(c.availability_refresh(), Some(Duration::from_secs(60)));
    let status = |users: &[handoff::hubspot::client::CrmUser]| {
        users
            .iter()
            .find(|u| u.internal_user_id() == Some(9301))
            .map(|u| u.availability().status)
    };
    let before = c.crm_users(PORTAL).await.unwrap().unwrap();
    assert_eq!(status(&before), Some(Status::Available));
    sb.sandbox
        .set_user_properties(
            301,
            [("hs_availability_status".to_owned(), "away".to_owned())].into(),
            false,
        )
        .unwrap();
    let cached = c.crm_users(PORTAL).await.unwrap().unwrap();
    assert_eq!(
        status(&cached),
        Some(Status::Available),
        "served from the cache"
    );
    clock.advance(Duration::from_secs(61));
    let fresh = c.crm_users(PORTAL).await.unwrap().unwrap();
    assert_eq!(status(&fresh), Some(Status::Away));
}

#[tokio::test]
async fn a_failing_refresh_serves_the_cached_users_and_a_refused_one_drops_them() {
    let sb = start(seeded()).await;
    let (c, clock) = reading_availability(&sb);
    let first = c.crm_users(PORTAL).await.unwrap().unwrap();
    // HubSpot answers 503 to every try: the cached users are served.
    sb.sandbox
        .set_faults(handoff::sandbox::FaultConfig {
            fail_next: 100,
            fail_status: 503,
            path_prefix: Some("/crm/v3/objects/users".into()),
            ..Default::default()
        })
        .unwrap();
    clock.advance(Duration::from_secs(61));
    let served = c.crm_users(PORTAL).await.unwrap().unwrap();
    assert_eq!(served, first);
    // HubSpot refuses (403 missing scope): the cache is dropped, the error surfaces.
    sb.sandbox
        .set_faults(handoff::sandbox::FaultConfig::default())
        .unwrap();
    sb.sandbox.set_users_scope(false);
    assert_eq!(
        c.crm_users(PORTAL).await.unwrap().unwrap(),
        first,
        "the next try waits one interval"
    );
    clock.advance(Duration::from_secs(61));
    let err = c.crm_users(PORTAL).await.unwrap_err();
    assert_eq!(err.code(), "hubspot.permanent");
    assert_eq!(
        c.refresh_stale_users().await.len(),
        1,
        "nothing cached any more"
    );
}

#[tokio::test]
async fn a_portal_without_the_switch_reads_no_users() {
    let sb = start(seeded()).await;
    let c = client_for(&sb);
    assert_eq!(c.availability_refresh(), None);
    assert!(c.crm_users(PORTAL).await.unwrap().is_none());
    assert!(c.refresh_stale_users().await.is_empty());
}
