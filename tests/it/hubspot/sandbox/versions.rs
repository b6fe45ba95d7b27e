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

use crate::support::sandbox::*;

/// Every CRM call of the pipeline, through `c`.
async fn every_call(c: &HubspotClient) {
    let read = c
        .batch_read_contacts(
            PORTAL,
            &[
                ContactId::new(51001).unwrap(),
                ContactId::new(999_999).unwrap(),
            ],
            &["email"],
        )
        .await;
    assert!(read[0].result.is_ok(), "{:?}", read[0].result);
    assert!(matches!(read[1].result, Err(ItemError::NotFound)));
    let links = c
        .contact_companies(
            PORTAL,
            &[
                ContactId::new(51008).unwrap(),
                ContactId::new(424_242).unwrap(),
            ],
        )
        .await;
    assert_eq!(
        links[0].result.as_ref().unwrap()[0].company_id,
        CompanyId::new(8808).unwrap()
    );
    assert!(matches!(links[1].result, Err(ItemError::NotFound)));
    let companies = c
        .batch_read_companies(
            PORTAL,
            &[CompanyId::new(8808).unwrap(), CompanyId::new(1).unwrap()],
            &[],
        )
        .await;
    assert_eq!(
        companies[0].result.as_ref().unwrap().owner_id,
        Some(OwnerId::new(104).unwrap())
    );
    assert!(matches!(companies[1].result, Err(ItemError::NotFound)));
    let updated = c
        .batch_update_contacts(
            PORTAL,
            vec![
                ContactUpdate {
                    id: ContactId::new(51001).unwrap(),
                    properties: [("hubspot_owner_id".to_owned(), "101".to_owned())].into(),
                },
                ContactUpdate {
                    id: ContactId::new(404_404).unwrap(),
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
                NewTask::new(ContactId::new(51001).unwrap(), "Call Anna", due),
                NewTask::new(ContactId::new(404_404).unwrap(), "Nobody", due),
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
    property_calls(c).await;
}

/// The property calls of `handoff portal setup` and `handoff doctor`.
async fn property_calls(c: &HubspotClient) {
    use handoff::hubspot::client::{Created, NewProperty, NewPropertyGroup, PropertyObject};
    let contacts = PropertyObject::Contacts;
    let all = c.properties(PORTAL, contacts).await.unwrap();
    assert!(all.iter().any(|p| p.name == "email"));
    let companies = c
        .properties(PORTAL, PropertyObject::Companies)
        .await
        .unwrap();
    assert!(companies.iter().any(|p| p.name == "domain"));
    let owner = c
        .property(PORTAL, contacts, "hubspot_owner_id")
        .await
        .unwrap();
    assert_eq!(owner.unwrap().kind, "enumeration");
    assert_eq!(
        c.property(PORTAL, contacts, "handoff_score").await.unwrap(),
        None
    );
    assert_eq!(
        c.property_group(PORTAL, contacts, "handoff").await.unwrap(),
        None
    );
    let group = NewPropertyGroup {
        name: "handoff".into(),
        label: "handoff".into(),
        display_order: -1,
    };
    let made = c
        .create_property_group(PORTAL, contacts, &group)
        .await
        .unwrap();
    assert!(matches!(made, Created::Created(g) if g.name == "handoff"));
    let again = c
        .create_property_group(PORTAL, contacts, &group)
        .await
        .unwrap();
    assert_eq!(again, Created::AlreadyExists);
    assert!(
        c.property_group(PORTAL, contacts, "handoff")
            .await
            .unwrap()
            .is_some()
    );
    let score = NewProperty {
        name: "handoff_score".into(),
        label: "Handoff score".into(),
        kind: "number".into(),
        field_type: "number".into(),
        group_name: "handoff".into(),
        description: String::new(),
        options: Vec::new(),
    };
    let email = NewProperty {
        name: "email".into(),
        kind: "string".into(),
        field_type: "text".into(),
        ..score.clone()
    };
    let created = c
        .create_properties(PORTAL, contacts, &[score, email])
        .await
        .unwrap();
    assert_eq!(created.results.len(), 1, "{created:?}");
    assert_eq!(created.results[0].name, "handoff_score");
    assert_eq!(
        created.errors[0].category.as_deref(),
        Some("OBJECT_ALREADY_EXISTS")
    );
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

#[tokio::test]
async fn each_api_version_introspects_an_oauth_token_on_its_own_path() {
    use crate::support::hubspot::{client as build, oauth_config};
    use handoff::hubspot::client::TokenScopesSource;
    for (v, route) in [
        (
            ApiVersion::Dated2026_09,
            "POST /oauth/2026-09/token/introspect",
        ),
        (ApiVersion::V3, "POST /oauth/v3/token/introspect"),
    ] {
        let sb = start(seeded()).await;
        let mut cfg = oauth_config(&sb.base_url);
        cfg.api_version = v;
        let c = build(&cfg);
        let info = c.token_scopes(PORTAL).await.unwrap();
        assert_eq!(info.source, TokenScopesSource::Introspection);
        assert!(info.active);
        assert_eq!(info.hub_id, Some(PORTAL.as_u64()));
        assert!(info.scopes.iter().any(|s| s == "crm.objects.owners.read"));
        let routes = sb.sandbox.stats().by_route;
        assert_eq!(routes.get(route), Some(&1), "{v}: {routes:?}");
    }
}
