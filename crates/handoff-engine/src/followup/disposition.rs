//! Dispositions: what sales said, read from HubSpot values (`hs_lead_status`, lifecycle stage,
//! a reason property) and mapped to accepted / nurture / disqualified; and "close the loop": a
//! handoff still without a disposition after N business days escalates too.

use crate::contact::Contact;
use crate::decision::Disposition;
use crate::playbook::compile::Playbook;

/// The first mapping rule whose property holds one of its values (case-insensitive).
pub fn classify(pb: &Playbook, c: &Contact) -> Option<Disposition> {
    pb.doc.dispositions.map.iter().find_map(|rule| {
        let v = c.get(&rule.property)?;
        rule.values
            .iter()
            .any(|x| x.eq_ignore_ascii_case(v))
            .then(|| Disposition {
                outcome: rule.outcome,
                source: format!("{} = {v}", rule.property),
                reason: rule
                    .reason_property
                    .as_deref()
                    .and_then(|p| c.get(p))
                    .map(str::to_string)
                    .or_else(|| rule.reason.clone()),
            })
    })
}
