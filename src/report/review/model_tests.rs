//! The review's figures on hand-built ledger rows, against values computed by hand.

use super::*;
use crate::engine::{Playbook, Roster};
use crate::report::fixtures::{HOUR, NOW, T0, handoff, ready};
use crate::report::review::metric::{self, Metric, Unit};
use crate::store::ledger::LeadOutcome;

const MINUTE: i64 = 60_000;
const WEEK: i64 = 7 * 24 * HOUR;

/// The shipped playbook and roster (`config/default.toml`).
pub(in crate::report::review) fn rules() -> (Playbook, Roster) {
    let all: toml::Table = toml::from_str(crate::config::DEFAULT_TOML).unwrap();
    let section = |name: &str| toml::to_string(&all[name]).unwrap();
    let playbook =
        Playbook::from_toml_str(&section("playbook")).unwrap_or_else(|p| panic!("{p:?}"));
    let roster = Roster::from_toml_str(&section("roster")).unwrap_or_else(|p| panic!("{p:?}"));
    (playbook, roster)
}

/// Week `i` (0 = the one holding `T0`), seven days from `T0 − 1 h`.
pub(in crate::report::review) fn week(i: i64) -> Week {
    let since_ms = T0 - HOUR + i * WEEK;
    Week {
        label: format!("2025-W{:02}", 30 + i),
        since_ms,
        until_ms: since_ms + WEEK,
    }
}

fn touched(mut h: KpiHandoff, after_ms: i64) -> KpiHandoff {
    h.first_touch_at_ms = Some(h.handed_off_at_ms + after_ms);
    let due = h.sla_due_at_ms.unwrap_or(i64::MAX);
    h.sla_met = Some(i64::from(h.handed_off_at_ms + after_ms <= due));
    h
}

fn disposed(mut h: KpiHandoff, outcome: &str, reason: &str, amount: Option<f64>) -> KpiHandoff {
    h.status = "closed".into();
    h.disposition = Some(outcome.into());
    h.disposition_reason = Some(reason.into());
    h.deal_amount = amount;
    h
}

fn lead(contact_id: i64, outcome: &str) -> LeadOutcome {
    LeadOutcome {
        portal_id: handoff_ids::PortalId::new(62515).unwrap(),
        contact_id: handoff_ids::ContactId::try_from(contact_id).unwrap(),
        outcome: outcome.into(),
        decisions: 1,
        last_decided_at_ms: T0,
    }
}

/// The week before: one lead, handed off, accepted without a deal.
pub(in crate::report::review) fn quiet_week() -> LedgerRows {
    let mut h = handoff(7);
    h.handed_off_at_ms = T0 - 2 * HOUR;
    let h = disposed(touched(h, 5 * MINUTE), "accepted", "fit", None);
    LedgerRows {
        handoffs: vec![h],
        ready: vec![ready(7, Some("101"))],
        leads: vec![lead(7, "handed_off")],
    }
}

/// The reviewed week, all handed off at `T0` with an SLA due at `T0 + 1 h`:
/// 1 accepted (fit, 10,000), touched after 10 min (met); 2 accepted (fit, 30,000), touched
/// after 2 h (missed); 3 disqualified (competitor), touched after 30 min (met); 4 nurture
/// (timing) and 5 disqualified (competitor), untouched past due; 6 open, untouched past due.
/// Ready: those six with an owner and contact 8 without; one more lead not ready.
pub(in crate::report::review) fn busy_week() -> LedgerRows {
    let mut six = handoff(6);
    six.owner_id = "102".parse().unwrap();
    six.escalations = 1;
    LedgerRows {
        handoffs: vec![
            disposed(
                touched(handoff(1), 10 * MINUTE),
                "accepted",
                "fit",
                Some(10_000.0),
            ),
            disposed(
                touched(handoff(2), 2 * HOUR),
                "accepted",
                "fit",
                Some(30_000.0),
            ),
            disposed(
                touched(handoff(3), 30 * MINUTE),
                "disqualified",
                "competitor",
                None,
            ),
            disposed(handoff(4), "nurture", "timing", None),
            disposed(handoff(5), "disqualified", "competitor", None),
            six,
        ],
        ready: (1..=5)
            .map(|c| ready(c, Some("101")))
            .chain([ready(6, Some("102")), ready(8, None)])
            .collect(),
        leads: (1..=6)
            .map(|c| lead(c, "handed_off"))
            .chain([lead(8, "handed_off"), lead(9, "not_ready")])
            .collect(),
    }
}

pub(in crate::report::review) fn build(weeks: Vec<(Week, LedgerRows)>) -> Review {
    build_rows(ReviewRows {
        weeks,
        ..ReviewRows::default()
    })
}

/// The review of `rows` for the demo portal at `NOW`, with the shipped rules.
pub(in crate::report::review) fn build_rows(rows: ReviewRows) -> Review {
    let (playbook, roster) = rules();
    Review::build(
        &rows,
        &Setup {
            portal_id: handoff_ids::PortalId::new(62515).unwrap(),
            time_zone: "UTC",
            now_ms: NOW,
            playbook: &playbook,
            roster: &roster,
            pool_fallbacks: None,
        },
    )
}

#[test]
fn the_reviewed_week_has_the_scoreboard_figures_computed_by_hand() {
    let review = build(vec![(week(-1), quiet_week()), (week(0), busy_week())]);
    let w = review.current().unwrap();
    assert_eq!(w.week.label, "2025-W30");
    assert_eq!((w.leads.total, w.leads.with("handed_off")), (8, 7));
    assert_eq!(w.kpis.handoffs, 6);
    // 2 accepted of 5 with a disposition.
    assert_eq!((w.kpis.acceptance.num, w.kpis.acceptance.den), (2, 5));
    assert_eq!(
        metric::format(Unit::Percent, Metric::Acceptance.value(w)),
        "40.0%"
    );
    // 6 of 7 ready leads have an owner.
    assert_eq!((w.kpis.coverage.num, w.kpis.coverage.den), (6, 7));
    // Touched after 10 min, 30 min, 2 h: p50 is the 2nd (30 min), p90 the 3rd (2 h).
    assert_eq!(w.kpis.first_touch.p50_ms, Some(30 * MINUTE));
    assert_eq!(w.kpis.first_touch.p90_ms, Some(2 * HOUR));
    // Met: 1 and 3; missed: 2 (late), 4, 5, 6 (untouched past due).
    assert_eq!(
        (w.kpis.sla.met, w.kpis.sla.missed, w.kpis.sla.pending),
        (2, 4, 0)
    );
    assert_eq!(w.kpis.escalations, 1);
    // Two deals: 40,000 in all, 20,000 per accepted lead with a deal.
    assert_eq!(w.pipeline.deals, 2);
    assert_eq!(w.pipeline.sum, 40_000.0);
    assert_eq!(w.pipeline.per_accepted, Some(20_000.0));
    assert_eq!(Metric::MarketingPipeline.value(w), Some(40_000.0));
}

#[test]
fn week_over_week_change_compares_with_the_week_before() {
    let review = build(vec![(week(-1), quiet_week()), (week(0), busy_week())]);
    let (now, before) = (review.current().unwrap(), review.previous().unwrap());
    assert_eq!(before.kpis.acceptance.value, Some(1.0));
    let change = |m: Metric| metric::change(m.unit(), m.value(now), m.value(before)).map(|c| c.1);
    assert_eq!(
        change(Metric::Acceptance).as_deref(),
        Some("\u{2212}60.0 pts")
    );
    assert_eq!(change(Metric::Handoffs).as_deref(), Some("+5"));
    // 30 min against 5 min.
    assert_eq!(change(Metric::TouchP50).as_deref(), Some("+25m 00s"));
    // No deal the week before: no change to show, not "+40,000".
    assert_eq!(change(Metric::PipelinePerAccepted), None);
}

#[test]
fn the_reasons_are_a_pareto_of_disqualification_and_nurture() {
    let review = build(vec![(week(0), busy_week())]);
    let reasons: Vec<(&str, &str, u64, String)> = review
        .reasons
        .iter()
        .map(|r| {
            let cumulative = format!("{:.3}", r.cumulative);
            (r.outcome.as_str(), r.reason.as_str(), r.count, cumulative)
        })
        .collect();
    assert_eq!(
        reasons,
        [
            ("disqualified", "competitor", 2, "0.667".to_owned()),
            ("nurture", "timing", 1, "1.000".to_owned()),
        ],
        "accepted reasons are not in it"
    );
}

#[test]
fn the_week_is_split_by_source_tier_team_and_owner() {
    let review = build(vec![(week(0), busy_week())]);
    let by: Vec<&str> = review.segments.iter().map(|s| s.by.as_str()).collect();
    assert_eq!(by, ["source", "tier", "team", "owner"]);
    let owners = &review.segments[3].groups;
    let keys: Vec<(&str, u64)> = owners
        .iter()
        .map(|g| (g.key.as_str(), g.kpis.handoffs))
        .collect();
    // Contact 8 is ready without a handoff: known by the owner its decision named (101).
    assert_eq!(keys, [("101", 5), ("102", 1)]);
    assert_eq!(owners[0].kpis.coverage.den, 6);
}

#[test]
fn no_data_at_all_gives_no_figure_and_no_panic() {
    let review = build(vec![
        (week(-1), LedgerRows::default()),
        (week(0), LedgerRows::default()),
    ]);
    assert!(review.is_empty());
    let w = review.current().unwrap();
    for m in Metric::ALL {
        let text = metric::format(m.unit(), m.value(w));
        assert!(
            !text.contains("NaN") && !text.contains("inf"),
            "{m:?}: {text}"
        );
    }
    assert_eq!(Metric::Acceptance.value(w), None);
    assert_eq!(Metric::TouchP50.value(w), None);
    assert_eq!(Metric::PipelinePerAccepted.value(w), None);
    assert_eq!(Metric::Handoffs.value(w), Some(0.0));
    assert!(review.reasons.is_empty());
    assert_eq!(review.routing.unassigned, 0);
    let none = build(Vec::new());
    assert!(none.current().is_none() && none.previous().is_none() && none.is_empty());
}

#[test]
fn a_single_lead_is_its_own_median_and_p90() {
    let rows = LedgerRows {
        handoffs: vec![touched(handoff(1), 20 * MINUTE)],
        ready: vec![ready(1, Some("101"))],
        leads: vec![lead(1, "handed_off")],
    };
    let review = build(vec![(week(0), rows)]);
    let w = review.current().unwrap();
    assert_eq!(w.kpis.first_touch.p50_ms, Some(20 * MINUTE));
    assert_eq!(w.kpis.first_touch.p90_ms, Some(20 * MINUTE));
    assert_eq!(w.kpis.coverage.value, Some(1.0));
    // Untouched by sales: no disposition yet, so no acceptance rate (not 0%).
    assert_eq!(w.kpis.acceptance.value, None);
    assert_eq!(Metric::Acceptance.detail(w), "no dispositions");
    assert!(review.previous().is_none());
}
