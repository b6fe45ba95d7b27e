//! The closed set of Slack failures (docs/slack.md "Errors and how handoff classes them"), the
//! shape of the HubSpot client's: the service's alert lane matches on the class to retry, give
//! up with a reason, fall back to a channel, or pause the workspace. Codes are Slack's own
//! `error` strings (or handoff's for transport failures) and never carry the token, the e-mail
//! asked for, or a response body.

use std::time::Duration;

use super::Method;

/// Why a Slack call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackError {
    /// The bot token is missing, invalid, revoked, or lacks a scope: no call will succeed until
    /// an admin acts (reinstall, new token).
    #[error("Slack refused the bot token ({code}){}", needed_text(.needed))]
    Auth {
        /// `not_authed`, `invalid_auth`, `account_inactive`, `token_revoked`, `missing_scope`.
        code: String,
        /// For `missing_scope`: the scope Slack says is needed.
        needed: Option<String>,
    },
    /// Over Slack's limit (a 429) or handoff's own budget: retry after `retry_after`.
    #[error("{method} is rate-limited; retry after {} s", .retry_after.as_secs())]
    RateLimited {
        /// Which method is paused.
        method: Method,
        /// How long to wait: Slack's `Retry-After`, or the budget's own wait.
        retry_after: Duration,
    },
    /// No usable Slack user: the alert goes to the manager or the channel instead.
    #[error("no usable Slack user ({code})")]
    NoUser {
        /// `users_not_found`, `user_not_found`, `user_disabled`, or handoff's `user_deleted`.
        code: String,
    },
    /// The request cannot succeed as sent (`channel_not_found`, `not_in_channel`,
    /// `invalid_blocks`, another 4xx …).
    #[error("Slack refused the call ({code})")]
    Permanent {
        /// Slack's `error`, or `http_<status>`, or `unexpected_response`.
        code: String,
    },
    /// Slack or the network failed; a retry may succeed. After `fatal_error` a post may have
    /// gone out: check before posting again (docs/slack.md "Errors and how handoff classes
    /// them").
    #[error("Slack call failed for now ({code})")]
    Transient {
        /// Slack's `error`, `http_<status>`, `timeout`, `connect`, `request_failed` or
        /// `unreadable_response`.
        code: String,
    },
}

fn needed_text(needed: &Option<String>) -> String {
    needed
        .as_ref()
        .map(|n| format!("; needs scope {n}"))
        .unwrap_or_default()
}

impl SlackError {
    /// Stable code for logs (`error.code`) and metrics.
    pub fn code(&self) -> &str {
        match self {
            Self::Auth { code, .. }
            | Self::NoUser { code }
            | Self::Permanent { code }
            | Self::Transient { code } => code,
            Self::RateLimited { .. } => "ratelimited",
        }
    }

    /// The class as a stable name: `auth`, `rate_limited`, `no_user`, `permanent`, `transient`.
    pub fn class(&self) -> &'static str {
        match self {
            Self::Auth { .. } => "auth",
            Self::RateLimited { .. } => "rate_limited",
            Self::NoUser { .. } => "no_user",
            Self::Permanent { .. } => "permanent",
            Self::Transient { .. } => "transient",
        }
    }
}

/// The class of an `{"ok": false, "error": code}` answer. `ratelimited` is handled before, with
/// the response's `Retry-After`.
pub(crate) fn classify(code: &str, needed: Option<&str>) -> SlackError {
    let code = sanitize(code);
    match code.as_str() {
        "not_authed" | "invalid_auth" | "account_inactive" | "token_revoked" | "missing_scope" => {
            SlackError::Auth {
                code,
                needed: needed.map(sanitize),
            }
        }
        "users_not_found" | "user_not_found" | "user_disabled" => SlackError::NoUser { code },
        "internal_error" | "service_unavailable" | "request_timeout" | "fatal_error" => {
            SlackError::Transient { code }
        }
        _ => SlackError::Permanent { code },
    }
}

/// Slack's codes are short `snake_case`; anything else from the wire is not repeated.
fn sanitize(code: &str) -> String {
    let ok = (1..=64).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.:-".contains(&b));
    if ok {
        code.to_owned()
    } else {
        "unrecognised_error".to_owned()
    }
}

/// `Retry-After` as whole seconds (docs/slack.md "Rate limits"); without a usable one, a
/// minute (Slack's windows are per minute). Clamped to 1 s ..= 1 h.
pub(crate) fn retry_after(header: Option<&str>) -> Duration {
    let secs = header
        .and_then(|h| h.trim().parse::<u64>().ok())
        .unwrap_or(60);
    Duration::from_secs(secs.clamp(1, 3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slacks_error_codes_fall_into_the_closed_set() {
        for (code, class) in [
            ("not_authed", "auth"),
            ("invalid_auth", "auth"),
            ("account_inactive", "auth"),
            ("token_revoked", "auth"),
            ("missing_scope", "auth"),
            ("users_not_found", "no_user"),
            ("user_not_found", "no_user"),
            ("user_disabled", "no_user"),
            ("channel_not_found", "permanent"),
            ("not_in_channel", "permanent"),
            ("invalid_blocks", "permanent"),
            ("msg_too_long", "permanent"),
            ("internal_error", "transient"),
            ("service_unavailable", "transient"),
            ("request_timeout", "transient"),
            ("fatal_error", "transient"),
        ] {
            let err = classify(code, None);
            assert_eq!((err.class(), err.code()), (class, code));
        }
    }

    #[test]
    fn a_missing_scope_names_the_scope_and_odd_codes_are_not_repeated() {
        let err = classify("missing_scope", Some("chat:write"));
        assert_eq!(
            err.to_string(),
            "Slack refused the bot token (missing_scope); needs scope chat:write"
        );
        let odd = classify("<script>alert(1)</script>", None);
        assert_eq!(odd.code(), "unrecognised_error");
        assert_eq!(classify(&"a".repeat(65), None).code(), "unrecognised_error");
    }

    #[test]
    fn retry_after_is_whole_seconds_with_a_minute_when_unusable() {
        assert_eq!(retry_after(Some("7")), Duration::from_secs(7));
        assert_eq!(retry_after(Some(" 30 ")), Duration::from_secs(30));
        assert_eq!(retry_after(Some("0")), Duration::from_secs(1));
        assert_eq!(retry_after(Some("999999")), Duration::from_secs(3600));
        for bad in [None, Some(""), Some("soon"), Some("1.5"), Some("-3")] {
            assert_eq!(retry_after(bad), Duration::from_secs(60), "{bad:?}");
        }
    }
}
