//! Config validation: every problem at once, each with its key path (docs/architecture.md "Every
//! configuration problem at once").

use std::collections::HashSet;

use super::config::{AuthConfig, ConfigError, ConfigIssue, HubspotConfig, PortalConfig, SecretRef};

impl HubspotConfig {
    /// Where the token-encryption key comes from.
    pub fn token_key_ref(&self) -> Option<SecretRef> {
        SecretRef::pick(&self.token_key_env, &self.token_key_file)
    }

    /// Checks everything and reports every problem at once (docs/architecture.md "Every
    /// configuration problem at once").
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut issues = Vec::new();
        let mut push = |path: String, message: &str| {
            issues.push(ConfigIssue {
                path,
                message: message.to_owned(),
            })
        };
        if reqwest::Url::parse(&self.base_url).is_err() {
            push("base_url".into(), "not a URL");
        }
        let at_least_one = [
            ("replicas", self.replicas),
            ("retry.max_attempts", self.retry.max_attempts),
            ("chunk_concurrency", self.chunk_concurrency),
        ];
        for (key, value) in at_least_one {
            if value == 0 {
                push(key.into(), "must be at least 1");
            }
        }
        let mut seen = HashSet::new();
        for (i, p) in self.portals.iter().enumerate() {
            let mut at = |k: &str, message: &str| push(format!("portals[{i}].{k}"), message);
            if !seen.insert(p.id) {
                at("id", "duplicate portal id");
            }
            check_portal(p, self.replicas, &mut at);
        }
        let any_oauth = self.portals.iter().any(|p| p.auth.oauth_refs().is_some());
        if any_oauth && self.token_key_ref().is_none() {
            push(
                "token_key_env".into(),
                "set exactly one of token_key_env, token_key_file when a portal uses oauth (tokens are stored encrypted)",
            );
        }
        if issues.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(issues))
        }
    }
}

/// One portal's checks; `at` reports a key inside the portal.
fn check_portal(p: &PortalConfig, replicas: u32, at: &mut dyn FnMut(&str, &str)) {
    if p.playbook.trim().is_empty() {
        at("playbook", "must not be empty");
    }
    if jiff::tz::TimeZone::get(&p.time_zone).is_err() {
        at("time_zone", "unknown IANA time zone");
    }
    check_auth(&p.auth, at);
    if p.availability.from_hubspot && p.availability.refresh_ms < 1_000 {
        at("availability.refresh_ms", "must be at least 1000");
    }
    let q = p.resolved_quota(replicas);
    if q.interval_ms == 0 {
        at("quota.interval_ms", "must be positive");
    }
    if q.safety_margin_pct >= 100 {
        at("quota.safety_margin_pct", "must be below 100");
    } else if q.replicas == 0 {
        at("quota.replicas", "must be at least 1");
    } else if super::budget::per_replica_share(q.requests, q.safety_margin_pct, q.replicas) == 0 {
        at(
            "quota",
            "requests after safety margin and replica share is zero",
        );
    }
    if p.search_quota.requests == 0 || p.search_quota.interval_ms == 0 {
        at("search_quota", "requests and interval_ms must be positive");
    }
    for (key, message) in p.journal.problems() {
        at(&format!("journal.{key}"), message);
    }
}

/// A portal's credentials: each secret named exactly once.
fn check_auth(auth: &AuthConfig, at: &mut dyn FnMut(&str, &str)) {
    match auth {
        AuthConfig::PrivateApp { .. } => {
            if auth.token_ref().is_none() {
                at("auth", "set exactly one of token_env, token_file");
            }
        }
        AuthConfig::Oauth { client_id, .. } => {
            if client_id.trim().is_empty() {
                at("auth.client_id", "must not be empty");
            }
            let Some((secret, refresh)) = auth.oauth_refs() else {
                return;
            };
            if secret.is_none() {
                at(
                    "auth",
                    "set exactly one of client_secret_env, client_secret_file",
                );
            }
            if refresh.is_none() {
                at(
                    "auth",
                    "set exactly one of refresh_token_env, refresh_token_file",
                );
            }
        }
    }
}
