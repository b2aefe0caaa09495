//! The resolved runtime description that every other module consumes.
//!
//! `ResolvedSpec` is what the user wrote in `runtime.yaml` with defaults filled
//! in, paths made absolute and the interpreter and base image chosen. It is
//! plain data: serialisable (for `swrt spec --json`, `info` and the TUI) and
//! free of YAML spans (those live in the parser's own tree).

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How the environment is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A Python virtual environment (`uv venv` or `python -m venv`).
    #[default]
    Venv,
    /// A conda prefix, solved and installed by swrt itself.
    Conda,
}

impl Mode {
    /// The name used in manifests and paths (`export/<mode>`).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Venv => "venv",
            Mode::Conda => "conda",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A CPU architecture a runtime is declared for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    Amd64,
    Arm64,
    Noarch,
}

impl Arch {
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::Amd64 => "amd64",
            Arch::Arm64 => "arm64",
            Arch::Noarch => "noarch",
        }
    }
}

/// A `major.minor` Python version such as `3.11`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PythonVersion {
    pub major: u32,
    pub minor: u32,
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl std::str::FromStr for PythonVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (major, minor) = s
            .split_once('.')
            .ok_or_else(|| format!("`{s}` is not of the form X.Y"))?;
        let major = major
            .parse()
            .map_err(|_| format!("`{s}` is not of the form X.Y"))?;
        let minor = minor
            .parse()
            .map_err(|_| format!("`{s}` is not of the form X.Y"))?;
        Ok(PythonVersion { major, minor })
    }
}

impl Serialize for PythonVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PythonVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The resolved description of one runtime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolvedSpec {
    pub name: String,
    pub mode: Mode,
    pub api_version: String,
    /// Where the spec came from.
    pub source: SpecSource,
    pub environment: ResolvedEnvironment,
    /// The interpreter that matches `environment.python`, when one was found.
    pub interpreter: Option<Interpreter>,
    /// The base docker image: `environment.docker.image` (or
    /// `configs.docker.image`) when set, else the built-in image for the
    /// python/cuda/cudnn combination.
    pub base_image: String,
    pub configs: ResolvedConfigs,
    /// Dependencies in the order they are applied.
    pub dependencies: Vec<Dependency>,
    /// sha256 (hex) over the canonical resolved spec and the bytes of every
    /// file it references. Equal fingerprints mean a rebuild would change
    /// nothing.
    pub fingerprint: String,
    /// Starwhale's image for the python/cuda/cudnn combination (the
    /// manifest's `docker.builtin_run_image`), even when a custom image wins.
    #[serde(default)]
    pub builtin_image: BuiltinImage,
    /// `environment.docker.image`, else `configs.docker.image` (the
    /// manifest's `docker.custom_run_image`).
    #[serde(default)]
    pub custom_image: Option<String>,
}

/// Starwhale's builtin run image, split as its manifest records it:
/// `<repo>/<name>:<tag>` = `fullname`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BuiltinImage {
    pub repo: String,
    pub name: String,
    pub tag: String,
    pub fullname: String,
}

/// The file a spec was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecSource {
    /// Absolute path of the runtime.yaml.
    pub path: PathBuf,
    /// Its directory: relative paths in the spec resolve against it.
    pub dir: PathBuf,
    /// sha256 (hex) of the file's bytes.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedEnvironment {
    /// Lowercased, e.g. `ubuntu:20.04`.
    pub os: String,
    pub python: PythonVersion,
    pub cuda: Option<String>,
    pub cudnn: Option<String>,
    /// Never empty; `[noarch]` by default.
    pub arch: Vec<Arch>,
    /// `environment.docker.image`, when set.
    pub docker_image: Option<String>,
    /// Kept from the spec, not used.
    pub starwhale_version: Option<String>,
}

/// A Python interpreter found on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interpreter {
    /// How it was found, e.g. `python3.11` or `uv python find 3.11`.
    pub found_by: String,
    /// Absolute path of the executable.
    pub path: PathBuf,
    /// Full version, e.g. `3.11.7`.
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ResolvedConfigs {
    pub pip: PipConfig,
    pub conda: CondaConfig,
    /// `configs.docker.image`, when set.
    pub docker_image: Option<String>,
}

/// pip settings after `SW_PYPI_*` overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PipConfig {
    pub index_url: Option<String>,
    pub extra_index_url: Vec<String>,
    pub trusted_host: Vec<String>,
}

impl PipConfig {
    /// The options as separate command-line arguments, for pip and uv alike.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(url) = &self.index_url {
            args.push("--index-url".to_owned());
            args.push(url.clone());
        }
        for url in &self.extra_index_url {
            args.push("--extra-index-url".to_owned());
            args.push(url.clone());
        }
        for host in &self.trusted_host {
            args.push("--trusted-host".to_owned());
            args.push(host.clone());
        }
        args
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CondaConfig {
    pub channels: Vec<String>,
    /// The `condarc` mapping exactly as written (kept as JSON data).
    pub condarc: Option<serde_json::Value>,
}

impl Eq for CondaConfig {}

/// One entry of `dependencies:`, in yaml order. A mapping with several keys
/// yields several entries in key order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Dependency {
    /// A pip requirements file (`.txt` / `.in`): `pip install -r`.
    PipReqFile { file: SpecFile },
    /// A conda environment file (`.yaml` / `.yml`).
    CondaEnvFile { file: SpecFile },
    /// `pip:` packages, installed one entry at a time.
    PipPkg { packages: Vec<String> },
    /// `conda:` packages.
    CondaPkg { packages: Vec<String> },
    /// `wheels:` files (sub-directories allowed).
    Wheel { wheels: Vec<SpecFile> },
    /// `files:` copied into the environment.
    NativeFile { files: Vec<NativeFile> },
    /// `commands:` run with `sh -c`.
    Command { commands: Vec<String> },
}

/// A file named by the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecFile {
    /// As written, relative to the spec's directory (forward slashes).
    pub rel: String,
    /// Absolute path on this machine.
    pub path: PathBuf,
}

/// One `files:` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NativeFile {
    pub src: SpecFile,
    /// Destination inside the environment prefix (relative).
    pub dest: String,
    pub name: Option<String>,
}

impl ResolvedSpec {
    /// Every file the spec names (requirements, conda files, wheels, files'
    /// sources), for fingerprinting and watching.
    pub fn referenced_files(&self) -> Vec<&SpecFile> {
        let mut out = Vec::new();
        for dep in &self.dependencies {
            match dep {
                Dependency::PipReqFile { file } | Dependency::CondaEnvFile { file } => {
                    out.push(file)
                }
                Dependency::Wheel { wheels } => out.extend(wheels.iter()),
                Dependency::NativeFile { files } => out.extend(files.iter().map(|f| &f.src)),
                Dependency::PipPkg { .. }
                | Dependency::CondaPkg { .. }
                | Dependency::Command { .. } => {}
            }
        }
        out
    }
}
