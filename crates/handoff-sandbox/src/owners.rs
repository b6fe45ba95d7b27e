//! Owners as the sandbox holds them: HubSpot's `PublicOwner` (docs/hubspot.md "Owners and user
//! ids"), seeded from `owners.json` and rendered for `GET /crm/v3/owners`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::state::iso;

/// A team membership of an owner.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Team {
    id: String,
    name: String,
    #[serde(default)]
    primary: bool,
}

/// `PublicOwner` as seeded (docs/hubspot.md "Owners and user ids").
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Owner {
    #[serde(deserialize_with = "owner_id")]
    pub(crate) id: u64,
    #[serde(default)]
    pub(crate) email: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    /// Kept for archived owners too; rendered as `userIdIncludingInactive`.
    #[serde(default)]
    pub(crate) user_id: Option<u64>,
    #[serde(default)]
    pub(crate) archived: bool,
    #[serde(rename = "type", default = "person")]
    owner_type: String,
    #[serde(default)]
    teams: Vec<Team>,
}

fn person() -> String {
    "PERSON".into()
}

/// An owner id as seeded: a string as HubSpot writes it (`"id": "123"`), or a number. The
/// sandbox reads it on its own, not with the client's parsing: a fake that shared it would
/// hide a bug the two have in common.
fn owner_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    use serde::de::Error as _;
    match Value::deserialize(d)? {
        Value::String(text) => text.trim().parse().map_err(D::Error::custom),
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| D::Error::custom(format!("owner id {n} is not a positive integer"))),
        other => Err(D::Error::custom(format!(
            "owner id must be a string or an integer, not {other}"
        ))),
    }
}

impl Owner {
    /// The user id, archived owners' too (joins the CRM user, `users.rs`).
    pub(crate) fn user_id(&self) -> Option<u64> {
        self.user_id
    }

    /// "First Last" as HubSpot has it, or the e-mail without a name.
    pub(crate) fn full_name(&self) -> String {
        let parts: Vec<&str> = [&self.first_name, &self.last_name]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .collect();
        match parts.join(" ") {
            name if name.trim().is_empty() => self.email.clone().unwrap_or_default(),
            name => name,
        }
    }

    /// Archived owners have `userId: null`; the id stays in `userIdIncludingInactive`.
    pub(crate) fn render(&self, created_ms: i64) -> Value {
        let teams: Vec<Value> = self
            .teams
            .iter()
            .map(|t| json!({"id": t.id, "name": t.name, "primary": t.primary}))
            .collect();
        json!({
            "id": self.id.to_string(),
            "email": self.email,
            "type": self.owner_type,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "userId": if self.archived { None } else { self.user_id },
            "userIdIncludingInactive": self.user_id,
            "createdAt": iso(created_ms),
            "updatedAt": iso(created_ms),
            "archived": self.archived,
            "teams": teams,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_of(id: &str) -> Result<u64, String> {
        serde_json::from_str::<Owner>(&format!("{{\"id\": {id}}}"))
            .map(|o| o.id)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_seeded_owner_id_is_a_string_or_an_integer_and_nothing_else() {
        assert_eq!(id_of("\"77\""), Ok(77));
        assert_eq!(id_of("\" 78 \""), Ok(78));
        assert_eq!(id_of("79"), Ok(79));
        for bad in ["\"x7\"", "-1", "1.5", "true", "null"] {
            assert!(id_of(bad).is_err(), "{bad} was accepted");
        }
    }
}
