//! What a failed Slack call leads to, on the alerts lane's own schedule: a 429 (or the budget's
//! own wait) is retried when Slack says; an outage or a refused token is retried with backoff;
//! a refusal that cannot change (a channel that does not exist, blocks Slack will not take) is
//! given up at once. Every alert is given up, with its reason, after [`MAX_TRIES`] failed
//! tries or once it is [`GIVE_UP_AFTER_MS`] old: an alert that late is news no more, and the
//! HubSpot task still stands.

use handoff_slack::client::SlackError;

use crate::store::queue::backoff_ms;

/// Tries (of one alert or click job) before a failing Slack is given up on.
pub(super) const MAX_TRIES: i64 = 10;
/// An alert not sent within two hours of its claim is given up.
pub(super) const GIVE_UP_AFTER_MS: i64 = 2 * 60 * 60 * 1000;

/// What to do after a failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Next {
    /// Try again at this time (ms).
    RetryAt(i64),
    /// Stop, with this reason (Slack's error code, or handoff's).
    GiveUp(String),
}

/// After `err` on try `tries` of work claimed at `claimed_at_ms`.
pub(super) fn after(err: &SlackError, tries: i64, claimed_at_ms: i64, now_ms: i64) -> Next {
    let code = err.code().to_owned();
    if now_ms - claimed_at_ms >= GIVE_UP_AFTER_MS {
        return Next::GiveUp(code);
    }
    match err {
        SlackError::RateLimited { retry_after, .. } => {
            Next::RetryAt(now_ms + (retry_after.as_millis() as i64).max(1_000))
        }
        SlackError::Transient { .. } | SlackError::Auth { .. } if tries < MAX_TRIES => {
            // Full jitter is not needed here: Slack's budget already spaces the calls.
            Next::RetryAt(now_ms + backoff_ms(tries, 30_000, 15 * 60_000, 1.0))
        }
        _ => Next::GiveUp(code),
    }
}

/// Whether a failed `chat.postMessage` may have posted all the same: the request may have
/// reached Slack and its answer was lost, or Slack said it failed part-way. Such a post is not
/// sent again (it has no idempotency key; docs/slack.md "Web API methods").
pub(super) fn maybe_posted(err: &SlackError) -> bool {
    match err {
        SlackError::Transient { code } => !matches!(
            code.as_str(),
            "connect" | "service_unavailable" | "http_502" | "http_503" | "http_504"
        ),
        SlackError::Permanent { code } => code == "unexpected_response",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use handoff_slack::client::Method;

    use super::*;

    const NOW: i64 = 10_000_000;

    fn transient(code: &str) -> SlackError {
        SlackError::Transient { code: code.into() }
    }

    #[test]
    fn a_429_is_retried_when_slack_says_whatever_the_tries() {
        let err = SlackError::RateLimited {
            method: Method::PostMessage,
            retry_after: Duration::from_secs(30),
        };
        assert_eq!(after(&err, 50, NOW, NOW), Next::RetryAt(NOW + 30_000));
    }

    #[test]
    fn an_outage_backs_off_then_gives_up_with_its_code() {
        let err = transient("http_503");
        let Next::RetryAt(first) = after(&err, 1, NOW, NOW) else {
            panic!("the first failure is retried");
        };
        let Next::RetryAt(later) = after(&err, 5, NOW, NOW) else {
            panic!("the fifth failure is retried");
        };
        assert!(first - NOW >= 15_000 && later > first, "{first} {later}");
        assert!(later - NOW <= 15 * 60_000);
        assert_eq!(
            after(&err, MAX_TRIES, NOW, NOW),
            Next::GiveUp("http_503".into())
        );
    }

    #[test]
    fn a_refusal_that_cannot_change_is_given_up_at_once() {
        let err = SlackError::Permanent {
            code: "channel_not_found".into(),
        };
        assert_eq!(
            after(&err, 1, NOW, NOW),
            Next::GiveUp("channel_not_found".into())
        );
    }

    #[test]
    fn an_alert_two_hours_late_is_given_up_even_when_slack_asks_to_wait() {
        let err = SlackError::RateLimited {
            method: Method::PostMessage,
            retry_after: Duration::from_secs(1),
        };
        let claimed = NOW - GIVE_UP_AFTER_MS;
        assert_eq!(
            after(&err, 1, claimed, NOW),
            Next::GiveUp("ratelimited".into())
        );
    }

    #[test]
    fn only_a_post_slack_may_have_taken_is_never_sent_again() {
        for code in [
            "timeout",
            "request_failed",
            "fatal_error",
            "unreadable_response",
        ] {
            assert!(maybe_posted(&transient(code)), "{code}");
        }
        for code in ["connect", "service_unavailable", "http_503"] {
            assert!(!maybe_posted(&transient(code)), "{code}");
        }
        let refused = SlackError::Permanent {
            code: "invalid_blocks".into(),
        };
        assert!(!maybe_posted(&refused));
    }
}
