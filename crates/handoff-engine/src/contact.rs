//! The engine's input about one lead: a HubSpot contact as the CRM API gives it (property values
//! are strings or null), its primary company and the event that woke the worker; and the typed
//! view of it that CEL conditions see.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use cel::Value;
use cel::objects::{Key, Map};
use handoff_ids::ContactId;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A HubSpot contact: `{"id": "…", "properties": {…}, "company": {…}}`. Unknown top-level
/// fields (`createdAt`, `archived`, …) are ignored: this is HubSpot's shape, not ours.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// `"123"` or `123`; anything but `1 ..= i64::MAX` is refused when the contact is read.
    pub id: ContactId,
    #[serde(default)]
    pub properties: BTreeMap<String, Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<Company>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventContext>,
}

/// The contact's primary company, also in HubSpot's object shape.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Company {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub properties: BTreeMap<String, Option<String>>,
}

/// What happened: e.g. `kind = "form_submission"`, `source = "demo-request"`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventContext {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub property: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
}

/// The names `event.<field>` may use in a condition.
pub(crate) const EVENT_FIELDS: [&str; 4] = ["kind", "source", "property", "value"];

#[derive(Debug, thiserror::Error)]
#[error("contact JSON: {0}")]
pub struct ContactError(#[from] serde_json::Error);

impl Contact {
    /// A contact with this id and nothing else.
    pub fn new(id: ContactId) -> Contact {
        Contact {
            id,
            properties: BTreeMap::new(),
            company: None,
            event: None,
        }
    }

    pub fn from_json(text: &str) -> Result<Contact, ContactError> {
        Ok(serde_json::from_str(text)?)
    }

    /// A contact property, `None` when null, absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        non_blank(self.properties.get(name))
    }

    /// A company property, `None` when there is no company or the value is null or blank.
    pub fn company_get(&self, name: &str) -> Option<&str> {
        self.company
            .as_ref()
            .and_then(|c| non_blank(c.properties.get(name)))
    }

    /// A field named as in readiness requirements: `company.x` reads the company, else the
    /// contact.
    pub fn field(&self, path: &str) -> Option<&str> {
        match path.strip_prefix("company.") {
            Some(name) => self.company_get(name),
            None => self.get(path),
        }
    }

    /// The lower-cased domain of the `email` property ("" when there is none).
    pub(crate) fn email_domain(&self) -> String {
        self.get("email")
            .and_then(|e| e.rsplit_once('@'))
            .map(|(_, d)| d.trim().to_ascii_lowercase())
            .unwrap_or_default()
    }
}

fn non_blank(v: Option<&Option<String>>) -> Option<&str> {
    v.and_then(|v| v.as_deref())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// How a declared property is typed in the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PropertyType {
    String,
    Number,
    Bool,
    /// HubSpot datetimes (epoch milliseconds or RFC 3339) and dates, as epoch milliseconds (int).
    Datetime,
}

/// Converts one HubSpot string to a typed CEL value.
pub(crate) fn typed_value(raw: &str, ty: PropertyType) -> Result<Value, String> {
    match ty {
        PropertyType::String => Ok(Value::String(Arc::new(raw.to_string()))),
        PropertyType::Number => {
            if let Ok(i) = raw.parse::<i64>() {
                return Ok(Value::Int(i));
            }
            match raw.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(Value::Float(f)),
                _ => Err(format!("`{raw}` is not a number")),
            }
        }
        PropertyType::Bool => match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" => Ok(Value::Bool(true)),
            "false" | "no" => Ok(Value::Bool(false)),
            _ => Err(format!("`{raw}` is not true/false")),
        },
        PropertyType::Datetime => parse_epoch_ms(raw).map(Value::Int),
    }
}

/// Epoch milliseconds from HubSpot's datetime/date encodings.
pub fn parse_epoch_ms(raw: &str) -> Result<i64, String> {
    if let Ok(ms) = raw.parse::<i64>() {
        return Ok(ms);
    }
    if let Ok(t) = raw.parse::<Timestamp>() {
        return Ok(t.as_millisecond());
    }
    if let Ok(d) = raw.parse::<Date>()
        && let Ok(z) = d.to_zoned_datetime(jiff::tz::TimeZone::UTC)
    {
        return Ok(z.timestamp().as_millisecond());
    }
    Err(format!("`{raw}` is not a date or datetime"))
}

/// The properties a playbook declares, and which of them its conditions read.
#[derive(Clone, Debug, Default)]
pub(crate) struct ViewSchema {
    pub contact: BTreeMap<String, PropertyType>,
    pub company: BTreeMap<String, PropertyType>,
    /// Declared properties some condition reads; only these are converted per decision.
    pub used_contact: BTreeSet<String>,
    pub used_company: BTreeSet<String>,
    /// Every used property with its type, in slot order for the native evaluator
    /// (`true` = company).
    pub slots: Vec<(bool, String, PropertyType)>,
}

/// A data problem found while building the view (unparseable value): noted, never fatal.
pub(crate) type ViewWarning = String;

/// Builds the `contact` and `company` CEL maps: declared, used, non-blank properties only, so
/// `has(contact.phone)` means "has a value".
pub(crate) fn build_view(
    c: &Contact,
    schema: &ViewSchema,
    warnings: &mut Vec<ViewWarning>,
) -> (Value, Value) {
    let contact = typed_map(
        &c.properties,
        &schema.contact,
        &schema.used_contact,
        "",
        warnings,
    );
    let empty = BTreeMap::new();
    let company_props = c.company.as_ref().map(|c| &c.properties).unwrap_or(&empty);
    let company = typed_map(
        company_props,
        &schema.company,
        &schema.used_company,
        "company.",
        warnings,
    );
    (contact, company)
}

fn typed_map(
    props: &BTreeMap<String, Option<String>>,
    types: &BTreeMap<String, PropertyType>,
    used: &BTreeSet<String>,
    prefix: &str,
    warnings: &mut Vec<ViewWarning>,
) -> Value {
    let mut map: HashMap<Key, Value> = HashMap::with_capacity(used.len());
    for name in used {
        let (Some(ty), Some(raw)) = (types.get(name), non_blank(props.get(name))) else {
            continue;
        };
        match typed_value(raw, *ty) {
            Ok(v) => {
                map.insert(Key::String(Arc::new(name.clone())), v);
            }
            Err(m) => warnings.push(format!("property {prefix}{name}: {m}; treated as missing")),
        }
    }
    Value::Map(Map { map: Arc::new(map) })
}

/// The `event` CEL map.
pub(crate) fn event_value(e: Option<&EventContext>) -> Value {
    let mut map: HashMap<Key, Value> = HashMap::new();
    if let Some(e) = e {
        let fields = [
            ("kind", &e.kind),
            ("source", &e.source),
            ("property", &e.property),
            ("value", &e.value),
        ];
        for (k, v) in fields {
            if let Some(v) = v {
                map.insert(Key::from(k), Value::String(Arc::new(v.clone())));
            }
        }
    }
    Value::Map(Map { map: Arc::new(map) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hubspot_shape_with_nulls_and_blanks() {
        let c = Contact::from_json(
            r#"{"id":"1","properties":{"email":"Ann@Example.COM ","phone":null,"city":"  "},
                "company":{"id":"9","properties":{"name":"Acme"}},"createdAt":"2026-01-01T00:00:00Z"}"#,
        );
        let c = c.unwrap();
        assert_eq!(c.email_domain(), "example.com");
        assert_eq!(c.get("phone"), None);
        assert_eq!(c.get("city"), None);
        assert_eq!(c.field("company.name"), Some("Acme"));
    }

    #[test]
    fn types_values_and_warns_on_garbage() {
        assert_eq!(typed_value("42", PropertyType::Number), Ok(Value::Int(42)));
        assert_eq!(
            typed_value("4.5", PropertyType::Number),
            Ok(Value::Float(4.5))
        );
        assert!(typed_value("NaN", PropertyType::Number).is_err());
        assert_eq!(
            typed_value("TRUE", PropertyType::Bool),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            typed_value("1700000000000", PropertyType::Datetime),
            Ok(Value::Int(1_700_000_000_000))
        );
        assert_eq!(
            typed_value("1970-01-02", PropertyType::Datetime),
            Ok(Value::Int(86_400_000))
        );
        assert_eq!(
            typed_value("1970-01-01T00:00:01Z", PropertyType::Datetime),
            Ok(Value::Int(1000))
        );
        let mut c = Contact::new(ContactId::new(1).unwrap());
        c.properties
            .insert("numberofemployees".into(), Some("many".into()));
        let mut schema = ViewSchema::default();
        schema
            .contact
            .insert("numberofemployees".into(), PropertyType::Number);
        schema.used_contact.insert("numberofemployees".into());
        let mut warnings = Vec::new();
        let _ = build_view(&c, &schema, &mut warnings);
        assert_eq!(warnings.len(), 1);
    }
}
