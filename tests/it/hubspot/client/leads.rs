//! Lead creates (docs/hubspot.md "Lead records (object 0-136)"): the lead → primary contact
//! association (578) on every input, and results matched to their inputs without trusting the order
//! — by the echoed `objectWriteTraceId`, else by `hs_primary_contact_id` when exactly one input is
//! for that contact (whether HubSpot echoes trace ids for leads is unverified).

use std::collections::BTreeMap;

use handoff::hubspot::client::{ContactId, ItemError, NewLead};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use crate::support::hubspot::*;

/// Answers a lead batch create without echoing trace ids, results in reverse order, each with
/// its primary contact as HubSpot's lead records carry it (docs/hubspot.md "Lead properties").
struct LeadCreate;

impl Respond for LeadCreate {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let b = body(req);
        let mut results: Vec<_> = b["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, input)| {
                let contact = &input["associations"][0]["to"]["id"];
                let mut props = input["properties"].clone();
                props["hs_primary_contact_id"] = contact.clone();
                json!({"id": format!("{}", 7000 + i), "properties": props, "archived": false})
            })
            .collect();
        results.reverse();
        ResponseTemplate::new(201).set_body_json(json!({"status": "COMPLETE", "results": results}))
    }
}

fn lead(trace: &str, contact: u64) -> NewLead {
    NewLead {
        trace_id: trace.into(),
        contact_id: ContactId::new(contact).unwrap(),
        owner_id: "41629779".parse().ok(),
        name: format!("lead for {contact}"),
        extra: BTreeMap::new(),
    }
}

#[tokio::test]
async fn lead_results_without_trace_ids_are_matched_by_contact_and_never_by_position() {
    let server = fake().await;
    Mock::given(method("POST"))
        .and(path("/crm/objects/2026-09/leads/batch/create"))
        .respond_with(LeadCreate)
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    let leads = vec![lead("a", 1), lead("b", 2), lead("c", 3), lead("d", 3)];
    let out = c.create_leads(PORTAL, leads).await;
    let by_key: BTreeMap<&str, _> = out.iter().map(|i| (i.key.as_str(), &i.result)).collect();
    assert_eq!(by_key["a"].as_ref().unwrap().id, "7000");
    assert_eq!(by_key["b"].as_ref().unwrap().id, "7001");
    // Two inputs for contact 3: neither result can be told apart, so neither is claimed.
    assert!(matches!(by_key["c"], Err(ItemError::Unconfirmed)));
    assert!(matches!(by_key["d"], Err(ItemError::Unconfirmed)));

    let sent = body(&server.received_requests().await.unwrap()[0]);
    for input in sent["inputs"].as_array().unwrap() {
        assert_eq!(
            input["associations"][0]["types"][0],
            json!({"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578})
        );
        assert_eq!(input["properties"]["hubspot_owner_id"], "41629779");
        assert!(input["properties"]["hs_lead_name"].is_string());
    }
}
