//! Conda mode, built in: channel configuration, `conda.yaml` environment
//! files, solving with resolvo through rattler's repodata gateway, installing
//! into a prefix through a package cache, and the conda lock (an env-export
//! shaped `conda-sw-lock.yaml` plus exact package URLs and sha256).
//!
//! No conda executable is involved. This module never prints: progress goes
//! through the [`Progress`] callback the caller passes in, failures come back
//! as [`CondaError`]. It does not run pip, copy files or write bundles; the
//! build pipeline does that with the prefix this module produces.

pub mod build;
mod channels;
mod envfile;
mod install;
mod lock;
pub mod restore;

use std::path::PathBuf;

pub use channels::{ChannelSettings, DEFAULT_CHANNEL};
pub use envfile::CondaEnvFile;
pub use install::{CondaRequest, create_env, install_locked, relink_prefix, solve};
pub use lock::{CondaLock, LockedPackage, lock_from_prefix, read_prefix, verify_prefix};

/// Where progress lines go: one human-readable line per call. The build
/// pipeline turns them into its own events and log lines.
pub type Progress<'a> = &'a (dyn Fn(String) + Send + Sync);

/// Everything that can go wrong in conda mode.
#[derive(Debug, thiserror::Error)]
pub enum CondaError {
    #[error("invalid conda channel `{channel}`: {message}")]
    InvalidChannel { channel: String, message: String },

    #[error("invalid condarc: `{key}` {message}")]
    InvalidCondarc { key: String, message: String },

    #[error("cannot read conda environment file {}", path.display())]
    EnvFileRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("invalid conda environment file {}: {message}", path.display())]
    EnvFileParse { path: PathBuf, message: String },

    #[error("invalid conda package spec `{spec}`: {message}")]
    InvalidSpec { spec: String, message: String },

    #[error("conda channel {channel} cannot be reached: {message}")]
    ChannelUnreachable { channel: String, message: String },

    #[error("cannot fetch conda repodata: {message}")]
    Repodata { message: String },

    #[error("the conda packages cannot be installed together:\n{explanation}")]
    Unsolvable { explanation: String },

    #[error("conda solve failed: {message}")]
    Solve { message: String },

    #[error("cannot detect this machine's conda virtual packages: {message}")]
    VirtualPackages { message: String },

    #[error("this machine's platform is not a known conda platform")]
    UnknownPlatform,

    #[error("cannot set up the HTTP client for conda: {message}")]
    Client { message: String },

    #[error("installing conda packages into {} failed: {message}", prefix.display())]
    Install { prefix: PathBuf, message: String },

    #[error("{} is not a conda prefix (it has no conda-meta directory)", prefix.display())]
    NotAPrefix { prefix: PathBuf },

    #[error("cannot read the conda-meta records of {}", prefix.display())]
    ReadPrefix {
        prefix: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("locked conda package {url} is not in its channel's repodata any more")]
    LockedPackageMissing { url: String },

    #[error("locked conda package {url} changed: sha256 is {found}, the lock says {expected}")]
    LockedPackageChanged {
        url: String,
        expected: String,
        found: String,
    },

    #[error("invalid locked conda package: {message}")]
    InvalidLock { message: String },

    #[error("the conda prefix {} does not match its lock:\n{}", prefix.display(), differences.join("\n"))]
    LockMismatch {
        prefix: PathBuf,
        differences: Vec<String>,
    },
}

impl CondaError {
    /// True when the runtime's configuration is what is wrong (channels,
    /// specs, conda.yaml, a stale lock) rather than the machine or swrt.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            CondaError::InvalidChannel { .. }
                | CondaError::InvalidCondarc { .. }
                | CondaError::EnvFileRead { .. }
                | CondaError::EnvFileParse { .. }
                | CondaError::InvalidSpec { .. }
                | CondaError::ChannelUnreachable { .. }
                | CondaError::Unsolvable { .. }
                | CondaError::NotAPrefix { .. }
                | CondaError::LockedPackageMissing { .. }
                | CondaError::LockedPackageChanged { .. }
                | CondaError::LockMismatch { .. }
        )
    }

    /// A hint for the person reading the error, when there is a useful one.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            CondaError::ChannelUnreachable { .. } => Some(
                "check the channel's spelling and the network, or use a file:// channel; channels come from configs.conda.channels, configs.conda.condarc and the conda.yaml files",
            ),
            CondaError::Unsolvable { .. } => Some(
                "relax the version constraints in `conda:` or the conda.yaml, or add a channel that has the missing packages",
            ),
            CondaError::LockedPackageMissing { .. } | CondaError::LockedPackageChanged { .. } => {
                Some(
                    "the channel no longer serves the locked package: rebuild the runtime to lock again",
                )
            }
            _ => None,
        }
    }
}
