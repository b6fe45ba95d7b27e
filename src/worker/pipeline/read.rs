//! Reading contacts for a batch: the contacts with the properties the rules need, and for
//! contacts without a handoff their primary company — named by the contact's
//! `associatedcompanyid`, or read from its company associations when that is empty — unless a
//! disqualifier that reads no company field already disqualifies the lead. A contact
//! or company that could not be read (a request failed) is not decided on partial data: its
//! job is retried.

use std::collections::{BTreeMap, HashMap};

use super::steps::{self, Failures};
use super::trace::Contacts;
use super::{PortalRun, Run};
use crate::engine;
use crate::hubspot::client::{CompanyId, ContactId, ItemError, PortalId};
use crate::store::ledger::HandoffRow;
use crate::store::queue::Outcome;

/// Reads one contact with its primary company, as the engine sees it (SLA reassignments).
pub(crate) async fn read_one(
    run: &Run<'_>,
    portal_id: PortalId,
    contact_id: ContactId,
    attempts: i64,
) -> Result<Option<engine::Contact>, Outcome> {
    let mut failures = Failures::new();
    // Its lines go in the SLA check's span.
    let mut tries = Contacts::default();
    tries.insert(contact_id, attempts, tracing::Span::none());
    let b = PortalRun {
        run,
        portal_id,
        each: &tries,
        attempts,
    };
    let mut found = read_contacts(&b, &[contact_id], &HashMap::new(), &mut failures).await;
    match failures.remove(&contact_id) {
        Some(outcome) => Err(outcome),
        None => Ok(found.pop()),
    }
}

/// Reads the contacts (and, for those without a handoff, their primary companies) as the
/// engine's input. Contacts HubSpot no longer has are left out (their jobs are done).
pub(crate) async fn read_contacts(
    b: &PortalRun<'_>,
    ids: &[ContactId],
    existing: &HashMap<ContactId, HandoffRow>,
    failures: &mut Failures,
) -> Vec<engine::Contact> {
    let mut out = read_batch(b, ids, failures).await;
    // A contact whose company could not be read is not decided without it (the company
    // decides fit and routing): it waits for a retry like a failed contact read.
    let mut unread: HashMap<ContactId, Outcome> = HashMap::new();
    let primary = primary_companies(b, &out, existing, &mut unread).await;
    let companies = read_companies(b, &primary, &mut unread).await;
    out.retain(|c| match unread.remove(&c.id) {
        Some(outcome) => {
            failures.insert(c.id, outcome);
            false
        }
        None => true,
    });
    for c in &mut out {
        if let Some((id, props)) = primary
            .get(&c.id)
            .and_then(|id| companies.get(id).map(|p| (id, p)))
        {
            c.company = Some(engine::contact::Company {
                id: Some(id.to_string()),
                properties: props.clone(),
            });
        }
    }
    out
}

/// The contacts with the properties the rules read, in one batch read.
async fn read_batch(
    b: &PortalRun<'_>,
    ids: &[ContactId],
    failures: &mut Failures,
) -> Vec<engine::Contact> {
    let mut props = b.run.contact_properties();
    props.push(super::ASSOCIATED_COMPANY.into());
    let props: Vec<&str> = props.iter().map(String::as_str).collect();
    let answers = b
        .run
        .crm
        .batch_read_contacts(b.portal_id, ids, &props)
        .await;
    let mut out = Vec::new();
    for item in answers {
        let id = item.key;
        match item.result {
            Ok(c) if !c.archived => out.push(engine::Contact {
                id,
                properties: c.properties,
                company: None,
                event: None,
            }),
            Ok(_) | Err(ItemError::NotFound) => {
                b.each.span(id).in_scope(|| {
                    tracing::info!(
                        portal_id = b.portal_id.get(),
                        contact_id = id.get(),
                        "contact gone from HubSpot; nothing to hand off"
                    );
                });
            }
            Err(e) => {
                let n = b.each.attempts(id);
                failures.insert(id, steps::item_outcome(b.run, &e, n, "contact read"));
            }
        }
    }
    out
}

/// The primary company of each contact that needs one: the contacts without a handoff, unless
/// a disqualifier reading no company field already disqualifies the lead
/// (`engine::company_free`). Its id comes with the contact (`associatedcompanyid`,
/// docs/hubspot.md "associatedcompanyid"); only contacts without one cost an association read.
/// A failed association read goes to `unread`.
async fn primary_companies(
    b: &PortalRun<'_>,
    contacts: &[engine::Contact],
    existing: &HashMap<ContactId, HandoffRow>,
    unread: &mut HashMap<ContactId, Outcome>,
) -> HashMap<ContactId, CompanyId> {
    let now = b.run.clock.now();
    let playbook = &b.run.rules.playbook;
    let mut primary: HashMap<ContactId, CompanyId> = HashMap::new();
    let mut need = Vec::new();
    for c in contacts.iter().filter(|c| {
        !existing.contains_key(&c.id) && playbook.disqualified_without_company(c, now).is_none()
    }) {
        match associated_company(c) {
            Some(company) => {
                primary.insert(c.id, company);
            }
            None => need.push(c.id),
        }
    }
    if need.is_empty() {
        return primary;
    }
    for item in b.run.crm.contact_companies(b.portal_id, &need).await {
        let id = item.key;
        match item.result {
            Ok(links) => {
                if let Some(link) = links.iter().find(|l| l.primary).or(links.first()) {
                    primary.insert(id, link.company_id);
                }
            }
            Err(ItemError::Request(err)) => {
                unread.insert(id, b.run.outcome_of(&err));
            }
            // No associations (or an input HubSpot refuses): decided without a company.
            Err(_) => {}
        }
    }
    primary
}

/// The companies' properties the playbook reads, in one batch read; a failed read goes to
/// `unread` for every contact of that company.
async fn read_companies(
    b: &PortalRun<'_>,
    primary: &HashMap<ContactId, CompanyId>,
    unread: &mut HashMap<ContactId, Outcome>,
) -> HashMap<CompanyId, BTreeMap<String, Option<String>>> {
    let mut ids: Vec<CompanyId> = primary.values().copied().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut companies = HashMap::new();
    if ids.is_empty() {
        return companies;
    }
    let props = b.run.company_properties();
    let props: Vec<&str> = props.iter().map(String::as_str).collect();
    let answers = b
        .run
        .crm
        .batch_read_companies(b.portal_id, &ids, &props)
        .await;
    for item in answers {
        match item.result {
            Ok(company) => {
                companies.insert(item.key, company.properties);
            }
            Err(ItemError::Request(err)) => {
                for (id, _) in primary.iter().filter(|(_, c)| **c == item.key) {
                    unread.insert(*id, b.run.outcome_of(&err));
                }
            }
            // Deleted since it was associated: decided without it.
            Err(_) => {}
        }
    }
    companies
}

/// The contact's primary company as `associatedcompanyid` names it (empty or `0`: none).
fn associated_company(c: &engine::Contact) -> Option<CompanyId> {
    c.get(super::ASSOCIATED_COMPANY)
        .and_then(|v| v.trim().parse::<CompanyId>().ok())
}
