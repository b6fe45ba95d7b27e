//! Whether an owner can take a lead now, and if not, why: not in the roster, given by email and
//! not resolved to a HubSpot owner id, inactive, paused (config), away (HubSpot),
//! already missed this lead's SLA, out of office (local dates), outside working hours (owner's
//! zone), at capacity. Out of office and working hours say whether they came from the config or
//! from HubSpot's user record.

use handoff_ids::OwnerId;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use super::state::{RoutingState, week_of};
use crate::roster::{RosterOwner, Source};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Exclusion {
    NotInRoster,
    /// Given by email alone and HubSpot has not resolved its owner id: nothing to assign.
    Unresolved,
    Inactive,
    /// Paused in the roster (config).
    Paused,
    /// `hs_availability_status` is `away` in HubSpot.
    Away,
    MissedSla,
    OutOfOffice {
        until: Date,
        #[serde(skip_serializing_if = "Source::is_config")]
        source: Source,
    },
    OutsideWorkingHours {
        #[serde(skip_serializing_if = "Source::is_config")]
        source: Source,
    },
    AtCapacity {
        period: &'static str,
        count: u32,
        limit: u32,
    },
}

/// What to check besides the always-checked inactive/paused/missed/out-of-office.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Checks {
    pub working_hours: bool,
    pub max_per_day: Option<u32>,
    pub max_per_week: Option<u32>,
}

pub(crate) fn exclusion(
    owner: Option<&RosterOwner>,
    now: Timestamp,
    missed: &[OwnerId],
    checks: Checks,
    state: &RoutingState,
) -> Option<Exclusion> {
    let Some(o) = owner else {
        return Some(Exclusion::NotInRoster);
    };
    let Some(id) = o.id else {
        return Some(Exclusion::Unresolved);
    };
    if !o.owner.active {
        return Some(Exclusion::Inactive);
    }
    if o.owner.paused {
        return Some(Exclusion::Paused);
    }
    if missed.contains(&id) {
        return Some(Exclusion::MissedSla);
    }
    let local = o.tz.to_datetime(now);
    if let Some(r) = o
        .owner
        .out_of_office
        .iter()
        .find(|r| r.from <= local.date() && local.date() <= r.to)
    {
        return Some(Exclusion::OutOfOffice {
            until: r.to,
            source: source(o.owner.from_hubspot.out_of_office),
        });
    }
    // After out of office: HubSpot sets a rep away when an out-of-office period starts
    // (docs/hubspot.md "What away means"), and "out of office until …" says more than "away".
    if o.owner.from_hubspot.away {
        return Some(Exclusion::Away);
    }
    if checks.working_hours
        && let Some(h) = &o.hours
        && !h.contains(local.date().weekday(), local.time())
    {
        return Some(Exclusion::OutsideWorkingHours {
            source: source(o.owner.from_hubspot.working_hours),
        });
    }
    at_capacity(id, local.date(), checks, state)
}

/// The day's or the week's cap on handoffs the owner has reached, if any.
fn at_capacity(
    owner: OwnerId,
    local_date: Date,
    checks: Checks,
    state: &RoutingState,
) -> Option<Exclusion> {
    let (day, week) = week_of(local_date);
    let (d, w) = state.load_in(owner, day, week);
    if let Some(limit) = checks.max_per_day.filter(|l| d >= *l) {
        return Some(Exclusion::AtCapacity {
            period: "day",
            count: d,
            limit,
        });
    }
    checks
        .max_per_week
        .filter(|l| w >= *l)
        .map(|limit| Exclusion::AtCapacity {
            period: "week",
            count: w,
            limit,
        })
}

fn source(from_hubspot: bool) -> Source {
    if from_hubspot {
        Source::Hubspot
    } else {
        Source::Config
    }
}
