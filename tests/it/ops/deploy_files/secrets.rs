//! No deploy file carries something that looks like a real secret.

use super::compose::dotenv;
use super::kubernetes::{k8s_docs, secret_data};
use super::*;

// =============================================================================================
// Secrets.

/// `replace-me...`, a compose `${VARIABLE}`, or an upper-case name standing for the value in
/// documentation (`postgres://USER:PASSWORD@HOST/DB`).
fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    lower.contains("replace-me")
        || lower.contains("replace_me")
        || value.starts_with("${")
        || is_upper_name(value)
}

fn is_upper_name(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn secret_like(name: &str) -> bool {
    ["SECRET", "PASSWORD", "TOKEN", "KEY"]
        .iter()
        .any(|word| name.to_ascii_uppercase().contains(word))
}

/// Passwords in `scheme://user:password@host` URLs in `text`.
fn url_passwords(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        rest = &rest[at + 3..];
        let authority: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && !"/'\"".contains(*c))
            .collect();
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && let Some((_, password)) = userinfo.split_once(':')
        {
            out.push(password.to_owned());
        }
    }
    out
}

#[test]
fn secret_values_in_deploy_files_are_placeholders() {
    let mut checked = 0;
    for doc in k8s_docs().iter().filter(|d| d["kind"] == "Secret") {
        for (key, value) in secret_data(doc) {
            checked += 1;
            let value = url_passwords(&value).pop().unwrap_or(value);
            assert!(
                is_placeholder(&value),
                "Secret {key}: {value:?} is not a placeholder"
            );
        }
    }
    for path in files_under(&deploy()) {
        let name = path.file_name().unwrap().to_str().unwrap();
        if name.starts_with(".env") {
            for (key, value) in dotenv(&path).into_iter().filter(|(k, _)| secret_like(k)) {
                checked += 1;
                assert!(is_placeholder(&value), "{name}: {key}={value:?}");
            }
        }
        for password in url_passwords(&read(&path)) {
            checked += 1;
            assert!(
                is_placeholder(&password),
                "{}: URL password {password:?}",
                path.display()
            );
        }
    }
    assert!(checked >= 5, "checked only {checked} values");
}

#[test]
fn no_deploy_file_contains_a_key_token_or_random_looking_string() {
    for path in files_under(&deploy())
        .into_iter()
        .chain([repo().join(".dockerignore")])
    {
        let text = read(&path);
        assert!(!text.contains("PRIVATE KEY-----"), "{}", path.display());
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || "+/_-".contains(c))) {
            let has_digit = word.chars().any(|c| c.is_ascii_digit());
            let has_alpha = word.chars().any(|c| c.is_ascii_alphabetic());
            assert!(
                word.len() < 24 || !has_digit || !has_alpha || is_placeholder(word),
                "{}: {word:?} looks like a credential",
                path.display()
            );
            assert!(
                !word.starts_with("pat-na"),
                "{}: a HubSpot token",
                path.display()
            );
        }
    }
}

#[test]
fn real_compose_env_files_are_kept_out_of_git_and_the_image() {
    assert!(
        read(&deploy().join("compose/.gitignore"))
            .lines()
            .any(|l| l.trim() == ".env")
    );
    assert!(
        read(&repo().join(".dockerignore"))
            .lines()
            .any(|l| l.trim() == "**/.env")
    );
}

#[test]
fn the_readme_names_every_deploy_file() {
    let readme = read(&deploy().join("README.md"));
    for path in files_under(&deploy()) {
        let name = path.file_name().unwrap().to_str().unwrap();
        if name != "README.md" && name != ".gitignore" {
            assert!(
                readme.contains(name),
                "deploy/README.md does not mention {name}"
            );
        }
    }
    assert!(readme.contains("tests/it/ops/deploy_files/"));
}
