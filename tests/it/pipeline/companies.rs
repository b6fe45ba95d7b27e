//! The primary company of a lead (docs/hubspot.md "associatedcompanyid"): read with the contact
//! from `associatedcompanyid`, so such a contact costs no association request; a contact whose
//! `associatedcompanyid` is empty (its companies have no primary) still gets its company from
//! the association read. The example playbook requires `company.name` before a handoff, so a
//! handoff proves the company was found.

use handoff::demo::DemoEnv;
use handoff::demo::setup::PORTAL_ID;
use handoff::store::ledger::Step;
use serde_json::json;

use crate::support::world::{calm, settle, start_at, us_lead};

const ASSOCIATIONS: &str = "POST /crm/associations/2026-09/contacts/companies/batch/read";
const COMPANIES: &str = "POST /crm/objects/2026-09/companies/batch/read";

fn requests(env: &DemoEnv, route: &str) -> u64 {
    env.sandbox
        .sandbox
        .stats()
        .by_route
        .get(route)
        .copied()
        .unwrap_or(0)
}

/// Creates a ready lead of the company, `primary` or linked without a primary, and hands it
/// off; its score.
async fn hand_off(env: &DemoEnv, email: &str, company: &str, primary: bool) -> i64 {
    let body =
        json!({"properties": us_lead(email), "companyId": company, "withoutPrimary": !primary});
    let contact = env
        .control(reqwest::Method::POST, "contacts", Some(&body))
        .await
        .unwrap();
    let id: i64 = contact["id"].as_str().unwrap().parse().unwrap();
    env.deliver(&[env.event("contact.creation", id, json!({}))])
        .await
        .unwrap();
    settle(env).await;
    let row = env
        .store
        .ledger()
        .handoffs_for(
            handoff_ids::PortalId::try_from(PORTAL_ID).unwrap(),
            &[handoff_ids::ContactId::try_from(id).unwrap()],
        )
        .await
        .unwrap()
        .remove(0);
    assert_eq!(row.step, Step::SlaScheduled, "the handoff");
    row.score
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_with_associatedcompanyid_costs_no_association_request_and_one_without_gets_its_company_from_the_associations()
 {
    let dir = tempfile::tempdir().unwrap();
    let env = start_at(dir.path(), calm()).await;
    let company = env
        .upsert_company(None, &json!({"name": "Pinecrest Analytics Inc.", "domain": "pinecrest-analytics.com",
            "industry": "INFORMATION_TECHNOLOGY_AND_SERVICES", "numberofemployees": "85", "country": "US"}))
        .await
        .unwrap();
    let with = hand_off(&env, "primary@pinecrest-analytics.com", &company, true).await;
    assert_eq!(requests(&env, ASSOCIATIONS), 0);
    assert_eq!(requests(&env, COMPANIES), 1);

    let without = hand_off(&env, "unlabeled@pinecrest-analytics.com", &company, false).await;
    assert_eq!(requests(&env, ASSOCIATIONS), 1);
    assert_eq!(requests(&env, COMPANIES), 2);
    assert_eq!(with, without, "the same company, the same score");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_a_company_free_rule_disqualifies_costs_no_company_or_association_request() {
    let dir = tempfile::tempdir().unwrap();
    let env = start_at(dir.path(), calm()).await;
    let company = env
        .upsert_company(
            None,
            &json!({"name": "Pinecrest Analytics Inc.", "domain": "pinecrest-analytics.com"}),
        )
        .await
        .unwrap();
    // A working student, linked to a company without a primary label: without the rule the
    // company would cost an association read and a company read.
    let mut student = us_lead("student@pinecrest-analytics.com");
    student["jobtitle"] = json!("Working Student Marketing");
    let body = json!({"properties": student, "companyId": company, "withoutPrimary": true});
    let contact = env
        .control(reqwest::Method::POST, "contacts", Some(&body))
        .await
        .unwrap();
    let id: i64 = contact["id"].as_str().unwrap().parse().unwrap();
    env.deliver(&[env.event("contact.creation", id, json!({}))])
        .await
        .unwrap();
    settle(&env).await;
    let decision = crate::support::world::decisions_of(&env, id)
        .await
        .remove(0);
    assert_eq!(decision.outcome, "disqualified");
    assert!(
        decision
            .explanation
            .contains("company not read: `student` disqualifies the lead whatever its company"),
        "{}",
        decision.explanation
    );
    assert_eq!(requests(&env, ASSOCIATIONS), 0);
    assert_eq!(requests(&env, COMPANIES), 0);
    env.stop().await;
}
