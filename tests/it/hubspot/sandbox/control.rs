//! The control API over HTTP: new leads and sales touches, archive, merge, run-time limits,
//! stats and reset — and what the client then reads.

use handoff::hubspot::client::{CompanyId, ContactId};
use reqwest::Method;
use serde_json::json;

use crate::support::sandbox::*;

#[tokio::test]
async fn new_leads_and_sales_touches_are_what_the_client_reads() {
    let sb = start(seeded()).await;
    let lead = json!({"properties": {"email": "new.lead@pinecrest-analytics.com", "country": "US"},
        "companyId": "8803"});
    let resp = raw(&sb, Method::POST, "/_sandbox/contacts", None, Some(lead)).await;
    assert_eq!(resp.status(), 201);
    let created = json(resp).await;
    let id: u64 = created["id"].as_str().unwrap().parse().unwrap();
    assert!(id > 51009, "fresh ids come after the seeded ones");
    let c = client_for(&sb);
    let contact = c
        .get_contact(PORTAL, ContactId::new(id).unwrap(), &["email"])
        .await
        .unwrap();
    assert_eq!(
        contact.property("email"),
        Some("new.lead@pinecrest-analytics.com")
    );
    assert_eq!(contact.company_ids, vec![CompanyId::new(8803).unwrap()]);

    let touch = json!({"id": "51003", "properties": {"hs_lead_status": "CONNECTED"}});
    let resp = raw(&sb, Method::POST, "/_sandbox/contacts", None, Some(touch)).await;
    assert_eq!(resp.status(), 200);
    let contact = c
        .get_contact(PORTAL, ContactId::new(51003).unwrap(), &["hs_lead_status"])
        .await
        .unwrap();
    assert_eq!(contact.property("hs_lead_status"), Some("CONNECTED"));

    let bad_owner = json!({"id": "51003", "properties": {"hubspot_owner_id": "31337"}});
    let resp = raw(
        &sb,
        Method::POST,
        "/_sandbox/contacts",
        None,
        Some(bad_owner),
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(json(resp).await["category"], "VALIDATION_ERROR");
}

#[tokio::test]
async fn archived_contacts_are_not_found_and_merged_ids_resolve_to_the_primary() {
    let sb = start(seeded()).await;
    let c = client_for(&sb);
    let resp = raw(&sb, Method::DELETE, "/_sandbox/contacts/51004", None, None).await;
    assert_eq!(resp.status(), 204);
    let err = c
        .get_contact(PORTAL, ContactId::new(51004).unwrap(), &[])
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    let archived = json(raw(&sb, Method::GET, "/_sandbox/contacts/51004", None, None).await).await;
    assert_eq!(archived["archived"], true);

    let merge = json!({"primaryId": "51001", "mergedId": "123"});
    let resp = raw(
        &sb,
        Method::POST,
        "/_sandbox/contacts/merge",
        None,
        Some(merge),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let kept = json(resp).await;
    assert_eq!(kept["mergedIds"], json!(["123"]));
    assert_eq!(
        kept["properties"]["jobtitle"], "VP Sales Operations",
        "the primary's values win"
    );
    let via_old_id = c
        .get_contact(PORTAL, ContactId::new(123).unwrap(), &["email"])
        .await
        .unwrap();
    assert_eq!(via_old_id.id, ContactId::new(51001).unwrap());
    assert_eq!(
        via_old_id.property("email"),
        Some("anna.schmidt@nordwerk-software.de")
    );
    assert_eq!(sb.sandbox.contact(123).unwrap().id, "51001");
    let again = json!({"primaryId": "51001", "mergedId": "123"});
    let resp = raw(
        &sb,
        Method::POST,
        "/_sandbox/contacts/merge",
        None,
        Some(again),
    )
    .await;
    assert_eq!(resp.status(), 400, "123 is 51001 now");
}

#[tokio::test]
async fn limits_change_at_run_time_and_reset_restores_the_seed() {
    let sb = start(seeded()).await;
    let limit = json!({"requests": 2, "intervalMs": 60000});
    let resp = raw(&sb, Method::PUT, "/_sandbox/rate-limit", None, Some(limit)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        json(resp).await["searchRequests"],
        5,
        "unset fields keep their defaults"
    );
    let statuses: Vec<u16> = {
        let mut s = Vec::new();
        for _ in 0..3 {
            let r = raw(&sb, Method::GET, "/crm/v3/owners", Some("t"), None).await;
            s.push(r.status().as_u16());
        }
        s
    };
    assert_eq!(statuses, vec![200, 200, 429]);
    let bad = raw(
        &sb,
        Method::PUT,
        "/_sandbox/rate-limit",
        None,
        Some(json!({"requests": 0})),
    )
    .await;
    assert_eq!(bad.status(), 400);
    let bad = raw(
        &sb,
        Method::PUT,
        "/_sandbox/faults",
        None,
        Some(json!({"errorRate": 3.0})),
    )
    .await;
    assert_eq!(bad.status(), 400);

    raw(&sb, Method::DELETE, "/_sandbox/contacts/51001", None, None).await;
    let stats = json(raw(&sb, Method::GET, "/_sandbox/stats", None, None).await).await;
    assert_eq!(stats["requests"], 3);
    assert_eq!(stats["rateLimited"], 1);
    assert_eq!(stats["byRoute"]["GET /crm/v3/owners"], 3);

    let resp = raw(&sb, Method::POST, "/_sandbox/reset", None, None).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(sb.sandbox.stats().requests, 0);
    assert_eq!(sb.sandbox.rate_limit().requests, 110);
    assert!(!sb.sandbox.contact(51001).unwrap().archived);
    let r = raw(&sb, Method::GET, "/crm/v3/owners", Some("t"), None).await;
    assert_eq!(r.status(), 200);
}
