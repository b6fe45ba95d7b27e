//! Layered loading: built-in defaults → admin files → environment, then one pass that collects
//! every unknown key, every type error (one per section) and every semantic problem.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use config::{Config, ConfigError, Environment, File, FileFormat};
use serde::de::DeserializeOwned;

use super::engine;
use super::validate::{Problem, Report, validate};
use super::{DEFAULT_TOML, Settings};
use crate::hubspot::signature::AppKey;

/// Where configuration comes from. Tests pass their own environment instead of the process's.
/// `Debug` names the variables but never prints their values (they hold secrets).
#[derive(Clone, Default)]
pub struct ConfigSources {
    /// `--config DIR`: every `DIR/*.toml`, in lexical order. `None`: `config/local.toml` if present.
    pub dir: Option<PathBuf>,
    /// Environment variables; `None` reads the process environment.
    pub env: Option<HashMap<String, String>>,
}

impl std::fmt::Debug for ConfigSources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Option<Vec<&String>> = self.env.as_ref().map(|e| {
            let mut names: Vec<&String> = e.keys().collect();
            names.sort();
            names
        });
        f.debug_struct("ConfigSources")
            .field("dir", &self.dir)
            .field("env_names", &names)
            .finish()
    }
}

impl ConfigSources {
    pub(crate) fn env_var(&self, name: &str) -> Option<String> {
        match &self.env {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }
}

/// A configuration that passed every check, with the webhook secrets resolved.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub settings: Settings,
    /// Apps whose signatures the receiver accepts, the default app first.
    pub webhook_apps: Vec<AppKey>,
    /// The layers read, lowest first, for the startup log and `check-config`.
    pub layers: Vec<String>,
    /// The compiled playbook and the roster it routes to (see `[playbook]`, `[roster]`).
    pub playbook: std::sync::Arc<crate::engine::Playbook>,
    pub roster: std::sync::Arc<crate::engine::Roster>,
    /// Where it was loaded from, so a reload reads the same layers.
    pub sources: ConfigSources,
}

const DEFAULT_ORIGIN: &str = "config/default.toml (built in)";
const SECTIONS: [&str; 9] = [
    "server", "store", "webhook", "hubspot", "log", "engine", "queue", "worker", "pipeline",
];

/// Loads and checks the configuration; on failure the report names every problem.
pub fn load(sources: &ConfigSources) -> Result<LoadedConfig, Report> {
    let mut problems = Vec::new();
    let files = admin_files(sources, &mut problems);
    let mut layers = vec![DEFAULT_ORIGIN.to_owned()];
    let mut texts = vec![(DEFAULT_ORIGIN.to_owned(), DEFAULT_TOML.to_owned())];
    let mut origins = Origins::default();
    let default = File::from_str(DEFAULT_TOML, FileFormat::Toml);
    origins.add(
        DEFAULT_ORIGIN,
        Config::builder().add_source(default.clone()).build().ok(),
    );
    let mut builder = Config::builder().add_source(default);
    for path in &files {
        // Parse each file alone first so one broken file does not hide the others' problems.
        match Config::builder()
            .add_source(File::from(path.as_path()))
            .build()
        {
            Ok(alone) => {
                builder = builder.add_source(File::from(path.as_path()));
                layers.push(path.display().to_string());
                origins.add(&path.display().to_string(), Some(alone));
                texts.push((
                    path.display().to_string(),
                    std::fs::read_to_string(path).unwrap_or_default(),
                ));
            }
            Err(err) => problems.push(Problem::file(path, err.to_string())),
        }
    }
    let env = Environment::with_prefix("HANDOFF")
        .prefix_separator("__")
        .separator("__")
        // Lists from the environment are comma-separated: HANDOFF__WORKER__LANES=probe,events
        .list_separator(",")
        .with_list_parse_key("worker.lanes")
        .with_list_parse_key("pipeline.touch_properties")
        .source(sources.env.clone());
    origins.add(
        ENV_ORIGIN,
        Config::builder().add_source(env.clone()).build().ok(),
    );
    layers.push("environment (HANDOFF__*)".to_owned());
    let config = match builder.add_source(env).build() {
        Ok(config) => config,
        Err(err) => {
            problems.push(Problem::new(None, "", err.to_string()));
            return Err(Report::new(problems));
        }
    };
    let settings = typed_settings(&config, &origins, &mut problems);
    let Some(settings) = settings else {
        return Err(Report::new(problems));
    };
    let origin = |key: &str| origins.of(key);
    let apps = validate(&settings, sources, &origin, &mut problems);
    let engine = engine::load(
        &texts,
        &settings.engine,
        &settings.hubspot.portals,
        &mut problems,
    );
    match engine {
        Some((playbook, roster)) if problems.is_empty() => Ok(LoadedConfig {
            sources: sources.clone(),
            settings,
            webhook_apps: apps,
            layers,
            playbook: std::sync::Arc::new(playbook),
            roster: std::sync::Arc::new(roster),
        }),
        _ => Err(Report::new(problems)),
    }
}

fn admin_files(sources: &ConfigSources, problems: &mut Vec<Problem>) -> Vec<PathBuf> {
    let Some(dir) = &sources.dir else {
        let local = Path::new("config/local.toml");
        return if local.is_file() {
            vec![local.to_path_buf()]
        } else {
            Vec::new()
        };
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            problems.push(Problem::file(
                dir,
                format!("cannot read config directory: {err}"),
            ));
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml") && path.is_file())
        .collect();
    files.sort();
    files
}

/// Deserializes each section on its own, so a type error in one does not hide another's, and
/// records every key no section knows (serde_ignored sees them all; `deny_unknown_fields`
/// would stop at the first).
fn typed_settings(
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

const ENV_ORIGIN: &str = "environment";

/// Each layer alone, to say which one a key came from: the highest layer holding it wins,
/// as it does when the layers are merged.
#[derive(Default)]
struct Origins {
    layers: Vec<(String, Config)>,
}

impl Origins {
    fn add(&mut self, name: &str, config: Option<Config>) {
        if let Some(config) = config {
            self.layers.push((name.to_owned(), config));
        }
    }

    fn of(&self, key: &str) -> Option<String> {
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
