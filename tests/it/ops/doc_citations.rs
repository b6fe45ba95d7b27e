//! Citations ship with the code: every `docs/hubspot.md`, `docs/slack.md` or
//! `docs/architecture.md` citation in the sources, configuration, deployment files, scripts and
//! docs names a heading that exists,
//! and nothing cites the research notes the code was first written from, which are not in the
//! repository. Migrations are not scanned: sqlx checksums applied migrations, so their comments
//! stay as first written (docs/architecture.md "Docs that ship with the code").

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The documents whose headings code may cite.
const CITED_DOCS: [&str; 3] = ["docs/hubspot.md", "docs/slack.md", "docs/architecture.md"];

/// Text files under the scanned folders, plus the top-level files a reader opens first.
fn scanned_files() -> Vec<PathBuf> {
    let root = root();
    let mut out = Vec::new();
    for dir in [
        "src", "crates", "docs", "config", "deploy", "scripts", "tests", "benches", "fuzz",
    ] {
        walk(&root.join(dir), &mut out);
    }
    for file in [
        "README.md",
        "BENCHMARKS.md",
        "RELIABILITY.md",
        "Cargo.toml",
        "deny.toml",
    ] {
        out.push(root.join(file));
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !matches!(name, "target" | "corpus" | "artifacts" | ".git") {
                walk(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}

/// A file's text as one line, with comment markers and line breaks taken out, so a citation
/// wrapped over two comment lines reads as it would in prose.
fn flowing_text(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let line = line.trim_start();
        let line = ["//!", "///", "//", "#", "--"]
            .iter()
            .find_map(|marker| line.strip_prefix(marker))
            .unwrap_or(line);
        out.push_str(line.trim());
        out.push(' ');
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A heading or cited title compared without backticks and with single spaces.
fn normal(title: &str) -> String {
    title
        .replace('`', "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every `<doc> "Title"` (and `, "Another"` right after it) in `text`, per cited document.
fn citations(text: &str) -> Vec<(&'static str, String)> {
    let text = flowing_text(text);
    let mut out = Vec::new();
    for doc in CITED_DOCS {
        let mut rest = text.as_str();
        while let Some(at) = rest.find(doc) {
            rest = &rest[at + doc.len()..];
            let mut tail = rest;
            let mut first = true;
            loop {
                // `<doc> "Title"` has a space before the quote; `<doc>", "` in code does not.
                let t = if first {
                    tail.strip_prefix(' ')
                } else {
                    tail.trim_start().strip_prefix(',')
                };
                let Some(quoted) = t.map(str::trim_start).and_then(|t| t.strip_prefix('"')) else {
                    break;
                };
                let Some(end) = quoted.find('"') else {
                    break;
                };
                out.push((doc, normal(&quoted[..end])));
                tail = &quoted[end + 1..];
                first = false;
            }
        }
    }
    out
}

fn headings(doc: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(doc)).unwrap();
    let mut in_code = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            out.push(normal(line.trim_start_matches('#')));
        }
    }
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn every_cited_heading_of_the_docs_exists() {
    let known: BTreeMap<&str, BTreeSet<String>> = CITED_DOCS
        .iter()
        .map(|doc| (*doc, headings(doc).into_iter().collect()))
        .collect();
    let mut found = 0;
    let mut missing = Vec::new();
    for path in scanned_files() {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for (doc, title) in citations(&text) {
            found += 1;
            if !known[doc].contains(&title) {
                missing.push(format!("{}: {doc} \"{title}\"", relative(&path)));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "citations of headings that do not exist:\n{}",
        missing.join("\n")
    );
    // The scan itself works: the code cites these docs a few hundred times.
    assert!(found > 150, "only {found} citations found");
}

#[test]
fn the_cited_docs_have_unique_headings() {
    for doc in CITED_DOCS {
        let mut seen = BTreeSet::new();
        for heading in headings(doc) {
            assert!(
                seen.insert(heading.clone()),
                "{doc}: heading \"{heading}\" twice, so a citation of it is ambiguous"
            );
        }
    }
}

#[test]
fn nothing_cites_a_document_that_is_not_in_the_repository() {
    // Spelled in pieces so this file does not cite them itself.
    let gone: Vec<String> = [
        "HUBSPOT",
        "HUBSPOT-NEXT",
        "HUBSPOT-GOLIVE",
        "STACK",
        "STYLE",
        "SLACK",
    ]
    .iter()
    .map(|name| format!("{name}.md"))
    .collect();
    let section = '\u{a7}';
    let mut found = Vec::new();
    for path in scanned_files() {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            let cites_gone = gone.iter().any(|name| {
                line.match_indices(name.as_str()).any(|(at, _)| {
                    // The whole name, not the end of a longer one.
                    !line[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '-')
                })
            });
            // A bare section number (`(SIGN 2.4)`) pointed into those notes; RFCs and issues
            // have sections of their own.
            let bare_section = line.match_indices(section).any(|(at, s)| {
                line[at + s.len()..].starts_with(|c: char| c.is_ascii_digit())
                    && !line.contains("RFC")
                    && !line.contains("issue #")
            });
            if cites_gone || bare_section {
                found.push(format!("{}:{}: {}", relative(&path), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "cite docs/hubspot.md, docs/slack.md or docs/architecture.md by heading instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_citation_wrapped_over_comment_lines_is_read_whole() {
    let text = "//! the target URL (docs/hubspot.md \"The target URL\n//! handoff checks\"), and\n\
                /// see docs/architecture.md \"Habits\", \"The pipe\".";
    assert_eq!(
        citations(text),
        vec![
            (
                "docs/hubspot.md",
                "The target URL handoff checks".to_owned()
            ),
            ("docs/architecture.md", "Habits".to_owned()),
            ("docs/architecture.md", "The pipe".to_owned()),
        ]
    );
}
