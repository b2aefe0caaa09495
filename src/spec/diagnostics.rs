//! Problems found in a runtime.yaml, with the place they were found and what
//! would fix them. Never printed here: the CLI and the TUI render them.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in a spec file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The runtime.yaml (or a file it names).
    pub file: PathBuf,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column; 0 when the problem concerns the whole file.
    pub column: usize,
    /// Key path such as `dependencies[3].files[0].dest`; empty for the root.
    pub key_path: String,
    /// What is wrong, and what was expected.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.key_path.is_empty() {
            write!(f, ": {}", self.key_path)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A spec that could not be loaded: every error found (and the warnings seen
/// on the way), reported together.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} has {} error{}", .file.display(), self.error_count(), if self.error_count() == 1 { "" } else { "s" })]
pub struct SpecError {
    pub file: PathBuf,
    /// The file's text, for source snippets (empty when it could not be read).
    pub source_text: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl SpecError {
    pub fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
}
