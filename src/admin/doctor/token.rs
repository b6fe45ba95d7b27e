//! Token & scopes: the portal's token works, belongs to this portal, and holds every scope the
//! configuration needs (`admin::scopes`: what `handoff hubspot-app` requires of the app), each missing one named with what needs it. Scopes are
//! read with the token lookup of its kind (`HubspotClient::token_scopes`). When that lookup is
//! refused (HubSpot may not describe static tokens of project apps there, docs/hubspot.md
//! "Which scopes a token has"), a CRM read decides whether the token works, a 403 from it names
//! its missing scope, and the scope list is a warning: "could not read the scopes".

use super::{Check, Ctx, Section, Status, why};
use crate::admin::scopes::{ScopeHolder, ScopeNeed, required_scopes};
use crate::hubspot::client::{HubspotError, TokenScopes, TokenScopesSource};

const S: Section = Section::Token;
const REINSTALL: &str = "add it to the app's scopes (requiredScopes in app-hsmeta.json for a project app, the Auth tab for a legacy private app) and reinstall or re-authorize the app";

pub(crate) async fn check(ctx: &Ctx<'_>) -> Vec<Check> {
    let needs: Vec<ScopeNeed> = required_scopes(ctx.loaded)
        .into_iter()
        .filter(|n| n.holder == ScopeHolder::Portal)
        .collect();
    match ctx.client.token_scopes(ctx.id).await {
        Ok(info) => described(ctx, &info, &needs),
        Err(e) if rejected(&e) => vec![token_refused(&e)],
        Err(e) => probe(ctx, &e, &needs).await,
    }
}

/// HubSpot refused the token itself (401, or the client paused on it).
fn rejected(e: &HubspotError) -> bool {
    matches!(e, HubspotError::Auth { .. })
}

fn token_refused(e: &HubspotError) -> Check {
    Check::problem(
        Status::Fail,
        S,
        "token",
        "token works",
        format!("HubSpot refused it: {e}"),
        "put the app's current access token in the portal's token_env/token_file (OAuth: a valid refresh token), then run doctor again",
    )
}

fn described(ctx: &Ctx<'_>, info: &TokenScopes, needs: &[ScopeNeed]) -> Vec<Check> {
    let how = match info.source {
        TokenScopesSource::AccessTokenInfo => "access-token-info",
        TokenScopesSource::Introspection => "token introspection",
    };
    let mut out = Vec::new();
    if !info.active {
        out.push(Check::problem(
            Status::Fail,
            S,
            "token",
            "token works",
            format!("HubSpot's {how} says the token is not active"),
            "re-authorize the app (OAuth) or put its current token in the portal's configuration",
        ));
        return out;
    }
    match info.hub_id {
        Some(hub) if hub != ctx.id.as_u64() => out.push(Check::problem(
            Status::Fail,
            S,
            "token",
            "token works",
            format!(
                "the token belongs to account {hub}, not to portal {}",
                ctx.id.as_u64()
            ),
            "use the token of the app installed in this portal, or correct the portal id",
        )),
        _ => out.push(Check::pass(
            S,
            "token",
            "token works",
            format!("HubSpot described it ({how})"),
        )),
    }
    out.extend(coverage(needs, |s| info.scopes.iter().any(|g| g == s)));
    out
}

/// One failed item per missing scope, or one pass for all.
fn coverage(needs: &[ScopeNeed], granted: impl Fn(&str) -> bool) -> Vec<Check> {
    let missing: Vec<Check> = needs
        .iter()
        .filter(|n| !granted(&n.scope))
        .map(|n| {
            Check::problem(
                Status::Fail,
                S,
                format!("scope:{}", n.scope),
                format!("scope {}", n.scope),
                format!("missing; handoff needs it: {}", n.why),
                REINSTALL,
            )
        })
        .collect();
    if !missing.is_empty() {
        return missing;
    }
    let names: Vec<&str> = needs.iter().map(|n| n.scope.as_str()).collect();
    vec![Check::pass(
        S,
        "scopes",
        "scopes",
        format!(
            "all {} needed are granted: {}",
            names.len(),
            names.join(", ")
        ),
    )]
}

/// The lookup was refused: a CRM read tells whether the token works and may name a scope.
async fn probe(ctx: &Ctx<'_>, lookup: &HubspotError, needs: &[ScopeNeed]) -> Vec<Check> {
    match ctx.client.list_owners(ctx.id).await {
        Err(e) if rejected(&e) => vec![token_refused(&e)],
        Err(e) if !e.missing_scopes().is_empty() => {
            let mut out = vec![Check::pass(
                S,
                "token",
                "token works",
                "HubSpot accepted it on a CRM read",
            )];
            let named = e.missing_scopes();
            out.extend(
                coverage(needs, |s| !named.iter().any(|m| m == s))
                    .into_iter()
                    .filter(|c| c.status == Status::Fail),
            );
            out
        }
        Err(e) => vec![Check::problem(
            Status::Fail,
            S,
            "token",
            "token works",
            format!("no answer from HubSpot to tell: {}", why(&e)),
            "check hubspot.base_url and the network, then run doctor again",
        )],
        Ok(_) => {
            let names: Vec<&str> = needs.iter().map(|n| n.scope.as_str()).collect();
            vec![
                Check::pass(
                    S,
                    "token",
                    "token works",
                    "HubSpot accepted it on a CRM read",
                ),
                Check::problem(
                    Status::Warn,
                    S,
                    "scopes",
                    "scopes",
                    format!(
                        "could not read the token's scopes ({lookup}); the checks below show a scope a read lacks"
                    ),
                    format!(
                        "compare the app's scopes in HubSpot with: {}",
                        names.join(", ")
                    ),
                ),
            ]
        }
    }
}
