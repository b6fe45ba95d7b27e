//! Lead stage webhooks become dispositions (`[playbook.leads]`, docs/hubspot.md "Lead stage
//! webhooks"): a generic `object.propertyChange` event on a Lead (`objectTypeId` `0-136`) for
//! `hs_pipeline_stage` or the reason property names only the lead, so the lane hands such jobs
//! here: the lead is found in the ledger (`handoff_leads`), read from HubSpot (its current
//! stage and reason: events may arrive out of order, the record is the truth), and its stage
//! mapped to accepted / nurture / disqualified by the playbook's stage names resolved against
//! the portal's lead stages, which are read from the pipelines API when the service starts
//! (`read_at_start`; again with the portal's first lead or lead event if that read failed) and
//! again when a lead shows a stage id not seen before (at most once a minute per portal).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

use tracing::Instrument;

use super::batch::ContactWork;
use super::intent::Plan;
use super::observed::apply_observed;
use super::steps::Failures;
use super::touch::{Observed, outcome_name};
use super::{Pipeline, Run};
use crate::engine::followup::leads::{Stage, stage_outcomes};
use crate::engine::playbook::DispositionOutcome;
use crate::hubspot::client::{ContactId, ItemError, LEAD_STAGE_PROPERTY, PortalId};
use crate::hubspot::event::{EventAction, HubspotEvent};
use crate::store::StoreError;
use crate::store::queue::Outcome;

/// A portal's stages are read again for an unknown stage id no sooner than this.
const RELOAD_AFTER_MS: i64 = 60_000;

/// The lead stages of each portal, as last read from HubSpot.
#[derive(Debug, Default)]
pub struct StageCache {
    portals: Mutex<HashMap<PortalId, (i64, Vec<Stage>)>>,
}

impl StageCache {
    fn get(&self, portal_id: PortalId) -> Option<(i64, Vec<Stage>)> {
        self.portals
            .lock()
            .ok()
            .and_then(|m| m.get(&portal_id).cloned())
    }

    fn put(&self, portal_id: PortalId, stages: Vec<Stage>, now_ms: i64) {
        if let Ok(mut m) = self.portals.lock() {
            m.insert(portal_id, (now_ms, stages));
        }
    }
}

/// The lead properties whose changes are dispositions: the stage and the reason property.
/// What the pipeline reads from a lead, and what the app's lead webhooks subscribe to
/// (`admin::hubspot_app`).
pub fn lead_properties(reason_property: &str) -> Vec<String> {
    vec![LEAD_STAGE_PROPERTY.to_owned(), reason_property.to_owned()]
}

/// What a lead's coalesced events ask for: read the lead when its stage or reason changed.
pub fn plan(events: &[HubspotEvent], reason_property: &str) -> Plan {
    let watched = lead_properties(reason_property);
    let mut p = Plan::default();
    for e in events {
        let asks = e.action == EventAction::PropertyChange
            && e.property_name
                .as_deref()
                .is_some_and(|n| watched.iter().any(|w| w == n));
        if asks {
            p.evaluate = true;
            p.trigger = format!(
                "{}:{}",
                e.subscription_type,
                e.property_name.as_deref().unwrap_or_default()
            );
        } else {
            p.skipped += 1;
        }
    }
    p
}

/// Runs the lane's lead jobs, per portal; a paused portal's wait (as its contacts' do).
pub(crate) async fn run_all(
    run: &Run<'_>,
    paused: &Result<BTreeSet<PortalId>, StoreError>,
    work: Vec<(PortalId, ContactWork)>,
) -> HashMap<(PortalId, ContactId), Outcome> {
    let mut by_portal: BTreeMap<PortalId, Vec<ContactWork>> = BTreeMap::new();
    for (portal_id, w) in work {
        by_portal.entry(portal_id).or_default().push(w);
    }
    let mut out = HashMap::new();
    for (portal_id, work) in by_portal {
        let key = |w: &ContactWork| (portal_id, w.contact_id);
        match paused {
            Ok(paused) if paused.contains(&portal_id) => {
                let deferred = super::pause::deferred(run.now_ms());
                out.extend(work.iter().map(|w| (key(w), deferred.clone())));
            }
            Ok(_) => {
                for (lead_id, outcome) in run_portal(run, portal_id, &work).await {
                    out.insert((portal_id, lead_id), outcome);
                }
            }
            Err(err) => out.extend(
                work.iter()
                    .map(|w| (key(w), run.retry_later(w.attempts, err.to_string()))),
            ),
        }
    }
    out
}

/// Runs one portal's lead jobs (`ContactWork::contact_id` is the lead id); the leads missing
/// from the answer are done.
async fn run_portal(run: &Run<'_>, portal_id: PortalId, work: &[ContactWork]) -> Failures {
    let mut failures = Failures::new();
    let asked: Vec<&ContactWork> = work.iter().filter(|w| w.plan.evaluate).collect();
    if asked.is_empty() {
        return failures;
    }
    let ids: Vec<i64> = asked.iter().map(|w| w.contact_id.get()).collect();
    let handoffs = match run.store.leads().handoffs_by_lead(portal_id, &ids).await {
        Ok(h) => h,
        Err(err) => {
            for w in &asked {
                failures.insert(w.contact_id, run.retry_later(w.attempts, err.to_string()));
            }
            return failures;
        }
    };
    // A lead handoff did not create (made by hand, or by another tool) is not ours.
    let attempts: HashMap<ContactId, i64> = asked
        .iter()
        .filter(|w| handoffs.contains_key(&w.contact_id.get()))
        .map(|w| (w.contact_id, w.attempts))
        .collect();
    let seen = read(run, portal_id, &attempts, &mut failures).await;
    let Some(stages) = stages_seen(run, portal_id, &seen, &mut failures).await else {
        return failures;
    };
    let (outcomes, _) = stage_outcomes(&run.rules.playbook.doc.leads, &stages);
    for lead in seen {
        // New, Attempting, Connected…: the rep is working the lead; not a disposition.
        let (Some(outcome), Some(handoff_id)) =
            (outcomes.get(&lead.stage), handoffs.get(&lead.id.get()))
        else {
            continue;
        };
        let span = work
            .iter()
            .find(|w| w.contact_id == lead.id)
            .map_or_else(tracing::Span::none, |w| w.span.clone());
        let recorded = record(run, portal_id, *handoff_id, &lead, *outcome)
            .instrument(span)
            .await;
        if let Err(err) = recorded {
            let tries = attempts.get(&lead.id).copied().unwrap_or(1);
            failures.insert(lead.id, run.retry_later(tries, err.to_string()));
        }
    }
    failures
}

/// The portal's stages for the leads `seen` (none seen: nothing to map); `None` when they
/// could not be read (every lead's job then ends as the read did).
async fn stages_seen(
    run: &Run<'_>,
    portal_id: PortalId,
    seen: &[SeenLead],
    failures: &mut Failures,
) -> Option<Vec<Stage>> {
    if seen.is_empty() {
        return None;
    }
    match stages_for(run, portal_id, seen.iter().map(|l| l.stage.as_str())).await {
        Ok(stages) => Some(stages),
        Err(outcome) => {
            for l in seen {
                failures.insert(l.id, outcome.clone());
            }
            None
        }
    }
}

/// A lead as read after its webhook.
struct SeenLead {
    id: ContactId,
    stage: String,
    reason: Option<String>,
}

/// Reads the leads (lead id → job attempts): their current stage and reason.
async fn read(
    run: &Run<'_>,
    portal_id: PortalId,
    attempts: &HashMap<ContactId, i64>,
    failures: &mut Failures,
) -> Vec<SeenLead> {
    if attempts.is_empty() {
        return Vec::new();
    }
    let reason_property = &run.rules.playbook.doc.leads.reason_property;
    let ids: Vec<u64> = attempts.keys().map(|id| id.as_u64()).collect();
    let props = lead_properties(reason_property);
    let mut seen = Vec::new();
    for item in run.crm.read_leads(portal_id, &ids, props).await {
        // Only the ids asked for come back.
        let Some((&id, &tries)) = attempts.iter().find(|(id, _)| id.as_u64() == item.key) else {
            continue;
        };
        match item.result {
            Ok(lead) => seen.push(SeenLead {
                id,
                stage: lead.property(LEAD_STAGE_PROPERTY).unwrap_or("").to_owned(),
                reason: lead
                    .property(reason_property)
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned),
            }),
            // Deleted since the event: nothing to record.
            Err(ItemError::NotFound) => {}
            Err(ItemError::Request(err)) => {
                failures.insert(id, run.outcome_of(&err));
            }
            Err(_) => {
                failures.insert(id, run.retry_later(tries, "lead read unanswered"));
            }
        }
    }
    seen
}

/// Records the lead's stage as its handoff's disposition (a touch too, as in `touch.rs`).
async fn record(
    run: &Run<'_>,
    portal_id: PortalId,
    handoff_id: i64,
    lead: &SeenLead,
    outcome: DispositionOutcome,
) -> Result<(), StoreError> {
    let Some(row) = run.store.ledger().handoff(handoff_id).await? else {
        return Ok(());
    };
    // The lead event's span learns its contact (`trace::event_job`).
    tracing::Span::current().record("contact_id", row.contact_id.get());
    let name = outcome_name(outcome);
    let reason = lead.reason.clone().filter(|_| name == "disqualified");
    tracing::info!(portal_id = portal_id.get(), contact_id = row.contact_id.get(), lead_id = lead.id.get(), stage = %lead.stage, disposition = name, "lead stage read as a disposition");
    let now = run.now_ms();
    let observed = Observed {
        touched_at_ms: Some(now),
        disposition: Some((name, reason)),
        deal_amount: None,
    };
    apply_observed(run, &row, &observed, now).await;
    Ok(())
}

/// At start, reads the lead stages of every configured portal that creates leads: stage ids
/// differ per portal (docs/hubspot.md "Lead stages and pipelines"), so a playbook stage name that
/// matches none of them is logged when the service starts, before a rep moves a lead. A failed read
/// is logged and left to the portal's first lead ([`warm`]).
pub(crate) async fn read_at_start(p: &Pipeline) {
    let run = p.run();
    let leads = &run.rules.playbook.doc.leads;
    for id in run.crm.portals() {
        if !leads.on_for(id) {
            continue;
        }
        if let Err(outcome) = stages_for(&run, id, std::iter::empty()).await {
            tracing::warn!(
                portal_id = id.get(),
                outcome = outcome.name(),
                "lead stages not read at start; read again with the portal's first lead"
            );
        }
    }
}

/// Reads the portal's lead stages once per process, when it creates its first lead: a playbook
/// stage name that matches no stage is logged then, not only when a rep moves a lead.
/// The stage id a lead of `portal_id` moves to for `outcome` (a disposition given in Slack),
/// when the playbook names one of the portal's stages for it.
pub(crate) async fn stage_id_for(
    run: &Run<'_>,
    portal_id: PortalId,
    outcome: crate::engine::playbook::DispositionOutcome,
) -> Result<Option<String>, Outcome> {
    let stages = stages_for(run, portal_id, std::iter::empty()).await?;
    let doc = &run.rules.playbook.doc.leads;
    Ok(crate::engine::followup::leads::stage_for(doc, &stages, outcome).map(|s| s.id.clone()))
}

pub(crate) async fn warm(run: &Run<'_>, portal_id: PortalId) {
    if run.stages.get(portal_id).is_none() {
        let _ = stages_for(run, portal_id, std::iter::empty()).await;
    }
}

/// The portal's lead stages, read again when one of `current` is unknown and the last read
/// is old enough. Logs the playbook's stage names that match no stage once per read.
async fn stages_for<'a>(
    run: &Run<'_>,
    portal_id: PortalId,
    mut current: impl Iterator<Item = &'a str>,
) -> Result<Vec<Stage>, Outcome> {
    let cached = run.stages.get(portal_id);
    let fresh_enough = cached.as_ref().is_some_and(|(at, stages)| {
        run.now_ms() - at < RELOAD_AFTER_MS || current.all(|s| stages.iter().any(|st| st.id == s))
    });
    if let (true, Some((_, stages))) = (fresh_enough, &cached) {
        return Ok(stages.clone());
    }
    let pipelines = match run.crm.lead_pipelines(portal_id).await {
        Ok(list) => list,
        // Without a fresh read, the stages known before still map what they can.
        Err(err) => {
            return match cached {
                Some((_, stages)) => Ok(stages),
                None => Err(run.outcome_of(&err)),
            };
        }
    };
    let stages: Vec<Stage> = pipelines
        .iter()
        .flat_map(|pl| &pl.stages)
        .map(|s| Stage {
            id: s.id.clone(),
            label: s.label.clone(),
        })
        .collect();
    if stages.is_empty() {
        tracing::warn!(
            portal_id = portal_id.get(),
            "lead pipelines list no stages; lead stages cannot become dispositions"
        );
    }
    let (_, unmatched) = stage_outcomes(&run.rules.playbook.doc.leads, &stages);
    if !unmatched.is_empty() {
        let known: Vec<String> = stages
            .iter()
            .map(|s| format!("{} ({})", s.label, s.id))
            .collect();
        let unmatched: Vec<&str> = unmatched.into_iter().map(outcome_name).collect();
        tracing::warn!(portal_id = portal_id.get(), outcomes = ?unmatched, stages = ?known, "playbook lead stage names match no stage of the portal");
    }
    run.stages.put(portal_id, stages.clone(), run.now_ms());
    Ok(stages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(action: EventAction, property: Option<&str>) -> HubspotEvent {
        let mut e: HubspotEvent = serde_json::from_value(serde_json::json!({
            "eventId": 1, "subscriptionId": 1, "portalId": 7, "occurredAt": 1,
            "subscriptionType": "object.propertyChange", "action": "propertyChange",
            "objectTypeId": "0-136", "objectId": 5,
        }))
        .unwrap();
        e.action = action;
        e.property_name = property.map(str::to_owned);
        e
    }

    #[test]
    fn only_stage_and_reason_changes_ask_for_a_read() {
        let reason = "hs_lead_disqualification_reason";
        let p = plan(
            &[event(
                EventAction::PropertyChange,
                Some("hs_pipeline_stage"),
            )],
            reason,
        );
        assert!(p.evaluate);
        assert_eq!(p.trigger, "object.propertyChange:hs_pipeline_stage");
        let p = plan(&[event(EventAction::PropertyChange, Some(reason))], reason);
        assert!(p.evaluate);
        let p = plan(
            &[
                event(EventAction::PropertyChange, Some("hs_lead_label")),
                event(EventAction::Creation, None),
            ],
            reason,
        );
        assert!(!p.evaluate);
        assert_eq!(p.skipped, 2);
    }
}
