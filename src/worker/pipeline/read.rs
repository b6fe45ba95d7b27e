//! Reading contacts for a batch: the contacts with the properties the rules need, and for
//! contacts without a handoff their primary company — named by the contact's
//! `associatedcompanyid`, or read from its company associations when that is empty — unless a
//! disqualifier that reads no company field already disqualifies the lead. A contact
//! or company that could not be read (a request failed) is not decided on partial data: its
//! job is retried.

use std::collections::HashMap;

use super::steps::{self, Failures};
use super::trace::Contacts;
use super::{Pipeline, Rules, contact, portal};
use crate::engine;
use crate::hubspot::client::{CompanyId, ItemError};
use crate::store::ledger::HandoffRow;

/// Reads one contact with its primary company, as the engine sees it (SLA reassignments).
pub(crate) async fn read_one(
    p: &Pipeline,
    rules: &Rules,
    portal_id: i64,
    contact_id: i64,
    attempts: i64,
) -> Result<Option<engine::Contact>, crate::store::queue::Outcome> {
    let mut failures = Failures::new();
    // Its lines go in the SLA check's span.
    let mut tries = Contacts::default();
    tries.insert(contact_id, attempts, tracing::Span::none());
    let mut found = read_contacts(
        p,
        rules,
        portal_id,
        &[contact_id],
        &HashMap::new(),
        &tries,
        &mut failures,
    )
    .await;
    match failures.remove(&contact_id) {
        Some(outcome) => Err(outcome),
        None => Ok(found.pop()),
    }
}

/// Reads the contacts (and, for those without a handoff, their primary companies) as the
/// engine's input. Contacts HubSpot no longer has are left out (their jobs are done).
pub(crate) async fn read_contacts(
    p: &Pipeline,
    rules: &Rules,
    portal_id: i64,
    ids: &[i64],
    existing: &HashMap<i64, HandoffRow>,
    each: &Contacts,
    failures: &mut Failures,
) -> Vec<engine::Contact> {
    let mut props = p.contact_properties(rules);
    props.push(super::ASSOCIATED_COMPANY.into());
    let props: Vec<&str> = props.iter().map(String::as_str).collect();
    let hs_ids: Vec<_> = ids.iter().map(|id| contact(*id)).collect();
    let mut out = Vec::new();
    for item in p
        .client
        .batch_read_contacts(portal(portal_id), &hs_ids, &props)
        .await
    {
        let id = i64::try_from(item.key.0).unwrap_or_default();
        match item.result {
            Ok(c) if !c.archived => out.push(engine::Contact {
                id: id.to_string(),
                properties: c.properties,
                company: None,
                event: None,
            }),
            Ok(_) | Err(ItemError::NotFound) => {
                each.span(id).in_scope(|| {
                    tracing::info!(
                        portal_id,
                        contact_id = id,
                        "contact gone from HubSpot; nothing to hand off"
                    );
                });
            }
            Err(e) => {
                let n = each.attempts(id);
                failures.insert(id, steps::item_outcome(&e, n, "contact read"));
            }
        }
    }
    // The primary company's id comes with the contact (`associatedcompanyid`, docs/hubspot.md
    // "associatedcompanyid"); only contacts without one cost an association read. A lead that
    // a disqualifier reading no company field disqualifies needs no company at all
    // (`engine` conditions/company_free.rs).
    let now = jiff::Timestamp::now();
    let mut primary: HashMap<String, CompanyId> = HashMap::new();
    let mut need = Vec::new();
    for c in out.iter().filter(|c| {
        c.id.parse::<i64>()
            .is_ok_and(|id| !existing.contains_key(&id))
            && rules
                .playbook
                .disqualified_without_company(c, now)
                .is_none()
    }) {
        match associated_company(c) {
            Some(company) => {
                primary.insert(c.id.clone(), company);
            }
            None => need.extend(c.id.parse::<i64>().ok().map(contact)),
        }
    }
    if need.is_empty() && primary.is_empty() {
        return out;
    }
    // A contact whose company could not be read is not decided without it (the company
    // decides fit and routing): it waits for a retry like a failed contact read.
    let mut unread: HashMap<String, crate::store::queue::Outcome> = HashMap::new();
    let links = match need.is_empty() {
        true => Vec::new(),
        false => p.client.contact_companies(portal(portal_id), &need).await,
    };
    for item in links {
        let id = item.key.0.to_string();
        match item.result {
            Ok(links) => {
                if let Some(link) = links.iter().find(|l| l.primary).or(links.first()) {
                    primary.insert(id, link.company_id);
                }
            }
            Err(ItemError::Request(err)) => {
                let outcome = super::outcome_of(&err);
                unread.insert(id, outcome);
            }
            // No associations (or an input HubSpot refuses): decided without a company.
            Err(_) => {}
        }
    }
    let mut company_ids: Vec<CompanyId> = primary.values().copied().collect();
    company_ids.sort_unstable();
    company_ids.dedup();
    let company_props = Pipeline::company_properties(rules);
    let company_props: Vec<&str> = company_props.iter().map(String::as_str).collect();
    let mut companies = HashMap::new();
    if !company_ids.is_empty() {
        for item in p
            .client
            .batch_read_companies(portal(portal_id), &company_ids, &company_props)
            .await
        {
            match item.result {
                Ok(company) => {
                    companies.insert(item.key, company.properties);
                }
                Err(ItemError::Request(err)) => {
                    for (id, _) in primary.iter().filter(|(_, c)| **c == item.key) {
                        unread.insert(id.clone(), super::outcome_of(&err));
                    }
                }
                // Deleted since it was associated: decided without it.
                Err(_) => {}
            }
        }
    }
    out.retain(|c| match unread.remove(&c.id) {
        Some(outcome) => {
            if let Ok(id) = c.id.parse::<i64>() {
                failures.insert(id, outcome);
            }
            false
        }
        None => true,
    });
    for c in &mut out {
        if let Some(props) = primary
            .get(&c.id)
            .and_then(|cid| companies.get(cid).map(|p| (cid, p)))
        {
            c.company = Some(engine::contact::Company {
                id: Some(props.0.to_string()),
                properties: props.1.clone(),
            });
        }
    }
    out
}

/// The contact's primary company as `associatedcompanyid` names it (empty or `0`: none).
fn associated_company(c: &engine::Contact) -> Option<CompanyId> {
    c.get(super::ASSOCIATED_COMPANY)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|id| *id > 0)
        .map(CompanyId)
}
