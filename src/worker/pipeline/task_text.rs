//! The follow-up task's text, owned here from end to end: rendered at decision time from the
//! playbook's task templates (subject, body, priority, type, the template it came from and the
//! placeholder values its `properties` are rendered with later, plus the first-touch sequence
//! and the HubSpot Lead's name the playbook chose), stored with the handoff (`task_text`,
//! erased with it), and read back by the steps that use it: the task create, the sequence
//! enrollment, the lead and the SLA's reminders. A handoff's task is found again in HubSpot by
//! the [`marker`] its body carries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Rules;
use crate::engine::followup::tasks::{TaskContext, TaskTemplateDoc};
use crate::engine::{self, Decision};
use crate::hubspot::client::NewTask;
use crate::store::ledger::HandoffRow;

/// The task text as rendered at decision time (the JSON of `task_text`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct TaskText {
    subject: String,
    body: String,
    priority: Option<String>,
    task_type: Option<String>,
    /// The first-touch sequence `[[playbook.sequences]]` chose (`sequence.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sequence_id: Option<String>,
    /// The HubSpot Lead's name when the playbook creates leads (`[playbook.leads]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lead_name: Option<String>,
    /// The `[[playbook.tasks]]` template the text came from (`built-in` without templates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    template: Option<String>,
    /// Placeholder values at decision time, for the templates' `properties`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    values: BTreeMap<String, String>,
    /// What a Slack alert says about the lead (`slack/lead.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    alert: Option<AlertText>,
}

/// The lead as a Slack alert presents it, taken at decision time so that an alert (sent later,
/// maybe after a retry) costs no HubSpot read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AlertText {
    /// The contact's name (or e-mail).
    pub(crate) name: String,
    pub(crate) company: Option<String>,
    /// Why this owner: the routing step that assigned the lead.
    pub(crate) why: String,
    /// The score's reasons, strongest first.
    pub(crate) reasons: Vec<String>,
}

impl AlertText {
    fn of(d: &Decision, c: &engine::Contact) -> Self {
        let prop = |p: &str| c.get(p).map(str::trim).filter(|v| !v.is_empty());
        let full = [prop("firstname"), prop("lastname")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let name = if full.is_empty() {
            prop("email").map_or_else(|| format!("Contact {}", c.id), str::to_owned)
        } else {
            full
        };
        let company = c
            .company_get("name")
            .or_else(|| c.get("company"))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned);
        let why = d
            .routing
            .as_ref()
            .and_then(|r| {
                r.steps
                    .iter()
                    .rev()
                    .find(|s| s.result == engine::routing::StepResult::Assigned)
            })
            .map(|s| format!("{}: {}", s.stage, s.detail))
            .unwrap_or_default();
        let mut hits: Vec<_> = d
            .score
            .fit
            .matched
            .iter()
            .chain(&d.score.engagement.matched)
            .collect();
        hits.sort_by_key(|h| std::cmp::Reverse(h.points.abs()));
        let reasons = hits
            .iter()
            .map(|h| format!("{} {:+}", h.id, h.points))
            .collect();
        Self {
            name,
            company,
            why,
            reasons,
        }
    }
}

/// What a handoff's Slack alerts say about its lead, if it was rendered (handoffs decided
/// before alerts existed have none).
pub(crate) fn alert_text(r: &HandoffRow) -> Option<AlertText> {
    TaskText::stored(r).and_then(|t| t.alert)
}

impl TaskText {
    /// The task text a handoff row carries, if it carries one.
    fn stored(row: &HandoffRow) -> Option<Self> {
        row.task_text
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
    }

    /// The task text a handoff row carries (empty for a row without one).
    fn of(row: &HandoffRow) -> Self {
        Self::stored(row).unwrap_or_default()
    }
}

/// What a decided handoff's task is rendered from besides the decision and the contact.
pub(crate) struct Rendering<'a> {
    pub(crate) rules: &'a Rules,
    /// The lead's source (`pipeline.source_property`), if the contact has one.
    pub(crate) source: Option<&'a str>,
    /// The assigned owner: id (for the zone the due time is written in) and name.
    pub(crate) owner_id: crate::hubspot::client::OwnerId,
    pub(crate) owner_name: Option<&'a str>,
}

/// Renders the task of a handoff `d` decided for `c`, as `task_text` stores it.
pub(crate) fn render(d: &Decision, c: &engine::Contact, with: &Rendering<'_>) -> Option<String> {
    let playbook = &with.rules.playbook.doc;
    let ctx = TaskContext {
        source: with.source,
        offer: c.get("recent_conversion_event_name"),
        due: due_text(d, with),
        owner: with.owner_name,
    };
    let text = engine::followup::tasks::render(&playbook.tasks, d, c, &ctx);
    let sequence = engine::followup::sequences::SequenceContext {
        source: with.source,
        offer: ctx.offer,
        tier: d.score.tier.as_deref(),
    };
    let task = TaskText {
        template: Some(text.template),
        values: engine::followup::template_properties::values(d, c, &ctx),
        subject: text.subject,
        body: text.body,
        priority: text.priority,
        task_type: text.task_type,
        sequence_id: engine::followup::sequences::pick(&playbook.sequences, &sequence)
            .map(str::to_owned),
        lead_name: engine::followup::leads::name(&playbook.leads, d, c, &ctx, c.id),
        alert: Some(AlertText::of(d, c)),
    };
    serde_json::to_string(&task).ok()
}

/// The SLA due time as the owner reads it: in the owner's zone (UTC when the roster has none).
fn due_text(d: &Decision, with: &Rendering<'_>) -> Option<String> {
    let sla = d.sla.as_ref()?;
    let zone = with
        .rules
        .roster
        .owner_by_id(with.owner_id)
        .map(|o| o.tz.clone())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let name = zone.iana_name().unwrap_or("UTC").to_string();
    let at = zone.to_datetime(sla.due_at).strftime("%a %d %b %H:%M");
    Some(format!("{at} {name}"))
}

/// The task of a handoff: its text as rendered at decision time, and the `properties` of its
/// template as the playbook has them now (so a property added after a refusal applies when
/// the dead letter is replayed), rendered with the values kept at decision time.
pub(crate) fn new_task(r: &HandoffRow, templates: &[TaskTemplateDoc]) -> NewTask {
    let text = TaskText::of(r);
    let extra = templates
        .iter()
        .find(|t| Some(&t.id) == text.template.as_ref())
        .map(|t| engine::followup::template_properties::render(&t.properties, &text.values))
        .unwrap_or_default();
    let due = r.sla_due_at_ms.unwrap_or(r.handed_off_at_ms);
    let due = jiff::Timestamp::from_millisecond(due).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let subject = if text.subject.is_empty() {
        format!("Follow up with new lead {}", r.contact_id)
    } else {
        text.subject
    };
    let mut task = NewTask::new(r.contact_id, subject, due);
    task.trace_id = r.trace_id.clone();
    task.owner_id = Some(r.owner_id);
    task.body = Some(format!("{}\n\n[{}]", text.body, marker(&r.trace_id)));
    task.priority = text.priority;
    task.task_type = text.task_type;
    task.extra = extra;
    task
}

/// The template the handoff's task came from (named in a refusal's fix).
pub(crate) fn template_of(r: &HandoffRow) -> Option<String> {
    TaskText::of(r).template
}

/// The task's subject, for the reminders and escalations that point at it.
pub(crate) fn subject_of(r: &HandoffRow) -> String {
    TaskText::stored(r)
        .map(|t| t.subject)
        .unwrap_or_else(|| format!("lead {}", r.contact_id))
}

/// The first-touch sequence chosen at decision time, if any.
pub(crate) fn sequence_of(r: &HandoffRow) -> Option<String> {
    TaskText::of(r).sequence_id
}

/// The HubSpot Lead's name chosen at decision time, when the playbook creates leads.
pub(crate) fn lead_name(r: &HandoffRow) -> Option<String> {
    TaskText::of(r).lead_name
}

/// `properties` rendered with the values kept at decision time (the lead's extra properties).
pub(crate) fn with_values(
    r: &HandoffRow,
    properties: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    engine::followup::template_properties::render(properties, &TaskText::of(r).values)
}

/// The token a handoff's task body carries: letters and digits only, so HubSpot's search
/// (`CONTAINS_TOKEN`) finds it as one word.
pub(crate) fn marker(trace_id: &str) -> String {
    format!("horef{trace_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(task_text: Option<&str>) -> HandoffRow {
        HandoffRow {
            contact_id: handoff_ids::ContactId::new(42).unwrap(),
            task_text: task_text.map(str::to_owned),
            ..HandoffRow::example()
        }
    }

    #[test]
    fn the_stored_text_is_read_back_by_every_step_that_uses_it() {
        let stored = r#"{"subject":"Call Julia","body":"Pricing demo","priority":"HIGH",
            "task_type":"CALL","sequence_id":"4001","lead_name":"Julia — demo",
            "template":"demo-request","values":{"offer":"Pricing demo"}}"#;
        let r = row(Some(stored));
        assert_eq!(subject_of(&r), "Call Julia");
        assert_eq!(sequence_of(&r).as_deref(), Some("4001"));
        assert_eq!(lead_name(&r).as_deref(), Some("Julia — demo"));
        assert_eq!(template_of(&r).as_deref(), Some("demo-request"));
        let props = BTreeMap::from([("reason".to_owned(), "inbound: {offer}".to_owned())]);
        assert_eq!(with_values(&r, &props)["reason"], "inbound: Pricing demo");
        let task = new_task(&r, &[]);
        assert_eq!(task.subject, "Call Julia");
        let body = task.body.unwrap_or_default();
        assert!(body.starts_with("Pricing demo\n\n[horef"), "{body}");
        assert_eq!(task.priority.as_deref(), Some("HIGH"));
    }

    #[test]
    fn a_handoff_without_text_gets_a_subject_naming_the_contact() {
        let r = row(None);
        assert_eq!(subject_of(&r), "lead 42");
        assert_eq!(new_task(&r, &[]).subject, "Follow up with new lead 42");
        assert_eq!(sequence_of(&r), None);
    }
}
