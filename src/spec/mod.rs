//! runtime.yaml: what the user wrote (`RuntimeSpec`, with spans), how it is
//! checked, and what it resolves to (`ResolvedSpec`). Never prints; problems
//! come back as `Diagnostic`s.

pub mod diagnostics;
pub mod model;

use std::path::{Path, PathBuf};

pub use diagnostics::{Diagnostic, Severity, SpecError};
pub use model::*;

/// The file name looked for when a directory is given.
pub const SPEC_FILE_NAME: &str = "runtime.yaml";

/// A loaded spec and the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub spec: ResolvedSpec,
    pub warnings: Vec<Diagnostic>,
    /// The file's text, for source snippets in warnings.
    pub source_text: String,
}

/// How strict resolution is.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// A missing interpreter for `environment.python` is an error (build)
    /// rather than a warning (spec, info).
    pub require_interpreter: bool,
}

/// `PATH` may be a runtime.yaml or a directory holding one.
pub fn locate(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(SPEC_FILE_NAME)
    } else {
        path.to_path_buf()
    }
}

/// Reads, validates and resolves a runtime.yaml.
pub fn load(path: &Path, _options: &LoadOptions) -> Result<Loaded, SpecError> {
    let file = locate(path);
    Err(SpecError {
        file: file.clone(),
        source_text: String::new(),
        diagnostics: vec![Diagnostic {
            severity: Severity::Error,
            file,
            line: 0,
            column: 0,
            key_path: String::new(),
            message: "runtime.yaml loading is being implemented".to_owned(),
            hint: None,
        }],
    })
}
