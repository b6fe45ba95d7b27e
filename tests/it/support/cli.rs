//! The real `handoff` binary, run the way a user runs it: in a directory of its own, with nothing
//! of the test's environment but `PATH` and what the test gives it.

use std::path::Path;
use std::process::{Command, Output};

use super::app::base_env;

/// The example contacts shipped with the repository (`explain`/`simulate` read them).
pub const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/contacts");

/// `handoff` in `dir` with a clean environment (only `PATH`).
pub fn bare(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_handoff"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd
}

/// `handoff` in `dir` with what every test server gets: a webhook secret, the public URL, its
/// own SQLite database in `dir`, and the example contacts.
pub fn configured(dir: &Path) -> Command {
    let mut cmd = bare(dir);
    cmd.envs(base_env(dir))
        .env("HANDOFF__ENGINE__EXAMPLES_DIR", EXAMPLES);
    cmd
}

/// Runs `cmd` with `args` to its end.
pub fn run(mut cmd: Command, args: &[&str]) -> Output {
    cmd.args(args).output().unwrap()
}

/// What the command printed on standard output.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// What the command printed on standard error.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
