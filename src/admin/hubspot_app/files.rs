//! The three project files as HubSpot's 2026.03 components lay them out (docs/hubspot.md
//! "Developer platform app"), rendered from typed structs so the field order is fixed, and
//! written into a directory without touching anything else there.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::webhooks::{
    CONTACT_EVENTS, LEAD_OBJECT, MAX_CONCURRENT_REQUESTS, PRIVACY_DELETION, Subscriptions,
};
use super::{AppAuth, HubspotAppError, PLATFORM_VERSION, Scope};

/// The project's name: HubSpot does not let it change after the first upload.
pub(super) const PROJECT_NAME: &str = "handoff-hubspot";
pub(super) const PROJECT_FILE: &str = "hsproject.json";
pub(super) const APP_FILE: &str = "src/app/app-hsmeta.json";
pub(super) const WEBHOOKS_FILE: &str = "src/app/webhooks/webhooks-hsmeta.json";
/// Where HubSpot sends the installer of an OAuth app with the authorization code. handoff has
/// no route for it: the code is read from the browser's address bar and exchanged by hand
/// (README "Connect your portal", OAuth), as HubSpot's own OAuth template does.
pub(super) const OAUTH_REDIRECT_URL: &str = "http://localhost:3000";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Project {
    name: &'static str,
    src_dir: &'static str,
    platform_version: &'static str,
}

#[derive(Serialize)]
struct Component<C> {
    uid: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    config: C,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AppConfig {
    name: &'static str,
    description: &'static str,
    distribution: &'static str,
    auth: Auth,
    permitted_urls: PermittedUrls,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Auth {
    #[serde(rename = "type")]
    kind: &'static str,
    /// OAuth only: a static app's schema allows no redirect URLs.
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_urls: Option<Vec<&'static str>>,
    required_scopes: Vec<String>,
    optional_scopes: Vec<String>,
    conditionally_required_scopes: Vec<String>,
}

#[derive(Serialize)]
struct PermittedUrls {
    fetch: Vec<&'static str>,
    iframe: Vec<&'static str>,
    img: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WebhooksConfig {
    settings: Settings,
    subscriptions: SubscriptionLists,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Settings {
    target_url: String,
    max_concurrent_requests: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SubscriptionLists {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    crm_objects: Vec<Subscription>,
    legacy_crm_objects: Vec<Subscription>,
    hub_events: Vec<Subscription>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Subscription {
    subscription_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    object_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    property_name: Option<String>,
    active: bool,
}

fn subscription(kind: &'static str, property: Option<&str>) -> Subscription {
    Subscription {
        subscription_type: kind,
        object_type: None,
        property_name: property.map(str::to_owned),
        active: true,
    }
}

/// Two-space JSON with a trailing newline: the same bytes for the same input.
fn json(value: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// The project's files, relative to its directory.
pub(super) fn render_files(
    auth: AppAuth,
    scopes: &[Scope],
    subs: &Subscriptions,
    target_url: &str,
) -> Vec<(&'static str, String)> {
    let project = Project {
        name: PROJECT_NAME,
        src_dir: "src",
        platform_version: PLATFORM_VERSION,
    };
    vec![
        (PROJECT_FILE, json(&project)),
        (APP_FILE, json(&app(auth, scopes))),
        (WEBHOOKS_FILE, json(&webhooks(subs, target_url))),
    ]
}

fn app(auth: AppAuth, scopes: &[Scope]) -> Component<AppConfig> {
    Component {
        uid: "handoff_app",
        kind: "app",
        config: AppConfig {
            name: "handoff",
            description: "Lead handoff: scores and routes new contacts, writes the owner and handoff properties back, creates one task per handoff and follows its SLA.",
            distribution: "private",
            auth: Auth {
                kind: auth.as_str(),
                redirect_urls: (auth == AppAuth::Oauth).then(|| vec![OAUTH_REDIRECT_URL]),
                required_scopes: scopes.iter().map(|s| s.name.clone()).collect(),
                optional_scopes: Vec::new(),
                conditionally_required_scopes: Vec::new(),
            },
            permitted_urls: PermittedUrls {
                fetch: vec!["https://api.hubapi.com"],
                iframe: Vec::new(),
                img: Vec::new(),
            },
        },
    }
}

fn webhooks(subs: &Subscriptions, target_url: &str) -> Component<WebhooksConfig> {
    let mut legacy: Vec<Subscription> = CONTACT_EVENTS
        .iter()
        .map(|kind| subscription(kind, None))
        .collect();
    legacy.extend(
        subs.properties
            .iter()
            .map(|p| subscription("contact.propertyChange", Some(p))),
    );
    let leads = subs
        .lead_properties
        .iter()
        .map(|p| Subscription {
            object_type: Some(LEAD_OBJECT),
            ..subscription("object.propertyChange", Some(p))
        })
        .collect();
    Component {
        uid: "handoff_webhooks",
        kind: "webhooks",
        config: WebhooksConfig {
            settings: Settings {
                target_url: target_url.to_owned(),
                max_concurrent_requests: MAX_CONCURRENT_REQUESTS,
            },
            subscriptions: SubscriptionLists {
                crm_objects: leads,
                legacy_crm_objects: legacy,
                hub_events: vec![subscription(PRIVACY_DELETION, None)],
            },
        },
    }
}

/// What writing did to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: PathBuf,
    /// False when the file already held exactly this content.
    pub changed: bool,
}

/// Writes the project's files under `dir` (created if missing); other files there are left
/// alone. Refuses, writing nothing, when `dir` already holds an app of the other auth type.
pub fn write_project(
    project: &super::AppProject,
    dir: &Path,
) -> Result<Vec<FileChange>, HubspotAppError> {
    check_auth_unchanged(dir, project.auth)?;
    let mut changes = Vec::new();
    for (name, text) in &project.files {
        let path = dir.join(name);
        let failed = |e: std::io::Error| HubspotAppError::File {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let changed = std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str());
        if changed {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(failed)?;
            }
            std::fs::write(&path, text).map_err(failed)?;
        }
        changes.push(FileChange { path, changed });
    }
    Ok(changes)
}

/// An app already in `dir` must keep its auth type: HubSpot uninstalls an app everywhere when
/// its auth type changes (docs/hubspot.md "Developer platform app").
fn check_auth_unchanged(dir: &Path, auth: AppAuth) -> Result<(), HubspotAppError> {
    let path = dir.join(APP_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let unreadable = || HubspotAppError::File {
        path: path.display().to_string(),
        message: "not an app file (no config.auth.type); generate into an empty directory".into(),
    };
    let existing: serde_json::Value = serde_json::from_str(&text).map_err(|_| unreadable())?;
    let existing = existing["config"]["auth"]["type"]
        .as_str()
        .ok_or_else(unreadable)?;
    if existing == auth.as_str() {
        return Ok(());
    }
    Err(HubspotAppError::AuthChanged {
        path: path.display().to_string(),
        existing: existing.to_owned(),
        wanted: auth.as_str().to_owned(),
    })
}
