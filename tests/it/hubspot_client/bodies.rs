//! The request bodies the client sends, checked against the fields HubSpot's schemas require
//! (docs/hubspot.md "Date-versioned API and write validation"): every batch read carries
//! `propertiesWithHistory: []`, every create its `associations`, every input its id.

use std::collections::BTreeMap;

use handoff::hubspot::client::{CompanyId, ContactId, ContactUpdate, NewTask, TaskId};
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, ResponseTemplate};

use crate::hubspot_client::helpers::*;

/// The body sent to the path ending in `suffix`.
fn sent<'a>(bodies: &'a [(String, Value)], suffix: &str) -> &'a Value {
    &bodies
        .iter()
        .find(|(p, _)| p.ends_with(suffix))
        .unwrap_or_else(|| panic!("nothing sent to …{suffix}: {bodies:?}"))
        .1
}

fn assert_batch_read(body: &Value, properties: &[&str]) {
    assert_eq!(body["propertiesWithHistory"], json!([]), "{body}");
    for p in properties {
        assert!(
            body["properties"].as_array().unwrap().contains(&json!(p)),
            "{p} not requested: {body}"
        );
    }
    assert!(
        body.get("idProperty").is_none(),
        "record ids need no idProperty"
    );
    let inputs = body["inputs"].as_array().unwrap();
    assert!(!inputs.is_empty());
    assert!(inputs.iter().all(|i| i["id"].is_string()), "{body}");
}

#[tokio::test]
async fn every_batch_read_sends_properties_with_history_and_every_write_its_required_fields() {
    let server = fake().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "COMPLETE", "results": []})),
        )
        .mount(&server)
        .await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    c.batch_read_contacts(PORTAL, &[ContactId(1)], &["email", "associatedcompanyid"])
        .await;
    c.batch_read_companies(PORTAL, &[CompanyId(2)], &["industry"])
        .await;
    c.batch_read_tasks(PORTAL, &[TaskId(3)]).await;
    c.read_leads(PORTAL, &[4], vec!["hs_pipeline_stage".into()])
        .await;
    c.contact_companies(PORTAL, &[ContactId(1)]).await;
    c.batch_update_contacts(
        PORTAL,
        vec![ContactUpdate {
            id: ContactId(1),
            properties: BTreeMap::from([("hubspot_owner_id".into(), "101".into())]),
        }],
    )
    .await;
    let due = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    c.create_tasks(PORTAL, vec![NewTask::new(ContactId(1), "Call", due)])
        .await;
    let bodies: Vec<(String, Value)> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| (r.url.path().to_owned(), body(r)))
        .collect();

    assert_batch_read(
        sent(&bodies, "/contacts/batch/read"),
        &["email", "associatedcompanyid"],
    );
    assert_batch_read(
        sent(&bodies, "/companies/batch/read"),
        &["industry", "domain"],
    );
    assert_batch_read(sent(&bodies, "/tasks/batch/read"), &["hs_task_status"]);
    assert_batch_read(sent(&bodies, "/leads/batch/read"), &["hs_pipeline_stage"]);

    let links = sent(&bodies, "/contacts/companies/batch/read");
    assert_eq!(links["inputs"], json!([{"id": "1"}]), "{links}");

    let update = &sent(&bodies, "/contacts/batch/update")["inputs"][0];
    assert_eq!(update["id"], "1");
    assert_eq!(update["properties"]["hubspot_owner_id"], "101");

    let create = &sent(&bodies, "/tasks/batch/create")["inputs"][0];
    assert!(create["properties"]["hs_timestamp"].is_string(), "{create}");
    let association = &create["associations"][0];
    assert_eq!(association["to"]["id"], "1");
    assert_eq!(
        association["types"][0],
        json!({"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204})
    );
    assert!(create["objectWriteTraceId"].is_string());
}
