//! The app's webhook subscriptions and target URL. Contacts use HubSpot's classic
//! `contact.*` subscription types (the payloads the intake parses today); lead stage changes,
//! which have no classic type, use the generic `object.propertyChange` (docs/hubspot.md
//! "Developer platform app").

use super::{AppSource, HubspotAppError};
use crate::worker::journal::watched_properties;
use crate::worker::pipeline::lead_stages::lead_properties;

/// The contact events the pipeline acts on besides property changes: a creation decides, a
/// deletion erases, a merge folds handoffs together, a restore undoes a deletion's erase (the
/// same actions the journal subscription carries). `contact.privacyDeletion` is a hub event
/// and has its own list in the file.
pub(super) const CONTACT_EVENTS: [&str; 4] = [
    "contact.creation",
    "contact.deletion",
    "contact.merge",
    "contact.restore",
];
pub(super) const PRIVACY_DELETION: &str = "contact.privacyDeletion";
/// The Lead object's name in the webhooks component (HubSpot's example names contacts
/// `"contact"`; that leads are `"lead"` is unverified, see [`Subscriptions::notes`]).
pub(super) const LEAD_OBJECT: &str = "lead";
/// Deliveries HubSpot sends at once; HubSpot's own example value. The intake answers each in
/// milliseconds (one group commit), so this is not the bottleneck.
pub(super) const MAX_CONCURRENT_REQUESTS: u32 = 10;

/// What the app subscribes to, and what it deliberately does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriptions {
    /// One `contact.propertyChange` each: the properties the pipeline reads, sorted.
    pub properties: Vec<String>,
    /// Properties the pipeline reads but also writes back (`[pipeline.write_back]`): not
    /// subscribed, since each handoff's own write would come back as an event.
    pub write_back_skipped: Vec<String>,
    /// One lead `object.propertyChange` each (`[playbook.leads]` enabled); else empty.
    pub lead_properties: Vec<String>,
}

impl Subscriptions {
    /// What HubSpot has not confirmed about these subscriptions.
    pub(super) fn notes(&self) -> Vec<String> {
        if self.lead_properties.is_empty() {
            return Vec::new();
        }
        vec![format!(
            "UNVERIFIED: lead stage changes are subscribed as generic object.propertyChange on objectType {LEAD_OBJECT:?} (object 0-136; generic webhooks are beta at HubSpot, and the name follows HubSpot's \"contact\" example): check that `hs project upload` accepts it and that moving a lead's stage reaches handoff"
        )]
    }
}

/// The subscriptions for `src`: every property the pipeline reads (the set the journal
/// subscription watches) except the write-back ones; the lead properties when leads are on.
pub(super) fn subscriptions(src: &AppSource<'_>) -> Subscriptions {
    let write_back = src.pipeline.write_back.properties();
    let (write_back_skipped, properties): (Vec<String>, Vec<String>) =
        watched_properties(src.playbook, src.pipeline)
            .into_iter()
            .partition(|p| write_back.contains(&p.as_str()));
    let leads = &src.playbook.doc.leads;
    let mut lead_properties = if leads.enabled {
        lead_properties(&leads.reason_property)
    } else {
        Vec::new()
    };
    lead_properties.sort();
    lead_properties.dedup();
    Subscriptions {
        properties,
        write_back_skipped,
        lead_properties,
    }
}

/// `--target-url`, else `webhook.public_url`: an absolute `https://` URL (plain `http://` only
/// for a loopback host, for local tests), returned exactly as given — it is what HubSpot signs.
pub(super) fn target_url(
    src: &AppSource<'_>,
    flag: Option<&str>,
) -> Result<String, HubspotAppError> {
    let url = flag
        .or(Some(src.public_url))
        .filter(|u| !u.is_empty())
        .ok_or(HubspotAppError::NoTargetUrl)?;
    let bad = |why: &str| HubspotAppError::TargetUrl {
        url: url.to_owned(),
        why: why.to_owned(),
    };
    if url.chars().any(char::is_whitespace) || url.contains('#') {
        return Err(bad("must not contain spaces or a fragment (#)"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|_| bad("is not an absolute URL"))?;
    let host = parsed.host_str().unwrap_or_default();
    match parsed.scheme() {
        "https" if !host.is_empty() => Ok(url.to_owned()),
        "http" if is_loopback(host) => Ok(url.to_owned()),
        "http" => Err(bad(
            "must be https:// (HubSpot posts contact data to it; serve handoff behind TLS, README \"Connect your portal\"); http:// is accepted only for localhost",
        )),
        _ => Err(bad("must be an https:// URL")),
    }
}

fn is_loopback(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// Notes on the target URL: HubSpot signs it, so `webhook.public_url` must be the same string.
pub(super) fn url_notes(src: &AppSource<'_>, target: &str) -> Vec<String> {
    let mut notes = Vec::new();
    if target.starts_with("http://") {
        notes.push(format!(
            "{target} is plain http on this machine: HubSpot cannot deliver to it (local tests only)"
        ));
    }
    if src.public_url != target {
        let now = if src.public_url.is_empty() {
            "is not set".to_owned()
        } else {
            format!("is {:?}", src.public_url)
        };
        notes.push(format!(
            "webhook.public_url {now}: set it (HANDOFF__WEBHOOK__PUBLIC_URL) to exactly {target} where handoff serves this app; HubSpot signs that URL, and any other value fails every delivery's signature check"
        ));
    }
    notes
}
