//! runtime.yaml: what the user wrote (`RuntimeSpec`, with spans), how it is
//! checked, and what it resolves to (`ResolvedSpec`). Never prints; problems
//! come back as `Diagnostic`s.

pub mod diagnostics;
pub mod model;
pub mod parse;
pub mod resolve;
pub mod validate;

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

fn whole_file_error(file: &Path, message: String, hint: Option<String>) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: file.to_path_buf(),
        line: 0,
        column: 0,
        key_path: String::new(),
        message,
        hint,
    }
}

/// Reads, validates and resolves a runtime.yaml (or the runtime.yaml in a
/// directory). Every problem in the file is reported together.
pub fn load(path: &Path, options: &LoadOptions) -> Result<Loaded, SpecError> {
    let file = locate(path);
    let text = read_spec(path, &file)?;
    load_source(&file, &text, options)
}

fn read_spec(path: &Path, file: &Path) -> Result<String, SpecError> {
    let fail = |d: Diagnostic| SpecError {
        file: file.to_path_buf(),
        source_text: String::new(),
        diagnostics: vec![d],
    };
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let hint = if path.is_dir() {
                format!(
                    "{} has no runtime.yaml; pass the file or create one",
                    path.display()
                )
            } else {
                "pass a runtime.yaml or a directory that holds one".to_owned()
            };
            return Err(fail(whole_file_error(
                file,
                "no such file".to_owned(),
                Some(hint),
            )));
        }
        Err(e) => {
            return Err(fail(whole_file_error(
                file,
                format!("cannot read: {e}"),
                None,
            )));
        }
    };
    String::from_utf8(bytes).map_err(|_| {
        fail(whole_file_error(
            file,
            "not UTF-8 text".to_owned(),
            Some("save runtime.yaml as UTF-8".to_owned()),
        ))
    })
}

/// Like [`load`], for text already read from `file` (relative paths still
/// resolve against `file`'s directory).
pub fn load_source(file: &Path, text: &str, options: &LoadOptions) -> Result<Loaded, SpecError> {
    load_source_with(file, text, options.require_interpreter, false)
}

/// Like [`load`] without looking for an interpreter (`interpreter` stays
/// `None`): for callers that must not start processes, such as the TUI and
/// the watcher. Python still runs once when the spec names no
/// `environment.python`, to learn the default version.
pub fn load_without_interpreter(path: &Path) -> Result<Loaded, SpecError> {
    let file = locate(path);
    let text = read_spec(path, &file)?;
    load_source_with(&file, &text, false, true)
}

/// Like [`load_source`] without looking for an interpreter (see
/// [`load_without_interpreter`]).
pub fn load_source_without_interpreter(file: &Path, text: &str) -> Result<Loaded, SpecError> {
    load_source_with(file, text, false, true)
}

fn load_source_with(
    file: &Path,
    text: &str,
    require_interpreter: bool,
    skip_interpreter: bool,
) -> Result<Loaded, SpecError> {
    let options = resolve::ResolveFlags {
        require_interpreter,
        skip_interpreter,
    };
    let mut diagnostics = Vec::new();
    let resolved = load_inner(file, text, options, &mut diagnostics);
    sort_diagnostics(&mut diagnostics);
    let has_errors = diagnostics.iter().any(|d| d.severity == Severity::Error);
    match resolved {
        Some(spec) if !has_errors => Ok(Loaded {
            spec,
            warnings: diagnostics,
            source_text: without_bom(text).to_owned(),
        }),
        _ => {
            if !has_errors {
                // Unreachable by construction (every `None` comes with an
                // error), but a spec must never fail without saying why.
                diagnostics.push(whole_file_error(
                    file,
                    "the spec could not be loaded".to_owned(),
                    None,
                ));
            }
            Err(SpecError {
                file: file.to_path_buf(),
                source_text: without_bom(text).to_owned(),
                diagnostics,
            })
        }
    }
}

/// The text positions refer to (the parser skips a byte-order mark).
fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| (d.line, d.column));
}

fn load_inner(
    file: &Path,
    text: &str,
    flags: resolve::ResolveFlags,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<ResolvedSpec> {
    let abs = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    let abs = std::fs::canonicalize(&abs).unwrap_or(abs);
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    let parsed = parse::parse(file, text);
    diagnostics.extend(parsed.diagnostics);
    let root = match parsed.root {
        Some(root) => root,
        None => {
            if !diagnostics.iter().any(|d| d.severity == Severity::Error) {
                diagnostics.push(whole_file_error(
                    file,
                    "the file is empty".to_owned(),
                    Some("a runtime.yaml needs at least `name: <runtime name>`".to_owned()),
                ));
            }
            return None;
        }
    };
    let (spec, found) = validate::validate(&root, file, &dir);
    diagnostics.extend(found);
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        return None;
    }
    let spec = spec?;
    let source = SpecSource {
        path: abs.clone(),
        dir,
        sha256: resolve::sha256_hex(text.as_bytes()),
    };
    let mut found = Vec::new();
    let resolved = resolve::resolve(
        spec,
        source,
        flags,
        &resolve::MachineEnv::from_process(),
        &mut found,
    );
    // resolve names the canonical path; report against the path as given.
    for d in &mut found {
        d.file = file.to_path_buf();
    }
    diagnostics.extend(found);
    resolved
}
