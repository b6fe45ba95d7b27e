//! Writing the project into a directory and the summary the command prints.

use super::super::*;
use super::Fixture;

#[test]
fn writing_leaves_other_files_alone_and_reports_unchanged_files() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("hsprofile.prod.json");
    std::fs::write(&profile, "{}").unwrap();
    let project = Fixture::shipped().generate(None);
    let first = write_project(&project, dir.path()).unwrap();
    assert!(first.iter().all(|c| c.changed));
    let on_disk = std::fs::read_to_string(dir.path().join(files::WEBHOOKS_FILE)).unwrap();
    assert_eq!(on_disk, project.files[2].1);
    let again = write_project(&project, dir.path()).unwrap();
    assert!(again.iter().all(|c| !c.changed));
    assert_eq!(std::fs::read_to_string(&profile).unwrap(), "{}");
}

#[test]
fn an_app_of_the_other_auth_type_in_the_directory_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::shipped();
    write_project(&fx.generate(None), dir.path()).unwrap();
    let before = std::fs::read_to_string(dir.path().join(files::APP_FILE)).unwrap();
    let oauth = fx.generate(Some(AppAuth::Oauth));
    let err = write_project(&oauth, dir.path()).unwrap_err().to_string();
    assert!(err.contains("auth type \"static\""), "{err}");
    assert!(err.contains("new directory"), "{err}");
    let after = std::fs::read_to_string(dir.path().join(files::APP_FILE)).unwrap();
    assert_eq!(before, after);
    std::fs::write(dir.path().join(files::APP_FILE), "not json").unwrap();
    let err = write_project(&oauth, dir.path()).unwrap_err().to_string();
    assert!(err.contains("not an app file"), "{err}");
}

#[test]
fn the_summary_gives_one_line_per_scope_with_its_reason_and_the_next_steps() {
    let fx = Fixture::new(|_| {}, &["availability = { from_hubspot = true }"]);
    let project = fx.generate(None);
    let dir = std::path::Path::new("hubspot-app");
    let changes: Vec<FileChange> = project
        .files
        .iter()
        .map(|(n, _)| FileChange {
            path: dir.join(n),
            changed: true,
        })
        .collect();
    let text = render(&project, dir, &changes);
    for scope in &project.scopes {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{} ", scope.name)))
            .unwrap_or_else(|| panic!("no line for {}:\n{text}", scope.name));
        assert!(line.ends_with(&scope.reason), "{line}");
    }
    assert!(
        text.contains("wrote     hubspot-app/src/app/app-hsmeta.json"),
        "{text}"
    );
    assert!(
        text.contains("Auth: static — no portal reads the Webhooks Journal"),
        "{text}"
    );
    assert!(
        text.contains("not subscribed, handoff writes them back"),
        "{text}"
    );
    assert!(
        text.contains("1. cd hubspot-app && hs project upload"),
        "{text}"
    );
    // Each credential goes where the portal's configuration says.
    assert!(
        text.contains(
            "Show the access token: portal 62515: the environment variable T (auth.token_env)"
        ),
        "{text}"
    );
    assert!(
        text.contains("handoff portal setup --portal 62515 --dry-run"),
        "{text}"
    );
    assert!(text.contains("handoff doctor --portal 62515"), "{text}");
}

#[test]
fn the_oauth_next_steps_name_the_portals_client_secret_and_refresh_token_variables() {
    let oauth = "auth = { kind = \"oauth\", client_id = \"c\", client_secret_env = \"HUBSPOT_CLIENT_SECRET\", refresh_token_file = \"/run/secrets/refresh\" }";
    let fx = Fixture::new(|_| {}, &[]);
    let mut project = fx.generate(Some(AppAuth::Oauth));
    let text = render(&project, std::path::Path::new("p"), &[]);
    assert!(text.contains("auth = { kind = \"oauth\""), "{text}");
    assert!(text.contains("--portal ID"), "{text}");
    let with_portal = format!("id = 62515\nplaybook = \"example-b2b-saas\"\n{oauth}");
    project.portals = vec![toml::from_str(&with_portal).unwrap()];
    let text = render(&project, std::path::Path::new("p"), &[]);
    assert!(
        text.contains("portal 62515: client id in auth.client_id, client secret in the environment variable HUBSPOT_CLIENT_SECRET (auth.client_secret_env), refresh token in the file /run/secrets/refresh (auth.refresh_token_file)"),
        "{text}"
    );
    assert!(text.contains("http://localhost:3000/?code="), "{text}");
}
