//! The contact properties handoff writes at handoff (`[pipeline.write_back]`), as HubSpot
//! property definitions: what `handoff portal setup` creates and what `handoff doctor` expects
//! (docs/hubspot.md "Properties and groups").
//!
//! | role | created as (`type`/`fieldType`) | compatible when it exists as |
//! |---|---|---|
//! | `owner` | never created: HubSpot's own `hubspot_owner_id` | any type (it only has to exist) |
//! | `score` | `number`/`number` | `number` |
//! | `tier` | `enumeration`/`select`, one option per playbook tier | `enumeration` with an option for every tier, or `string` |
//! | `handed_off_at`, `sla_due_at` | `datetime`/`date` | `datetime` |
//!
//! Why: the score is written as an integer; the tier as the tier's id, and a select lets sales
//! filter by tier, but HubSpot refuses an enumeration value that is not one of its options, so
//! an enumeration must list every tier (a plain string takes any); the times are written as
//! epoch milliseconds, which a `datetime` holds and a `date` (a day, no time) does not.

use serde::Serialize;

use crate::engine::Playbook;
use crate::hubspot::client::{NewProperty, PropertyDef, PropertyOption};
use crate::worker::settings::WriteBack;

/// The group the write-back properties are created in.
pub const GROUP: &str = "handoff";
/// Its label in HubSpot.
pub const GROUP_LABEL: &str = "handoff";

/// One write-back property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WriteBackProperty {
    /// The `[pipeline.write_back]` key: `owner`, `score`, `tier`, `handed_off_at`, `sla_due_at`.
    pub role: &'static str,
    /// The configured internal name.
    pub name: String,
    /// HubSpot's own property: checked, never created.
    pub hubspot_owned: bool,
    /// How setup creates it (`None` for HubSpot's own).
    #[serde(skip)]
    pub create: Option<NewProperty>,
    /// Tier ids an enumeration must offer (the tier property only).
    pub tiers: Vec<String>,
}

/// What a property handoff creates is: label, type, field type, description.
type Spec = (&'static str, &'static str, &'static str, &'static str);

const SCORE: Spec = (
    "Handoff score",
    "number",
    "number",
    "Fit plus engagement score when handoff handed the lead to sales.",
);
const TIER: Spec = (
    "Handoff tier",
    "enumeration",
    "select",
    "The lead's score tier when handoff handed it to sales.",
);
const HANDED_OFF_AT: Spec = (
    "Handed off at",
    "datetime",
    "date",
    "When handoff assigned the lead to its owner.",
);
const SLA_DUE_AT: Spec = (
    "Handoff SLA due at",
    "datetime",
    "date",
    "When the owner's first touch is due.",
);

fn create(name: &str, (label, kind, field, description): Spec) -> NewProperty {
    NewProperty {
        name: name.to_owned(),
        label: label.to_owned(),
        kind: kind.to_owned(),
        field_type: field.to_owned(),
        group_name: GROUP.to_owned(),
        description: description.to_owned(),
        options: Vec::new(),
    }
}

/// The configured write-back properties, in key order; `""` (skipped) ones are left out.
pub fn properties(wb: &WriteBack, playbook: &Playbook) -> Vec<WriteBackProperty> {
    let tiers: Vec<String> = playbook
        .doc
        .scoring
        .tiers
        .iter()
        .map(|t| t.id.clone())
        .collect();
    let mut tier = create(&wb.tier, TIER);
    tier.options = tiers
        .iter()
        .enumerate()
        .map(|(i, id)| PropertyOption {
            label: id.clone(),
            value: id.clone(),
            display_order: i32::try_from(i).unwrap_or(i32::MAX),
            hidden: false,
        })
        .collect();
    let rows = [
        ("owner", &wb.owner, None),
        ("score", &wb.score, Some(create(&wb.score, SCORE))),
        ("tier", &wb.tier, Some(tier)),
        (
            "handed_off_at",
            &wb.handed_off_at,
            Some(create(&wb.handed_off_at, HANDED_OFF_AT)),
        ),
        (
            "sla_due_at",
            &wb.sla_due_at,
            Some(create(&wb.sla_due_at, SLA_DUE_AT)),
        ),
    ];
    rows.into_iter()
        .filter(|(_, name, _)| !name.trim().is_empty())
        .map(|(role, name, create)| WriteBackProperty {
            role,
            name: name.clone(),
            hubspot_owned: create.is_none(),
            tiers: if role == "tier" {
                tiers.clone()
            } else {
                Vec::new()
            },
            create,
        })
        .collect()
}

impl WriteBackProperty {
    /// `Ok` when `existing` can take what handoff writes; else why not.
    pub fn compatible(&self, existing: &PropertyDef) -> Result<(), String> {
        let kind = existing.kind.as_str();
        let is = format!("is {}/{}", existing.kind, existing.field_type);
        match self.role {
            "owner" => Ok(()),
            "score" if kind == "number" => Ok(()),
            "score" => Err(format!("{is}; the score is a number")),
            "tier" if kind == "string" => Ok(()),
            "tier" if kind == "enumeration" => {
                let missing: Vec<&str> = self
                    .tiers
                    .iter()
                    .filter(|t| !existing.options.iter().any(|o| &o.value == *t))
                    .map(String::as_str)
                    .collect();
                if missing.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "{is} without an option for tier {}; HubSpot refuses a value that is not an option",
                        missing.join(", ")
                    ))
                }
            }
            "tier" => Err(format!("{is}; the tier is a text value")),
            _ if kind == "datetime" => Ok(()),
            _ => Err(format!("{is}; handoff writes a date and time")),
        }
    }

    /// `type/fieldType` as created, e.g. `number/number`.
    pub fn shape(&self) -> String {
        match &self.create {
            Some(c) => format!("{}/{}", c.kind, c.field_type),
            None => "HubSpot's own".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(kind: &str, field: &str, options: &[&str]) -> PropertyDef {
        let json = serde_json::json!({
            "name": "p", "type": kind, "fieldType": field,
            "options": options.iter().map(|v| serde_json::json!({"label": v, "value": v})).collect::<Vec<_>>(),
        });
        serde_json::from_value(json).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn example() -> Vec<WriteBackProperty> {
        let pb = crate::config::example_playbook();
        let wb = WriteBack {
            owner: "hubspot_owner_id".into(),
            score: "handoff_score".into(),
            tier: "handoff_tier".into(),
            handed_off_at: "handoff_handed_off_at".into(),
            sla_due_at: String::new(),
        };
        properties(&wb, &pb)
    }

    #[test]
    fn the_owner_is_never_created_and_a_skipped_key_is_left_out() {
        let props = example();
        let roles: Vec<&str> = props.iter().map(|p| p.role).collect();
        assert_eq!(roles, ["owner", "score", "tier", "handed_off_at"]);
        assert!(props[0].hubspot_owned && props[0].create.is_none());
        let tier = props[2].create.as_ref().unwrap_or_else(|| unreachable!());
        let values: Vec<&str> = tier.options.iter().map(|o| o.value.as_str()).collect();
        assert_eq!(values, ["A", "B", "C"], "one option per playbook tier");
        assert_eq!(props[3].shape(), "datetime/date");
    }

    #[test]
    fn compatibility_follows_what_handoff_writes() {
        let props = example();
        let (score, tier, at) = (&props[1], &props[2], &props[3]);
        assert!(score.compatible(&def("number", "number", &[])).is_ok());
        assert!(score.compatible(&def("string", "text", &[])).is_err());
        assert!(tier.compatible(&def("string", "textarea", &[])).is_ok());
        assert!(
            tier.compatible(&def("enumeration", "radio", &["A", "B", "C", "D"]))
                .is_ok()
        );
        let short = tier
            .compatible(&def("enumeration", "select", &["A", "B"]))
            .unwrap_err();
        assert!(short.contains("tier C"), "{short}");
        assert!(at.compatible(&def("datetime", "date", &[])).is_ok());
        assert!(at.compatible(&def("date", "date", &[])).is_err());
        assert!(
            props[0]
                .compatible(&def("enumeration", "select", &[]))
                .is_ok()
        );
    }
}
