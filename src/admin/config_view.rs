//! What `check-config` prints when the configuration passes: the layers read, lowest first,
//! and whether the rules ran against example contacts (a newcomer running the installed
//! binary outside a checkout should see the check was skipped, not assume it ran).

use crate::config::LoadedConfig;

/// The report of a configuration that passed every check.
pub fn describe_config(loaded: &LoadedConfig) -> String {
    let mut out = String::from("configuration OK; layers, lowest first:\n");
    for layer in &loaded.layers {
        out.push_str(&format!("  - {layer}\n"));
    }
    let examples = match &loaded.examples {
        Some((dir, n)) => format!(
            "every rule ran against {n} example contacts in {}",
            dir.display()
        ),
        None if loaded.settings.engine.examples_dir.is_empty() => {
            "no example contacts (engine.examples_dir = \"\")".to_owned()
        }
        None => format!(
            "no example contacts: the built-in {} is not here (set engine.examples_dir to check \
             every rule against contacts of your own)",
            loaded.settings.engine.examples_dir
        ),
    };
    out.push_str(&format!("examples: {examples}"));
    out
}
