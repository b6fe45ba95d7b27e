//! Injected Slack failures, a list of rules each for one method (or all): a 429 with
//! `Retry-After`, an `{"ok": false, "error": code}` answer, an HTTP 5xx, or slowness — for the
//! next `times` matching calls, for `for_ms` from when set, or until cleared. Rules are checked in
//! order under the Slack state's lock, so the same call sequence meets the same faults.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// The methods the stand-in plays (docs/slack.md "Web API methods").
pub(crate) const METHODS: [&str; 4] = [
    "users.lookupByEmail",
    "conversations.open",
    "chat.postMessage",
    "chat.update",
];

/// One injected fault (`PUT /_sandbox/slack/faults`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackFault {
    /// The method it hits (`chat.postMessage`); absent = every method.
    #[serde(default)]
    pub method: Option<String>,
    /// What the call gets.
    pub answer: SlackAnswer,
    /// Only the next N matching calls; 0 = no count limit.
    #[serde(default)]
    pub times: u32,
    /// Only for this long from when the fault is set; 0 = until cleared.
    #[serde(default)]
    pub for_ms: u64,
}

/// What a faulted call gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SlackAnswer {
    /// HTTP 429, `Retry-After: retry_after_s`, body `{"ok": false, "error": "ratelimited"}`.
    RateLimited {
        /// The header's seconds.
        retry_after_s: u64,
    },
    /// HTTP 200 `{"ok": false, "error": code}`.
    Error {
        /// Slack's error code, e.g. `internal_error`, `invalid_auth`.
        code: String,
    },
    /// An HTTP 5xx with an empty body.
    Status {
        /// 500 ..= 599.
        status: u16,
    },
    /// The call is answered normally, this much later.
    Slow {
        /// The delay.
        latency_ms: u64,
    },
}

impl SlackFault {
    /// Rejects an unknown method, a non-5xx status and an error code Slack could not send.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(m) = &self.method
            && !METHODS.contains(&m.as_str())
        {
            return Err(format!("method {m:?} is not one of {METHODS:?}"));
        }
        match &self.answer {
            SlackAnswer::Status { status } if !(500..=599).contains(status) => {
                Err(format!("status {status} is not a 5xx"))
            }
            SlackAnswer::Error { code }
                if code.is_empty()
                    || !code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') =>
            {
                Err(format!("error code {code:?} is not snake_case"))
            }
            _ => Ok(()),
        }
    }
}

/// What the faults decide for one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// Wait this long first.
    pub(crate) delay: Duration,
    /// Answer this instead of the method (never `Slow`).
    pub(crate) answer: Option<SlackAnswer>,
}

#[derive(Debug, Clone)]
struct Active {
    fault: SlackFault,
    left: Option<u32>,
    until: Option<Instant>,
}

/// The active rules.
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults(Vec<Active>);

impl Faults {
    /// Activates `faults` at `now`.
    pub(crate) fn new(faults: Vec<SlackFault>, now: Instant) -> Self {
        Self(
            faults
                .into_iter()
                .map(|fault| Active {
                    left: (fault.times > 0).then_some(fault.times),
                    until: (fault.for_ms > 0).then(|| now + Duration::from_millis(fault.for_ms)),
                    fault,
                })
                .collect(),
        )
    }

    /// The rules still in force, `times` as calls left and `for_ms` as time left.
    pub(crate) fn view(&self, now: Instant) -> Vec<SlackFault> {
        self.0
            .iter()
            .filter(|a| a.live(now))
            .map(|a| SlackFault {
                times: a.left.unwrap_or(0),
                for_ms: a.until.map_or(0, |u| {
                    u64::try_from((u - now).as_millis())
                        .unwrap_or(u64::MAX)
                        .max(1)
                }),
                ..a.fault.clone()
            })
            .collect()
    }

    /// The verdict for one call of `method` at `now`: every live `Slow` rule adds its delay, the
    /// first live other rule answers; each rule that applied spends one of its `times`.
    pub(crate) fn decide(&mut self, method: &str, now: Instant) -> Verdict {
        let mut verdict = Verdict::default();
        for a in &mut self.0 {
            if !a.live(now) || a.fault.method.as_deref().is_some_and(|m| m != method) {
                continue;
            }
            match &a.fault.answer {
                SlackAnswer::Slow { latency_ms } => {
                    verdict.delay += Duration::from_millis(*latency_ms);
                }
                _ if verdict.answer.is_some() => continue,
                other => verdict.answer = Some(other.clone()),
            }
            if let Some(left) = &mut a.left {
                *left -= 1;
            }
        }
        verdict
    }
}

impl Active {
    fn live(&self, now: Instant) -> bool {
        self.left != Some(0) && self.until.is_none_or(|u| now < u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(method: Option<&str>, answer: SlackAnswer, times: u32, for_ms: u64) -> SlackFault {
        SlackFault {
            method: method.map(str::to_owned),
            answer,
            times,
            for_ms,
        }
    }

    #[test]
    fn a_counted_fault_hits_only_its_method_and_only_n_times() {
        let now = Instant::now();
        let limited = SlackAnswer::RateLimited { retry_after_s: 3 };
        let mut f = Faults::new(
            vec![fault(Some("chat.postMessage"), limited.clone(), 2, 0)],
            now,
        );
        assert_eq!(f.decide("chat.update", now).answer, None);
        assert_eq!(
            f.decide("chat.postMessage", now).answer,
            Some(limited.clone())
        );
        assert_eq!(f.decide("chat.postMessage", now).answer, Some(limited));
        assert_eq!(f.decide("chat.postMessage", now).answer, None);
        assert!(f.view(now).is_empty(), "spent rules are gone");
    }

    #[test]
    fn a_timed_fault_ends_when_its_period_does() {
        let now = Instant::now();
        let down = SlackAnswer::Status { status: 503 };
        let mut f = Faults::new(vec![fault(None, down.clone(), 0, 1_000)], now);
        let later = now + Duration::from_millis(999);
        assert_eq!(f.decide("users.lookupByEmail", later).answer, Some(down));
        assert_eq!(f.view(later)[0].for_ms, 1);
        let after = now + Duration::from_millis(1_000);
        assert_eq!(f.decide("users.lookupByEmail", after).answer, None);
    }

    #[test]
    fn slowness_adds_up_and_the_first_answer_wins() {
        let now = Instant::now();
        let slow = |ms| SlackAnswer::Slow { latency_ms: ms };
        let err = |code: &str| SlackAnswer::Error { code: code.into() };
        let mut f = Faults::new(
            vec![
                fault(None, slow(100), 0, 0),
                fault(None, err("internal_error"), 1, 0),
                fault(None, slow(50), 0, 0),
                fault(None, err("fatal_error"), 1, 0),
            ],
            now,
        );
        let first = f.decide("chat.update", now);
        assert_eq!(first.delay, Duration::from_millis(150));
        assert_eq!(first.answer, Some(err("internal_error")));
        assert_eq!(
            f.decide("chat.update", now).answer,
            Some(err("fatal_error"))
        );
    }

    #[test]
    fn faults_read_as_json_and_bad_ones_are_refused() {
        let f: SlackFault = serde_json::from_str(
            r#"{"method":"chat.postMessage","answer":{"kind":"rate_limited","retry_after_s":7},"times":1}"#,
        )
        .unwrap();
        assert_eq!(f.answer, SlackAnswer::RateLimited { retry_after_s: 7 });
        assert_eq!(f.validate(), Ok(()));
        for bad in [
            r#"{"method":"chat.delete","answer":{"kind":"status","status":500}}"#,
            r#"{"answer":{"kind":"status","status":404}}"#,
            r#"{"answer":{"kind":"error","code":"Bad Code"}}"#,
        ] {
            let f: SlackFault = serde_json::from_str(bad).unwrap();
            assert!(f.validate().is_err(), "{bad}");
        }
        let typo = r#"{"answer":{"kind":"slow","latency":5}}"#;
        assert!(serde_json::from_str::<SlackFault>(typo).is_err());
    }
}
