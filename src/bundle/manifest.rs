//! The bundle manifest (`_manifest.yaml` at the top of every `.swrt`), with
//! the fields `swcli` 0.6.15 writes (`StandaloneRuntime.buildImpl`:
//! `_dump_configs`, `_lock_environment`, `_dump_dependencies`,
//! `_dump_docker_image`, `_copy_src`, `_render_manifest`) plus swrt's own
//! `swrt:` section.
//!
//! Reading is lenient: every field has a default (older swcli manifests lack
//! some) and keys this code does not know are kept in `extra` maps, so a
//! manifest read and written back loses nothing. Pure data; never prints.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

/// File name of the manifest inside a bundle and an extracted workdir.
pub const MANIFEST_FILE: &str = "_manifest.yaml";
/// Lock file of a venv runtime, under `dependencies/`.
pub const VENV_LOCK_FILE: &str = ".starwhale/lock/requirements-sw-lock.txt";
/// Lock file of a conda runtime, under `dependencies/`.
pub const CONDA_LOCK_FILE: &str = ".starwhale/lock/conda-sw-lock.yaml";

type Extra = BTreeMap<String, serde_yaml::Value>;

/// A runtime bundle's manifest.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Manifest {
    pub artifacts: Artifacts,
    /// Deprecated in swcli but still written: the run image.
    pub base_image: String,
    pub build: BuildInfo,
    pub configs: Configs,
    /// `%Y-%m-%d %H:%M:%S %Z`, as swcli writes it.
    pub created_at: String,
    pub dependencies: Dependencies,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docker: Option<DockerSection>,
    pub environment: Environment,
    /// swrt's own section; absent in bundles built by swcli.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swrt: Option<SwrtSection>,
    /// 40 lowercase base32 characters.
    pub version: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `artifacts:`: what the bundle carries besides the manifest.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Artifacts {
    /// `dependencies/<file>` paths, lock files included.
    pub dependencies: Vec<String>,
    /// The `files:` entries (`{src, dest, name?}`) as written in runtime.yaml.
    pub files: Vec<serde_yaml::Value>,
    /// Always `runtime.yaml`.
    pub runtime_yaml: String,
    /// `wheels/<path>` paths.
    pub wheels: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `build:`: who built the bundle.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BuildInfo {
    /// `platform.system()`: `Linux`, `Darwin`.
    pub os: String,
    /// The starwhale version that built it (swcli) or that swrt is
    /// compatible with.
    pub sw_version: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `configs:`, as swcli's `Configs.asdict()`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Configs {
    pub conda: CondaConfigs,
    pub docker: DockerConfigs,
    pub pip: PipConfigs,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CondaConfigs {
    #[serde(deserialize_with = "string_or_list")]
    pub channels: Vec<String>,
    /// Any mapping; `{}` when unset.
    pub condarc: serde_yaml::Value,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DockerConfigs {
    #[serde(deserialize_with = "lenient_string")]
    pub image: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PipConfigs {
    #[serde(deserialize_with = "string_or_list")]
    pub extra_index_url: Vec<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub index_url: String,
    #[serde(deserialize_with = "string_or_list")]
    pub trusted_host: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `dependencies:`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Dependencies {
    pub conda_files: Vec<String>,
    pub conda_pkgs: Vec<String>,
    /// True when the whole env was packed into the bundle
    /// (swcli `--download-all-deps`).
    pub local_packaged_env: bool,
    pub pip_files: Vec<String>,
    pub pip_pkgs: Vec<String>,
    /// The dependencies in runtime.yaml order, as swcli's
    /// `Dependencies.flatten_raw_deps()`.
    pub raw_deps: Vec<RawDep>,
    pub setup_requires: Vec<serde_yaml::Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One entry of `dependencies.raw_deps`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RawDep {
    /// A string (requirements/conda file), a list of strings (pip, conda,
    /// wheels, commands) or a list of `{src, dest, name?}` (files).
    pub deps: serde_yaml::Value,
    /// `pip_req_file`, `conda_env_file`, `pip_pkg`, `conda_pkg`, `wheel`,
    /// `native_file`, `command`.
    pub kind: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `docker:`: the image a runtime runs in.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DockerSection {
    pub builtin_run_image: BuiltinImage,
    #[serde(deserialize_with = "lenient_string")]
    pub custom_run_image: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BuiltinImage {
    pub fullname: String,
    pub name: String,
    pub repo: String,
    pub tag: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `environment:`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Environment {
    #[serde(deserialize_with = "string_or_list")]
    pub arch: Vec<String>,
    pub auto_lock_dependencies: bool,
    pub lock: LockInfo,
    /// `venv` or `conda`.
    pub mode: String,
    /// `X.Y`.
    #[serde(deserialize_with = "lenient_string")]
    pub python: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `environment.lock:`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LockInfo {
    pub env_name: String,
    pub env_prefix_path: String,
    pub env_use_shell: bool,
    /// Lock files relative to `dependencies/`, e.g.
    /// `.starwhale/lock/requirements-sw-lock.txt`.
    pub files: Vec<String>,
    pub shell: ShellInfo,
    #[serde(deserialize_with = "lenient_string")]
    pub starwhale_version: String,
    pub system: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `environment.lock.shell:`: the Python that did the locking.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ShellInfo {
    pub python_env: String,
    #[serde(deserialize_with = "lenient_string")]
    pub python_version: String,
    pub use_conda: bool,
    pub use_venv: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `swrt:`: what swrt adds to the Starwhale manifest.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SwrtSection {
    /// The swrt version that wrote the bundle.
    pub tool_version: String,
    /// The input fingerprint (`ResolvedSpec::fingerprint`) it was built from.
    pub fingerprint: String,
    /// `uv`, `pip` or `conda`.
    pub backend: String,
    /// sha256 (hex) of every regular file in the bundle except the manifest,
    /// by path.
    pub members: BTreeMap<String, String>,
    /// Backend-specific records (e.g. exact conda package URLs and digests).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Manifest {
    /// Parses manifest text.
    pub fn from_yaml(text: &str) -> Result<Manifest, serde_yaml::Error> {
        let m: Option<Manifest> = serde_yaml::from_str(text)?;
        Ok(m.unwrap_or_default())
    }

    /// Renders the manifest as YAML.
    pub fn to_yaml(&self) -> Result<String, serde_yaml::Error> {
        serde_yaml::to_string(self)
    }

    /// `venv` or `conda` (swcli bundles always say).
    pub fn mode(&self) -> &str {
        &self.environment.mode
    }

    /// The lock files as paths inside the bundle (`dependencies/<file>`).
    pub fn lock_members(&self) -> Vec<String> {
        self.environment
            .lock
            .files
            .iter()
            .map(|f| format!("dependencies/{}", f.trim_start_matches('/')))
            .collect()
    }
}

/// A string, a number (`python: 3.9`) or null.
fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = serde_yaml::Value::deserialize(d)?;
    Ok(value_to_string(&v))
}

fn value_to_string(v: &serde_yaml::Value) -> String {
    match v {
        serde_yaml::Value::Null => String::new(),
        serde_yaml::Value::String(s) => s.clone(),
        serde_yaml::Value::Bool(b) => b.to_string(),
        serde_yaml::Value::Number(n) => n.to_string(),
        other => serde_yaml::to_string(other)
            .map(|s| s.trim().to_owned())
            .unwrap_or_default(),
    }
}

/// A single string or a list of them (swcli's `_list`).
fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = serde_yaml::Value::deserialize(d)?;
    Ok(match v {
        serde_yaml::Value::Null => Vec::new(),
        serde_yaml::Value::Sequence(items) => items.iter().map(value_to_string).collect(),
        other => vec![value_to_string(&other)],
    })
}
