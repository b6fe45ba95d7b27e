//! Both HubSpot API versions end to end: the client on `api_version = "2026-09"` and on `"v3"`
//! calls only its own family of paths, the sandbox serves both, and each version's batch shape
//! (a 207 on v3, `errors` inside the 200/201 on 2026-09) is parsed into the same per-input
//! outcomes.

use handoff::hubspot::client::{
    ApiVersion, CompanyId, ContactId, ContactUpdate, HubspotClient, ItemError, NewTask, OwnerId,
    SearchObject, SearchRequest,
};
use reqwest::Method;
use serde_json::json;

use super::helpers::*;

/// Every CRM call of the pipeline, through `c`.
async fn every_call(c: &HubspotClient) {
    let read = c
        .batch_read_contacts(PORTAL, &[ContactId(51001), ContactId(999_999)], &["email"])
        .await;
    assert!(read[0].result.is_ok(), "{:?}", read[0].result);
    assert!(matches!(read[1].result, Err(ItemError::NotFound)));
    let links = c
        .contact_companies(PORTAL, &[ContactId(51008), ContactId(424_242)])
        .await;
    assert_eq!(
        links[0].result.as_ref().unwrap()[0].company_id,
        CompanyId(8808)
    );
    assert!(matches!(links[1].result, Err(ItemError::NotFound)));
    let companies = c
        .batch_read_companies(PORTAL, &[CompanyId(8808), CompanyId(1)], &[])
        .await;
    assert_eq!(
        companies[0].result.as_ref().unwrap().owner_id,
        Some(OwnerId(104))
    );
    assert!(matches!(companies[1].result, Err(ItemError::NotFound)));
    let updated = c
        .batch_update_contacts(
            PORTAL,
            vec![
                ContactUpdate {
                    id: ContactId(51001),
                    properties: [("hubspot_owner_id".to_owned(), "101".to_owned())].into(),
                },
                ContactUpdate {
                    id: ContactId(404_404),
                    properties: [("hubspot_owner_id".to_owned(), "101".to_owned())].into(),
                },
            ],
        )
        .await;
    assert!(updated[0].result.is_ok(), "{:?}", updated[0].result);
    assert!(matches!(updated[1].result, Err(ItemError::NotFound)));
    let due = jiff::Timestamp::from_second(1_795_428_000).unwrap();
    let created = c
        .create_tasks(
            PORTAL,
            vec![
                NewTask::new(ContactId(51001), "Call Anna", due),
                NewTask::new(ContactId(404_404), "Nobody", due),
            ],
        )
        .await;
    let task = created[0].result.as_ref().unwrap();
    assert!(matches!(created[1].result, Err(ItemError::Rejected(_))));
    let tasks = c.batch_read_tasks(PORTAL, &[task.id]).await;
    assert!(tasks[0].result.is_ok());
    let search = SearchRequest {
        properties: vec!["email".into()],
        limit: 5,
        ..SearchRequest::default()
    };
    let page = c
        .search(PORTAL, SearchObject::Contacts, &search)
        .await
        .unwrap();
    assert!(page.total > 0);
    assert!(!c.list_owners(PORTAL).await.unwrap().is_empty());
    assert!(!c.list_users(PORTAL).await.unwrap().is_empty());
    let pipelines = c.lead_pipelines(PORTAL).await.unwrap();
    assert_eq!(pipelines[0].stages.len(), 5);
}

#[tokio::test]
async fn each_api_version_calls_only_its_own_paths_and_gets_the_same_outcomes() {
    for (v, own, other) in [
        (ApiVersion::Dated2026_09, "/2026-09", "/crm/v"),
        (ApiVersion::V3, "/crm/v", "/2026-09"),
    ] {
        let sb = start(seeded()).await;
        let c = client_for_version(&sb, v);
        assert_eq!(c.api_version(), v);
        every_call(&c).await;
        let routes = sb.sandbox.stats().by_route;
        assert!(routes.len() >= 10, "{v}: {routes:?}");
        for route in routes.keys() {
            assert!(route.contains(own), "{v} called {route}");
            assert!(!route.contains(other), "{v} called {route}");
        }
    }
}

#[tokio::test]
async fn a_partial_batch_is_a_207_on_v3_and_errors_inside_the_200_or_201_on_2026_09() {
    let sb = start(seeded()).await;
    let read = json!({"properties": ["email"], "propertiesWithHistory": [],
        "inputs": [{"id": "51001"}, {"id": "999999"}]});
    let due = "2026-11-23T10:00:00.000Z";
    let create = json!({"inputs": [
        {"properties": {"hs_timestamp": due, "hs_task_subject": "ok"}, "objectWriteTraceId": "a",
         "associations": [{"to": {"id": "51001"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]}]},
        {"properties": {"hs_timestamp": due, "hs_task_subject": "no contact"}, "objectWriteTraceId": "b",
         "associations": [{"to": {"id": "404404"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]}]}]});
    let cases = [
        ("/crm/v3/objects/contacts/batch/read", &read, 207),
        ("/crm/objects/2026-09/contacts/batch/read", &read, 200),
        ("/crm/v3/objects/tasks/batch/create", &create, 207),
        ("/crm/objects/2026-09/tasks/batch/create", &create, 201),
    ];
    for (path, body, status) in cases {
        let resp = raw(&sb, Method::POST, path, Some("t"), Some(body.clone())).await;
        assert_eq!(resp.status(), status, "{path}");
        let v = json(resp).await;
        assert_eq!(v["numErrors"], 1, "{path}: {v}");
        assert_eq!(v["results"].as_array().unwrap().len(), 1, "{path}");
    }
    let ok = raw(
        &sb,
        Method::POST,
        "/crm/v3/objects/contacts/batch/read",
        Some("t"),
        Some(json!({"properties": [], "propertiesWithHistory": [], "inputs": [{"id": "51001"}]})),
    )
    .await;
    assert_eq!(ok.status(), 200, "no error: 200 on v3 too");
}
