//! The playbook as written in TOML: plain data, `deny_unknown_fields`, no flatten. Structure
//! (ids, points, targets) is declarative; only `when` fields are CEL. `compile.rs` turns this
//! into the checked, compiled [`crate::Playbook`].

pub(crate) mod check;
pub(crate) mod compile;
pub(crate) mod routing;
pub mod toml_doc;
pub(crate) mod validate;
pub(crate) mod validate_routing;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::calendar::hours::WeeklyHoursDoc;
use crate::contact::PropertyType;
pub use crate::playbook::routing::*;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybookDoc {
    /// Free-form name shown in explanations, e.g. "acme-2026-q4".
    pub name: String,
    #[serde(default)]
    pub properties: PropertiesDoc,
    #[serde(default)]
    pub definitions: DefinitionsDoc,
    pub scoring: ScoringDoc,
    #[serde(default)]
    pub readiness: Vec<ReadinessDoc>,
    pub routing: RoutingDoc,
    #[serde(default)]
    pub calendars: BTreeMap<String, CalendarDoc>,
    pub sla: SlaDoc,
    #[serde(default)]
    pub ladder: Vec<LadderStepDoc>,
    #[serde(default)]
    pub dispositions: DispositionsDoc,
    /// Follow-up task templates per offer/source (the "context package").
    #[serde(default)]
    pub tasks: Vec<crate::followup::tasks::TaskTemplateDoc>,
    /// First touch: offer/source/tier → sales sequence (first match wins).
    #[serde(default)]
    pub sequences: Vec<crate::followup::sequences::SequenceRuleDoc>,
    /// HubSpot Lead records per handoff (off unless `enabled`).
    #[serde(default)]
    pub leads: crate::followup::leads::LeadsDoc,
}

/// The properties conditions may read, with their types. A condition naming anything else fails
/// the playbook check (that is how a misspelled property is caught before production).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropertiesDoc {
    #[serde(default)]
    pub contact: BTreeMap<String, PropertyType>,
    #[serde(default)]
    pub company: BTreeMap<String, PropertyType>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefinitionsDoc {
    /// Named string lists, `lists.<name>` in conditions (free-mail domains, competitors, …).
    #[serde(default)]
    pub lists: BTreeMap<String, Vec<String>>,
    /// Named conditions evaluated first, `flags.<id>` in later conditions (e.g. `icp`).
    #[serde(default)]
    pub flags: Vec<NamedConditionDoc>,
    /// Buying roles, first match wins; `role` in conditions.
    #[serde(default)]
    pub buying_roles: Vec<NamedConditionDoc>,
    /// Any match disqualifies the lead: no handoff.
    #[serde(default)]
    pub disqualifiers: Vec<DisqualifierDoc>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedConditionDoc {
    pub id: String,
    pub when: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisqualifierDoc {
    pub id: String,
    pub when: String,
    /// Reason written to the explanation (and to HubSpot by the worker).
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringDoc {
    /// Score at or above which a lead is handed off (if ready and not disqualified).
    pub handoff_threshold: i64,
    /// Maximum total of the fit group (negative points still subtract).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit_cap: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engagement_cap: Option<i64>,
    #[serde(default)]
    pub fit: Vec<ScoreRuleDoc>,
    #[serde(default)]
    pub engagement: Vec<ScoreRuleDoc>,
    /// Engagement decay by age of the rule's `at` property: the first step (largest
    /// `older_than_days` not exceeding the age) gives the percentage kept.
    #[serde(default)]
    pub engagement_decay: Vec<DecayStepDoc>,
    /// Tiers by score, e.g. A ≥ 80, B ≥ 60, C ≥ 40. Order does not matter.
    pub tiers: Vec<TierDoc>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreRuleDoc {
    pub id: String,
    pub when: String,
    pub points: i64,
    /// Datetime property dating this engagement (for decay), e.g. `recent_conversion_date`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecayStepDoc {
    pub older_than_days: u32,
    pub keep_percent: u8,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierDoc {
    pub id: String,
    pub min_score: i64,
}

/// Fields a lead must have before handoff. `tiers` empty means every tier.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadinessDoc {
    pub id: String,
    #[serde(default)]
    pub tiers: Vec<String>,
    /// Contact properties, or `company.<prop>`.
    pub required: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarDoc {
    pub time_zone: String,
    pub hours: WeeklyHoursDoc,
    /// Closed dates, `YYYY-MM-DD`, local to the calendar.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Length of one business day (`1bd`), e.g. "8h". Default 8h.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_day: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaDoc {
    /// Calendar used when a tier names none.
    pub default_calendar: String,
    /// First match wins; a lead matching none gets no SLA (reported).
    pub tiers: Vec<SlaTierDoc>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTierDoc {
    pub id: String,
    /// Score tiers this SLA applies to (empty: any).
    #[serde(default)]
    pub score_tiers: Vec<String>,
    /// Segments this SLA applies to (empty: any).
    #[serde(default)]
    pub segments: Vec<String>,
    /// Business time to first touch: "15m", "4h", "1bd" (business days of the calendar).
    pub first_touch: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LadderAction {
    /// Remind the owner.
    Remind,
    /// Create a task for the team manager.
    Escalate,
    /// Reassign to the next eligible owner (never one who already missed this lead).
    Reassign,
    /// Hand to the global fallback queue owner.
    FallbackQueue,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LadderStepDoc {
    pub action: LadderAction,
    /// When: `"50%"` of the SLA after handoff, or `"due+30m"` business time after the due time.
    pub at: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispositionsDoc {
    /// First match wins.
    #[serde(default)]
    pub map: Vec<DispositionRuleDoc>,
    /// Business time after handoff by which a disposition is expected ("close the loop").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_loop_after: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispositionOutcome {
    Accepted,
    Nurture,
    Disqualified,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispositionRuleDoc {
    /// Contact property, e.g. `hs_lead_status` or `lifecyclestage`.
    pub property: String,
    /// Values (case-insensitive) that map to `outcome`.
    pub values: Vec<String>,
    pub outcome: DispositionOutcome,
    /// Fixed reason, or …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// … the property holding the reason (e.g. `hs_lead_disqualification_reason`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_property: Option<String>,
}
