//! Shell integration: the scripts that `swrt hook` prints, the selection of
//! the runtime a shell should be on (`swrt activate`, `.swrt-runtime` pins,
//! the global choice, the TUI's per-session choice), and `hook-env`, which
//! turns that selection into shell code that changes exactly what it needs
//! and records how to undo it.
//!
//! This module never prints and never reads the process environment itself:
//! callers hand it an [`EnvSnapshot`] and get shell code back as a string.
//! Each shell's syntax lives in one file behind the [`ShellSyntax`] trait,
//! and every value goes through that shell's quoting function (`quote.rs`).

mod bash;
mod diff;
mod fish;
mod hook_env;
pub mod quote;
pub mod rc;
mod selection;
mod target;
mod zsh;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use diff::EnvDiff;
pub use hook_env::{EnvSnapshot, HookEnv, Outcome, hook_env};
pub use rc::{RcChange, init_rc, rc_file};
pub use selection::{
    Choice, PIN_FILE_NAME, Rule, Selection, clear_global, clear_session, deactivate_session,
    global_file, nearest_pin, pin, read_choice, select, select_for_session, session_file,
    set_global, unpin,
};
pub use target::{Mode, Target, resolve};

/// Errors of the shell integration.
#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    #[error("unknown shell `{0}` (expected bash, zsh or fish)")]
    UnknownShell(String),
    #[error("invalid session id `{0}` (expected letters, digits, `-` and `_`)")]
    BadSession(String),
    #[error("invalid runtime reference `{0}`")]
    BadReference(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("the environment of {name}:{version} is not restored here")]
    NotRestored { name: String, version: String },
    #[error("no `{}` file in {}", PIN_FILE_NAME, .0.display())]
    NoPin(PathBuf),
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The shells swrt integrates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    pub const ALL: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

    /// The syntax of this shell.
    pub fn syntax(self) -> &'static dyn ShellSyntax {
        match self {
            Shell::Bash => &bash::Bash,
            Shell::Zsh => &zsh::Zsh,
            Shell::Fish => &fish::Fish,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Fish => "fish",
        }
    }
}

impl fmt::Display for Shell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Shell {
    type Err = ShellError;

    fn from_str(s: &str) -> Result<Shell, ShellError> {
        match s {
            "bash" => Ok(Shell::Bash),
            "zsh" => Ok(Shell::Zsh),
            "fish" => Ok(Shell::Fish),
            other => Err(ShellError::UnknownShell(other.to_owned())),
        }
    }
}

/// One change to the shell's state, rendered per shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Set and export an environment variable.
    Export { name: String, value: String },
    /// Remove a variable.
    Unset { name: String },
    /// Set a shell variable that is not exported (the hook's own state).
    SetLocal { name: String, value: String },
    /// Run a script in the current shell (conda activate.d / deactivate.d).
    Source(PathBuf),
}

/// How one shell spells the few things swrt asks of it. Every value goes
/// through [`ShellSyntax::quote`].
pub trait ShellSyntax: Sync {
    fn shell(&self) -> Shell;
    /// Quotes one value as a single word.
    fn quote(&self, s: &str) -> String;
    /// The integration script (`assets/shell/hook.<shell>`).
    fn asset(&self) -> &'static str;
    fn export(&self, name: &str, value: &str) -> String;
    fn unset(&self, name: &str) -> String;
    fn set_local(&self, name: &str, value: &str) -> String;
    fn source(&self, path: &str) -> String;
    /// The extension of the conda activate.d scripts this shell can run.
    fn activate_script_ext(&self) -> &'static str;
    /// The line that `swrt init` puts into the rc file.
    fn rc_line(&self, bin: &str) -> String;

    /// The integration script with the swrt binary's path filled in.
    fn hook_script(&self, bin: &str) -> String {
        self.asset().replace(BIN_PLACEHOLDER, &self.quote(bin))
    }

    /// Shell code for a list of changes, one statement per line.
    fn render(&self, ops: &[Op]) -> String {
        let mut out = String::new();
        for op in ops {
            let line = match op {
                Op::Export { name, value } => self.export(name, value),
                Op::Unset { name } => self.unset(name),
                Op::SetLocal { name, value } => self.set_local(name, value),
                Op::Source(path) => self.source(&path.to_string_lossy()),
            };
            out.push_str(&line);
            out.push('\n');
        }
        out
    }
}

/// The word in the assets that `hook_script` replaces with the quoted path
/// of the swrt binary. It parses as a plain word in all three shells, so the
/// assets themselves pass `bash -n`, `zsh -n`, `fish --no-execute` and
/// shellcheck.
pub const BIN_PLACEHOLDER: &str = "@SWRT_BIN@";

/// Joins PATH entries the way every shell exports them.
pub(crate) fn join_path(entries: &[String]) -> String {
    entries.join(":")
}

/// Splits an exported PATH value into entries (empty PATH: no entries).
pub(crate) fn split_path(path: &str) -> Vec<String> {
    if path.is_empty() {
        Vec::new()
    } else {
        path.split(':').map(str::to_owned).collect()
    }
}

pub(crate) fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}
