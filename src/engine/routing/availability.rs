//! Whether an owner can take a lead now, and if not, why: inactive, paused, already missed this
//! lead's SLA, out of office (local dates), outside working hours (owner's zone), at capacity.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use super::state::{RoutingState, week_of};
use crate::engine::owners::RosterOwner;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Exclusion {
    NotInRoster,
    Inactive,
    Paused,
    MissedSla,
    OutOfOffice {
        until: Date,
    },
    OutsideWorkingHours,
    AtCapacity {
        period: &'static str,
        count: u32,
        limit: u32,
    },
}

/// What to check besides the always-checked inactive/paused/missed/out-of-office.
#[derive(Clone, Copy, Debug, Default)]
pub struct Checks {
    pub working_hours: bool,
    pub max_per_day: Option<u32>,
    pub max_per_week: Option<u32>,
}

pub fn exclusion(
    owner: Option<&RosterOwner>,
    now: Timestamp,
    missed: &[String],
    checks: Checks,
    state: &RoutingState,
) -> Option<Exclusion> {
    let Some(o) = owner else {
        return Some(Exclusion::NotInRoster);
    };
    if !o.owner.active {
        return Some(Exclusion::Inactive);
    }
    if o.owner.paused {
        return Some(Exclusion::Paused);
    }
    if missed.iter().any(|m| m == &o.owner.id) {
        return Some(Exclusion::MissedSla);
    }
    let local = o.tz.to_datetime(now);
    if let Some(r) = o
        .owner
        .out_of_office
        .iter()
        .find(|r| r.from <= local.date() && local.date() <= r.to)
    {
        return Some(Exclusion::OutOfOffice { until: r.to });
    }
    if checks.working_hours
        && let Some(h) = &o.hours
        && !h.contains(local.date().weekday(), local.time())
    {
        return Some(Exclusion::OutsideWorkingHours);
    }
    let (day, week) = week_of(local.date());
    let (d, w) = state.load_in(&o.owner.id, day, week);
    if let Some(limit) = checks.max_per_day.filter(|l| d >= *l) {
        return Some(Exclusion::AtCapacity {
            period: "day",
            count: d,
            limit,
        });
    }
    if let Some(limit) = checks.max_per_week.filter(|l| w >= *l) {
        return Some(Exclusion::AtCapacity {
            period: "week",
            count: w,
            limit,
        });
    }
    None
}
