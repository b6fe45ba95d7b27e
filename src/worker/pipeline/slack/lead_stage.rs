//! A disposition given in Slack moves the handoff's HubSpot Lead (`[playbook.leads]`) to the
//! stage the playbook names for it — the first of `[playbook.leads.stages]`' names for the
//! outcome that is a stage of the portal's lead pipelines — with the reason in the lead's
//! reason property for **Not a fit**. When HubSpot echoes the stage change back, the Slack
//! disposition stands (`record_disposition`). A refusal is logged and left: the ledger has the
//! disposition either way.

use super::super::Run;
use crate::engine::playbook::DispositionOutcome;
use crate::hubspot::client::LeadUpdate;
use crate::store::ledger::HandoffRow;
use crate::store::queue::Outcome;

/// Moves the handoff's lead, if it has one, to the stage for `outcome`.
pub(super) async fn move_lead(
    run: &Run<'_>,
    row: &HandoffRow,
    (outcome, reason): (DispositionOutcome, Option<&str>),
    attempts: i64,
) -> Result<(), Outcome> {
    let doc = &run.rules.playbook.doc.leads;
    if !doc.on_for(row.portal_id) {
        return Ok(());
    }
    let leads = match run.store.leads().of_handoffs(&[row.id]).await {
        Ok(leads) => leads,
        Err(err) => return Err(run.retry_later(attempts, err.to_string())),
    };
    let Some(lead_id) = leads.get(&row.id).and_then(|l| l.lead_id.clone()) else {
        return Ok(());
    };
    let Some(stage) = super::super::lead_stages::stage_id_for(run, row.portal_id, outcome).await?
    else {
        return Ok(());
    };
    let mut properties = std::collections::BTreeMap::new();
    properties.insert(
        crate::hubspot::client::LEAD_STAGE_PROPERTY.to_owned(),
        stage,
    );
    if let (DispositionOutcome::Disqualified, Some(reason)) = (outcome, reason) {
        properties.insert(doc.reason_property.clone(), reason.to_owned());
    }
    let update = LeadUpdate {
        lead_id: lead_id.clone(),
        properties,
    };
    let results = run.crm.update_leads(row.portal_id, vec![update]).await;
    let Some(Err(e)) = results.into_iter().next().map(|i| i.result) else {
        return Ok(());
    };
    match crate::worker::pipeline::steps::item_outcome(run, &e, attempts, "lead stage") {
        Outcome::Dead { reason } => {
            tracing::warn!(portal_id = row.portal_id.get(), contact_id = row.contact_id.get(), lead_id, error = %reason, "HubSpot refused the lead stage of a disposition given in Slack; the disposition stands in handoff");
            Ok(())
        }
        retry => Err(retry),
    }
}
