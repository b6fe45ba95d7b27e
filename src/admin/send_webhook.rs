//! `handoff send-webhook`: signs and sends one HubSpot-shaped delivery, for trying a setup
//! against `serve` (the sandbox has no webhook sender) and for on-call checks ("does the
//! receiver take a correctly signed delivery right now?"). The delivery is a JSON array of
//! events, signed with HubSpot's v3 scheme over the URL HubSpot would post to (the service's
//! `webhook.public_url`), which may differ from the address the request is sent to when a
//! proxy stands between them. The secret comes from an environment variable or a file and is
//! never printed.

use handoff_ids::{ContactId, PortalId};
use std::path::PathBuf;

use secrecy::SecretString;
use serde_json::{Value, json};

/// Which contact event to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Creation,
    Deletion,
    PrivacyDeletion,
    PropertyChange,
}

impl EventKind {
    fn subscription_type(self) -> &'static str {
        match self {
            Self::Creation => "contact.creation",
            Self::Deletion => "contact.deletion",
            Self::PrivacyDeletion => "contact.privacyDeletion",
            Self::PropertyChange => "contact.propertyChange",
        }
    }
}

/// What to send, and where.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// A file holding a delivery (an array of events) or one event, sent as it is.
    File(PathBuf),
    /// One event about a contact, built here.
    Event {
        portal_id: PortalId,
        contact_id: ContactId,
        kind: EventKind,
        /// `(name, value)` for a property change.
        property: Option<(String, String)>,
        app_id: Option<i64>,
    },
}

/// A delivery to post.
#[derive(Debug)]
pub struct SendWebhook {
    /// Where the request goes.
    pub url: String,
    /// The URL the signature covers (HubSpot signs the app's target URL); `url` when `None`.
    pub signed_url: Option<String>,
    pub secret: SecretString,
    pub delivery: Delivery,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("{0}")]
    Input(String),
    #[error("cannot send to {url}: {message}")]
    Http { url: String, message: String },
}

/// How the receiver answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub events: usize,
    pub elapsed_ms: u128,
}

impl Answer {
    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// One line for a person: the status, what was sent and the receiver's answer.
    pub fn render(&self, url: &str) -> String {
        let verdict = if self.accepted() {
            "accepted"
        } else {
            "refused"
        };
        let body = self.body.trim();
        let body = if body.is_empty() {
            "(empty body)"
        } else {
            body
        };
        format!(
            "POST {url}: {} {verdict} ({} event(s), {} ms): {body}",
            self.status, self.events, self.elapsed_ms
        )
    }
}

/// Builds, signs and posts the delivery.
pub async fn send_webhook(req: &SendWebhook) -> Result<Answer, SendError> {
    let events = events(&req.delivery)?;
    let count = events.as_array().map_or(0, Vec::len);
    let body = serde_json::to_vec(&events).map_err(|e| SendError::Input(e.to_string()))?;
    let signed = req.signed_url.as_deref().unwrap_or(&req.url);
    let ts = jiff::Timestamp::now().as_millisecond().to_string();
    let signature = crate::hubspot::signature::sign_v3(&req.secret, "POST", signed, &body, &ts);
    let started = std::time::Instant::now();
    let http = |e: reqwest::Error| SendError::Http {
        url: req.url.clone(),
        message: e.to_string(),
    };
    let resp = reqwest::Client::new()
        .post(&req.url)
        .header("content-type", "application/json")
        .header("X-HubSpot-Signature-v3", signature)
        .header("X-HubSpot-Request-Timestamp", ts)
        .body(body)
        .send()
        .await
        .map_err(http)?;
    let status = resp.status().as_u16();
    let body = resp.text().await.map_err(http)?;
    Ok(Answer {
        status,
        body,
        events: count,
        elapsed_ms: started.elapsed().as_millis(),
    })
}

/// The delivery as a JSON array of events.
fn events(delivery: &Delivery) -> Result<Value, SendError> {
    match delivery {
        Delivery::File(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| SendError::Input(format!("cannot read {}: {e}", path.display())))?;
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| SendError::Input(format!("{}: not JSON: {e}", path.display())))?;
            match value {
                Value::Array(_) => Ok(value),
                Value::Object(_) => Ok(Value::Array(vec![value])),
                _ => Err(SendError::Input(format!(
                    "{}: expected a delivery (a JSON array of events) or one event object",
                    path.display()
                ))),
            }
        }
        Delivery::Event {
            portal_id,
            contact_id,
            kind,
            property,
            app_id,
        } => Ok(json!([event(
            *portal_id,
            *contact_id,
            *kind,
            property,
            *app_id
        )?])),
    }
}

fn event(
    portal_id: PortalId,
    contact_id: ContactId,
    kind: EventKind,
    property: &Option<(String, String)>,
    app_id: Option<i64>,
) -> Result<Value, SendError> {
    let now = jiff::Timestamp::now().as_millisecond();
    let mut e = json!({
        // Unique enough per sender and millisecond; the receiver's dedup ignores it.
        "eventId": now,
        // A positive id, as HubSpot's are; the receiver does not look it up.
        "subscriptionId": 1,
        "portalId": portal_id.get(),
        "occurredAt": now,
        "subscriptionType": kind.subscription_type(),
        "attemptNumber": 0,
        "objectId": contact_id.get(),
        "changeSource": "CRM",
    });
    if let Some(app_id) = app_id {
        e["appId"] = json!(app_id);
    }
    match (kind, property) {
        (EventKind::PropertyChange, Some((name, value))) => {
            e["propertyName"] = json!(name);
            e["propertyValue"] = json!(value);
        }
        (EventKind::PropertyChange, None) => {
            return Err(SendError::Input(
                "--kind property-change needs --property NAME and --value VALUE".into(),
            ));
        }
        (_, Some(_)) => {
            return Err(SendError::Input(
                "--property and --value go with --kind property-change only".into(),
            ));
        }
        (_, None) => {}
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_event_has_hubspots_shape() {
        let d = Delivery::Event {
            portal_id: PortalId::new(62515).unwrap(),
            contact_id: ContactId::new(7).unwrap(),
            kind: EventKind::PropertyChange,
            property: Some(("hs_lead_status".into(), "CONNECTED".into())),
            app_id: Some(54321),
        };
        let v = events(&d).unwrap();
        let e = &v[0];
        assert_eq!(e["subscriptionType"], "contact.propertyChange");
        assert_eq!(e["portalId"], 62515);
        assert_eq!(e["objectId"], 7);
        assert_eq!(e["appId"], 54321);
        assert_eq!(e["propertyName"], "hs_lead_status");
        assert_eq!(e["propertyValue"], "CONNECTED");
        let parsed = crate::hubspot::event::parse_delivery(&serde_json::to_vec(&v).unwrap());
        assert_eq!(
            parsed.map(|d| d.events.len()).ok(),
            Some(1),
            "the receiver's parser takes it"
        );
    }

    #[test]
    fn a_property_change_without_a_property_is_refused_before_sending() {
        let d = Delivery::Event {
            portal_id: PortalId::new(1).unwrap(),
            contact_id: ContactId::new(2).unwrap(),
            kind: EventKind::PropertyChange,
            property: None,
            app_id: None,
        };
        assert!(matches!(events(&d), Err(SendError::Input(m)) if m.contains("--property")));
    }

    #[test]
    fn a_file_with_one_event_is_sent_as_a_delivery_of_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.json");
        std::fs::write(&path, r#"{"portalId": 1, "objectId": 2}"#).unwrap();
        let v = events(&Delivery::File(path.clone())).unwrap();
        assert_eq!(v.as_array().map(Vec::len), Some(1));
        std::fs::write(&path, "42").unwrap();
        assert!(matches!(
            events(&Delivery::File(path)),
            Err(SendError::Input(_))
        ));
    }
}
