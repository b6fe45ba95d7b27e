//! Rep availability from HubSpot's CRM users (docs/hubspot.md "Rep availability from CRM users")
//! mapped onto the roster the engine already reads: the same `paused`-style exclusion inputs
//! (`from_hubspot.away`), `out_of_office` and `working_hours`/`time_zone` the config fills, so
//! routing has one mechanism and decisions name the source.
//!
//! Join (docs/hubspot.md "Joining a CRM user to an owner"): roster owner id → HubSpot owner → its
//! `userId` equals the CRM user's `hs_internal_user_id`; the owner's email equal to `hs_email` is
//! the fallback.
//!
//! Config wins where set: `paused = true` stays "paused in config"; an owner with
//! `out_of_office` in the file keeps the file's ranges; an owner with `working_hours` in the file
//! keeps the file's hours and zone; `hubspot_availability = false` ignores HubSpot for that owner
//! entirely. A status that is missing, empty or unknown counts as available (peers treat "no
//! data" as available, docs/hubspot.md "Empty and malformed availability"; a value we cannot read
//! must not drain a pool) and is logged when the users are refreshed.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::Run;
use crate::engine::Roster;
use crate::engine::calendar::hours::WeeklyHoursDoc;
use crate::engine::roster::DateRange;
use crate::hubspot::client::user_availability::{Status, UserAvailability, WorkingRange};
use crate::hubspot::client::{CrmUser, Owner as HubspotOwner, PortalId};

/// Applies the portal's cached CRM users to `roster` when the portal reads availability from
/// HubSpot (`availability.from_hubspot`); without users (first refresh failed) the roster stays
/// as written and that is logged.
pub(crate) async fn apply_live(
    run: &Run<'_>,
    roster: &mut Roster,
    owners: &[HubspotOwner],
    portal_id: PortalId,
) {
    match run.crm.crm_users(portal_id).await {
        Ok(None) => {}
        Ok(Some(users)) => {
            let changed = apply(roster, owners, &users, run.clock.now());
            tracing::debug!(
                portal_id = portal_id.get(),
                changed,
                "hubspot availability applied to the roster"
            );
        }
        Err(err) => {
            tracing::warn!(portal_id = portal_id.get(), error.code = err.code(), error = %err, "hubspot availability unknown; routing on the roster as written");
        }
    }
}

/// Applies HubSpot's availability at `now` to every roster owner that joins to a CRM user.
/// Returns how many owners it changed (for the debug log).
pub(crate) fn apply(
    roster: &mut Roster,
    owners: &[HubspotOwner],
    users: &[CrmUser],
    now: Timestamp,
) -> usize {
    let by_owner: HashMap<String, &HubspotOwner> =
        owners.iter().map(|o| (o.id.to_string(), o)).collect();
    let mut changed = Vec::new();
    for ro in roster.owners() {
        let o = &ro.owner;
        if !o.hubspot_availability || !o.active {
            continue;
        }
        let Some(user) = by_owner.get(&o.id).and_then(|h| user_of(h, users)) else {
            continue;
        };
        let a = user.availability();
        let mut next = o.clone();
        next.from_hubspot.away = a.status == Status::Away;
        if o.working_hours.is_none()
            && let Some(doc) = a.working_hours.as_deref().and_then(hours_doc)
        {
            next.working_hours = Some(doc);
            next.from_hubspot.working_hours = true;
            if let Some(z) = a.time_zone.as_deref().filter(|z| TimeZone::get(z).is_ok()) {
                next.time_zone = z.to_owned();
            }
        }
        if o.out_of_office.is_empty() {
            let tz = TimeZone::get(&next.time_zone).unwrap_or_else(|_| ro.tz.clone());
            next.out_of_office = current_out_of_office(&a, &tz, now);
            next.from_hubspot.out_of_office = !next.out_of_office.is_empty();
        }
        if next != *o {
            changed.push(next);
        }
    }
    let n = changed.len();
    for owner in changed {
        roster.upsert(owner);
    }
    n
}

/// The CRM user of a HubSpot owner: by user id, else by email ("Joining a CRM user to an owner").
fn user_of<'a>(owner: &HubspotOwner, users: &'a [CrmUser]) -> Option<&'a CrmUser> {
    if let Some(uid) = owner.user_id
        && let Some(u) = users.iter().find(|u| u.internal_user_id() == Some(uid))
    {
        return Some(u);
    }
    let email = owner.email.as_deref()?;
    users
        .iter()
        .find(|u| u.email().is_some_and(|e| e.eq_ignore_ascii_case(email)))
}

/// The out-of-office ranges running at `now`, as the engine's inclusive local dates (today
/// through the day the range ends). Ranges that have not started yet are left out: the roster
/// is rebuilt for every batch, so they apply once they start, and a range starting this
/// afternoon must not take the rep out this morning.
fn current_out_of_office(a: &UserAvailability, tz: &TimeZone, now: Timestamp) -> Vec<DateRange> {
    a.out_of_office
        .iter()
        .filter(|(from, to)| *from <= now && now < *to)
        .map(|(_, to)| {
            let last = to
                .checked_sub(jiff::SignedDuration::from_millis(1))
                .unwrap_or(*to);
            DateRange {
                from: tz.to_datetime(now).date(),
                to: tz.to_datetime(last).date(),
            }
        })
        .collect()
}

/// HubSpot's `{days, startMinute, endMinute}` list as the roster's weekly hours; `None` when
/// the result does not parse (overlapping ranges), which leaves the owner's hours unset.
fn hours_doc(ranges: &[WorkingRange]) -> Option<WeeklyHoursDoc> {
    let mut doc = WeeklyHoursDoc::default();
    for r in ranges {
        let text = format!("{}-{}", hhmm(r.start_minute), hhmm(r.end_minute));
        for day in &r.days {
            day_of(&mut doc, *day).push(text.clone());
        }
    }
    doc.parse().ok().map(|_| doc)
}

fn hhmm(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn day_of(doc: &mut WeeklyHoursDoc, day: jiff::civil::Weekday) -> &mut Vec<String> {
    use jiff::civil::Weekday::*;
    match day {
        Monday => &mut doc.mon,
        Tuesday => &mut doc.tue,
        Wednesday => &mut doc.wed,
        Thursday => &mut doc.thu,
        Friday => &mut doc.fri,
        Saturday => &mut doc.sat,
        Sunday => &mut doc.sun,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::roster::RosterDoc;
    use crate::engine::roster::{FromHubspot, Owner};
    use serde_json::json;

    fn owner(id: u64, user_id: Option<u64>, email: &str) -> HubspotOwner {
        serde_json::from_value(
            json!({"id": id.to_string(), "email": email, "userId": user_id, "type": "PERSON"}),
        )
        .unwrap()
    }

    fn user(internal: &str, email: &str, props: serde_json::Value) -> CrmUser {
        let mut p = json!({"hs_internal_user_id": internal, "hs_email": email});
        for (k, v) in props.as_object().unwrap() {
            p[k] = v.clone();
        }
        serde_json::from_value(json!({"id": format!("77{internal}"), "properties": p})).unwrap()
    }

    fn roster(owners: Vec<Owner>) -> Roster {
        Roster::new(RosterDoc {
            owners,
            teams: Vec::new(),
        })
        .unwrap()
    }

    fn now() -> Timestamp {
        "2026-11-24T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn an_away_user_marks_the_joined_owner_away_and_others_stay_as_written() {
        let mut r = roster(vec![
            Owner::simple("100", "Europe/Berlin"),
            Owner::simple("101", "Europe/Berlin"),
        ]);
        let owners = [
            owner(100, Some(9100), "a@x.de"),
            owner(101, Some(9101), "b@x.de"),
        ];
        let users = [
            user("9100", "a@x.de", json!({"hs_availability_status": "away"})),
            user(
                "9101",
                "b@x.de",
                json!({"hs_availability_status": "available"}),
            ),
        ];
        assert_eq!(apply(&mut r, &owners, &users, now()), 1);
        assert!(r.owner("100").unwrap().owner.from_hubspot.away);
        assert_eq!(
            r.owner("101").unwrap().owner.from_hubspot,
            FromHubspot::default()
        );
    }

    #[test]
    fn the_join_falls_back_to_email_when_the_owner_has_no_user_id() {
        let mut r = roster(vec![Owner::simple("100", "UTC")]);
        let owners = [owner(100, None, "Rep@Example.com")];
        let users = [user(
            "1",
            "rep@example.com",
            json!({"hs_availability_status": "away"}),
        )];
        apply(&mut r, &owners, &users, now());
        assert!(r.owner("100").unwrap().owner.from_hubspot.away);
    }

    #[test]
    fn unknown_or_missing_status_counts_as_available() {
        let mut r = roster(vec![
            Owner::simple("100", "UTC"),
            Owner::simple("101", "UTC"),
        ]);
        let owners = [owner(100, Some(1), "a@x"), owner(101, Some(2), "b@x")];
        let users = [
            user("1", "a@x", json!({"hs_availability_status": "on_a_boat"})),
            user("2", "b@x", json!({})),
        ];
        assert_eq!(apply(&mut r, &owners, &users, now()), 0);
    }

    #[test]
    fn config_overrides_win_where_set() {
        let mut paused = Owner::simple("100", "Europe/Berlin");
        paused.paused = true;
        let mut opted_out = Owner::simple("101", "Europe/Berlin");
        opted_out.hubspot_availability = false;
        let mut own_hours = Owner::simple("102", "Europe/Berlin");
        own_hours.working_hours = Some(WeeklyHoursDoc {
            mon: vec!["08:00-12:00".into()],
            ..WeeklyHoursDoc::default()
        });
        own_hours.out_of_office = vec![DateRange {
            from: jiff::civil::date(2026, 12, 24),
            to: jiff::civil::date(2026, 12, 31),
        }];
        let mut r = roster(vec![paused, opted_out, own_hours.clone()]);
        let owners = [
            owner(100, Some(1), "a@x"),
            owner(101, Some(2), "b@x"),
            owner(102, Some(3), "c@x"),
        ];
        let busy = json!({
            "hs_availability_status": "away",
            "hs_standard_time_zone": "America/New_York",
            "hs_working_hours": r#"[{"days":"EVERY_DAY","startMinute":0,"endMinute":1440}]"#,
            "hs_out_of_office_hours": r#"[{"startTimestamp":1795000000000,"endTimestamp":1796000000000}]"#,
        });
        let users = [
            user("1", "a@x", busy.clone()),
            user("2", "b@x", busy.clone()),
            user("3", "c@x", busy),
        ];
        apply(&mut r, &owners, &users, now());
        assert!(r.owner("100").unwrap().owner.paused, "paused stays paused");
        assert_eq!(
            r.owner("101").unwrap().owner.from_hubspot,
            FromHubspot::default(),
            "hubspot_availability = false ignores HubSpot"
        );
        let o = &r.owner("102").unwrap().owner;
        assert_eq!(o.working_hours, own_hours.working_hours);
        assert_eq!(o.time_zone, "Europe/Berlin");
        assert_eq!(o.out_of_office, own_hours.out_of_office);
        assert!(o.from_hubspot.away, "the status still applies");
        assert!(!o.from_hubspot.working_hours && !o.from_hubspot.out_of_office);
    }

    #[test]
    fn hubspot_hours_zone_and_running_out_of_office_fill_what_the_file_leaves_out() {
        let mut r = roster(vec![Owner::simple("100", "UTC")]);
        let owners = [owner(100, Some(1), "a@x")];
        let users = [user(
            "1",
            "a@x",
            json!({
                "hs_standard_time_zone": "America/New_York",
                "hs_working_hours": r#"[{"days":"MONDAY_TO_FRIDAY","startMinute":540,"endMinute":1020},{"days":"SATURDAY","startMinute":600,"endMinute":1440}]"#,
                // Running now (2026-11-24 10:00Z) until 2026-12-01 05:00Z (midnight in New York);
                // the second one has not started.
                "hs_out_of_office_hours": r#"[{"startTimestamp":1795000000000,"endTimestamp":1796101200000},{"startTimestamp":1797000000000,"endTimestamp":1797100000000}]"#,
            }),
        )];
        apply(&mut r, &owners, &users, now());
        let ro = r.owner("100").unwrap();
        assert_eq!(ro.owner.time_zone, "America/New_York");
        let doc = ro.owner.working_hours.as_ref().unwrap();
        assert_eq!(doc.mon, ["09:00-17:00"]);
        assert_eq!(doc.sat, ["10:00-24:00"]);
        assert!(doc.sun.is_empty());
        assert!(ro.hours.is_some(), "the roster parsed the hours");
        assert_eq!(
            ro.owner.out_of_office,
            [DateRange {
                from: jiff::civil::date(2026, 11, 24),
                to: jiff::civil::date(2026, 11, 30),
            }]
        );
        assert_eq!(
            ro.owner.from_hubspot,
            FromHubspot {
                away: false,
                out_of_office: true,
                working_hours: true
            }
        );
    }

    #[test]
    fn overlapping_hubspot_hours_leave_the_owner_without_hours() {
        let ranges = [
            WorkingRange {
                days: vec![jiff::civil::Weekday::Monday],
                start_minute: 540,
                end_minute: 1020,
            },
            WorkingRange {
                days: vec![jiff::civil::Weekday::Monday],
                start_minute: 600,
                end_minute: 700,
            },
        ];
        assert_eq!(hours_doc(&ranges), None);
    }
}
