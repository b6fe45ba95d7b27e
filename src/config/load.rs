//! Layered loading: built-in defaults → admin files → environment. Each file must parse and
//! hold no secret (else that is reported alone); then one pass collects every unknown key,
//! every type error (one per section) and every semantic problem, each at its file:line:column.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};

use super::engine;
use super::redact::Redactor;
use super::report::{Problem, Report};
use super::source;
use super::typed::{ENV_ORIGIN, Origins, typed_settings};
use super::validate::validate;
use super::{DEFAULT_TOML, Purpose, Settings};
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
    /// The example contacts every rule ran against (`engine.examples_dir`) and how many there
    /// were; `None` when the check was skipped.
    pub examples: Option<(std::path::PathBuf, usize)>,
}

/// How the compiled-in layer is named in reports and `origin` answers.
pub(super) const DEFAULT_ORIGIN: &str = "config/default.toml (built in)";

/// Loads and checks the whole configuration, as `serve` needs it; on failure the report names
/// every problem, with no secret value in it.
pub fn load(sources: &ConfigSources) -> Result<LoadedConfig, Report> {
    load_for(sources, Purpose::Service)
}

/// Loads the configuration and checks what `purpose` uses (see [`Purpose`]).
pub fn load_for(sources: &ConfigSources, purpose: Purpose) -> Result<LoadedConfig, Report> {
    let mut problems = Vec::new();
    let texts = read_layers(sources, &mut problems);
    // A file that cannot be read or parsed, or that holds a secret, is reported alone: what
    // the later checks would say without it (a key it sets "is required") is noise.
    if problems.is_empty()
        && let Some(loaded) = check(sources, purpose, &texts, &mut problems)
        && problems.is_empty()
    {
        return Ok(loaded);
    }
    Err(finish(problems, &texts, sources))
}

/// The layers as `(origin, TOML text)`, built-in defaults first; each admin file is checked
/// alone, so one broken file does not hide the others' problems.
fn read_layers(sources: &ConfigSources, problems: &mut Vec<Problem>) -> Vec<(String, String)> {
    let mut texts = vec![(DEFAULT_ORIGIN.to_owned(), DEFAULT_TOML.to_owned())];
    for path in admin_files(sources, problems) {
        let origin = path.display().to_string();
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                source::check_file(&origin, &text, problems);
                texts.push((origin, text));
            }
            Err(err) => problems.push(Problem::file(&path, format!("cannot read: {err}"))),
        }
    }
    texts
}

/// Merges the layers and the environment, types every section and runs every check.
fn check(
    sources: &ConfigSources,
    purpose: Purpose,
    texts: &[(String, String)],
    problems: &mut Vec<Problem>,
) -> Option<LoadedConfig> {
    let mut origins = Origins::default();
    let mut builder = Config::builder();
    for (origin, text) in texts {
        let file = File::from_str(text, FileFormat::Toml);
        origins.add(
            origin,
            Config::builder().add_source(file.clone()).build().ok(),
        );
        builder = builder.add_source(file);
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
    let config = match builder.add_source(env).build() {
        Ok(config) => config,
        Err(err) => {
            problems.push(Problem::new(None, "", err.to_string()));
            return None;
        }
    };
    let settings = typed_settings(&config, &origins, problems)?;
    let origin = |key: &str| origins.of(key);
    let apps = validate(&settings, (sources, purpose), &origin, problems);
    let portals = &settings.hubspot.portals;
    let compiled = engine::load(texts, &settings.engine, portals, &origin, problems)?;
    let mut layers: Vec<String> = texts.iter().map(|(origin, _)| origin.clone()).collect();
    layers.push("environment (HANDOFF__*)".to_owned());
    Some(LoadedConfig {
        sources: sources.clone(),
        settings,
        webhook_apps: apps,
        layers,
        playbook: std::sync::Arc::new(compiled.playbook),
        roster: std::sync::Arc::new(compiled.roster),
        examples: compiled.examples,
    })
}

/// The report as shown: each problem at the line and column of its key (or of the nearest
/// table holding it) in its file, and every secret value masked.
fn finish(
    mut problems: Vec<Problem>,
    texts: &[(String, String)],
    sources: &ConfigSources,
) -> Report {
    let mut redactor = Redactor::default();
    for (_, text) in texts {
        redactor.add_source(text);
    }
    let vars: Vec<(String, String)> = match &sources.env {
        Some(env) => env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        None => std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect(),
    };
    redactor.add_env(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut spans = HashMap::new();
    for problem in &mut problems {
        locate(problem, texts, &mut spans);
        problem.message = redactor.apply(&problem.message);
        problem.key = redactor.apply(&problem.key);
        problem.origin = problem.origin.as_deref().map(|o| redactor.apply(o));
    }
    Report::new(problems)
}

type KeySpans = Vec<(String, std::ops::Range<usize>)>;

/// Sets `problem.at` from where its key (or the nearest table holding it) is written in its
/// file; `spans` keeps each file's keys between problems.
fn locate<'a>(
    problem: &mut Problem,
    texts: &'a [(String, String)],
    spans: &mut HashMap<&'a str, KeySpans>,
) {
    let file = problem
        .origin
        .as_deref()
        .and_then(|o| texts.iter().find(|(origin, _)| origin == o));
    let (None, Some((origin, text))) = (problem.at, file) else {
        return;
    };
    let spans = spans
        .entry(origin)
        .or_insert_with(|| source::key_spans(text));
    let mut key = problem.key.as_str();
    while !key.is_empty() && problem.at.is_none() {
        problem.at = spans
            .iter()
            .find(|(path, _)| path == key)
            .map(|(_, span)| source::line_col(text, span.start));
        key = key.rfind(['.', '[']).map_or("", |end| &key[..end]);
    }
}

/// The admin files: every `DIR/*.toml` of `--config DIR`, or `config/local.toml`.
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
        .filter(|path| !is_the_defaults(path, problems))
        .collect();
    files.sort();
    files
}

/// `default.toml` is compiled in as the lowest layer. Read again from the directory (as with
/// `--config config`) it would override every file sorted before it, so it is never an admin
/// layer: a copy is skipped, and an edited one is refused (its edits would not be read).
fn is_the_defaults(path: &Path, problems: &mut Vec<Problem>) -> bool {
    if path.file_name().is_none_or(|name| name != "default.toml") {
        return false;
    }
    if std::fs::read_to_string(path).is_ok_and(|text| text == DEFAULT_TOML) {
        return true;
    }
    problems.push(Problem::file(
        path,
        "differs from the config/default.toml built into this binary, and is not read: \
         the built-in defaults are always the lowest layer; put overrides in another file \
         of this directory (e.g. local.toml)"
            .into(),
    ));
    true
}
