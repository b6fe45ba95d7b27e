//! `handoff hubspot-app`: the HubSpot developer-platform project handoff runs as, generated from
//! the configuration — `hsproject.json`, `src/app/app-hsmeta.json` (auth and required scopes)
//! and `src/app/webhooks/webhooks-hsmeta.json` (target URL and subscriptions), platform
//! 2026.03. Why a project app, and the HubSpot facts each file relies on: docs/hubspot.md
//! "Developer platform app".
//!
//! The scopes are exactly what the enabled features call ([`scopes`]); the webhook
//! subscriptions are the contact events the pipeline acts on plus one property change per
//! property it reads, never one it writes back ([`webhooks`]). The files are deterministic
//! (fixed field order, sorted lists, two-space JSON, trailing newline), so the project
//! generated from the shipped configuration is committed under `deploy/hubspot/` and a test
//! regenerates it. Nothing here talks to HubSpot or reads a secret.

mod files;
mod scopes;
mod summary;
mod webhooks;

#[cfg(test)]
pub(super) mod tests;

use crate::config::LoadedConfig;
use crate::engine::Playbook;
use crate::hubspot::client::PortalConfig;
use crate::worker::settings::PipelineSettings;

pub use files::{FileChange, write_project};
pub use scopes::{Scope, required_scopes};
pub use summary::render;
pub use webhooks::Subscriptions;

/// The HubSpot platform version of the generated project (its CLI's default).
pub const PLATFORM_VERSION: &str = "2026.03";

/// What the generator reads from the configuration, and nothing else.
#[derive(Debug, Clone, Copy)]
pub struct AppSource<'a> {
    pub playbook: &'a Playbook,
    pub pipeline: &'a PipelineSettings,
    pub portals: &'a [PortalConfig],
    /// `webhook.public_url`: the default target URL.
    pub public_url: &'a str,
}

impl<'a> AppSource<'a> {
    pub fn of(loaded: &'a LoadedConfig) -> Self {
        Self {
            playbook: &loaded.playbook,
            pipeline: &loaded.settings.pipeline,
            portals: &loaded.settings.hubspot.portals,
            public_url: &loaded.settings.webhook.public_url,
        }
    }
}

/// The app's `auth.type`. HubSpot does not let it change after the first upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppAuth {
    /// One account; HubSpot shows the app's access token after the install.
    Static,
    /// Installed through HubSpot's OAuth flow; has a client id and secret for the Webhooks
    /// Journal's client-credentials token.
    Oauth,
}

impl AppAuth {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Static => "static",
            Self::Oauth => "oauth",
        }
    }
}

/// The command's flags.
#[derive(Debug, Clone, Default)]
pub struct AppRequest {
    /// `--auth`; `None`: OAuth when a portal reads the journal, else static.
    pub auth: Option<AppAuth>,
    /// `--target-url`; `None`: `webhook.public_url`.
    pub target_url: Option<String>,
}

/// The generated project and why it is so, for the files and the summary.
#[derive(Debug, Clone)]
pub struct AppProject {
    pub auth: AppAuth,
    /// Why this auth type, in one sentence.
    pub auth_reason: String,
    /// Required scopes, sorted by name, each with why.
    pub scopes: Vec<Scope>,
    pub subscriptions: Subscriptions,
    pub target_url: String,
    /// Things the operator must know: a target URL that differs from `webhook.public_url`,
    /// portals configured for the other auth type, facts HubSpot has not confirmed.
    pub notes: Vec<String>,
    /// The files, relative to the project directory, with their contents.
    pub files: Vec<(&'static str, String)>,
    /// The configured portals, for the next steps (where each credential goes).
    pub portals: Vec<PortalConfig>,
}

#[derive(Debug, thiserror::Error)]
pub enum HubspotAppError {
    #[error(
        "no target URL: pass --target-url https://HOST/PATH or set webhook.public_url (HANDOFF__WEBHOOK__PUBLIC_URL)"
    )]
    NoTargetUrl,
    #[error("target URL {url:?}: {why}")]
    TargetUrl { url: String, why: String },
    #[error(
        "--auth static: portal(s) {portals} read the Webhooks Journal (journal.enabled), which only an OAuth app can read (it needs the app's client-credentials token); use --auth oauth, or turn the journal off"
    )]
    StaticWithJournal { portals: String },
    #[error(
        "{path}: the app there has auth type {existing:?}, this one would be {wanted:?}; HubSpot cannot change an app's auth type after its first upload (changing it uninstalls the app everywhere): generate into a new directory for a new app"
    )]
    AuthChanged {
        path: String,
        existing: String,
        wanted: String,
    },
    #[error("{path}: {message}")]
    File { path: String, message: String },
}

/// Builds the project for `src` as `req` asks; refuses a static app for a journal portal and a
/// target URL that is not HTTPS.
pub fn generate(src: &AppSource<'_>, req: &AppRequest) -> Result<AppProject, HubspotAppError> {
    let (auth, auth_reason) = scopes::choose_auth(src, req.auth)?;
    let target_url = webhooks::target_url(src, req.target_url.as_deref())?;
    let scopes = scopes::required_scopes(src);
    let subscriptions = webhooks::subscriptions(src);
    let mut notes = webhooks::url_notes(src, &target_url);
    notes.extend(scopes::portal_auth_notes(src, auth));
    notes.extend(subscriptions.notes());
    notes.extend(scopes::unverified_notes(auth, &scopes));
    let files = files::render_files(auth, &scopes, &subscriptions, &target_url);
    Ok(AppProject {
        auth,
        auth_reason,
        scopes,
        subscriptions,
        target_url,
        notes,
        files,
        portals: src.portals.to_vec(),
    })
}

/// Portal ids as the output names them: `62515, 77001`.
fn portal_list<'a>(portals: impl Iterator<Item = &'a PortalConfig>) -> String {
    portals
        .map(|p| p.id.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
