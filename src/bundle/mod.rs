//! Runtime bundles (`.swrt`): a tar holding `_manifest.yaml`, the user's
//! `runtime.yaml`, dependency files, the lock, wheels, native files and
//! configs, in the layout `swcli` 0.6.15 reads and writes.
//!
//! - [`manifest`]: the `_manifest.yaml` model (swcli's fields + `swrt:`).
//! - [`writer`]: a staging directory → a deterministic tar and its
//!   content-derived version.
//! - [`reader`]: reading the manifest or single members, and safe
//!   extraction of bundles that may come from anywhere.
//! - [`builder`]: the build pipeline's helper from a `ResolvedSpec` to a
//!   staged and written bundle.
//!
//! This module knows nothing about the store layout, tags or locking, never
//! prints, and returns [`BundleError`].

pub mod builder;
pub mod digest;
pub mod manifest;
pub mod reader;
pub mod writer;

use std::io;
use std::path::PathBuf;

pub use builder::{BundleInputs, MemberSource, stage_and_write};
pub use manifest::{MANIFEST_FILE, Manifest, SwrtSection};
pub use reader::{ExtractLimits, Extracted, extract, read_manifest, read_members};
pub use writer::{WrittenBundle, write_bundle};

/// File extension of runtime bundles.
pub const BUNDLE_EXT: &str = "swrt";

/// What can go wrong reading or writing a bundle.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{} is not a runtime bundle: it has no _manifest.yaml", path.display())]
    MissingManifest { path: PathBuf },
    #[error("the manifest of {} is not valid YAML", path.display())]
    BadManifest {
        path: PathBuf,
        #[source]
        source: serde_yaml::Error,
    },
    #[error("cannot render the bundle manifest")]
    RenderManifest(#[source] serde_yaml::Error),
    #[error("{} has no member `{member}`", path.display())]
    MissingMember { path: PathBuf, member: String },
    #[error("refusing bundle {}: member `{member}` {reason}", path.display())]
    Unsafe {
        path: PathBuf,
        member: String,
        reason: String,
    },
    #[error("refusing bundle {}: {reason}", path.display())]
    TooLarge { path: PathBuf, reason: String },
    #[error(
        "refusing bundle {}: member `{member}` does not match the manifest's digest (expected {expected}, found {actual})",
        path.display()
    )]
    DigestMismatch {
        path: PathBuf,
        member: String,
        expected: String,
        actual: String,
    },
    #[error("refusing bundle {}: {reason}", path.display())]
    Inconsistent { path: PathBuf, reason: String },
    #[error("{} already exists", path.display())]
    TargetExists { path: PathBuf },
    #[error("cannot stage `{member}` from {}: {reason}", source_path.display())]
    Stage {
        member: String,
        source_path: PathBuf,
        reason: String,
    },
}

impl BundleError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> BundleError {
        let path = path.into();
        move |source| BundleError::Io {
            action,
            path,
            source,
        }
    }

    /// Whether the bundle itself is at fault (hostile, corrupt or not a
    /// bundle) rather than the machine.
    pub fn is_bad_input(&self) -> bool {
        !matches!(
            self,
            BundleError::Io { .. } | BundleError::RenderManifest(_)
        )
    }
}
