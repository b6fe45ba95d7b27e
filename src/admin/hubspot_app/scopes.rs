//! The app's auth type and required scopes: exactly what the enabled features call, each with
//! the reason the summary prints (docs/hubspot.md "Developer platform app", scope table).

use super::{AppAuth, AppSource, HubspotAppError, portal_list};
use crate::hubspot::client::{AuthConfig, JOURNAL_SCOPES, PortalConfig};

/// One required scope and why handoff needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub name: String,
    pub reason: String,
}

/// What every handoff app calls, whatever is enabled.
const BASE: [(&str, &str); 7] = [
    (
        "oauth",
        "HubSpot's own app templates (static and OAuth) list it for every app",
    ),
    (
        "crm.objects.contacts.read",
        "read contacts and the handoff's tasks; receive the contact webhooks",
    ),
    (
        "crm.objects.contacts.write",
        "write the owner and the handoff properties back; create the handoff's task (tasks go with the contact scopes)",
    ),
    (
        "crm.objects.companies.read",
        "read each contact's primary company and its association (routing by account)",
    ),
    (
        "crm.objects.owners.read",
        "read the owners leads are routed to (names, user ids, emails, active)",
    ),
    (
        "crm.schemas.contacts.read",
        "read contact property definitions (`handoff portal setup` and `handoff doctor` look up the handoff properties)",
    ),
    (
        "crm.schemas.contacts.write",
        "`handoff portal setup` creates the handoff property group and properties",
    ),
];

/// The auth type: as asked, else OAuth exactly when a portal reads the Webhooks Journal (the
/// journal takes the app's client-credentials token, which a static app does not have).
pub(super) fn choose_auth(
    src: &AppSource<'_>,
    asked: Option<AppAuth>,
) -> Result<(AppAuth, String), HubspotAppError> {
    let journal = portal_list(journal_portals(src));
    match (asked, journal.is_empty()) {
        (Some(AppAuth::Static), false) => {
            Err(HubspotAppError::StaticWithJournal { portals: journal })
        }
        (_, false) => Ok((
            AppAuth::Oauth,
            format!(
                "portal(s) {journal} read the Webhooks Journal (journal.enabled), and only an OAuth app can: the journal takes the app's client-credentials token, which a static app does not have"
            ),
        )),
        (Some(auth), true) => Ok((auth, format!("--auth {} as asked", auth.as_str()))),
        (None, true) => Ok((
            AppAuth::Static,
            "no portal reads the Webhooks Journal, so a static app is enough (installed in one account, its access token shown in HubSpot); --auth oauth for an OAuth app".into(),
        )),
    }
}

fn journal_portals<'a>(src: &AppSource<'a>) -> impl Iterator<Item = &'a PortalConfig> {
    src.portals.iter().filter(|p| p.journal.enabled)
}

/// The required scopes of the enabled features, sorted by name, each with its reason (also
/// what `handoff doctor` checks a portal's token for, `admin::scopes`).
pub fn required_scopes(src: &AppSource<'_>) -> Vec<Scope> {
    let scope = |name: &str, reason: String| Scope {
        name: name.to_owned(),
        reason,
    };
    let mut out: Vec<Scope> = BASE
        .iter()
        .map(|(name, reason)| scope(name, (*reason).to_owned()))
        .collect();
    let availability = portal_list(src.portals.iter().filter(|p| p.availability.from_hubspot));
    if !availability.is_empty() {
        out.push(scope(
            "crm.objects.users.read",
            format!("portal(s) {availability} read rep availability from HubSpot's CRM users (availability.from_hubspot)"),
        ));
    }
    if src.playbook.doc.leads.enabled {
        let why = "[playbook.leads] is enabled";
        out.push(scope(
            "crm.objects.leads.read",
            format!("{why}: read lead stages and lead pipelines"),
        ));
        out.push(scope(
            "crm.objects.leads.write",
            format!("{why}: create a Lead per handoff and move it on reassignment"),
        ));
    }
    if !src.pipeline.sequence_portals.is_empty() {
        let ids: Vec<String> = src
            .pipeline
            .sequence_portals
            .iter()
            .map(ToString::to_string)
            .collect();
        let why = format!("pipeline.sequence_portals = [{}]", ids.join(", "));
        out.push(scope(
            "automation.sequences.read",
            format!("{why}: read sequences and a contact's current enrollment"),
        ));
        out.push(scope(
            "automation.sequences.enrollments.write",
            format!("{why}: enroll the contact on behalf of its new owner"),
        ));
    }
    out.extend(journal_scopes(&portal_list(journal_portals(src))));
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The Webhooks Journal's scopes, each with what it is for, when `journal` (the portals that
/// read the journal) is not empty.
fn journal_scopes(journal: &str) -> Vec<Scope> {
    if journal.is_empty() {
        return Vec::new();
    }
    let what = |name: &str| match name.rsplit_once('.') {
        Some((rest, "write")) if rest.ends_with("subscriptions") => {
            "create the portal's journal subscription"
        }
        Some((rest, "read")) if rest.ends_with("subscriptions") => "list the journal subscriptions",
        _ => "read the journal's entries",
    };
    JOURNAL_SCOPES
        .split_whitespace()
        .map(|name| Scope {
            name: name.to_owned(),
            reason: format!(
                "portal(s) {journal} read the Webhooks Journal (journal.enabled): {}",
                what(name)
            ),
        })
        .collect()
}

/// Portals configured for the other kind of credentials than the app gives them.
pub(super) fn portal_auth_notes(src: &AppSource<'_>, auth: AppAuth) -> Vec<String> {
    src.portals
        .iter()
        .filter_map(|p| match (&p.auth, auth) {
            (AuthConfig::PrivateApp { .. }, AppAuth::Oauth) => Some(format!(
                "portal {} is configured with an access token (auth.kind = \"private_app\"); an OAuth app's portal needs auth = {{ kind = \"oauth\", client_id, client_secret_env, refresh_token_env }}",
                p.id
            )),
            (AuthConfig::Oauth { .. }, AppAuth::Static) => Some(format!(
                "portal {} is configured for OAuth; a static app's portal uses the access token HubSpot shows after the install: auth = {{ kind = \"private_app\", token_env }}",
                p.id
            )),
            _ => None,
        })
        .collect()
}

/// What HubSpot has not confirmed about this app (docs/hubspot.md "Developer platform app").
pub(super) fn unverified_notes(auth: AppAuth, scopes: &[Scope]) -> Vec<String> {
    let mut notes = Vec::new();
    if auth == AppAuth::Static {
        notes.push("UNVERIFIED: that a static app's Auth tab shows a client secret HubSpot signs its webhooks with (v3); `handoff doctor` and the first delivery tell".into());
    }
    let licensed: Vec<&str> = scopes
        .iter()
        .map(|s| s.name.as_str())
        .filter(|n| n.starts_with("crm.objects.leads.") || n.starts_with("automation.sequences."))
        .collect();
    if !licensed.is_empty() {
        notes.push(format!(
            "UNVERIFIED: whether HubSpot refuses to install an app whose required scopes ({}) belong to a product the account lacks (Sales Hub Professional)",
            licensed.join(", ")
        ));
    }
    notes
}
