//! Leads (docs/hubspot.md "Lead records (object 0-136)") through the real client: create with the
//! lead → primary contact association, read, owner update, search by contact, the lead
//! pipeline's stages, and the per-input refusals HubSpot's create rules call for.

use std::collections::BTreeMap;

use handoff::hubspot::client::{
    ContactId, Filter, FilterGroup, HubspotError, ItemError, LeadOwnerUpdate, NewLead, OwnerId,
    SearchObject, SearchRequest,
};
use reqwest::Method;
use serde_json::json;

use crate::support::sandbox::*;

fn lead(trace: &str, contact: u64, owner: &str) -> NewLead {
    NewLead {
        trace_id: trace.into(),
        contact_id: ContactId::new(contact).unwrap(),
        owner_id: owner.parse::<OwnerId>().ok(),
        name: "Anna Schmidt — demo request".into(),
        extra: BTreeMap::from([("hs_lead_type".into(), "NEW BUSINESS".into())]),
    }
}

#[tokio::test]
async fn a_created_lead_starts_new_can_be_found_by_contact_and_moved_to_another_owner() {
    let sb = start(seeded()).await;
    let c = client_for(&sb);
    let items = c
        .create_leads(PORTAL, vec![lead("t-1", 51001, "100")])
        .await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].key, "t-1");
    let created = items[0].result.as_ref().unwrap().clone();
    let id: u64 = created.id.parse().unwrap();

    let read = c
        .read_leads(
            PORTAL,
            &[id],
            vec![
                "hs_pipeline_stage".into(),
                "hubspot_owner_id".into(),
                "hs_lead_name".into(),
            ],
        )
        .await;
    let got = read[0].result.as_ref().unwrap();
    assert_eq!(got.property("hs_pipeline_stage"), Some("new-stage-id"));
    assert_eq!(got.property("hubspot_owner_id"), Some("100"));
    assert_eq!(
        got.property("hs_lead_name"),
        Some("Anna Schmidt — demo request")
    );

    let request = SearchRequest {
        filter_groups: vec![FilterGroup {
            filters: vec![
                Filter::eq("associations.contact", "51001"),
                Filter::eq("hs_lead_name", "Anna Schmidt — demo request"),
            ],
        }],
        sorts: Vec::new(),
        properties: vec!["hs_lead_name".into()],
        limit: 10,
        after: None,
    };
    let page = c
        .search(PORTAL, SearchObject::Leads, &request)
        .await
        .unwrap();
    assert_eq!(page.results.len(), 1);
    assert_eq!(page.results[0].id, created.id);

    let moved = c
        .update_lead_owners(
            PORTAL,
            vec![LeadOwnerUpdate {
                lead_id: created.id.clone(),
                owner_id: "101".parse().unwrap(),
            }],
        )
        .await;
    assert!(moved[0].result.is_ok(), "{:?}", moved[0].result);
    let read = c
        .read_leads(PORTAL, &[id], vec!["hubspot_owner_id".into()])
        .await;
    assert_eq!(
        read[0]
            .result
            .as_ref()
            .unwrap()
            .property("hubspot_owner_id"),
        Some("101")
    );
    let unknown = c
        .update_lead_owners(
            PORTAL,
            vec![LeadOwnerUpdate {
                lead_id: "987654".into(),
                owner_id: "101".parse().unwrap(),
            }],
        )
        .await;
    assert!(matches!(unknown[0].result, Err(ItemError::NotFound)));
}

#[tokio::test]
async fn the_lead_pipeline_lists_hubspots_five_default_stages() {
    let sb = start(seeded()).await;
    let c = client_for(&sb);
    let pipelines = c.lead_pipelines(PORTAL).await.unwrap();
    assert_eq!(pipelines.len(), 1);
    let stages: Vec<(&str, &str)> = pipelines[0]
        .stages
        .iter()
        .map(|s| (s.id.as_str(), s.label.as_str()))
        .collect();
    assert_eq!(
        stages,
        vec![
            ("new-stage-id", "New"),
            ("attempting-stage-id", "Attempting"),
            ("connected-stage-id", "Connected"),
            ("qualified-stage-id", "Qualified"),
            ("unqualified-stage-id", "Disqualified"),
        ]
    );
    let deals = raw(&sb, Method::GET, "/crm/v3/pipelines/deals", Some("t"), None).await;
    assert_eq!(deals.status(), 404, "the sandbox only knows lead pipelines");
}

#[tokio::test]
async fn a_lead_without_a_name_or_a_contact_is_refused_for_that_input_only() {
    let sb = start(seeded()).await;
    let body = json!({"inputs": [
        {"properties": {"hs_lead_name": "ok"}, "objectWriteTraceId": "good",
         "associations": [{"to": {"id": "51001"}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}]},
        {"properties": {"hs_lead_name": "no contact"}, "objectWriteTraceId": "lonely",
         "associations": []},
        {"properties": {}, "objectWriteTraceId": "nameless",
         "associations": [{"to": {"id": "51001"}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}]},
        {"properties": {"hs_lead_name": "gone"}, "objectWriteTraceId": "ghost",
         "associations": [{"to": {"id": "999999"}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}]},
    ]});
    let resp = raw(
        &sb,
        Method::POST,
        "/crm/v3/objects/leads/batch/create",
        Some("t"),
        Some(body),
    )
    .await;
    assert_eq!(resp.status(), 207);
    let v = json(resp).await;
    assert_eq!(v["results"].as_array().unwrap().len(), 1);
    assert_eq!(v["results"][0]["objectWriteTraceId"], "good");
    let refused: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["context"]["objectWriteTraceId"][0].as_str().unwrap())
        .collect();
    assert_eq!(refused, vec!["lonely", "nameless", "ghost"]);
}

#[tokio::test]
async fn a_portal_without_leads_set_up_refuses_the_whole_create() {
    let sb = start(seeded()).await;
    sb.sandbox.refuse_leads(true);
    let c = client_for(&sb);
    let items = c
        .create_leads(PORTAL, vec![lead("t-1", 51001, "100")])
        .await;
    match &items[0].result {
        Err(ItemError::Request(HubspotError::Permanent { .. })) => {}
        other => panic!("a permanent refusal, got {other:?}"),
    }
    assert!(sb.sandbox.leads(Some(51001)).is_empty());
}
