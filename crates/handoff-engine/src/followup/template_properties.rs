//! The `properties` tables of `[[playbook.tasks]]` templates and `[playbook.leads]`: extra
//! record properties (e.g. one the portal requires, docs/hubspot.md "Write validation"),
//! rendered when the task or lead is created from the placeholder values kept with the
//! handoff at decision time, and checked with the rest of the playbook.

use std::collections::BTreeMap;

use crate::decision::Decision;
use crate::followup::tasks::{PLACEHOLDERS, TaskContext, fill, placeholder, placeholders_in};

/// Every placeholder's value for this decision, kept with the handoff so that template
/// properties can be rendered when the task (or lead) is created.
pub fn values(
    decision: &Decision,
    contact: &crate::Contact,
    ctx: &TaskContext<'_>,
) -> BTreeMap<String, String> {
    PLACEHOLDERS
        .iter()
        .map(|name| {
            let v = placeholder(name, decision, contact, ctx);
            ((*name).to_owned(), v)
        })
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// A template's `properties` rendered with `values`; values that render empty are left out.
pub fn render(
    properties: &BTreeMap<String, String>,
    values: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let value = |name: &str| values.get(name).cloned().unwrap_or_default();
    properties
        .iter()
        .map(|(k, v)| (k.clone(), fill(v, &value).trim().to_owned()))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// Problems of a `properties` table at `at`: bad names, names in `reserved` (each with the
/// key that sets it instead), unknown placeholders.
pub(crate) fn validate(
    at: &str,
    properties: &BTreeMap<String, String>,
    reserved: &[(&str, &str)],
    push: &mut dyn FnMut(String, String),
) {
    for (name, value) in properties {
        let path = format!("{at}.properties.{name}");
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            push(
                path.clone(),
                "a HubSpot property's internal name: letters, digits and `_`, starting with a letter".into(),
            );
        }
        if let Some((_, instead)) = reserved.iter().find(|(r, _)| r == name) {
            push(path.clone(), format!("set by handoff; {instead}"));
        }
        for p in placeholders_in(value) {
            if !PLACEHOLDERS.contains(&p) {
                push(
                    path.clone(),
                    format!(
                        "unknown placeholder `{{{p}}}`; known: {}",
                        PLACEHOLDERS.join(", ")
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_properties_render_from_the_kept_values_and_bad_ones_are_named() {
        let values = BTreeMap::from([("offer".to_owned(), "Pricing demo".to_owned())]);
        let props = BTreeMap::from([
            ("hs_task_reason".to_owned(), "Inbound: {offer}".to_owned()),
            ("lead_channel".to_owned(), "inbound".to_owned()),
            ("empty_one".to_owned(), "{phone}".to_owned()),
        ]);
        let out = render(&props, &values);
        assert_eq!(out["hs_task_reason"], "Inbound: Pricing demo");
        assert_eq!(out["lead_channel"], "inbound");
        assert!(!out.contains_key("empty_one"), "an empty value is not sent");

        let mut t = crate::followup::tasks::TaskTemplateDoc {
            id: "demo".into(),
            sources: Vec::new(),
            subject: "Call".into(),
            body: String::new(),
            priority: None,
            task_type: None,
            properties: BTreeMap::new(),
        };
        t.properties = BTreeMap::from([
            ("hs_task_subject".to_owned(), "x".to_owned()),
            ("bad name".to_owned(), "x".to_owned()),
            ("ok_one".to_owned(), "{nickname}".to_owned()),
        ]);
        let mut problems = Vec::new();
        crate::followup::tasks::validate(&[t], &mut |p, m| problems.push((p, m)));
        let at = |p: &str| {
            problems
                .iter()
                .find(|(k, _)| k == p)
                .map(|(_, m)| m.clone())
        };
        assert!(
            at("playbook.tasks[0].properties.hs_task_subject")
                .unwrap()
                .contains("use `subject`")
        );
        assert!(
            at("playbook.tasks[0].properties.bad name")
                .unwrap()
                .contains("internal name")
        );
        assert!(
            at("playbook.tasks[0].properties.ok_one")
                .unwrap()
                .contains("`{nickname}`")
        );
        assert_eq!(problems.len(), 3, "{problems:?}");
    }
}
