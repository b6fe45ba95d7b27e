//! HubSpot webhook deliveries (docs/hubspot.md "Webhooks"): a JSON array of at most 100 events,
//! parsed once at the boundary into [`HubspotEvent`]s. Only verified bytes reach
//! [`parse_delivery`].
//!
//! Every id is typed once parsed. The record ids (`objectId`, the merge's and the association's)
//! are [`RecordId`]s, not contact ids: a generic `object.*` event may be about any object type
//! (the worker acts on contacts and leads), and an association names records of two kinds, so
//! the parser checks the range and the object type beside the id says what it is.
//! [`HubspotEvent::contact_id`] names a contact event's record as a [`ContactId`].

use handoff_ids::{ContactId, PortalId, RecordId};
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

/// HubSpot sends "up to 100 events" per request (docs/hubspot.md "Delivery shape and fields").
pub const MAX_EVENTS_PER_DELIVERY: usize = 100;

/// Object type id of contacts in the generic `object.*` format (docs/hubspot.md "Subscription types
/// and the generic format").
pub const CONTACT_OBJECT_TYPE: &str = "0-1";

/// What happened to the object; the part of the subscription type after the dot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EventAction {
    Creation,
    Deletion,
    Merge,
    AssociationChange,
    Restore,
    PrivacyDeletion,
    PropertyChange,
}

impl EventAction {
    /// The suffix HubSpot uses after the dot (`creation`, `propertyChange`, ...).
    pub fn suffix(self) -> &'static str {
        match self {
            Self::Creation => "creation",
            Self::Deletion => "deletion",
            Self::Merge => "merge",
            Self::AssociationChange => "associationChange",
            Self::Restore => "restore",
            Self::PrivacyDeletion => "privacyDeletion",
            Self::PropertyChange => "propertyChange",
        }
    }

    fn from_suffix(suffix: &str) -> Option<Self> {
        Some(match suffix {
            "creation" => Self::Creation,
            "deletion" => Self::Deletion,
            "merge" => Self::Merge,
            "associationChange" => Self::AssociationChange,
            "restore" => Self::Restore,
            "privacyDeletion" => Self::PrivacyDeletion,
            "propertyChange" => Self::PropertyChange,
            _ => return None,
        })
    }
}

/// One event handoff acts on: a classic `contact.*` event or a generic `object.*` event.
/// Serialized (camelCase, HubSpot's own field names) as the payload of its job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HubspotEvent {
    pub event_id: i64,
    pub subscription_id: i64,
    /// Refused out of range when the delivery is parsed; a number in the job payload.
    #[serde(with = "handoff_ids::number")]
    pub portal_id: PortalId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<i64>,
    pub occurred_at: i64,
    pub subscription_type: String,
    pub action: EventAction,
    /// `0-1` for classic `contact.*` events; as sent for `object.*` events.
    pub object_type_id: String,
    /// The record the event is about: `objectId`, else the merge winner, else `fromObjectId`.
    /// A number in the job payload.
    #[serde(with = "handoff_ids::number")]
    pub object_id: RecordId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_number: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_flag: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "handoff_ids::number::option"
    )]
    pub primary_object_id: Option<RecordId>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "handoff_ids::number::option_vec"
    )]
    pub merged_object_ids: Option<Vec<RecordId>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "handoff_ids::number::option"
    )]
    pub new_object_id: Option<RecordId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub association_type: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "handoff_ids::number::option"
    )]
    pub from_object_id: Option<RecordId>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "handoff_ids::number::option"
    )]
    pub to_object_id: Option<RecordId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub association_removed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_primary_association: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_sensitive: Option<bool>,
}

impl HubspotEvent {
    /// An event with the fields every event has and none of the optional ones (ids 0: events
    /// that did not come from a webhook, e.g. the journal's, carry no `eventId`).
    pub fn new(
        portal_id: PortalId,
        occurred_at: i64,
        subscription_type: String,
        action: EventAction,
        object_type_id: String,
        object_id: RecordId,
    ) -> Self {
        Self {
            event_id: 0,
            subscription_id: 0,
            portal_id,
            app_id: None,
            occurred_at,
            subscription_type,
            action,
            object_type_id,
            object_id,
            attempt_number: None,
            property_name: None,
            property_value: None,
            change_source: None,
            source_id: None,
            change_flag: None,
            primary_object_id: None,
            merged_object_ids: None,
            new_object_id: None,
            association_type: None,
            from_object_id: None,
            to_object_id: None,
            association_removed: None,
            is_primary_association: None,
            is_sensitive: None,
        }
    }

    /// The record as a contact, when the event is about a contact (`0-1`).
    pub fn contact_id(&self) -> Option<ContactId> {
        (self.object_type_id == CONTACT_OBJECT_TYPE).then(|| self.object_id.contact())
    }

    /// The per-object serialisation key of its job: `portal:objectType:object`.
    pub fn object_key(&self) -> String {
        format!(
            "{}:{}:{}",
            self.portal_id, self.object_type_id, self.object_id
        )
    }

    /// The deduplication key (docs/hubspot.md "Order, duplicates and the dedup key"): portal,
    /// object type, object, action, occurredAt, property name and value — not `attemptNumber`,
    /// which changes on every retry. It leaves out `eventId`, `subscriptionId` and the
    /// `contact.`/`object.` family on purpose: journal entries carry none of them (docs/hubspot.md
    /// "Journal entries as webhook events"), and the same change must get the same key whether push
    /// or the journal brought it, so that it is handled once. Two push events that differ only in
    /// those ids (e.g. a `contact.creation` and an `object.creation` subscription firing for one
    /// record) describe the same change and count once. Fields are length-prefixed so no two
    /// different events share an encoding; the first 16 bytes of SHA-256 keep the ledger index
    /// small.
    pub fn dedup_key(&self) -> [u8; 16] {
        let mut hash = Sha256::new();
        for n in [self.portal_id.get(), self.occurred_at, self.object_id.get()] {
            hash.update(n.to_le_bytes());
        }
        for text in [
            Some(self.action.suffix()),
            Some(self.object_type_id.as_str()),
            self.property_name.as_deref(),
            self.property_value.as_deref(),
        ] {
            match text {
                Some(t) => {
                    hash.update([1]);
                    hash.update((t.len() as u64).to_le_bytes());
                    hash.update(t.as_bytes());
                }
                None => hash.update([0]),
            }
        }
        let digest = hash.finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        key
    }
}

/// A verified delivery, parsed: the events to enqueue and the subscription types it ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedDelivery {
    pub events: Vec<HubspotEvent>,
    /// Events whose subscription type handoff does not act on (e.g. `deal.creation`). They are
    /// acknowledged so HubSpot does not retry them for 24 hours, counted, and not enqueued.
    pub ignored: usize,
}

/// Why a delivery body was refused; the message says what and where (`[3].portalId`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("body is not valid JSON: {0}")]
    Json(String),
    #[error("{path}: {message}")]
    Schema { path: String, message: String },
    #[error("delivery has {0} events; HubSpot sends at most {MAX_EVENTS_PER_DELIVERY}")]
    TooManyEvents(usize),
}

impl DeliveryError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Json(_) => "malformed_json",
            Self::Schema { .. } => "invalid_event",
            Self::TooManyEvents(_) => "too_many_events",
        }
    }
}

/// The wire shape; fields HubSpot may add later are ignored, not rejected.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireEvent {
    event_id: i64,
    subscription_id: i64,
    portal_id: i64,
    app_id: Option<i64>,
    occurred_at: i64,
    subscription_type: Option<String>,
    /// The docs' field table and one example use `eventType` (docs/hubspot.md "Delivery shape and
    /// fields").
    event_type: Option<String>,
    attempt_number: Option<i64>,
    object_id: Option<i64>,
    object_type_id: Option<String>,
    property_name: Option<String>,
    #[serde(default, deserialize_with = "scalar_as_string")]
    property_value: Option<String>,
    change_source: Option<String>,
    source_id: Option<String>,
    change_flag: Option<String>,
    primary_object_id: Option<i64>,
    merged_object_ids: Option<Vec<i64>>,
    new_object_id: Option<i64>,
    association_type: Option<String>,
    from_object_id: Option<i64>,
    to_object_id: Option<i64>,
    association_removed: Option<bool>,
    is_primary_association: Option<bool>,
    is_sensitive: Option<bool>,
}

/// `propertyValue` is documented as a string; a number or boolean is kept as its text rather
/// than refused, since a refusal makes HubSpot retry the whole batch for a day.
fn scalar_as_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => return Err(serde::de::Error::custom("expected a string")),
    })
}

/// Parses a delivery body. Every event is checked; the first problem is reported with its
/// position, and nothing of a refused delivery is kept.
pub fn parse_delivery(body: &[u8]) -> Result<ParsedDelivery, DeliveryError> {
    // The fast path parses plainly; only a body that fails is parsed again with path tracking,
    // to say where it is wrong.
    let wire: Vec<WireEvent> = match serde_json::from_slice(body) {
        Ok(wire) => wire,
        Err(_) => return Err(locate_error(body)),
    };
    if wire.len() > MAX_EVENTS_PER_DELIVERY {
        return Err(DeliveryError::TooManyEvents(wire.len()));
    }
    let mut events = Vec::with_capacity(wire.len());
    let mut ignored = 0;
    for (index, event) in wire.into_iter().enumerate() {
        match classify(index, event)? {
            Some(event) => events.push(event),
            None => ignored += 1,
        }
    }
    Ok(ParsedDelivery { events, ignored })
}

/// Parses a body known to be wrong again, tracking the path, to name the place and the fault.
fn locate_error(body: &[u8]) -> DeliveryError {
    let mut de = serde_json::Deserializer::from_slice(body);
    let result: Result<Vec<WireEvent>, _> = serde_path_to_error::deserialize(&mut de);
    let err = match result {
        Ok(_) => match de.end() {
            Ok(()) => return DeliveryError::Json("body could not be parsed".into()),
            Err(e) => return DeliveryError::Json(e.to_string()),
        },
        Err(err) => err,
    };
    let path = err.path().to_string();
    let inner = err.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        DeliveryError::Json(inner.to_string())
    } else {
        DeliveryError::Schema {
            path: display_path(&path),
            message: strip_position(&inner),
        }
    }
}

fn display_path(path: &str) -> String {
    if path == "." {
        "body".to_owned()
    } else {
        path.to_owned()
    }
}

fn strip_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.find(" at line ") {
        Some(pos) => text[..pos].to_owned(),
        None => text,
    }
}

fn schema(index: usize, field: &str, message: impl Into<String>) -> DeliveryError {
    DeliveryError::Schema {
        path: format!("[{index}].{field}"),
        message: message.into(),
    }
}

/// Maps a wire event to a [`HubspotEvent`], or `None` for a subscription type handoff ignores.
fn classify(index: usize, mut w: WireEvent) -> Result<Option<HubspotEvent>, DeliveryError> {
    let subscription_type = match (w.subscription_type.take(), w.event_type.take()) {
        (Some(t), _) | (None, Some(t)) => t,
        (None, None) => {
            return Err(schema(
                index,
                "subscriptionType",
                "missing (neither subscriptionType nor eventType is set)",
            ));
        }
    };
    let Some((family, suffix)) = subscription_type.split_once('.') else {
        return Ok(None);
    };
    let action = match EventAction::from_suffix(suffix) {
        Some(action) if family == "contact" || family == "object" => action,
        _ => return Ok(None),
    };
    // Generic events carry objectTypeId (docs/hubspot.md "Subscription types and the generic
    // format"); classic contact events do not.
    let object_type_id = match (family, w.object_type_id.take()) {
        ("object", Some(t)) if !t.trim().is_empty() => t,
        ("object", _) => {
            return Err(schema(
                index,
                "objectTypeId",
                "missing on a generic object.* event",
            ));
        }
        _ => CONTACT_OBJECT_TYPE.to_owned(),
    };
    let object_id = w
        .object_id
        .or(w.primary_object_id)
        .or(w.from_object_id)
        .ok_or_else(|| {
            schema(
                index,
                "objectId",
                "missing (and no primaryObjectId or fromObjectId)",
            )
        })?;
    let ids = check_values(index, &w, object_id, action)?;
    Ok(Some(w.into_event(
        ids,
        subscription_type,
        action,
        object_type_id,
    )))
}

/// The ids of one event, checked.
struct Ids {
    portal: PortalId,
    object: RecordId,
    primary: Option<RecordId>,
    merged: Option<Vec<RecordId>>,
    new: Option<RecordId>,
    from: Option<RecordId>,
    to: Option<RecordId>,
}

impl WireEvent {
    /// The event, once classified and checked.
    fn into_event(
        self,
        ids: Ids,
        subscription_type: String,
        action: EventAction,
        object_type_id: String,
    ) -> HubspotEvent {
        HubspotEvent {
            event_id: self.event_id,
            subscription_id: self.subscription_id,
            portal_id: ids.portal,
            app_id: self.app_id,
            occurred_at: self.occurred_at,
            subscription_type,
            action,
            object_type_id,
            object_id: ids.object,
            attempt_number: self.attempt_number,
            property_name: self.property_name,
            property_value: self.property_value,
            change_source: self.change_source,
            source_id: self.source_id,
            change_flag: self.change_flag,
            primary_object_id: ids.primary,
            merged_object_ids: ids.merged,
            new_object_id: ids.new,
            association_type: self.association_type,
            from_object_id: ids.from,
            to_object_id: ids.to,
            association_removed: self.association_removed,
            is_primary_association: self.is_primary_association,
            is_sensitive: self.is_sensitive,
        }
    }
}

/// Ids are positive, the time is not before the epoch, a property change names its property;
/// every id parsed once.
fn check_values(
    index: usize,
    w: &WireEvent,
    object_id: i64,
    action: EventAction,
) -> Result<Ids, DeliveryError> {
    for (field, id) in [
        ("eventId", w.event_id),
        ("subscriptionId", w.subscription_id),
    ] {
        if id <= 0 {
            return Err(positive(index, field, id));
        }
    }
    let portal = typed(index, "portalId", w.portal_id)?;
    let object = typed(index, "objectId", object_id)?;
    // The record ids a merge or an association names are ids too: one out of range refuses
    // the delivery here rather than reaching a handoff as record 0 (crates/handoff-ids).
    let optional = |field: &str, id: Option<i64>| id.map(|id| typed(index, field, id)).transpose();
    let merged = w.merged_object_ids.as_ref().map(|ids| {
        let each = ids.iter().enumerate();
        each.map(|(i, id)| typed(index, &format!("mergedObjectIds[{i}]"), *id))
            .collect::<Result<Vec<_>, _>>()
    });
    let ids = Ids {
        portal,
        object,
        primary: optional("primaryObjectId", w.primary_object_id)?,
        new: optional("newObjectId", w.new_object_id)?,
        from: optional("fromObjectId", w.from_object_id)?,
        to: optional("toObjectId", w.to_object_id)?,
        merged: merged.transpose()?,
    };
    if w.occurred_at < 0 {
        return Err(schema(
            index,
            "occurredAt",
            "must be epoch milliseconds, not negative",
        ));
    }
    if action == EventAction::PropertyChange && w.property_name.is_none() {
        return Err(schema(
            index,
            "propertyName",
            "missing on a propertyChange event",
        ));
    }
    Ok(ids)
}

fn positive(index: usize, field: &str, id: i64) -> DeliveryError {
    schema(index, field, format!("must be a positive id, got {id}"))
}

/// The id at `field`, or why it is not one (the wire form is `i64`, so only `..= 0` fails).
fn typed<T: TryFrom<i64>>(index: usize, field: &str, id: i64) -> Result<T, DeliveryError> {
    T::try_from(id).map_err(|_| positive(index, field, id))
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
