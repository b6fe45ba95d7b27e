//! Property definitions and property groups of an object type (docs/hubspot.md "Properties and
//! groups"): the list of an object's properties, one property by name (404 = none), a group by
//! name, a group create (201; 409 when the name exists, **unverified**) and a batch create of
//! properties (201, or a 207 / `errors` inside the 201 with per-input failures whose
//! attribution is **unverified**: callers read a property again to learn what happened to it).
//! `handoff portal setup` creates with these; `handoff doctor` only reads.

use serde::{Deserialize, Serialize};

use super::HubspotClient;
use super::budget::Priority;
use super::error::HubspotError;
use super::paths::Api;
use super::transport::Call;
use super::types::{BatchResponse, PortalId};

/// The object types whose properties handoff reads or creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PropertyObject {
    Contacts,
    Companies,
}

impl PropertyObject {
    /// As in the path: `contacts`, `companies`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Companies => "companies",
        }
    }
}

/// One option of an enumeration property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyOption {
    pub label: String,
    pub value: String,
    #[serde(default)]
    pub display_order: i32,
    #[serde(default)]
    pub hidden: bool,
}

/// A property definition as HubSpot returns it (only the fields handoff reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyDef {
    pub name: String,
    #[serde(default)]
    pub label: String,
    /// `string`, `number`, `bool`, `date`, `datetime`, `enumeration`, `phone_number`, …
    #[serde(rename = "type", default)]
    pub kind: String,
    /// `text`, `number`, `date`, `select`, `booleancheckbox`, …
    #[serde(default)]
    pub field_type: String,
    #[serde(default)]
    pub group_name: Option<String>,
    #[serde(default)]
    pub options: Vec<PropertyOption>,
    #[serde(default)]
    pub hubspot_defined: Option<bool>,
    #[serde(default)]
    pub archived: bool,
}

/// A property group.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyGroup {
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub archived: bool,
}

/// `PropertyGroupCreate`: `name` and `label` are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewPropertyGroup {
    pub name: String,
    pub label: String,
    pub display_order: i32,
}

/// `PropertyCreate`: `name`, `label`, `type`, `fieldType` and `groupName` are required;
/// `options` is required for an enumeration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewProperty {
    pub name: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub field_type: String,
    pub group_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<PropertyOption>,
}

/// What a create of a named thing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created<T> {
    Created(T),
    /// HubSpot answered 409: the name is taken, nothing changed.
    AlreadyExists,
}

#[derive(Deserialize)]
struct Collection<T> {
    #[serde(default = "Vec::new")]
    results: Vec<T>,
}

/// A name that is safe as one path segment (HubSpot's internal names are `[a-z0-9_]`).
fn segment(portal: PortalId, name: &str) -> Result<&str, HubspotError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(name)
    } else {
        Err(HubspotError::local(
            portal,
            "property_name",
            format!("`{name}` is not a HubSpot internal name (letters, digits, _ and -)"),
        ))
    }
}

impl HubspotClient {
    /// `GET` a properties resource; `Ok(None)` for a 404.
    async fn get_found<T: serde::de::DeserializeOwned>(
        &self,
        portal: PortalId,
        resource: &str,
    ) -> Result<Option<T>, HubspotError> {
        let path = self.inner.path(Api::Properties, resource);
        match self
            .inner
            .send(&Call::get(portal, path, Priority::Read))
            .await
        {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every (unarchived) property of `object`: `GET …/properties/{object}`.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64(), object = object.as_str()))]
    pub async fn properties(
        &self,
        portal: PortalId,
        object: PropertyObject,
    ) -> Result<Vec<PropertyDef>, HubspotError> {
        let path = self.inner.path(Api::Properties, object.as_str());
        let list: Collection<PropertyDef> = self
            .inner
            .send(&Call::get(portal, path, Priority::Read))
            .await?;
        Ok(list.results)
    }

    /// One property by internal name; `None` when HubSpot answers 404.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64(), object = object.as_str()))]
    pub async fn property(
        &self,
        portal: PortalId,
        object: PropertyObject,
        name: &str,
    ) -> Result<Option<PropertyDef>, HubspotError> {
        let resource = format!("{}/{}", object.as_str(), segment(portal, name)?);
        self.get_found(portal, &resource).await
    }

    /// One property group by name; `None` when HubSpot answers 404.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64(), object = object.as_str()))]
    pub async fn property_group(
        &self,
        portal: PortalId,
        object: PropertyObject,
        name: &str,
    ) -> Result<Option<PropertyGroup>, HubspotError> {
        let resource = format!("{}/groups/{}", object.as_str(), segment(portal, name)?);
        self.get_found(portal, &resource).await
    }

    /// Creates a property group; a 409 (the name exists) is [`Created::AlreadyExists`].
    /// Whether HubSpot answers 409 or something else for an existing group is unverified:
    /// after any refusal, read the group again.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64(), object = object.as_str()))]
    pub async fn create_property_group(
        &self,
        portal: PortalId,
        object: PropertyObject,
        group: &NewPropertyGroup,
    ) -> Result<Created<PropertyGroup>, HubspotError> {
        segment(portal, &group.name)?;
        let path = self
            .inner
            .path(Api::Properties, &format!("{}/groups", object.as_str()));
        // Resending a create of a named group is safe: a second one is refused, nothing changes.
        let call = Call::post(portal, path, group, Priority::Write, true)?;
        match self.inner.send(&call).await {
            Ok(g) => Ok(Created::Created(g)),
            Err(e) if e.is_conflict() => Ok(Created::AlreadyExists),
            Err(e) => Err(e),
        }
    }

    /// Creates properties in one `batch/create` (at most 100 inputs): the created definitions
    /// and HubSpot's per-input errors, as answered (a 207 on v3, `errors` inside the 201 on
    /// 2026-09). An input with neither may or may not exist: read it.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64(), object = object.as_str(), count = inputs.len()))]
    pub async fn create_properties(
        &self,
        portal: PortalId,
        object: PropertyObject,
        inputs: &[NewProperty],
    ) -> Result<BatchResponse<PropertyDef>, HubspotError> {
        for p in inputs {
            segment(portal, &p.name)?;
        }
        let path = self.inner.path(
            Api::Properties,
            &format!("{}/batch/create", object.as_str()),
        );
        let body = serde_json::json!({ "inputs": inputs });
        // Safe to resend: a property name can be created once; a repeat is refused.
        let call = Call::post(portal, path, &body, Priority::Write, true)?;
        self.inner.send(&call).await
    }
}
