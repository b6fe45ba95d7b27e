//! Tasks (docs/hubspot.md "Tasks"): batch create, each task associated with its contact in the same
//! call (`HUBSPOT_DEFINED` / 204 = task→contact) and carrying a unique `objectWriteTraceId` so 207
//! errors name the input they belong to; batch read of status, owner and due time.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use serde::Serialize;

use super::HubspotClient;
use super::batch::{BatchItem, ChunkResults, MAX_OBJECT_BATCH, attribute, batched, read_objects};
use super::budget::Priority;
use super::error::HubspotError;
use super::isolate::isolate_refusals;
use super::paths::Api;
use super::transport::Call;
use super::types::{BatchResponse, ContactId, CrmObject, OwnerId, PortalId, Properties, TaskId};

/// `TASK_TO_CONTACT` (docs/hubspot.md "Tasks").
const TASK_TO_CONTACT: u32 = 204;
const TASK_PROPERTIES: [&str; 4] = [
    "hs_task_status",
    "hs_timestamp",
    "hubspot_owner_id",
    "hs_task_subject",
];

/// A task to create for one contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    /// Unique per input; echoed in per-input errors. Keep it in the job to recognise the task on
    /// a retry. [`NewTask::new`] makes a UUIDv7.
    pub trace_id: String,
    /// The contact the task is about.
    pub contact_id: ContactId,
    /// `hubspot_owner_id` (an owner `id`, not a `userId`).
    pub owner_id: Option<OwnerId>,
    /// `hs_task_subject`.
    pub subject: String,
    /// `hs_task_body`.
    pub body: Option<String>,
    /// `hs_timestamp`, the due time (required by HubSpot).
    pub due_at: Timestamp,
    /// `hs_task_priority`: `LOW`, `MEDIUM` or `HIGH`.
    pub priority: Option<String>,
    /// `hs_task_type`: `EMAIL`, `CALL` or `TODO`.
    pub task_type: Option<String>,
    /// Any other properties.
    pub extra: BTreeMap<String, String>,
}

impl NewTask {
    /// A `NOT_STARTED` task with a fresh trace id.
    pub fn new(contact_id: ContactId, subject: impl Into<String>, due_at: Timestamp) -> Self {
        Self {
            trace_id: uuid::Uuid::now_v7().to_string(),
            contact_id,
            owner_id: None,
            subject: subject.into(),
            body: None,
            due_at,
            priority: None,
            task_type: None,
            extra: BTreeMap::new(),
        }
    }

    fn properties(&self) -> BTreeMap<String, String> {
        let mut p = self.extra.clone();
        p.insert(
            "hs_timestamp".into(),
            self.due_at.as_millisecond().to_string(),
        );
        p.insert("hs_task_subject".into(), self.subject.clone());
        p.entry("hs_task_status".into())
            .or_insert_with(|| "NOT_STARTED".into());
        let optional = [
            ("hubspot_owner_id", self.owner_id.map(|o| o.to_string())),
            ("hs_task_body", self.body.clone()),
            ("hs_task_priority", self.priority.clone()),
            ("hs_task_type", self.task_type.clone()),
        ];
        for (k, v) in optional {
            if let Some(v) = v {
                p.insert(k.into(), v);
            }
        }
        p
    }

    /// The `batch/create` input: the properties and the association to the contact.
    fn create_input(&self) -> CreateInput {
        CreateInput {
            properties: self.properties(),
            associations: vec![AssociationSpec {
                to: ToId {
                    id: self.contact_id.to_string(),
                },
                types: vec![AssociationType {
                    association_category: "HUBSPOT_DEFINED",
                    association_type_id: TASK_TO_CONTACT,
                }],
            }],
            object_write_trace_id: self.trace_id.clone(),
        }
    }

    /// Whether the task would be created without a value for `property`.
    fn lacks(&self, property: &str) -> bool {
        self.properties()
            .get(property)
            .is_none_or(|v| v.trim().is_empty())
    }

    /// What identifies the task among the results when HubSpot does not echo the trace id.
    fn fingerprint(&self) -> (String, Option<i64>, Option<OwnerId>) {
        (
            self.subject.clone(),
            Some(self.due_at.as_millisecond()),
            self.owner_id,
        )
    }
}

/// A task as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Record id.
    pub id: TaskId,
    /// `hs_task_status`, e.g. `NOT_STARTED`, `COMPLETED`.
    pub status: Option<String>,
    /// `hubspot_owner_id`.
    pub owner_id: Option<OwnerId>,
    /// `hs_timestamp`.
    pub due_at: Option<Timestamp>,
    /// `hs_task_subject`.
    pub subject: Option<String>,
    /// Every returned property.
    pub properties: Properties,
}

impl Task {
    fn from_object(id: TaskId, o: CrmObject) -> Self {
        Self {
            id,
            status: o.property("hs_task_status").map(str::to_owned),
            owner_id: o.property("hubspot_owner_id").and_then(|v| v.parse().ok()),
            due_at: o.property("hs_timestamp").and_then(parse_hs_timestamp),
            subject: o.property("hs_task_subject").map(str::to_owned),
            properties: o.properties,
        }
    }

    fn fingerprint(&self) -> (String, Option<i64>, Option<OwnerId>) {
        let subject = self.subject.clone().unwrap_or_default();
        (
            subject,
            self.due_at.map(|t| t.as_millisecond()),
            self.owner_id,
        )
    }
}

/// Created tasks with the trace id of the input each answers. Results that echo no trace id
/// are matched by content, and only when the match is unique — never by position
/// (docs/hubspot.md "Batch limits and partial failures"); one that matches no single input is
/// left out.
fn match_by_content(
    inputs: &[NewTask],
    results: Vec<(Option<String>, Task)>,
) -> Vec<(Option<String>, Task)> {
    let (mut echoed, silent): (Vec<_>, Vec<_>) =
        results.into_iter().partition(|(t, _)| t.is_some());
    let claimed: HashSet<String> = echoed.iter().filter_map(|(t, _)| t.clone()).collect();
    let mut inputs_by_print: HashMap<_, Vec<&NewTask>> = HashMap::new();
    for t in inputs.iter().filter(|t| !claimed.contains(&t.trace_id)) {
        inputs_by_print.entry(t.fingerprint()).or_default().push(t);
    }
    let mut results_by_print: HashMap<_, Vec<Task>> = HashMap::new();
    for (_, task) in silent {
        results_by_print
            .entry(task.fingerprint())
            .or_default()
            .push(task);
    }
    for (print, mut tasks) in results_by_print {
        if let (Some([input]), 1) = (inputs_by_print.get(&print).map(Vec::as_slice), tasks.len())
            && let Some(task) = tasks.pop()
        {
            echoed.push((Some(input.trace_id.clone()), task));
        }
    }
    echoed
}

/// `hs_timestamp` is Unix ms or UTC ISO-8601 (docs/hubspot.md "Tasks").
fn parse_hs_timestamp(v: &str) -> Option<Timestamp> {
    match v.trim().parse::<i64>() {
        Ok(ms) => Timestamp::from_millisecond(ms).ok(),
        Err(_) => v.trim().parse().ok(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateInput {
    properties: BTreeMap<String, String>,
    associations: Vec<AssociationSpec>,
    object_write_trace_id: String,
}

#[derive(Serialize)]
struct AssociationSpec {
    to: ToId,
    types: Vec<AssociationType>,
}

#[derive(Serialize)]
struct ToId {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AssociationType {
    association_category: &'static str,
    association_type_id: u32,
}

impl HubspotClient {
    /// Creates tasks in batches of 100, each associated with its contact; one result per input,
    /// keyed by trace id. Creates are not idempotent: after a timeout or 5xx they are *not*
    /// resent in place, and the error says `maybe_applied` (docs/architecture.md "Retries written
    /// by hand").
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64(), count = tasks.len()))]
    pub async fn create_tasks(
        &self,
        portal: PortalId,
        tasks: Vec<NewTask>,
    ) -> Vec<BatchItem<String, Task>> {
        batched(
            self,
            portal,
            tasks,
            |t| t.trace_id.clone(),
            MAX_OBJECT_BATCH,
            move |c, chunk| async move {
                let send = |part| {
                    let c = c.clone();
                    async move { c.create_chunk(portal, part).await }
                };
                Ok(isolate_refusals(chunk, |t| t.trace_id.clone(), NewTask::lacks, send).await)
            },
        )
        .await
    }

    async fn create_chunk(
        &self,
        portal: PortalId,
        chunk: Vec<NewTask>,
    ) -> Result<ChunkResults<String, Task>, HubspotError> {
        let inputs: Vec<CreateInput> = chunk.iter().map(NewTask::create_input).collect();
        let body = serde_json::json!({ "inputs": inputs });
        let path = self.inner.path(Api::Objects, "tasks/batch/create");
        let call = Call::post(portal, path, &body, Priority::Write, false)?;
        let resp: BatchResponse<CrmObject> = self.inner.send(&call).await?;
        let keys: Vec<String> = chunk.iter().map(|t| t.trace_id.clone()).collect();
        let mut results = Vec::new();
        for o in resp.results {
            let Ok(id) = o.id.parse::<TaskId>() else {
                continue;
            };
            results.push((o.object_write_trace_id.clone(), Task::from_object(id, o)));
        }
        let echoed = match_by_content(&chunk, results);
        let out = attribute(
            &keys,
            echoed,
            resp.errors,
            |(trace, _)| trace.clone(),
            |s| Some(s.to_owned()),
        );
        Ok(out
            .into_iter()
            .map(|(k, r)| (k, r.map(|(_, task)| task)))
            .collect())
    }

    /// Batch read of tasks (status, owner, due time, subject); one result per input id.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64(), count = ids.len()))]
    pub async fn batch_read_tasks(
        &self,
        portal: PortalId,
        ids: &[TaskId],
    ) -> Vec<BatchItem<TaskId, Task>> {
        let props = TASK_PROPERTIES.iter().map(|p| (*p).to_owned()).collect();
        read_objects(self, portal, "tasks", ids, props)
            .await
            .into_iter()
            .map(|i| BatchItem {
                key: i.key,
                result: i.result.map(|o| Task::from_object(i.key, o)),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hs_timestamp_accepts_ms_and_iso() {
        let a = parse_hs_timestamp("1572406217883").unwrap();
        let b = parse_hs_timestamp("2019-10-30T03:30:17.883Z").unwrap();
        assert_eq!(a, b);
        assert!(parse_hs_timestamp("tomorrow").is_none());
    }

    #[test]
    fn new_tasks_get_unique_trace_ids_and_required_properties() {
        let due = Timestamp::from_second(1_800_000_000).unwrap();
        let a = NewTask::new(ContactId::new(1).unwrap(), "Call", due);
        let b = NewTask::new(ContactId::new(1).unwrap(), "Call", due);
        assert_ne!(a.trace_id, b.trace_id);
        let p = a.properties();
        assert_eq!(p["hs_timestamp"], "1800000000000");
        assert_eq!(p["hs_task_status"], "NOT_STARTED");
    }

    fn created(id: u64, from: &NewTask) -> Task {
        Task {
            id: TaskId::new(id).unwrap(),
            status: Some("NOT_STARTED".into()),
            owner_id: from.owner_id,
            due_at: Some(from.due_at),
            subject: Some(from.subject.clone()),
            properties: Properties::new(),
        }
    }

    #[test]
    fn a_result_without_its_trace_id_is_matched_to_the_one_input_with_its_content() {
        let due = Timestamp::from_second(1_800_000_000).unwrap();
        let call = NewTask::new(ContactId::new(1).unwrap(), "Call", due);
        let email = NewTask::new(ContactId::new(2).unwrap(), "Email", due);
        let results = vec![
            (Some(call.trace_id.clone()), created(10, &call)),
            (None, created(11, &email)),
        ];
        let mut matched = match_by_content(&[call.clone(), email.clone()], results);
        matched.sort_by_key(|(_, t)| t.id.as_u64());
        let traces: Vec<_> = matched.iter().map(|(t, _)| t.clone()).collect();
        assert_eq!(traces, [Some(call.trace_id), Some(email.trace_id)]);
    }

    #[test]
    fn a_result_that_fits_two_inputs_is_matched_to_neither() {
        let due = Timestamp::from_second(1_800_000_000).unwrap();
        let a = NewTask::new(ContactId::new(1).unwrap(), "Call", due);
        let b = NewTask::new(ContactId::new(2).unwrap(), "Call", due);
        let matched = match_by_content(&[a.clone(), b], vec![(None, created(10, &a))]);
        assert!(matched.is_empty(), "{matched:?}");
    }
}
