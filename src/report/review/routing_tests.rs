//! Routing health on hand-built rows: pool picks against the example playbook's weights, SLA
//! misses per rep, unassigned leads and loops not closed.

use std::collections::BTreeMap;

use super::*;
use crate::report::board::{GroupBy, LedgerRows};
use crate::report::review::model::tests::{build, busy_week, rules, week};
use crate::report::review::{ReviewRows, Setup};
use crate::store::ledger::{LoopOverdue, PoolPick, Reassigned};

fn pick(pool: &str, owner: &str, n: i64) -> PoolPick {
    PoolPick {
        pool: pool.into(),
        owner_id: owner.parse().unwrap(),
        decisions: n,
    }
}

fn routing(rows: ReviewRows, fallbacks: Option<&BTreeMap<String, u64>>) -> Routing {
    let (playbook, roster) = rules();
    let setup = Setup {
        portal_id: handoff_ids::PortalId::new(62515).unwrap(),
        time_zone: "UTC",
        now_ms: crate::report::fixtures::NOW,
        playbook: &playbook,
        roster: &roster,
        pool_fallbacks: fallbacks,
    };
    crate::report::review::Review::build(&rows, &setup).routing
}

#[test]
fn each_pool_shows_its_picks_against_the_share_its_weights_give() {
    // dach-ae weighs 101 at 2 and 102 at 1: 2/3 and 1/3 expected; 30 picks split 24/6.
    let rows = ReviewRows {
        weeks: vec![(week(0), LedgerRows::default())],
        picks: vec![
            pick("dach-ae", "101", 24),
            pick("dach-ae", "102", 6),
            pick("us-sdr", "999", 2),
            pick("old-pool", "101", 3),
        ],
        ..ReviewRows::default()
    };
    let r = routing(rows, None);
    let names: Vec<&str> = r.pools.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["dach-ae", "dach-sdr", "inbound-sdr", "uk-sdr", "us-sdr"]
    );
    let ae = &r.pools[0];
    assert_eq!(
        (ae.team.as_str(), ae.picks, ae.fallbacks),
        ("dach", 30, None)
    );
    let shares: Vec<(&str, Option<u32>, String, u64, String)> = ae
        .members
        .iter()
        .map(|m| {
            let pct = |v: Option<f64>| v.map_or("n/a".into(), |v| format!("{:.3}", v));
            (
                m.owner_id.as_str(),
                m.weight,
                pct(m.expected),
                m.picks,
                pct(m.share),
            )
        })
        .collect();
    assert_eq!(
        shares,
        [
            ("101", Some(2), "0.667".into(), 24, "0.800".into()),
            ("102", Some(1), "0.333".into(), 6, "0.200".into()),
        ]
    );
    // A pool that picked nobody has no shares, not 0/0.
    assert_eq!(r.pools[1].picks, 0);
    assert!(r.pools[1].members.iter().all(|m| m.share.is_none()));
    // An owner picked by a pool it is no longer a member of is listed apart, without weight.
    let us = &r.pools[4];
    assert_eq!(
        us.members.last().map(|m| (m.owner_id.as_str(), m.weight)),
        Some(("999", None))
    );
    assert_eq!(r.retired_pools, [("old-pool".to_owned(), 3)]);
}

#[test]
fn fallbacks_per_pool_show_only_when_the_ledger_records_them() {
    let rows = || ReviewRows {
        weeks: vec![(week(0), LedgerRows::default())],
        ..ReviewRows::default()
    };
    assert!(
        routing(rows(), None)
            .pools
            .iter()
            .all(|p| p.fallbacks.is_none())
    );
    let recorded = BTreeMap::from([("uk-sdr".to_owned(), 4)]);
    let r = routing(rows(), Some(&recorded));
    let uk = r.pools.iter().find(|p| p.name == "uk-sdr").unwrap();
    assert_eq!(uk.fallbacks, Some(4));
    assert!(
        r.pools
            .iter()
            .filter(|p| p.name != "uk-sdr")
            .all(|p| p.fallbacks == Some(0))
    );
}

#[test]
fn sla_misses_count_what_a_rep_holds_and_what_it_lost() {
    let rows = ReviewRows {
        weeks: vec![(week(0), busy_week())],
        reassigned: vec![
            Reassigned {
                owner_id: "102".parse().unwrap(),
                missed_by: r#"["101"]"#.into(),
                reassignments: 1,
            },
            Reassigned {
                owner_id: "104".parse().unwrap(),
                missed_by: r#"["101","103"]"#.into(),
                reassignments: 2,
            },
            Reassigned {
                owner_id: "104".parse().unwrap(),
                missed_by: "not json".into(),
                reassignments: 1,
            },
        ],
        overdue: vec![LoopOverdue {
            owner_id: "101".parse().unwrap(),
            handoffs: 2,
            oldest_due_ms: 5,
        }],
        ..ReviewRows::default()
    };
    let r = routing(rows, None);
    let misses: Vec<(&str, u64, u64)> = r
        .misses
        .iter()
        .map(|m| (m.owner_id.as_str(), m.missed, m.lost))
        .collect();
    // busy_week: 101 holds 2, 4 and 5 missed; 102 holds 6 missed.
    assert_eq!(misses, [("101", 3, 2), ("102", 1, 0), ("103", 0, 1)]);
    assert_eq!((r.ready, r.unassigned), (7, 1));
    assert_eq!(r.overdue.len(), 1);
    assert_eq!(r.close_loop_after.as_deref(), Some("3bd"));
}

#[test]
fn the_owner_groups_feed_the_misses() {
    let review = build(vec![(week(0), busy_week())]);
    let owners = review
        .segments
        .iter()
        .find(|s| s.by == GroupBy::Owner)
        .unwrap();
    let held: u64 = owners.groups.iter().map(|g| g.kpis.sla.missed).sum();
    let counted: u64 = review.routing.misses.iter().map(|m| m.missed).sum();
    assert_eq!(held, counted);
}
