//! Restoring a conda prefix from a bundle: the exact conda packages the
//! manifest's `swrt:` section lists (no solve), then the `pip:` section of
//! `conda-sw-lock.yaml` installed with the prefix's own Python
//! (`--no-deps`: the lock already holds every dependency). The caller (the
//! restore pipeline) owns the scratch directory, wheels, files and the final
//! swap; this file writes only into the prefix it is given.

use std::path::Path;

use tokio_util::sync::CancellationToken;

use crate::build::BuildError;
use crate::build::log::BuildLog;
use crate::bundle::Manifest;

use super::build::{CONDA_LOCK_FILE, CONDA_PACKAGES_KEY, block_on, locked_pip_requirements};
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
    /// Installs exactly the packages the manifest's `swrt:` section lists
    /// and checks the prefix's records against them. The bundle's condarc
    /// supplies `ssl_verify` and `default_threads`; the locked URLs say
    /// where each package comes from.
    pub fn install_packages(&self, manifest: &Manifest) -> Result<(), BuildError> {
        let value = manifest
            .swrt
            .as_ref()
            .and_then(|s| s.extra.get(CONDA_PACKAGES_KEY))
            .ok_or_else(|| CondaError::InvalidLock {
                message: format!(
                    "the manifest has no `swrt.{CONDA_PACKAGES_KEY}` list (a bundle not built by swrt); rebuild it with swrt"
                ),
            })?;
        let packages = packages_from_manifest(value)?;
        let condarc = serde_json::to_value(&manifest.configs.conda.condarc)
            .ok()
            .filter(serde_json::Value::is_object);
        let settings = ChannelSettings::new(&[], condarc.as_ref(), self.env)?;
        let progress = |line: String| self.log.note(&line);
        block_on(
            self.cancel,
            install_locked(
                &packages,
                &settings,
                &self.cache.join("conda"),
                self.env,
                Some(self.final_prefix),
                &progress,
            ),
        )
    }
}

/// For a conda lock (`conda-sw-lock.yaml`), its `pip:` section written to a
/// temporary requirements file that pip can install with `-r`; `None` for
/// any other lock file.
pub fn pip_requirements_file(
    lock_file: &Path,
    text: &str,
) -> Result<Option<tempfile::TempPath>, BuildError> {
    let Some(reqs) = pip_lock_text(lock_file, text) else {
        return Ok(None);
    };
    if lock_file.file_name().is_none_or(|n| n != CONDA_LOCK_FILE) {
        return Ok(None);
    }
    let mut tmp = tempfile::NamedTempFile::new().map_err(BuildError::io(
        "creating a requirements file for the conda lock",
    ))?;
    std::io::Write::write_all(&mut tmp, reqs.as_bytes()).map_err(BuildError::io(
        "writing a requirements file for the conda lock",
    ))?;
    Ok(Some(tmp.into_temp_path()))
}

/// The text pip's part of a lock is compared with: a conda lock's `pip:`
/// lines (one per line), or a venv lock as it is. `None` when a conda lock
/// cannot be read.
pub fn pip_lock_text(lock_file: &Path, text: &str) -> Option<String> {
    if lock_file.file_name().is_some_and(|n| n == CONDA_LOCK_FILE) {
        let reqs = locked_pip_requirements(text).ok()?;
        Some(reqs.iter().map(|r| format!("{r}\n")).collect())
    } else {
        Some(text.to_owned())
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

    #[test]
    fn a_conda_lock_gives_pip_its_section_and_a_venv_lock_passes_through() {
        let lock = "# header\nname: demo\nchannels:\n- file:///chan\ndependencies:\n- pkga=1.0=h0_0\n- pip:\n  - six==1.16.0\n";
        let conda = Path::new("/b/dependencies/.starwhale/lock/conda-sw-lock.yaml");
        assert_eq!(pip_lock_text(conda, lock).unwrap(), "six==1.16.0\n");
        let file = pip_requirements_file(conda, lock).unwrap().unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "six==1.16.0\n");
        let venv = Path::new("/b/dependencies/.starwhale/lock/requirements-sw-lock.txt");
        assert_eq!(pip_lock_text(venv, "a==1\n").unwrap(), "a==1\n");
        assert!(pip_requirements_file(venv, "a==1\n").unwrap().is_none());
    }
}
