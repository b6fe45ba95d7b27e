//! Unit tests of the client's metrics (`metrics.rs`): cooldown counting, gauges, label values.

use super::*;

fn at(s: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + s).unwrap()
}

fn value(family: &Family<HubspotReasonLabel, Counter>, reason: &'static str) -> u64 {
    family.get_or_create(&HubspotReasonLabel { reason }).get()
}

fn blocked(m: &HubspotMetrics, state: &'static str) -> i64 {
    m.portals_blocked.get_or_create(&StateLabel { state }).get()
}

#[test]
fn every_transient_reason_and_429_policy_has_a_series_from_the_start() {
    use crate::client::RateLimitPolicy;
    use crate::client::error::TransientReason;
    let reasons = [
        TransientReason::Timeout,
        TransientReason::Connect,
        TransientReason::Server,
        TransientReason::Locked,
        TransientReason::Migration,
        TransientReason::Other,
    ];
    for reason in reasons.map(TransientReason::as_str) {
        assert!(RETRY_REASONS.contains(&reason), "{reason}");
    }
    for policy in [
        RateLimitPolicy::TenSecondly,
        RateLimitPolicy::Daily,
        RateLimitPolicy::Search,
    ] {
        assert!(POLICIES.contains(&policy.as_str()));
    }
    let mut r = Registry::default();
    let registered = HubspotMetrics::new(&mut r);
    registered.retry("server");
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &r).unwrap();
    assert!(
        text.contains("hubspot_retries_total{reason=\"server\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("hubspot_retries_total{reason=\"timeout\"} 0"),
        "{text}"
    );
}

#[test]
fn record_ids_do_not_become_label_values() {
    assert_eq!(
        endpoint_of("/crm/v3/objects/contacts/51001"),
        "/crm/v3/objects/contacts/{id}"
    );
    assert_eq!(
        endpoint_of("/crm/v4/associations/contacts/companies/batch/read"),
        "/crm/v4/associations/contacts/companies/batch/read"
    );
    assert_eq!(endpoint_of("/crm/v3/owners?limit=100"), "/crm/v3/owners");
}

#[test]
fn a_storm_of_429s_is_one_cooldown_until_the_portal_waited_it_out() {
    let m = HubspotMetrics::default();
    let portal = PortalId::new(1).unwrap();
    m.blocked_until(portal, Block::CoolingDown, "rate_limited", at(0), at(10));
    m.blocked_until(portal, Block::CoolingDown, "rate_limited", at(1), at(11));
    assert_eq!(value(&m.cooldowns, "rate_limited"), 1, "extended, not new");
    m.refresh_blocked(at(5));
    assert_eq!(blocked(&m, "cooling_down"), 1);
    assert_eq!(blocked(&m, "parked"), 0);
    m.refresh_blocked(at(11));
    assert_eq!(blocked(&m, "cooling_down"), 0, "the wait is over");
    m.blocked_until(portal, Block::CoolingDown, "rate_limited", at(12), at(20));
    assert_eq!(value(&m.cooldowns, "rate_limited"), 2);
}

#[test]
fn a_429_that_extends_a_cautious_pause_counts_as_its_own_cause() {
    let m = HubspotMetrics::default();
    let portal = PortalId::new(1).unwrap();
    m.blocked_until(portal, Block::CoolingDown, "budget_low", at(0), at(2));
    m.blocked_until(portal, Block::CoolingDown, "rate_limited", at(0), at(10));
    m.blocked_until(portal, Block::CoolingDown, "budget_low", at(1), at(3));
    assert_eq!(value(&m.cooldowns, "budget_low"), 1);
    assert_eq!(value(&m.cooldowns, "rate_limited"), 1);
    m.refresh_blocked(at(5));
    assert_eq!(blocked(&m, "cooling_down"), 1, "one portal, one wait");
}

#[test]
fn each_portal_and_kind_of_wait_counts_apart() {
    let m = HubspotMetrics::default();
    m.blocked_until(
        PortalId::new(1).unwrap(),
        Block::Parked,
        "daily_limit",
        at(0),
        at(3600),
    );
    m.blocked_until(
        PortalId::new(2).unwrap(),
        Block::Parked,
        "daily_limit",
        at(0),
        at(3600),
    );
    m.blocked_until(
        PortalId::new(1).unwrap(),
        Block::SearchCoolingDown,
        "search_rate_limited",
        at(0),
        at(1),
    );
    m.refresh_blocked(at(0));
    assert_eq!(blocked(&m, "parked"), 2);
    assert_eq!(blocked(&m, "search_cooling_down"), 1);
    assert_eq!(value(&m.cooldowns, "daily_limit"), 2);
}
