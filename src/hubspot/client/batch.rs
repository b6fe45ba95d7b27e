//! Batching: any number of inputs is deduplicated, split into chunks of at most the endpoint's
//! limit (100 for CRM object batches, HUBSPOT.md §3.2), sent a few chunks at a time, and every
//! caller input gets its own result — a record, a per-input error from a 207, or the error of the
//! request that carried it.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;

use std::fmt;
use std::str::FromStr;

use super::HubspotClient;
use super::budget::Priority;
use super::error::{HubspotError, ItemError};
use super::paths::Api;
use super::transport::Call;
use super::types::{BatchResponse, CrmObject, IdInput, PortalId, StandardError};
use super::validation::{RefusalCode, WriteRefusal};

/// CRM object batch limit: "limited to 100 records per request" (HUBSPOT.md §3.2).
pub const MAX_OBJECT_BATCH: usize = 100;

/// The outcome for one caller input.
#[derive(Debug, Clone)]
pub struct BatchItem<K, T> {
    /// The input's key (record id, or trace id for creates).
    pub key: K,
    /// Its result.
    pub result: Result<T, ItemError>,
}

/// Per-key results of one chunk.
pub(crate) type ChunkResults<K, T> = HashMap<K, Result<T, ItemError>>;

/// Splits `items` (deduplicated by key, order kept) into chunks of `max`, runs `send` on each with
/// the client's chunk concurrency, and maps results back onto every input, duplicates included.
pub(crate) async fn batched<I, K, T, F, Fut>(
    client: &HubspotClient,
    portal: PortalId,
    items: Vec<I>,
    key: fn(&I) -> K,
    max: usize,
    send: F,
) -> Vec<BatchItem<K, T>>
where
    I: Send + 'static,
    K: Clone + Eq + Hash + Send + 'static,
    T: Clone + Send + 'static,
    F: Fn(HubspotClient, Vec<I>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<ChunkResults<K, T>, HubspotError>> + Send + 'static,
{
    let order: Vec<K> = items.iter().map(key).collect();
    let mut seen = HashSet::new();
    let unique: Vec<I> = items.into_iter().filter(|i| seen.insert(key(i))).collect();
    let mut chunks: Vec<Vec<I>> = Vec::new();
    for item in unique {
        match chunks.last_mut() {
            Some(c) if c.len() < max.max(1) => c.push(item),
            _ => chunks.push(vec![item]),
        }
    }
    let permits = Arc::new(tokio::sync::Semaphore::new(client.inner.chunk_concurrency));
    let mut set = tokio::task::JoinSet::new();
    for chunk in chunks {
        let keys: Vec<K> = chunk.iter().map(key).collect();
        let (client, send, permits) = (client.clone(), send.clone(), permits.clone());
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            (keys, send(client, chunk).await)
        });
    }
    let mut all: ChunkResults<K, T> = HashMap::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((_, Ok(results))) => all.extend(results),
            Ok((keys, Err(e))) => {
                all.extend(
                    keys.into_iter()
                        .map(|k| (k, Err(ItemError::Request(e.clone())))),
                );
            }
            Err(join_error) => {
                tracing::error!(portal_id = portal.0, error = %join_error, "hubspot batch chunk task failed");
            }
        }
    }
    order
        .into_iter()
        .map(|k| {
            let result = all.get(&k).cloned().unwrap_or(Err(ItemError::Unconfirmed));
            BatchItem { key: k, result }
        })
        .collect()
}

/// Attributes a batch response to the chunk's keys: results by `result_key`, errors by the keys
/// their `context` names (`ids`, `objectWriteTraceId`). An error naming no known key is given to
/// the keys left without an outcome; keys with neither are `Unconfirmed`.
pub(crate) fn attribute<K: Clone + Eq + Hash, T>(
    keys: &[K],
    results: Vec<T>,
    errors: Vec<StandardError>,
    result_key: impl Fn(&T) -> Option<K>,
    parse_key: impl Fn(&str) -> Option<K>,
) -> ChunkResults<K, T> {
    let known: HashSet<&K> = keys.iter().collect();
    let mut out: ChunkResults<K, T> = HashMap::new();
    for r in results {
        if let Some(k) = result_key(&r).filter(|k| known.contains(k)) {
            out.insert(k, Ok(r));
        }
    }
    let mut unattributed: Option<StandardError> = None;
    for e in errors {
        let named: Vec<K> = ["ids", "objectWriteTraceId", "id"]
            .iter()
            .filter_map(|field| e.context.get(*field))
            .flatten()
            .filter_map(|s| parse_key(s))
            .filter(|k| known.contains(k))
            .collect();
        if named.is_empty() {
            unattributed.get_or_insert(e);
            continue;
        }
        for k in named {
            out.entry(k)
                .or_insert_with(|| Err(ItemError::from_standard(&e)));
        }
    }
    for k in keys {
        if !out.contains_key(k) {
            let outcome = match &unattributed {
                Some(e) => ItemError::from_standard(e),
                None => ItemError::Unconfirmed,
            };
            out.insert(k.clone(), Err(outcome));
        }
    }
    out
}

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

/// `POST …/objects/…/{object}/batch/read` for any number of ids (HUBSPOT.md §3.2: ≤ 100 per
/// request, per-id errors in a 207 on v3 or inside the 200 on 2026-09, no associations).
pub(crate) async fn read_objects<K>(
    client: &HubspotClient,
    portal: PortalId,
    object: &'static str,
    ids: &[K],
    properties: Vec<String>,
) -> Vec<BatchItem<K, CrmObject>>
where
    K: Copy + Eq + Hash + fmt::Display + FromStr + Send + Sync + 'static,
{
    let properties = Arc::new(properties);
    batched(client, portal, ids.to_vec(), |k| *k, MAX_OBJECT_BATCH, move |c, chunk: Vec<K>| {
        let properties = properties.clone();
        async move {
            // `propertiesWithHistory` is required by the batch-read schema of every version;
            // HubSpot answers without it, but `[]` is what the schema asks for (docs/hubspot.md).
            let body = serde_json::json!({
                "properties": &*properties,
                "propertiesWithHistory": [],
                "inputs": chunk.iter().map(|id| IdInput { id: id.to_string() }).collect::<Vec<_>>(),
            });
            let path = c.inner.path(Api::Objects, &format!("{object}/batch/read"));
            let call = Call::post(portal, path, &body, Priority::Read, true)?;
            let resp: BatchResponse<CrmObject> = c.inner.send(&call).await?;
            Ok(attribute(&chunk, resp.results, resp.errors, |r| r.id.parse().ok(), |s| {
                s.parse().ok()
            }))
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn err(category: &str, field: &str, ids: &[&str]) -> StandardError {
        let mut context = BTreeMap::new();
        context.insert(
            field.to_owned(),
            ids.iter().map(|s| s.to_string()).collect(),
        );
        StandardError {
            category: Some(category.into()),
            context,
            ..StandardError::default()
        }
    }

    #[test]
    fn results_and_partial_errors_map_back_to_keys() {
        let keys = [1u64, 2, 3, 4];
        let out = attribute(
            &keys,
            vec![1u64, 3],
            vec![
                err("OBJECT_NOT_FOUND", "ids", &["2"]),
                err("VALIDATION_ERROR", "objectWriteTraceId", &["4"]),
            ],
            |r| Some(*r),
            |s| s.parse().ok(),
        );
        assert!(matches!(out[&1], Ok(1)));
        assert!(matches!(out[&2], Err(ItemError::NotFound)));
        assert!(
            matches!(&out[&4], Err(ItemError::Rejected(e)) if e.category.as_deref() == Some("VALIDATION_ERROR"))
        );
        assert!(matches!(out[&3], Ok(3)));
    }

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
                    portal: PortalId(1),
                    detail: crate::hubspot::client::ErrorDetail {
                        status: Some(400),
                        refusal: Some(Box::new(refusal)),
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
            async { Err::<ChunkResults<u64, ()>, _>(HubspotError::local(PortalId(1), "x", "boom")) }
        };
        let out = isolate_refusals(vec![1u64, 2], |i| *i, |_, _| true, send).await;
        assert_eq!(sent.get(), 1);
        assert!(
            out.values()
                .all(|r| matches!(r, Err(ItemError::Request(_))))
        );
    }

    #[test]
    fn unattributed_errors_go_to_inputs_without_outcome_and_silence_is_unconfirmed() {
        let keys = [1u64, 2];
        let out = attribute(&keys, vec![1u64], vec![], |r| Some(*r), |s| s.parse().ok());
        assert!(matches!(out[&2], Err(ItemError::Unconfirmed)));
        let anon = StandardError {
            category: Some("VALIDATION_ERROR".into()),
            ..StandardError::default()
        };
        let out = attribute(
            &keys,
            vec![1u64],
            vec![anon],
            |r| Some(*r),
            |s| s.parse().ok(),
        );
        assert!(matches!(out[&2], Err(ItemError::Rejected(_))));
        assert!(matches!(out[&1], Ok(1)));
    }
}
