//! Search: own budget, local limit checks, search 429s.

use std::time::{Duration, Instant};

use handoff::hubspot::client::{Filter, FilterGroup, SearchObject, SearchRequest};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::hubspot::*;

fn open_tasks_for(contact: &str) -> SearchRequest {
    SearchRequest {
        filter_groups: vec![FilterGroup {
            filters: vec![
                Filter::neq("hs_task_status", "COMPLETED"),
                Filter::eq("associations.contact", contact),
            ],
        }],
        properties: vec!["hs_task_status".into(), "hubspot_owner_id".into()],
        limit: 100,
        ..SearchRequest::default()
    }
}

#[tokio::test]
async fn search_sends_hubspot_shaped_filters_and_retries_a_search_429() {
    let server = fake().await;
    Mock::given(method("POST"))
        .and(path("/crm/objects/2026-09/tasks/search"))
        .respond_with(Sequence::new(vec![
            ResponseTemplate::new(429).set_body_json(json!({"status": "error", "message": "You have reached your secondly limit.",
                "errorType": "RATE_LIMIT", "correlationId": "c033cdaa-2c40-4a64-ae48-b4cec88dad24"})),
            ResponseTemplate::new(200).set_body_json(json!({"total": 1, "results": [
                {"id": "17687016786", "properties": {"hs_task_status": "NOT_STARTED"}, "archived": false}],
                "paging": {"next": {"after": "1"}}})),
        ]))
        .expect(2)
        .mount(&server)
        .await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    let started = Instant::now();
    let page = c
        .search(PORTAL, SearchObject::Tasks, &open_tasks_for("104901"))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for the search window"
    );
    assert_eq!(page.total, 1);
    assert_eq!(page.after.as_deref(), Some("1"));
    let sent = body(&server.received_requests().await.unwrap()[0]);
    assert_eq!(
        sent["filterGroups"][0]["filters"][1],
        json!({"propertyName": "associations.contact", "operator": "EQ", "value": "104901"})
    );
}

#[tokio::test]
async fn an_invalid_search_is_rejected_locally_without_spending_budget() {
    let server = fake().await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    let mut req = open_tasks_for("1");
    req.limit = 500;
    let err = c
        .search(PORTAL, SearchObject::Contacts, &req)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "hubspot.permanent");
    assert!(err.to_string().contains("handoff.invalid_search"));
    assert!(server.received_requests().await.unwrap().is_empty());
}
