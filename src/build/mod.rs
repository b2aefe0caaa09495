//! Building runtimes: from a `ResolvedSpec` to a fresh environment, a lock, a
//! bundle in the store and tags; and the reverse, restoring an environment
//! from a bundle.
//!
//! Entry points: [`pipeline::build`] (`BuildRequest` in, `BuildOutcome` out,
//! `BuildEvent`s on the way), [`lock_only::lock`] (`swrt lock`) and
//! [`restore`]. Everything here runs synchronously on the calling thread
//! (async callers use `spawn_blocking`), is cancellable through a
//! `CancellationToken`, never prints and leaves the store as it was when it
//! fails.
//!
//! Layout: `process` runs children (process groups, line logging, cancel);
//! `log` is the per-build log file; `backend` knows the uv and pip commands;
//! `venv` applies dependencies; `lock` shapes freezes into lock files;
//! `files` copies `files:`; `relocate` moves a built venv into the store.
//! The conda mode lives in `conda` and plugs into the same pipeline.

pub mod backend;
pub mod commit;
pub mod conda;
pub mod events;
pub mod files;
pub mod from_env;
pub mod lock;
pub mod lock_only;
pub mod log;
pub mod pipeline;
pub mod process;
pub mod rebuild;
pub mod relocate;
pub mod restore;
pub mod venv;

use std::io;
use std::path::PathBuf;

pub use backend::{BackendKind, VenvBackend};
pub use events::{BuildEvent, EventSink, Step, Stream};

use crate::spec::SpecError;

/// Why a build, lock or restore stopped.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error("no Python {python} interpreter found")]
    NoInterpreter { python: String },
    #[error(transparent)]
    Backend(#[from] backend::BackendError),
    #[error(transparent)]
    Process(Box<StepFailure>),
    #[error("step `{step}` failed")]
    Files {
        step: Box<Step>,
        #[source]
        source: files::FilesError,
    },
    #[error("the build was cancelled")]
    Cancelled,
    #[error("another build of `{name}` is running")]
    Busy { name: String },
    #[error("{mode} runtimes are not supported by this build of swrt")]
    UnsupportedMode { mode: String },
    #[error("{what}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
    #[error("{} is not an extracted runtime bundle (no _manifest.yaml)", dir.display())]
    NotABundleDir {
        dir: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "the restored environment differs from the lock (missing: {}; not in the lock: {})",
        list_or_none(missing),
        list_or_none(extra)
    )]
    LockMismatch {
        missing: Vec<String>,
        extra: Vec<String>,
    },
    #[error(transparent)]
    Conda(#[from] conda::CondaError),
    #[error(transparent)]
    Store(Box<crate::store::StoreError>),
    #[error("invalid tag `{tag}`: {reason}")]
    BadTag { tag: String, reason: String },
    #[error(transparent)]
    Bundle(#[from] crate::bundle::BundleError),
    /// A runtime cannot be made from an existing environment.
    #[error("{0}")]
    FromEnv(String),
    #[error("{0}")]
    Other(String),
}

impl BuildError {
    pub(crate) fn from_process(step: &Step, source: process::ProcessError) -> BuildError {
        match source {
            process::ProcessError::Cancelled { .. } => BuildError::Cancelled,
            source => BuildError::Process(Box::new(StepFailure {
                step: step.clone(),
                source,
            })),
        }
    }

    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> BuildError {
        let what = what.into();
        move |source| BuildError::Io { what, source }
    }

    /// The step the failure happened in, when known.
    pub fn step(&self) -> Option<&Step> {
        match self {
            BuildError::Process(f) => Some(&f.step),
            BuildError::Files { step, .. } => Some(step),
            _ => None,
        }
    }

    /// The failing command line, when a child failed.
    pub fn command(&self) -> Option<&str> {
        match self {
            BuildError::Process(f) => Some(f.source.command()),
            _ => None,
        }
    }

    /// The last output lines of the failing child.
    pub fn tail(&self) -> &[String] {
        match self {
            BuildError::Process(f) => f.source.tail(),
            _ => &[],
        }
    }

    /// True when the user's input (spec, flags, files) is what is wrong,
    /// rather than the machine or swrt.
    pub fn is_user_error(&self) -> bool {
        match self {
            BuildError::Store(e) => e.is_user_error(),
            BuildError::Bundle(e) => e.is_bad_input(),
            BuildError::Conda(e) => e.is_user_error(),
            other => matches!(
                other,
                BuildError::Spec(_)
                    | BuildError::NoInterpreter { .. }
                    | BuildError::Backend(_)
                    | BuildError::Process(_)
                    | BuildError::Files { .. }
                    | BuildError::Busy { .. }
                    | BuildError::UnsupportedMode { .. }
                    | BuildError::BadTag { .. }
                    | BuildError::NotABundleDir { .. }
                    | BuildError::LockMismatch { .. }
                    | BuildError::FromEnv(_)
            ),
        }
    }

    /// The `Failed` event describing this error.
    pub fn to_event(&self) -> BuildEvent {
        BuildEvent::Failed {
            step: self.step().cloned(),
            command: self.command().map(str::to_owned),
            tail: self.tail().to_vec(),
            message: self.to_string(),
        }
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// A child process failed inside a step.
#[derive(Debug, thiserror::Error)]
#[error("step `{step}` failed")]
pub struct StepFailure {
    pub step: Step,
    #[source]
    pub source: process::ProcessError,
}

/// Where a runtime.yaml is and how it is loaded.
#[derive(Debug, Clone)]
pub struct SpecInput {
    /// A runtime.yaml, or a directory holding one.
    pub path: PathBuf,
    /// `-n NAME`: overrides the spec's `name`.
    pub name: Option<String>,
}

impl SpecInput {
    /// Loads the spec with `-n NAME` applied. Without `interpreter`, the
    /// interpreter search is skipped (the fingerprint does not depend on it).
    pub fn load(&self, interpreter: bool) -> Result<crate::spec::Loaded, SpecError> {
        let mut loaded = if interpreter {
            crate::spec::load(
                &self.path,
                &crate::spec::LoadOptions {
                    require_interpreter: true,
                },
            )?
        } else {
            crate::spec::load_without_interpreter(&self.path)?
        };
        if let Some(name) = &self.name {
            loaded.spec.name.clone_from(name);
        }
        Ok(loaded)
    }
}
