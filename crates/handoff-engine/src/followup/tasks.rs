//! The follow-up task's text — the "context package" a rep reads: why the lead came in, the
//! score and its reasons, the SLA and the next action. `[[playbook.tasks]]` templates are chosen
//! per offer/source (first match; a template without `sources` is the default) and rendered
//! with `{placeholders}`; an unknown placeholder fails `check-config`. A template may set more
//! task properties (`properties = { name = "value or {placeholder}" }`), e.g. one the portal
//! requires on every task (docs/hubspot.md "Write validation"); their values are rendered when
//! the task is created, from the placeholder values kept at decision time
//! (`template_properties.rs`), so a property added after a refusal applies when the dead
//! letter is replayed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::decision::Decision;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskTemplateDoc {
    pub id: String,
    /// Matches when the lead's offer (e.g. `recent_conversion_event_name`) or source contains
    /// any of these, case-insensitively. Empty: the default template.
    #[serde(default)]
    pub sources: Vec<String>,
    pub subject: String,
    #[serde(default)]
    pub body: String,
    /// `LOW`, `MEDIUM` or `HIGH`.
    #[serde(default)]
    pub priority: Option<String>,
    /// `CALL`, `EMAIL` or `TODO`.
    #[serde(default, rename = "type")]
    pub task_type: Option<String>,
    /// More task properties: internal name → value, placeholders allowed. A value rendering
    /// empty is not sent.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

/// Task properties handoff sets itself; a template sets them with `subject`, `body`,
/// `priority` and `type`, never in `properties`.
const SET_BY_HANDOFF: [&str; 7] = [
    "hs_timestamp",
    "hs_task_subject",
    "hs_task_body",
    "hs_task_priority",
    "hs_task_type",
    "hubspot_owner_id",
    "hs_task_status",
];

/// Placeholders a template may use.
pub(crate) const PLACEHOLDERS: [&str; 16] = [
    "name",
    "firstname",
    "lastname",
    "email",
    "phone",
    "jobtitle",
    "company",
    "score",
    "fit",
    "engagement",
    "tier",
    "reasons",
    "source",
    "offer",
    "due",
    "owner",
];

/// The text of one task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskText {
    pub template: String,
    pub subject: String,
    pub body: String,
    pub priority: Option<String>,
    pub task_type: Option<String>,
}

/// What a template is rendered with besides the decision.
#[derive(Clone, Debug, Default)]
pub struct TaskContext<'a> {
    pub source: Option<&'a str>,
    pub offer: Option<&'a str>,
    /// The SLA due time, already formatted for the owner.
    pub due: Option<String>,
    pub owner: Option<&'a str>,
}

const BUILT_IN: &str = "Follow up: {name} ({company}), score {score} tier {tier}";

/// Chooses the template for the lead and renders it. Without templates, a built-in one.
pub fn render(
    templates: &[TaskTemplateDoc],
    decision: &Decision,
    contact: &crate::Contact,
    ctx: &TaskContext<'_>,
) -> TaskText {
    let hay: Vec<String> = [ctx.offer, ctx.source]
        .into_iter()
        .flatten()
        .map(str::to_lowercase)
        .collect();
    let chosen = templates
        .iter()
        .find(|t| {
            !t.sources.is_empty()
                && t.sources.iter().any(|s| {
                    let s = s.to_lowercase();
                    hay.iter().any(|h| h.contains(&s))
                })
        })
        .or_else(|| templates.iter().find(|t| t.sources.is_empty()));
    let value = |name: &str| placeholder(name, decision, contact, ctx);
    match chosen {
        Some(t) => TaskText {
            template: t.id.clone(),
            subject: fill(&t.subject, &value),
            body: fill(&t.body, &value),
            priority: t.priority.clone(),
            task_type: t.task_type.clone(),
        },
        None => TaskText {
            template: "built-in".into(),
            subject: fill(BUILT_IN, &value),
            body: fill(
                "Why: {reasons}\nSource: {source} / {offer}\nDue: {due}",
                &value,
            ),
            priority: None,
            task_type: None,
        },
    }
}

pub(super) fn placeholder(
    name: &str,
    d: &Decision,
    c: &crate::Contact,
    ctx: &TaskContext<'_>,
) -> String {
    let prop = |p: &str| c.get(p).unwrap_or("").to_string();
    match name {
        "name" => {
            let full = format!("{} {}", prop("firstname"), prop("lastname"));
            let full = full.trim();
            if full.is_empty() {
                prop("email")
            } else {
                full.to_string()
            }
        }
        "firstname" | "lastname" | "email" | "phone" | "jobtitle" => prop(name),
        "company" => c
            .company_get("name")
            .or_else(|| c.get("company"))
            .unwrap_or("")
            .to_string(),
        "score" => d.score.total.to_string(),
        "fit" => d.score.fit.points.to_string(),
        "engagement" => d.score.engagement.points.to_string(),
        "tier" => d.score.tier.clone().unwrap_or_else(|| "-".into()),
        "reasons" => d
            .score
            .fit
            .matched
            .iter()
            .chain(&d.score.engagement.matched)
            .map(|h| format!("{} {:+}", h.id, h.points))
            .collect::<Vec<_>>()
            .join(", "),
        "source" => ctx.source.unwrap_or("").to_string(),
        "offer" => ctx.offer.unwrap_or("").to_string(),
        "due" => ctx.due.clone().unwrap_or_default(),
        "owner" => ctx.owner.unwrap_or("").to_string(),
        _ => String::new(),
    }
}

/// Replaces `{name}` with its value; other text is kept as written.
pub(super) fn fill(template: &str, value: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if PLACEHOLDERS.contains(&&after[..end]) => {
                out.push_str(&value(&after[..end]));
                rest = &after[end + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Problems of the templates: duplicate ids, unknown placeholders, bad priority or type.
pub fn validate(templates: &[TaskTemplateDoc], push: &mut dyn FnMut(String, String)) {
    let mut seen = std::collections::BTreeSet::new();
    for (i, t) in templates.iter().enumerate() {
        let at = format!("playbook.tasks[{i}]");
        if !seen.insert(t.id.as_str()) {
            push(format!("{at}.id"), format!("duplicate id `{}`", t.id));
        }
        if t.subject.trim().is_empty() {
            push(format!("{at}.subject"), "subject must not be empty".into());
        }
        for (field, text) in [("subject", &t.subject), ("body", &t.body)] {
            for name in placeholders_in(text) {
                if !PLACEHOLDERS.contains(&name) {
                    push(
                        format!("{at}.{field}"),
                        format!(
                            "unknown placeholder `{{{name}}}`; known: {}",
                            PLACEHOLDERS.join(", ")
                        ),
                    );
                }
            }
        }
        if let Some(p) = &t.priority
            && !["LOW", "MEDIUM", "HIGH"].contains(&p.as_str())
        {
            push(
                format!("{at}.priority"),
                format!("`{p}` is not LOW, MEDIUM or HIGH"),
            );
        }
        if let Some(p) = &t.task_type
            && !["CALL", "EMAIL", "TODO"].contains(&p.as_str())
        {
            push(
                format!("{at}.type"),
                format!("`{p}` is not CALL, EMAIL or TODO"),
            );
        }
        let instead = |name: &str| match name {
            "hs_task_subject" => "use `subject`",
            "hs_task_body" => "use `body`",
            "hs_task_priority" => "use `priority`",
            "hs_task_type" => "use `type`",
            "hubspot_owner_id" => "the routed owner",
            "hs_task_status" => "always NOT_STARTED",
            _ => "the SLA due time",
        };
        let reserved: Vec<(&str, &str)> = SET_BY_HANDOFF.iter().map(|n| (*n, instead(n))).collect();
        crate::followup::template_properties::validate(&at, &t.properties, &reserved, push);
    }
}

/// `{word}` names in a text (letters, digits, `_`), for validation.
pub(super) fn placeholders_in(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end)
                if end > 0
                    && after[..end]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                out.push(&after[..end]);
                rest = &after[end + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(id: &str, sources: &[&str], subject: &str) -> TaskTemplateDoc {
        TaskTemplateDoc {
            id: id.into(),
            sources: sources.iter().map(|s| s.to_string()).collect(),
            subject: subject.into(),
            body: String::new(),
            priority: None,
            task_type: None,
            properties: BTreeMap::new(),
        }
    }

    #[test]
    fn fills_known_placeholders_and_keeps_other_braces() {
        let out = fill("Hi {name}, {score} {json: 1} {", &|n| format!("<{n}>"));
        assert_eq!(out, "Hi <name>, <score> {json: 1} {");
    }

    #[test]
    fn unknown_placeholders_and_bad_values_are_reported_with_their_key_path() {
        let mut t = template("demo", &["demo"], "Call {nmae}");
        t.priority = Some("URGENT".into());
        let mut problems = Vec::new();
        validate(&[t.clone(), t], &mut |p, m| problems.push((p, m)));
        let paths: Vec<&str> = problems.iter().map(|(p, _)| p.as_str()).collect();
        assert!(paths.contains(&"playbook.tasks[0].subject"), "{problems:?}");
        assert!(paths.contains(&"playbook.tasks[0].priority"));
        assert!(paths.contains(&"playbook.tasks[1].id"));
        assert!(problems[0].1.contains("`{nmae}`"));
    }

    #[test]
    fn the_first_template_whose_source_matches_wins_else_the_default() {
        let templates = vec![
            template("default", &[], "Default {name}"),
            template("demo", &["Demo"], "Demo for {name}"),
        ];
        let contact = crate::Contact::from_json(
            r#"{"id":"1","properties":{"firstname":"Ada","lastname":"L"}}"#,
        )
        .unwrap();
        let decision = Decision {
            contact_id: handoff_ids::ContactId::new(1).unwrap(),
            decided_at: jiff::Timestamp::UNIX_EPOCH,
            playbook: "p".into(),
            playbook_hash: "h".into(),
            outcome: crate::Outcome::HandOff,
            flags: vec![],
            buying_role: None,
            disqualified_by: vec![],
            score: Default::default(),
            readiness: Default::default(),
            routing: None,
            sla: None,
            disposition: None,
            warnings: vec![],
        };
        let demo = TaskContext {
            offer: Some("Website demo request"),
            ..TaskContext::default()
        };
        let out = render(&templates, &decision, &contact, &demo);
        assert_eq!(
            (out.template.as_str(), out.subject.as_str()),
            ("demo", "Demo for Ada L")
        );
        let other = render(&templates, &decision, &contact, &TaskContext::default());
        assert_eq!(other.subject, "Default Ada L");
    }
}
