//! Batch splitting at 100, 207 partial results, tasks with associations and trace ids.

use std::collections::BTreeMap;

use handoff::hubspot::client::{ContactId, ContactUpdate, ItemError, NewTask};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use crate::support::hubspot::*;

#[tokio::test]
async fn batch_read_of_250_contacts_is_split_into_100_100_50_and_mapped_back() {
    let server = fake().await;
    Mock::given(method("POST"))
        .and(path("/crm/objects/2026-09/contacts/batch/read"))
        .respond_with(EchoBatchRead { missing: vec![] })
        .expect(3)
        .mount(&server)
        .await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    let mut ids: Vec<ContactId> = (1..=250).filter_map(ContactId::new).collect();
    ids.push(ContactId::new(7).unwrap()); // a duplicate is read once and answered twice
    let out = c.batch_read_contacts(PORTAL, &ids, &["email"]).await;
    assert_eq!(out.len(), 251);
    for (item, id) in out.iter().zip(&ids) {
        assert_eq!(item.key, *id);
        let contact = item.result.as_ref().unwrap();
        assert_eq!(contact.id, *id);
        assert_eq!(
            contact.property("email"),
            Some(format!("{id}@example.com").as_str())
        );
    }
    let mut sizes: Vec<usize> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| body(r)["inputs"].as_array().unwrap().len())
        .collect();
    sizes.sort();
    assert_eq!(sizes, vec![50, 100, 100]);
    let first = body(&server.received_requests().await.unwrap()[0]);
    assert_eq!(first["properties"], json!(["email"]));
}

#[tokio::test]
async fn a_207_gives_each_input_its_own_outcome() {
    let server = fake().await;
    Mock::given(method("POST"))
        .and(path("/crm/objects/2026-09/contacts/batch/read"))
        .respond_with(EchoBatchRead {
            missing: vec!["2".into(), "99999".into()],
        })
        .mount(&server)
        .await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    let out = c
        .batch_read_contacts(
            PORTAL,
            &[
                ContactId::new(1).unwrap(),
                ContactId::new(2).unwrap(),
                ContactId::new(99999).unwrap(),
            ],
            &[],
        )
        .await;
    assert!(out[0].result.is_ok());
    assert!(matches!(out[1].result, Err(ItemError::NotFound)));
    assert!(matches!(out[2].result, Err(ItemError::NotFound)));
}

#[tokio::test]
async fn errors_inside_a_200_the_2026_09_shape_give_each_input_its_outcome_and_warnings_are_optional()
 {
    let server = fake().await;
    Mock::given(method("POST"))
        .and(path("/crm/objects/2026-09/contacts/batch/read"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "COMPLETE",
            "results": [{"id": "1", "properties": {"email": "a@b.com"}, "archived": false}],
            "numErrors": 1,
            "errors": [{"status": "error", "category": "OBJECT_NOT_FOUND", "message": "gone",
                        "context": {"ids": ["2"]}}],
            "warnings": [{"category": "PROPERTY_VALUE_NORMALIZED", "message": "date normalised",
                          "context": {"propertyName": ["closedate"]}}],
            "startedAt": "2026-12-01T10:00:00.000Z", "completedAt": "2026-12-01T10:00:00.050Z"
        })))
        .mount(&server)
        .await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    let out = c
        .batch_read_contacts(
            PORTAL,
            &[ContactId::new(1).unwrap(), ContactId::new(2).unwrap()],
            &["email"],
        )
        .await;
    assert_eq!(
        out[0].result.as_ref().unwrap().property("email"),
        Some("a@b.com")
    );
    assert!(matches!(out[1].result, Err(ItemError::NotFound)));
}

#[tokio::test]
async fn the_v3_paths_are_called_when_configured() {
    let server = fake().await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/contacts/batch/read"))
        .respond_with(EchoBatchRead {
            missing: vec!["2".into()],
        })
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&private_app_config(
        &server.uri(),
        "api_version = \"v3\"",
        "",
    ));
    let out = c
        .batch_read_contacts(
            PORTAL,
            &[ContactId::new(1).unwrap(), ContactId::new(2).unwrap()],
            &[],
        )
        .await;
    assert!(out[0].result.is_ok());
    assert!(matches!(out[1].result, Err(ItemError::NotFound)));
}

#[tokio::test]
async fn batch_update_maps_per_input_validation_errors_and_merges_duplicates() {
    let server = fake().await;
    Mock::given(method("POST"))
        .and(path("/crm/objects/2026-09/contacts/batch/update"))
        .respond_with(ResponseTemplate::new(207).set_body_json(json!({
            "status": "COMPLETE",
            "results": [{"id": "1", "properties": {"hubspot_owner_id": "41629779"}, "archived": false}],
            "numErrors": 1,
            "errors": [{"status": "error", "category": "VALIDATION_ERROR", "message": "Property values were not valid",
                        "context": {"objectWriteTraceId": ["2"]}}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    let upd = |id, owner: &str| ContactUpdate {
        id: ContactId::new(id).unwrap(),
        properties: BTreeMap::from([("hubspot_owner_id".to_owned(), owner.to_owned())]),
    };
    let out = c
        .batch_update_contacts(PORTAL, vec![upd(1, "1"), upd(2, "2"), upd(1, "41629779")])
        .await;
    assert_eq!(out.len(), 3);
    assert!(out[0].result.is_ok() && out[2].result.is_ok());
    match &out[1].result {
        Err(ItemError::Rejected(e)) => assert_eq!(e.category.as_deref(), Some("VALIDATION_ERROR")),
        other => panic!("expected a rejection, got {other:?}"),
    }
    let sent = body(&server.received_requests().await.unwrap()[0]);
    let inputs = sent["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 2, "duplicate updates are merged");
    assert_eq!(
        inputs[0]["properties"]["hubspot_owner_id"], "41629779",
        "later value wins"
    );
}

/// Answers a task batch create: echoes trace ids (or not), failing inputs whose subject is "bad".
struct TaskCreate {
    echo: bool,
}

impl Respond for TaskCreate {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let b = body(req);
        let mut results = Vec::new();
        let mut errors = Vec::new();
        for (i, input) in b["inputs"].as_array().unwrap().iter().enumerate() {
            let trace = input["objectWriteTraceId"].as_str().unwrap();
            if input["properties"]["hs_task_subject"] == "bad" {
                errors.push(
                    json!({"status": "error", "category": "VALIDATION_ERROR", "message": "bad",
                    "context": {"objectWriteTraceId": [trace]}}),
                );
                continue;
            }
            let mut r = json!({"id": format!("{}", 9000 + i), "properties": input["properties"], "archived": false});
            if self.echo {
                r["objectWriteTraceId"] = json!(trace);
            }
            results.push(r);
        }
        results.reverse(); // order must not matter
        let status = if errors.is_empty() { 201 } else { 207 };
        ResponseTemplate::new(status)
            .set_body_json(json!({"status": "COMPLETE", "results": results, "errors": errors}))
    }
}

fn tasks(n: u64) -> Vec<NewTask> {
    let due = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    (0..n)
        .map(|i| {
            let mut t = NewTask::new(
                ContactId::new(100 + i).unwrap(),
                if i == 3 {
                    "bad".to_owned()
                } else {
                    format!("Call lead {i}")
                },
                due,
            );
            t.owner_id = Some(handoff::hubspot::client::OwnerId::new(41629779).unwrap());
            t
        })
        .collect()
}

#[tokio::test]
async fn task_batch_create_associates_each_task_with_its_contact_and_maps_results() {
    for echo in [true, false] {
        let server = fake().await;
        Mock::given(method("POST"))
            .and(path("/crm/objects/2026-09/tasks/batch/create"))
            .respond_with(TaskCreate { echo })
            .expect(2)
            .mount(&server)
            .await;
        let c = client(&private_app_config(&server.uri(), "", ""));
        let input = tasks(150);
        let out = c.create_tasks(PORTAL, input.clone()).await;
        assert_eq!(out.len(), 150);
        for (item, t) in out.iter().zip(&input) {
            assert_eq!(item.key, t.trace_id);
            if t.subject == "bad" {
                assert!(
                    matches!(item.result, Err(ItemError::Rejected(_))),
                    "echo={echo}"
                );
            } else {
                let task = item.result.as_ref().unwrap();
                assert_eq!(
                    task.subject.as_deref(),
                    Some(t.subject.as_str()),
                    "echo={echo}"
                );
            }
        }
        let reqs = server.received_requests().await.unwrap();
        let mut traces = std::collections::HashSet::new();
        for r in &reqs {
            for input in body(r)["inputs"].as_array().unwrap() {
                assert_eq!(
                    input["associations"][0]["types"][0],
                    json!({"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204})
                );
                let to: u64 = input["associations"][0]["to"]["id"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((100..250).contains(&to));
                assert!(traces.insert(input["objectWriteTraceId"].as_str().unwrap().to_owned()));
            }
        }
        assert_eq!(traces.len(), 150, "one unique objectWriteTraceId per input");
    }
}

#[tokio::test]
async fn task_batch_read_parses_status_owner_and_due_time() {
    let server = fake().await;
    Mock::given(method("POST"))
        .and(path("/crm/objects/2026-09/tasks/batch/read"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "COMPLETE", "results": [
            {"id": "17687016786", "properties": {"hs_task_status": "COMPLETED", "hubspot_owner_id": "64492917",
             "hs_timestamp": "2019-10-30T03:30:17.883Z"}, "archived": false}]})))
        .mount(&server)
        .await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    let out = c
        .batch_read_tasks(
            PORTAL,
            &[handoff::hubspot::client::TaskId::new(17687016786).unwrap()],
        )
        .await;
    let task = out[0].result.as_ref().unwrap();
    assert_eq!(task.status.as_deref(), Some("COMPLETED"));
    assert_eq!(task.owner_id.map(|o| o.as_u64()), Some(64492917));
    assert_eq!(task.due_at.unwrap().as_millisecond(), 1_572_406_217_883);
}

#[tokio::test]
async fn get_contact_returns_properties_and_companies_and_404_is_not_found() {
    let server = fake().await;
    Mock::given(method("GET"))
        .and(path("/crm/objects/2026-09/contacts/512"))
        .respond_with(ResponseTemplate::new(200).set_body_json(contact_json("512")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/crm/objects/2026-09/contacts/513"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"status": "error", "message": "Object not found",
            "category": "OBJECT_NOT_FOUND", "correlationId": "a43683b0-5717-4ceb-80b4-104d02915d8c"})))
        .mount(&server)
        .await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    let contact = c
        .get_contact(
            PORTAL,
            ContactId::new(512).unwrap(),
            &["email", "lifecyclestage"],
        )
        .await
        .unwrap();
    assert_eq!(
        contact.company_ids,
        vec![handoff::hubspot::client::CompanyId::new(55).unwrap()]
    );
    let req = &server.received_requests().await.unwrap()[0];
    let q = req.url.query().unwrap();
    assert!(
        q.contains("properties=email%2Clifecyclestage") && q.contains("associations=companies"),
        "{q}"
    );
    let err = c
        .get_contact(PORTAL, ContactId::new(513).unwrap(), &[])
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.code(), "hubspot.permanent");
    assert!(
        err.to_string()
            .contains("a43683b0-5717-4ceb-80b4-104d02915d8c")
    );
}

#[tokio::test]
async fn contact_companies_follow_paging_per_record() {
    let server = fake().await;
    let pages = Sequence::new(vec![
        ResponseTemplate::new(207).set_body_json(json!({"status": "COMPLETE", "results": [
            {"from": {"id": "1001"}, "to": [{"toObjectId": 55, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"}, {"category": "HUBSPOT_DEFINED", "typeId": 279, "label": null}]}],
             "paging": {"next": {"after": "abc"}}}],
            "errors": [{"status": "error", "category": "OBJECT_NOT_FOUND", "message": "no", "context": {"ids": ["1002"]}}], "numErrors": 1})),
        ResponseTemplate::new(200).set_body_json(json!({"status": "COMPLETE", "results": [
            {"from": {"id": "1001"}, "to": [{"toObjectId": 56, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 279}]}]}]})),
    ]);
    Mock::given(method("POST"))
        .and(path(
            "/crm/associations/2026-09/contacts/companies/batch/read",
        ))
        .respond_with(pages)
        .expect(2)
        .mount(&server)
        .await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    let out = c
        .contact_companies(
            PORTAL,
            &[ContactId::new(1001).unwrap(), ContactId::new(1002).unwrap()],
        )
        .await;
    let links = out[0].result.as_ref().unwrap();
    assert_eq!(links.len(), 2);
    assert!(links[0].primary && !links[1].primary);
    assert!(matches!(out[1].result, Err(ItemError::NotFound)));
    let second = body(&server.received_requests().await.unwrap()[1]);
    assert_eq!(second["inputs"], json!([{"id": "1001", "after": "abc"}]));
}

#[tokio::test]
async fn companies_batch_read_exposes_owner_and_domain() {
    let server = fake().await;
    Mock::given(method("POST"))
        .and(path("/crm/objects/2026-09/companies/batch/read"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "COMPLETE", "results": [
            {"id": "55", "properties": {"domain": "Example.COM", "hubspot_owner_id": "41629779", "name": "Ex"}, "archived": false}]})))
        .mount(&server)
        .await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    let out = c
        .batch_read_companies(
            PORTAL,
            &[handoff::hubspot::client::CompanyId::new(55).unwrap()],
            &[],
        )
        .await;
    let company = out[0].result.as_ref().unwrap();
    assert_eq!(company.domain.as_deref(), Some("example.com"));
    assert_eq!(company.owner_id.map(|o| o.as_u64()), Some(41629779));
    let sent = body(&server.received_requests().await.unwrap()[0]);
    assert_eq!(
        sent["properties"],
        json!(["domain", "hubspot_owner_id", "name"])
    );
}
