//! What an alert says about its lead: the task's context package (who, which company, why this
//! owner, the score and its reasons, the SLA's due time, a link to the contact's record), read
//! from the handoff row and the alert text stored with it at decision time — no HubSpot call.

use handoff_slack::blocks::Lead;
use handoff_slack::ids::HandoffRef;

use super::SlackAlerts;
use crate::store::ledger::HandoffRow;
use crate::worker::pipeline::task_text::alert_text;

/// The lead of `row`'s current assignment, as its alerts and their buttons present it.
pub(super) fn lead(slack: &SlackAlerts, row: &HandoffRow) -> Lead {
    let text = alert_text(row).unwrap_or_default();
    let name = if text.name.is_empty() {
        format!("Contact {}", row.contact_id)
    } else {
        text.name
    };
    let due_ms = row.sla_due_at_ms.unwrap_or(row.handed_off_at_ms);
    Lead {
        handoff: HandoffRef {
            portal: row.portal_id,
            contact: row.contact_id,
            version: u32::try_from(row.reassignments).unwrap_or(u32::MAX),
        },
        name,
        company: text.company,
        why_owner: text.why,
        score: Some(row.score),
        score_reasons: text.reasons,
        sla_due: jiff::Timestamp::from_millisecond(due_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
        record_url: record_url(&slack.app_url, row),
        task_url: None,
    }
}

/// The contact's record in HubSpot's app (docs/slack.md "Links to HubSpot").
fn record_url(app_url: &str, row: &HandoffRow) -> String {
    format!(
        "{app_url}/contacts/{}/record/0-1/{}",
        row.portal_id, row.contact_id
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_link_names_the_portal_and_the_contact() {
        let row = HandoffRow::example();
        let url = record_url("https://app-eu1.hubspot.com", &row);
        assert_eq!(
            url,
            format!(
                "https://app-eu1.hubspot.com/contacts/{}/record/0-1/{}",
                row.portal_id, row.contact_id
            )
        );
    }
}
