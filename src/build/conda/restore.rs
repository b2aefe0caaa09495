//! Restoring a conda prefix from a bundle: the exact conda packages the
//! manifest's `swrt:` section lists (no solve), then the `pip:` section of
//! `conda-sw-lock.yaml` installed with the prefix's own Python
//! (`--no-deps`: the lock already holds every dependency). The caller (the
//! restore pipeline) owns the scratch directory, wheels, files and the final
//! swap; this file writes only into the prefix it is given.

use std::ffi::OsString;
use std::path::Path;

use tokio_util::sync::CancellationToken;

use crate::build::BuildError;
use crate::build::backend::VenvBackend;
use crate::build::events::Step;
use crate::build::log::BuildLog;
use crate::build::process;
use crate::build::venv::run_step;

use super::build::{block_on, locked_pip_requirements};
use super::{ChannelSettings, CondaError, LockedPackage, install_locked};

/// The exact packages recorded under the manifest's `swrt:` key
/// [`super::build::CONDA_PACKAGES_KEY`].
pub fn packages_from_manifest(value: &serde_yaml::Value) -> Result<Vec<LockedPackage>, CondaError> {
    serde_yaml::from_value(value.clone()).map_err(|e| CondaError::InvalidLock {
        message: format!("the manifest's conda package list: {e}"),
    })
}

/// One conda prefix being restored.
pub struct CondaRestore<'a> {
    pub backend: &'a VenvBackend,
    /// The prefix being filled (a scratch directory beside its final place).
    pub env: &'a Path,
    /// Where it will be moved once verified.
    pub final_prefix: &'a Path,
    /// swrt's cache directory.
    pub cache: &'a Path,
    pub log: &'a BuildLog,
    pub cancel: &'a CancellationToken,
}

impl CondaRestore<'_> {
    /// Installs exactly `packages` and checks the prefix's records against
    /// them. `condarc` (the bundle's) supplies `ssl_verify` and
    /// `default_threads`; the locked URLs say where each package comes from.
    pub fn install_packages(
        &self,
        packages: &[LockedPackage],
        condarc: Option<&serde_json::Value>,
        root: &Path,
    ) -> Result<(), BuildError> {
        run_step(self.log, Step::InstallLock, |_| {
            let settings = ChannelSettings::new(&[], condarc, root)?;
            let progress = |line: String| self.log.note(&line);
            block_on(
                self.cancel,
                install_locked(
                    packages,
                    &settings,
                    &self.cache.join("conda"),
                    self.env,
                    Some(self.final_prefix),
                    &progress,
                ),
            )
        })
    }

    /// Installs the lock's `pip:` section with the prefix's Python,
    /// `--no-deps`, with `pip_args` (index options) first. Returns the
    /// requirements installed.
    pub fn install_pip(
        &self,
        lock_yaml: &str,
        pip_args: &[OsString],
    ) -> Result<Vec<String>, BuildError> {
        let reqs = locked_pip_requirements(lock_yaml)?;
        if reqs.is_empty() {
            return Ok(reqs);
        }
        run_step(self.log, Step::InstallLock, |step| {
            let scratch =
                tempfile::tempdir().map_err(BuildError::io("creating a scratch directory"))?;
            let file = scratch.path().join("conda-pip-lock.txt");
            let text: String = reqs.iter().map(|r| format!("{r}\n")).collect();
            std::fs::write(&file, text)
                .map_err(BuildError::io(format!("writing {}", file.display())))?;
            let mut args = pip_args.to_vec();
            args.push("--no-deps".into());
            args.push("-r".into());
            args.push(file.into_os_string());
            let inv = self.backend.install(self.env, &args);
            process::run(&inv, self.log, self.cancel)
                .map(drop)
                .map_err(|source| BuildError::from_process(step, source))
        })?;
        Ok(reqs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_package_list_round_trips() {
        let pkgs = vec![LockedPackage {
            name: "pkga".to_owned(),
            version: "1.0".to_owned(),
            build: "h0_0".to_owned(),
            subdir: "noarch".to_owned(),
            channel: Some("file:///chan/".to_owned()),
            url: "file:///chan/noarch/pkga-1.0-h0_0.tar.bz2".to_owned(),
            sha256: Some("ab".repeat(32)),
            md5: None,
        }];
        let value = serde_yaml::to_value(&pkgs).unwrap();
        assert_eq!(packages_from_manifest(&value).unwrap(), pkgs);
        let bad = serde_yaml::Value::String("nope".to_owned());
        assert!(packages_from_manifest(&bad).is_err());
    }
}
