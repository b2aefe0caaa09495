//! From a runtime reference to the environment a shell activates: the
//! store resolves the reference to a version; this file finds that
//! version's materialised environment (`export/<mode>` in the workdir) and
//! says whether it is usable.

use std::path::{Path, PathBuf};

use super::ShellError;
use crate::paths::Paths;
use crate::store::{RuntimeRef, Store};

/// How the environment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Venv,
    Conda,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Venv => "venv",
            Mode::Conda => "conda",
        }
    }
}

/// A runtime version whose environment can be activated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub version: String,
    pub project: String,
    pub mode: Mode,
    /// The environment's prefix (`.../export/<mode>`).
    pub prefix: PathBuf,
    /// Starwhale's URI of the version (`local/project/P/runtime/N/version/V`).
    pub uri: String,
}

/// Resolves `reference` through the store and finds its environment.
/// `NotRestored` when the version exists but its environment is missing or
/// marked unfinished.
pub fn resolve(paths: &Paths, reference: &str) -> Result<Target, ShellError> {
    let r = RuntimeRef::parse(reference)?;
    let store = Store::open(paths).for_ref(&r);
    let resolved = store.resolve(&r)?;
    for mode in [Mode::Venv, Mode::Conda] {
        let prefix = store.env_dir(&resolved.name, &resolved.version, mode.as_str());
        if usable(&prefix) {
            return Ok(Target {
                uri: resolved.uri(),
                name: resolved.name,
                version: resolved.version,
                project: resolved.project,
                mode,
                prefix,
            });
        }
    }
    Err(ShellError::NotRestored {
        name: resolved.name,
        version: resolved.version,
    })
}

/// An environment is usable when it has a `bin` directory and no restore
/// marker (Starwhale's `.runtime_restore_status`) says it is half done.
fn usable(prefix: &Path) -> bool {
    if !prefix.join("bin").is_dir() {
        return false;
    }
    match std::fs::read_to_string(prefix.join(".runtime_restore_status")) {
        Ok(status) => !matches!(status.trim(), "restoring" | "failed"),
        Err(_) => true,
    }
}
