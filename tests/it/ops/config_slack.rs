//! `[alerts.slack]` and the ladder's `alert`: off by default (a configuration without a Slack
//! key loads as before), its secrets only by variable or file and read only by the commands
//! that use them, a secret written inline refused by file:line and key without its value, and
//! every bad value named by its key path.

use std::path::Path;

use handoff::config::{ConfigSources, LoadedConfig, Purpose, Report, load_for, slack_secrets};
use handoff::engine::playbook::LadderAlert;
use secrecy::ExposeSecret;

use crate::support::app::base_env;

/// Loads the real layers with `toml` as `local.toml` and `env` added, for `purpose`.
fn load_with(
    dir: &Path,
    toml: &str,
    env: &[(&str, &str)],
    purpose: Purpose,
) -> Result<LoadedConfig, Report> {
    let config_dir = dir.join("config");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(config_dir.join("local.toml"), toml).unwrap();
    let mut vars = base_env(dir);
    vars.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    load_for(
        &ConfigSources {
            dir: Some(config_dir),
            env: Some(vars),
        },
        purpose,
    )
}

fn problems(result: Result<LoadedConfig, Report>) -> Vec<String> {
    match result {
        Ok(_) => panic!("the configuration loaded"),
        Err(report) => report.problems.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn without_any_slack_key_the_configuration_loads_with_alerts_off() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = load_with(dir.path(), "", &[], Purpose::Service).unwrap();
    let slack = &loaded.settings.alerts.slack;
    assert!(!slack.enabled);
    assert_eq!(slack.base_url, "https://slack.com/api/");
    assert!(slack.bot_token_env.is_none() && slack.signing_secret_env.is_empty());
}

#[test]
fn slack_alerts_load_with_secrets_from_the_environment_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let (new, old) = (
        dir.path().join("signing-new"),
        dir.path().join("signing-old"),
    );
    std::fs::write(&new, "new-signing-secret\n").unwrap();
    std::fs::write(&old, "old-signing-secret\n").unwrap();
    let toml = format!(
        "[alerts.slack]\nenabled = true\nbot_token_env = \"SLACK_BOT_TOKEN\"\n\
         signing_secret_file = [{:?}, {:?}]\ndefault_channel = \"#sales-dach\"\n\
         events = [\"assigned\"]\nbase_url = \"http://127.0.0.1:8090/api/\"\n",
        new.display().to_string(),
        old.display().to_string()
    );
    let env = [("SLACK_BOT_TOKEN", "xoxb-from-env")];
    let loaded = load_with(dir.path(), &toml, &env, Purpose::Service).unwrap();
    let slack = &loaded.settings.alerts.slack;
    assert!(slack.enabled);
    assert_eq!(slack.default_channel, "#sales-dach");
    assert_eq!(slack.events, [handoff::config::AlertEvent::Assigned]);
    let secrets = slack_secrets(slack, &loaded.sources).unwrap();
    assert_eq!(secrets.bot_token.expose_secret(), "xoxb-from-env");
    let signing: Vec<&str> = secrets
        .signing_secrets
        .iter()
        .map(|s| s.expose_secret())
        .collect();
    assert_eq!(signing, ["new-signing-secret", "old-signing-secret"]);
    // Neither shows in any Debug output.
    let shown = format!("{secrets:?} {loaded:?}");
    for secret in ["xoxb-from-env", "new-signing-secret", "old-signing-secret"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

#[test]
fn a_slack_secret_written_in_a_file_is_refused_by_line_and_key_never_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let toml = "[alerts.slack]\nenabled = true\nbot_token = \"xoxb-CANARY-7f3e91\"\n\
                signing_secret = \"CANARY-signing-2c8d\"\n";
    let found = problems(load_with(dir.path(), toml, &[], Purpose::Service));
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0].ends_with(
            "local.toml:3:1: alerts.slack.bot_token: a secret is never read from a configuration \
             file: remove it and name the variable holding it with bot_token_env, or its file \
             with bot_token_file"
        ),
        "{}",
        found[0]
    );
    assert!(
        found[1].contains("local.toml:4:1: alerts.slack.signing_secret: a secret is never read"),
        "{}",
        found[1]
    );
    assert!(found.iter().all(|p| !p.contains("CANARY")), "{found:#?}");
}

#[test]
fn missing_slack_secrets_are_named_only_for_the_commands_that_read_them() {
    let dir = tempfile::tempdir().unwrap();
    let toml = "[alerts.slack]\nenabled = true\nbot_token_env = \"SLACK_BOT_TOKEN\"\n\
                signing_secret_env = \"SLACK_SIGNING_SECRET\"\n";
    let env = [("SLACK_SIGNING_SECRET", " ")];
    let found = problems(load_with(dir.path(), toml, &env, Purpose::Service));
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0].ends_with(
            "local.toml:3:1: alerts.slack.bot_token_env: environment variable SLACK_BOT_TOKEN \
             is not set"
        ),
        "{found:#?}"
    );
    assert!(
        found[1].ends_with(
            "local.toml:4:1: alerts.slack.signing_secret_env: environment variable \
             SLACK_SIGNING_SECRET is empty"
        ),
        "{found:#?}"
    );
    // `report` and the other store commands never read them.
    assert!(load_with(dir.path(), toml, &env, Purpose::Store).is_ok());
    let none = "[alerts.slack]\nenabled = true\n";
    let found = problems(load_with(dir.path(), none, &[], Purpose::Service));
    assert!(
        found[0].contains("alerts.slack: set exactly one of bot_token_env or bot_token_file"),
        "{found:#?}"
    );
    assert!(
        found[1].contains("alerts.slack.signing_secret_env: no signing secret"),
        "{found:#?}"
    );
}

#[test]
fn bad_slack_values_are_named_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let toml = "[alerts.slack]\ndefault_channel = \"sales team\"\nbase_url = \"slack.com/api\"\n";
    let found = problems(load_with(dir.path(), toml, &[], Purpose::Service));
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].contains("local.toml:3:1: alerts.slack.base_url: must be an absolute"));
    assert!(found[1].contains("local.toml:2:1: alerts.slack.default_channel: a channel is #name"));
    let found = problems(load_with(
        dir.path(),
        "[alerts.slack]\nevents = [\"assigned\", \"sent\"]\n",
        &[],
        Purpose::Service,
    ));
    assert!(found[0].contains("alerts.slack.events"), "{found:#?}");
    // With Slack on, the webhook may not take Slack's path.
    let toml = "[webhook]\npath = \"/slack/interactions\"\n[alerts.slack]\nenabled = true\n\
                bot_token_env = \"T\"\nsigning_secret_env = \"S\"\n";
    let env = [("T", "xoxb-t"), ("S", "s")];
    let found = problems(load_with(dir.path(), toml, &env, Purpose::Service));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].contains("webhook.path: /slack/interactions is Slack's click route"));
}

/// The shipped playbook as the admin's own, with `alert` set on the escalation step.
fn playbook_with_alert(alert: &str) -> (String, usize) {
    let defaults = handoff::config::DEFAULT_TOML;
    let start = defaults.find("[playbook]\n").unwrap();
    let end = defaults.find("[[roster.teams]]").unwrap();
    let step = "action = \"escalate\"        # task for the team manager\nat = \"due\"\n";
    let playbook = defaults[start..end].replacen(step, &format!("{step}alert = {alert:?}\n"), 1);
    let at = playbook.find(&format!("alert = {alert:?}")).unwrap();
    (playbook.clone(), playbook[..at].matches('\n').count() + 1)
}

#[test]
fn a_ladder_step_alerts_the_owner_the_manager_or_a_channel_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (toml, _) = playbook_with_alert("channel:#sales-escalations");
    let loaded = load_with(dir.path(), &toml, &[], Purpose::Rules).unwrap();
    let ladder = &loaded.playbook.doc.ladder;
    assert_eq!(
        ladder[1].slack_alert(),
        Some(LadderAlert::Channel("#sales-escalations".into()))
    );
    assert_eq!(ladder[0].slack_alert(), None);
    let (toml, line) = playbook_with_alert("team-lead");
    let found = problems(load_with(dir.path(), &toml, &[], Purpose::Rules));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].starts_with(&format!(
            "{}:{line}:1: playbook.ladder[1].alert: \"team-lead\" is not one of",
            dir.path().join("config/local.toml").display()
        )),
        "{}",
        found[0]
    );
}
