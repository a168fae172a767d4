//! Validation errors: every problem found in a scene, each with the JSON path of the bad value.

use std::fmt;

/// One problem in a scene document, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    /// JSON path of the offending value, e.g. `layers[2].opacity` (empty for the document itself).
    pub path: String,
    /// What is wrong, e.g. `must be between 0 and 1, got 1.5`.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// A scene, layer or change that was refused, with every issue found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct SceneError {
    /// All problems, in document order. Never empty.
    pub issues: Vec<Issue>,
    /// What kind of refusal this is (bad value, missing layer, duplicate, limit).
    pub reason: SceneErrorReason,
}

/// Why a scene change was refused; front ends map it to a status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SceneErrorReason {
    /// A value is malformed or out of range.
    Invalid,
    /// A layer id named by a change does not exist.
    NotFound,
    /// A layer with that id exists already.
    Duplicate,
    /// A configured maximum (number of layers) would be exceeded.
    Limit,
}

impl SceneError {
    /// A single invalid-value issue at `path`.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> SceneError {
        SceneError::one(SceneErrorReason::Invalid, path, message)
    }

    /// A single issue of the given reason.
    pub fn one(
        reason: SceneErrorReason,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> SceneError {
        SceneError {
            issues: vec![Issue {
                path: path.into(),
                message: message.into(),
            }],
            reason,
        }
    }

    /// Builds an error from collected issues, or `Ok(())` when there are none.
    pub(crate) fn check(issues: Vec<Issue>) -> Result<(), SceneError> {
        if issues.is_empty() {
            Ok(())
        } else {
            Err(SceneError {
                issues,
                reason: SceneErrorReason::Invalid,
            })
        }
    }

    /// The first issue (there is always one).
    pub fn first(&self) -> &Issue {
        &self.issues[0]
    }

    /// Prefixes every path with `prefix` (e.g. `layers[3]`).
    pub(crate) fn prefixed(mut self, prefix: &str) -> SceneError {
        for issue in &mut self.issues {
            issue.path = join_path(prefix, &issue.path);
        }
        self
    }
}

impl fmt::Display for SceneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, issue) in self.issues.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{issue}")?;
        }
        Ok(())
    }
}

/// Joins two JSON path fragments: `join_path("layers[2]", "opacity")` is `layers[2].opacity`.
pub(crate) fn join_path(prefix: &str, rest: &str) -> String {
    match (prefix.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (_, true) => prefix.to_string(),
        _ if rest.starts_with('[') => format!("{prefix}{rest}"),
        _ => format!("{prefix}.{rest}"),
    }
}

/// Collects issues while walking a document.
#[derive(Default, Debug)]
pub(crate) struct Issues(pub(crate) Vec<Issue>);

impl Issues {
    pub(crate) fn push(&mut self, path: &str, message: impl Into<String>) {
        self.0.push(Issue {
            path: path.to_string(),
            message: message.into(),
        });
    }

    pub(crate) fn into_result(self) -> Result<(), SceneError> {
        SceneError::check(self.0)
    }
}
