//! `handoff review` and `GET /review` over a ledger written through the `Store` API: the
//! seeded week of `support::ledger` (handed off on Wednesday 2 December 2026, ISO week
//! 2026-W49), one lead ten days earlier (2026-W47), and a reassignment whose loop is overdue.
//! The figures are computed by hand from that ledger.

use std::path::Path;
use std::process::Output;

use handoff::store::Dialect;
use handoff::store::Store;
use handoff::store::ledger::Reassignment;

use crate::support::app::spawn_app_in;
use crate::support::cli;
use crate::support::ledger::{HOUR, PORTAL, explanation, seed};

/// Wednesday 2 December 2026, 12:00 UTC: inside 2026-W49 in Berlin.
pub const SEEDED_AT: &str = "2026-12-02T12:00:00Z";
pub const WEEK: &str = "2026-W49";

/// The portal, configured as `handoff review` needs it (a token file, never read here).
pub fn portal_toml(dir: &Path) -> String {
    let token = dir.join("token");
    std::fs::write(&token, "pat-test-token\n").unwrap();
    format!(
        "[hubspot]\nbase_url = \"http://127.0.0.1:9\"\n\n[[hubspot.portals]]\nid = {PORTAL}\n\
         playbook = \"example-b2b-saas\"\ntime_zone = \"Europe/Berlin\"\n\
         auth = {{ kind = \"private_app\", token_file = {:?} }}\n",
        token.display().to_string()
    )
}

/// The seeded ledger, plus: lead 4 (201, untouched) reassigned to 202 after 201 missed it,
/// its disposition due an hour before the seed time (the loop is overdue).
pub async fn seed_review(store: &Store, dir: &Path) {
    let now = SEEDED_AT
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    seed(store, now, &explanation(dir)).await;
    let four = store
        .ledger()
        .handoff_of(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            handoff_ids::ContactId::new(4).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let change = Reassignment {
        owner_id: "202".parse().unwrap(),
        team: Some("uk".into()),
        trace_id: "trace-4b".into(),
        sla_due_at_ms: Some(now + HOUR),
        sla_plan: None,
        missed_by: vec!["201".parse().unwrap()],
        escalation: false,
        task_text: None,
        close_loop_due_ms: Some(now - HOUR),
    };
    store
        .ledger()
        .reassign(four.id, &change, now)
        .await
        .unwrap();
}

/// A store on `engine` in `dir`, seeded for the review, and its URL.
pub async fn seeded_review(engine: Dialect, dir: &Path) -> String {
    let url = crate::support::engines::fresh_url(engine, dir).await;
    let store = Store::connect(&crate::support::engines::settings(&url))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    seed_review(&store, dir).await;
    store.close().await;
    url
}

/// `handoff --config DIR/config review ARGS` on the store at `url`.
pub fn review(dir: &Path, url: &str, args: &[&str]) -> Output {
    let config_dir = dir.join("config");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(config_dir.join("local.toml"), portal_toml(dir)).unwrap();
    let mut cmd = cli::configured(dir);
    cmd.env("HANDOFF__STORE__URL", url);
    let mut all = vec!["--config", config_dir.to_str().unwrap(), "review"];
    all.extend_from_slice(args);
    cli::run(cmd, &all)
}

async fn the_review_command_writes_the_weeks_figures(engine: Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let url = seeded_review(engine, dir.path()).await;
    let out = review(dir.path(), &url, &["--week", WEEK, "--portal", "62515"]);
    assert!(out.status.success(), "{}", cli::stderr(&out));
    let path = dir.path().join(format!("review-62515-{WEEK}.html"));
    let printed = cli::stdout(&out);
    assert_eq!(
        Path::new(printed.trim()),
        path.canonicalize().unwrap(),
        "prints where it wrote"
    );
    let page = std::fs::read_to_string(&path).unwrap();
    let tile = |metric: &str| {
        let start = page.find(&format!("data-metric=\"{metric}\"")).unwrap();
        let value = &page[start..];
        let v = value.find("class=\"value\">").unwrap() + "class=\"value\">".len();
        value[v..v + value[v..].find('<').unwrap()].to_owned()
    };
    // Handoffs 1–4 of W49: 1 accepted of 3 with a disposition; 4 of 5 ready leads owned
    // (8 was ready, never handed off); touched after 10 min and 60 min; SLA met by 1 of 4
    // (2 untouched past due, 3 late, 4 reassigned and untouched past due); 1 escalation, 1
    // reassignment; one deal of 12,000 (webinar).
    for (metric, value) in [
        ("handoffs", "4"),
        ("acceptance", "33.3%"),
        ("coverage", "80.0%"),
        ("touch-p50", "10m 00s"),
        ("touch-p90", "1h 00m"),
        ("sla", "25.0%"),
        ("escalations", "1"),
        ("reassignments", "1"),
        ("pipeline-per-accepted", "12,000"),
        ("marketing-pipeline", "12,000"),
    ] {
        assert_eq!(tile(metric), value, "tile {metric}");
    }
    for text in [
        "week <strong>2026-W49</strong> (Mon 30 Nov \u{2013} Sun 6 Dec 2026, Europe/Berlin)",
        "trends from 2026-W38",
        // Lead 7, handed off on 22 November, is the one handoff of W47.
        "<td>2026-W47</td><td class=\"num\" title=\"1 of 1 ready leads have an owner\">100.0%</td>",
        // Reasons: competitor and timing, one each.
        "<td>competitor</td><td>disqualified</td><td class=\"num\">1</td><td class=\"num\">50.0%</td>",
        "<td>webinar</td><td class=\"num\">1</td><td class=\"num\">12,000</td>",
        // SLA misses: 201 holds 3 (late) and lost 4; 102 holds 2; 202 holds 4.
        "<td>201 (Amelia Clarke)</td><td class=\"num\">1</td><td class=\"num\">1</td>",
        "<td>102 (Lea Hofmann)</td><td class=\"num\">1</td><td class=\"num\">0</td>",
        // The loop of lead 4 is overdue with its new owner.
        "data-overdue=\"1\"",
        "fallbacks: <span class=\"na\" data-fallbacks=\"n/a\">",
        "data-tuning=\"n/a\"",
    ] {
        assert!(page.contains(text), "missing {text:?}");
    }
    // The pool picks come from the decisions' explanations: dach-ae (the demo contact's
    // route) picked 101, 102 and 201 (twice: leads 3 and 4); 201 is not one of its members.
    let ae = &page[page.find("data-pool=\"dach-ae\"").unwrap()..];
    let ae = &ae[..ae.find("</figure>").unwrap()];
    assert!(ae.contains("4 picks"), "{ae}");
    assert!(
        ae.contains("<td>201 (Amelia Clarke)</td><td class=\"num\">not a member</td>"),
        "{ae}"
    );
}

async fn bad_arguments_exit_2_and_write_nothing(engine: Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let url = seeded_review(engine, dir.path()).await;
    for (args, says) in [
        (
            vec!["--week", "2026-W54"],
            "\"2026-W54\" is not an ISO week",
        ),
        (vec!["--week", "49"], "\"49\" is not an ISO week"),
        (vec!["--weeks", "0"], "\"0\" is not a number of weeks"),
        (vec!["--weeks", "200"], "\"200\" is not a number of weeks"),
        (vec!["--portal", "999"], "portal 999 is not configured"),
        (vec!["--portal", "abc"], "invalid value 'abc'"),
        (
            vec!["--week", "2099-W01"],
            "week 2099-W01 has not started yet",
        ),
    ] {
        let mut all = args.clone();
        all.extend(["--out", "page.html"]);
        let out = review(dir.path(), &url, &all);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            cli::stderr(&out)
        );
        assert!(
            cli::stderr(&out).contains(says),
            "{args:?}: {}",
            cli::stderr(&out)
        );
        assert!(
            !dir.path().join("page.html").exists(),
            "{args:?} wrote the page"
        );
    }
    let files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".html") || n.ends_with(".tmp"))
        .collect();
    assert!(files.is_empty(), "{files:?}");
}

on_both_engines!(
    the_review_command_writes_the_weeks_figures,
    bad_arguments_exit_2_and_write_nothing
);

const TOKEN: &str = "admin-token-for-review-tests-0123";

#[tokio::test]
async fn the_admin_listener_serves_the_page_only_with_its_token() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/handoff.db", dir.path().display());
    let toml = portal_toml(dir.path());
    let app = spawn_app_in(
        dir.path(),
        &url,
        &toml,
        &[("HANDOFF__SERVER__ADMIN_TOKEN", TOKEN)],
    )
    .await;
    seed_review(&app.store, dir.path()).await;
    let path = format!("/review?week={WEEK}&weeks=4&portal=62515");
    let get = |path: &str, token: Option<&str>| {
        let mut request = app.client.get(app.admin_url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    for token in [None, Some("wrong-token-of-the-same-size-0123")] {
        let refused = get(&path, token).await.unwrap();
        assert_eq!(refused.status(), 401, "token {token:?}");
        let body = refused.text().await.unwrap();
        assert!(
            body.contains("\"unauthorized\"") && !body.contains("<html"),
            "{body}"
        );
    }
    let public = app
        .client
        .get(app.url(&path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 404, "never on the public listener");

    let ok = get(&path, Some(TOKEN)).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["content-type"], "text/html; charset=utf-8");
    assert!(
        ok.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
    let page = ok.text().await.unwrap();
    assert!(page.contains("data-metric=\"acceptance\""));
    assert!(page.contains("trends from 2026-W46"), "4 weeks");

    for (query, status, code) in [
        ("week=2026-W99", 422, "invalid_input"),
        ("weeks=x", 422, "invalid_input"),
        ("portal=999", 404, "portal_not_found"),
        ("portal=abc", 422, "invalid_id"),
        ("week=2099-W01", 422, "invalid_input"),
    ] {
        let resp = get(&format!("/review?{query}"), Some(TOKEN)).await.unwrap();
        assert_eq!(resp.status(), status, "{query}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["code"], code, "{query}: {body}");
    }
    // Without parameters: this week of the only portal (in progress, may be empty).
    let now = get("/review", Some(TOKEN)).await.unwrap();
    assert_eq!(now.status(), 200);
    app.stop().await;
}
