//! The generator against the shipped configuration and variations of it: which scopes each
//! feature adds, which auth type and why, which properties are subscribed and which are not.

use super::*;
use crate::config::DEFAULT_TOML;
use crate::engine::playbook::PlaybookDoc;

mod output;

const URL: &str = "https://handoff.example.com/webhooks/hubspot";

/// The shipped configuration's playbook and pipeline, edited, plus the given portals.
pub(super) struct Fixture {
    playbook: Playbook,
    pipeline: PipelineSettings,
    portals: Vec<PortalConfig>,
    public_url: String,
}

impl Fixture {
    pub(super) fn new(edit: impl FnOnce(&mut toml::Table), portals: &[&str]) -> Self {
        let mut all: toml::Table = DEFAULT_TOML.parse().unwrap();
        edit(&mut all);
        let doc: PlaybookDoc = all["playbook"].clone().try_into().unwrap();
        Self {
            playbook: Playbook::from_doc(doc).unwrap(),
            pipeline: all["pipeline"].clone().try_into().unwrap(),
            portals: portals.iter().map(|p| portal(p)).collect(),
            public_url: URL.into(),
        }
    }

    pub(super) fn shipped() -> Self {
        Self::new(|_| {}, &[])
    }

    fn source(&self) -> AppSource<'_> {
        AppSource {
            playbook: &self.playbook,
            pipeline: &self.pipeline,
            portals: &self.portals,
            public_url: &self.public_url,
        }
    }

    pub(super) fn generate(&self, auth: Option<AppAuth>) -> AppProject {
        let req = AppRequest {
            auth,
            target_url: None,
        };
        generate(&self.source(), &req).unwrap()
    }
}

/// Portal 62515 with a private-app token and `extra` keys.
fn portal(extra: &str) -> PortalConfig {
    let text = format!(
        "id = 62515\nplaybook = \"example-b2b-saas\"\nauth = {{ kind = \"private_app\", token_env = \"T\" }}\n{extra}"
    );
    toml::from_str(&text).unwrap()
}

fn set(all: &mut toml::Table, path: &[&str], value: toml::Value) {
    let (last, tables) = path.split_last().unwrap();
    let mut table = all;
    for key in tables {
        table = table.get_mut(*key).unwrap().as_table_mut().unwrap();
    }
    table.insert((*last).to_owned(), value);
}

fn names(project: &AppProject) -> Vec<&str> {
    project.scopes.iter().map(|s| s.name.as_str()).collect()
}

fn reason<'a>(project: &'a AppProject, name: &str) -> &'a str {
    let scope = project.scopes.iter().find(|s| s.name == name);
    &scope.unwrap_or_else(|| panic!("no scope {name}")).reason
}

fn file(project: &AppProject, name: &str) -> serde_json::Value {
    let (_, text) = project.files.iter().find(|(n, _)| *n == name).unwrap();
    serde_json::from_str(text).unwrap()
}

/// What the shipped configuration needs (also checked by `admin/scopes.rs`).
pub(in crate::admin) const BASE_SCOPES: [&str; 7] = [
    "crm.objects.companies.read",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.owners.read",
    "crm.schemas.contacts.read",
    "crm.schemas.contacts.write",
    "oauth",
];

#[test]
fn the_shipped_configuration_needs_the_base_scopes_only_and_a_static_app() {
    let project = Fixture::shipped().generate(None);
    assert_eq!(names(&project), BASE_SCOPES);
    assert_eq!(project.auth, AppAuth::Static);
    assert!(
        project
            .auth_reason
            .contains("no portal reads the Webhooks Journal")
    );
    assert!(reason(&project, "crm.schemas.contacts.write").contains("handoff portal setup"));
}

#[test]
fn availability_from_hubspot_adds_users_read_naming_the_portal() {
    let on = Fixture::new(|_| {}, &["availability = { from_hubspot = true }"]).generate(None);
    assert!(reason(&on, "crm.objects.users.read").contains("62515"));
    let off = Fixture::new(|_| {}, &[""]).generate(None);
    assert!(!names(&off).contains(&"crm.objects.users.read"));
}

#[test]
fn enabled_leads_add_the_lead_scopes_and_a_stage_subscription() {
    let fx = Fixture::new(
        |all| set(all, &["playbook", "leads", "enabled"], true.into()),
        &[],
    );
    let project = fx.generate(None);
    assert!(names(&project).contains(&"crm.objects.leads.read"));
    assert!(reason(&project, "crm.objects.leads.write").contains("[playbook.leads]"));
    assert_eq!(
        project.subscriptions.lead_properties,
        ["hs_lead_disqualification_reason", "hs_pipeline_stage"]
    );
    let crm = &file(&project, files::WEBHOOKS_FILE)["config"]["subscriptions"]["crmObjects"];
    assert_eq!(
        crm[1],
        serde_json::json!({"subscriptionType": "object.propertyChange", "objectType": "lead",
            "propertyName": "hs_pipeline_stage", "active": true})
    );
    assert!(
        project
            .notes
            .iter()
            .any(|n| n.contains("UNVERIFIED: lead stage"))
    );
    assert!(
        project
            .notes
            .iter()
            .any(|n| n.contains("Sales Hub Professional"))
    );
}

#[test]
fn sequence_portals_add_the_sequence_scopes() {
    let fx = Fixture::new(
        |all| {
            let ids = toml::Value::Array(vec![62515.into()]);
            set(all, &["pipeline", "sequence_portals"], ids);
        },
        &[],
    );
    let project = fx.generate(None);
    assert!(names(&project).contains(&"automation.sequences.read"));
    assert!(
        reason(&project, "automation.sequences.enrollments.write")
            .contains("pipeline.sequence_portals = [62515]")
    );
    assert!(!names(&project).contains(&"crm.objects.leads.read"));
}

#[test]
fn a_journal_portal_makes_the_app_oauth_with_the_journal_scopes_and_says_why() {
    let fx = Fixture::new(|_| {}, &["journal = { enabled = true }"]);
    let project = fx.generate(None);
    assert_eq!(project.auth, AppAuth::Oauth);
    assert!(project.auth_reason.contains("62515"));
    assert!(project.auth_reason.contains("only an OAuth app"));
    for scope in crate::hubspot::client::JOURNAL_SCOPES.split_whitespace() {
        assert!(
            reason(&project, scope).contains("Webhooks Journal"),
            "{scope}"
        );
    }
    let auth = &file(&project, files::APP_FILE)["config"]["auth"];
    assert_eq!(auth["type"], "oauth");
    assert_eq!(auth["redirectUrls"][0], files::OAUTH_REDIRECT_URL);
    // The portal still has a private-app token: the output says what to configure instead.
    assert!(project.notes.iter().any(|n| n.contains("kind = \"oauth\"")));
}

#[test]
fn a_static_app_is_refused_while_a_portal_reads_the_journal() {
    let fx = Fixture::new(|_| {}, &["journal = { enabled = true }"]);
    let req = AppRequest {
        auth: Some(AppAuth::Static),
        target_url: None,
    };
    let err = generate(&fx.source(), &req).unwrap_err().to_string();
    assert!(err.contains("portal(s) 62515"), "{err}");
    assert!(err.contains("use --auth oauth"), "{err}");
}

#[test]
fn oauth_can_be_asked_for_without_the_journal_and_static_apps_have_no_redirect_urls() {
    let fx = Fixture::shipped();
    let oauth = fx.generate(Some(AppAuth::Oauth));
    assert_eq!(oauth.auth, AppAuth::Oauth);
    assert_eq!(names(&oauth), BASE_SCOPES);
    let shipped = fx.generate(None);
    let auth = &file(&shipped, files::APP_FILE)["config"]["auth"];
    assert_eq!(auth["type"], "static");
    assert!(auth.get("redirectUrls").is_none());
    assert_eq!(auth["requiredScopes"], serde_json::json!(BASE_SCOPES));
}

#[test]
fn subscriptions_are_the_properties_the_pipeline_reads_except_the_written_back_owner() {
    let fx = Fixture::shipped();
    let project = fx.generate(None);
    let subs = &project.subscriptions;
    let watched = crate::worker::journal::watched_properties(&fx.playbook, &fx.pipeline);
    assert!(watched.contains(&"hubspot_owner_id".to_owned()));
    assert_eq!(subs.write_back_skipped, ["hubspot_owner_id"]);
    let expected: Vec<&String> = watched
        .iter()
        .filter(|p| *p != "hubspot_owner_id")
        .collect();
    assert_eq!(subs.properties.iter().collect::<Vec<_>>(), expected);
    assert!(subs.properties.contains(&"hs_lead_status".to_owned()));
    assert!(subs.lead_properties.is_empty());
    let lists = &file(&project, files::WEBHOOKS_FILE)["config"]["subscriptions"];
    assert!(lists.get("crmObjects").is_none());
    let legacy = lists["legacyCrmObjects"].as_array().unwrap();
    let kinds: Vec<&str> = legacy[..4]
        .iter()
        .map(|s| s["subscriptionType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, webhooks::CONTACT_EVENTS);
    let props: Vec<&str> = legacy[4..]
        .iter()
        .map(|s| s["propertyName"].as_str().unwrap())
        .collect();
    assert_eq!(props, subs.properties);
    assert_eq!(
        lists["hubEvents"][0]["subscriptionType"],
        "contact.privacyDeletion"
    );
}

#[test]
fn a_write_back_property_the_playbook_reads_gets_no_subscription_unless_write_back_skips_it() {
    let reads_score = |all: &mut toml::Table| {
        let path = ["playbook", "properties", "contact", "handoff_score"];
        set(all, &path, "number".into());
    };
    let fx = Fixture::new(reads_score, &[]);
    let watched = crate::worker::journal::watched_properties(&fx.playbook, &fx.pipeline);
    assert!(watched.contains(&"handoff_score".to_owned()));
    let project = fx.generate(None);
    assert!(
        !project
            .subscriptions
            .properties
            .contains(&"handoff_score".to_owned())
    );
    assert!(
        project
            .subscriptions
            .write_back_skipped
            .contains(&"handoff_score".to_owned())
    );
    let text = &project
        .files
        .iter()
        .find(|(n, _)| *n == files::WEBHOOKS_FILE)
        .unwrap()
        .1;
    assert!(!text.contains("handoff_score"));
    // With `score = ""` handoff no longer writes it, so a change is news and is subscribed.
    let fx = Fixture::new(
        |all| {
            reads_score(all);
            set(all, &["pipeline", "write_back", "score"], "".into());
        },
        &[],
    );
    let project = fx.generate(None);
    assert!(
        project
            .subscriptions
            .properties
            .contains(&"handoff_score".to_owned())
    );
}

#[test]
fn the_target_url_is_public_url_or_the_flag_and_must_be_https() {
    let fx = Fixture::shipped();
    let with = |url: Option<&str>| {
        let req = AppRequest {
            auth: None,
            target_url: url.map(str::to_owned),
        };
        generate(&fx.source(), &req)
    };
    assert_eq!(with(None).unwrap().target_url, URL);
    assert!(
        with(None)
            .unwrap()
            .notes
            .iter()
            .all(|n| !n.contains("public_url"))
    );
    let other = with(Some("https://hooks.example.org/hubspot")).unwrap();
    assert_eq!(other.target_url, "https://hooks.example.org/hubspot");
    assert!(
        other
            .notes
            .iter()
            .any(|n| n.contains("webhook.public_url is \"https://handoff"))
    );
    let plain = with(Some("http://handoff.example.com/hubspot")).unwrap_err();
    assert!(plain.to_string().contains("must be https://"), "{plain}");
    let local = with(Some("http://localhost:8080/webhooks/hubspot")).unwrap();
    assert!(
        local
            .notes
            .iter()
            .any(|n| n.contains("HubSpot cannot deliver"))
    );
    for bad in [
        "handoff.example.com/x",
        "https://h.example/a b",
        "ftp://h.example/x",
    ] {
        assert!(with(Some(bad)).is_err(), "{bad}");
    }
    let mut none = Fixture::shipped();
    none.public_url = String::new();
    let err = generate(&none.source(), &AppRequest::default()).unwrap_err();
    assert!(matches!(err, HubspotAppError::NoTargetUrl));
    assert!(err.to_string().contains("--target-url"));
}

#[test]
fn the_files_are_the_same_bytes_every_time_and_end_with_a_newline() {
    let fx = Fixture::new(
        |_| {},
        &["journal = { enabled = true }\navailability = { from_hubspot = true }"],
    );
    let (a, b) = (fx.generate(None), fx.generate(None));
    assert_eq!(a.files, b.files);
    let names: Vec<&str> = a.files.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [files::PROJECT_FILE, files::APP_FILE, files::WEBHOOKS_FILE]
    );
    for (name, text) in &a.files {
        assert!(text.ends_with("}\n") && !text.ends_with("\n\n"), "{name}");
    }
    let project = file(&a, files::PROJECT_FILE);
    assert_eq!(
        project,
        serde_json::json!({"name": "handoff-hubspot", "srcDir": "src", "platformVersion": "2026.03"})
    );
}
