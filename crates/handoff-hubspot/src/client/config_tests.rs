use super::*;

const SAMPLE: &str = r#"
base_url = "https://api.hubapi.com"
replicas = 2
token_key_env = "HANDOFF_TOKEN_KEY"

[[portals]]
id = 62515
playbook = "default"
time_zone = "Europe/Berlin"
auth = { kind = "private_app", token_env = "HUBSPOT_TOKEN_62515", tier = "professional" }
quota = { requests = 190, interval_ms = 10000, safety_margin_pct = 10 }

[[portals]]
id = 7
playbook = "emea"
[portals.auth]
kind = "oauth"
client_id = "abc"
client_secret_file = "/run/secrets/hubspot_client_secret"
refresh_token_env = "HUBSPOT_REFRESH_7"
"#;

#[test]
fn the_documented_toml_shape_parses_and_validates() {
    let cfg: HubspotConfig = toml::from_str(SAMPLE).unwrap();
    cfg.validate().unwrap();
    assert_eq!(cfg.portals.len(), 2);
    let q = cfg.portals[1].resolved_quota(cfg.replicas);
    assert_eq!(q.requests, 110, "public OAuth apps default to 110/10 s");
    assert_eq!(q.replicas, 2);
}

#[test]
fn unknown_keys_are_found_with_their_paths_and_unknown_auth_keys_are_rejected() {
    // The configuration loader walks the section with serde_ignored and reports every key it
    // passes over; `auth` refuses unknown keys itself.
    let bad = SAMPLE.replace("playbook = \"emea\"", "playbook = \"emea\"\nplaybok = 1");
    let mut unknown = Vec::new();
    let de = toml::Deserializer::parse(&bad).unwrap();
    let parsed: Result<HubspotConfig, _> =
        serde_ignored::deserialize(de, |path| unknown.push(path.to_string()));
    assert!(parsed.is_ok());
    assert_eq!(unknown, vec!["portals.1.playbok".to_string()]);
    let bad_auth = SAMPLE.replace("tier = \"professional\"", "toke = \"x\"");
    assert!(toml::from_str::<HubspotConfig>(&bad_auth).is_err());
}

#[test]
fn validation_reports_every_problem_with_its_path() {
    let text = r#"
[[portals]]
id = 1
playbook = ""
time_zone = "Mars/Olympus"
auth = { kind = "private_app", token_env = "A", token_file = "/b" }
[[portals]]
id = 1
playbook = "x"
auth = { kind = "oauth", client_id = "c" }
quota = { requests = 1, safety_margin_pct = 50 }
"#;
    let cfg: HubspotConfig = toml::from_str(text).unwrap();
    let Err(ConfigError::Invalid(issues)) = cfg.validate() else {
        panic!("expected invalid config");
    };
    let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
    for want in [
        "portals[0].playbook",
        "portals[0].time_zone",
        "portals[0].auth",
        "portals[1].id",
        "portals[1].quota",
        "token_key_env",
    ] {
        assert!(paths.contains(&want), "missing {want} in {paths:?}");
    }
}

#[test]
fn missing_secret_errors_name_the_source_not_a_value() {
    let r = SecretRef::Env("HANDOFF_TEST_SURELY_UNSET_VAR".into());
    let err = r.load().unwrap_err().to_string();
    assert!(err.contains("HANDOFF_TEST_SURELY_UNSET_VAR"));
}
