//! A write chunk HubSpot refused as a whole for one input's missing required property
//! (docs/hubspot.md "Write validation"): the refused inputs are found and the others sent
//! again, so one input's refusal never costs the rest of its batch.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::Hash;

use super::batch::ChunkResults;
use super::error::{HubspotError, ItemError};
use super::validation::{RefusalCode, WriteRefusal};

/// What becomes of a part of a write chunk that HubSpot refused as a whole.
struct Split<I> {
    /// Inputs that get the refusal.
    refused: Vec<I>,
    /// Parts to send again.
    again: Vec<Vec<I>>,
}

/// Which inputs of `part` a whole-request refusal is about: those it names (by trace id or
/// record id); else those lacking a named property — refused outright for a property required
/// on every create, halved until each stands alone for a conditional rule (other values
/// decide it) or when no input lacks what HubSpot named. Inputs that have every named
/// property are sent again together.
fn split<I, K: fmt::Display>(
    part: Vec<I>,
    refusal: &WriteRefusal,
    key: &impl Fn(&I) -> K,
    lacks: &impl Fn(&I, &str) -> bool,
) -> Split<I> {
    let (refused, rest): (Vec<I>, Vec<I>) = part
        .into_iter()
        .partition(|i| refusal.inputs.contains(&key(i).to_string()));
    if !refused.is_empty() {
        return Split {
            refused,
            again: vec![rest],
        };
    }
    let (lacking, clean): (Vec<I>, Vec<I>) = rest
        .into_iter()
        .partition(|i| refusal.properties.iter().any(|p| lacks(i, p)));
    let (suspects, mut again) = if lacking.is_empty() {
        (clean, Vec::new())
    } else {
        (lacking, vec![clean])
    };
    let certain = refusal.code == RefusalCode::MissingRequired && again.len() == 1;
    if suspects.len() == 1 || certain {
        return Split {
            refused: suspects,
            again,
        };
    }
    let mut first = suspects;
    let second = first.split_off(first.len() / 2);
    again.extend([first, second]);
    Split {
        refused: Vec::new(),
        again,
    }
}

/// Sends a write chunk with `send`; when HubSpot refuses the whole request for a missing
/// required property instead of per input (docs/hubspot.md "Write validation": per-input
/// errors are expected inside a batch, whole-request 400s are the documented single-record
/// shape — unverified for batches), the refused inputs are found ([`split`]) and get that
/// error, and the others are sent again. Any other failure of a part is that part's inputs'.
pub(crate) async fn isolate_refusals<I, K, T, F, Fut>(
    chunk: Vec<I>,
    key: impl Fn(&I) -> K,
    lacks: impl Fn(&I, &str) -> bool,
    send: F,
) -> ChunkResults<K, T>
where
    I: Clone,
    K: Eq + Hash + fmt::Display,
    F: Fn(Vec<I>) -> Fut,
    Fut: Future<Output = Result<ChunkResults<K, T>, HubspotError>>,
{
    let mut out: ChunkResults<K, T> = HashMap::new();
    let mut queue = vec![chunk];
    while let Some(part) = queue.pop() {
        if part.is_empty() {
            continue;
        }
        let err = match send(part.clone()).await {
            Ok(results) => {
                out.extend(results);
                continue;
            }
            Err(err) => err,
        };
        let failed = |out: &mut ChunkResults<K, T>, inputs: Vec<I>| {
            out.extend(
                inputs
                    .iter()
                    .map(|i| (key(i), Err(ItemError::Request(err.clone())))),
            );
        };
        let Some(refusal) = err.refusal() else {
            failed(&mut out, part);
            continue;
        };
        let Split { refused, again } = split(part, &refusal, &key, &lacks);
        failed(&mut out, refused);
        queue.extend(again);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::types::PortalId;

    /// An input: its key, whether it has property `p`, whether HubSpot refuses it.
    type Input = (u64, bool, bool);

    /// A fake HubSpot that refuses a whole request when any input in it is refused, with
    /// `code` naming property `p` (and the input, when `name_input`); counts requests.
    async fn run(
        inputs: Vec<Input>,
        code: RefusalCode,
        name_input: bool,
    ) -> (ChunkResults<u64, ()>, usize) {
        let sent = std::cell::Cell::new(0);
        let send = |part: Vec<Input>| {
            sent.set(sent.get() + 1);
            let refused: Vec<String> = part
                .iter()
                .filter(|i| i.2)
                .map(|i| i.0.to_string())
                .collect();
            async move {
                let Some(first) = refused.first() else {
                    return Ok(part.iter().map(|i| (i.0, Ok(()))).collect());
                };
                let refusal = WriteRefusal {
                    code,
                    properties: vec!["p".into()],
                    message: "p is required".into(),
                    inputs: if name_input {
                        vec![first.clone()]
                    } else {
                        Vec::new()
                    },
                };
                Err(HubspotError::Permanent {
                    portal: PortalId::new(1).unwrap(),
                    detail: crate::client::ErrorDetail {
                        status: Some(400),
                        specifics: Some(Box::new(crate::client::error::ErrorSpecifics {
                            refusal: Some(refusal),
                            ..Default::default()
                        })),
                        ..Default::default()
                    },
                })
            }
        };
        let out = isolate_refusals(inputs, |i| i.0, |i, p| p == "p" && !i.1, send).await;
        (out, sent.get())
    }

    fn refused(out: &ChunkResults<u64, ()>) -> Vec<u64> {
        let mut ids: Vec<u64> = out
            .iter()
            .filter(|(_, r)| matches!(r, Err(e) if e.refusal().is_some()))
            .map(|(k, _)| *k)
            .collect();
        ids.sort_unstable();
        ids
    }

    #[tokio::test]
    async fn a_whole_batch_refusal_naming_its_input_refuses_that_input_and_sends_the_rest_again() {
        let inputs = vec![(1, true, false), (2, false, true), (3, true, false)];
        let (out, sent) = run(inputs, RefusalCode::MissingConditionalRequired, true).await;
        assert_eq!(refused(&out), [2]);
        assert!(matches!(out[&1], Ok(())) && matches!(out[&3], Ok(())));
        assert_eq!(sent, 2);
    }

    #[tokio::test]
    async fn a_property_required_on_create_refuses_every_input_without_it_at_once() {
        let inputs = vec![
            (1, false, true),
            (2, true, false),
            (3, false, true),
            (4, true, false),
        ];
        let (out, sent) = run(inputs, RefusalCode::MissingRequired, false).await;
        assert_eq!(refused(&out), [1, 3]);
        assert!(matches!(out[&2], Ok(())) && matches!(out[&4], Ok(())));
        assert_eq!(sent, 2, "the batch, then the inputs that have the property");
    }

    #[tokio::test]
    async fn a_conditional_refusal_is_narrowed_down_to_the_inputs_it_is_about() {
        // 1..=8 lack `p`; only 6 meets the rule's condition.
        let mut inputs: Vec<Input> = (1..=8).map(|k| (k, false, k == 6)).collect();
        inputs.push((9, true, false));
        let (out, sent) = run(inputs, RefusalCode::MissingConditionalRequired, false).await;
        assert_eq!(refused(&out), [6]);
        assert_eq!(out.len(), 9);
        assert_eq!(out.values().filter(|r| r.is_ok()).count(), 8);
        assert!(sent <= 9, "bisection, not one request per input: {sent}");
    }

    #[tokio::test]
    async fn any_other_failure_is_every_inputs_after_one_request() {
        let sent = std::cell::Cell::new(0);
        let send = |_part: Vec<u64>| {
            sent.set(sent.get() + 1);
            async {
                Err::<ChunkResults<u64, ()>, _>(HubspotError::local(
                    PortalId::new(1).unwrap(),
                    "x",
                    "boom",
                ))
            }
        };
        let out = isolate_refusals(vec![1u64, 2], |i| *i, |_, _| true, send).await;
        assert_eq!(sent.get(), 1);
        assert!(
            out.values()
                .all(|r| matches!(r, Err(ItemError::Request(_))))
        );
    }
}
