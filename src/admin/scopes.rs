//! The HubSpot scopes a portal's app needs for what the configuration turns on
//! (docs/hubspot.md "Scopes"): one function, [`required_scopes`], that `handoff doctor` checks a
//! token against. Each need says why, so a missing scope can be explained.

use serde::Serialize;

use crate::config::Settings;
use crate::engine::Playbook;
use crate::hubspot::client::PortalConfig;

/// Which token must hold a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeHolder {
    /// The portal's token (private-app / static token, or the OAuth access token).
    Portal,
    /// The app's client-credentials token, which the Webhooks Journal asks for itself.
    AppToken,
}

/// One scope and what needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeNeed {
    pub scope: &'static str,
    /// What handoff does with it, e.g. "read contacts and their webhooks".
    pub why: &'static str,
    pub holder: ScopeHolder,
}

fn need(scope: &'static str, why: &'static str) -> ScopeNeed {
    ScopeNeed {
        scope,
        why,
        holder: ScopeHolder::Portal,
    }
}

/// The scopes `portal` needs, in a stable order, once each:
/// - always: contacts read and write (contacts, classic contact webhooks, and tasks, which
///   these scopes cover), companies read (a contact's company and its associations), owners
///   read, contact schemas write (`handoff portal setup` creates the write-back properties;
///   reading property definitions is covered by the contacts read scope);
/// - `availability.from_hubspot`: CRM users read;
/// - `[playbook.leads]` on for the portal: leads read and write;
/// - the portal in `pipeline.sequence_portals`: sequences read and enrollments write;
/// - `journal.enabled`: the Webhooks Journal's scopes, held by the app token.
pub fn required_scopes(
    settings: &Settings,
    playbook: &Playbook,
    portal: &PortalConfig,
) -> Vec<ScopeNeed> {
    let mut out = vec![
        need(
            "crm.objects.contacts.read",
            "read contacts, their webhooks, tasks and property definitions",
        ),
        need(
            "crm.objects.contacts.write",
            "write the owner and handoff properties, create tasks",
        ),
        need(
            "crm.objects.companies.read",
            "read a contact's company for routing and readiness",
        ),
        need("crm.objects.owners.read", "read owners for routing"),
        need(
            "crm.schemas.contacts.write",
            "create the write-back properties (`handoff portal setup`)",
        ),
    ];
    if portal.availability.from_hubspot {
        out.push(need(
            "crm.objects.users.read",
            "read rep availability (availability.from_hubspot)",
        ));
    }
    let id = i64::try_from(portal.id.0).unwrap_or(i64::MAX);
    if playbook.doc.leads.on_for(id) {
        out.push(need(
            "crm.objects.leads.read",
            "read lead stages ([playbook.leads])",
        ));
        out.push(need(
            "crm.objects.leads.write",
            "create and reassign leads ([playbook.leads])",
        ));
    }
    if settings.pipeline.sequence_portals.contains(&portal.id.0) {
        out.push(need(
            "automation.sequences.read",
            "read sequences (pipeline.sequence_portals)",
        ));
        out.push(need(
            "automation.sequences.enrollments.write",
            "enroll leads in sequences (pipeline.sequence_portals)",
        ));
    }
    if portal.journal.enabled {
        for scope in crate::hubspot::client::JOURNAL_SCOPES.split_whitespace() {
            out.push(ScopeNeed {
                scope,
                why: "read the Webhooks Journal (journal.enabled)",
                holder: ScopeHolder::AppToken,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(extra: &str) -> crate::config::LoadedConfig {
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

    fn scopes(extra: &str, leads: bool) -> Vec<&'static str> {
        let l = loaded(extra);
        let portal = &l.settings.hubspot.portals[0];
        let mut doc = l.playbook.doc.clone();
        doc.leads.enabled = leads;
        let playbook = Playbook::from_doc(doc).unwrap_or_else(|p| unreachable!("{p:?}"));
        required_scopes(&l.settings, &playbook, portal)
            .into_iter()
            .filter(|n| n.holder == ScopeHolder::Portal)
            .map(|n| n.scope)
            .collect()
    }

    #[test]
    fn the_default_configuration_needs_contacts_companies_owners_and_schemas() {
        assert_eq!(
            scopes("", false),
            [
                "crm.objects.contacts.read",
                "crm.objects.contacts.write",
                "crm.objects.companies.read",
                "crm.objects.owners.read",
                "crm.schemas.contacts.write",
            ]
        );
    }

    #[test]
    fn each_feature_adds_its_scopes() {
        let all = scopes(
            "availability = { from_hubspot = true }\n[pipeline]\nsequence_portals = [62515]\n",
            true,
        );
        for s in [
            "crm.objects.users.read",
            "crm.objects.leads.read",
            "crm.objects.leads.write",
            "automation.sequences.read",
            "automation.sequences.enrollments.write",
        ] {
            assert!(all.contains(&s), "{s} missing from {all:?}");
        }
        let l = loaded("journal = { enabled = true }");
        let needs = required_scopes(&l.settings, &l.playbook, &l.settings.hubspot.portals[0]);
        assert!(
            needs.iter().any(|n| n.holder == ScopeHolder::AppToken
                && n.scope == "developer.webhooks_journal.read")
        );
    }
}
