//! Search through the real client: task lookups by contact and status, contact filters, sorts
//! and paging.

use std::collections::BTreeMap;

use handoff::hubspot::client::{
    ContactId, Filter, FilterGroup, NewTask, SearchObject, SearchRequest, Sort,
};

use crate::support::sandbox::*;

fn request(filters: Vec<Filter>, limit: u32) -> SearchRequest {
    SearchRequest {
        filter_groups: vec![FilterGroup { filters }],
        properties: vec!["hs_task_status".into(), "hs_task_subject".into()],
        limit,
        ..SearchRequest::default()
    }
}

#[tokio::test]
async fn open_tasks_of_a_contact_are_found_and_paged() {
    let sb = start(seeded()).await;
    let c = client_for(&sb);
    let due = jiff::Timestamp::from_second(1_795_428_000).unwrap();
    let mut tasks: Vec<NewTask> = (0..3)
        .map(|i| NewTask::new(ContactId::new(51001).unwrap(), format!("Call {i}"), due))
        .collect();
    tasks[2].body = Some("handoff:lead-51001 second touch".into());
    tasks.push(NewTask::new(
        ContactId::new(51002).unwrap(),
        "Call Tom",
        due,
    ));
    let created = c.create_tasks(PORTAL, tasks).await;
    let first = created[0].result.as_ref().unwrap().id;
    sb.sandbox
        .update_task(
            first.as_u64(),
            BTreeMap::from([("hs_task_status".into(), "COMPLETED".into())]),
        )
        .unwrap();

    let open_for_anna = vec![
        Filter::neq("hs_task_status", "COMPLETED"),
        Filter::eq("associations.contact", "51001"),
    ];
    let page = c
        .search(
            PORTAL,
            SearchObject::Tasks,
            &request(open_for_anna.clone(), 1),
        )
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.results.len(), 1);
    assert_eq!(page.results[0].property("hs_task_subject"), Some("Call 1"));
    let mut next = request(open_for_anna, 1);
    next.after = page.after.clone();
    let page = c.search(PORTAL, SearchObject::Tasks, &next).await.unwrap();
    assert_eq!(page.results[0].property("hs_task_subject"), Some("Call 2"));
    assert_eq!(page.after, None, "last page");

    let token = Filter::compare("hs_task_body", "CONTAINS_TOKEN", "51001").unwrap();
    let page = c
        .search(PORTAL, SearchObject::Tasks, &request(vec![token], 10))
        .await
        .unwrap();
    assert_eq!(page.total, 1);
}

#[tokio::test]
async fn contacts_are_filtered_with_or_groups_and_sorted() {
    let sb = start(seeded()).await;
    let c = client_for(&sb);
    let request = SearchRequest {
        filter_groups: vec![
            FilterGroup {
                filters: vec![
                    Filter::one_of("country", vec!["US".into(), "DE".into()], false),
                    Filter::has("phone", false),
                    Filter::compare("num_conversion_events", "GTE", "2").unwrap(),
                ],
            },
            FilterGroup {
                filters: vec![Filter::eq("email", "TOM.BAKER@brightledger.co.uk")],
            },
        ],
        sorts: vec![Sort {
            property_name: "num_conversion_events".into(),
            direction: "DESCENDING",
        }],
        properties: vec!["email".into(), "num_conversion_events".into()],
        limit: 10,
        after: None,
    };
    let page = c
        .search(PORTAL, SearchObject::Contacts, &request)
        .await
        .unwrap();
    let ids: Vec<&str> = page.results.iter().map(|r| r.id.as_str()).collect();
    // 51003 (US, 4), 51001 (DE, 3), then 51002 (by email) and 51008 (DE, 2) tied on 2, by id.
    assert_eq!(ids, vec!["51003", "51001", "51002", "51008"]);
    assert_eq!(page.total, 4);

    let stats = sb.sandbox.stats();
    assert_eq!(
        stats.by_route["POST /crm/objects/2026-09/contacts/search"],
        1
    );
    assert_eq!(stats.max_in_window, 0, "search is not in the burst window");
}
