//! CRM reads and writes through the real client: contacts, companies, associations, tasks,
//! owners.

use std::collections::BTreeMap;

use handoff::hubspot::client::{
    CompanyId, ContactId, ContactUpdate, HubspotError, ItemError, NewTask, OwnerId, TaskId,
};
use reqwest::Method;
use serde_json::json;

use crate::support::sandbox::*;

#[tokio::test]
async fn batch_read_with_a_missing_id_gives_that_id_a_not_found_error() {
    let sb = start(seeded()).await;
    let c = client_for(&sb);
    let ids = [
        ContactId::new(51001).unwrap(),
        ContactId::new(999_999).unwrap(),
        ContactId::new(51003).unwrap(),
    ];
    let items = c
        .batch_read_contacts(PORTAL, &ids, &["email", "country"])
        .await;
    assert_eq!(items.len(), 3);
    let first = items[0].result.as_ref().unwrap();
    assert_eq!(
        first.property("email"),
        Some("anna.schmidt@nordwerk-software.de")
    );
    assert_eq!(first.property("hs_object_id"), Some("51001"));
    assert!(matches!(items[1].result, Err(ItemError::NotFound)));
    assert_eq!(
        items[2].result.as_ref().unwrap().property("country"),
        Some("US")
    );

    let body = json!({"properties": ["email"], "inputs": [{"id": "51001"}, {"id": "999999"}]});
    let resp = raw(
        &sb,
        Method::POST,
        "/crm/v3/objects/contacts/batch/read",
        Some("t"),
        Some(body),
    )
    .await;
    assert_eq!(resp.status(), 207);
    let v = json(resp).await;
    assert_eq!(v["status"], "COMPLETE");
    assert_eq!(v["numErrors"], 1);
    assert_eq!(v["errors"][0]["category"], "OBJECT_NOT_FOUND");
    assert_eq!(v["errors"][0]["context"]["ids"], json!(["999999"]));
    assert_eq!(
        v["results"][0]["properties"].get("firstname"),
        None,
        "not requested"
    );
}

#[tokio::test]
async fn get_contact_returns_requested_properties_and_its_primary_company() {
    let sb = start(seeded()).await;
    let c = client_for(&sb);
    let contact = c
        .get_contact(
            PORTAL,
            ContactId::new(51003).unwrap(),
            &["email", "no_such_property"],
        )
        .await
        .unwrap();
    assert_eq!(
        contact.property("email"),
        Some("j.alvarez@pinecrest-analytics.com")
    );
    assert!(!contact.properties.contains_key("no_such_property"));
    assert_eq!(contact.company_ids, vec![CompanyId::new(8803).unwrap()]);
    let err = c
        .get_contact(PORTAL, ContactId::new(4_242).unwrap(), &[])
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");

    let path = "/crm/v3/objects/contacts/51003?properties=email&properties=country,zip";
    let v = json(raw(&sb, Method::GET, path, Some("t"), None).await).await;
    assert_eq!(
        v["properties"]["zip"], "94105",
        "repeated and comma-listed properties"
    );
    assert_eq!(
        v["properties"]["email"],
        "j.alvarez@pinecrest-analytics.com"
    );
    assert!(v.get("associations").is_none(), "not asked for");
    assert_eq!(
        v["createdAt"].as_str().map(str::len),
        Some(24),
        "ISO-8601 with ms"
    );
}

#[tokio::test]
async fn batch_update_then_read_back_shows_new_values_and_cleared_ones() {
    let sb = start(seeded()).await;
    let c = client_for(&sb);
    let update = ContactUpdate {
        id: ContactId::new(51002).unwrap(),
        properties: BTreeMap::from([
            ("hubspot_owner_id".to_owned(), "201".to_owned()),
            ("hs_lead_status".to_owned(), String::new()),
        ]),
    };
    let done = c.batch_update_contacts(PORTAL, vec![update]).await;
    let updated = done[0].result.as_ref().unwrap();
    assert_eq!(updated.property("hubspot_owner_id"), Some("201"));
    let read = c
        .batch_read_contacts(
            PORTAL,
            &[ContactId::new(51002).unwrap()],
            &["hubspot_owner_id", "hs_lead_status"],
        )
        .await;
    let contact = read[0].result.as_ref().unwrap();
    assert_eq!(contact.property("hubspot_owner_id"), Some("201"));
    assert_eq!(
        contact.property("hs_lead_status"),
        None,
        "\"\" clears a value"
    );

    let bad_owner = ContactUpdate {
        id: ContactId::new(51002).unwrap(),
        properties: BTreeMap::from([("hubspot_owner_id".to_owned(), "777".to_owned())]),
    };
    let done = c.batch_update_contacts(PORTAL, vec![bad_owner]).await;
    match &done[0].result {
        Err(ItemError::Request(HubspotError::Permanent { detail, .. })) => {
            assert_eq!(detail.status, Some(400));
            assert_eq!(detail.category.as_deref(), Some("VALIDATION_ERROR"));
            assert!(
                detail.message.contains("777 is not a valid owner id"),
                "{}",
                detail.message
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn companies_and_contact_company_links_read_in_batch() {
    let sb = start(seeded()).await;
    let c = client_for(&sb);
    let links = c
        .contact_companies(
            PORTAL,
            &[
                ContactId::new(51008).unwrap(),
                ContactId::new(51004).unwrap(),
                ContactId::new(424_242).unwrap(),
            ],
        )
        .await;
    let fernholz = links[0].result.as_ref().unwrap();
    assert_eq!(fernholz.len(), 1);
    assert_eq!(fernholz[0].company_id, CompanyId::new(8808).unwrap());
    assert!(fernholz[0].primary);
    assert_eq!(fernholz[0].type_ids, vec![1, 279]);
    assert!(links[1].result.as_ref().unwrap().is_empty(), "no company");
    assert!(matches!(links[2].result, Err(ItemError::NotFound)));

    let companies = c
        .batch_read_companies(
            PORTAL,
            &[CompanyId::new(8808).unwrap(), CompanyId::new(1).unwrap()],
            &[],
        )
        .await;
    let company = companies[0].result.as_ref().unwrap();
    assert_eq!(company.owner_id, Some(OwnerId::new(104).unwrap()));
    assert_eq!(company.domain.as_deref(), Some("fernholz-logistik.de"));
    assert!(matches!(companies[1].result, Err(ItemError::NotFound)));
}

#[tokio::test]
async fn created_tasks_are_associated_with_their_contact_and_read_back() {
    let sb = start(seeded()).await;
    let c = client_for(&sb);
    let due = jiff::Timestamp::from_second(1_795_428_000).unwrap();
    let mut call = NewTask::new(ContactId::new(51001).unwrap(), "Call Anna Schmidt", due);
    call.owner_id = Some(OwnerId::new(101).unwrap());
    call.priority = Some("HIGH".into());
    call.body = Some("handoff:lead 51001 demo request".into());
    let other = NewTask::new(ContactId::new(51003).unwrap(), "Call Julia Alvarez", due);
    let mut orphan = NewTask::new(ContactId::new(404_404).unwrap(), "Nobody", due);
    orphan.owner_id = Some(OwnerId::new(101).unwrap());
    let created = c
        .create_tasks(PORTAL, vec![call.clone(), other, orphan])
        .await;
    let task = created[0].result.as_ref().unwrap();
    assert_eq!(task.status.as_deref(), Some("NOT_STARTED"));
    assert_eq!(task.due_at, Some(due));
    assert!(created[1].result.is_ok());
    match &created[2].result {
        Err(ItemError::Rejected(e)) => assert_eq!(e.category.as_deref(), Some("VALIDATION_ERROR")),
        other => panic!("{other:?}"),
    }

    let tasks = sb.sandbox.tasks(Some(51001));
    assert_eq!(tasks.len(), 1);
    let stored = &tasks[0];
    assert_eq!(stored.id, task.id.to_string());
    assert_eq!(stored.contact_ids, vec!["51001".to_owned()]);
    assert_eq!(
        stored.object_write_trace_id.as_deref(),
        Some(call.trace_id.as_str())
    );
    assert_eq!(stored.properties["hs_task_subject"], "Call Anna Schmidt");
    assert_eq!(
        stored.properties["hs_timestamp"],
        "2026-11-23T10:00:00.000Z"
    );
    assert_eq!(stored.properties["hubspot_owner_id"], "101");
    assert_eq!(stored.properties["hs_task_priority"], "HIGH");
    let over_http = json(
        raw(
            &sb,
            Method::GET,
            "/_sandbox/tasks?contactId=51001",
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(over_http["results"][0]["id"], stored.id.as_str());
    assert_eq!(
        sb.sandbox.tasks(None).len(),
        2,
        "the invalid input created nothing"
    );

    sb.sandbox
        .update_task(
            task.id.as_u64(),
            BTreeMap::from([("hs_task_status".into(), "COMPLETED".into())]),
        )
        .unwrap();
    let read = c
        .batch_read_tasks(PORTAL, &[task.id, TaskId::new(1).unwrap()])
        .await;
    let read_task = read[0].result.as_ref().unwrap();
    assert_eq!(read_task.status.as_deref(), Some("COMPLETED"));
    assert_eq!(read_task.owner_id, Some(OwnerId::new(101).unwrap()));
    assert!(matches!(read[1].result, Err(ItemError::NotFound)));
}

#[tokio::test]
async fn owners_are_paged_past_one_hundred_and_archived_ones_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let owners: Vec<_> = (1..=255)
        .map(|i| {
            json!({"id": (1000 + i).to_string(), "email": format!("rep{i}@example.com"),
            "firstName": "Rep", "lastName": i.to_string(), "userId": 5000 + i, "archived": i > 250})
        })
        .collect();
    std::fs::write(dir.path().join("owners.json"), json!(owners).to_string()).unwrap();
    std::fs::write(dir.path().join("companies.json"), "[]").unwrap();
    std::fs::write(dir.path().join("contacts.json"), "[]").unwrap();
    let sb = start(handoff::sandbox::SandboxConfig {
        seed_dir: Some(dir.path().to_owned()),
        ..Default::default()
    })
    .await;
    let c = client_for(&sb);
    let owners = c.list_owners(PORTAL).await.unwrap();
    assert_eq!(owners.len(), 250);
    assert_eq!(owners[0].id, OwnerId::new(1001).unwrap());
    assert!(owners.iter().all(|o| o.is_assignable()));
    assert_eq!(
        sb.sandbox.stats().by_route["GET /crm/owners/2026-09"],
        3,
        "100 + 100 + 50"
    );

    let archived = json(
        raw(
            &sb,
            Method::GET,
            "/crm/v3/owners?archived=true",
            Some("t"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(archived["results"].as_array().unwrap().len(), 5);
    assert_eq!(archived["results"][0]["userId"], serde_json::Value::Null);
    assert_eq!(archived["results"][0]["userIdIncludingInactive"], 5251);
}
