//! `handoff doctor [--portal ID] [--json]`: a read-only pre-flight of each configured portal
//! against live HubSpot, as a checklist grouped like `brew doctor`: every item passes, warns or
//! fails, with the reason and the fix. One file per group: `token.rs` (the token works and its
//! scopes cover the configuration), `owners.rs` (every roster owner exists, is active and has
//! its email), `properties.rs` (what the playbook reads exists with a compatible type; the
//! write-back properties exist), `leads.rs` (lead stages and sequences named exist),
//! `webhook.rs` (the public URL is the one HubSpot signs), `refused.rs` (writes HubSpot refused
//! for rules no API can read). It only reads HubSpot: GETs and the token lookups.

mod leads;
mod owners;
mod properties;
pub(crate) mod refused;
mod token;
mod webhook;

use std::fmt::Write as _;

use serde::Serialize;

use super::AdminError;
use crate::config::LoadedConfig;
use crate::hubspot::client::{HubspotClient, PortalId};
use crate::store::Store;

/// How an item fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Fail => "FAIL",
        }
    }
}

/// The groups, in the order they print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Token,
    Owners,
    Properties,
    WriteBack,
    LeadsAndSequences,
    WebhookUrl,
    RefusedWrites,
}

impl Section {
    fn title(self) -> &'static str {
        match self {
            Self::Token => "Token & scopes",
            Self::Owners => "Owners",
            Self::Properties => "Properties",
            Self::WriteBack => "Write-back",
            Self::LeadsAndSequences => "Leads & sequences",
            Self::WebhookUrl => "Webhook URL",
            Self::RefusedWrites => "Refused writes",
        }
    }
}

/// One item of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub section: Section,
    /// Stable, for scripts and tests: `token`, `scope:crm.objects.owners.read`, `owner:101`,
    /// `property:contacts:jobtitle`, `write_back:score`, `webhook:https`, `refused:…`.
    pub id: String,
    pub status: Status,
    /// What was checked, in words.
    pub what: String,
    pub reason: String,
    /// What to do; absent when it passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    pub(crate) fn pass(
        section: Section,
        id: impl Into<String>,
        what: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            section,
            id: id.into(),
            status: Status::Pass,
            what: what.into(),
            reason: reason.into(),
            fix: None,
        }
    }

    pub(crate) fn problem(
        status: Status,
        section: Section,
        id: impl Into<String>,
        what: impl Into<String>,
        reason: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            section,
            id: id.into(),
            status,
            what: what.into(),
            reason: reason.into(),
            fix: Some(fix.into()),
        }
    }
}

/// One portal's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortalReport {
    pub portal_id: u64,
    pub checks: Vec<Check>,
}

/// Every portal's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoctorReport {
    pub portals: Vec<PortalReport>,
}

impl DoctorReport {
    /// Any failed item: the command exits 1.
    pub fn failed(&self) -> bool {
        self.checks().any(|c| c.status == Status::Fail)
    }

    pub fn checks(&self) -> impl Iterator<Item = &Check> {
        self.portals.iter().flat_map(|p| &p.checks)
    }

    fn count(&self, s: Status) -> usize {
        self.checks().filter(|c| c.status == s).count()
    }

    /// `{"ok", "summary": {"pass", "warn", "fail"}, "portals": [...]}`.
    pub fn to_json(&self) -> String {
        let v = serde_json::json!({
            "ok": !self.failed(),
            "summary": {"pass": self.count(Status::Pass), "warn": self.count(Status::Warn),
                        "fail": self.count(Status::Fail)},
            "portals": self.portals,
        });
        serde_json::to_string_pretty(&v).unwrap_or_default()
    }
}

/// Where doctor reads the dead letters of refused writes from.
#[derive(Debug, Clone, Copy)]
pub enum Ledger<'a> {
    Open(&'a Store),
    /// No store yet where `store.url` points: nothing has run, nothing was refused.
    Missing,
    /// The store could not be opened; the HubSpot checks run all the same.
    Unreadable(&'a str),
}

/// What every check of one portal reads.
pub(crate) struct Ctx<'a> {
    pub(crate) loaded: &'a LoadedConfig,
    pub(crate) id: PortalId,
    pub(crate) client: &'a HubspotClient,
    pub(crate) ledger: Ledger<'a>,
    pub(crate) now_ms: i64,
}

/// Runs every check of `only` (one configured portal) or of every configured portal.
pub async fn doctor(
    loaded: &LoadedConfig,
    client: &HubspotClient,
    ledger: Ledger<'_>,
    only: Option<i64>,
    now_ms: i64,
) -> Result<DoctorReport, AdminError> {
    let all = &loaded.settings.hubspot.portals;
    if let Some(id) = only
        && !all.iter().any(|p| p.id.get() == id)
    {
        return Err(AdminError::UnknownPortal(id));
    }
    let mut portals = Vec::new();
    for portal in all
        .iter()
        .filter(|p| only.is_none_or(|id| p.id.get() == id))
    {
        let ctx = Ctx {
            loaded,
            id: portal.id,
            client,
            ledger,
            now_ms,
        };
        let mut checks = token::check(&ctx).await;
        checks.extend(owners::check(&ctx).await);
        checks.extend(properties::check(&ctx).await);
        checks.extend(leads::check(&ctx).await);
        checks.extend(webhook::check(&ctx.loaded.settings.webhook));
        checks.extend(refused::check(&ctx).await);
        checks.sort_by_key(|c| c.section);
        portals.push(PortalReport {
            portal_id: portal.id.as_u64(),
            checks,
        });
    }
    Ok(DoctorReport { portals })
}

/// `handoff doctor`: opens the store and a client, runs [`doctor`]; the checklist as text (or
/// JSON) and whether nothing failed.
pub async fn command(
    loaded: &LoadedConfig,
    only: Option<i64>,
    json: bool,
) -> Result<(String, bool), AdminError> {
    let opened = Store::open_existing(&loaded.settings.store).await;
    let note = match &opened {
        Err(e) if !matches!(e, crate::store::StoreError::Missing(_)) => e.to_string(),
        _ => String::new(),
    };
    let ledger = match &opened {
        Ok(store) => Ledger::Open(store),
        Err(crate::store::StoreError::Missing(_)) => Ledger::Missing,
        Err(_) => Ledger::Unreadable(&note),
    };
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let report = match super::portal_client(loaded, opened.as_ref().ok()) {
        Ok(client) => doctor(loaded, &client, ledger, only, now_ms).await,
        Err(e) => Err(e),
    };
    if let Ok(store) = opened {
        store.close().await;
    }
    let report = report?;
    let text = if json {
        report.to_json()
    } else {
        render_doctor(&report)
    };
    Ok((text, !report.failed()))
}

/// The checklist as text, one block per portal and group.
pub fn render_doctor(report: &DoctorReport) -> String {
    let mut out = String::new();
    if report.portals.is_empty() {
        out.push_str("no portals configured ([[hubspot.portals]]): nothing to check\n");
    }
    for p in &report.portals {
        let _ = writeln!(out, "portal {}", p.portal_id);
        let mut section = None;
        for c in &p.checks {
            if section != Some(c.section) {
                let _ = writeln!(out, "  {}", c.section.title());
                section = Some(c.section);
            }
            let _ = writeln!(out, "    [{}] {}: {}", c.status.word(), c.what, c.reason);
            if let Some(fix) = &c.fix {
                let _ = writeln!(out, "           fix: {fix}");
            }
        }
    }
    let _ = write!(
        out,
        "{} passed, {} warnings, {} failed",
        report.count(Status::Pass),
        report.count(Status::Warn),
        report.count(Status::Fail)
    );
    out
}

/// The error of a read as a reason, naming the scopes a 403 says are missing.
pub(crate) fn why(e: &crate::hubspot::client::HubspotError) -> String {
    match e.missing_scopes() {
        [] => e.to_string(),
        scopes => format!("{e} (missing scope {})", scopes.join(", ")),
    }
}
