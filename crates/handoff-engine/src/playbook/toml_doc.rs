//! Reading a playbook or roster document from TOML text: the first thing serde refuses comes
//! back with its key path (`playbook.scoring.fit[0].whne`) and its line and column in that
//! text, not as a byte offset.

use serde::de::DeserializeOwned;

use crate::playbook::validate::Problem;

/// Why a document could not be read: the problem at its key path, and where in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocError {
    pub problem: Problem,
    /// 1-based line and column (in characters) of the offending key or value.
    pub at: Option<(usize, usize)>,
}

/// Deserializes `T` from `text`; key paths in the error start with `root` (`""`: none).
pub fn from_toml<T: DeserializeOwned>(text: &str, root: &str) -> Result<T, DocError> {
    let de = toml::Deserializer::parse(text).map_err(|e| error(text, root, "", &e))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        error(text, root, &path, e.inner())
    })
}

fn error(text: &str, root: &str, path: &str, err: &toml::de::Error) -> DocError {
    let message = err.message().trim().to_owned();
    let mut path = match (root, path) {
        (root, "" | ".") => root.to_owned(),
        ("", path) => path.to_owned(),
        (root, path) => format!("{root}.{path}"),
    };
    // The misspelt key itself is the place to point at, not the table holding it.
    if let Some(field) = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
        && !path.ends_with(&format!(".{field}"))
        && path != field
    {
        path = if path.is_empty() {
            field.to_owned()
        } else {
            format!("{path}.{field}")
        };
    }
    let at = err.span().map(|span| {
        let before = text.get(..span.start).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    });
    DocError {
        problem: Problem::new(path, message),
        at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playbook::PlaybookDoc;

    #[derive(Debug, serde::Deserialize)]
    struct Layer {
        #[allow(dead_code)]
        playbook: PlaybookDoc,
    }

    #[test]
    fn a_misspelt_key_in_a_rule_is_named_by_path_line_and_column() {
        let text = "[server]\nlisten = 1\n\n[playbook]\nname = \"p\"\n\n[playbook.scoring]\n\
                    handoff_threshold = 50\ntiers = []\n\n[[playbook.scoring.fit]]\nid = \"a\"\n\
                    whne = \"true\"\npoints = 1\n";
        let err = from_toml::<Layer>(text, "").unwrap_err();
        assert_eq!(err.problem.path, "playbook.scoring.fit[0].whne");
        assert!(
            err.problem.message.starts_with("unknown field `whne`"),
            "{err:?}"
        );
        assert_eq!(err.at, Some((13, 1)));
    }

    #[test]
    fn a_missing_field_is_named_at_its_table() {
        let err = from_toml::<PlaybookDoc>(
            "name = \"p\"\n[scoring]\nhandoff_threshold = 1\n",
            "playbook",
        )
        .unwrap_err();
        assert_eq!(err.problem.path, "playbook.scoring");
        assert!(
            err.problem.message.contains("missing field `tiers`"),
            "{err:?}"
        );
    }
}
