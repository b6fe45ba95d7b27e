//! `[playbook.leads]`: whether each handoff also creates a HubSpot Lead record (object 0-136,
//! docs/hubspot.md "Lead records (object 0-136)") for the contact, owned by the assigned rep, and
//! its name — a template with the task templates' `{placeholders}`, rendered at decision time — and
//! which lead stages are dispositions. Stage ids are per portal (docs/hubspot.md "Lead stages and
//! pipelines"): the playbook names stages by label or id, and [`stage_outcomes`] resolves them
//! against the stages HubSpot's pipelines API lists.

use handoff_ids::PortalId;
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::decision::Decision;
use crate::followup::tasks::{TaskContext, TaskTemplateDoc};
use crate::playbook::DispositionOutcome;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadsDoc {
    /// Create a Lead per handoff (needs Sales Hub Professional+ and leads set up in HubSpot).
    #[serde(default)]
    pub enabled: bool,
    /// `hs_lead_name` (required by HubSpot), e.g. `"{name} — {source}"`.
    #[serde(default = "default_name")]
    pub name: String,
    /// `hs_lead_type`, e.g. `NEW BUSINESS`; unset leaves HubSpot's default.
    #[serde(default)]
    pub lead_type: Option<String>,
    /// More lead properties: internal name → value, the task placeholders allowed (rendered
    /// when the lead is created; an empty value is not sent), e.g. one the portal requires on
    /// every lead (docs/hubspot.md "Write validation").
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    /// The portals that create leads; empty: every portal using this playbook.
    #[serde(default)]
    pub portals: Vec<i64>,
    /// Which lead stages are dispositions: per outcome, stage labels or ids (case-insensitive);
    /// every stage matching one is that outcome. Stages named nowhere (New, Attempting,
    /// Connected) are not dispositions.
    #[serde(default)]
    pub stages: StageNames,
    /// The lead property holding the disqualification reason (docs/hubspot.md "Lead properties":
    /// seen in portals, not in HubSpot's guide).
    #[serde(default = "default_reason_property")]
    pub reason_property: String,
}

/// `[playbook.leads.stages]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageNames {
    #[serde(default = "default_accepted")]
    pub accepted: Vec<String>,
    #[serde(default)]
    pub nurture: Vec<String>,
    #[serde(default = "default_disqualified")]
    pub disqualified: Vec<String>,
}

// HubSpot's default labels, and the default stages' internal ids seen in many portals
// (docs/hubspot.md "Lead stages and pipelines": labels are renameable; "Unqualified" in some
// portals).
fn default_accepted() -> Vec<String> {
    vec!["Qualified".into(), "qualified-stage-id".into()]
}

fn default_disqualified() -> Vec<String> {
    vec![
        "Disqualified".into(),
        "Unqualified".into(),
        "unqualified-stage-id".into(),
    ]
}

impl Default for StageNames {
    fn default() -> Self {
        Self {
            accepted: default_accepted(),
            nurture: Vec::new(),
            disqualified: default_disqualified(),
        }
    }
}

impl StageNames {
    fn by_outcome(&self) -> [(DispositionOutcome, &[String]); 3] {
        [
            (DispositionOutcome::Accepted, &self.accepted),
            (DispositionOutcome::Nurture, &self.nurture),
            (DispositionOutcome::Disqualified, &self.disqualified),
        ]
    }
}

fn default_reason_property() -> String {
    "hs_lead_disqualification_reason".into()
}

fn default_name() -> String {
    "{name} ({company})".into()
}

impl Default for LeadsDoc {
    fn default() -> Self {
        Self {
            enabled: false,
            name: default_name(),
            lead_type: None,
            properties: BTreeMap::new(),
            portals: Vec::new(),
            stages: StageNames::default(),
            reason_property: default_reason_property(),
        }
    }
}

impl LeadsDoc {
    /// Whether `portal_id` creates leads.
    pub fn on_for(&self, portal_id: PortalId) -> bool {
        let id = portal_id.get();
        self.enabled && (self.portals.is_empty() || self.portals.contains(&id))
    }
}

/// One stage of a portal's lead pipeline, as HubSpot lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    pub id: String,
    pub label: String,
}

/// Resolves the playbook's stage names against a portal's stages: stage id → disposition,
/// plus the outcomes whose names matched no stage (to log: a renamed stage would otherwise go
/// unseen). A name matches a stage's id or label, case-insensitively.
pub fn stage_outcomes(
    doc: &LeadsDoc,
    stages: &[Stage],
) -> (HashMap<String, DispositionOutcome>, Vec<DispositionOutcome>) {
    let mut map = HashMap::new();
    let mut unmatched = Vec::new();
    for (outcome, names) in doc.stages.by_outcome() {
        let keys: Vec<String> = names.iter().map(|n| n.trim().to_lowercase()).collect();
        let hits: Vec<&Stage> = stages
            .iter()
            .filter(|s| {
                keys.contains(&s.id.to_lowercase()) || keys.contains(&s.label.trim().to_lowercase())
            })
            .collect();
        if hits.is_empty() && !names.is_empty() {
            unmatched.push(outcome);
        }
        for s in hits {
            map.entry(s.id.clone()).or_insert(outcome);
        }
    }
    (map, unmatched)
}

/// The stage a lead is moved to for `outcome`: the first of the playbook's names for it that
/// names one of `stages` (by id or label, as [`stage_outcomes`] matches them).
pub fn stage_for<'s>(
    doc: &LeadsDoc,
    stages: &'s [Stage],
    outcome: DispositionOutcome,
) -> Option<&'s Stage> {
    let (_, names) = doc
        .stages
        .by_outcome()
        .into_iter()
        .find(|(o, _)| *o == outcome)?;
    names.iter().find_map(|name| {
        let key = name.trim().to_lowercase();
        stages
            .iter()
            .find(|s| s.id.to_lowercase() == key || s.label.trim().to_lowercase() == key)
    })
}

fn as_template(doc: &LeadsDoc) -> TaskTemplateDoc {
    TaskTemplateDoc {
        id: "lead".into(),
        sources: Vec::new(),
        subject: doc.name.clone(),
        body: String::new(),
        priority: None,
        task_type: None,
        properties: BTreeMap::new(),
    }
}

/// The lead's name for this decision, when leads are on. Blank renders fall back to the
/// contact id, since HubSpot refuses a lead without a name.
pub fn name(
    doc: &LeadsDoc,
    decision: &Decision,
    contact: &crate::Contact,
    ctx: &TaskContext<'_>,
    contact_id: handoff_ids::ContactId,
) -> Option<String> {
    // Which portals create leads is checked when the lead step runs (`on_for`).
    if !doc.enabled {
        return None;
    }
    let text = crate::followup::tasks::render(&[as_template(doc)], decision, contact, ctx);
    let name = text
        .subject
        .trim()
        .trim_matches(['(', ')', '—', '-', ' '])
        .trim();
    Some(if name.is_empty() {
        format!("Lead {contact_id}")
    } else {
        text.subject.trim().to_string()
    })
}

/// Problems of `[playbook.leads]`: an empty name, unknown placeholders, an empty reason
/// property or stage name.
pub fn validate(doc: &LeadsDoc, push: &mut dyn FnMut(String, String)) {
    if doc.reason_property.trim().is_empty() {
        push(
            "playbook.leads.reason_property".into(),
            "must name the lead property holding the disqualification reason".into(),
        );
    }
    if doc
        .stages
        .by_outcome()
        .iter()
        .any(|(_, names)| names.iter().any(|n| n.trim().is_empty()))
    {
        push(
            "playbook.leads.stages".into(),
            "a stage name must not be empty".into(),
        );
    }
    crate::followup::tasks::validate(&[as_template(doc)], &mut |path, m| {
        let path = path.replace("playbook.tasks[0].subject", "playbook.leads.name");
        let m = m.replace("subject must", "name must");
        push(path, m);
    });
    let reserved = [
        ("hs_lead_name", "use `name`"),
        ("hs_lead_type", "use `lead_type`"),
        ("hubspot_owner_id", "the routed owner"),
    ];
    crate::followup::template_properties::validate(
        "playbook.leads",
        &doc.properties,
        &reserved,
        push,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_placeholders_and_empty_names_are_reported_at_the_leads_key() {
        let mut problems = Vec::new();
        let doc = LeadsDoc {
            enabled: true,
            name: "{firstname} {nickname}".into(),
            ..LeadsDoc::default()
        };
        validate(&doc, &mut |p, m| problems.push((p, m)));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, "playbook.leads.name");
        assert!(problems[0].1.contains("nickname"));
        let doc = LeadsDoc {
            name: " ".into(),
            ..LeadsDoc::default()
        };
        let mut problems = Vec::new();
        validate(&doc, &mut |p, m| problems.push((p, m)));
        assert_eq!(problems[0].0, "playbook.leads.name");
    }

    #[test]
    fn lead_properties_are_checked_at_their_key() {
        let doc = LeadsDoc {
            properties: BTreeMap::from([
                ("hs_lead_name".to_owned(), "x".to_owned()),
                (
                    "hs_lead_source_detail".to_owned(),
                    "{offer} {nope}".to_owned(),
                ),
                ("lead_channel".to_owned(), "inbound".to_owned()),
            ]),
            ..LeadsDoc::default()
        };
        let mut problems = Vec::new();
        validate(&doc, &mut |p, m| problems.push((p, m)));
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0].0, "playbook.leads.properties.hs_lead_name");
        assert!(problems[0].1.contains("use `name`"));
        assert_eq!(
            problems[1].0,
            "playbook.leads.properties.hs_lead_source_detail"
        );
        assert!(problems[1].1.contains("`{nope}`"));
    }

    fn stages() -> Vec<Stage> {
        [
            ("new-stage-id", "New"),
            ("qualified-stage-id", "Qualified"),
            ("unqualified-stage-id", "Disqualified"),
            ("1234567", "Nurture later"),
        ]
        .into_iter()
        .map(|(id, label)| Stage {
            id: id.into(),
            label: label.into(),
        })
        .collect()
    }

    #[test]
    fn default_stage_names_map_hubspots_default_stages_only() {
        let (map, unmatched) = stage_outcomes(&LeadsDoc::default(), &stages());
        assert_eq!(map["qualified-stage-id"], DispositionOutcome::Accepted);
        assert_eq!(
            map["unqualified-stage-id"],
            DispositionOutcome::Disqualified
        );
        assert!(!map.contains_key("new-stage-id") && !map.contains_key("1234567"));
        assert!(unmatched.is_empty());
    }

    #[test]
    fn a_relabelled_disqualified_stage_is_still_found_by_its_id() {
        let relabelled = vec![Stage {
            id: "unqualified-stage-id".into(),
            label: "Not a fit".into(),
        }];
        let (map, unmatched) = stage_outcomes(&LeadsDoc::default(), &relabelled);
        assert_eq!(
            map["unqualified-stage-id"],
            DispositionOutcome::Disqualified
        );
        assert_eq!(unmatched, vec![DispositionOutcome::Accepted]);
    }

    #[test]
    fn a_playbook_names_custom_stages_by_label_or_by_id() {
        let doc = LeadsDoc {
            stages: StageNames {
                accepted: vec!["NEW-STAGE-ID".into()],
                nurture: vec!["nurture LATER".into()],
                disqualified: vec!["Disqualified".into()],
            },
            ..LeadsDoc::default()
        };
        let (map, unmatched) = stage_outcomes(&doc, &stages());
        assert_eq!(map["1234567"], DispositionOutcome::Nurture);
        assert_eq!(map["new-stage-id"], DispositionOutcome::Accepted);
        assert!(unmatched.is_empty());
    }

    #[test]
    fn leads_are_on_for_the_listed_portals_only() {
        let doc = LeadsDoc {
            enabled: true,
            portals: vec![7],
            ..LeadsDoc::default()
        };
        let id = |n| PortalId::new(n).unwrap();
        assert!(doc.on_for(id(7)));
        assert!(!doc.on_for(id(8)));
        assert!(!LeadsDoc::default().on_for(id(7)));
    }
}
