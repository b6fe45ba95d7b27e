//! The `[routing]` part of the playbook TOML: sticky/account match, territories, segments,
//! pools and ordered rules, and the global fallback queue owner.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingDoc {
    #[serde(default)]
    pub fields: RoutingFieldsDoc,
    /// Keep the contact's current owner when that owner is active (and did not miss this lead).
    #[serde(default)]
    pub sticky: bool,
    /// Else give the lead to the owner of its company (account match).
    #[serde(default)]
    pub account_match: bool,
    #[serde(default)]
    pub territories: BTreeMap<String, TerritoryDoc>,
    /// Segments, first match wins (employees and revenue bands, company before contact).
    #[serde(default)]
    pub segments: Vec<SegmentDoc>,
    #[serde(default)]
    pub pools: BTreeMap<String, PoolDoc>,
    /// Evaluated in order; first match wins.
    #[serde(default)]
    pub rules: Vec<RouteRuleDoc>,
    /// Pool used when no rule matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_pool: Option<String>,
    /// The global fallback queue owner: the end of every fallback chain, assigned whatever its
    /// availability so that a ready lead is never left without an owner.
    pub fallback_owner: String,
}

/// Which HubSpot properties routing reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingFieldsDoc {
    pub country: String,
    pub state: String,
    pub postal_code: String,
    pub employees: String,
    pub revenue: String,
    pub owner: String,
}

impl Default for RoutingFieldsDoc {
    fn default() -> Self {
        RoutingFieldsDoc {
            country: "country".into(),
            state: "state".into(),
            postal_code: "zip".into(),
            employees: "numberofemployees".into(),
            revenue: "annualrevenue".into(),
            owner: "hubspot_owner_id".into(),
        }
    }
}

/// A territory matches when every non-empty list matches (case-insensitive).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerritoryDoc {
    #[serde(default)]
    pub countries: Vec<String>,
    /// States or regions (the `state` field), e.g. "CA", "Bavaria".
    #[serde(default)]
    pub states: Vec<String>,
    #[serde(default)]
    pub postal_prefixes: Vec<String>,
}

/// Bands are `min ≤ value < max`; a missing bound is open.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentDoc {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_employees: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_employees: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_revenue: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_revenue: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolDoc {
    /// Team (roster id) this pool belongs to: its fallback owner and manager are used.
    pub team: String,
    pub members: Vec<PoolMemberDoc>,
    /// Capacity per owner: new handoffs per local day / ISO week.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_day: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_week: Option<u32>,
    /// Skip members outside their working hours (owner's zone).
    #[serde(default = "yes")]
    pub respect_working_hours: bool,
    /// Next pool in the fallback chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_pool: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolMemberDoc {
    /// HubSpot owner id.
    pub owner: String,
    #[serde(default = "one")]
    pub weight: u32,
}

fn one() -> u32 {
    1
}

/// A routing rule: all given criteria must match; the target is a pool or one owner.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteRuleDoc {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub territory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub score_tiers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}
