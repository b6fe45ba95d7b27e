//! One decision with a 100-rule playbook (the example playbook plus generated fit, engagement
//! and routing rules) and 50 owners in the pools. Run: `cargo bench --bench decide`.

#![allow(clippy::panic)] // a benchmark with a broken fixture should stop loudly

use std::fmt::Write;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use handoff::engine::{Contact, DecideInput, Owner, Playbook, Roster, RoutingState, Team, decide};

/// A section of the shipped `config/default.toml`, as a standalone TOML document.
fn default_section(name: &str) -> String {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/default.toml"))
        .unwrap_or_default();
    let table: toml::Table = toml::from_str(&text).unwrap_or_default();
    table
        .get(name)
        .and_then(|v| toml::to_string(v).ok())
        .unwrap_or_default()
}

fn playbook(no_regex: bool) -> Playbook {
    let mut text = default_section("playbook");
    if no_regex {
        // Same decisions for the benchmark contact, without `matches()` (which compiles its
        // regex on every evaluation in cel 0.15).
        text = text
            .replace(r#"contact.jobtitle.matches("(?i)\\b(ceo|cto|cfo|coo|founder|owner|vp|vice president|head of|director)\\b")"#, r#"contact.jobtitle.startsWith("VP")"#)
            .replace(r#"contact.jobtitle.matches("(?i)\\b(manager|lead|ops|operations)\\b")"#, r#"contact.jobtitle.endsWith("Manager")"#)
            .replace(r#"contact.jobtitle.lowerAscii().matches("student|intern|trainee")"#, r#"contact.jobtitle.lowerAscii().contains("student")"#);
    }
    // Example: 5 fit + 4 engagement + 3 disqualifiers + 1 flag + 2 roles + 4 routing = 19 rules.
    for i in 0..40 {
        let _ = write!(
            text,
            "\n[[scoring.fit]]\nid = \"gen-fit-{i}\"\nwhen = 'has(company.numberofemployees) && company.numberofemployees >= {} && contact.country in lists.served_countries'\npoints = 1\n",
            i * 50
        );
    }
    for i in 0..25 {
        let _ = write!(
            text,
            "\n[[scoring.engagement]]\nid = \"gen-eng-{i}\"\nwhen = 'has(contact.hs_analytics_num_page_views) && contact.hs_analytics_num_page_views > {i}'\npoints = 1\nat = \"recent_conversion_date\"\n"
        );
    }
    // 16 routing rules before the matching ones (prepended by renaming into an earlier table is
    // not possible in TOML, so they are appended and never match before the example's own).
    for i in 0..16 {
        let _ = write!(
            text,
            "\n[[routing.rules]]\nid = \"gen-route-{i}\"\nwhen = 'has(contact.zip) && contact.zip.startsWith(\"{i:02}\")'\npool = \"big\"\n"
        );
    }
    let members: Vec<String> = (0..50)
        .map(|i| format!("{{ owner = \"{}\" }}", 5000 + i))
        .collect();
    let _ = write!(
        text,
        "\n[routing.pools.big]\nteam = \"dach\"\nmembers = [{}]\nmax_per_day = 1000\n",
        members.join(", ")
    );
    // Route DACH leads to the 50-member pool first.
    let text = text.replace(
        "pool = \"dach-ae\"\n\n[[routing.rules]]\nid = \"dach\"",
        "pool = \"big\"\n\n[[routing.rules]]\nid = \"dach\"",
    );
    Playbook::from_toml_str(&text).unwrap_or_else(|p| panic!("{p:#?}"))
}

fn roster() -> Roster {
    let text = default_section("roster");
    let mut r = Roster::from_toml_str(&text).unwrap_or_else(|p| panic!("{p:#?}"));
    r.upsert_team(Team {
        id: "big".into(),
        name: "Big".into(),
        manager: Some("100".into()),
        fallback_owner: None,
    });
    for i in 0..50 {
        let mut o = Owner::simple(&(5000 + i).to_string(), "Europe/Berlin");
        o.teams = vec!["dach".into()];
        r.upsert(o);
    }
    r
}

fn bench(c: &mut Criterion) {
    for (name, no_regex) in [
        ("decide/100-rules-50-owners", false),
        ("decide/100-rules-50-owners-no-regex", true),
    ] {
        bench_one(c, name, no_regex);
    }
}

fn bench_one(c: &mut Criterion, name: &str, no_regex: bool) {
    let pb = playbook(no_regex);
    let roster = roster();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/contacts/dach-enterprise-demo.json"
    ))
    .unwrap_or_default();
    let contact = Contact::from_json(&text).unwrap_or_else(|e| panic!("{e}"));
    let now: jiff::Timestamp = "2026-11-24T09:00:00Z"
        .parse()
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let rules = pb.conditions().len();
    let mut state = RoutingState::default();
    let input = DecideInput {
        contact: &contact,
        roster: &roster,
        missed_sla_by: &[],
    };
    let (d, _) = decide(&input, &pb, now, &state);
    eprintln!(
        "conditions: {rules}; owner: {:?}",
        d.routing.and_then(|r| r.assignment)
    );
    c.bench_function(name, |b| {
        b.iter(|| {
            let (d, s) = decide(black_box(&input), &pb, now, &state);
            state = s;
            black_box(d)
        })
    });
    let mut state = RoutingState::default();
    c.bench_function(&format!("{name}/in-place"), |b| {
        b.iter(|| {
            black_box(handoff::engine::decide_in_place(
                black_box(&input),
                &pb,
                now,
                &mut state,
            ))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
