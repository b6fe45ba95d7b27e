//! Webhook URL: `webhook.public_url` is the URL HubSpot signs (docs/hubspot.md "The target URL
//! handoff checks"): HTTPS (plain HTTP only on a loopback host, for the sandbox, as a
//! warning), its path the route the service serves (`webhook.path`), and no query string or
//! percent-escapes (HubSpot's decoding of those before signing is unverified). HubSpot has no
//! API that shows a project app's target URL, so the fix says where to set it.

use super::{Check, Section, Status};
use crate::config::WebhookSettings;

const S: Section = Section::WebhookUrl;
const WHERE: &str = "doctor cannot read the app's target URL from HubSpot: set settings.targetUrl in webhooks-hsmeta.json (project apps; the webhook settings page for legacy apps) to exactly webhook.public_url";

pub(crate) fn check(w: &WebhookSettings) -> Vec<Check> {
    let fail = |id: &str, reason: String, fix: String| {
        Check::problem(Status::Fail, S, id, "webhook.public_url", reason, fix)
    };
    let url = match reqwest::Url::parse(w.public_url.trim()) {
        Ok(url) => url,
        Err(e) => {
            return vec![fail(
                "webhook:url",
                format!("`{}` is not a URL ({e})", w.public_url),
                "set webhook.public_url to the HTTPS URL HubSpot posts to".into(),
            )];
        }
    };
    let mut out = vec![scheme(&url)];
    out.push(if url.path() == w.path {
        Check::pass(
            S,
            "webhook:path",
            "webhook path",
            format!("{} is the served route", url.path()),
        )
    } else {
        fail(
            "webhook:path",
            format!(
                "the URL's path {} is not the served route webhook.path = {}",
                url.path(),
                w.path
            ),
            format!("make the two paths equal (HubSpot signs the URL it posts to); {WHERE}"),
        )
    });
    if url.query().is_some() || w.public_url.contains('%') {
        out.push(Check::problem(
            Status::Warn,
            S,
            "webhook:plain",
            "webhook.public_url",
            "has a query string or percent-escapes: how HubSpot decodes them before signing is unverified",
            "use a target URL without a query string or escapes",
        ));
    }
    out
}

/// HTTPS passes; plain HTTP is a warning on a loopback host (the sandbox) and fails elsewhere.
fn scheme(url: &reqwest::Url) -> Check {
    let loopback = matches!(
        url.host_str(),
        Some("localhost" | "127.0.0.1" | "[::1]" | "::1")
    );
    match url.scheme() {
        "https" => Check::pass(
            S,
            "webhook:https",
            "webhook.public_url",
            format!("{url} is HTTPS"),
        ),
        "http" if loopback => Check::problem(
            Status::Warn,
            S,
            "webhook:https",
            "webhook.public_url",
            format!(
                "{url} is plain HTTP on a loopback host: fine for the sandbox, HubSpot cannot reach it"
            ),
            "use the public HTTPS URL of the deployment",
        ),
        other => Check::problem(
            Status::Fail,
            S,
            "webhook:https",
            "webhook.public_url",
            format!(
                "{url} uses {other}, not HTTPS: signed lead data would cross the internet in the clear"
            ),
            format!(
                "serve the webhook behind TLS and set webhook.public_url to its https:// URL; {WHERE}"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> WebhookSettings {
        WebhookSettings {
            path: "/webhooks/hubspot".into(),
            public_url: url.into(),
            app_id: None,
            client_secret: None,
            client_secret_file: None,
            legacy_signatures: Vec::new(),
            timestamp_tolerance_ms: 300_000,
            max_body_bytes: 1_048_576,
            apps: Vec::new(),
        }
    }

    fn statuses(url: &str) -> Vec<(String, Status)> {
        check(&settings(url))
            .into_iter()
            .map(|c| (c.id, c.status))
            .collect()
    }

    #[test]
    fn https_on_the_served_path_passes() {
        let all = statuses("https://handoff.example.com/webhooks/hubspot");
        assert!(all.iter().all(|(_, s)| *s == Status::Pass), "{all:?}");
    }

    #[test]
    fn http_fails_except_on_loopback_where_it_warns() {
        let remote = statuses("http://handoff.example.com/webhooks/hubspot");
        assert_eq!(remote[0], ("webhook:https".into(), Status::Fail));
        let local = statuses("http://127.0.0.1:8080/webhooks/hubspot");
        assert_eq!(local[0], ("webhook:https".into(), Status::Warn));
    }

    #[test]
    fn another_path_fails_and_a_query_warns() {
        let other = statuses("https://h.example.com/hooks?x=1");
        assert!(other.contains(&("webhook:path".into(), Status::Fail)));
        assert!(other.contains(&("webhook:plain".into(), Status::Warn)));
        assert_eq!(
            statuses("not a url")[0],
            ("webhook:url".into(), Status::Fail)
        );
    }
}
