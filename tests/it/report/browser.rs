//! The review page in a real browser: headless Chromium (the Debian package `chromium`, which
//! `scripts/test` installs) opens the file `handoff review` wrote. Checked: the rendered DOM
//! (`--dump-dom`: every KPI tile, every chart with its data points, every table); that the page
//! logs nothing to the console (`--enable-logging=stderr`: Chromium writes each console message
//! as a `CONSOLE` line); and that the page requests nothing (`--log-net-log`: every request the
//! page starts carries the page's `file://` origin in its isolation key). A control page with a
//! console error and an image on a loopback port shows both checks can fail. Chromium's own
//! background requests resolve nowhere (`--host-resolver-rules`). A second page is made from a
//! ledger with decision facts — the demo's simulated history — so its tuning section's tables
//! render too. The screenshots are kept in `target/tmp/review-browser/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use handoff::demo::history::{self, HistoryOptions};
use handoff::store::{Dialect, Store};

use super::review::{WEEK, review, seeded_review};
use super::simulated::{SEED, options};
use crate::support::{cli, engines};

/// What Chromium made of a page.
struct Rendered {
    dom: String,
    /// Console messages of the page.
    console: Vec<String>,
    /// URLs the page asked for (not its own file).
    requests: Vec<String>,
}

fn chromium() -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("chromium"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("chromium is not installed: run scripts/test, which installs the Debian package chromium")
        })
}

fn headless(work: &Path) -> Command {
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--no-first-run",
        "--hide-scrollbars",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-domain-reliability",
        "--disable-breakpad",
        // Nothing Chromium asks for by itself leaves the machine: no name resolves.
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ])
    .arg(format!(
        "--user-data-dir={}",
        work.join("profile").display()
    ));
    cmd
}

/// Opens `page` and returns its DOM, its console messages and its requests.
fn open(page: &Path, work: &Path) -> Rendered {
    std::fs::create_dir_all(work).unwrap();
    let netlog = work.join("net.json");
    let out = headless(work)
        .args(["--enable-logging=stderr", "--v=0"])
        .arg(format!("--log-net-log={}", netlog.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium: {}", cli::stderr(&out));
    let console = cli::stderr(&out)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    Rendered {
        dom: cli::stdout(&out),
        console,
        requests: page_requests(&netlog),
    }
}

/// URLs of the requests a `file://` page started, from Chromium's net log.
fn page_requests(netlog: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(netlog).unwrap();
    let log: serde_json::Value = serde_json::from_str(&text).expect("a complete net log");
    let start = &log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"];
    assert!(start.is_number(), "the net log names its event types");
    let events = log["events"].as_array().expect("net log events");
    events
        .iter()
        .filter(|e| &e["type"] == start)
        .filter(|e| {
            let p = &e["params"];
            let key = format!("{} {}", p["network_isolation_key"], p["site_for_cookies"]);
            key.contains("file://")
        })
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_owned))
        .filter(|url| !url.starts_with("file:"))
        .collect()
}

fn screenshot(page: &Path, work: &Path, png: &Path) {
    let out = headless(work)
        .arg("--window-size=1280,8200")
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium: {}", cli::stderr(&out));
    let bytes = std::fs::read(png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
}

/// The page logged nothing and asked for nothing; it is kept with its screenshot as
/// `target/tmp/review-browser/NAME.html` and `NAME.png`.
fn quiet_and_kept(rendered: &Rendered, page: &Path, work: &Path, name: &str) {
    assert_eq!(rendered.console, Vec::<String>::new(), "console messages");
    assert_eq!(
        rendered.requests,
        Vec::<String>::new(),
        "requests from the page"
    );
    let kept = Path::new(env!("CARGO_TARGET_TMPDIR")).join("review-browser");
    std::fs::create_dir_all(&kept).unwrap();
    std::fs::copy(page, kept.join(format!("{name}.html"))).unwrap();
    screenshot(page, work, &kept.join(format!("{name}.png")));
}

/// The part of `dom` from the element with `attr` to the end of its `</tag>`.
fn element<'d>(dom: &'d str, attr: &str, tag: &str) -> &'d str {
    let at = dom
        .find(attr)
        .unwrap_or_else(|| panic!("no {attr} in the page"));
    let open = dom[..at].rfind(&format!("<{tag}")).unwrap();
    let close = dom[at..].find(&format!("</{tag}>")).unwrap() + at;
    &dom[open..close]
}

fn check_dom(dom: &str) {
    // Every KPI tile, with a value.
    for metric in [
        "handoffs",
        "acceptance",
        "accept-p50",
        "accept-p90",
        "coverage",
        "touch-p50",
        "touch-p90",
        "sla",
        "escalations",
        "reassignments",
        "pipeline-per-accepted",
        "marketing-pipeline",
    ] {
        let at = dom
            .find(&format!("data-metric=\"{metric}\""))
            .unwrap_or_else(|| panic!("tile {metric}"));
        let marker = "class=\"value\">";
        let value = &dom[at..][dom[at..].find(marker).unwrap() + marker.len()..];
        assert!(!value.starts_with('<'), "tile {metric} has a value");
    }
    assert_eq!(dom.matches("class=\"tile\"").count(), 12);
    // Every chart with its points (12 weeks, 2026-W38 to W49; see review.rs for the ledger):
    // acceptance in W49 only; time to accept p50 and p90 in W49; coverage and SLA in W47 and
    // W49; p50 and p90 in W49; handoffs, escalations and reassignments in all 12; pipeline in
    // W49; three dispositions; two reasons; one source; pool dach-ae's three owners.
    let charts = [
        ("trend-acceptance", 1),
        ("trend-accept", 2),
        ("trend-coverage", 2),
        ("trend-sla", 2),
        ("trend-touch", 2),
        ("trend-volume", 36),
        ("trend-pipeline-per-accepted", 1),
        ("trend-marketing-pipeline", 1),
        ("dispositions", 3),
        ("reasons", 2),
        ("pipeline", 1),
        ("pool-dach-ae", 3),
    ];
    for (id, points) in charts {
        let svg = element(dom, &format!("data-chart=\"{id}\""), "svg");
        assert!(svg.contains("<title"), "{id} has a title");
        assert_eq!(
            svg.matches("class=\"point\"").count(),
            points,
            "points of {id}"
        );
        assert!(!svg.contains("NaN"), "{id}");
    }
    assert_eq!(dom.matches("<svg").count(), charts.len(), "no other chart");
    // Every table: beside each chart, one per segment, and routing health's.
    for id in [
        "by-source",
        "by-tier",
        "by-team",
        "by-owner",
        "unassigned",
        "sla-misses",
        "close-loop",
    ] {
        let block = element(dom, &format!("data-table=\"{id}\""), "div");
        assert!(block.contains("<table"), "table {id}");
    }
    // 8 trends, dispositions, reasons, pipeline, 4 segments, 5 pools, 3 routing tables.
    assert_eq!(dom.matches("<table").count(), 23);
    assert!(dom.contains("2026-W49"));
}

#[tokio::test]
async fn the_page_renders_in_chromium_with_every_tile_chart_and_table_and_asks_for_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = seeded_review(Dialect::Sqlite, dir.path()).await;
    let out = review(dir.path(), &url, &["--week", WEEK, "--out", "review.html"]);
    assert!(out.status.success(), "{}", cli::stderr(&out));
    let page = dir.path().join("review.html");

    let rendered = open(&page, dir.path());
    check_dom(&rendered.dom);
    quiet_and_kept(&rendered, &page, dir.path(), "review");

    // The checks can fail: a page that logs an error and loads an image is caught by both.
    let control = dir.path().join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><html><body><img src=\"http://127.0.0.1:9/x.png\">\
         <script>console.error(\"control error\")</script></body></html>",
    )
    .unwrap();
    let caught = open(&control, &dir.path().join("control"));
    assert!(
        caught.console.iter().any(|l| l.contains("control error")),
        "{:?}",
        caught.console
    );
    assert_eq!(caught.requests, ["http://127.0.0.1:9/x.png"]);
}

/// The rows of the table `id` in `dom`, each row's text with its tags left out.
fn rows(dom: &str, id: &str) -> Vec<String> {
    let table = element(dom, &format!("data-table=\"{id}\""), "table");
    let body = &table[table.find("<tbody").unwrap()..];
    body.split("<tr")
        .skip(1)
        .map(|row| {
            let mut text = String::new();
            // Each piece starts inside its `<tr …>` tag.
            let mut in_tag = true;
            for c in row.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => {
                        in_tag = false;
                        text.push(' ');
                    }
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect()
}

/// The tuning section of the history's page: a row per scoring rule of the shipped playbook,
/// the planted signals' lifts, and rows in every other table.
fn check_tuning(dom: &str) {
    assert!(!dom.contains("data-tuning=\"n/a\""), "tuning available");
    // A row per scoring rule of the shipped playbook, each with its lift.
    let rules = rows(dom, "tune-rules");
    assert_eq!(rules.len(), 9, "{rules:#?}");
    for (rule, row) in [
        "icp",
        "decision-maker",
        "champion",
        "enterprise-size",
        "freemail",
        "demo-request",
        "pricing-interest",
        "repeat-converter",
        "opens-email",
    ]
    .iter()
    .zip(&rules)
    {
        assert!(row.starts_with(&format!("{rule} ")), "{row}");
    }
    let lift = |rule: &str| -> f64 {
        let row = rules
            .iter()
            .find(|r| r.starts_with(&format!("{rule} ")))
            .unwrap();
        let last = row.rsplit(' ').next().unwrap();
        last.trim_end_matches('\u{d7}')
            .parse()
            .unwrap_or_else(|_| panic!("{row}"))
    };
    assert!(lift("repeat-converter") < 1.0);
    assert!(lift("champion") > 1.0);
    // The five sources, the tiers, the roles, the sweep around the playbook's threshold, the
    // pools and owners: every table has rows.
    let sources = rows(dom, "tune-sources");
    for source in [
        "content-download",
        "paid-ads",
        "partner-referral",
        "trade-show",
        "webinar",
    ] {
        assert!(
            sources.iter().any(|r| r.starts_with(source)),
            "{sources:#?}"
        );
    }
    for id in ["tune-tiers", "tune-roles", "tune-pools", "tune-owners"] {
        assert!(!rows(dom, id).is_empty(), "{id}");
    }
    let sweep = rows(dom, "tune-sweep");
    assert!(
        sweep.iter().any(|r| r.starts_with("50 (playbook)")),
        "{sweep:#?}"
    );
}

#[tokio::test]
async fn a_ledger_with_decision_facts_renders_the_tuning_tables_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let url = engines::fresh_url(Dialect::Sqlite, dir.path()).await;
    let store = Store::connect(&engines::settings(&url)).await.unwrap();
    store.migrate().await.unwrap();
    // The portal of `review` is in Berlin: the history's weeks are its weeks (to 2026-W50).
    let options = HistoryOptions {
        time_zone: "Europe/Berlin".into(),
        ..options(SEED)
    };
    history::record(&store, &options).await.unwrap();
    store.close().await;
    let out = review(
        dir.path(),
        &url,
        &["--week", "2026-W50", "--out", "history.html"],
    );
    assert!(out.status.success(), "{}", cli::stderr(&out));
    let page = dir.path().join("history.html");

    let rendered = open(&page, dir.path());
    check_tuning(&rendered.dom);
    quiet_and_kept(&rendered, &page, dir.path(), "history");
}
