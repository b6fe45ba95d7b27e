//! Routing state, an explicit input and output of `decide` that the worker persists: the
//! round-robin credits per pool (keyed by owner id, so pool edits keep them) and each owner's
//! handoff counts for the current local day and ISO week (capacity caps), keyed by owner id.

use std::collections::BTreeMap;

use handoff_ids::OwnerId;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Deserializer, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingState {
    #[serde(default)]
    pub pools: BTreeMap<String, PoolState>,
    #[serde(default, deserialize_with = "owner_loads")]
    pub load: BTreeMap<OwnerId, OwnerLoad>,
}

/// The loads as stored, less any keyed by something that is not an owner id (a state saved
/// before owner ids were typed could hold an email): that owner's count starts afresh, the
/// rest of the state — round-robin credits included — is kept.
fn owner_loads<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<OwnerId, OwnerLoad>, D::Error> {
    let stored = BTreeMap::<String, OwnerLoad>::deserialize(d)?;
    Ok(stored
        .into_iter()
        .filter_map(|(k, v)| Some((k.parse().ok()?, v)))
        .collect())
}

/// Smooth weighted round-robin credits: members gain their weight each pick, the chosen one
/// pays the total. Only current, eligible members move, so a rep who was away or just joined
/// neither caught up with a flood nor restarted the rotation for the others.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolState {
    #[serde(default)]
    pub credits: BTreeMap<String, i64>,
    /// Handoffs made from this pool, all time.
    #[serde(default)]
    pub picks: u64,
}

/// One owner's handoffs in the local day and ISO week of the last one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerLoad {
    pub day: Date,
    pub day_count: u32,
    /// The Monday that starts the ISO week.
    pub week: Date,
    pub week_count: u32,
}

/// The owner's local day of `now` and the Monday starting its ISO week.
pub(crate) fn period(tz: &TimeZone, now: Timestamp) -> (Date, Date) {
    week_of(tz.to_datetime(now).date())
}

pub(crate) fn week_of(day: Date) -> (Date, Date) {
    let back = i64::from(day.weekday().to_monday_zero_offset());
    let monday = day.checked_sub(jiff::Span::new().days(back)).unwrap_or(day);
    (day, monday)
}

impl RoutingState {
    /// Handoffs to `owner` in the given day and week.
    pub(crate) fn load_in(&self, owner: OwnerId, day: Date, week: Date) -> (u32, u32) {
        match self.load.get(&owner) {
            Some(l) => (
                if l.day == day { l.day_count } else { 0 },
                if l.week == week { l.week_count } else { 0 },
            ),
            None => (0, 0),
        }
    }

    pub(crate) fn record(&mut self, owner: OwnerId, tz: &TimeZone, now: Timestamp) {
        let (day, week) = period(tz, now);
        let (d, w) = self.load_in(owner, day, week);
        self.load.insert(
            owner,
            OwnerLoad {
                day,
                day_count: d.saturating_add(1),
                week,
                week_count: w.saturating_add(1),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_load_keyed_by_an_email_is_dropped_and_the_rest_of_the_state_kept() {
        let text = r#"{"pools":{"p":{"credits":{"101":-2,"a@x.de":2},"picks":9}},
            "load":{"101":{"day":"2026-12-07","day_count":3,"week":"2026-12-07","week_count":4},
                    "a@x.de":{"day":"2026-12-07","day_count":1,"week":"2026-12-07","week_count":1}}}"#;
        let state: RoutingState = serde_json::from_str(text).unwrap();
        assert_eq!(state.pools["p"].picks, 9);
        let owners: Vec<i64> = state.load.keys().map(|k| k.get()).collect();
        assert_eq!(owners, [101]);
        let back = serde_json::to_value(&state).unwrap();
        assert_eq!(
            back["load"]["101"]["day_count"], 3,
            "keys stay strings: {back}"
        );
    }
}
