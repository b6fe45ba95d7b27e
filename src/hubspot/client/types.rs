//! Wire types shared by the CRM endpoints, hand-written from HUBSPOT.md §3 (HubSpot's OpenAPI
//! files are not licensed for reuse, so nothing here is generated from them).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// HubSpot sends ids as strings (sometimes numbers); they exceed 2^32, so they are `u64`
        /// (HUBSPOT.md §2.1).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map($name)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                de_u64(d).map($name)
            }
        }
    };
}

id_type!(
    /// A HubSpot account (portal, hub) id.
    PortalId
);
id_type!(
    /// A contact record id.
    ContactId
);
id_type!(
    /// A company record id.
    CompanyId
);
id_type!(
    /// A task record id.
    TaskId
);
id_type!(
    /// An owner `id` — the value for `hubspot_owner_id`, not the `userId` (HUBSPOT.md §3.5).
    OwnerId
);

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

/// Property values are strings; absent values may come back as `null` (HUBSPOT.md §3).
pub type Properties = BTreeMap<String, Option<String>>;

/// `SimplePublicObject`: a CRM record as returned by reads, updates and creates (HUBSPOT.md §3.1).
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

/// `StandardError`: one per-input error in a batch response (HUBSPOT.md §3.7). Every field is
/// optional: "The fields … should all be treated as optional in any error parsing."
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
    #[serde(default)]
    pub context: BTreeMap<String, Vec<String>>,
    /// Finer category, if any.
    #[serde(default)]
    pub sub_category: Option<serde_json::Value>,
}

/// `BatchResponse…` / `…WithErrors` (200 or 207; HUBSPOT.md §3.2).
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
