//! The control API's types and the operations behind them, as methods on [`Sandbox`] so tests
//! can call them directly: read contacts and tasks with everything the sandbox knows, create or
//! touch contacts and companies, archive and merge contacts, update tasks, and change faults and
//! limits at run time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::Sandbox;
use super::config::{FaultConfig, RateLimit};
use super::faults::Faults;
use super::journal::Change;
use super::routes::check_task_properties;
use super::state::{Crm, Kind, Record, check_writable, iso, now_ms};
use super::stats::Stats;

/// A contact with everything the sandbox knows (`GET /_sandbox/contacts/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactView {
    /// Its id (the primary's, when asked by a merged id).
    pub id: String,
    /// Every stored property.
    pub properties: BTreeMap<String, String>,
    /// Associated companies, primary first.
    pub company_ids: Vec<String>,
    /// Contacts merged into this one.
    pub merged_ids: Vec<String>,
    /// Archived (deleted).
    pub archived: bool,
    /// ISO-8601.
    pub created_at: String,
    /// ISO-8601.
    pub updated_at: String,
}

/// A task with its associations (`GET /_sandbox/tasks`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskView {
    /// Its id.
    pub id: String,
    /// Every stored property (`hs_timestamp` as ISO-8601).
    pub properties: BTreeMap<String, String>,
    /// Associated contacts.
    pub contact_ids: Vec<String>,
    /// The `objectWriteTraceId` it was created with.
    pub object_write_trace_id: Option<String>,
    /// Archived.
    pub archived: bool,
    /// ISO-8601.
    pub created_at: String,
    /// ISO-8601.
    pub updated_at: String,
}

/// `POST /_sandbox/contacts`: create (no or unknown `id`) or update; `""` clears a property.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContactInput {
    /// Contact to update, or the id to create it with; none = a fresh id.
    #[serde(default)]
    pub id: Option<String>,
    /// Properties to set.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// Makes this company the contact's primary company.
    #[serde(default)]
    pub company_id: Option<String>,
    /// `true`: the contact has no primary company (its companies linked unlabeled only), so
    /// its `associatedcompanyid` is empty; `false`: the first one is primary (as created).
    #[serde(default)]
    pub without_primary: Option<bool>,
}

/// `POST /_sandbox/companies`: create or update a company.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompanyInput {
    /// Company to update, or the id to create it with; none = a fresh id.
    #[serde(default)]
    pub id: Option<String>,
    /// Properties to set.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

/// `POST /_sandbox/contacts/merge`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct MergeInput {
    /// The contact HubSpot keeps.
    pub primary_id: String,
    /// The contact merged into it; its id resolves to the primary afterwards.
    pub merged_id: String,
}

/// Why a control operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// No such record (404).
    #[error("{0}")]
    NotFound(String),
    /// The input is invalid (400).
    #[error("{0}")]
    Invalid(String),
}

fn contact_view(crm: &Crm, rec: &Record) -> ContactView {
    ContactView {
        id: rec.id.to_string(),
        properties: rec.properties.clone(),
        company_ids: rec.links.iter().map(u64::to_string).collect(),
        merged_ids: crm.merged_into(rec.id).iter().map(u64::to_string).collect(),
        archived: rec.archived(),
        created_at: iso(rec.created_ms),
        updated_at: iso(rec.updated_ms),
    }
}

pub(crate) fn task_view(rec: &Record) -> TaskView {
    TaskView {
        id: rec.id.to_string(),
        properties: rec.properties.clone(),
        contact_ids: rec.links.iter().map(u64::to_string).collect(),
        object_write_trace_id: rec.trace_id.clone(),
        archived: rec.archived(),
        created_at: iso(rec.created_ms),
        updated_at: iso(rec.updated_ms),
    }
}

fn parse(id: &str) -> Result<u64, ControlError> {
    id.trim()
        .parse()
        .map_err(|_| ControlError::Invalid(format!("id `{id}` is not numeric")))
}

impl Sandbox {
    /// Counters since start or reset.
    pub fn stats(&self) -> Stats {
        self.gate().stats.clone()
    }

    /// `(owners, companies, contacts)` currently held.
    pub fn counts(&self) -> (usize, usize, usize) {
        let crm = self.crm();
        (
            crm.owners.len(),
            crm.table(Kind::Company).len(),
            crm.table(Kind::Contact).len(),
        )
    }

    /// A contact, archived or not; a merged id gives the contact it went into.
    pub fn contact(&self, id: u64) -> Option<ContactView> {
        let crm = self.crm();
        let id = crm.resolve(Kind::Contact, id);
        crm.table(Kind::Contact)
            .get(&id)
            .map(|r| contact_view(&crm, r))
    }

    /// Every task, or those associated with `contact` (after merges), oldest first.
    pub fn tasks(&self, contact: Option<u64>) -> Vec<TaskView> {
        let crm = self.crm();
        let contact = contact.map(|c| crm.resolve(Kind::Contact, c));
        crm.table(Kind::Task)
            .values()
            .filter(|t| contact.is_none_or(|c| t.links.contains(&c)))
            .map(task_view)
            .collect()
    }

    /// Creates or updates a contact; returns it and whether it was created.
    pub fn upsert_contact(&self, input: ContactInput) -> Result<(ContactView, bool), ControlError> {
        check_writable(Kind::Contact, &input.properties).map_err(ControlError::Invalid)?;
        let mut crm = self.crm();
        crm.check_owner(&input.properties)
            .map_err(ControlError::Invalid)?;
        let company = match input.company_id.as_deref().map(parse).transpose()? {
            Some(c) if crm.find(Kind::Company, c, false).is_none() => {
                return Err(ControlError::NotFound(format!("company {c} not found")));
            }
            other => other,
        };
        let now = now_ms();
        let id = match input.id.as_deref().map(parse).transpose()? {
            Some(id) => crm.resolve(Kind::Contact, id),
            None => crm.allocate(),
        };
        let created = crm.find_mut(Kind::Contact, id).is_none();
        let before = crm
            .find(Kind::Contact, id, false)
            .map(|r| r.properties.clone());
        if created {
            if crm.table(Kind::Contact).contains_key(&id) {
                return Err(ControlError::Invalid(format!("contact {id} is archived")));
            }
            crm.insert(Kind::Contact, Record::new(id, now));
        }
        let Some(rec) = crm.find_mut(Kind::Contact, id) else {
            return Err(ControlError::NotFound(format!("contact {id} not found")));
        };
        rec.set(input.properties, now);
        if let Some(c) = company {
            rec.links.retain(|l| *l != c);
            rec.links.insert(0, c);
        }
        if let Some(without) = input.without_primary {
            rec.no_primary = without;
        }
        let rec = rec.clone();
        let change = match &before {
            None => Change::Created(&rec.properties),
            Some(before) => Change::Updated {
                before,
                after: &rec.properties,
            },
        };
        self.journal_change(id, &change);
        Ok((contact_view(&crm, &rec), created))
    }

    /// Creates or updates a company; returns its id and whether it was created.
    pub fn upsert_company(&self, input: CompanyInput) -> Result<(String, bool), ControlError> {
        check_writable(Kind::Company, &input.properties).map_err(ControlError::Invalid)?;
        let mut crm = self.crm();
        crm.check_owner(&input.properties)
            .map_err(ControlError::Invalid)?;
        let now = now_ms();
        let id = match input.id.as_deref().map(parse).transpose()? {
            Some(id) => id,
            None => crm.allocate(),
        };
        let created = !crm.table(Kind::Company).contains_key(&id);
        if created {
            crm.insert(Kind::Company, Record::new(id, now));
        }
        if let Some(rec) = crm.table_mut(Kind::Company).get_mut(&id) {
            rec.set(input.properties, now);
        }
        Ok((id.to_string(), created))
    }

    /// Archives (deletes) a contact: reads then answer 404 unless `archived=true`.
    pub(crate) fn archive_contact(&self, id: u64) -> Result<(), ControlError> {
        let mut crm = self.crm();
        let rec = crm
            .find_mut(Kind::Contact, id)
            .ok_or_else(|| ControlError::NotFound(format!("contact {id} not found")))?;
        let now = now_ms();
        rec.archived_ms = Some(now);
        rec.updated_ms = now;
        let id = rec.id;
        self.journal_change(id, &Change::Deleted);
        Ok(())
    }

    /// Merges `merged` into `primary` as HubSpot does (see `Crm::merge`).
    pub(crate) fn merge_contacts(
        &self,
        primary: u64,
        merged: u64,
    ) -> Result<ContactView, ControlError> {
        let mut crm = self.crm();
        crm.merge(primary, merged, now_ms()).map_err(|why| {
            if why.ends_with("not found") {
                ControlError::NotFound(why)
            } else {
                ControlError::Invalid(why)
            }
        })?;
        let id = crm.resolve(Kind::Contact, primary);
        self.journal_change(id, &Change::Merged(merged));
        crm.table(Kind::Contact)
            .get(&id)
            .map(|r| contact_view(&crm, r))
            .ok_or_else(|| ControlError::NotFound(format!("contact {id} not found")))
    }

    /// Sets task properties (e.g. `hs_task_status: COMPLETED`, which also stamps
    /// `hs_task_completion_date`).
    pub fn update_task(
        &self,
        id: u64,
        mut properties: BTreeMap<String, String>,
    ) -> Result<TaskView, ControlError> {
        let mut crm = self.crm();
        check_task_properties(&crm, &mut properties).map_err(ControlError::Invalid)?;
        let rec = crm
            .find_mut(Kind::Task, id)
            .ok_or_else(|| ControlError::NotFound(format!("task {id} not found")))?;
        let now = now_ms();
        if properties.get("hs_task_status").map(String::as_str) == Some("COMPLETED") {
            properties
                .entry("hs_task_completion_date".into())
                .or_insert_with(|| iso(now));
        }
        rec.set(properties, now);
        Ok(task_view(rec))
    }

    /// The active faults.
    pub fn faults(&self) -> FaultConfig {
        self.gate().faults.config().clone()
    }

    /// Replaces the faults; a storm and `failNext` count from now.
    pub fn set_faults(&self, faults: FaultConfig) -> Result<(), ControlError> {
        faults.validate().map_err(ControlError::Invalid)?;
        self.gate().faults = Faults::new(faults, Instant::now());
        Ok(())
    }

    /// The active limits.
    pub fn rate_limit(&self) -> RateLimit {
        self.gate().limiter.config().clone()
    }

    /// Replaces the limits from the next request on.
    pub(crate) fn set_rate_limit(&self, limit: RateLimit) -> Result<(), ControlError> {
        limit.validate().map_err(ControlError::Invalid)?;
        self.gate().limiter.set(limit);
        Ok(())
    }

    /// Expires every issued OAuth access token (the next call with one gets 401).
    pub fn expire_tokens(&self) {
        self.gate().expire_issued(Instant::now());
    }
}
