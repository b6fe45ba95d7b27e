//! The review's routing health from the decision facts (migration 0012): pool picks and the
//! fallbacks per pool read from the recorded columns, not from explanations, and the tuning
//! report as the page's last section.

use handoff::engine::RoutingState;
use handoff::store::{Dialect, Store};

use super::review::{SEEDED_AT, WEEK, review};
use crate::support::cli;
use crate::support::ledger::{HOUR, PORTAL, with_facts};

/// Three handoffs of W49 with facts and empty explanations: two fell through `dach-sdr` to
/// `uk-sdr` (owner 201), one went to `dach-ae` (owner 101).
async fn seeded(engine: Dialect, dir: &std::path::Path) -> String {
    let url = crate::support::engines::fresh_url(engine, dir).await;
    let store = Store::connect(&crate::support::engines::settings(&url))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let now = SEEDED_AT
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    let score = (70, "A", "webinar", &["icp"][..]);
    let decisions = vec![
        with_facts(1, now - HOUR, "201", ("uk-sdr", Some("dach-sdr")), score),
        with_facts(2, now - HOUR, "201", ("uk-sdr", Some("dach-sdr")), score),
        with_facts(3, now - HOUR, "101", ("dach-ae", None), score),
    ];
    store
        .ledger()
        .record_decisions(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            now,
            move |_: &mut RoutingState| decisions,
        )
        .await
        .unwrap();
    store.close().await;
    url
}

async fn pool_picks_and_fallbacks_come_from_the_decision_facts(engine: Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let url = seeded(engine, dir.path()).await;
    let out = review(dir.path(), &url, &["--week", WEEK, "--out", "page.html"]);
    assert!(out.status.success(), "{}", cli::stderr(&out));
    let page = std::fs::read_to_string(dir.path().join("page.html")).unwrap();
    let pool = |name: &str| {
        let at = page
            .find(&format!("data-pool=\"{name}\""))
            .unwrap_or_else(|| panic!("no pool {name}"));
        let p = &page[at..];
        p[..p.find("</figure>").unwrap()].to_owned()
    };
    for (name, picks, fallbacks) in [("uk-sdr", 2, 0), ("dach-ae", 1, 0), ("dach-sdr", 0, 2)] {
        let p = pool(name);
        assert!(p.contains(&format!("{picks} picks")), "{name}: {p}");
        assert!(
            p.contains(&format!("data-fallbacks=\"{fallbacks}\"")),
            "{name}: {p}"
        );
    }
    // The tuning section is the tuning report over the page's weeks: 3 leads, `icp` in all.
    let tuning = &page[page.find("id=\"tuning\"").unwrap()..];
    assert!(tuning.contains("data-tuning=\"3\""), "{tuning}");
    assert!(tuning.contains("data-rule=\"icp\""), "{tuning}");
    assert!(!page.contains("data-tuning=\"n/a\""));
}

on_both_engines!(pool_picks_and_fallbacks_come_from_the_decision_facts);
