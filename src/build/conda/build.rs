//! Conda mode inside the build pipeline: the prefix is solved and installed
//! (all `conda:` packages, every conda.yaml's dependencies and
//! `python=environment.python` in one solve), then the other dependencies are
//! applied in yaml order with the prefix's own Python (pip items,
//! requirements, wheels, the `pip:` lists of conda.yaml files, files,
//! commands), then the lock is the conda records plus a freeze.
//!
//! Synchronous like the rest of the pipeline: the async rattler work runs on
//! a private tokio runtime and stops when the build is cancelled. It writes
//! only into the prefix, a scratch directory and the cache, and never prints.

use std::ffi::OsString;
use std::path::Path;

use tokio_util::sync::CancellationToken;

use crate::build::BuildError;
use crate::build::backend::VenvBackend;
use crate::build::events::Step;
use crate::build::lock::lock_from_freeze;
use crate::build::log::BuildLog;
use crate::build::process;
use crate::build::venv::{ApplyPolicy, VenvBuild, describe, run_step};
use crate::spec::{Dependency, ResolvedSpec};

use super::{
    ChannelSettings, CondaEnvFile, CondaError, CondaLock, CondaRequest, LockedPackage, create_env,
    install_locked,
};

/// The lock's file name inside `.starwhale/lock/`.
pub const CONDA_LOCK_FILE: &str = "conda-sw-lock.yaml";
/// Where the lock lives inside a bundle, below `dependencies/`.
pub const CONDA_LOCK_REL: &str = ".starwhale/lock/conda-sw-lock.yaml";
/// The manifest `swrt:` key listing the exact conda packages (URL, sha256).
pub const CONDA_PACKAGES_KEY: &str = "conda_packages";
/// Where the condarc is stored inside a bundle.
pub const CONDARC_BUNDLE_PATH: &str = "configs/condarc";

/// One conda prefix being built.
pub struct CondaBuild<'a> {
    /// Runs pip items against the prefix's Python (`--python <prefix>/bin/python`).
    pub backend: &'a VenvBackend,
    pub spec: &'a ResolvedSpec,
    /// The prefix being filled (a staging directory during a build).
    pub env: &'a Path,
    /// Where the prefix will live once moved into the store: conda packages
    /// embed their prefix in scripts and text files.
    pub final_prefix: Option<&'a Path>,
    /// swrt's cache directory; conda uses `<cache>/conda/{repodata,pkgs}`.
    pub cache: &'a Path,
    pub log: &'a BuildLog,
    pub cancel: &'a CancellationToken,
}

/// What a conda build locks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CondaLockOutput {
    /// `conda-sw-lock.yaml`.
    pub yaml: String,
    /// Exact package URLs and sha256, for the manifest's `swrt:` section.
    pub packages: Vec<LockedPackage>,
}

/// The channel settings a spec asks for.
pub fn channel_settings(spec: &ResolvedSpec) -> Result<ChannelSettings, CondaError> {
    ChannelSettings::new(
        &spec.configs.conda.channels,
        spec.configs.conda.condarc.as_ref(),
        &spec.source.dir,
    )
}

/// `configs/condarc` for the bundle: the spec's condarc mapping as YAML, or
/// `None` when the spec sets none.
pub fn condarc_yaml(spec: &ResolvedSpec) -> Option<String> {
    let rc = spec.configs.conda.condarc.as_ref()?;
    serde_yaml::to_string(rc).ok()
}

/// Runs `fut` on a private runtime, giving up when `cancel` fires.
pub(super) fn block_on<T>(
    cancel: &CancellationToken,
    fut: impl Future<Output = Result<T, CondaError>>,
) -> Result<T, BuildError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(BuildError::io("starting the conda runtime"))?;
    rt.block_on(async {
        tokio::select! {
            r = fut => r.map_err(BuildError::from),
            _ = cancel.cancelled() => Err(BuildError::Cancelled),
        }
    })
}

impl CondaBuild<'_> {
    /// The solve request: `python=X.Y`, the `conda:` packages and every
    /// conda.yaml, with the spec's channels.
    pub fn request(&self) -> Result<CondaRequest, CondaError> {
        let mut specs = Vec::new();
        let mut env_files = Vec::new();
        for dep in &self.spec.dependencies {
            match dep {
                Dependency::CondaPkg { packages } => specs.extend(
                    packages
                        .iter()
                        .map(|p| p.trim().to_owned())
                        .filter(|p| !p.is_empty()),
                ),
                Dependency::CondaEnvFile { file } => {
                    env_files.push(CondaEnvFile::read(&file.path)?)
                }
                _ => {}
            }
        }
        Ok(CondaRequest {
            env_name: self.spec.name.clone(),
            python: Some(self.spec.environment.python.to_string()),
            specs,
            env_files,
            settings: channel_settings(self.spec)?,
            cache_dir: self.cache.join("conda"),
        })
    }

    /// Solves and installs the prefix (the `create env` step).
    pub fn create(&self) -> Result<CondaLock, BuildError> {
        run_step(self.log, Step::CreateEnv, |_| {
            let request = self.request()?;
            let progress = |line: String| self.log.note(&line);
            block_on(
                self.cancel,
                create_env(&request, self.env, self.final_prefix, &progress),
            )
        })
    }

    /// Installs exactly `packages` into the prefix (restore), then checks
    /// the prefix against them.
    pub fn create_locked(&self, packages: &[LockedPackage]) -> Result<(), BuildError> {
        run_step(self.log, Step::InstallLock, |_| {
            let settings = channel_settings(self.spec)?;
            let progress = |line: String| self.log.note(&line);
            block_on(
                self.cancel,
                install_locked(
                    packages,
                    &settings,
                    &self.cache.join("conda"),
                    self.env,
                    self.final_prefix,
                    &progress,
                ),
            )
        })
    }

    fn venv_build(&self) -> VenvBuild<'_> {
        VenvBuild {
            backend: self.backend,
            spec: self.spec,
            env: self.env,
            log: self.log,
            cancel: self.cancel,
        }
    }

    /// Applies every dependency in yaml order. Conda packages are already in
    /// the prefix; a conda.yaml's `pip:` list is installed here, at its
    /// place in the order.
    pub fn apply_all(&self, policy: ApplyPolicy) -> Result<(), BuildError> {
        let vb = self.venv_build();
        for (index, dep) in self.spec.dependencies.iter().enumerate() {
            if self.cancel.is_cancelled() {
                return Err(BuildError::Cancelled);
            }
            let (kind, detail) = describe(dep);
            let step = Step::Dependency {
                index,
                kind: kind.to_owned(),
                detail,
            };
            run_step(self.log, step, |step| match dep {
                Dependency::CondaPkg { .. } => {
                    self.log
                        .note("conda packages: installed by the environment's solve");
                    Ok(())
                }
                Dependency::CondaEnvFile { file } => {
                    let env_file = CondaEnvFile::read(&file.path)?;
                    self.log
                        .note("conda dependencies: installed by the environment's solve");
                    self.install_pip_list(step, &env_file)
                }
                other => vb.apply(step, other, policy),
            })?;
        }
        Ok(())
    }

    /// A conda.yaml's `pip:` list, installed as conda does: written to a
    /// requirements file and installed with `-r` from the file's directory.
    fn install_pip_list(&self, step: &Step, env_file: &CondaEnvFile) -> Result<(), BuildError> {
        if env_file.pip.is_empty() {
            return Ok(());
        }
        let scratch =
            tempfile::tempdir().map_err(BuildError::io("creating a scratch directory"))?;
        let req = scratch.path().join("conda-pip-requirements.txt");
        let text: String = env_file.pip.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(&req, text).map_err(BuildError::io(format!("writing {}", req.display())))?;
        let mut args: Vec<OsString> = self
            .spec
            .configs
            .pip
            .to_args()
            .into_iter()
            .map(OsString::from)
            .collect();
        args.push("-r".into());
        args.push(req.into_os_string());
        let dir = env_file.path.parent().unwrap_or(&self.spec.source.dir);
        let inv = self.backend.install(self.env, &args).cwd(dir);
        process::run(&inv, self.log, self.cancel)
            .map(drop)
            .map_err(|source| BuildError::from_process(step, source))
    }

    /// Freezes the prefix's Python packages and renders `conda-sw-lock.yaml`
    /// (the `lock` step).
    pub fn lock(&self, conda: &CondaLock) -> Result<CondaLockOutput, BuildError> {
        run_step(self.log, Step::Lock, |step| {
            let out = process::run(&self.backend.freeze(self.env), self.log, self.cancel)
                .map_err(|source| BuildError::from_process(step, source))?;
            // The venv lock's rules (local wheel lines dropped), without its header.
            let pip: Vec<String> = lock_from_freeze(&out.stdout)
                .lines()
                .filter(|l| !l.starts_with('#'))
                .map(str::to_owned)
                .collect();
            Ok(CondaLockOutput {
                yaml: conda.to_env_export_yaml(&pip),
                packages: conda.packages.clone(),
            })
        })
    }
}

/// The `pip:` section of a `conda-sw-lock.yaml` (what restore installs with
/// the prefix's Python after the conda packages).
pub fn locked_pip_requirements(lock_yaml: &str) -> Result<Vec<String>, CondaError> {
    CondaEnvFile::parse(Path::new(CONDA_LOCK_FILE), lock_yaml).map(|f| f.pip)
}

/// Relinks the conda packages of the prefix at `prefix` for `final_prefix`,
/// where it is about to be moved (see [`super::relink_prefix`]).
pub fn relink(
    spec: &ResolvedSpec,
    prefix: &Path,
    final_prefix: &Path,
    cache: &Path,
    log: &BuildLog,
    cancel: &CancellationToken,
) -> Result<(), BuildError> {
    let settings = channel_settings(spec)?;
    let progress = |line: String| log.note(&line);
    block_on(
        cancel,
        super::relink_prefix(
            prefix,
            Some(final_prefix),
            &settings,
            &cache.join("conda"),
            &progress,
        ),
    )
}
