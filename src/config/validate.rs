//! Semantic checks on a typed configuration: every problem is collected, none stops the pass.

use std::path::Path;

use secrecy::{ExposeSecret, SecretString};

use super::load::ConfigSources;
use super::report::Problem;
use super::{LegacySignature, Purpose, Settings};
use crate::hubspot::signature::AppKey;

type Origin<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Checks what types cannot, and resolves the webhook secrets from the environment or files.
/// Secrets and URLs are required only where `purpose` uses them; a value that is set is
/// checked whatever the purpose.
pub(crate) fn validate(
    settings: &Settings,
    (sources, purpose): (&ConfigSources, Purpose),
    origin: Origin<'_>,
    problems: &mut Vec<Problem>,
) -> Vec<AppKey> {
    let mut p = |key: &str, message: String| problems.push(Problem::new(origin(key), key, message));
    server_and_store(settings, &mut p);
    section(&mut p, "queue", |q| settings.queue.check(q));
    section(&mut p, "worker", |q| settings.worker.check(q));
    if purpose.receives_webhooks() {
        // The admin listener runs with the service only.
        super::admin::validate(&settings.server, &mut p);
    }
    section(&mut p, "pipeline", |q| settings.pipeline.check(q));
    sequence_portals(settings, &mut p);
    webhook(&settings.webhook, purpose, &mut p);
    hubspot(settings, (sources, purpose), &mut p);
    super::slack::validate(settings, (sources, purpose), &mut p);
    if let Err(err) = tracing_subscriber::EnvFilter::try_new(&settings.log.filter) {
        p("log.filter", format!("not a valid tracing filter: {err}"));
    }
    if !purpose.receives_webhooks() {
        return Vec::new();
    }
    resolve_apps(settings, sources, &mut p)
}

/// Reports `key` unless `value` lies in `range` (both ends included).
fn between<T: PartialOrd + Copy + std::fmt::Display>(
    p: &mut dyn FnMut(&str, String),
    key: &str,
    value: T,
    (low, high): (T, T),
) {
    if !(low..=high).contains(&value) {
        p(key, format!("must be between {low} and {high}"));
    }
}

fn server_and_store(settings: &Settings, p: &mut dyn FnMut(&str, String)) {
    let server = &settings.server;
    between(
        p,
        "server.request_timeout_ms",
        server.request_timeout_ms,
        (100, 600_000),
    );
    if server.shutdown_grace_ms > 600_000 {
        p("server.shutdown_grace_ms", "must be at most 600000".into());
    }
    let store = &settings.store;
    if let Err(message) = crate::store::check_url(&store.url) {
        p("store.url", message);
    }
    between(p, "store.max_connections", store.max_connections, (1, 64));
    between(
        p,
        "store.commit_timeout_ms",
        store.commit_timeout_ms,
        (100, 60_000),
    );
    let deliveries = store.max_group_deliveries;
    between(p, "store.max_group_deliveries", deliveries, (1, 1024));
}

/// Every portal that sends sequences must be a configured portal.
fn sequence_portals(settings: &Settings, p: &mut dyn FnMut(&str, String)) {
    let pipeline = &settings.pipeline;
    for (i, id) in pipeline.sequence_portals.iter().enumerate() {
        if !settings.hubspot.portals.iter().any(|c| c.id == *id) {
            p(
                &format!("pipeline.sequence_portals[{i}]"),
                format!("portal {id} is not configured in [[hubspot.portals]]"),
            );
        }
    }
}

fn webhook(webhook: &super::WebhookSettings, purpose: Purpose, p: &mut dyn FnMut(&str, String)) {
    if !webhook.path.starts_with('/') {
        p(
            "webhook.path",
            format!("must start with '/' (got {:?})", webhook.path),
        );
    }
    if (purpose.receives_webhooks() || !webhook.public_url.is_empty())
        && let Err(msg) = check_url(&webhook.public_url)
    {
        p("webhook.public_url", msg);
    }
    let tolerance_ms = webhook.timestamp_tolerance_ms;
    between(
        p,
        "webhook.timestamp_tolerance_ms",
        tolerance_ms,
        (1_000, 3_600_000),
    );
    let max_body = webhook.max_body_bytes;
    between(
        p,
        "webhook.max_body_bytes",
        max_body,
        (1024, 64 * 1024 * 1024),
    );
}

fn hubspot(
    settings: &Settings,
    (sources, purpose): (&ConfigSources, Purpose),
    p: &mut dyn FnMut(&str, String),
) {
    if let Err(msg) = check_url(&settings.hubspot.base_url) {
        p("hubspot.base_url", msg);
    }
    if let Err(crate::hubspot::client::ConfigError::Invalid(issues)) = settings.hubspot.validate() {
        for issue in issues {
            p(&format!("hubspot.{}", issue.path), issue.message);
        }
    }
    if purpose.calls_hubspot() {
        check_portal_secrets(settings, sources, p);
    }
}

/// Every secret a portal names must be there now, so `serve` does not fail later on a missing
/// token. Only the variable or file is named in a problem, never a value.
fn check_portal_secrets(
    settings: &Settings,
    sources: &ConfigSources,
    p: &mut dyn FnMut(&str, String),
) {
    use crate::hubspot::client::config::SecretRef;
    let present = |r: &SecretRef| match r {
        SecretRef::Env(name) => env_secret(sources, name).map(|_| ()),
        SecretRef::File(path) => match std::fs::read_to_string(path) {
            Ok(text) if !text.trim().is_empty() => Ok(()),
            Ok(_) => Err(format!("secret file {} is empty", path.display())),
            Err(err) => Err(format!("cannot read secret file {}: {err}", path.display())),
        },
    };
    // The key that names the variable or file, so the problem points at its line.
    let key = |what: &str, r: &SecretRef| match r {
        SecretRef::Env(_) => format!("{what}_env"),
        SecretRef::File(_) => format!("{what}_file"),
    };
    for (i, portal) in settings.hubspot.portals.iter().enumerate() {
        let refs = match portal.auth.oauth_refs() {
            Some((secret, refresh)) => vec![("client_secret", secret), ("refresh_token", refresh)],
            None => vec![("token", portal.auth.token_ref())],
        };
        for (what, r) in refs {
            if let Some((r, Err(message))) = r.as_ref().map(|r| (r, present(r))) {
                p(
                    &format!("hubspot.portals[{i}].auth.{}", key(what, r)),
                    message,
                );
            }
        }
    }
    let any_oauth = settings
        .hubspot
        .portals
        .iter()
        .any(|p| p.auth.oauth_refs().is_some());
    if let (true, Some(r)) = (any_oauth, settings.hubspot.token_key_ref())
        && let Err(message) = present(&r)
    {
        p(&format!("hubspot.{}", key("token_key", &r)), message);
    }
}

/// Runs a section's own checks (`check` reports keys inside the section) and reports each
/// problem under the section's key path.
fn section(
    p: &mut impl FnMut(&str, String),
    name: &str,
    check: impl FnOnce(crate::worker::settings::Problems<'_>),
) {
    check(&mut |key: &str, message: String| p(&format!("{name}.{key}"), message));
}

pub(super) fn check_url(url: &str) -> Result<(), String> {
    if url.is_empty() {
        return Err("is required".into());
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("must be an absolute http:// or https:// URL (got {url:?})"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("has no host (got {url:?})"));
    }
    if url.contains('#') || url.chars().any(char::is_whitespace) {
        return Err(format!(
            "must not contain a fragment or spaces (got {url:?})"
        ));
    }
    Ok(())
}

fn resolve_apps(
    settings: &Settings,
    sources: &ConfigSources,
    p: &mut dyn FnMut(&str, String),
) -> Vec<AppKey> {
    let webhook = &settings.webhook;
    let mut apps = Vec::new();
    let default_secret = default_secret(webhook, p);
    if let Some(secret) = default_secret {
        apps.push(app_key(webhook.app_id, secret, &webhook.legacy_signatures));
    }
    for (i, app) in webhook.apps.iter().enumerate() {
        let key = format!("webhook.apps[{i}]");
        let secret = app_secret(app, sources, &key, p);
        if webhook.app_id == Some(app.app_id)
            || webhook.apps[..i].iter().any(|a| a.app_id == app.app_id)
        {
            p(
                &format!("{key}.app_id"),
                format!("app {} is configured twice", app.app_id),
            );
        }
        if let Some(secret) = secret {
            apps.push(app_key(Some(app.app_id), secret, &app.legacy_signatures));
        }
    }
    // Only when none is given at all: a secret given twice, empty or unreadable has its own
    // problem above, and "no client secret" would contradict it.
    let given = webhook.client_secret.is_some() || webhook.client_secret_file.is_some();
    if !given && webhook.apps.is_empty() {
        p(
            "webhook.client_secret",
            "no client secret: set HANDOFF__WEBHOOK__CLIENT_SECRET or webhook.client_secret_file"
                .into(),
        );
    }
    apps
}

/// An extra app's secret, from its `client_secret_env` or `client_secret_file` (exactly one).
fn app_secret(
    app: &super::WebhookApp,
    sources: &ConfigSources,
    key: &str,
    p: &mut dyn FnMut(&str, String),
) -> Option<SecretString> {
    match (&app.client_secret_env, &app.client_secret_file) {
        (Some(name), None) => env_secret(sources, name)
            .map_err(|e| p(&format!("{key}.client_secret_env"), e))
            .ok(),
        (None, Some(path)) => read_secret(path)
            .map_err(|e| p(&format!("{key}.client_secret_file"), e))
            .ok(),
        _ => {
            p(
                key,
                "set exactly one of client_secret_env or client_secret_file".into(),
            );
            None
        }
    }
}

/// The default app's secret, from HANDOFF__WEBHOOK__CLIENT_SECRET or `client_secret_file`.
fn default_secret(
    webhook: &super::WebhookSettings,
    p: &mut dyn FnMut(&str, String),
) -> Option<SecretString> {
    match (&webhook.client_secret, &webhook.client_secret_file) {
        (Some(_), Some(_)) => {
            p(
                "webhook.client_secret_file",
                "set either HANDOFF__WEBHOOK__CLIENT_SECRET or webhook.client_secret_file, not both"
                    .into(),
            );
            None
        }
        (Some(secret), None) if secret.expose_secret().trim().is_empty() => {
            p(
                "webhook.client_secret",
                "is empty (HANDOFF__WEBHOOK__CLIENT_SECRET is set to nothing)".into(),
            );
            None
        }
        (Some(secret), None) => Some(secret.clone()),
        (None, Some(path)) => read_secret(path)
            .map_err(|e| p("webhook.client_secret_file", e))
            .ok(),
        (None, None) => None,
    }
}

fn app_key(app_id: Option<i64>, secret: SecretString, legacy: &[LegacySignature]) -> AppKey {
    AppKey {
        app_id,
        secret,
        allow_v1: legacy.contains(&LegacySignature::V1),
        allow_v2: legacy.contains(&LegacySignature::V2),
    }
}

/// Reads a secret from the environment variable `name`; the message says whether it is unset
/// or empty, never its value.
pub(super) fn env_secret(sources: &ConfigSources, name: &str) -> Result<SecretString, String> {
    match sources.env_var(name) {
        None => Err(format!("environment variable {name} is not set")),
        Some(value) if value.trim().is_empty() => {
            Err(format!("environment variable {name} is empty"))
        }
        Some(value) => Ok(SecretString::from(value.trim())),
    }
}

/// Reads a secret file; the message names the file but never its content.
pub fn read_secret(path: &Path) -> Result<SecretString, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read secret file {}: {err}", path.display()))?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("secret file {} is empty", path.display()));
    }
    Ok(SecretString::from(trimmed))
}
