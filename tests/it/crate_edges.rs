//! The workspace's crate edges are the pipe's (docs/architecture.md "Crates"): each crate's
//! normal dependencies, as Cargo resolves them for that crate alone, hold none of what the
//! crate must not reach. A stray dependency fails here before it fails in review.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Every package `crate` pulls in for its own build (transitively, no dev-dependencies).
fn dependencies(krate: &str) -> BTreeSet<String> {
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
            "-p",
        ])
        .arg(krate)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree -p {krate}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

fn assert_none_of(krate: &str, forbidden: &[&str]) {
    let deps = dependencies(krate);
    assert!(
        deps.contains(krate),
        "{krate} not in its own tree: {deps:?}"
    );
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
