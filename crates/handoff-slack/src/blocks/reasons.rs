//! The playbook's disposition reasons as the **Not a fit** select's options, checked once (where
//! the service loads its configuration) against what an option can carry (docs/slack.md "Block
//! Kit limits"): at most 100, each value at most 75 characters and unique, so the value a click
//! returns is always the reason that was offered.

use serde_json::{Value, json};

use super::limits;
use super::plain;
use crate::mrkdwn::{clip, units};

/// One reason: the value the click returns, and the label the rep reads.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reason {
    value: String,
    label: String,
}

/// The **Not a fit** options, in the playbook's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DispositionReasons(Vec<Reason>);

/// Why a list of reasons cannot be offered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReasonsError {
    /// More than a select holds.
    #[error("{count} disposition reasons; a Slack select holds at most {max}")]
    TooMany {
        /// How many were given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A value that is empty, longer than an option's value may be, or not plain text.
    #[error(
        "disposition reason {index}: the value must be 1 to {max} characters of plain text \
         (Slack's option value limit)"
    )]
    BadValue {
        /// Its position, from 0.
        index: usize,
        /// The limit.
        max: usize,
    },
    /// The same value twice: a click could not say which was meant.
    #[error("disposition reason {index} repeats the value {value:?}")]
    Duplicate {
        /// The second one's position, from 0.
        index: usize,
        /// The value.
        value: String,
    },
}

impl DispositionReasons {
    /// `(value, label)` pairs; an empty label shows the value. Labels longer than an option's
    /// text are cut (the value, which the click returns, never is).
    pub fn new<V, L>(pairs: impl IntoIterator<Item = (V, L)>) -> Result<Self, ReasonsError>
    where
        V: Into<String>,
        L: Into<String>,
    {
        let mut out: Vec<Reason> = Vec::new();
        for (index, (value, label)) in pairs.into_iter().enumerate() {
            let (value, label) = (value.into(), label.into());
            if index >= limits::OPTIONS {
                return Err(ReasonsError::TooMany {
                    count: index + 1,
                    max: limits::OPTIONS,
                });
            }
            let plain_text = !value.chars().any(char::is_control);
            if value.is_empty() || units(&value) > limits::OPTION_VALUE || !plain_text {
                return Err(ReasonsError::BadValue {
                    index,
                    max: limits::OPTION_VALUE,
                });
            }
            if out.iter().any(|r| r.value == value) {
                return Err(ReasonsError::Duplicate { index, value });
            }
            let label = if label.trim().is_empty() {
                value.clone()
            } else {
                label
            };
            out.push(Reason { value, label });
        }
        Ok(Self(out))
    }

    /// No reasons: the alert has no **Not a fit** select.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The label of the reason with this value, for the "acted" line.
    pub fn label_of(&self, value: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|r| r.value == value)
            .map(|r| r.label.as_str())
    }

    /// The select's `options`.
    pub(crate) fn options(&self) -> Vec<Value> {
        self.0
            .iter()
            .map(|r| {
                json!({
                    "text": plain(&r.label, limits::OPTION_TEXT),
                    "value": clip(&r.value, limits::OPTION_VALUE),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_keep_their_values_and_order_and_cut_long_labels() {
        let long = "x".repeat(200);
        let r = DispositionReasons::new([
            ("wrong_territory", "Wrong territory"),
            ("existing_customer", ""),
            ("student", long.as_str()),
        ])
        .unwrap();
        let options = r.options();
        assert_eq!(options[0]["value"], "wrong_territory");
        assert_eq!(options[0]["text"]["text"], "Wrong territory");
        assert_eq!(options[1]["text"]["text"], "existing_customer");
        let label = options[2]["text"]["text"].as_str().unwrap();
        assert_eq!(label.chars().count(), 75);
        assert!(label.ends_with('…'));
        assert_eq!(r.label_of("wrong_territory"), Some("Wrong territory"));
        assert_eq!(r.label_of("nope"), None);
    }

    #[test]
    fn reasons_an_option_cannot_carry_are_refused_with_their_position() {
        let too_long = "v".repeat(76);
        assert_eq!(
            DispositionReasons::new([("ok", "Ok"), (too_long.as_str(), "Long")]),
            Err(ReasonsError::BadValue { index: 1, max: 75 })
        );
        assert!(DispositionReasons::new([("", "Empty")]).is_err());
        assert!(DispositionReasons::new([("a\tb", "Tab")]).is_err());
        assert_eq!(
            DispositionReasons::new([("a", "A"), ("a", "Again")]),
            Err(ReasonsError::Duplicate {
                index: 1,
                value: "a".into()
            })
        );
        let hundred: Vec<(String, String)> = (0..100)
            .map(|i| (format!("r{i}"), format!("R{i}")))
            .collect();
        assert!(DispositionReasons::new(hundred.clone()).is_ok());
        let mut too_many = hundred;
        too_many.push(("r100".into(), "R100".into()));
        assert_eq!(
            DispositionReasons::new(too_many),
            Err(ReasonsError::TooMany {
                count: 101,
                max: 100
            })
        );
    }
}
