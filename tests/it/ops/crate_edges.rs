//! The workspace's crate edges are the pipe's (docs/architecture.md "Crates"): each crate's
//! normal dependencies, as Cargo resolves them for that crate alone, hold none of what the
//! crate must not reach. A stray dependency fails here before it fails in review.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Every package in `cargo tree -p <krate> <extra>` (transitively, no dev-dependencies).
fn dependencies(krate: &str, extra: &[&str]) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args([
            "tree",
            "--offline",
            "--locked",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .args(["-p", krate])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree -p {krate}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deps: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    assert!(
        deps.contains(krate),
        "{krate} not in its own tree: {deps:?}"
    );
    deps
}

fn assert_none_of(krate: &str, forbidden: &[&str]) {
    let deps = dependencies(krate, &[]);
    let found: Vec<_> = forbidden.iter().filter(|f| deps.contains(**f)).collect();
    assert!(found.is_empty(), "{krate} depends on {found:?}");
}

#[test]
fn the_engine_depends_on_no_runtime_store_or_http_crate() {
    assert_none_of(
        "handoff-engine",
        &[
            "tokio",
            "sqlx",
            "reqwest",
            "hyper",
            "axum",
            "handoff",
            "handoff-hubspot",
        ],
    );
}

#[test]
fn the_hubspot_crate_knows_no_store_engine_or_service() {
    assert_none_of(
        "handoff-hubspot",
        &[
            "sqlx",
            "handoff",
            "handoff-engine",
            "handoff-sandbox",
            "axum",
        ],
    );
}

#[test]
fn the_slack_crate_knows_no_store_engine_sandbox_hubspot_or_server() {
    assert_none_of(
        "handoff-slack",
        &[
            "handoff",
            "handoff-engine",
            "handoff-sandbox",
            "handoff-hubspot",
            "sqlx",
            "axum",
        ],
    );
}

#[test]
fn the_sandbox_imports_nothing_of_the_service_not_even_the_crm_client() {
    assert_none_of(
        "handoff-sandbox",
        &[
            "handoff",
            "handoff-hubspot",
            "handoff-engine",
            "handoff-slack",
            "sqlx",
        ],
    );
}

/// The release image's build: without the `demo` feature the service carries no sandbox.
#[test]
fn the_service_without_the_demo_feature_carries_no_sandbox() {
    let lean = dependencies("handoff", &["--no-default-features"]);
    assert!(lean.contains("handoff-engine") && lean.contains("handoff-hubspot"));
    assert!(!lean.contains("handoff-sandbox"), "{lean:?}");
    assert!(dependencies("handoff", &[]).contains("handoff-sandbox"));
}
