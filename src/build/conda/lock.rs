//! The conda lock: exact packages as `LockedPackage`s (URL and sha256, for the
//! manifest's `swrt:` section and for restore), rendered as
//! `conda-sw-lock.yaml` in `conda env export` shape; and reading or verifying
//! a prefix through its `conda-meta/*.json` records. Reading a prefix never
//! modifies it.

use std::collections::BTreeMap;
use std::path::Path;

use rattler_conda_types::{PrefixRecord, RepoDataRecord};
use serde::{Deserialize, Serialize};

use super::CondaError;

/// One exactly pinned conda package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LockedPackage {
    pub name: String,
    pub version: String,
    pub build: String,
    pub subdir: String,
    /// The channel the package came from, as rattler records it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Where the package archive is downloaded from.
    pub url: String,
    /// Lowercase hex; conda-meta records written by old condas may lack it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
}

impl LockedPackage {
    pub fn from_record(record: &RepoDataRecord) -> LockedPackage {
        let p = &record.package_record;
        LockedPackage {
            name: p.name.as_normalized().to_owned(),
            version: p.version.to_string(),
            build: p.build.to_string(),
            subdir: p.subdir.clone(),
            channel: record.channel.clone(),
            url: record.url.to_string(),
            sha256: p.sha256.map(|h| data_encoding::HEXLOWER.encode(&h[..])),
            md5: p.md5.map(|h| data_encoding::HEXLOWER.encode(&h[..])),
        }
    }

    /// `name=version=build`, as `conda env export` writes it.
    pub fn spec(&self) -> String {
        format!("{}={}={}", self.name, self.version, self.build)
    }

    /// The channel's base URL: the package URL without `<subdir>/<file>`.
    pub fn channel_url(&self) -> Result<url::Url, CondaError> {
        let url = url::Url::parse(&self.url).map_err(|e| CondaError::InvalidLock {
            message: format!("`{}` is not a URL: {e}", self.url),
        })?;
        url.join("..").map_err(|e| CondaError::InvalidLock {
            message: format!("`{}` has no channel: {e}", self.url),
        })
    }
}

/// The lock of one conda prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CondaLock {
    /// The env name written into `conda-sw-lock.yaml`.
    pub name: String,
    /// The channels as configured, highest priority first.
    pub channels: Vec<String>,
    /// Sorted by name.
    pub packages: Vec<LockedPackage>,
}

#[derive(Serialize)]
struct EnvExport<'a> {
    name: &'a str,
    channels: &'a [String],
    dependencies: Vec<ExportDependency>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum ExportDependency {
    Spec(String),
    Pip { pip: Vec<String> },
}

impl CondaLock {
    pub fn new(name: &str, channels: Vec<String>, mut packages: Vec<LockedPackage>) -> CondaLock {
        packages.sort();
        CondaLock {
            name: name.to_owned(),
            channels,
            packages,
        }
    }

    /// `conda-sw-lock.yaml`: the shape of `conda env export` (without the
    /// machine-specific `prefix:`), with the `pip:` list taken from a freeze
    /// of the env's Python; an empty freeze leaves the `pip:` entry out, as
    /// Starwhale does.
    pub fn to_env_export_yaml(&self, pip_freeze: &[String]) -> String {
        let mut dependencies: Vec<ExportDependency> = self
            .packages
            .iter()
            .map(|p| ExportDependency::Spec(p.spec()))
            .collect();
        if !pip_freeze.is_empty() {
            dependencies.push(ExportDependency::Pip {
                pip: pip_freeze.to_vec(),
            });
        }
        let export = EnvExport {
            name: &self.name,
            channels: &self.channels,
            dependencies,
        };
        // Plain strings and lists only: serialising cannot fail.
        let body = serde_yaml::to_string(&export).unwrap_or_default();
        format!(
            "# conda-sw-lock.yaml written by swrt {} (conda env export format)\n{body}",
            crate::VERSION
        )
    }
}

/// The packages installed in `prefix`, from its `conda-meta/*.json` records,
/// sorted by name. Works on any conda prefix (conda, mamba, pixi or swrt made
/// it) and never writes to it.
pub fn read_prefix(prefix: &Path) -> Result<Vec<LockedPackage>, CondaError> {
    if !prefix.join("conda-meta").is_dir() {
        return Err(CondaError::NotAPrefix {
            prefix: prefix.to_path_buf(),
        });
    }
    let records: Vec<PrefixRecord> =
        PrefixRecord::collect_from_prefix(prefix).map_err(|source| CondaError::ReadPrefix {
            prefix: prefix.to_path_buf(),
            source,
        })?;
    let mut out: Vec<LockedPackage> = records
        .iter()
        .map(|r| LockedPackage::from_record(&r.repodata_record))
        .collect();
    out.sort();
    Ok(out)
}

/// A lock for an existing prefix (`swrt build --conda-prefix PATH`): its
/// packages from `conda-meta/`, and as channels the distinct channel URLs
/// they came from, in name order. The prefix is only read.
pub fn lock_from_prefix(name: &str, prefix: &Path) -> Result<CondaLock, CondaError> {
    let packages = read_prefix(prefix)?;
    let mut channels: Vec<String> = Vec::new();
    for p in &packages {
        let url = p.channel_url()?;
        let url = url.as_str().trim_end_matches('/').to_owned();
        if !channels.contains(&url) {
            channels.push(url);
        }
    }
    Ok(CondaLock::new(name, channels, packages))
}

/// Checks that `prefix` holds exactly the locked packages: same names,
/// versions, builds and URLs, and the same sha256 wherever both sides have
/// one.
pub fn verify_prefix(prefix: &Path, locked: &[LockedPackage]) -> Result<(), CondaError> {
    let installed = read_prefix(prefix)?;
    let by_name = |pkgs: &[LockedPackage]| -> BTreeMap<String, LockedPackage> {
        pkgs.iter().map(|p| (p.name.clone(), p.clone())).collect()
    };
    let want = by_name(locked);
    let have = by_name(&installed);
    let mut differences = Vec::new();
    for (name, w) in &want {
        match have.get(name) {
            None => differences.push(format!("  missing: {}", w.spec())),
            Some(h) => {
                let sha_differs = matches!((&w.sha256, &h.sha256), (Some(a), Some(b)) if a != b);
                if h.spec() != w.spec() || h.url != w.url || sha_differs {
                    differences.push(format!(
                        "  {name}: installed {} ({}), locked {} ({})",
                        h.spec(),
                        h.url,
                        w.spec(),
                        w.url
                    ));
                }
            }
        }
    }
    for (name, h) in &have {
        if !want.contains_key(name) {
            differences.push(format!("  not in the lock: {}", h.spec()));
        }
    }
    if differences.is_empty() {
        Ok(())
    } else {
        Err(CondaError::LockMismatch {
            prefix: prefix.to_path_buf(),
            differences,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(name: &str, version: &str) -> LockedPackage {
        LockedPackage {
            name: name.to_owned(),
            version: version.to_owned(),
            build: "h0_0".to_owned(),
            subdir: "noarch".to_owned(),
            channel: None,
            url: format!("file:///chan/noarch/{name}-{version}-h0_0.tar.bz2"),
            sha256: Some("ab".repeat(32)),
            md5: None,
        }
    }

    #[test]
    fn env_export_shape() {
        let lock = CondaLock::new(
            "demo",
            vec!["file:///chan".to_owned()],
            vec![pkg("zlib", "1.3"), pkg("pkga", "1.0")],
        );
        let yaml = lock.to_env_export_yaml(&["requests==2.31.0".to_owned()]);
        let body: String = yaml.lines().skip(1).map(|l| format!("{l}\n")).collect();
        assert_eq!(
            body,
            "name: demo\nchannels:\n- file:///chan\ndependencies:\n- pkga=1.0=h0_0\n- zlib=1.3=h0_0\n- pip:\n  - requests==2.31.0\n"
        );
        assert!(!lock.to_env_export_yaml(&[]).contains("pip"));
    }

    #[test]
    fn channel_url_drops_subdir_and_file() {
        assert_eq!(
            pkg("a", "1").channel_url().unwrap().as_str(),
            "file:///chan/"
        );
    }

    #[test]
    fn a_directory_without_conda_meta_is_not_a_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_prefix(dir.path()).unwrap_err();
        assert!(matches!(err, CondaError::NotAPrefix { .. }), "{err}");
    }
}
