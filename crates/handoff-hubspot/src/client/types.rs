//! Wire types shared by the CRM endpoints, hand-written from docs/hubspot.md "CRM objects"
//! (HubSpot's OpenAPI files are not licensed for reuse, so nothing here is generated from them).

use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// Record ids: parsed once (`1 ..= i64::MAX`), trusted after (crates/handoff-ids).
pub use handoff_ids::{CompanyId, ContactId, OwnerId, PortalId, TaskId};

/// Accepts `123` or `"123"`.
pub(crate) fn de_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        N(u64),
        S(String),
    }
    match Raw::deserialize(d)? {
        Raw::N(n) => Ok(n),
        Raw::S(s) => s.trim().parse().map_err(serde::de::Error::custom),
    }
}

/// Property values are strings; absent values may come back as `null` (docs/hubspot.md "Records and
/// property values").
pub(crate) type Properties = BTreeMap<String, Option<String>>;

/// `SimplePublicObject`: a CRM record as returned by reads, updates and creates (docs/hubspot.md
/// "Records and property values").
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CrmObject {
    /// Record id.
    pub id: String,
    /// Requested properties that have a value.
    #[serde(default)]
    pub properties: Properties,
    /// Whether the record is archived.
    #[serde(default)]
    pub archived: bool,
    /// Echo of the input's `objectWriteTraceId`, when HubSpot sends it.
    #[serde(default)]
    pub object_write_trace_id: Option<String>,
}

impl CrmObject {
    /// A property's value, `None` when absent or null.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties.get(name).and_then(|v| v.as_deref())
    }
}

/// `StandardError`: one per-input error in a batch response (docs/hubspot.md "Batch limits and
/// partial failures"). Every field is optional: "The fields … should all be treated as optional in
/// any error parsing."
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StandardError {
    /// e.g. `error`.
    #[serde(default)]
    pub status: Option<String>,
    /// e.g. `OBJECT_NOT_FOUND`, `VALIDATION_ERROR`.
    #[serde(default)]
    pub category: Option<String>,
    /// Human-readable message.
    #[serde(default)]
    pub message: Option<String>,
    /// e.g. `{"ids": ["99999"]}` or `{"objectWriteTraceId": ["…"]}`.
    #[serde(default, deserialize_with = "de_context")]
    pub context: Context,
    /// Finer category, if any.
    #[serde(default)]
    pub sub_category: Option<serde_json::Value>,
    /// A rule's code when the error itself is one of HubSpot's `errors[]` entries, e.g.
    /// `MISSING_REQUIRED_PROPERTY` (docs/hubspot.md "Write validation").
    #[serde(default)]
    pub code: Option<String>,
    /// The rules the input broke, each with its `code` and `context.propertyName`.
    #[serde(default, deserialize_with = "de_entries")]
    pub errors: Vec<ErrorEntry>,
}

/// An error's `context`: names → values, e.g. `{"propertyName": ["firstname"]}`.
pub(crate) type Context = BTreeMap<String, Vec<String>>;

/// One entry of an error's `errors[]` (HubSpot's `ErrorDetail`: `code`, `message`, `context`,
/// `in`, `subCategory`), e.g. `{"code": "MISSING_REQUIRED_PROPERTY", "message": "A value for
/// firstname must be provided", "context": {"propertyName": ["firstname"]}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ErrorEntry {
    /// e.g. `MISSING_REQUIRED_PROPERTY`, `MISSING_CONDITIONAL_REQUIRED_PROPERTY`.
    #[serde(default)]
    pub code: Option<String>,
    /// Human-readable message.
    #[serde(default)]
    pub message: Option<String>,
    /// e.g. `{"propertyName": ["my_property"]}`.
    #[serde(default, deserialize_with = "de_context")]
    pub context: Context,
}

/// A `context` as names → lists of strings. HubSpot's own examples also show a context as a
/// string (`"{missingScopes=[scope1, scope2]}"`) and values as single strings or numbers: every
/// field of an error is optional (docs/hubspot.md "Error bodies and status codes"), so what does
/// not fit is dropped, never a reason to fail the whole answer.
pub(crate) fn de_context<'de, D: Deserializer<'de>>(d: D) -> Result<Context, D::Error> {
    let serde_json::Value::Object(map) = serde_json::Value::deserialize(d)? else {
        return Ok(Context::new());
    };
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| {
            let values: Vec<String> = match &v {
                serde_json::Value::Array(items) => items.iter().filter_map(text).collect(),
                other => text(other).into_iter().collect(),
            };
            (!values.is_empty()).then_some((k, values))
        })
        .collect())
}

/// `errors[]` entries, skipping any that is not an object.
pub(crate) fn de_entries<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ErrorEntry>, D::Error> {
    let serde_json::Value::Array(items) = serde_json::Value::deserialize(d)? else {
        return Ok(Vec::new());
    };
    Ok(items
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect())
}

/// `BatchResponse…` / `…WithErrors` (200 or 207; docs/hubspot.md "Batch limits and partial
/// failures").
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse<T> {
    /// Successful items.
    #[serde(default = "Vec::new")]
    pub results: Vec<T>,
    /// Failed items (207).
    #[serde(default)]
    pub errors: Vec<StandardError>,
}

/// `{"id": "..."}` batch-read input.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct IdInput {
    pub(crate) id: String,
}

/// `paging.next.after` cursor.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Paging {
    #[serde(default)]
    pub(crate) next: Option<NextPage>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct NextPage {
    pub(crate) after: String,
}

impl Paging {
    pub(crate) fn after(p: &Option<Paging>) -> Option<String> {
        p.as_ref()
            .and_then(|p| p.next.as_ref())
            .map(|n| n.after.clone())
    }
}

/// One page of a list that pages with `paging.next.after` (owners, users).
#[derive(Debug, Deserialize)]
pub(crate) struct Page<T> {
    #[serde(default = "Vec::new")]
    pub(crate) results: Vec<T>,
    #[serde(default)]
    pub(crate) paging: Option<Paging>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_strings_and_numbers_and_serialize_as_strings() {
        let a: ContactId = serde_json::from_str("\"57156923994\"").unwrap();
        let b: ContactId = serde_json::from_str("57156923994").unwrap();
        assert_eq!(a, b);
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"57156923994\"");
        assert!(serde_json::from_str::<ContactId>("\"abc\"").is_err());
    }

    #[test]
    fn batch_errors_parse_with_missing_fields() {
        let body = r#"{"status":"COMPLETE","results":[],"numErrors":1,
            "errors":[{"status":"error","category":"OBJECT_NOT_FOUND","context":{"ids":["99999"]}}]}"#;
        let r: BatchResponse<CrmObject> = serde_json::from_str(body).unwrap();
        assert_eq!(r.errors[0].context["ids"], vec!["99999".to_owned()]);
        assert!(r.errors[0].message.is_none());
    }
}
