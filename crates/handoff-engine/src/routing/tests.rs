//! Routing rule kinds one by one, and the engine-wide properties (determinism, coverage).

use jiff::Timestamp;
use jiff::civil::date;
use proptest::prelude::*;

use crate::roster::{DateRange, Source};
use crate::routing::{Exclusion, Via};
use crate::tests::{example, ts};
use crate::*;

fn decide_one(
    pb: &Playbook,
    roster: &Roster,
    c: &Contact,
    now: Timestamp,
    state: &RoutingState,
    missed: &[handoff_ids::OwnerId],
) -> (Decision, RoutingState) {
    decide(
        &DecideInput {
            contact: c,
            roster,
            missed_sla_by: missed,
        },
        pb,
        now,
        state,
    )
}

fn fixture(cs: &[Contact], id: &str) -> Contact {
    cs.iter()
        .find(|c| c.id.to_string() == id)
        .cloned()
        .unwrap_or_else(|| panic!("fixture {id}"))
}

fn with_owner(roster: &Roster, id: &str, f: impl FnOnce(&mut Owner)) -> Roster {
    let mut r = roster.clone();
    if let Some(o) = roster.owner(id) {
        let mut o = o.owner.clone();
        f(&mut o);
        r.upsert(o);
    }
    r
}

const NOW: &str = "2026-11-24T09:00:00Z";

/// The owner id assigned (as text) and how, if any.
fn assigned(d: &Decision) -> Option<(String, Via)> {
    let a = d.routing.as_ref()?.assignment.as_ref()?;
    Some((a.owner_id.to_string(), a.via.clone()))
}

fn oid(id: u64) -> handoff_ids::OwnerId {
    handoff_ids::OwnerId::new(id).unwrap_or_else(|| unreachable!())
}

fn owner_of(d: &Decision) -> Option<String> {
    assigned(d).map(|(o, _)| o)
}

fn exclusions(d: &Decision) -> Vec<(String, Exclusion)> {
    d.routing
        .iter()
        .flat_map(|r| &r.steps)
        .flat_map(|s| &s.candidates)
        .filter_map(|c| c.excluded.clone().map(|e| (c.owner_id.clone(), e)))
        .collect()
}

#[test]
fn sticky_keeps_the_current_owner_unless_they_missed_this_lead() {
    let (pb, roster, cs) = example();
    let c = fixture(&cs, "51008");
    let (d, _) = decide_one(&pb, &roster, &c, ts(NOW), &RoutingState::default(), &[]);
    assert_eq!(assigned(&d), Some(("103".into(), Via::Sticky)));
    let (d, _) = decide_one(
        &pb,
        &roster,
        &c,
        ts(NOW),
        &RoutingState::default(),
        &[oid(103)],
    );
    assert_eq!(assigned(&d), Some(("104".into(), Via::AccountMatch)));
}

#[test]
fn out_of_office_paused_and_inactive_owners_are_excluded_with_reasons() {
    let (pb, roster, cs) = example();
    let c = fixture(&cs, "51001");
    let roster = with_owner(&roster, "101", |o| {
        o.out_of_office = vec![DateRange {
            from: date(2026, 11, 23),
            to: date(2026, 11, 27),
        }]
    });
    let roster = with_owner(&roster, "102", |o| o.paused = true);
    let roster = with_owner(&roster, "103", |o| o.active = false);
    let (d, _) = decide_one(&pb, &roster, &c, ts(NOW), &RoutingState::default(), &[]);
    let ex = exclusions(&d);
    assert!(
        ex.contains(&(
            "101".into(),
            Exclusion::OutOfOffice {
                until: date(2026, 11, 27),
                source: Source::Config,
            }
        )),
        "{d}"
    );
    assert!(ex.contains(&("102".into(), Exclusion::Paused)), "{d}");
    assert!(ex.contains(&("103".into(), Exclusion::Inactive)), "{d}");
    assert_eq!(owner_of(&d), Some("104".into()));
}

#[test]
fn hubspot_availability_excludes_with_its_source_and_out_of_office_says_more_than_away() {
    let (pb, roster, cs) = example();
    let c = fixture(&cs, "51001");
    let roster = with_owner(&roster, "101", |o| o.from_hubspot.away = true);
    let roster = with_owner(&roster, "102", |o| {
        o.from_hubspot.away = true;
        o.from_hubspot.out_of_office = true;
        o.out_of_office = vec![DateRange {
            from: date(2026, 11, 24),
            to: date(2026, 12, 1),
        }];
    });
    let (d, _) = decide_one(&pb, &roster, &c, ts(NOW), &RoutingState::default(), &[]);
    let ex = exclusions(&d);
    assert!(ex.contains(&("101".into(), Exclusion::Away)), "{d}");
    assert!(
        ex.contains(&(
            "102".into(),
            Exclusion::OutOfOffice {
                until: date(2026, 12, 1),
                source: Source::Hubspot,
            }
        )),
        "{d}"
    );
    let text = d.to_string();
    assert!(text.contains("away in HubSpot"), "{text}");
    assert!(
        text.contains("out of office until 2026-12-01 per HubSpot"),
        "{text}"
    );
    assert_ne!(owner_of(&d), Some("101".into()));
}

#[test]
fn capacity_caps_per_day_move_leads_along_the_fallback_chain() {
    let (pb, roster, cs) = example();
    let c = fixture(&cs, "51001");
    let mut state = RoutingState::default();
    let mut owners = Vec::new();
    for _ in 0..14 {
        let (d, s) = decide_one(&pb, &roster, &c, ts(NOW), &state, &[]);
        state = s;
        owners.push(owner_of(&d).unwrap_or_default());
    }
    // dach-ae: 101 (weight 2) and 102 (weight 1), 8 per day each; then dach-sdr.
    assert_eq!(owners.iter().filter(|o| *o == "101").count(), 8);
    assert_eq!(owners.iter().filter(|o| *o == "102").count(), 6);
    let (d, _) = decide_one(&pb, &roster, &c, ts(NOW), &state, &[]);
    let d_text = d.to_string();
    assert!(d_text.contains("at capacity (8/8 this day)"), "{d_text}");
    // Next local day the cap resets.
    let (d, _) = decide_one(&pb, &roster, &c, ts("2026-11-25T09:00:00Z"), &state, &[]);
    assert!(
        matches!(assigned(&d).map(|(_, v)| v), Some(Via::Pool { pool, .. }) if pool == "dach-ae")
    );
}

#[test]
fn outside_working_hours_and_the_global_fallback_queue() {
    let (pb, roster, cs) = example();
    let c = fixture(&cs, "51002"); // UK
    // Sunday 03:00 London: 201 outside hours; 202 paused; inbound: 104 ok (no hours).
    let (d, _) = decide_one(
        &pb,
        &roster,
        &c,
        ts("2026-11-29T03:00:00Z"),
        &RoutingState::default(),
        &[],
    );
    assert!(
        exclusions(&d).contains(&(
            "201".into(),
            Exclusion::OutsideWorkingHours {
                source: Source::Config
            }
        )),
        "{d}"
    );
    assert!(d.to_string().contains("outside territory dach"), "{d}");
    // Nobody at all: the global queue owner still gets it.
    let mut r = roster.clone();
    for id in ["104", "202", "302", "201", "200"] {
        r = with_owner(&r, id, |o| o.paused = true);
    }
    let (d, _) = decide_one(
        &pb,
        &r,
        &c,
        ts("2026-11-29T03:00:00Z"),
        &RoutingState::default(),
        &[],
    );
    assert_eq!(assigned(&d), Some(("900".into(), Via::GlobalFallback)));
}

#[test]
fn sla_ladder_and_close_the_loop_run_on_business_time() {
    let (pb, roster, cs) = example();
    let c = fixture(&cs, "51002"); // tier A: 15 business minutes on Berlin hours
    // Friday 17:50 Berlin: 10 min left today, 5 min on Monday from 09:00.
    let (d, _) = decide_one(
        &pb,
        &roster,
        &c,
        ts("2026-11-27T16:50:00Z"),
        &RoutingState::default(),
        &[],
    );
    let sla = d.sla.unwrap_or_else(|| unreachable!());
    assert_eq!(sla.tier, "A");
    assert_eq!(sla.due_at, ts("2026-11-30T08:05:00Z"));
    assert_eq!(sla.ladder[0].at, ts("2026-11-27T16:57:30Z")); // 50%
    assert_eq!(sla.ladder[2].at, ts("2026-11-30T09:05:00Z")); // due+1h
    assert_eq!(sla.close_loop_due, Some(ts("2026-12-02T16:50:00Z"))); // 3bd = 24 business hours
}

#[test]
fn dispositions_map_status_and_reason() {
    let (pb, _, cs) = example();
    let d = disposition::classify(&pb, &fixture(&cs, "51009")).unwrap_or_else(|| unreachable!());
    assert_eq!(d.outcome, playbook::DispositionOutcome::Disqualified);
    assert_eq!(d.reason.as_deref(), Some("No budget this year"));
}

#[test]
fn engagement_decays_with_age() {
    let (pb, roster, cs) = example();
    let c = fixture(&cs, "51001");
    let (fresh, _) = decide_one(&pb, &roster, &c, ts(NOW), &RoutingState::default(), &[]);
    let (old, _) = decide_one(
        &pb,
        &roster,
        &c,
        ts("2027-01-10T09:00:00Z"),
        &RoutingState::default(),
        &[],
    );
    let demo = |d: &Decision| {
        d.score
            .engagement
            .matched
            .iter()
            .find(|h| h.id == "demo-request")
            .map(|h| h.points)
    };
    assert_eq!(demo(&fresh), Some(40));
    assert_eq!(demo(&old), Some(20));
}

fn any_contact() -> impl Strategy<Value = Contact> {
    let country = prop_oneof![
        Just("DE"),
        Just("GB"),
        Just("US"),
        Just("CH"),
        Just("FR"),
        Just("")
    ];
    (
        country,
        0u32..6000,
        0u32..30,
        0u32..6,
        any::<bool>(),
        any::<bool>(),
        prop_oneof![Just(""), Just("103"), Just("999")],
    )
        .prop_map(
            |(country, employees, views, conversions, phone, demo, owner)| {
                let mut c = Contact::new(handoff_ids::ContactId::new(1).unwrap());
                let mut set = |k: &str, v: String| {
                    c.properties.insert(k.into(), Some(v));
                };
                set("email", "x@corp.example".into());
                set("firstname", "X".into());
                set("lastname", "Y".into());
                set("jobtitle", "VP Sales".into());
                set("country", country.into());
                set("state", "CA".into());
                set("hubspot_owner_id", owner.into());
                set("hs_analytics_num_page_views", views.to_string());
                set("num_conversion_events", conversions.to_string());
                set("recent_conversion_date", "2026-11-20T00:00:00Z".into());
                set(
                    "recent_conversion_event_name",
                    if demo { "Demo".into() } else { "Ebook".into() },
                );
                if phone {
                    set("phone", "+1".into());
                }
                let mut co = contact::Company::default();
                co.properties.insert("name".into(), Some("Corp".into()));
                co.properties
                    .insert("industry".into(), Some("COMPUTER_SOFTWARE".into()));
                co.properties
                    .insert("numberofemployees".into(), Some(employees.to_string()));
                c.company = Some(co);
                c
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn decisions_are_deterministic(c in any_contact(), secs in 1_780_000_000i64..1_800_000_000) {
        let (pb, roster, _) = example();
        let now = Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH);
        let a = decide_one(&pb, &roster, &c, now, &RoutingState::default(), &[]);
        let b = decide_one(&pb, &roster, &c, now, &RoutingState::default(), &[]);
        prop_assert_eq!(a, b);
    }

    /// Whatever the availability of every owner, a lead that is handed off gets an owner.
    #[test]
    fn every_ready_lead_gets_an_owner(c in any_contact(), secs in 1_780_000_000i64..1_800_000_000, mask in proptest::collection::vec(0u8..5, 12)) {
        let (pb, roster, _) = example();
        let ids: Vec<String> = roster.owners().map(|o| o.owner.id.clone()).collect();
        let mut r = roster.clone();
        for (id, m) in ids.iter().zip(mask) {
            r = with_owner(&r, id, |o| match m {
                0 => o.paused = true,
                1 => o.active = false,
                2 => o.out_of_office = vec![DateRange { from: date(2020, 1, 1), to: date(2030, 1, 1) }],
                _ => {}
            });
        }
        let now = Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH);
        let missed: Vec<handoff_ids::OwnerId> = r.owners().filter_map(|o| o.id).collect();
        let (d, _) = decide_one(&pb, &r, &c, now, &RoutingState::default(), &missed);
        if d.outcome == Outcome::HandOff {
            prop_assert!(owner_of(&d).is_some());
            prop_assert!(d.sla.is_some());
        }
    }
}

#[test]
fn a_rule_can_target_one_owner_and_falls_back_when_they_are_away() {
    let text = crate::tests::playbook_text().replace(
        "[[routing.rules]]\nid = \"dach-enterprise\"",
        "[[routing.rules]]\nid = \"named-account\"\nwhen = 'has(company.domain) && company.domain == \"nordwerk-software.de\"'\nowner = \"101\"\n\n[[routing.rules]]\nid = \"dach-enterprise\"",
    );
    let pb = Playbook::from_toml_str(&text).unwrap_or_else(|p| unreachable!("{p:#?}"));
    let (_, roster, cs) = example();
    let c = fixture(&cs, "51001");
    let (d, _) = decide_one(&pb, &roster, &c, ts(NOW), &RoutingState::default(), &[]);
    let via = assigned(&d);
    assert_eq!(
        via,
        Some((
            "101".into(),
            Via::RuleOwner {
                rule: "named-account".into()
            }
        ))
    );
    let (d, _) = decide_one(
        &pb,
        &roster,
        &c,
        ts(NOW),
        &RoutingState::default(),
        &[oid(101)],
    );
    assert!(
        exclusions(&d).contains(&("101".into(), Exclusion::MissedSla)),
        "{d}"
    );
    assert_eq!(assigned(&d).map(|(_, v)| v), Some(Via::GlobalFallback));
}

#[test]
fn reassignment_never_returns_to_an_owner_who_missed_the_lead() {
    let (pb, roster, cs) = example();
    let c = fixture(&cs, "51001");
    let mut missed: Vec<handoff_ids::OwnerId> = Vec::new();
    let mut seen = Vec::new();
    for _ in 0..4 {
        let (d, _) = decide_one(&pb, &roster, &c, ts(NOW), &RoutingState::default(), &missed);
        let owner = d.routing.and_then(|r| r.assignment).map(|a| a.owner_id);
        let owner = owner.unwrap_or_else(|| unreachable!());
        assert!(
            !missed.contains(&owner) || owner.get() == 900,
            "{owner} missed already"
        );
        seen.push(owner.to_string());
        missed.push(owner);
    }
    assert_eq!(seen, ["101", "102", "103", "104"]);
}

#[test]
fn equal_weights_through_decide_stay_within_one() {
    let (pb, roster, cs) = example();
    let mut c = fixture(&cs, "51001");
    if let Some(co) = c.company.as_mut() {
        co.properties
            .insert("numberofemployees".into(), Some("200".into()));
    }
    let mut state = RoutingState::default();
    let mut counts = std::collections::BTreeMap::<String, i64>::new();
    for _ in 0..30 {
        let (d, s) = decide_one(&pb, &roster, &c, ts(NOW), &state, &[]);
        state = s;
        *counts.entry(owner_of(&d).unwrap_or_default()).or_default() += 1;
        let (mx, mn) = (
            counts.values().max().copied(),
            counts.values().min().copied(),
        );
        assert!(
            mx.unwrap_or(0) - mn.unwrap_or(0) <= 1 || counts.len() < 2,
            "{counts:?}"
        );
    }
    assert_eq!(counts.keys().collect::<Vec<_>>(), ["103", "104"]);
    // The state survives a JSON round trip (the worker persists it).
    let json = serde_json::to_string(&state).unwrap_or_default();
    let back: RoutingState = serde_json::from_str(&json).unwrap_or_default();
    assert_eq!(back, state);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Loading never panics, whatever is cut out of or spliced into the playbook.
    #[test]
    fn loading_a_mangled_playbook_never_panics(cut in 0usize..12_000, len in 0usize..400, junk in "[ -~]{0,40}") {
        let text = crate::tests::playbook_text();
        let start = cut.min(text.len());
        let end = (start + len).min(text.len());
        if text.is_char_boundary(start) && text.is_char_boundary(end) {
            let mangled = format!("{}{junk}{}", &text[..start], &text[end..]);
            let _ = Playbook::from_toml_str(&mangled);
        }
    }

    /// Arbitrary condition text compiles or fails with a message, never a crash.
    #[test]
    fn any_condition_text_is_handled(src in "[ -~]{0,60}") {
        let env = crate::conditions::environment();
        let _ = crate::conditions::Condition::compile(&env, &src);
    }
}

#[test]
fn a_pool_member_named_by_email_is_assigned_by_the_id_hubspot_resolved_for_it() {
    use crate::roster::live::LiveOwner;
    use crate::tests::{default_section, playbook_text};
    let (_, _, cs) = example();
    // Owner 101 given by email alone, and named by that email in its pool.
    let pb_text =
        playbook_text().replace(r#"owner = "101""#, r#"owner = "jonas.becker@example.com""#);
    let pb = Playbook::from_toml_str(&pb_text).unwrap_or_else(|p| unreachable!("{p:#?}"));
    let roster_text = default_section("roster").replace("id = \"101\"\n", "");
    let mut roster = Roster::from_toml_str(&roster_text).unwrap_or_else(|p| unreachable!("{p:#?}"));
    assert!(roster.owner("101").is_none(), "no id until HubSpot says");
    assert!(check_playbook(&pb, &roster, &cs).is_empty());
    let live: Vec<LiveOwner> = roster
        .owners()
        .map(|o| LiveOwner {
            id: o.id.or(handoff_ids::OwnerId::new(101)).unwrap(),
            email: Some(o.owner.email.to_uppercase()),
            assignable: true,
            archived: false,
        })
        .collect();
    roster.resolve_emails(&live);
    let c = fixture(&cs, "51001");
    let (d, state) = decide_one(&pb, &roster, &c, ts(NOW), &RoutingState::default(), &[]);
    let a = d.routing.and_then(|r| r.assignment).unwrap();
    assert_eq!(a.owner_id.get(), 101);
    assert_eq!(a.owner_name.as_deref(), Some("Jonas Becker"));
    // Capacity counts against the id, as the ledger records it.
    let berlin = jiff::tz::TimeZone::get("Europe/Berlin").unwrap_or(jiff::tz::TimeZone::UTC);
    let (day, week) = crate::routing::state::week_of(berlin.to_datetime(ts(NOW)).date());
    let owners: Vec<i64> = state.load.keys().map(|o| o.get()).collect();
    assert_eq!(owners, [101]);
    assert_eq!(state.load_in(a.owner_id, day, week), (1, 1));
}
