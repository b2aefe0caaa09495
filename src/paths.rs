//! Where swrt keeps things. The only user of `directories`; every location can
//! be overridden (`--root`, `SWRT_ROOT`, `SWRT_CACHE_DIR`), which keeps tests
//! hermetic.

use std::path::{Path, PathBuf};

use crate::env_vars;

/// The default project inside a store, as in Starwhale.
pub const DEFAULT_PROJECT: &str = "self";

/// Resolved locations for one invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// Store root (`<root>/<project>/runtime/...`).
    pub root: PathBuf,
    /// Project name inside the root.
    pub project: String,
    /// Cache directory (uv cache, conda packages, scratch envs).
    pub cache: PathBuf,
}

impl Paths {
    /// Locations from explicit overrides, then the environment, then the
    /// platform defaults.
    pub fn resolve(root: Option<&Path>, project: Option<&str>) -> Paths {
        let dirs = directories::ProjectDirs::from("", "", "swrt");
        let root = root
            .map(Path::to_path_buf)
            .or_else(|| env_vars::get(env_vars::SWRT_ROOT).map(PathBuf::from))
            .or_else(|| dirs.as_ref().map(|d| d.data_dir().to_path_buf()))
            .unwrap_or_else(|| PathBuf::from(".swrt-store"));
        let cache = env_vars::get(env_vars::SWRT_CACHE_DIR)
            .map(PathBuf::from)
            .or_else(|| dirs.as_ref().map(|d| d.cache_dir().to_path_buf()))
            .unwrap_or_else(|| root.join(".swrt").join("cache"));
        let project = project
            .map(str::to_owned)
            .or_else(|| env_vars::get(env_vars::SWRT_PROJECT))
            .unwrap_or_else(|| DEFAULT_PROJECT.to_owned());
        Paths {
            root,
            project,
            cache,
        }
    }

    /// `<root>/<project>/runtime`: bundles and their tag indexes.
    pub fn runtime_dir(&self) -> PathBuf {
        self.root.join(&self.project).join("runtime")
    }

    /// `<root>/<project>/runtime/.recover`: removed, recoverable bundles.
    pub fn recover_dir(&self) -> PathBuf {
        self.runtime_dir().join(".recover")
    }

    /// `<root>/<project>/workdir/runtime`: extracted bundles and their envs.
    pub fn workdir(&self) -> PathBuf {
        self.root
            .join(&self.project)
            .join("workdir")
            .join("runtime")
    }

    /// `<root>/.swrt`: swrt's own state (logs, fingerprints, locks, selection).
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(".swrt")
    }

    /// `<root>/.swrt/logs`: one log per build.
    pub fn logs_dir(&self) -> PathBuf {
        self.state_dir().join("logs")
    }
}
