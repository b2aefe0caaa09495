//! Filling a fresh venv from a `ResolvedSpec`: create it, apply every
//! dependency in yaml order, freeze it into a lock. Shared by `swrt build`
//! (which then bundles the result) and `swrt lock` (which only keeps the lock).
//!
//! Dependency semantics follow swcli 0.6.15: a requirements file is one
//! `install -r` run from the spec's directory; a `pip:` list is one install per
//! entry (so order-dependent builds behave the same); wheels one install each;
//! `files:` are copied into the env at `dest` (which may not leave it);
//! `commands:` run with `sh -c` in the spec's directory only when allowed,
//! otherwise they are logged as skipped. pip configs (already merged with
//! `SW_PYPI_*` by the spec) become separate arguments on every install.

use std::ffi::OsString;
use std::path::Path;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::env_vars;
use crate::spec::{Dependency, ResolvedSpec};

use super::BuildError;
use super::backend::VenvBackend;
use super::events::{BuildEvent, Step};
use super::files;
use super::lock::lock_from_freeze;
use super::log::BuildLog;
use super::process::{self, Invocation};

/// What to do with `files:` and `commands:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyPolicy {
    /// Run `commands:` (else log them as skipped).
    pub run_commands: bool,
    /// Copy `files:` into the env (`swrt lock` skips them, as swcli does).
    pub copy_files: bool,
}

/// One venv being built.
pub struct VenvBuild<'a> {
    pub backend: &'a VenvBackend,
    pub spec: &'a ResolvedSpec,
    /// The env's directory (created by `create`).
    pub env: &'a Path,
    pub log: &'a BuildLog,
    pub cancel: &'a CancellationToken,
}

impl VenvBuild<'_> {
    fn run(&self, step: &Step, inv: &Invocation) -> Result<process::Captured, BuildError> {
        process::run(inv, self.log, self.cancel)
            .map_err(|source| BuildError::from_process(step, source))
    }

    /// Runs `f` as `step`, with start/finish events.
    pub fn step<T>(
        &self,
        step: Step,
        f: impl FnOnce(&Step) -> Result<T, BuildError>,
    ) -> Result<T, BuildError> {
        run_step(self.log, step, f)
    }

    /// Creates the venv with the spec's interpreter.
    pub fn create(&self) -> Result<(), BuildError> {
        let interp = self
            .spec
            .interpreter
            .as_ref()
            .ok_or_else(|| BuildError::NoInterpreter {
                python: self.spec.environment.python.to_string(),
            })?;
        self.step(Step::CreateEnv, |step| {
            self.run(step, &self.backend.create_env(&interp.path, self.env))
                .map(drop)
        })
    }

    /// Applies every dependency in order.
    pub fn apply_all(&self, policy: ApplyPolicy) -> Result<(), BuildError> {
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
            self.step(step, |step| self.apply(step, dep, policy))?;
        }
        Ok(())
    }

    fn pip_args(&self) -> Vec<OsString> {
        self.spec
            .configs
            .pip
            .to_args()
            .into_iter()
            .map(OsString::from)
            .collect()
    }

    fn install(&self, step: &Step, extra: Vec<OsString>) -> Result<(), BuildError> {
        let mut args = self.pip_args();
        args.extend(extra);
        let inv = self
            .backend
            .install(self.env, &args)
            .cwd(&self.spec.source.dir);
        self.run(step, &inv).map(drop)
    }

    pub(crate) fn apply(
        &self,
        step: &Step,
        dep: &Dependency,
        policy: ApplyPolicy,
    ) -> Result<(), BuildError> {
        match dep {
            Dependency::PipReqFile { file } => {
                self.install(step, vec!["-r".into(), file.path.clone().into()])
            }
            Dependency::PipPkg { packages } => {
                for pkg in packages.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
                    self.install(step, vec![pkg.into()])?;
                }
                Ok(())
            }
            Dependency::Wheel { wheels } => {
                for wheel in wheels {
                    self.install(step, vec![wheel.path.clone().into()])?;
                }
                Ok(())
            }
            Dependency::NativeFile { files: entries } => {
                if !policy.copy_files {
                    self.skip(format!(
                        "files: not copied while locking ({} entries)",
                        entries.len()
                    ));
                    return Ok(());
                }
                for entry in entries {
                    let dest = files::confined(self.env, &entry.dest).map_err(|source| {
                        BuildError::Files {
                            step: Box::new(step.clone()),
                            source,
                        }
                    })?;
                    self.log
                        .note(&format!("copy {} -> {}", entry.src.rel, dest.display()));
                    files::copy_tree(&entry.src.path, &dest).map_err(|source| {
                        BuildError::Files {
                            step: Box::new(step.clone()),
                            source,
                        }
                    })?;
                }
                Ok(())
            }
            Dependency::Command { commands } => {
                for cmd in commands {
                    if policy.run_commands {
                        self.run(step, &self.command(cmd))?;
                    } else {
                        self.skip(format!(
                            "command `{cmd}` not run: pass --run-commands or set {}=1",
                            env_vars::SW_RUNTIME_FORCE_RUN_COMMAND
                        ));
                    }
                }
                Ok(())
            }
            Dependency::CondaPkg { .. } | Dependency::CondaEnvFile { .. } => {
                // swcli warns and goes on: conda dependencies mean nothing in
                // a venv.
                self.skip("conda dependency ignored in a venv runtime".to_owned());
                Ok(())
            }
        }
    }

    /// `sh -c CMD` in the spec's directory with the env activated, so that
    /// `python` and `pip` in a command mean the runtime's.
    pub fn command(&self, cmd: &str) -> Invocation {
        activated(Invocation::new("sh").arg("-c").arg(cmd), self.env).cwd(&self.spec.source.dir)
    }

    fn skip(&self, reason: String) {
        self.log.note(&format!("skipped: {reason}"));
        self.log.events().send(BuildEvent::Skipped { reason });
    }

    /// Freezes the env into lock-file text.
    pub fn freeze(&self) -> Result<String, BuildError> {
        self.step(Step::Lock, |step| {
            let out = self.run(step, &self.backend.freeze(self.env))?;
            Ok(lock_from_freeze(&out.stdout))
        })
    }
}

/// Runs `f` as `step`, with start/finish events around it.
pub fn run_step<T>(
    log: &BuildLog,
    step: Step,
    f: impl FnOnce(&Step) -> Result<T, BuildError>,
) -> Result<T, BuildError> {
    log.note(&format!("step: {step}"));
    log.events()
        .send(BuildEvent::StepStarted { step: step.clone() });
    let start = Instant::now();
    let out = f(&step)?;
    log.events().send(BuildEvent::StepFinished {
        step,
        elapsed: start.elapsed(),
    });
    Ok(out)
}

/// `inv` with the venv at `env` activated: `VIRTUAL_ENV` set, its `bin` first
/// on `PATH`.
pub fn activated(inv: Invocation, env: &Path) -> Invocation {
    let path = std::env::var_os(env_vars::PATH).unwrap_or_default();
    let mut parts = vec![env.join("bin")];
    parts.extend(std::env::split_paths(&path));
    let joined = std::env::join_paths(parts).unwrap_or(path);
    inv.env_remove(env_vars::PYTHONHOME)
        .env(env_vars::VIRTUAL_ENV, env)
        .env(env_vars::PATH, joined)
}

/// The manifest's `kind` and a short summary of one dependency.
pub fn describe(dep: &Dependency) -> (&'static str, String) {
    fn list(items: impl Iterator<Item = String>) -> String {
        let all: Vec<String> = items.collect();
        match all.len() {
            0 => String::new(),
            1..=3 => all.join(" "),
            n => format!("{} … (+{})", all[..2].join(" "), n - 2),
        }
    }
    match dep {
        Dependency::PipReqFile { file } => ("pip_req_file", file.rel.clone()),
        Dependency::CondaEnvFile { file } => ("conda_env_file", file.rel.clone()),
        Dependency::PipPkg { packages } => ("pip_pkg", list(packages.iter().cloned())),
        Dependency::CondaPkg { packages } => ("conda_pkg", list(packages.iter().cloned())),
        Dependency::Wheel { wheels } => ("wheel", list(wheels.iter().map(|w| w.rel.clone()))),
        Dependency::NativeFile { files } => {
            ("native_file", list(files.iter().map(|f| f.src.rel.clone())))
        }
        Dependency::Command { commands } => ("command", list(commands.iter().cloned())),
    }
}
