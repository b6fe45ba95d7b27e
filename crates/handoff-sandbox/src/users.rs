//! CRM users (object type `0-115`, docs/hubspot.md "CRM user availability properties") as the
//! sandbox holds them: seeded from the optional `users.json` (`{"id", "properties"}`, joined to the
//! seeded owners through `hs_internal_user_id` = the owner's `userId`, "Joining a CRM user to an
//! owner"), rendered for `GET /crm/v3/objects/users` (`routes/users.rs`), and changed through the
//! control API (`PATCH /_sandbox/users/{id}`), the way a rep flips their status or HubSpot's
//! schedule flips it for them.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Sandbox;
use super::error::SandboxError;
use super::routes::IdStr;
use super::state::{Crm, Record, iso, now_ms};
use super::views::ControlError;

/// Returned when a read names no `properties` (the guide's default set is not documented; the
/// client always names them, "CRM user availability properties").
const DEFAULTS: [&str; 3] = ["hs_email", "hs_given_name", "hs_family_name"];
/// Always returned.
const ALWAYS: [&str; 3] = ["hs_createdate", "hs_lastmodifieddate", "hs_object_id"];

/// The users, and whether the app holds `crm.objects.users.read`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Users {
    pub(crate) records: BTreeMap<u64, Record>,
    /// Set by the control API: reads answer 403 `MISSING_SCOPES` ("403 missing scope",
    /// docs/hubspot.md "Error bodies and status codes"), as for an app installed without the users
    /// scope.
    pub(crate) scope_missing: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedUser {
    id: IdStr,
    #[serde(default)]
    properties: BTreeMap<String, String>,
}

/// Reads `users.json` from `dir` into `crm`; a seed without the file has no users.
pub(crate) fn seed(dir: &Path, now: i64, crm: &mut Crm) -> Result<(), SandboxError> {
    let file = dir.join("users.json");
    if !file.exists() {
        return Ok(());
    }
    let fail = |message: String| SandboxError::Seed {
        file: file.clone(),
        message,
    };
    let text = std::fs::read_to_string(&file).map_err(|e| fail(format!("cannot read: {e}")))?;
    let de = &mut serde_json::Deserializer::from_str(&text);
    let users: Vec<SeedUser> = serde_path_to_error::deserialize(de)
        .map_err(|e| fail(format!("{}: {}", e.path(), e.inner())))?;
    let mut internal = HashSet::new();
    for u in users {
        let id =
            u.id.parse()
                .ok_or_else(|| fail(format!("id `{}` is not numeric", u.id.0)))?;
        if let Some(uid) = u.properties.get("hs_internal_user_id")
            && !internal.insert(uid.clone())
        {
            return Err(fail(format!("hs_internal_user_id {uid} appears twice")));
        }
        let mut rec = Record::new(id, now);
        rec.set(u.properties, now);
        if crm.users.records.insert(id, rec).is_some() {
            return Err(fail(format!("user id {id} appears twice")));
        }
    }
    Ok(())
}

/// `SimplePublicObject` of a user: the requested properties that have a value (none requested
/// = [`DEFAULTS`]) plus [`ALWAYS`].
pub(crate) fn render(rec: &Record, requested: &[String]) -> Value {
    let mut names: Vec<&str> = ALWAYS.to_vec();
    if requested.is_empty() {
        names.extend(DEFAULTS);
    } else {
        names.extend(requested.iter().map(String::as_str));
    }
    let mut props = Map::new();
    for name in names {
        if let Some(v) = rec.value(name) {
            props.insert(name.to_owned(), Value::String(v));
        }
    }
    json!({
        "id": rec.id.to_string(),
        "properties": props,
        "createdAt": iso(rec.created_ms),
        "updatedAt": iso(rec.updated_ms),
        "archived": false,
    })
}

/// HubSpot accepts these two values for `hs_availability_status` ("CRM user availability
/// properties"); the control API refuses others unless asked to store them verbatim (to test how
/// handoff reads a value it does not know).
const STATUSES: [&str; 2] = ["available", "away"];

impl Sandbox {
    /// Every user with every property (`GET /_sandbox/users`).
    pub fn users(&self) -> Vec<Value> {
        let crm = self.crm();
        crm.users
            .records
            .values()
            .map(|r| {
                let all: Vec<String> = r.properties.keys().cloned().collect();
                render(r, &all)
            })
            .collect()
    }

    /// Sets a user's properties (`""` clears one), as the user, an admin or HubSpot's schedule
    /// would: `PATCH /_sandbox/users/{id}`. `id` is the CRM user id or, for convenience, the
    /// id of the owner joined to it. `hs_availability_status` must be `available` or `away`
    /// unless `verbatim`.
    pub fn set_user_properties(
        &self,
        id: u64,
        properties: BTreeMap<String, String>,
        verbatim: bool,
    ) -> Result<Value, ControlError> {
        if let Some(s) = properties.get("hs_availability_status")
            && !verbatim
            && !s.is_empty()
            && !STATUSES.contains(&s.as_str())
        {
            return Err(ControlError::Invalid(format!(
                "hs_availability_status must be one of {STATUSES:?}, got `{s}`"
            )));
        }
        let mut crm = self.crm();
        let key = if crm.users.records.contains_key(&id) {
            Some(id)
        } else {
            owner_user(&crm, id)
        };
        let rec = key
            .and_then(|k| crm.users.records.get_mut(&k))
            .ok_or_else(|| ControlError::NotFound(format!("no user or owner with id {id}")))?;
        rec.set(properties, now_ms());
        let all: Vec<String> = rec.properties.keys().cloned().collect();
        Ok(render(rec, &all))
    }
}

impl Sandbox {
    /// Grants or withdraws the users scope (`PUT /_sandbox/users/scope`).
    pub fn set_users_scope(&self, granted: bool) {
        self.crm().users.scope_missing = !granted;
    }
}

/// The CRM user joined to owner `owner_id` (its `userId` = `hs_internal_user_id`).
fn owner_user(crm: &Crm, owner_id: u64) -> Option<u64> {
    let uid = crm
        .owners
        .iter()
        .find(|o| o.id == owner_id)?
        .user_id()?
        .to_string();
    crm.users
        .records
        .values()
        .find(|r| r.properties.get("hs_internal_user_id") == Some(&uid))
        .map(|r| r.id)
}
