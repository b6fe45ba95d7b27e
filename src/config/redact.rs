//! No secret value in any configuration error. Secrets come only from the environment or
//! files, but an admin may still type one into a TOML file, and a syntax error on that line
//! would print it in the parser's source snippet. So every problem is redacted before anyone
//! sees it, twice: by line (any `<secret key> = value`, even in TOML too broken to parse, and
//! the password of any `scheme://user:password@` URL) and by value (whatever a secret key is
//! given in any file, and the values of `HANDOFF__…` secret variables). A value is masked with
//! as many `*` as it has characters, so a snippet's caret still points at the right column.

/// Values shorter than this are masked by line only: replacing "ab" everywhere would garble
/// the messages more than it protects.
const MIN_VALUE_CHARS: usize = 4;

/// Whether a key named `name` (dotted or quoted) holds a secret. Names ending in `_env` or
/// `_file` hold where a secret is, not the secret.
pub(crate) fn is_secret_name(name: &str) -> bool {
    let name = name.trim().trim_matches(['"', '\'']).to_ascii_lowercase();
    let name = name.rsplit(['.', '"', '\'']).next().unwrap_or_default();
    if ["_env", "_file", "_ms", "_id", "_pct"]
        .iter()
        .any(|s| name.ends_with(s))
    {
        return false;
    }
    ["secret", "password", "passwd"]
        .iter()
        .any(|s| name.contains(s))
        || name.ends_with("token")
        || name.ends_with("_key")
        || name == "key"
}

/// One secret value on a line: its character range, and the quote of a multi-line string
/// (`"""` or `'''`) still open at the end of the line.
struct Span {
    start: usize,
    end: usize,
    open_multiline: Option<char>,
}

/// The values of secret keys on one line of TOML (or of an error quoting one).
fn secret_spans(chars: &[char]) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let assignment = chars[i] == '='
            && chars.get(i + 1) != Some(&'=')
            && !matches!(
                i.checked_sub(1).map(|j| chars[j]),
                Some('=' | '!' | '<' | '>')
            );
        if assignment && is_secret_name(&key_before(&chars[..i])) {
            let span = value_span(chars, i + 1);
            i = span.end.max(i + 1);
            spans.push(span);
        } else {
            i += 1;
        }
    }
    spans
}

fn key_before(chars: &[char]) -> String {
    let end = chars
        .iter()
        .rposition(|c| !c.is_whitespace())
        .map_or(0, |p| p + 1);
    let start = chars[..end]
        .iter()
        .rposition(|c| !(c.is_alphanumeric() || "_-.\"'".contains(*c)))
        .map_or(0, |p| p + 1);
    chars[start..end].iter().collect()
}

/// A quoted value runs to its closing quote, or to the end of the line when it has none; a
/// bare one (already a syntax error) to the next `,`, `}` or `#`.
fn value_span(chars: &[char], from: usize) -> Span {
    let len = chars.len();
    let start = (from..len)
        .find(|&j| !chars[j].is_whitespace())
        .unwrap_or(len);
    let Some(&quote) = chars.get(start).filter(|c| **c == '"' || **c == '\'') else {
        let end = (start..len)
            .find(|&j| matches!(chars[j], ',' | '}' | '#'))
            .unwrap_or(len);
        let end = (start..end)
            .rev()
            .find(|&j| !chars[j].is_whitespace())
            .map_or(start, |j| j + 1);
        return Span {
            start,
            end,
            open_multiline: None,
        };
    };
    let triple = chars[start..].starts_with(&[quote; 3]);
    let content = start + if triple { 3 } else { 1 };
    let mut j = content;
    while j < len {
        if quote == '"' && chars[j] == '\\' {
            j += 2;
            continue;
        }
        if chars[j] == quote && (!triple || chars[j..].starts_with(&[quote; 3])) {
            return Span {
                start: content,
                end: j,
                open_multiline: None,
            };
        }
        j += 1;
    }
    Span {
        start: content,
        end: len,
        open_multiline: triple.then_some(quote),
    }
}

/// Masks the password of every `scheme://user:password@host` on the line.
fn mask_url_passwords(chars: &mut [char]) {
    let mut i = 0;
    while i + 3 <= chars.len() {
        if chars[i..].starts_with(&[':', '/', '/']) {
            let authority = i + 3;
            let end = (authority..chars.len())
                .find(|&j| chars[j] == '/' || chars[j] == '"' || chars[j].is_whitespace())
                .unwrap_or(chars.len());
            if let Some(at) = (authority..end).rev().find(|&j| chars[j] == '@')
                && let Some(colon) = (authority..at).find(|&j| chars[j] == ':')
            {
                chars[colon + 1..at].fill('*');
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
}

/// One line with every secret value on it masked.
pub(super) fn redact_line(line: &str) -> String {
    let mut chars: Vec<char> = line.chars().collect();
    for span in secret_spans(&chars) {
        chars[span.start..span.end].fill('*');
    }
    mask_url_passwords(&mut chars);
    chars.into_iter().collect()
}

/// The secret values known in one load, to be masked wherever they show up.
#[derive(Default)]
pub(super) struct Redactor {
    values: Vec<String>,
}

impl Redactor {
    /// Every value a secret key has in `text`, read line by line (so a file that does not
    /// parse is covered too), with each line of a multi-line string.
    pub(super) fn add_source(&mut self, text: &str) {
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let chars: Vec<char> = line.chars().collect();
            for span in secret_spans(&chars) {
                self.add(chars[span.start..span.end].iter().collect());
                let Some(quote) = span.open_multiline else {
                    continue;
                };
                let close: String = [quote; 3].iter().collect();
                for next in lines.by_ref() {
                    let (value, closed) = match next.find(&close) {
                        Some(at) => (&next[..at], true),
                        None => (next, false),
                    };
                    self.add(value.trim().to_owned());
                    if closed {
                        break;
                    }
                }
            }
        }
    }

    /// The values of secret `HANDOFF__…` variables and the password of any URL among them.
    pub(super) fn add_env<'a>(&mut self, vars: impl Iterator<Item = (&'a str, &'a str)>) {
        for (name, value) in vars.filter(|(n, _)| n.starts_with("HANDOFF__")) {
            if is_secret_name(name.rsplit("__").next().unwrap_or_default()) {
                self.add(value.trim().to_owned());
            }
            let mut chars: Vec<char> = value.chars().collect();
            mask_url_passwords(&mut chars);
            let masked: String = chars.iter().collect();
            if masked != value
                && let Some(password) = value.split_once("://").and_then(|(_, rest)| {
                    let userinfo = rest.split('/').next()?.rsplit_once('@')?.0;
                    Some(userinfo.split_once(':')?.1)
                })
            {
                self.add(password.to_owned());
            }
        }
    }

    fn add(&mut self, value: String) {
        if value.chars().count() >= MIN_VALUE_CHARS && !self.values.contains(&value) {
            self.values.push(value);
        }
    }

    /// `text` with every secret masked, by line and by value.
    pub(super) fn apply(&self, text: &str) -> String {
        let mut out: String = text
            .split('\n')
            .map(redact_line)
            .collect::<Vec<_>>()
            .join("\n");
        let mut values: Vec<&String> = self.values.iter().collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        for value in values {
            out = out.replace(value.as_str(), &"*".repeat(value.chars().count()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_told_from_the_names_of_where_a_secret_is() {
        for name in [
            "client_secret",
            "admin_token",
            "token",
            "refresh_token",
            "token_key",
            "\"client_secret\"",
            "webhook.client_secret",
            "password",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "client_secret_env",
            "client_secret_file",
            "admin_token_file",
            "token_key_env",
            "token_refresh_skew_ms",
            "client_id",
            "public_url",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn a_broken_line_keeps_its_shape_but_not_its_secret() {
        let cases = [
            (
                r#"client_secret = "CANARY-1" x"#,
                r#"client_secret = "********" x"#,
            ),
            (
                r#"3 | admin_token = "CANARY-2"#,
                r#"3 | admin_token = "********"#,
            ),
            (
                r#"auth = { kind = "oauth", client_secret = 'CANARY-3', client_id = "c" }"#,
                r#"auth = { kind = "oauth", client_secret = '********', client_id = "c" }"#,
            ),
            (
                r#"webhook.client_secret = CANARY-4 # bare"#,
                r#"webhook.client_secret = ******** # bare"#,
            ),
            (
                r#"token = "a\"CANARY-5" , tier = 1"#,
                r#"token = "***********" , tier = 1"#,
            ),
            (
                r#"url = "postgres://u:CANARY-6@db/handoff"#,
                r#"url = "postgres://u:********@db/handoff"#,
            ),
        ];
        for (line, want) in cases {
            assert_eq!(redact_line(line), want);
        }
        let untouched = r#"client_secret_env = "HUBSPOT_SECRET" # when = "a == b""#;
        assert_eq!(redact_line(untouched), untouched);
    }

    #[test]
    fn the_shipped_defaults_hold_no_secret_value_to_mask() {
        let mut r = Redactor::default();
        r.add_source(crate::config::DEFAULT_TOML);
        assert_eq!(r.values, Vec::<String>::new());
    }

    #[test]
    fn values_are_masked_wherever_they_appear_even_in_multi_line_strings() {
        let mut r = Redactor::default();
        r.add_source("[server]\nadmin_token = \"\"\"\nCANARY-ML-1\nCANARY-ML-2\"\"\"\n");
        r.add_env(
            [
                ("HANDOFF__WEBHOOK__CLIENT_SECRET", "CANARY-ENV"),
                ("HANDOFF__STORE__URL", "postgres://u:CANARY-PW@db/x"),
                ("HANDOFF__WEBHOOK__PUBLIC_URL", "https://example.com/hook"),
            ]
            .into_iter(),
        );
        let text = r.apply(
            "2 | CANARY-ML-1\nCANARY-ML-2, CANARY-ENV and CANARY-PW; https://example.com/hook",
        );
        for canary in ["CANARY-ML-1", "CANARY-ML-2", "CANARY-ENV", "CANARY-PW"] {
            assert!(!text.contains(canary), "{canary} in {text}");
        }
        assert!(text.contains("https://example.com/hook"), "{text}");
    }
}
