//! The request bodies the client sends, checked against the fields HubSpot's schemas require
//! (docs/hubspot.md "Date-versioned API and write validation"): every batch read carries
//! `propertiesWithHistory: []`, every create its `associations`, every input its id.

use std::collections::BTreeMap;

use handoff::hubspot::client::paths::path;
use handoff::hubspot::client::{
    Api, ApiVersion, CompanyId, ContactId, ContactUpdate, NewTask, TaskId,
};
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, ResponseTemplate};

use crate::support::hubspot::*;

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
    c.batch_read_contacts(
        PORTAL,
        &[ContactId::new(1).unwrap()],
        &["email", "associatedcompanyid"],
    )
    .await;
    c.batch_read_companies(PORTAL, &[CompanyId::new(2).unwrap()], &["industry"])
        .await;
    c.batch_read_tasks(PORTAL, &[TaskId::new(3).unwrap()]).await;
    c.read_leads(PORTAL, &[4], vec!["hs_pipeline_stage".into()])
        .await;
    c.contact_companies(PORTAL, &[ContactId::new(1).unwrap()])
        .await;
    c.batch_update_contacts(
        PORTAL,
        vec![ContactUpdate {
            id: ContactId::new(1).unwrap(),
            properties: BTreeMap::from([("hubspot_owner_id".into(), "101".into())]),
        }],
    )
    .await;
    let due = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    c.create_tasks(
        PORTAL,
        vec![NewTask::new(ContactId::new(1).unwrap(), "Call", due)],
    )
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

/// What one endpoint's request schema requires, listed by hand from HubSpot's published
/// schemas (docs/hubspot.md "Request bodies"): the body's fields, each input's fields, and
/// the query parameters.
struct Schema {
    method: &'static str,
    /// The API family (`None`: a fixed path) and the path after the version.
    at: (Option<Api>, &'static str),
    body: &'static [&'static str],
    input: &'static [&'static str],
    query: &'static [&'static str],
}

const BATCH_READ: &[&str] = &["inputs", "properties", "propertiesWithHistory"];
const SEARCH: &[&str] = &["after", "filterGroups", "limit", "properties", "sorts"];
const O: Option<Api> = Some(Api::Objects);

const fn post(
    at: (Option<Api>, &'static str),
    body: &'static [&'static str],
    input: &'static [&'static str],
) -> Schema {
    Schema {
        method: "POST",
        at,
        body,
        input,
        query: &[],
    }
}

/// Every endpoint the client sends a body or a required query parameter to.
const SCHEMAS: &[Schema] = &[
    // BatchReadInputSimplePublicObjectId → SimplePublicObjectId.
    post((O, "contacts/batch/read"), BATCH_READ, &["id"]),
    post((O, "companies/batch/read"), BATCH_READ, &["id"]),
    post((O, "tasks/batch/read"), BATCH_READ, &["id"]),
    post((O, "leads/batch/read"), BATCH_READ, &["id"]),
    // BatchInputSimplePublicObjectBatchInput → SimplePublicObjectBatchInput.
    post(
        (O, "contacts/batch/update"),
        &["inputs"],
        &["id", "properties"],
    ),
    post(
        (O, "leads/batch/update"),
        &["inputs"],
        &["id", "properties"],
    ),
    // BatchInputSimplePublicObjectBatchInputForCreate → SimplePublicObjectInputForCreate.
    post(
        (O, "tasks/batch/create"),
        &["inputs"],
        &["associations", "properties"],
    ),
    post(
        (O, "leads/batch/create"),
        &["inputs"],
        &["associations", "properties"],
    ),
    // BatchInputPublicFetchAssociationsBatchRequest → PublicFetchAssociationsBatchRequest.
    post(
        (Some(Api::Associations), "contacts/companies/batch/read"),
        &["inputs"],
        &["id"],
    ),
    // PublicObjectSearchRequest (FilterGroup → Filter checked below).
    post((O, "tasks/search"), SEARCH, &[]),
    post((O, "contacts/search"), SEARCH, &[]),
    post((O, "leads/search"), SEARCH, &[]),
    // PublicSequenceEnrollmentRequest, with `userId` required in the query; get one: `userId`.
    Schema {
        method: "POST",
        at: (None, "/automation/sequences/2026-09/enrollments"),
        body: &["contactId", "senderEmail", "sequenceId"],
        input: &[],
        query: &["userId"],
    },
    Schema {
        method: "GET",
        at: (None, "/automation/sequences/2026-09/4001"),
        body: &[],
        input: &[],
        query: &["userId"],
    },
    // The journal's OBJECT subscription.
    post(
        (None, "/webhooks-journal/subscriptions/2026-03"),
        &[
            "actions",
            "objectIds",
            "objectTypeId",
            "portalId",
            "properties",
            "subscriptionType",
        ],
        &[],
    ),
    // Owners and CRM users: nothing required; sent here to be sure they are called.
    Schema {
        method: "GET",
        at: (Some(Api::Owners), ""),
        body: &[],
        input: &[],
        query: &[],
    },
    Schema {
        method: "GET",
        at: (O, "users"),
        body: &[],
        input: &[],
        query: &[],
    },
];

/// Problems of one request against its schema.
fn check(schema: &Schema, req: &wiremock::Request) -> Vec<String> {
    let mut problems = Vec::new();
    let at = req.url.path().to_owned();
    let query: Vec<String> = req.url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    for q in schema.query {
        if !query.iter().any(|k| k == q) {
            problems.push(format!("{at}: query parameter `{q}` missing"));
        }
    }
    if schema.method == "GET" {
        return problems;
    }
    let b = body(req);
    for field in schema.body {
        if b.get(field).is_none_or(Value::is_null) {
            problems.push(format!("{at}: `{field}` missing in {b}"));
        }
    }
    for (i, input) in b["inputs"].as_array().into_iter().flatten().enumerate() {
        for field in schema.input {
            if input.get(field).is_none_or(Value::is_null) {
                problems.push(format!("{at}: inputs[{i}].{field} missing in {input}"));
            }
        }
        // PublicAssociationsForObject: `to.id` and `types[]` of AssociationSpec.
        for a in input["associations"].as_array().into_iter().flatten() {
            let spec_ok = a["types"].as_array().is_some_and(|t| {
                !t.is_empty()
                    && t.iter().all(|t| {
                        t["associationCategory"].is_string() && t["associationTypeId"].is_number()
                    })
            });
            if !a["to"]["id"].is_string() || !spec_ok {
                problems.push(format!("{at}: inputs[{i}] association {a} incomplete"));
            }
        }
    }
    // FilterGroup requires `filters`; Filter requires `operator` and `propertyName`.
    for g in b["filterGroups"].as_array().into_iter().flatten() {
        let filters = g["filters"].as_array();
        let ok = filters.is_some_and(|f| {
            f.iter()
                .all(|f| f["operator"].is_string() && f["propertyName"].is_string())
        });
        if !ok {
            problems.push(format!("{at}: filter group {g} incomplete"));
        }
    }
    problems
}

/// Makes every call the client has once on API version `api`.
async fn call_everything(c: &handoff::hubspot::client::HubspotClient) {
    use handoff::hubspot::client::{
        EnrollmentRequest, Filter, FilterGroup, JournalConfig, LeadOwnerUpdate, NewLead,
        SearchObject, SearchRequest,
    };
    c.batch_read_contacts(PORTAL, &[ContactId::new(1).unwrap()], &["email"])
        .await;
    c.batch_read_companies(PORTAL, &[CompanyId::new(2).unwrap()], &["industry"])
        .await;
    c.batch_read_tasks(PORTAL, &[TaskId::new(3).unwrap()]).await;
    c.read_leads(PORTAL, &[4], vec!["hs_pipeline_stage".into()])
        .await;
    c.contact_companies(PORTAL, &[ContactId::new(1).unwrap()])
        .await;
    let owner = BTreeMap::from([("hubspot_owner_id".into(), "101".into())]);
    c.batch_update_contacts(
        PORTAL,
        vec![ContactUpdate {
            id: ContactId::new(1).unwrap(),
            properties: owner,
        }],
    )
    .await;
    let due = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    c.create_tasks(
        PORTAL,
        vec![NewTask::new(ContactId::new(1).unwrap(), "Call", due)],
    )
    .await;
    let lead = NewLead {
        trace_id: "t-lead".into(),
        contact_id: ContactId::new(1).unwrap(),
        owner_id: None,
        name: "Lead".into(),
        extra: BTreeMap::new(),
    };
    c.create_leads(PORTAL, vec![lead]).await;
    let moved = LeadOwnerUpdate {
        lead_id: "9".into(),
        owner_id: "101".parse().unwrap(),
    };
    c.update_lead_owners(PORTAL, vec![moved]).await;
    let search = SearchRequest {
        filter_groups: vec![FilterGroup {
            filters: vec![Filter::eq("associations.contact", "1")],
        }],
        properties: vec!["hs_task_subject".into()],
        limit: 10,
        ..SearchRequest::default()
    };
    for object in [
        SearchObject::Tasks,
        SearchObject::Contacts,
        SearchObject::Leads,
    ] {
        let _ = c.search(PORTAL, object, &search).await;
    }
    let enroll = EnrollmentRequest {
        contact_id: "1".into(),
        sequence_id: "4001".into(),
        sender_email: "rep@example.com".into(),
    };
    let _ = c.enroll_in_sequence(PORTAL, 7, &enroll).await;
    let _ = c.sequence(PORTAL, "4001", 7).await;
    let sub = JournalConfig::default().subscription(PORTAL);
    let _ = c.create_journal_subscription(PORTAL, &sub).await;
    let _ = c.list_owners(PORTAL).await;
    let _ = c.list_users(PORTAL).await;
}

#[tokio::test]
async fn every_request_carries_what_its_endpoints_schema_requires_on_both_api_versions() {
    for version in ApiVersion::ALL {
        let api = version.as_str();
        let server = fake().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"status": "COMPLETE", "results": []})),
            )
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"results": []})))
            .mount(&server)
            .await;
        let c = client(&private_app_config(
            &server.uri(),
            &format!("api_version = \"{api}\""),
            "",
        ));
        call_everything(&c).await;
        let received = server.received_requests().await.unwrap();
        let mut problems = Vec::new();
        for schema in SCHEMAS {
            let want = match schema.at {
                (Some(family), tail) => path(version, family, tail),
                (None, fixed) => fixed.to_owned(),
            };
            let sent: Vec<_> = received
                .iter()
                .filter(|r| r.method.as_str() == schema.method && r.url.path() == want)
                .collect();
            if sent.is_empty() {
                problems.push(format!("{api}: nothing sent to {} {want}", schema.method));
            }
            for r in sent {
                problems.extend(check(schema, r).into_iter().map(|p| format!("{api}: {p}")));
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
