//! What `check-config`, `serve` and a refused reload print: every problem with its file,
//! line:column and key path. Values of secret keys never reach this text (`redact.rs`).

use std::fmt;
use std::path::Path;

/// One configuration problem: where (file and position, or environment), which key, and what
/// is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub origin: Option<String>,
    /// 1-based line and column in `origin`, when it is a file holding `key`.
    pub at: Option<(usize, usize)>,
    pub key: String,
    pub message: String,
}

impl Problem {
    pub(crate) fn new(origin: Option<String>, key: &str, message: String) -> Self {
        Self {
            origin,
            at: None,
            key: key.to_owned(),
            message,
        }
    }

    pub(crate) fn file(path: &Path, message: String) -> Self {
        Self::new(Some(path.display().to_string()), "", message)
    }
}

/// The suffix that marks the compiled-in defaults; a position goes before it.
pub(super) const BUILT_IN: &str = " (built in)";

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(origin) = &self.origin {
            let (name, suffix) = match origin.strip_suffix(BUILT_IN) {
                Some(name) => (name, BUILT_IN),
                None => (origin.as_str(), ""),
            };
            match self.at {
                Some((line, column)) => write!(f, "{name}:{line}:{column}{suffix}: ")?,
                None => write!(f, "{origin}: ")?,
            }
        }
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        // A syntax error's source snippet spans lines: keep it under its problem.
        f.write_str(&self.message.trim_end().replace('\n', "\n      "))
    }
}

/// Every problem found in one load; printed by `check-config` and by `serve` before refusing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Report {
    pub problems: Vec<Problem>,
}

impl Report {
    pub(crate) fn new(problems: Vec<Problem>) -> Self {
        Self { problems }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "configuration has {n} problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}
