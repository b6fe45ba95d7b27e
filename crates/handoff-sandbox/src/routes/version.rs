//! The two HubSpot API versions the sandbox serves at once, and the path of each route in
//! each: the sandbox's own table, written from HubSpot's references (the table in
//! docs/hubspot.md "Date-versioned API and write validation"). It does not borrow the client's
//! table: a stand-in that shared the client's paths would agree with any mistake in them. The
//! client is checked against this table end to end (`tests/it/sandbox/versions.rs`).

/// The path family a request came in on; batch handlers answer in its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiVersion {
    /// `/{api}/2026-09/{resource}`: a batch reports partial failure inside its 200 or 201.
    Dated2026_09,
    /// `/crm/v3/…` (associations: `/crm/v4/…`): a batch reports partial failure as a 207.
    V3,
}

/// An API family: one path prefix per version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// CRM records by object type (`contacts/…`, `tasks/…`, `users`).
    Objects,
    /// Associations between records (`contacts/companies/batch/read`).
    Associations,
    /// The owners list.
    Owners,
    /// Pipelines by object type (`leads`).
    Pipelines,
    /// Property definitions and groups by object type.
    Properties,
    /// OAuth token introspection.
    OAuth,
}

impl ApiVersion {
    /// Both versions: every versioned route is served on each.
    pub(crate) const ALL: [ApiVersion; 2] = [Self::Dated2026_09, Self::V3];
}

impl Api {
    /// The path up to and including the version segment.
    fn prefix(self, v: ApiVersion) -> &'static str {
        match (v, self) {
            (ApiVersion::Dated2026_09, Self::Objects) => "/crm/objects/2026-09",
            (ApiVersion::Dated2026_09, Self::Associations) => "/crm/associations/2026-09",
            (ApiVersion::Dated2026_09, Self::Owners) => "/crm/owners/2026-09",
            (ApiVersion::Dated2026_09, Self::Pipelines) => "/crm/pipelines/2026-09",
            (ApiVersion::Dated2026_09, Self::Properties) => "/crm/properties/2026-09",
            (ApiVersion::Dated2026_09, Self::OAuth) => "/oauth/2026-09",
            (ApiVersion::V3, Self::Objects) => "/crm/v3/objects",
            (ApiVersion::V3, Self::Associations) => "/crm/v4/associations",
            (ApiVersion::V3, Self::Owners) => "/crm/v3/owners",
            (ApiVersion::V3, Self::Pipelines) => "/crm/v3/pipelines",
            (ApiVersion::V3, Self::Properties) => "/crm/v3/properties",
            (ApiVersion::V3, Self::OAuth) => "/oauth/v3",
        }
    }
}

/// The path of `resource` (what follows the version; `""` for the family root) in `api` at
/// version `v`.
pub(crate) fn path(v: ApiVersion, api: Api, resource: &str) -> String {
    let prefix = api.prefix(v);
    if resource.is_empty() {
        prefix.to_owned()
    } else {
        format!("{prefix}/{resource}")
    }
}

/// Sales sequences, at `2026-09` whichever version the client speaks.
pub(crate) const SEQUENCES: &str = "/automation/sequences/2026-09";
/// The OAuth token grant, the same under both versions.
pub(crate) const OAUTH_TOKEN: &str = "/oauth/v3/token";
/// A static token's scopes; not date-versioned.
pub(crate) const ACCESS_TOKEN_INFO: &str = "/oauth/v2/private-apps/get/access-token-info";

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of the table in docs/hubspot.md, as the sandbox serves them.
    #[test]
    fn each_family_is_served_at_hubspots_documented_path_on_both_versions() {
        let rows = [
            (
                Api::Objects,
                "contacts/batch/read",
                "/crm/objects/2026-09/contacts/batch/read",
                "/crm/v3/objects/contacts/batch/read",
            ),
            (
                Api::Associations,
                "contacts/companies/batch/read",
                "/crm/associations/2026-09/contacts/companies/batch/read",
                "/crm/v4/associations/contacts/companies/batch/read",
            ),
            (Api::Owners, "", "/crm/owners/2026-09", "/crm/v3/owners"),
            (
                Api::Pipelines,
                "leads",
                "/crm/pipelines/2026-09/leads",
                "/crm/v3/pipelines/leads",
            ),
            (
                Api::Properties,
                "contacts/groups",
                "/crm/properties/2026-09/contacts/groups",
                "/crm/v3/properties/contacts/groups",
            ),
            (
                Api::OAuth,
                "token/introspect",
                "/oauth/2026-09/token/introspect",
                "/oauth/v3/token/introspect",
            ),
        ];
        for (api, resource, dated, v3) in rows {
            assert_eq!(path(ApiVersion::Dated2026_09, api, resource), dated);
            assert_eq!(path(ApiVersion::V3, api, resource), v3);
        }
    }
}
