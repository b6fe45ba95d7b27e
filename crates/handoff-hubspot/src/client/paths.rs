//! Where every HubSpot call goes: the one table that maps a logical endpoint to its path for the
//! configured API version (`hubspot.api_version`). The client builds every CRM path here and
//! nowhere else; docs/hubspot.md "Date-versioned API and write validation" has the facts and
//! HubSpot's URLs. The sandbox keeps a table of its own (a stand-in that shared this one would
//! agree with its mistakes).
//!
//! HubSpot has two path families for the same calls:
//! - **`2026-09`** (the default): `/{api}/2026-09/{resource}`, e.g.
//!   `/crm/objects/2026-09/contacts/batch/read`, supported until about March 2028;
//! - **`v3`**: the numeric paths, `/crm/v3/objects/contacts/batch/read` (and `/crm/v4/…` for
//!   associations), unsupported from September 2027.
//!
//! The request bodies are the same on both; the responses differ only in how a batch reports
//! partial failure (a 207 on v3, `errors` inside the 200/201 on 2026-09 — the client parses
//! `errors` on every 2xx) and in optional fields handoff does not read.
//!
//! Fixed-version APIs are not in the table: the Webhooks Journal exists only as `2026-03`
//! (`JOURNAL_VERSION`), sequences are called at `2026-09` on both (the only version whose
//! spec lets a private-app token enroll, [`SEQUENCES`]), and the OAuth token grant stays at
//! [`OAUTH_TOKEN`].
//!
//! # Adding an endpoint
//! 1. Find the API family of the call in [`Api`] (objects, associations, owners, pipelines,
//!    properties, property validations, OAuth introspection). A family not listed yet gets a
//!    variant with both prefixes in [`Api::prefix`], taken from HubSpot's reference for each
//!    version (cite it in docs/hubspot.md), and a row in the test below.
//! 2. In the client, build the path with `self.inner.path(Api::…, "resource/tail")` — the tail
//!    is what follows the version, the same on both (`"contacts/batch/read"`, `"contacts/groups"`,
//!    `""` for the family root). Never write `/crm/v3/…` or `/2026-09/` in a call.
//! 3. In the sandbox (`crates/handoff-sandbox/src/routes/mod.rs`, `versioned`), register the
//!    route with the sandbox's own `path(v, Api::…, "tail")` (`routes/version.rs`, written from
//!    HubSpot's reference, not from this table); it is then served for both versions, and a
//!    batch handler gets the version to answer in that version's shape (`batch_response`).
//! 4. Test the call against the sandbox on both versions (`tests/it/hubspot/sandbox/versions.rs`).

use std::fmt;

use serde::Deserialize;

/// Which family of HubSpot paths the client calls (`hubspot.api_version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(try_from = "String")]
pub enum ApiVersion {
    /// `/{api}/2026-09/{resource}`: HubSpot's current date version (GA 8 September 2026).
    #[default]
    Dated2026_09,
    /// `/crm/v3/…` and `/crm/v4/associations/…`: the legacy numeric paths.
    V3,
}

impl ApiVersion {
    /// Both versions, the default first.
    pub const ALL: [ApiVersion; 2] = [ApiVersion::Dated2026_09, ApiVersion::V3];

    /// As written in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dated2026_09 => "2026-09",
            Self::V3 => "v3",
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for ApiVersion {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s.trim())
            .ok_or_else(|| {
                format!(
                    "unknown HubSpot API version `{s}`: use \"2026-09\" (date-versioned paths, the default) or \"v3\" (legacy paths, unsupported from September 2027)"
                )
            })
    }
}

/// A HubSpot API family: one path prefix per version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// CRM records by object type: `contacts/…`, `companies/…`, `tasks/…`, `leads/…`, `users`.
    Objects,
    /// Associations between records, e.g. `contacts/companies/batch/read` (v3 family: v4).
    Associations,
    /// Owners: `""` (the list) or `"{ownerId}"`.
    Owners,
    /// Pipelines and their stages by object type, e.g. `leads`.
    Pipelines,
    /// Property definitions and groups by object type, e.g. `contacts`, `contacts/groups`.
    Properties,
    /// Property format rules by object type id, e.g. `0-1`.
    PropertyValidations,
    /// OAuth token introspection (`token/introspect`); the grant stays at [`OAUTH_TOKEN`].
    OAuth,
}

impl Api {
    /// The path up to and including the version segment.
    pub fn prefix(self, v: ApiVersion) -> &'static str {
        use ApiVersion::{Dated2026_09 as D, V3};
        match (self, v) {
            (Self::Objects, V3) => "/crm/v3/objects",
            (Self::Objects, D) => "/crm/objects/2026-09",
            (Self::Associations, V3) => "/crm/v4/associations",
            (Self::Associations, D) => "/crm/associations/2026-09",
            (Self::Owners, V3) => "/crm/v3/owners",
            (Self::Owners, D) => "/crm/owners/2026-09",
            (Self::Pipelines, V3) => "/crm/v3/pipelines",
            (Self::Pipelines, D) => "/crm/pipelines/2026-09",
            (Self::Properties, V3) => "/crm/v3/properties",
            (Self::Properties, D) => "/crm/properties/2026-09",
            (Self::PropertyValidations, V3) => "/crm/v3/property-validations",
            (Self::PropertyValidations, D) => "/crm/property-validations/2026-09",
            (Self::OAuth, V3) => "/oauth/v3",
            (Self::OAuth, D) => "/oauth/2026-09",
        }
    }
}

/// The path of `resource` (what follows the version, no leading `/` needed; `""` for the
/// family root) in `api` at version `v`.
pub fn path(v: ApiVersion, api: Api, resource: &str) -> String {
    let prefix = api.prefix(v);
    let resource = resource.trim_start_matches('/');
    if resource.is_empty() {
        prefix.to_owned()
    } else {
        format!("{prefix}/{resource}")
    }
}

/// The Webhooks Journal's only GA version.
pub(crate) const JOURNAL_VERSION: &str = "2026-03";
/// Sales sequences, at `2026-09` whatever `api_version` says.
pub const SEQUENCES: &str = "/automation/sequences/2026-09";
/// The OAuth token grant (refresh, client credentials), unchanged across versions.
pub const OAUTH_TOKEN: &str = "/oauth/v3/token";
/// Scopes of a static (private-app or project) token; not date-versioned.
pub const ACCESS_TOKEN_INFO: &str = "/oauth/v2/private-apps/get/access-token-info";

#[cfg(test)]
mod tests {
    use super::ApiVersion::{Dated2026_09 as D, V3};
    use super::*;

    /// The table of docs/hubspot.md, row by row.
    #[test]
    fn every_family_maps_to_the_documented_path_on_both_versions() {
        let rows = [
            (
                Api::Objects,
                "contacts/batch/read",
                "/crm/v3/objects/contacts/batch/read",
                "/crm/objects/2026-09/contacts/batch/read",
            ),
            (
                Api::Associations,
                "contacts/companies/batch/read",
                "/crm/v4/associations/contacts/companies/batch/read",
                "/crm/associations/2026-09/contacts/companies/batch/read",
            ),
            (Api::Owners, "", "/crm/v3/owners", "/crm/owners/2026-09"),
            (
                Api::Owners,
                "41629779",
                "/crm/v3/owners/41629779",
                "/crm/owners/2026-09/41629779",
            ),
            (
                Api::Pipelines,
                "leads",
                "/crm/v3/pipelines/leads",
                "/crm/pipelines/2026-09/leads",
            ),
            (
                Api::Properties,
                "contacts/groups",
                "/crm/v3/properties/contacts/groups",
                "/crm/properties/2026-09/contacts/groups",
            ),
            (
                Api::PropertyValidations,
                "0-1",
                "/crm/v3/property-validations/0-1",
                "/crm/property-validations/2026-09/0-1",
            ),
            (
                Api::OAuth,
                "token/introspect",
                "/oauth/v3/token/introspect",
                "/oauth/2026-09/token/introspect",
            ),
        ];
        for (api, resource, v3, dated) in rows {
            assert_eq!(path(V3, api, resource), v3);
            assert_eq!(path(D, api, resource), dated);
            assert_eq!(
                path(D, api, &format!("/{resource}")),
                dated,
                "leading slash"
            );
        }
    }

    #[test]
    fn the_default_is_2026_09_and_unknown_versions_say_what_is_allowed() {
        assert_eq!(ApiVersion::default(), D);
        let v: ApiVersion = serde_json::from_str("\"v3\"").unwrap();
        assert_eq!(v, V3);
        let err = serde_json::from_str::<ApiVersion>("\"2026-03\"").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("`2026-03`"), "{msg}");
        assert!(
            msg.contains("\"2026-09\"") && msg.contains("\"v3\""),
            "{msg}"
        );
    }
}
