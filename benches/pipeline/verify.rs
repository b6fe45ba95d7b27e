//! After a run: the properties a user relies on, checked over every contact — each one decided,
//! no lead handed off without an owner and a task, no task twice, the owner written back to
//! HubSpot and the same as the ledger's.

use std::collections::HashMap;

use handoff::demo::setup::PORTAL_ID;
use handoff::store::ledger::Step;
use serde_json::Value;
use tokio::task::JoinSet;

use crate::world::World;

/// Checks every contact of `ids`; an error names the first broken one. Returns a summary.
pub async fn handoffs(w: &World, ids: &[i64]) -> anyhow::Result<String> {
    let portal = handoff_ids::PortalId::try_from(PORTAL_ID)?;
    let contacts = ids
        .iter()
        .map(|id| handoff_ids::ContactId::try_from(*id))
        .collect::<Result<Vec<_>, _>>()?;
    let rows = w.env.store.ledger().handoffs_for(portal, &contacts).await?;
    let by_contact: HashMap<i64, _> = rows.iter().map(|r| (r.contact_id.get(), r)).collect();
    anyhow::ensure!(by_contact.len() == rows.len(), "a contact has two handoffs");
    let mut follow_ups: HashMap<String, Vec<&Value>> = HashMap::new();
    let tasks = w.tasks().await?;
    for t in &tasks {
        let subject = t["properties"]["hs_task_subject"].as_str().unwrap_or("");
        if subject.starts_with("Reminder") || subject.starts_with("Escalation") {
            continue;
        }
        for c in t["contactIds"].as_array().into_iter().flatten() {
            if let Some(c) = c.as_str() {
                follow_ups.entry(c.to_owned()).or_default().push(t);
            }
        }
    }
    let mut undecided = 0usize;
    for id in ids {
        let decisions = w
            .env
            .store
            .ledger()
            .decisions_of(portal, handoff_ids::ContactId::try_from(*id)?)
            .await?;
        let Some(last) = decisions.last() else {
            undecided += 1;
            continue;
        };
        let handed_off = decisions.iter().any(|d| d.outcome == "handed_off");
        let row = by_contact.get(id);
        anyhow::ensure!(
            handed_off == row.is_some(),
            "contact {id}: decided {:?} but handoff row {:?}",
            last.outcome,
            row.map(|r| r.step)
        );
        let tasks = follow_ups.get(&id.to_string()).map_or(0, Vec::len);
        if let Some(r) = row {
            // A row has an owner id by type: the store refuses to load one without.
            anyhow::ensure!(
                r.step == Step::SlaScheduled,
                "contact {id}: stuck at {}",
                r.step
            );
            anyhow::ensure!(
                tasks == 1,
                "contact {id}: {tasks} follow-up tasks, want exactly 1"
            );
            let task = follow_ups[&id.to_string()][0];
            anyhow::ensure!(
                task["id"].as_str() == r.task_id.map(|t| t.to_string()).as_deref(),
                "contact {id}: the ledger's task is not HubSpot's"
            );
        } else {
            anyhow::ensure!(tasks == 0, "contact {id}: a task without a handoff");
        }
    }
    anyhow::ensure!(undecided == 0, "{undecided} contacts were never decided");
    let wrong_owner = owners_written(w, &rows).await?;
    anyhow::ensure!(
        wrong_owner == 0,
        "{wrong_owner} contacts lack the ledger's owner in HubSpot"
    );
    Ok(format!(
        "{} contacts decided, {} handed off, each with one task and its owner written; {} tasks in HubSpot",
        ids.len(),
        rows.len(),
        tasks.len()
    ))
}

/// How many handed-off contacts do not carry the ledger's owner in HubSpot.
async fn owners_written(
    w: &World,
    rows: &[handoff::store::ledger::HandoffRow],
) -> anyhow::Result<usize> {
    let mut set: JoinSet<anyhow::Result<bool>> = JoinSet::new();
    let mut wrong = 0;
    for r in rows {
        if set.len() >= 16
            && let Some(done) = set.join_next().await
        {
            wrong += usize::from(!done??);
        }
        let (http, url, owner) = (
            w.http.clone(),
            format!("{}/_sandbox/contacts/{}", w.sandbox, r.contact_id),
            r.owner_id,
        );
        set.spawn(async move {
            let v: Value = http
                .get(url)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            anyhow::Ok(
                v["properties"]["hubspot_owner_id"].as_str() == Some(owner.to_string().as_str()),
            )
        });
    }
    while let Some(done) = set.join_next().await {
        wrong += usize::from(!done??);
    }
    Ok(wrong)
}
