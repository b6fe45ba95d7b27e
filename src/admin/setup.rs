//! `handoff portal setup --portal ID [--dry-run]`: creates what handoff writes into a portal
//! that is not there yet — the `handoff` contact property group and the write-back properties
//! of `[pipeline.write_back]` (`write_back.rs`) — and nothing else. Idempotent: everything is
//! read first, a 409 counts as present, and a property that exists with a type handoff cannot
//! write is reported as a conflict and left alone. Whether HubSpot answers an existing group
//! with 409 and how it attributes per-input failures of a batch create are unverified
//! (docs/hubspot.md "Properties and groups"), so after any refused create the thing is read
//! again and reported as what HubSpot then holds.

use std::fmt::Write as _;

use serde::Serialize;

use super::AdminError;
use super::write_back::{self, GROUP, GROUP_LABEL, WriteBackProperty};
use crate::config::LoadedConfig;
use crate::hubspot::client::{
    BatchResponse, Created, HubspotClient, HubspotError, NewProperty, NewPropertyGroup, PortalId,
    PropertyDef, PropertyObject,
};
use crate::store::Store;

const CONTACTS: PropertyObject = PropertyObject::Contacts;

/// What setup did (or, in a dry run, would do) with one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SetupStatus {
    Created,
    Present,
    /// Dry run: would be created.
    Planned,
    /// Exists with a type handoff cannot write; left unchanged.
    Conflict,
    /// Could not be read or created.
    Failed,
}

impl SetupStatus {
    fn word(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Present => "present",
            Self::Planned => "create",
            Self::Conflict => "conflict",
            Self::Failed => "failed",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetupItem {
    /// e.g. `group handoff`, `property handoff_score (score)`.
    pub what: String,
    pub status: SetupStatus,
    pub detail: String,
}

/// The report of one portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetupReport {
    pub portal_id: u64,
    pub dry_run: bool,
    pub items: Vec<SetupItem>,
}

impl SetupReport {
    /// A conflict or failure: the command exits non-zero.
    pub fn has_problems(&self) -> bool {
        self.items
            .iter()
            .any(|i| matches!(i.status, SetupStatus::Conflict | SetupStatus::Failed))
    }
}

fn item(what: String, status: SetupStatus, detail: impl Into<String>) -> SetupItem {
    SetupItem {
        what,
        status,
        detail: detail.into(),
    }
}

/// Sets `portal` up for `props` (from [`write_back::properties`]).
pub async fn portal_setup(
    client: &HubspotClient,
    portal: PortalId,
    props: &[WriteBackProperty],
    dry_run: bool,
) -> SetupReport {
    let mut items = Vec::new();
    if props.iter().any(|p| p.create.is_some()) {
        items.push(group(client, portal, dry_run).await);
    }
    let mut missing: Vec<(&WriteBackProperty, &NewProperty)> = Vec::new();
    for p in props {
        let what = format!("property {} ({})", p.name, p.role);
        match client.property(portal, CONTACTS, &p.name).await {
            Ok(Some(def)) => items.push(existing(what, p, &def)),
            Ok(None) => match &p.create {
                None => items.push(item(
                    what,
                    SetupStatus::Failed,
                    "HubSpot's own property is missing: check pipeline.write_back.owner",
                )),
                Some(_) if dry_run => items.push(item(what, SetupStatus::Planned, p.shape())),
                Some(new) => missing.push((p, new)),
            },
            Err(e) => items.push(item(what, SetupStatus::Failed, failure(&e))),
        }
    }
    if !missing.is_empty() {
        items.extend(create(client, portal, &missing).await);
    }
    SetupReport {
        portal_id: portal.as_u64(),
        dry_run,
        items,
    }
}

/// A property that exists: present when its shape fits the role, else a conflict left alone.
fn existing(what: String, p: &WriteBackProperty, def: &PropertyDef) -> SetupItem {
    match p.compatible(def) {
        Ok(()) => item(
            what,
            SetupStatus::Present,
            format!("{}/{}", def.kind, def.field_type),
        ),
        Err(why) => item(
            what,
            SetupStatus::Conflict,
            format!("{why}; left unchanged"),
        ),
    }
}

fn failure(e: &HubspotError) -> String {
    match e.missing_scopes() {
        [] => e.to_string(),
        scopes => format!("{e} (missing scope {})", scopes.join(", ")),
    }
}

async fn group(client: &HubspotClient, portal: PortalId, dry_run: bool) -> SetupItem {
    let what = format!("group {GROUP} (contacts)");
    match client.property_group(portal, CONTACTS, GROUP).await {
        Ok(Some(_)) => return item(what, SetupStatus::Present, ""),
        Ok(None) if dry_run => return item(what, SetupStatus::Planned, "property group"),
        Ok(None) => {}
        Err(e) => return item(what, SetupStatus::Failed, failure(&e)),
    }
    let new = NewPropertyGroup {
        name: GROUP.into(),
        label: GROUP_LABEL.into(),
        display_order: -1,
    };
    match client.create_property_group(portal, CONTACTS, &new).await {
        Ok(Created::Created(_)) => item(what, SetupStatus::Created, "property group"),
        Ok(Created::AlreadyExists) => item(what, SetupStatus::Present, "HubSpot answered 409"),
        // Refused for another reason: it may exist all the same (unverified answer).
        Err(e) => match client.property_group(portal, CONTACTS, GROUP).await {
            Ok(Some(_)) => item(what, SetupStatus::Present, ""),
            _ => item(what, SetupStatus::Failed, failure(&e)),
        },
    }
}

/// One batch create of the missing properties; whatever did not come back created is read
/// again and reported as what it now is.
async fn create(
    client: &HubspotClient,
    portal: PortalId,
    missing: &[(&WriteBackProperty, &NewProperty)],
) -> Vec<SetupItem> {
    let inputs: Vec<NewProperty> = missing.iter().map(|(_, n)| (*n).clone()).collect();
    let answer = client.create_properties(portal, CONTACTS, &inputs).await;
    let (created, errors) = created_and_refused(&answer);
    let mut out = Vec::new();
    for (p, new) in missing {
        let what = format!("property {} ({})", p.name, p.role);
        if created.contains(&p.name) {
            out.push(item(
                what,
                SetupStatus::Created,
                format!("{}/{}", new.kind, new.field_type),
            ));
            continue;
        }
        let said = errors
            .iter()
            .find(|e| e.contains(&p.name))
            .or(errors.first())
            .cloned()
            .unwrap_or_else(|| "HubSpot returned no result for it".into());
        out.push(match client.property(portal, CONTACTS, &p.name).await {
            Ok(Some(def)) => existing(what, p, &def),
            Ok(None) => item(what, SetupStatus::Failed, said.trim().to_owned()),
            Err(e) => item(what, SetupStatus::Failed, failure(&e)),
        });
    }
    out
}

/// The names a batch create answered as created, and what it said about the rest.
fn created_and_refused(
    answer: &Result<BatchResponse<PropertyDef>, HubspotError>,
) -> (Vec<String>, Vec<String>) {
    match answer {
        Ok(r) => (
            r.results.iter().map(|d| d.name.clone()).collect(),
            r.errors
                .iter()
                .map(|e| {
                    let names = e.context.values().flatten().cloned().collect::<Vec<_>>();
                    format!(
                        "{} {}",
                        names.join(","),
                        e.message.clone().unwrap_or_default()
                    )
                })
                .collect(),
        ),
        Err(e) => (Vec::new(), vec![failure(e)]),
    }
}

/// The report as text: one line per item.
pub fn render_setup(report: &SetupReport) -> String {
    let mut out = format!(
        "portal {}: {}\n",
        report.portal_id,
        if report.dry_run {
            "setup plan (dry run: nothing written)"
        } else {
            "setup"
        }
    );
    for i in &report.items {
        let _ = write!(out, "  {:<9} {}", i.status.word(), i.what);
        if !i.detail.is_empty() {
            let _ = write!(out, ": {}", i.detail);
        }
        out.push('\n');
    }
    let count = |s: SetupStatus| report.items.iter().filter(|i| i.status == s).count();
    let _ = write!(
        out,
        "{} created, {} present, {} to create, {} conflict, {} failed",
        count(SetupStatus::Created),
        count(SetupStatus::Present),
        count(SetupStatus::Planned),
        count(SetupStatus::Conflict),
        count(SetupStatus::Failed),
    );
    out
}

/// The write-back properties of a loaded configuration.
pub fn planned_properties(loaded: &LoadedConfig) -> Vec<WriteBackProperty> {
    write_back::properties(&loaded.settings.pipeline.write_back, &loaded.playbook)
}

/// `handoff portal setup`: opens the store if there is one (OAuth tokens live there) and a
/// client, sets the portal up; the report as text and whether it had no conflict or failure.
pub async fn command(
    loaded: &LoadedConfig,
    portal: i64,
    dry_run: bool,
) -> Result<(String, bool), AdminError> {
    // The store only keeps OAuth tokens here: without one yet, they stay in memory.
    let store = match Store::open_existing(&loaded.settings.store).await {
        Ok(store) => Some(store),
        Err(crate::store::StoreError::Missing(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let report = match super::portal_client(loaded, store.as_ref()) {
        Ok(client) => super::setup_portal(loaded, &client, portal, dry_run).await,
        Err(e) => Err(e),
    };
    if let Some(store) = store {
        store.close().await;
    }
    let report = report?;
    Ok((render_setup(&report), !report.has_problems()))
}
