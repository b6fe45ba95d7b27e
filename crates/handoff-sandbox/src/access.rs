//! The scopes the sandbox's portal grants its app (docs/hubspot.md "Which scopes a token has"):
//! every scope handoff can use, until a test takes some away through the control API
//! (`PUT /_sandbox/scopes`). Token lookups (`access-token-info`, introspection) answer with
//! them; the owners and properties routes answer 403 `MISSING_SCOPES` without theirs; and the
//! static token lookup can be turned off, as HubSpot might refuse a project app's token there.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::Sandbox;
use super::error::ApiError;

/// What a fresh sandbox grants (the sandbox's own list).
const ALL: [&str; 14] = [
    "oauth",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.companies.read",
    "crm.objects.owners.read",
    "crm.objects.users.read",
    "crm.schemas.contacts.read",
    "crm.schemas.contacts.write",
    "crm.schemas.companies.read",
    "crm.schemas.companies.write",
    "crm.objects.leads.read",
    "crm.objects.leads.write",
    "automation.sequences.read",
    "automation.sequences.enrollments.write",
];

/// Granted scopes, and whether the static token lookup answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Access {
    pub scopes: BTreeSet<String>,
    /// `false`: `access-token-info` refuses every token (400).
    #[serde(default = "yes")]
    pub token_info: bool,
}

fn yes() -> bool {
    true
}

impl Default for Access {
    fn default() -> Self {
        Self::granting_all()
    }
}

impl Access {
    pub(crate) fn granting_all() -> Self {
        Self {
            scopes: ALL.iter().map(|s| (*s).to_owned()).collect(),
            token_info: true,
        }
    }

    /// 403 `MISSING_SCOPES` naming `any_of[0]` unless one of `any_of` is granted.
    pub(crate) fn require(&self, any_of: &[&str]) -> Result<(), ApiError> {
        if any_of.iter().any(|s| self.scopes.contains(*s)) {
            return Ok(());
        }
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "MISSING_SCOPES",
            "This app hasn't been granted all required scopes to make this call.",
        )
        .with_context(
            "missingScopes",
            any_of
                .first()
                .map(|s| (*s).to_owned())
                .into_iter()
                .collect(),
        ))
    }
}

impl Sandbox {
    /// The granted scopes and whether token info answers (`GET /_sandbox/scopes`).
    pub fn access(&self) -> Access {
        self.crm().access.clone()
    }

    /// Replaces them (`PUT /_sandbox/scopes`); a reset grants everything again.
    pub fn set_access(&self, access: Access) {
        self.crm().access = access;
    }
}
