//! Webhooks Journal, 2026-03 (docs/hubspot.md "Webhooks Journal"): the local (per installed portal)
//! journal read from an offset, `earliest` or `latest`; the file behind a pointer; and journal
//! subscriptions (list, create). Requests go through the same path as every CRM call (retries,
//! metrics), but outside the portal's rate budget: HubSpot exempts journal calls from the
//! portal's limits ("Journal paths and limits"), and a 429 of the journal's own limit is waited out
//! in place.
//!
//! Auth: HubSpot documents a client-credentials app token for these endpoints ("Journal
//! authentication"). An OAuth portal's calls carry one (requested with its client id and secret,
//! scopes [`SCOPES`], cached until expiry); a private-app portal has no client secret, so its calls
//! carry its token, which HubSpot may refuse (unverified, "Journal authentication"). Either way a
//! 401 here is an error of the journal call alone: it neither refreshes nor pauses the portal's CRM
//! credentials.

use serde::{Deserialize, Serialize};

use super::HubspotClient;
use super::budget::Priority;
use super::error::{ErrorDetail, HubspotError, TransientReason};
use super::transport::Call;
use super::types::PortalId;
use crate::journal::{JournalFile, parse_file};

use super::paths::JOURNAL_VERSION as VERSION;

/// The scopes of the app token (docs/hubspot.md "Journal authentication").
pub const SCOPES: &str = "developer.webhooks_journal.read developer.webhooks_journal.subscriptions.read developer.webhooks_journal.subscriptions.write";

/// A journal pointer: where the file is and the offset it ends at (docs/hubspot.md "Journal
/// files").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalPointer {
    pub url: String,
    #[serde(default)]
    pub expires_at: Option<String>,
    pub current_offset: String,
}

/// Where to read the journal from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalFrom {
    Earliest,
    Latest,
    /// The file after this offset.
    After(String),
}

/// The answer to a read: the next file, nothing newer (204), or an offset HubSpot no longer
/// has (404: expired past the 3-day retention or unknown, docs/hubspot.md "Journal errors").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalRead {
    File(JournalPointer),
    CaughtUp,
    OffsetExpired,
}

/// A journal subscription as HubSpot returns it (required fields of `SubscriptionResponse`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalSubscription {
    pub id: serde_json::Value,
    pub subscription_type: String,
    pub object_type_id: String,
    #[serde(default)]
    pub portal_id: Option<i64>,
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub properties: Vec<String>,
}

/// An `OBJECT` subscription to create (docs/hubspot.md "Journal subscriptions").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewJournalSubscription {
    pub subscription_type: &'static str,
    #[serde(with = "handoff_ids::number")]
    pub portal_id: PortalId,
    pub object_type_id: String,
    pub actions: Vec<String>,
    pub properties: Vec<String>,
    /// Required by the spec; a live client omits it and succeeds. `[]` is sent (unverified).
    pub object_ids: Vec<i64>,
}

#[derive(Deserialize)]
struct SubscriptionList {
    #[serde(default)]
    results: Vec<JournalSubscription>,
}

impl HubspotClient {
    /// Sends `call` with the journal's auth: the app token when the portal has one (asked again
    /// once after a 401: it may have been revoked), and a 401 that stays with this call.
    async fn journal_send<T: serde::de::DeserializeOwned>(
        &self,
        mut call: Call,
    ) -> Result<T, HubspotError> {
        call.isolated_auth = true;
        call.budget_exempt = true;
        call.app_bearer = self.inner.auth.app_bearer(call.portal, SCOPES).await?;
        match self.inner.send(&call).await {
            Err(HubspotError::Permanent { detail, .. })
                if detail.status == Some(401) && call.app_bearer.is_some() =>
            {
                self.inner.auth.forget_app_token(call.portal).await;
                call.app_bearer = self.inner.auth.app_bearer(call.portal, SCOPES).await?;
                self.inner.send(&call).await
            }
            other => other,
        }
    }

    /// Reads one pointer of the portal's local journal.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64()))]
    pub async fn journal_read(
        &self,
        portal: PortalId,
        from: &JournalFrom,
    ) -> Result<JournalRead, HubspotError> {
        let tail = match from {
            JournalFrom::Earliest => "earliest".to_owned(),
            JournalFrom::Latest => "latest".to_owned(),
            JournalFrom::After(offset) => format!("offset/{}/next", urlencode(offset)),
        };
        let mut call = Call::get(
            portal,
            format!("/webhooks-journal/journal-local/{VERSION}/{tail}"),
            Priority::Read,
        );
        call.query.push(("installPortalId", portal.to_string()));
        match self.journal_send::<Option<JournalPointer>>(call).await {
            Ok(Some(p)) => Ok(JournalRead::File(p)),
            Ok(None) => Ok(JournalRead::CaughtUp),
            Err(HubspotError::Permanent { detail, .. })
                if detail.status == Some(404) && matches!(from, JournalFrom::After(_)) =>
            {
                Ok(JournalRead::OffsetExpired)
            }
            Err(e) => Err(e),
        }
    }

    /// Downloads and parses the file behind a pointer. The URL is pre-signed: it is fetched
    /// without the Authorization header ("Journal files"). A 403/404 means the URL expired: read
    /// the pointer again (docs/hubspot.md "Journal errors"), reported here as a transient failure.
    pub async fn journal_file(
        &self,
        portal: PortalId,
        pointer: &JournalPointer,
    ) -> Result<JournalFile, HubspotError> {
        let transient = |status: Option<u16>, message: String| HubspotError::Transient {
            portal,
            reason: TransientReason::Other,
            detail: ErrorDetail {
                status,
                message,
                ..ErrorDetail::default()
            },
            retry_at: self.inner.clock.now(),
            maybe_applied: false,
        };
        let resp = self
            .inner
            .http
            .get(&pointer.url)
            .send()
            .await
            .map_err(|e| transient(None, e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        if !resp.status().is_success() {
            return Err(transient(
                Some(status),
                "journal file URL refused (expired?)".into(),
            ));
        }
        let body = resp
            .bytes()
            .await
            .map_err(|e| transient(Some(status), e.without_url().to_string()))?;
        parse_file(&body).map_err(|m| HubspotError::local(portal, "decode", m))
    }

    /// The app's journal subscriptions (`GET …/subscriptions/2026-03`, not paged).
    pub async fn journal_subscriptions(
        &self,
        portal: PortalId,
    ) -> Result<Vec<JournalSubscription>, HubspotError> {
        let call = Call::get(
            portal,
            format!("/webhooks-journal/subscriptions/{VERSION}"),
            Priority::Read,
        );
        let list: SubscriptionList = self.journal_send(call).await?;
        Ok(list.results)
    }

    /// Creates (or updates: HubSpot's POST is an upsert) one subscription.
    pub async fn create_journal_subscription(
        &self,
        portal: PortalId,
        sub: &NewJournalSubscription,
    ) -> Result<JournalSubscription, HubspotError> {
        let call = Call::post(
            portal,
            format!("/webhooks-journal/subscriptions/{VERSION}"),
            sub,
            Priority::Read,
            true,
        )?;
        self.journal_send(call).await
    }
}

/// Offsets are UUIDs; anything else is percent-encoded so it cannot change the path.
fn urlencode(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `journal = { ... }` of one `[[hubspot.portals]]`: the Webhooks Journal for that portal.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalConfig {
    /// Use the journal for this portal: `handoff journal subscribe` and `handoff backfill`
    /// act on it, and `serve` ensures its subscription and catches up at start.
    #[serde(default)]
    pub enabled: bool,
    /// Read the journal from the stored offset when `serve`/`work` starts (catch-up after an
    /// outage). Only with `enabled`.
    #[serde(default = "yes")]
    pub catch_up_at_start: bool,
    /// After the start catch-up, read the journal again every this many ms (0 = only at start).
    #[serde(default)]
    pub poll_interval_ms: u64,
    /// Contact properties the journal subscription carries (UPDATE entries). Empty (the
    /// default) = the contact properties the pipeline reads: the playbook's declared
    /// properties, touch, source, deal amount, owner and disposition properties.
    #[serde(default)]
    pub properties: Vec<String>,
    /// HubSpot keeps journal entries this long (3 days, docs/hubspot.md "What the journal holds");
    /// a stored offset older than this is reported as a gap.
    #[serde(default = "default_retention_ms")]
    pub retention_ms: i64,
}

impl Default for JournalConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            catch_up_at_start: true,
            poll_interval_ms: 0,
            properties: Vec::new(),
            retention_ms: default_retention_ms(),
        }
    }
}

fn yes() -> bool {
    true
}

fn default_retention_ms() -> i64 {
    3 * 24 * 3_600_000
}

impl JournalConfig {
    /// What `check-config` reports: `(key, problem)`.
    pub(crate) fn problems(&self) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        if self.retention_ms <= 0 {
            out.push(("retention_ms", "must be positive"));
        }
        if self.properties.iter().any(|p| p.trim().is_empty()) {
            out.push(("properties", "property names must not be empty"));
        }
        if self.poll_interval_ms > 0 && self.poll_interval_ms < 1_000 {
            out.push(("poll_interval_ms", "must be 0 (off) or at least 1000"));
        }
        out
    }

    /// This configuration with `properties` filled in from `watched` when it is empty.
    pub fn with_default_properties(mut self, watched: &[String]) -> Self {
        if self.properties.is_empty() {
            self.properties = watched.to_vec();
        }
        self
    }

    /// The `OBJECT` subscription for contacts of `portal` (docs/hubspot.md "Journal
    /// subscriptions").
    pub fn subscription(&self, portal: PortalId) -> NewJournalSubscription {
        NewJournalSubscription {
            subscription_type: "OBJECT",
            portal_id: portal,
            object_type_id: crate::event::CONTACT_OBJECT_TYPE.to_owned(),
            actions: ["CREATE", "UPDATE", "DELETE", "MERGE", "RESTORE"]
                .map(String::from)
                .to_vec(),
            properties: self.properties.clone(),
            object_ids: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ConfigError, HubspotConfig};
    use super::*;

    #[test]
    fn journal_settings_are_checked_with_their_key_paths_and_off_by_default() {
        let text = r#"
[[portals]]
id = 1
playbook = "x"
auth = { kind = "private_app", token_env = "A" }
[[portals]]
id = 2
playbook = "x"
auth = { kind = "private_app", token_env = "A" }
journal = { enabled = true, retention_ms = 0, poll_interval_ms = 10, properties = [" "] }
"#;
        let cfg: HubspotConfig = toml::from_str(text).unwrap();
        assert!(!cfg.portals[0].journal.enabled);
        assert!(cfg.portals[1].journal.catch_up_at_start);
        let Err(ConfigError::Invalid(issues)) = cfg.validate() else {
            panic!("expected invalid config");
        };
        let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
        for want in [
            "portals[1].journal.retention_ms",
            "portals[1].journal.poll_interval_ms",
            "portals[1].journal.properties",
        ] {
            assert!(paths.contains(&want), "missing {want} in {paths:?}");
        }
        let unknown = toml::from_str::<JournalConfig>("enable = true");
        assert!(unknown.is_err(), "a misspelled key is refused");
    }

    #[test]
    fn the_subscription_watches_contacts_and_the_configured_properties() {
        let sub = JournalConfig::default().subscription(PortalId::new(62515).unwrap());
        let body = serde_json::to_value(&sub).unwrap();
        assert_eq!(body["subscriptionType"], "OBJECT");
        assert_eq!(body["objectTypeId"], "0-1");
        assert_eq!(body["portalId"], 62515);
        assert_eq!(
            body["actions"],
            serde_json::json!(["CREATE", "UPDATE", "DELETE", "MERGE", "RESTORE"])
        );
        assert_eq!(urlencode("a/b c"), "a%2Fb%20c");
    }
}
