//! The scopes `handoff doctor` checks a portal's token for: exactly those `handoff hubspot-app`
//! requires of the app for what the configuration turns on (one derivation,
//! [`super::hubspot_app::required_scopes`]; docs/hubspot.md "Scopes doctor checks"), each
//! marked with the token that holds it: the Webhooks Journal's are the app's
//! client-credentials token's, every other one the portal's token's.

use serde::Serialize;

use super::hubspot_app::{AppSource, required_scopes as app_scopes};
use crate::config::LoadedConfig;
use crate::hubspot::client::JOURNAL_SCOPES;

/// Which token must hold a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeHolder {
    /// The portal's token (the static app's access token, or the OAuth access token).
    Portal,
    /// The app's client-credentials token, which the Webhooks Journal asks for itself.
    AppToken,
}

/// One scope and what needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeNeed {
    pub scope: String,
    /// Why handoff needs it, as `hubspot-app` prints it.
    pub why: String,
    pub holder: ScopeHolder,
}

/// The scopes the configuration needs, sorted by name.
pub fn required_scopes(loaded: &LoadedConfig) -> Vec<ScopeNeed> {
    app_scopes(&AppSource::of(loaded))
        .into_iter()
        .map(|s| ScopeNeed {
            holder: if JOURNAL_SCOPES.split_whitespace().any(|j| j == s.name) {
                ScopeHolder::AppToken
            } else {
                ScopeHolder::Portal
            },
            scope: s.name,
            why: s.reason,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(extra: &str) -> LoadedConfig {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let token = dir.path().join("token");
        std::fs::write(&token, "pat-na1-x").unwrap_or_else(|e| unreachable!("{e}"));
        let text = format!(
            r#"
[engine]
examples_dir = ""
[webhook]
public_url = "https://h.example.com/webhooks/hubspot"
[[hubspot.portals]]
id = 62515
playbook = "example-b2b-saas"
auth = {{ kind = "private_app", token_file = "{}" }}
{extra}
"#,
            token.display()
        );
        std::fs::write(dir.path().join("10.toml"), text).unwrap_or_else(|e| unreachable!("{e}"));
        let env = [("HANDOFF__WEBHOOK__CLIENT_SECRET".to_owned(), "s".to_owned())];
        let sources = crate::config::ConfigSources {
            dir: Some(dir.path().to_path_buf()),
            env: Some(env.into_iter().collect()),
        };
        crate::config::load(&sources).unwrap_or_else(|r| unreachable!("{r}"))
    }

    fn portal_scopes(l: &LoadedConfig) -> Vec<String> {
        required_scopes(l)
            .into_iter()
            .filter(|n| n.holder == ScopeHolder::Portal)
            .map(|n| n.scope)
            .collect()
    }

    #[test]
    fn the_default_configuration_needs_the_app_s_base_scopes_on_the_portal_token() {
        assert_eq!(
            portal_scopes(&loaded("")),
            crate::admin::hubspot_app::tests::BASE_SCOPES
        );
    }

    #[test]
    fn availability_adds_its_scope_and_the_journal_s_are_the_app_token_s() {
        let l = loaded("availability = { from_hubspot = true }\njournal = { enabled = true }");
        assert!(portal_scopes(&l).contains(&"crm.objects.users.read".to_owned()));
        let needs = required_scopes(&l);
        let journal: Vec<&ScopeNeed> = needs
            .iter()
            .filter(|n| n.scope.starts_with("developer.webhooks_journal"))
            .collect();
        assert_eq!(journal.len(), 3);
        assert!(journal.iter().all(|n| n.holder == ScopeHolder::AppToken));
        assert!(journal.iter().all(|n| n.why.contains("journal.enabled")));
    }
}
