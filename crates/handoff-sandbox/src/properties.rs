//! Property definitions and groups as the sandbox holds them, per object type (contacts,
//! companies; docs/hubspot.md "Properties and groups"): seeded from the optional
//! `properties.json` (`{"contacts": {"groups": [...], "properties": [...]}, "companies": ...}`,
//! HubSpot's own shapes), created through `routes/properties.rs` and removed through the control
//! API (`DELETE /_sandbox/properties/{object}/{name}`, a portal that lacks one). Its own parsing
//! and its own `type`/`fieldType` table: nothing here is shared with the client.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Value, json};

use super::error::SandboxError;
use super::state::iso;

/// `type` → the `fieldType`s the sandbox accepts with it. HubSpot checks that the two match
/// (its exact table is unverified; this is the documented pairs plus the obvious ones).
const FIELD_TYPES: [(&str, &[&str]); 7] = [
    (
        "string",
        &["text", "textarea", "html", "file", "phonenumber"],
    ),
    ("number", &["number", "calculation_equation"]),
    ("bool", &["booleancheckbox"]),
    ("date", &["date"]),
    ("datetime", &["date"]),
    (
        "enumeration",
        &["select", "radio", "checkbox", "booleancheckbox"],
    ),
    ("phone_number", &["phonenumber"]),
];

/// An option of an enumeration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Choice {
    label: String,
    value: String,
    #[serde(default)]
    display_order: i64,
    #[serde(default)]
    hidden: bool,
}

/// A property definition, as seeded or created (`PropertyCreate` plus what HubSpot adds).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Definition {
    pub(crate) name: String,
    #[serde(default)]
    label: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) field_type: String,
    pub(crate) group_name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    options: Vec<Choice>,
    #[serde(default)]
    hubspot_defined: bool,
}

/// A property group.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Group {
    pub(crate) name: String,
    label: String,
    #[serde(default)]
    display_order: i64,
}

impl Group {
    pub(crate) fn render(&self) -> Value {
        json!({"name": self.name, "label": self.label, "displayOrder": self.display_order,
               "archived": false})
    }
}

/// One object type's groups and properties.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Schema {
    pub(crate) groups: BTreeMap<String, Group>,
    pub(crate) properties: BTreeMap<String, Definition>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedSchema {
    #[serde(default)]
    groups: Vec<Group>,
    #[serde(default)]
    properties: Vec<Definition>,
}

/// Every object type's schema (the sandbox knows contacts and companies).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Schemas {
    pub(crate) contacts: Schema,
    pub(crate) companies: Schema,
}

impl Schemas {
    /// `contacts` or `companies` (as in the path; `0-1` and `0-2` too).
    pub(crate) fn of(&mut self, object: &str) -> Option<&mut Schema> {
        match object {
            "contacts" | "contact" | "0-1" => Some(&mut self.contacts),
            "companies" | "company" | "0-2" => Some(&mut self.companies),
            _ => None,
        }
    }
}

impl Definition {
    /// A `PropertyCreate` input, checked as HubSpot would: required fields, known `type` and
    /// `fieldType` that go together, an existing group, options for an enumeration.
    pub(crate) fn from_input(input: Value, schema: &Schema) -> Result<Self, String> {
        let d: Definition = serde_json::from_value(input).map_err(|e| e.to_string())?;
        if d.name.trim().is_empty() || d.label.trim().is_empty() {
            return Err("name and label are required".into());
        }
        let Some((_, fields)) = FIELD_TYPES.iter().find(|(t, _)| *t == d.kind) else {
            return Err(format!("{} is not a valid property type", d.kind));
        };
        if !fields.contains(&d.field_type.as_str()) {
            return Err(format!(
                "fieldType {} is not valid for type {}",
                d.field_type, d.kind
            ));
        }
        if !schema.groups.contains_key(&d.group_name) {
            return Err(format!("property group {} does not exist", d.group_name));
        }
        if d.kind == "enumeration" && d.options.is_empty() {
            return Err("an enumeration property needs options".into());
        }
        Ok(Self {
            hubspot_defined: false,
            ..d
        })
    }

    /// `Property` as HubSpot answers it.
    pub(crate) fn render(&self, created_ms: i64) -> Value {
        let options: Vec<Value> = self
            .options
            .iter()
            .map(|o| json!({"label": o.label, "value": o.value, "displayOrder": o.display_order, "hidden": o.hidden}))
            .collect();
        json!({
            "name": self.name,
            "label": self.label,
            "type": self.kind,
            "fieldType": self.field_type,
            "groupName": self.group_name,
            "description": self.description,
            "options": options,
            "displayOrder": -1,
            "hidden": false,
            "formField": false,
            "hasUniqueValue": false,
            "hubspotDefined": self.hubspot_defined,
            "archived": false,
            "createdAt": iso(created_ms),
            "updatedAt": iso(created_ms),
            "modificationMetadata": {"archivable": !self.hubspot_defined,
                "readOnlyDefinition": self.hubspot_defined, "readOnlyValue": false},
        })
    }
}

/// Reads `properties.json` from `dir`; a seed without it has no properties.
pub(crate) fn seed(dir: &Path) -> Result<Schemas, SandboxError> {
    let file = dir.join("properties.json");
    if !file.exists() {
        return Ok(Schemas::default());
    }
    let fail = |message: String| SandboxError::Seed {
        file: file.clone(),
        message,
    };
    let text = std::fs::read_to_string(&file).map_err(|e| fail(format!("cannot read: {e}")))?;
    let de = &mut serde_json::Deserializer::from_str(&text);
    let seeded: BTreeMap<String, SeedSchema> = serde_path_to_error::deserialize(de)
        .map_err(|e| fail(format!("{}: {}", e.path(), e.inner())))?;
    let mut schemas = Schemas::default();
    for (object, seed) in seeded {
        let schema = schemas
            .of(&object)
            .ok_or_else(|| fail(format!("unknown object type `{object}`")))?;
        for g in seed.groups {
            schema.groups.insert(g.name.clone(), g);
        }
        for p in seed.properties {
            if !schema.groups.contains_key(&p.group_name) {
                return Err(fail(format!(
                    "{object} property {}: unknown group {}",
                    p.name, p.group_name
                )));
            }
            let name = p.name.clone();
            if schema.properties.insert(name.clone(), p).is_some() {
                return Err(fail(format!("{object} property {name} appears twice")));
            }
        }
    }
    Ok(schemas)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        let mut s = Schema::default();
        s.groups.insert(
            "handoff".into(),
            Group {
                name: "handoff".into(),
                label: "handoff".into(),
                display_order: -1,
            },
        );
        s
    }

    #[test]
    fn a_create_input_is_checked_like_hubspot_checks_it() {
        let s = schema();
        let ok = json!({"name": "x", "label": "X", "type": "number", "fieldType": "number", "groupName": "handoff"});
        assert!(Definition::from_input(ok, &s).is_ok());
        let cases = [
            (
                json!({"name": "x", "label": "X", "type": "number", "fieldType": "text", "groupName": "handoff"}),
                "not valid for type",
            ),
            (
                json!({"name": "x", "label": "X", "type": "decimal", "fieldType": "number", "groupName": "handoff"}),
                "not a valid property type",
            ),
            (
                json!({"name": "x", "label": "X", "type": "number", "fieldType": "number", "groupName": "nope"}),
                "does not exist",
            ),
            (
                json!({"name": "x", "label": "X", "type": "enumeration", "fieldType": "select", "groupName": "handoff"}),
                "needs options",
            ),
            (
                json!({"name": "x", "type": "number", "fieldType": "number", "groupName": "handoff"}),
                "label",
            ),
        ];
        for (input, says) in cases {
            let err = Definition::from_input(input.clone(), &s).unwrap_err();
            assert!(err.contains(says), "{input}: {err}");
        }
    }

    #[test]
    fn the_shipped_seed_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/sandbox");
        let mut s = seed(&dir).unwrap();
        let contacts = s.of("contacts").unwrap();
        assert_eq!(contacts.properties["hubspot_owner_id"].kind, "enumeration");
        assert!(!contacts.groups.contains_key("handoff"), "setup creates it");
        assert!(s.of("0-2").unwrap().properties.contains_key("domain"));
    }
}
