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
    /// Who is alerted in Slack at this step, when Slack alerts are on: `"owner"`, `"manager"`
    /// or `"channel:#name"` ([`LadderAlert::parse`]); none when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
}

impl LadderStepDoc {
    /// The step's Slack alert; `None` when unset or (refused by the playbook check) unreadable.
    pub fn slack_alert(&self) -> Option<LadderAlert> {
        self.alert
            .as_deref()
            .and_then(|a| LadderAlert::parse(a).ok())
    }
}

/// Who a ladder step alerts in Slack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LadderAlert {
    /// A re-ping in the owner's alert thread.
    Owner,
    /// A direct message to the owner's team manager.
    Manager,
    /// A post in a channel: `#name`, or a channel id (`C…`, `G…`).
    Channel(String),
}

impl LadderAlert {
    /// Reads `"owner"`, `"manager"` or `"channel:<#name or id>"`; the error says what is allowed.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "owner" => Ok(Self::Owner),
            "manager" => Ok(Self::Manager),
            _ => match text.strip_prefix("channel:") {
                Some(channel) => {
                    check_slack_channel(channel).map(|()| Self::Channel(channel.into()))
                }
                None => Err(format!(
                    "{text:?} is not one of \"owner\", \"manager\" or \"channel:#name\""
                )),
            },
        }
    }
}

/// A Slack channel as `chat.postMessage` takes it: `#name` (lower-case letters, digits, `-`
/// and `_`, at most 80 characters) or a channel id (`C…` public, `G…` private; upper-case
/// letters and digits). The error never repeats a long value.
pub fn check_slack_channel(channel: &str) -> Result<(), String> {
    if let Some(name) = channel.strip_prefix('#') {
        let ok = (1..=80).contains(&name.chars().count())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        return if ok {
            Ok(())
        } else {
            Err("a channel name is # and 1 to 80 lower-case letters, digits, - or _".into())
        };
    }
    let id = (2..=32).contains(&channel.len())
        && channel.starts_with(['C', 'G'])
        && channel
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if id {
        Ok(())
    } else {
        Err("a channel is #name or a channel id (C… or G…, upper-case letters and digits)".into())
    }
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
    /// The reasons a rep may give with **Not a fit** in a Slack alert, in the order shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<DispositionReasonDoc>,
}

/// One **Not a fit** reason: `value` is what is recorded (and written to the disqualifying
/// rule's `reason_property` in HubSpot), `label` what the rep reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispositionReasonDoc {
    pub value: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
}

/// The most reasons a Slack select offers, and the longest value it carries (Block Kit's
/// limits on a `static_select`'s options).
pub const MAX_DISPOSITION_REASONS: usize = 100;
pub const MAX_REASON_VALUE: usize = 75;

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

#[cfg(test)]
mod ladder_alert_tests {
    use super::*;

    #[test]
    fn a_ladder_alert_is_the_owner_the_manager_or_a_channel() {
        assert_eq!(LadderAlert::parse("owner"), Ok(LadderAlert::Owner));
        assert_eq!(LadderAlert::parse("manager"), Ok(LadderAlert::Manager));
        assert_eq!(
            LadderAlert::parse("channel:#sales-escalations"),
            Ok(LadderAlert::Channel("#sales-escalations".into()))
        );
        assert_eq!(
            LadderAlert::parse("channel:C0123ABCDEF"),
            Ok(LadderAlert::Channel("C0123ABCDEF".into()))
        );
        for bad in [
            "",
            "Owner",
            "team",
            "channel:",
            "channel:#",
            "channel:sales",
            "channel:#Sales",
            "channel:#a b",
            "channel:D0123ABCDEF",
            "channel:U0123ABCDEF",
        ] {
            assert!(LadderAlert::parse(bad).is_err(), "{bad}");
        }
        assert!(LadderAlert::parse(&format!("channel:#{}", "a".repeat(81))).is_err());
    }
}
