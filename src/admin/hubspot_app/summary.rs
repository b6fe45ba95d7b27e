//! What `handoff hubspot-app` prints: the files written, why this auth type, one line per
//! required scope with its reason, the subscriptions (and the properties left out on purpose),
//! notes, and the next steps to a live portal (README "Connect your portal").

use std::fmt::Write as _;
use std::path::Path;

use super::files::FileChange;
use super::webhooks::{CONTACT_EVENTS, LEAD_OBJECT, MAX_CONCURRENT_REQUESTS, PRIVACY_DELETION};
use super::{AppAuth, AppProject, PLATFORM_VERSION};

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
    let steps: Vec<String> = match project.auth {
        AppAuth::Static => vec![
            format!("cd {} && hs project upload", dir.display()),
            "hs project open: the app, Distribution, Install now (then `hs project app-install-status`)".into(),
            "Distribution tab, Show the access token: into the variable your portal's auth.token_env names (or its token_file); auth = { kind = \"private_app\", token_env = \"HUBSPOT_TOKEN_<portal id>\" }".into(),
            "Auth tab, client secret: HANDOFF__WEBHOOK__CLIENT_SECRET (or webhook.client_secret_file)".into(),
        ],
        AppAuth::Oauth => vec![
            format!("cd {} && hs project upload", dir.display()),
            "hs project open: the app's Auth tab, open its install URL and install into the portal; HubSpot redirects to http://localhost:3000/?code=...: exchange that code for a refresh token (README, OAuth)".into(),
            "client id and secret from the Auth tab, the refresh token: auth = { kind = \"oauth\", client_id, client_secret_env, refresh_token_env }, and hubspot.token_key_env".into(),
            "the same client secret signs the webhooks: HANDOFF__WEBHOOK__CLIENT_SECRET (or webhook.client_secret_file)".into(),
        ],
    };
    let tail = [
        "handoff portal setup --portal ID --dry-run, then without --dry-run: the handoff properties".to_owned(),
        "handoff doctor --portal ID".to_owned(),
        format!("handoff serve behind HTTPS at {}", project.target_url),
        "after a configuration change run this again and upload; new scopes need a reinstall (the app's Reinstall URL)".to_owned(),
    ];
    for (i, step) in steps.iter().chain(tail.iter()).enumerate() {
        let _ = writeln!(out, "  {}. {step}", i + 1);
    }
}
