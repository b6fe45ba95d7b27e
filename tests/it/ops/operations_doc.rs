//! docs/operations.md explains every error code and log message the source emits: this test
//! reads the source, so a new code or message without a runbook entry fails CI.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            // Unit tests (`tests.rs`, `tests/`, `*_tests.rs`) are not the source; judged
            // inside the repository, so a checkout under a folder named "tests" still counts.
            && !path
                .strip_prefix(root())
                .unwrap_or(&path)
                .to_string_lossy()
                .contains("tests")
        {
            out.push(path);
        }
    }
}

/// The text of the balanced `( ... )` starting at `open`, skipping string literals.
fn call_args(text: &str, open: usize) -> &str {
    let bytes = text.as_bytes();
    let (mut depth, mut i, mut in_str) = (0usize, open, false);
    while i < bytes.len() {
        match (bytes[i], in_str) {
            (b'\\', true) => i += 1,
            (b'"', _) => in_str = !in_str,
            (b'(', false) => depth += 1,
            (b')', false) => {
                depth -= 1;
                if depth == 0 {
                    return &text[open + 1..i];
                }
            }
            _ => {}
        }
        i += 1;
    }
    &text[open..]
}

fn literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut parts = text.split('"');
    parts.next();
    while let Some(inside) = parts.next() {
        out.push(inside.to_owned());
        parts.next();
    }
    out
}

/// The message of every `tracing` event: the last string literal of the macro call.
fn log_messages(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for mac in ["info!(", "warn!(", "error!(", "debug!("] {
        let mut from = 0;
        while let Some(at) = text[from..].find(mac) {
            let open = from + at + mac.len() - 1;
            if let Some(last) = literals(call_args(text, open)).pop() {
                out.push(last);
            }
            from = open + 1;
        }
    }
    out
}

/// String literals returned by the match arms of `fn <name>` bodies.
fn arm_codes(text: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut from = 0;
    let needle = format!("fn {name}(");
    while let Some(at) = text[from..].find(&needle) {
        let start = from + at;
        let body_start = start + text[start..].find('{').unwrap();
        let body_end = body_start + text[body_start..].find("\n    }").unwrap_or(0);
        for line in text[body_start..body_end].lines() {
            if let Some((_, rhs)) = line.split_once("=> \"") {
                out.push(rhs.split('"').next().unwrap().to_owned());
            }
        }
        from = body_end.max(start + 1);
    }
    out
}

fn doc() -> String {
    std::fs::read_to_string(root().join("docs/operations.md")).unwrap()
}

#[test]
fn every_log_message_in_the_source_has_a_runbook_entry() {
    let doc = doc();
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    rust_files(&root().join("crates"), &mut files);
    let mut missing = Vec::new();
    let mut seen = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for message in log_messages(&text) {
            seen += 1;
            if !doc.contains(&format!("`{message}`")) {
                missing.push(format!("{}: {message}", file.display()));
            }
        }
    }
    assert!(seen > 30, "the scan found only {seen} log messages");
    assert!(
        missing.is_empty(),
        "log messages without an entry in docs/operations.md:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_error_code_in_the_source_has_a_runbook_entry() {
    let doc = doc();
    let read = |rel: &str| std::fs::read_to_string(root().join(rel)).unwrap();
    let mut codes = Vec::new();
    for rel in [
        "crates/handoff-hubspot/src/signature.rs",
        "crates/handoff-hubspot/src/event.rs",
        "crates/handoff-hubspot/src/client/error.rs",
        // POST /slack/interactions answers with these codes.
        "crates/handoff-slack/src/signature.rs",
        "crates/handoff-slack/src/interaction.rs",
    ] {
        let text = read(rel);
        codes.extend(arm_codes(&text, "code"));
        codes.extend(arm_codes(&text, "as_str"));
        codes.extend(arm_codes(&text, "detail_code"));
    }
    // Every HTTP answer's code: the public listener's and the admin listener's.
    let mut routes = Vec::new();
    rust_files(&root().join("src/intake"), &mut routes);
    rust_files(&root().join("src/admin/http"), &mut routes);
    for file in routes {
        let text = std::fs::read_to_string(file).unwrap();
        let mut from = 0;
        while let Some(at) = text[from..].find("ApiError::new(") {
            let open = from + at + "ApiError::new".len();
            if let Some(code) = literals(call_args(&text, open)).first() {
                codes.push(code.clone());
            }
            from = open + 1;
        }
    }
    assert!(
        codes.len() > 30,
        "the scan found only {} codes: {codes:?}",
        codes.len()
    );
    let missing: Vec<_> = codes
        .iter()
        .filter(|c| !doc.contains(&format!("`{c}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "error codes without an entry in docs/operations.md: {missing:?}"
    );
}
