//! Config validation: every problem at once, each with its key path (docs/architecture.md "Every
//! configuration problem at once").

use std::collections::HashSet;

use super::config::{AuthConfig, ConfigError, ConfigIssue, HubspotConfig, SecretRef};

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
        if self.replicas == 0 {
            push("replicas".into(), "must be at least 1");
        }
        if self.retry.max_attempts == 0 {
            push("retry.max_attempts".into(), "must be at least 1");
        }
        if self.chunk_concurrency == 0 {
            push("chunk_concurrency".into(), "must be at least 1");
        }
        let mut seen = HashSet::new();
        let mut any_oauth = false;
        for (i, p) in self.portals.iter().enumerate() {
            let at = |k: &str| format!("portals[{i}].{k}");
            if !seen.insert(p.id) {
                push(at("id"), "duplicate portal id");
            }
            if p.playbook.trim().is_empty() {
                push(at("playbook"), "must not be empty");
            }
            if jiff::tz::TimeZone::get(&p.time_zone).is_err() {
                push(at("time_zone"), "unknown IANA time zone");
            }
            match &p.auth {
                AuthConfig::PrivateApp { .. } => {
                    if p.auth.token_ref().is_none() {
                        push(at("auth"), "set exactly one of token_env, token_file");
                    }
                }
                AuthConfig::Oauth { client_id, .. } => {
                    any_oauth = true;
                    if client_id.trim().is_empty() {
                        push(at("auth.client_id"), "must not be empty");
                    }
                    if let Some((secret, refresh)) = p.auth.oauth_refs() {
                        if secret.is_none() {
                            push(
                                at("auth"),
                                "set exactly one of client_secret_env, client_secret_file",
                            );
                        }
                        if refresh.is_none() {
                            push(
                                at("auth"),
                                "set exactly one of refresh_token_env, refresh_token_file",
                            );
                        }
                    }
                }
            }
            if p.availability.from_hubspot && p.availability.refresh_ms < 1_000 {
                push(at("availability.refresh_ms"), "must be at least 1000");
            }
            let q = p.resolved_quota(self.replicas);
            if q.interval_ms == 0 {
                push(at("quota.interval_ms"), "must be positive");
            }
            if q.safety_margin_pct >= 100 {
                push(at("quota.safety_margin_pct"), "must be below 100");
            } else if q.replicas == 0 {
                push(at("quota.replicas"), "must be at least 1");
            } else if super::budget::per_replica_share(q.requests, q.safety_margin_pct, q.replicas)
                == 0
            {
                push(
                    at("quota"),
                    "requests after safety margin and replica share is zero",
                );
            }
            if p.search_quota.requests == 0 || p.search_quota.interval_ms == 0 {
                push(
                    at("search_quota"),
                    "requests and interval_ms must be positive",
                );
            }
            for (key, message) in p.journal.problems() {
                push(at(&format!("journal.{key}")), message);
            }
        }
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
