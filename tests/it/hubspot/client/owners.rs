//! Owners: pagination, filtering of archived/deactivated owners, cache refresh.

use std::sync::Arc;
use std::time::Duration;

use handoff::hubspot::client::{ManualClock, OwnerId};
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::support::hubspot::*;

fn owner(id: &str, user_id: Option<u64>, archived: bool) -> serde_json::Value {
    json!({"id": id, "email": format!("{id}@hubspot.com"), "type": "PERSON", "firstName": "A", "lastName": "B",
        "userId": user_id, "userIdIncludingInactive": 9586504, "createdAt": "2019-12-25T13:01:35.228Z",
        "updatedAt": "2023-08-22T13:40:26.790Z", "archived": archived,
        "teams": [{"id": "368389", "name": "Sales Team", "primary": true}]})
}

async fn mount_two_pages(server: &wiremock::MockServer) {
    Mock::given(method("GET"))
        .and(path("/crm/owners/2026-09"))
        .and(query_param("after", "page2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"results": [owner("3", Some(3), false), owner("4", Some(4), true)]}),
        ))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/crm/owners/2026-09"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"results": [owner("1", Some(1), false), owner("2", None, false)],
            "paging": {"next": {"after": "page2", "link": "https://api.hubapi.com/crm/owners/2026-09?after=page2"}}})))
        .mount(server)
        .await;
}

#[tokio::test]
async fn owners_are_listed_across_pages() {
    let server = fake().await;
    mount_two_pages(&server).await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    let all = c.list_owners(PORTAL).await.unwrap();
    assert_eq!(all.len(), 4);
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[0].url.query().unwrap().contains("limit=100"));
}

#[tokio::test]
async fn archived_and_deactivated_owners_are_never_assignable() {
    let server = fake().await;
    mount_two_pages(&server).await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    let ids: Vec<u64> = c
        .assignable_owners(PORTAL)
        .await
        .unwrap()
        .iter()
        .map(|o| o.id.as_u64())
        .collect();
    assert_eq!(ids, vec![1, 3]);
    assert!(
        c.assignable_owner(PORTAL, OwnerId::new(2).unwrap())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        c.assignable_owner(PORTAL, OwnerId::new(4).unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn the_owner_cache_is_reused_then_refreshed_on_schedule_and_on_demand() {
    let server = fake().await;
    mount_two_pages(&server).await;
    let clock = Arc::new(ManualClock::new("2026-11-23T10:00:00Z".parse().unwrap()));
    let cfg = private_app_config(&server.uri(), "owners_refresh_ms = 600000", "");
    let c = client_with(&cfg, deps_with_clock(clock.clone()));
    let requests = || async { server.received_requests().await.unwrap().len() };

    c.assignable_owners(PORTAL).await.unwrap();
    assert_eq!(requests().await, 2);
    c.assignable_owners(PORTAL).await.unwrap();
    assert_eq!(requests().await, 2, "served from cache");

    // Unknown owner within a minute of the last refresh: no refresh storm.
    assert!(
        c.assignable_owner(PORTAL, OwnerId::new(77).unwrap())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(requests().await, 2);
    // Later, an unknown owner triggers one on-demand refresh.
    clock.advance(Duration::from_secs(61));
    assert!(
        c.assignable_owner(PORTAL, OwnerId::new(77).unwrap())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(requests().await, 4);

    // Past the schedule the cache refreshes by itself.
    clock.advance(Duration::from_secs(601));
    assert!(c.refresh_stale_owners().await.is_empty());
    assert_eq!(requests().await, 6);
    c.refresh_owners(PORTAL).await.unwrap();
    assert_eq!(requests().await, 8, "explicit refresh");
}

#[tokio::test]
async fn an_owner_id_hubspot_lists_that_is_not_an_id_is_a_decode_error_not_owner_0() {
    let server = fake().await;
    Mock::given(method("GET"))
        .and(path("/crm/owners/2026-09"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"results": [owner("1", Some(1), false), owner("0", Some(2), false)]}),
        ))
        .mount(&server)
        .await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    let err = c.list_owners(PORTAL).await.unwrap_err();
    assert_eq!(err.detail_code(), "hubspot.permanent.rejected");
    let text = err.to_string();
    assert!(text.contains("owner id `0` is not an id"), "{text}");
}
