//! Batching: any number of inputs is deduplicated, split into chunks of at most the endpoint's
//! limit (100 for CRM object batches, docs/hubspot.md "Batch limits and partial failures"), sent a
//! few chunks at a time, and every caller input gets its own result — a record, a per-input error
//! from a 207, or the error of the request that carried it.

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

/// CRM object batch limit: 100 inputs (docs/hubspot.md "Batch limits and partial failures").
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
                tracing::error!(portal_id = portal.as_u64(), error = %join_error, "hubspot batch chunk task failed");
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

/// `POST …/objects/…/{object}/batch/read` for any number of ids (docs/hubspot.md "Batch limits and
/// partial failures": ≤ 100 per request, per-id errors in a 207 on v3 or inside the 200 on 2026-09,
/// no associations).
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
