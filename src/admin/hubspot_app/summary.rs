//! What `handoff hubspot-app` prints: the files written, why this auth type, one line per
//! required scope with its reason, the subscriptions (and the properties left out on purpose),
//! notes, and the next steps to a live portal (README "Connect your portal").

use std::fmt::Write as _;
use std::path::Path;

use super::files::FileChange;
use super::webhooks::{CONTACT_EVENTS, LEAD_OBJECT, MAX_CONCURRENT_REQUESTS, PRIVACY_DELETION};
use super::{AppAuth, AppProject, PLATFORM_VERSION};
use crate::hubspot::client::{AuthConfig, PortalConfig};

/// The summary of a generated and written project.
pub fn render(project: &AppProject, dir: &Path, changes: &[FileChange]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "HubSpot developer project (platform {PLATFORM_VERSION}, private {} app) in {}:",
        project.auth.as_str(),
        dir.display()
    );
    for change in changes {
        let what = if change.changed { "wrote" } else { "unchanged" };
        let _ = writeln!(out, "  {what:<9} {}", change.path.display());
    }
    let _ = writeln!(
        out,
        "\nAuth: {} — {}.",
        project.auth.as_str(),
        project.auth_reason
    );
    let _ = writeln!(
        out,
        "\nRequired scopes ({}), each with why:",
        project.scopes.len()
    );
    let width = project
        .scopes
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(0);
    for scope in &project.scopes {
        let _ = writeln!(out, "  {:<width$}  {}", scope.name, scope.reason);
    }
    subscriptions(&mut out, project);
    if !project.notes.is_empty() {
        let _ = writeln!(out, "\nNotes:");
        for note in &project.notes {
            let _ = writeln!(out, "  - {note}");
        }
    }
    next_steps(&mut out, project, dir);
    out.trim_end().to_owned()
}

fn subscriptions(out: &mut String, project: &AppProject) {
    let subs = &project.subscriptions;
    let _ = writeln!(
        out,
        "\nWebhooks to {} (at most {MAX_CONCURRENT_REQUESTS} deliveries at once):",
        project.target_url
    );
    let _ = writeln!(out, "  {}, {PRIVACY_DELETION}", CONTACT_EVENTS.join(", "));
    let _ = writeln!(
        out,
        "  contact.propertyChange, one per property the pipeline reads ({}): {}",
        subs.properties.len(),
        subs.properties.join(", ")
    );
    if !subs.write_back_skipped.is_empty() {
        let _ = writeln!(
            out,
            "  not subscribed, handoff writes them back ([pipeline.write_back]; each handoff would come back as an event): {}",
            subs.write_back_skipped.join(", ")
        );
    }
    if !subs.lead_properties.is_empty() {
        let _ = writeln!(
            out,
            "  object.propertyChange on {LEAD_OBJECT} ([playbook.leads]): {}",
            subs.lead_properties.join(", ")
        );
    }
}

fn next_steps(out: &mut String, project: &AppProject, dir: &Path) {
    let _ = writeln!(out, "\nNext steps (README \"Connect your portal\"):");
    let portal = match project.portals.as_slice() {
        [one] => one.id.to_string(),
        _ => "ID".into(),
    };
    let mut steps = vec![format!("cd {} && hs project upload", dir.display())];
    match project.auth {
        AppAuth::Static => {
            steps.push(format!("hs project install-app --account {portal} (HubSpot CLI 8.14), or hs project open: the app, Distribution, Install now; `hs project app-install-status` checks it"));
            steps.push(format!(
                "Distribution tab, Show the access token: {}",
                credentials(project, static_token)
            ));
        }
        AppAuth::Oauth => {
            steps.push("hs project open: the app's Auth tab, open its install URL and install into the portal; HubSpot redirects to http://localhost:3000/?code=...: exchange that code for a refresh token (README \"Connect your portal\", OAuth)".into());
            steps.push(format!(
                "Auth tab, client id and secret, and the refresh token: {}",
                credentials(project, oauth_credentials)
            ));
        }
    }
    steps.extend([
        "Auth tab, client secret (HubSpot signs the webhooks with it): HANDOFF__WEBHOOK__CLIENT_SECRET or webhook.client_secret_file".into(),
        format!("handoff portal setup --portal {portal} --dry-run, then without --dry-run (the handoff properties)"),
        format!("handoff doctor --portal {portal}"),
        format!("handoff serve behind HTTPS at {}", project.target_url),
        "after a configuration change run this again and upload; new scopes need a reinstall (the app's Reinstall URL)".into(),
    ]);
    for (i, step) in steps.iter().enumerate() {
        let _ = writeln!(out, "  {}. {step}", i + 1);
    }
}

/// Where each configured portal takes its credentials, or the keys to add when none does.
fn credentials(project: &AppProject, each: fn(&PortalConfig) -> Option<String>) -> String {
    let named: Vec<String> = project
        .portals
        .iter()
        .filter_map(|p| each(p).map(|to| format!("portal {}: {to}", p.id)))
        .collect();
    if !named.is_empty() {
        return named.join("; ");
    }
    match project.auth {
        AppAuth::Static => "into a [[hubspot.portals]] table's auth = { kind = \"private_app\", token_env = \"HUBSPOT_TOKEN_<portal id>\" } (or token_file)".into(),
        AppAuth::Oauth => "into a [[hubspot.portals]] table's auth = { kind = \"oauth\", client_id = \"...\", client_secret_env = \"...\", refresh_token_env = \"...\" } (or the *_file keys), with hubspot.token_key_env".into(),
    }
}

fn static_token(portal: &PortalConfig) -> Option<String> {
    match &portal.auth {
        AuthConfig::PrivateApp {
            token_env,
            token_file,
            ..
        } => Some(env_or_file(
            token_env.as_deref(),
            token_file.as_deref(),
            "auth.token",
        )),
        AuthConfig::Oauth { .. } => None,
    }
}

fn oauth_credentials(portal: &PortalConfig) -> Option<String> {
    match &portal.auth {
        AuthConfig::Oauth {
            client_secret_env,
            client_secret_file,
            refresh_token_env,
            refresh_token_file,
            ..
        } => Some(format!(
            "client id in auth.client_id, client secret in {}, refresh token in {}",
            env_or_file(
                client_secret_env.as_deref(),
                client_secret_file.as_deref(),
                "auth.client_secret"
            ),
            env_or_file(
                refresh_token_env.as_deref(),
                refresh_token_file.as_deref(),
                "auth.refresh_token"
            ),
        )),
        AuthConfig::PrivateApp { .. } => None,
    }
}

/// `the environment variable X (key_env)` or `the file F (key_file)`.
fn env_or_file(env: Option<&str>, file: Option<&Path>, key: &str) -> String {
    match (env, file) {
        (Some(name), _) => format!("the environment variable {name} ({key}_env)"),
        (None, Some(path)) => format!("the file {} ({key}_file)", path.display()),
        (None, None) => format!("{key}_env or {key}_file"),
    }
}
