//! The help texts read alike: every command has a one-line summary in the imperative (what
//! `handoff --help` lists), details go below it, and every flag and argument says what it is.

use clap::CommandFactory;

use super::Cli;

/// Problems with the help of `cmd` and its subcommands, each as `handoff sub: what`.
fn problems(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
    let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
    let first_word = about.split_whitespace().next().unwrap_or("");
    let checks = [
        (about.is_empty(), "no summary"),
        (about.contains('\n'), "summary longer than one line"),
        (about.chars().count() > 80, "summary over 80 characters"),
        (about.ends_with('.'), "summary ends with a period"),
        (
            !first_word.starts_with(|c: char| c.is_ascii_uppercase()),
            "summary does not start with a capital",
        ),
        (
            ["The", "A", "An"].contains(&first_word) || first_word.ends_with('s'),
            "summary does not start with an imperative verb",
        ),
    ];
    for (bad, what) in checks {
        if bad {
            out.push(format!("{path}: {what}: {about:?}"));
        }
    }
    if let Some(long) = cmd.get_long_about().map(|a| a.to_string())
        && !long.starts_with(&about)
    {
        out.push(format!("{path}: the details do not start with the summary"));
    }
    for arg in cmd.get_arguments() {
        let id = arg.get_id().as_str();
        if ["help", "version"].contains(&id) {
            continue;
        }
        if arg.get_help().is_none() {
            out.push(format!("{path}: {id} has no help"));
        }
    }
    for sub in cmd.get_subcommands() {
        if sub.get_name() != "help" {
            problems(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }
}

#[test]
fn every_command_has_a_one_line_imperative_summary_and_every_flag_says_what_it_is() {
    let cli = Cli::command();
    let mut found = Vec::new();
    for sub in cli.get_subcommands() {
        problems(sub, &format!("handoff {}", sub.get_name()), &mut found);
    }
    assert!(found.is_empty(), "help texts:\n{}", found.join("\n"));
}

#[test]
fn the_command_line_is_consistent() {
    Cli::command().debug_assert();
}

/// `handoff demo` and `handoff sandbox` come with the `demo` feature (on by default); a build
/// without it has neither command, and its help says where they went.
#[test]
fn demo_and_sandbox_exist_exactly_when_built_with_the_demo_feature() {
    use clap::Parser;
    for args in [["handoff", "demo"], ["handoff", "sandbox"]] {
        let parsed = Cli::try_parse_from(args);
        assert_eq!(
            parsed.is_ok(),
            cfg!(feature = "demo"),
            "{args:?}: {parsed:?}"
        );
    }
    let help = Cli::command().render_long_help().to_string();
    assert_eq!(
        help.contains("This build has no `demo` or `sandbox` command"),
        !cfg!(feature = "demo"),
        "{help}"
    );
}
