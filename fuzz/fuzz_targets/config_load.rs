//! The configuration loader (src/config) with arbitrary text as the admin's file: it returns a
//! loaded configuration or a report naming at least one problem, never panics, and never
//! prints the webhook secret it was given.
#![no_main]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use handoff::config::{ConfigSources, load};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "fuzz-webhook-secret-9d41c7";

/// One directory per process, rewritten on every input; the repository root as the working
/// directory, so the default `engine.examples_dir` (fixtures/contacts) resolves.
fn config_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        std::env::set_current_dir(&root).expect("the repository root");
        let dir = std::env::temp_dir().join(format!("handoff-fuzz-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let dir = config_dir();
    std::fs::write(dir.join("local.toml"), text).expect("writing the config file");
    let env = HashMap::from([
        (
            "HANDOFF__WEBHOOK__CLIENT_SECRET".to_owned(),
            SECRET.to_owned(),
        ),
        (
            "HANDOFF__WEBHOOK__PUBLIC_URL".to_owned(),
            "https://handoff.test/webhooks/hubspot".to_owned(),
        ),
    ]);
    let sources = ConfigSources {
        dir: Some(dir.clone()),
        env: Some(env),
    };
    match load(&sources) {
        Ok(loaded) => {
            let _ = format!("{loaded:?}");
        }
        Err(report) => {
            assert!(!report.problems.is_empty(), "a refusal without a reason");
            let shown = report.to_string();
            if !text.contains(SECRET) {
                assert!(!shown.contains(SECRET), "the secret leaked into: {shown}");
            }
        }
    }
});
