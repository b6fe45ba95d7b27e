//! Writes HubSpot refused because a property the portal requires is missing
//! (`MISSING_REQUIRED_PROPERTY`, `MISSING_CONDITIONAL_REQUIRED_PROPERTY`; docs/hubspot.md
//! "Write validation"). Retrying cannot help until someone adds the property, so the refusal
//! is permanent and named: one warn line with the code and property, a count in
//! `handoff_hubspot_write_refusals_total{object,code,property}`, and a reason — the task's dead
//! letter, the lead's ledger entry — that carries HubSpot's code verbatim, the property and
//! what to add where. The rest of the batch goes on.

use crate::hubspot::client::metrics::RefusalLabel;
use crate::hubspot::client::{ContactId, PortalId, WriteRefusal};

use crate::metrics::Metrics;

/// Which of handoff's writes was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused<'a> {
    /// The follow-up task, rendered from `[[playbook.tasks]]` template `template`.
    Task { template: Option<&'a str> },
    /// The HubSpot Lead (`[playbook.leads]`).
    Lead,
    /// The contact write-back (owner, score, tier, handoff times).
    ContactWrite,
}

impl Refused<'_> {
    fn object(self) -> &'static str {
        match self {
            Self::Task { .. } => "task",
            Self::Lead => "lead",
            Self::ContactWrite => "contact",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Self::Task { .. } => "task create",
            Self::Lead => "lead create",
            Self::ContactWrite => "contact write-back (owner, score, tier, handoff times)",
        }
    }

    /// What to change so the write goes through.
    fn hint(self, r: &WriteRefusal) -> String {
        let why = "HubSpot requires it: a conditional property rule or a Create Record \
                   requirement in the portal's settings";
        let table = r
            .properties
            .iter()
            .map(|p| format!("{p} = \"…\""))
            .collect::<Vec<_>>()
            .join(", ");
        let names = r
            .properties
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ");
        if r.properties.is_empty() {
            return format!(
                "HubSpot named no property: read its message and the portal's required-property \
                 rules for this {}",
                self.object()
            );
        }
        match self {
            Self::Task { template } => {
                let id = template.map_or(String::new(), |t| format!("id = \"{t}\", "));
                format!(
                    "add {names} to the task template: [[playbook.tasks]] {id}properties = \
                     {{ {table} }} ({why}), then replay this dead letter"
                )
            }
            Self::Lead => format!(
                "add {names} to the Lead template: [playbook.leads] properties = {{ {table} }} \
                 ({why})"
            ),
            Self::ContactWrite => format!(
                "HubSpot requires {names} when handoff writes the owner, score, tier and \
                 handoff times to a contact ({why}): set it on the contact in HubSpot or change \
                 the rule, then replay this dead letter"
            ),
        }
    }
}

/// The reason for the dead letter (or the lead's ledger entry): HubSpot's code verbatim, the
/// property, HubSpot's message and the fix.
pub(crate) fn reason(what: Refused<'_>, r: &WriteRefusal) -> String {
    let message = if r.message.is_empty() {
        String::new()
    } else {
        format!(" (\"{}\")", r.message)
    };
    // "for property x" also lets `handoff doctor` find the name when HubSpot sent no message.
    let named = match r.properties.as_slice() {
        [] => format!("{} (HubSpot named no property)", r.code.as_str()),
        [one] => format!("{} for property {one}", r.code.as_str()),
        many => format!("{} for properties {}", r.code.as_str(), many.join(", ")),
    };
    format!(
        "{} refused by HubSpot: {named}{message}; {}",
        what.what(),
        what.hint(r)
    )
}

/// Logs and counts the refusal of `contact_id`'s write; returns its [`reason`].
pub(crate) fn record(
    metrics: &Metrics,
    portal_id: PortalId,
    contact_id: ContactId,
    what: Refused<'_>,
    r: &WriteRefusal,
) -> String {
    let reason = reason(what, r);
    let names = if r.properties.is_empty() {
        vec!["unknown".to_owned()]
    } else {
        r.properties.clone()
    };
    for property in names {
        metrics
            .hubspot
            .write_refusals
            .get_or_create(&RefusalLabel {
                object: what.object(),
                code: r.code.as_str(),
                property,
            })
            .inc();
    }
    tracing::warn!(
        portal_id = portal_id.get(),
        contact_id = contact_id.get(),
        object = what.object(),
        code = r.code.as_str(),
        property = %r.property_list(),
        reason = %reason,
        "hubspot refused a write: a required property is missing"
    );
    reason
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hubspot::client::RefusalCode;

    fn refusal(code: RefusalCode, properties: &[&str]) -> WriteRefusal {
        WriteRefusal {
            code,
            properties: properties.iter().map(|p| (*p).to_owned()).collect(),
            message: "hs_x is required because of a conditional property rule".into(),
            inputs: Vec::new(),
        }
    }

    #[test]
    fn a_task_refusal_names_code_property_and_the_template_to_change() {
        let r = refusal(RefusalCode::MissingConditionalRequired, &["hs_x"]);
        let text = reason(
            Refused::Task {
                template: Some("demo-request"),
            },
            &r,
        );
        assert!(
            text.starts_with(
                "task create refused by HubSpot: MISSING_CONDITIONAL_REQUIRED_PROPERTY for property hs_x"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "[[playbook.tasks]] id = \"demo-request\", properties = { hs_x = \"…\" }"
            ),
            "{text}"
        );
        assert!(text.contains("conditional property rule"), "{text}");
    }

    #[test]
    fn lead_and_contact_refusals_point_at_their_own_fix() {
        let r = refusal(RefusalCode::MissingRequired, &["a", "b"]);
        let lead = reason(Refused::Lead, &r);
        assert!(
            lead.contains("MISSING_REQUIRED_PROPERTY for properties a, b"),
            "{lead}"
        );
        assert!(
            lead.contains("[playbook.leads] properties = { a = \"…\", b = \"…\" }"),
            "{lead}"
        );
        let contact = reason(Refused::ContactWrite, &r);
        assert!(
            contact.starts_with("contact write-back (owner, score, tier, handoff times) refused"),
            "{contact}"
        );
        assert!(
            contact.contains("set it on the contact in HubSpot"),
            "{contact}"
        );
        let unnamed = reason(Refused::Lead, &refusal(RefusalCode::MissingRequired, &[]));
        assert!(unnamed.contains("HubSpot named no property"), "{unnamed}");
    }

    #[test]
    fn doctor_finds_the_code_and_the_property_in_every_reason() {
        use crate::admin::doctor::refused::property_names;
        let mut r = refusal(RefusalCode::MissingRequired, &["hs_x", "hs_y"]);
        for message in ["A value for hs_x must be provided", ""] {
            r.message = message.into();
            for what in [
                Refused::Task { template: None },
                Refused::Lead,
                Refused::ContactWrite,
            ] {
                let text = reason(what, &r);
                assert!(text.contains("MISSING_REQUIRED_PROPERTY"), "{text}");
                let names = property_names(&text);
                assert!(names.contains(&"hs_x".to_owned()), "{names:?} in {text}");
            }
        }
    }
}
