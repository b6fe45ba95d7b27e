//! The merged layers typed section by section: every unknown key and every section's type
//! error, each with its key path and the layer that set it.

use std::collections::HashMap;

use config::{Config, ConfigError};
use serde::de::DeserializeOwned;

use super::Settings;
use super::engine;
use super::report::Problem;

const SECTIONS: [&str; 10] = [
    "server", "store", "webhook", "hubspot", "log", "engine", "queue", "worker", "pipeline",
    "alerts",
];

/// Deserializes each section on its own, so a type error in one does not hide another's, and
/// records every key no section knows (serde_ignored sees them all; `deny_unknown_fields`
/// would stop at the first).
pub(super) fn typed_settings(
    config: &Config,
    origins: &Origins,
    problems: &mut Vec<Problem>,
) -> Option<Settings> {
    let top: HashMap<String, config::Value> = match config.clone().try_deserialize() {
        Ok(top) => top,
        Err(err) => {
            problems.push(Problem::new(None, "", err.to_string()));
            return None;
        }
    };
    let mut names: Vec<_> = top
        .keys()
        .filter(|k| !SECTIONS.contains(&k.as_str()) && !engine::SECTIONS.contains(&k.as_str()))
        .collect();
    names.sort();
    for name in names {
        problems.push(Problem::new(
            origins.of(name),
            name,
            "unknown section".to_owned(),
        ));
    }
    let server = section(origins, &top, "server", problems);
    let store = section(origins, &top, "store", problems);
    let webhook = section(origins, &top, "webhook", problems);
    let hubspot = section(origins, &top, "hubspot", problems);
    let log = section(origins, &top, "log", problems);
    let engine = section(origins, &top, "engine", problems);
    let queue = section(origins, &top, "queue", problems);
    let worker = section(origins, &top, "worker", problems);
    let pipeline = section(origins, &top, "pipeline", problems);
    let alerts = section(origins, &top, "alerts", problems);
    // Unknown keys are reported but do not stop the semantic checks; a type error does.
    Some(Settings {
        server: server?,
        store: store?,
        webhook: webhook?,
        hubspot: hubspot?,
        log: log?,
        engine: engine?,
        queue: queue?,
        worker: worker?,
        pipeline: pipeline?,
        alerts: alerts?,
    })
}

fn section<T: DeserializeOwned>(
    origins: &Origins,
    top: &HashMap<String, config::Value>,
    name: &str,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    let value = top.get(name)?.clone();
    let mut unknown = Vec::new();
    let result: Result<T, ConfigError> = serde_ignored::deserialize(value, |path| {
        unknown.push(config_path(name, &path.to_string()))
    });
    for key in unknown {
        problems.push(Problem::new(
            origins.of(&key),
            &key,
            "unknown key".to_owned(),
        ));
    }
    match result {
        Ok(value) => Some(value),
        Err(err) => {
            problems.push(type_problem(origins, name, err));
            None
        }
    }
}

fn type_problem(origins: &Origins, section: &str, err: ConfigError) -> Problem {
    match err {
        ConfigError::Type {
            origin,
            unexpected,
            expected,
            key,
        } => {
            let key = match key {
                Some(k) if !k.is_empty() => config_path(section, &k),
                _ => section.to_owned(),
            };
            let origin = origins.of(&key).or(origin);
            Problem::new(
                origin,
                &key,
                format!("invalid type: {unexpected}, expected {expected}"),
            )
        }
        other => {
            let mut text = other.to_string();
            // config-rs appends "for key `x`" to custom errors; serde's "missing field `x`"
            // names it too. Point the problem at that key.
            let mut key = section.to_owned();
            if let Some((message, rest)) = text.split_once(" for key `") {
                key = config_path(section, rest.trim_end_matches('`'));
                text = message.to_owned();
            } else if let Some(field) = text
                .strip_prefix("missing field `")
                .and_then(|r| r.split('`').next())
            {
                key = format!("{section}.{field}");
            }
            if let Some((_, value)) = text.split_once("does not have variant constructor ") {
                text = format!("{value:?} is not one of the allowed values");
            }
            Problem::new(origins.of(&key), &key, text)
        }
    }
}

/// Turns serde_ignored's `apps.0.name` into the config path `webhook.apps[0].name`.
fn config_path(section: &str, path: &str) -> String {
    // config-rs writes `portals[0]auth.kind` for `portals[0].auth.kind`.
    let path = path
        .replace(']', "].")
        .replace("].[", "][")
        .replace("]..", "].");
    let mut out = section.to_owned();
    for part in path.split('.').filter(|p| !p.is_empty() && *p != "?") {
        if part.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{part}]"));
        } else {
            out.push('.');
            out.push_str(part);
        }
    }
    out
}

pub(super) const ENV_ORIGIN: &str = "environment";

/// Each layer alone, to say which one a key came from: the highest layer holding it wins,
/// as it does when the layers are merged.
#[derive(Default)]
pub(super) struct Origins {
    layers: Vec<(String, Config)>,
}

impl Origins {
    pub(super) fn add(&mut self, name: &str, config: Option<Config>) {
        if let Some(config) = config {
            self.layers.push((name.to_owned(), config));
        }
    }

    pub(super) fn of(&self, key: &str) -> Option<String> {
        let (name, _) = self
            .layers
            .iter()
            .rev()
            .find(|(_, c)| c.get::<config::Value>(key).is_ok())?;
        Some(if name == ENV_ORIGIN {
            format!("environment variable {}", env_var_name(key))
        } else {
            name.clone()
        })
    }
}

/// `webhook.public_url` → `HANDOFF__WEBHOOK__PUBLIC_URL`.
fn env_var_name(key: &str) -> String {
    format!("HANDOFF__{}", key.replace('.', "__").to_uppercase())
}
