use super::*;
use crate::report::fixtures::{HOUR, NOW, handoff, ready};

fn touched(mut h: KpiHandoff, after_ms: i64) -> KpiHandoff {
    h.first_touch_at_ms = Some(h.handed_off_at_ms + after_ms);
    let due = h.sla_due_at_ms.unwrap_or(i64::MAX);
    h.sla_met = Some(i64::from(h.handed_off_at_ms + after_ms <= due));
    h
}

fn disposed(
    mut h: KpiHandoff,
    outcome: &str,
    reason: Option<&str>,
    amount: Option<f64>,
) -> KpiHandoff {
    h.status = "closed".into();
    h.disposition = Some(outcome.into());
    h.disposition_reason = reason.map(str::to_owned);
    h.deal_amount = amount;
    h
}

fn kpis(handoffs: &[KpiHandoff], leads: &[ReadyLead]) -> Kpis {
    let h: Vec<&KpiHandoff> = handoffs.iter().collect();
    let r: Vec<&ReadyLead> = leads.iter().collect();
    Kpis::compute(&h, &r, NOW)
}

#[test]
fn nothing_in_the_period_gives_zero_counts_and_no_rate_at_all() {
    let k = kpis(&[], &[]);
    assert_eq!((k.handoffs, k.open, k.closed, k.merged), (0, 0, 0, 0));
    for ratio in [k.acceptance, k.coverage, k.sla.compliance] {
        assert_eq!(ratio, Ratio::new(0, 0));
        assert_eq!(ratio.value, None, "n/a, not a division by zero");
    }
    assert_eq!(
        k.first_touch,
        FirstTouch {
            touched: 0,
            p50_ms: None,
            p90_ms: None
        }
    );
    assert_eq!((k.escalations, k.reassignments), (0, 0));
    assert!(k.dispositions.is_empty() && k.pipeline.is_empty());
}

#[test]
fn acceptance_is_accepted_over_handoffs_with_a_disposition() {
    let k = kpis(
        &[
            disposed(handoff(1), "accepted", Some("fit"), None),
            disposed(handoff(2), "accepted", None, None),
            disposed(handoff(3), "nurture", Some("timing"), None),
            disposed(handoff(4), "disqualified", Some("competitor"), None),
            handoff(5),
        ],
        &[],
    );
    assert_eq!(k.acceptance, Ratio::new(2, 4));
    assert_eq!(k.acceptance.value, Some(0.5));
    assert_eq!((k.handoffs, k.open, k.closed), (5, 1, 4));
}

#[test]
fn coverage_is_ready_leads_with_an_owner_over_ready_leads() {
    let k = kpis(
        &[],
        &[
            ready(1, Some("101")),
            ready(2, Some("102")),
            ready(3, None),
            // An empty owner can not be stored any more (the row would fail to load).
            ready(4, None),
        ],
    );
    assert_eq!(k.coverage, Ratio::new(2, 4));
}

#[test]
fn first_touch_percentiles_use_touched_handoffs_only() {
    let minutes = [5, 1, 9, 3, 7, 2, 10, 4, 8, 6];
    let mut rows: Vec<KpiHandoff> = minutes
        .iter()
        .enumerate()
        .map(|(i, m)| touched(handoff(i as i64 + 1), m * 60_000))
        .collect();
    rows.push(handoff(99));
    let k = kpis(&rows, &[]);
    assert_eq!(k.first_touch.touched, 10);
    assert_eq!(k.first_touch.p50_ms, Some(5 * 60_000));
    assert_eq!(k.first_touch.p90_ms, Some(9 * 60_000));
}

#[test]
fn percentiles_take_the_nearest_rank() {
    assert_eq!(percentile(&[], 0.5), None);
    assert_eq!(percentile(&[7], 0.5), Some(7));
    assert_eq!(percentile(&[7], 0.9), Some(7));
    assert_eq!(percentile(&[1, 2], 0.5), Some(1));
    assert_eq!(percentile(&[1, 2], 0.9), Some(2));
    assert_eq!(percentile(&[1, 2, 3, 4], 0.5), Some(2));
    let hundred: Vec<i64> = (1..=100).collect();
    assert_eq!(percentile(&hundred, 0.5), Some(50));
    assert_eq!(percentile(&hundred, 0.9), Some(90));
    assert_eq!(percentile(&hundred, 1.0), Some(100));
}

#[test]
fn sla_counts_untouched_past_due_as_missed_and_leaves_not_yet_due_aside() {
    let mut not_due = handoff(4);
    not_due.sla_due_at_ms = Some(NOW + HOUR);
    let mut no_sla = touched(handoff(5), 3 * HOUR);
    no_sla.sla_due_at_ms = None;
    let k = kpis(
        &[
            touched(handoff(1), HOUR / 2),
            touched(handoff(2), 2 * HOUR),
            handoff(3),
            not_due,
            no_sla,
        ],
        &[],
    );
    assert_eq!((k.sla.met, k.sla.missed, k.sla.pending), (1, 2, 1));
    assert_eq!(k.sla.compliance, Ratio::new(1, 3));
}

#[test]
fn escalations_and_reassignments_add_up() {
    let mut a = handoff(1);
    a.escalations = 2;
    a.reassignments = 1;
    let mut b = handoff(2);
    b.escalations = 1;
    let k = kpis(&[a, b], &[]);
    assert_eq!((k.escalations, k.reassignments), (3, 1));
}

#[test]
fn the_disposition_mix_counts_outcomes_in_funnel_order_and_their_reasons() {
    let k = kpis(
        &[
            disposed(handoff(1), "disqualified", Some("competitor"), None),
            disposed(handoff(2), "accepted", Some("fit"), None),
            disposed(handoff(3), "accepted", Some("fit"), None),
            disposed(handoff(4), "accepted", None, None),
            disposed(handoff(5), "nurture", Some("timing"), None),
        ],
        &[],
    );
    let mix: Vec<(&str, u64)> = k
        .dispositions
        .iter()
        .map(|d| (d.disposition.as_str(), d.count))
        .collect();
    assert_eq!(mix, [("accepted", 3), ("nurture", 1), ("disqualified", 1)]);
    let reasons: Vec<(&str, u64)> = k.dispositions[0]
        .reasons
        .iter()
        .map(|(r, n)| (r.as_str(), *n))
        .collect();
    assert_eq!(reasons, [("(none)", 1), ("fit", 2)]);
}

#[test]
fn pipeline_is_shown_only_for_sources_with_accepted_deal_amounts() {
    let mut events = disposed(handoff(3), "accepted", None, Some(5_000.0));
    events.source = Some("event".into());
    let mut no_deal = disposed(handoff(4), "accepted", None, None);
    no_deal.source = Some("ads".into());
    let mut nurtured = disposed(handoff(5), "nurture", None, Some(9_999.0));
    nurtured.source = Some("ads".into());
    let k = kpis(
        &[
            disposed(handoff(1), "accepted", None, Some(10_000.0)),
            disposed(handoff(2), "accepted", None, Some(20_000.0)),
            events,
            no_deal,
            nurtured,
        ],
        &[],
    );
    let pipeline: Vec<(&str, u64, f64, f64)> = k
        .pipeline
        .iter()
        .map(|p| (p.source.as_str(), p.deals, p.sum, p.mean))
        .collect();
    assert_eq!(
        pipeline,
        [
            ("event", 1, 5_000.0, 5_000.0),
            ("webinar", 2, 30_000.0, 15_000.0)
        ]
    );
}

#[test]
fn merged_handoffs_are_counted_apart_and_left_out_of_every_kpi() {
    let mut merged = touched(disposed(handoff(2), "accepted", None, Some(1.0)), 5 * HOUR);
    merged.status = "merged".into();
    merged.escalations = 4;
    let k = kpis(&[handoff(1), merged], &[]);
    assert_eq!((k.handoffs, k.open, k.merged), (1, 1, 1));
    assert_eq!(k.acceptance.den, 0);
    assert_eq!(k.first_touch.touched, 0);
    assert_eq!(k.escalations, 0);
    assert!(k.pipeline.is_empty());
}

#[test]
fn handoffs_nobody_touched_have_no_first_touch_time_at_all() {
    // Three handoffs, none touched (one disqualified without a recorded touch): the percentile
    // is over zero waits, so it is n/a — never 0s.
    let k = kpis(
        &[
            handoff(1),
            handoff(2),
            disposed(handoff(3), "disqualified", Some("no budget"), None),
        ],
        &[
            ready(1, Some("101")),
            ready(2, Some("101")),
            ready(3, Some("101")),
        ],
    );
    assert_eq!(k.handoffs, 3);
    assert_eq!(
        k.first_touch,
        FirstTouch {
            touched: 0,
            p50_ms: None,
            p90_ms: None
        }
    );
    // Untouched and past due: missed, so compliance is 0 of 3 (not n/a).
    assert_eq!(k.sla.compliance, Ratio::new(0, 3));
}

fn accepted_after(contact_id: i64, after_ms: Option<i64>, via: Option<&str>) -> KpiHandoff {
    let mut h = disposed(handoff(contact_id), "accepted", None, None);
    h.disposition_at_ms = after_ms.map(|ms| h.handed_off_at_ms + ms);
    h.disposition_via = via.map(str::to_owned);
    h
}

#[test]
fn time_to_accept_is_the_nearest_rank_of_disposition_minus_handoff_over_accepted_handoffs() {
    let minute = 60_000;
    // Accepted after 1..=10 minutes, listed out of order.
    let mut handoffs: Vec<KpiHandoff> = [7, 3, 10, 1, 5, 9, 2, 8, 4, 6]
        .iter()
        .map(|&m| accepted_after(m, Some(m * minute), None))
        .collect();
    // Not accepted, merged, or accepted without a time: none of them is a wait to accept.
    let mut nurtured = disposed(handoff(11), "nurture", None, None);
    nurtured.disposition_at_ms = Some(nurtured.handed_off_at_ms);
    let mut merged = accepted_after(12, Some(0), None);
    merged.status = "merged".into();
    handoffs.extend([nurtured, merged, accepted_after(13, None, None)]);
    let t = kpis(&handoffs, &[]).time_to_accept;
    assert_eq!(
        t,
        TimeToAccept {
            accepted: 10,
            p50_ms: Some(5 * minute),
            p90_ms: Some(9 * minute),
        }
    );
    // A disposition recorded before the handoff's time (clock skew) is no wait, not a negative one.
    let early = kpis(&[accepted_after(1, Some(-minute), None)], &[]);
    assert_eq!(early.time_to_accept.p50_ms, Some(0));
    assert_eq!(kpis(&[], &[]).time_to_accept.p90_ms, None);
}

#[test]
fn acceptance_by_channel_counts_accepted_handoffs_and_an_unset_channel_as_hubspot() {
    let mut nurtured_in_slack = disposed(handoff(5), "nurture", None, None);
    nurtured_in_slack.disposition_via = Some("slack".into());
    let k = kpis(
        &[
            accepted_after(1, Some(HOUR), Some("slack")),
            accepted_after(2, Some(HOUR), Some("slack")),
            accepted_after(3, Some(HOUR), Some("hubspot")),
            accepted_after(4, Some(HOUR), None),
            nurtured_in_slack,
        ],
        &[],
    );
    let via = k.accepted_via.unwrap();
    assert_eq!((via.slack.num, via.slack.den), (2, 4));
    assert_eq!((via.hubspot.num, via.hubspot.den), (2, 4));
    assert_eq!(via.slack.value, Some(0.5));
    assert!(k.accepted_in_slack());
    let mut none_in_slack = kpis(&[accepted_after(1, Some(HOUR), None)], &[]);
    assert!(!none_in_slack.accepted_in_slack());
    none_in_slack.forget_slack();
    assert_eq!(none_in_slack.accepted_via, None);
}
