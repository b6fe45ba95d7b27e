//! The admin's TOML files as text, before any typing: each must parse and hold no secret
//! inline, and every problem found later points at the line and column of its key.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::report::Problem;

/// Secret-bearing keys (`[]` for any index) and where their secret goes instead. Secrets come
/// only from the environment or files: a value written in a file would end up in version
/// control, backups and, through a syntax error's snippet, in logs.
const INLINE_SECRETS: [(&str, &str); 9] = [
    (
        "server.admin_token",
        "set HANDOFF__SERVER__ADMIN_TOKEN in the environment or point server.admin_token_file at a file holding it",
    ),
    (
        "webhook.client_secret",
        "set HANDOFF__WEBHOOK__CLIENT_SECRET in the environment or point webhook.client_secret_file at a file holding it",
    ),
    (
        "webhook.apps[].client_secret",
        "name the variable holding it with client_secret_env, or its file with client_secret_file",
    ),
    (
        "hubspot.token_key",
        "name the variable holding it with token_key_env, or its file with token_key_file",
    ),
    (
        "hubspot.portals[].auth.token",
        "name the variable holding it with token_env, or its file with token_file",
    ),
    (
        "hubspot.portals[].auth.client_secret",
        "name the variable holding it with client_secret_env, or its file with client_secret_file",
    ),
    (
        "hubspot.portals[].auth.refresh_token",
        "name the variable holding it with refresh_token_env, or its file with refresh_token_file",
    ),
    (
        "alerts.slack.bot_token",
        "name the variable holding it with bot_token_env, or its file with bot_token_file",
    ),
    (
        "alerts.slack.signing_secret",
        "name the variable holding it with signing_secret_env, or its file with signing_secret_file",
    ),
];

/// Checks one admin file on its own: it parses, and no secret is written in it. The message
/// names the key, never its value (the report is redacted as a whole too).
pub(super) fn check_file(origin: &str, text: &str, problems: &mut Vec<Problem>) {
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(err) => {
            let mut problem = Problem::new(Some(origin.to_owned()), "", syntax_message(&err));
            problem.at = err.span().map(|s| line_col(text, s.start));
            problems.push(problem);
            return;
        }
    };
    let mut keys = Vec::new();
    walk(root.get_ref(), "", &mut keys);
    keys.sort_by_key(|(_, span)| span.start);
    for (path, span) in keys {
        let generic = without_indexes(&path);
        if let Some((_, advice)) = INLINE_SECRETS.iter().find(|(k, _)| *k == generic) {
            let mut problem = Problem::new(
                Some(origin.to_owned()),
                &path,
                format!("a secret is never read from a configuration file: remove it and {advice}"),
            );
            problem.at = Some(line_col(text, span.start));
            problems.push(problem);
        }
    }
}

/// toml's own text is "TOML parse error at line L, column C", the source snippet with its
/// caret, then the reason: the position moves to the problem's `at`, the reason comes first.
fn syntax_message(err: &toml::de::Error) -> String {
    let text = err.to_string();
    let reason = err.message().trim();
    let snippet = text
        .split_once('\n')
        .map_or("", |(_, rest)| rest)
        .trim_end()
        .strip_suffix(reason)
        .unwrap_or_default()
        .trim_end();
    format!("TOML syntax error: {reason}\n{snippet}")
}

/// The 1-based line and column (in characters) of byte `offset`.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Where each key path of `text` is written: `(path, byte span of the key)`; array elements
/// (`hubspot.portals[1]`) with the span of the element.
pub(super) fn key_spans(text: &str) -> Vec<(String, Range<usize>)> {
    let mut out = Vec::new();
    if let Ok(root) = DeTable::parse(text) {
        walk(root.get_ref(), "", &mut out);
    }
    out
}

fn walk(table: &DeTable<'_>, prefix: &str, out: &mut Vec<(String, Range<usize>)>) {
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        out.push((path.clone(), key.span()));
        walk_value(value, &path, out);
    }
}

fn walk_value(value: &Spanned<DeValue<'_>>, path: &str, out: &mut Vec<(String, Range<usize>)>) {
    match value.get_ref() {
        DeValue::Table(table) => walk(table, path, out),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("{path}[{i}]");
                out.push((path.clone(), item.span()));
                walk_value(item, &path, out);
            }
        }
        _ => {}
    }
}

/// `hubspot.portals[2].auth.token` → `hubspot.portals[].auth.token`.
fn without_indexes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<Problem> {
        let mut out = Vec::new();
        check_file("local.toml", text, &mut out);
        out
    }

    #[test]
    fn every_secret_written_in_a_file_is_refused_by_key_and_position() {
        let text = "[server]\nadmin_token = \"CANARY-admin-0123456789\"\n\n\
                    [[hubspot.portals]]\nid = 1\nauth = { kind = \"oauth\", client_id = \"c\", refresh_token = \"CANARY-rt\" }\n\n\
                    [[webhook.apps]]\napp_id = 7\nclient_secret = \"CANARY-app\"\n";
        let found = problems(text);
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(found.len(), 3, "{shown:#?}");
        assert!(shown[0].starts_with("local.toml:2:1: server.admin_token: a secret is never read"));
        assert!(
            shown[0].contains("HANDOFF__SERVER__ADMIN_TOKEN"),
            "{}",
            shown[0]
        );
        assert!(shown[1].starts_with("local.toml:6:43: hubspot.portals[0].auth.refresh_token:"));
        assert!(shown[1].contains("refresh_token_env"), "{}", shown[1]);
        assert!(shown[2].starts_with("local.toml:10:1: webhook.apps[0].client_secret:"));
        assert!(shown.iter().all(|s| !s.contains("CANARY")), "{shown:#?}");
    }

    #[test]
    fn where_a_secret_is_is_not_a_secret() {
        let text = "[webhook]\nclient_secret_file = \"/run/secrets/s\"\n[server]\nadmin_token_file = \"/t\"\n";
        assert!(problems(text).is_empty());
    }

    #[test]
    fn a_syntax_error_gives_its_position_reason_and_snippet() {
        let found = problems("[webhook]\npath = \"/hook\" x\n");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].at, Some((2, 16)));
        let shown = found[0].to_string();
        assert!(
            shown.starts_with("local.toml:2:16: TOML syntax error: "),
            "{shown}"
        );
        assert!(shown.contains("2 | path = \"/hook\" x"), "{shown}");
    }

    #[test]
    fn key_paths_are_found_with_their_line_and_column() {
        let text =
            "[[playbook.scoring.fit]]\nid = \"a\"\n\n[[playbook.scoring.fit]]\n  whne = \"x\"\n";
        let spans = key_spans(text);
        let (_, span) = spans
            .iter()
            .find(|(p, _)| p == "playbook.scoring.fit[1].whne")
            .unwrap();
        assert_eq!(line_col(text, span.start), (5, 3));
    }
}
