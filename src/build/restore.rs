//! `swrt restore` (and `swrt run`'s restore-on-demand): a bundle's
//! environment rebuilt from its lock, into `<workdir>/.../export/<mode>` of a
//! stored version or `DIR/export/<mode>` of an extracted bundle directory.
//!
//! Order, as swcli 0.6.15 with lock files: allowed `commands:` first, then the
//! lock installed exactly (`--no-deps`), then the bundle's wheels (`--no-deps`),
//! then `files:`. Bundles without `environment.lock.files` (swcli builds with
//! the lock disabled) replay the raw dependencies in yaml order instead. When
//! the bundle carries every locked wheel (`--download-all-deps`) the install
//! runs with `--no-index`, so no index is needed at all. Finally the env is
//! frozen and compared with the lock: any difference fails the restore.
//!
//! The env is made beside its final place (`export/.restoring-*/<mode>`,
//! same basename), its `.runtime_restore_status` (swcli's file) reading
//! `restoring` while work is in progress; only a complete, verified env is
//! marked `success`, has its prefix rewritten (`relocate`) and is renamed
//! into place, the previous env moving aside. A failed or interrupted
//! restore thus leaves whatever was there before, and a half-restored env is
//! never found at the final path. starwhale itself is never installed.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use tokio_util::sync::CancellationToken;

use crate::bundle::{self, MANIFEST_FILE, Manifest};
use crate::env_vars;
use crate::paths::Paths;
use crate::spec::resolve::{MachineEnv, find_interpreter, merge_pip_env};
use crate::spec::{PipConfig, PythonVersion};
use crate::store::{RuntimeRef, Store, atomic};

use super::BuildError;
use super::backend::{BackendKind, VenvBackend};
use super::commit::RESTORE_STATUS_FILE;
use super::conda::build::CONDA_LOCK_FILE;
use super::conda::restore as conda_restore;
use super::events::{BuildEvent, EventSink, Step};
use super::files;
use super::lock;
use super::log::{BuildLog, new_build_id};
use super::pipeline::{LOCKED_WHEELS_DIR, SWRT_LOCKED_WHEELS_KEY};
use super::process::{self, Invocation};
use super::relocate;
use super::venv::{activated, run_step};

/// What to restore.
#[derive(Debug, Clone)]
pub enum RestoreTarget {
    /// A stored version (`NAME`, `NAME:TAG`, `NAME:VERSION`, URIs).
    Ref(String),
    /// An extracted bundle directory (holding `_manifest.yaml`).
    Dir(PathBuf),
}

#[derive(Debug, Clone)]
pub struct RestoreRequest {
    pub target: RestoreTarget,
    /// Rebuild the env even when it is usable.
    pub force: bool,
    pub backend: Option<BackendKind>,
    /// `--run-commands`; `SW_RUNTIME_FORCE_RUN_COMMAND=1` and
    /// `SW_CONTAINER=1` also turn it on.
    pub run_commands: bool,
    pub paths: Paths,
}

#[derive(Debug, Clone)]
pub struct RestoreOutcome {
    pub name: String,
    pub version: String,
    /// `local/project/P/runtime/NAME/version/V` for stored versions.
    pub uri: Option<String>,
    pub workdir: PathBuf,
    pub env_path: PathBuf,
    /// False when the env was already usable and nothing was done.
    pub restored: bool,
    /// Whether the install needed no index (the bundle carries all wheels).
    pub offline: bool,
}

/// Whether the env at `env` was restored (or built) completely.
pub fn env_is_usable(env: &Path) -> bool {
    (env.join("pyvenv.cfg").is_file() || env.join("conda-meta").is_dir())
        && fs::read_to_string(env.join(RESTORE_STATUS_FILE)).is_ok_and(|s| s.trim() == "success")
}

/// A target's workdir, its manifest and, for stored versions, who it is.
struct Located {
    workdir: PathBuf,
    manifest: Manifest,
    /// `(name, version, uri)` of a stored version.
    stored: Option<(String, String, String)>,
}

/// Where a target's workdir and env are, extracting a stored bundle when
/// its workdir is missing.
fn locate(req: &RestoreRequest) -> Result<Located, BuildError> {
    match &req.target {
        RestoreTarget::Dir(dir) => {
            let manifest = read_workdir_manifest(dir)?;
            Ok(Located {
                workdir: dir.clone(),
                manifest,
                stored: None,
            })
        }
        RestoreTarget::Ref(text) => {
            let store = Store::open(&req.paths);
            let r = RuntimeRef::parse(text).map_err(store_err)?;
            let resolved = store.resolve(&r).map_err(store_err)?;
            let store = store.for_project(&resolved.project);
            let workdir = store.workdir(&resolved.name, &resolved.version);
            if !workdir.join(MANIFEST_FILE).is_file() || req.force {
                extract_into_store(&store, &resolved.bundle, &workdir, req.force)?;
            }
            let manifest = read_workdir_manifest(&workdir)?;
            Ok(Located {
                workdir,
                manifest,
                stored: Some((
                    resolved.name.clone(),
                    resolved.version.clone(),
                    resolved.uri(),
                )),
            })
        }
    }
}

fn read_workdir_manifest(dir: &Path) -> Result<Manifest, BuildError> {
    let path = dir.join(MANIFEST_FILE);
    let text = fs::read_to_string(&path).map_err(|source| BuildError::NotABundleDir {
        dir: dir.to_owned(),
        source,
    })?;
    Manifest::from_yaml(&text).map_err(|e| BuildError::Other(format!("{}: {e}", path.display())))
}

/// Extracts a stored bundle to its workdir. A workdir that exists is kept
/// when only its env is to be rebuilt (`--force` rebuilds the env, the
/// bundle's files are immutable).
fn extract_into_store(
    store: &Store,
    bundle_path: &Path,
    workdir: &Path,
    force: bool,
) -> Result<(), BuildError> {
    if workdir.join(MANIFEST_FILE).is_file() && force {
        return Ok(());
    }
    let staging = store.staging_dir().map_err(store_err)?;
    let tmp = staging.path().join("workdir");
    bundle::extract(bundle_path, &tmp, false, &bundle::ExtractLimits::default())?;
    let lock = store.lock().map_err(store_err)?;
    if !workdir.join(MANIFEST_FILE).is_file() {
        atomic::remove_path(workdir)
            .map_err(BuildError::io(format!("removing {}", workdir.display())))?;
        atomic::move_into_place(&tmp, workdir)
            .map_err(BuildError::io(format!("moving to {}", workdir.display())))?;
    }
    drop(lock);
    Ok(())
}

/// Restores (or finds usable) the env of a target.
pub fn restore(
    req: &RestoreRequest,
    events: &EventSink,
    cancel: &CancellationToken,
) -> Result<RestoreOutcome, BuildError> {
    let result = restore_inner(req, events, cancel);
    if let Err(err) = &result {
        events.send(err.to_event());
    }
    result
}

fn restore_inner(
    req: &RestoreRequest,
    events: &EventSink,
    cancel: &CancellationToken,
) -> Result<RestoreOutcome, BuildError> {
    let Located {
        workdir,
        manifest,
        stored,
    } = locate(req)?;
    let mode = if manifest.mode().is_empty() {
        "venv"
    } else {
        manifest.mode()
    };
    if mode != "venv" && mode != "conda" {
        return Err(BuildError::UnsupportedMode {
            mode: mode.to_owned(),
        });
    }
    let (name, version, uri) = match stored {
        Some((n, v, u)) => (n, v, Some(u)),
        None => (
            workdir
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "bundle".to_owned()),
            manifest.version.clone(),
            None,
        ),
    };
    let env = workdir.join("export").join(mode);
    let locked_wheels = locked_wheels(&manifest);
    let offline = !locked_wheels.is_empty();
    let outcome = |restored| RestoreOutcome {
        name: name.clone(),
        version: version.clone(),
        uri: uri.clone(),
        workdir: workdir.clone(),
        env_path: env.clone(),
        restored,
        offline,
    };
    if !req.force && env_is_usable(&env) {
        events.send(BuildEvent::UpToDate {
            name: name.clone(),
            version: version.clone(),
        });
        return Ok(outcome(false));
    }
    let log_name = name.clone();
    let build_id = new_build_id();
    let log = BuildLog::create(
        &req.paths.logs_dir(),
        &log_name,
        &format!("restore-{build_id}"),
        events.clone(),
    )
    .map_err(BuildError::io("creating the restore log"))?;
    events.send(BuildEvent::Started {
        name: name.clone(),
        build_id,
        log_path: log.path().to_owned(),
    });

    let python: PythonVersion = manifest.environment.python.parse().map_err(|e: String| {
        BuildError::Other(format!("environment.python in the manifest: {e}"))
    })?;
    // A conda prefix brings its own Python.
    let interpreter = if mode == "conda" {
        None
    } else {
        Some(
            find_interpreter(python).map_err(|_| BuildError::NoInterpreter {
                python: python.to_string(),
            })?,
        )
    };
    let backend = VenvBackend::select(req.backend, &req.paths.cache)?;
    let run_commands = req.run_commands
        || env_vars::flag(env_vars::SW_RUNTIME_FORCE_RUN_COMMAND)
        || env_vars::flag(env_vars::SW_CONTAINER);

    // The env is made beside its final place and swapped in only when
    // complete and verified: a failed or interrupted restore leaves the
    // previous env (if any) untouched.
    let export = env.parent().unwrap_or(&workdir).to_owned();
    fs::create_dir_all(&export)
        .map_err(BuildError::io(format!("creating {}", export.display())))?;
    let scratch = tempfile::Builder::new()
        .prefix(".restoring-")
        .tempdir_in(&export)
        .map_err(BuildError::io(
            "creating a scratch directory for the restore",
        ))?;
    let tmp_env = scratch.path().join(mode);
    let ctx = RestoreCtx {
        backend: &backend,
        env: &tmp_env,
        workdir: &workdir,
        log: &log,
        cancel,
        pip_args: pip_args(&manifest, &workdir, &locked_wheels),
        run_commands,
    };
    run_step(&log, Step::CreateEnv, |step| {
        fs::create_dir_all(&tmp_env)
            .map_err(BuildError::io(format!("creating {}", tmp_env.display())))?;
        mark(&tmp_env, "restoring")?;
        match &interpreter {
            Some(interp) => ctx.run(step, &backend.create_env_in_place(&interp.path, &tmp_env)),
            None => conda_restore::CondaRestore {
                env: &tmp_env,
                final_prefix: &env,
                cache: &req.paths.cache,
                log: &log,
                cancel,
            }
            .install_packages(&manifest),
        }
    })?;
    ctx.install_all(&manifest)?;
    if let Some(lock_text) = lock_text(&workdir, &manifest) {
        run_step(&log, Step::Verify, |step| {
            let out = ctx.run_capture(step, &backend.freeze(&tmp_env))?;
            let diff = lock::diff(&lock_text, &out.join("\n"));
            if diff.is_empty() {
                Ok(())
            } else {
                Err(BuildError::LockMismatch {
                    missing: diff.missing,
                    extra: diff.extra,
                })
            }
        })?;
    }
    if cancel.is_cancelled() {
        return Err(BuildError::Cancelled);
    }
    mark(&tmp_env, "success")?;
    relocate::fix_prefix(&tmp_env, &tmp_env, &env)
        .map_err(BuildError::io(format!("relocating {}", tmp_env.display())))?;
    if env.exists() {
        let old = scratch.path().join("previous");
        fs::rename(&env, &old)
            .map_err(BuildError::io(format!("moving aside {}", env.display())))?;
    }
    fs::rename(&tmp_env, &env).map_err(BuildError::io(format!("moving into {}", env.display())))?;
    drop(scratch);
    events.send(BuildEvent::Done {
        name: name.clone(),
        version: version.clone(),
        tags: Vec::new(),
    });
    Ok(outcome(true))
}

fn mark(env: &Path, status: &str) -> Result<(), BuildError> {
    atomic::write_file(&env.join(RESTORE_STATUS_FILE), status.as_bytes())
        .map_err(BuildError::io("writing the restore status"))
}

/// The `swrt:` record of wheels the bundle carries for every locked package.
fn locked_wheels(manifest: &Manifest) -> Vec<String> {
    manifest
        .swrt
        .as_ref()
        .and_then(|s| s.extra.get(SWRT_LOCKED_WHEELS_KEY))
        .and_then(|v| v.as_sequence())
        .map(|seq| {
            seq.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The venv lock file of a workdir, when the manifest names one.
fn lock_path(workdir: &Path, manifest: &Manifest) -> Option<PathBuf> {
    manifest
        .lock_members()
        .into_iter()
        .filter(|m| m.ends_with(lock::VENV_LOCK_FILE) || m.ends_with(CONDA_LOCK_FILE))
        .map(|m| workdir.join(m))
        .find(|p| p.is_file())
}

fn lock_text(workdir: &Path, manifest: &Manifest) -> Option<String> {
    let path = lock_path(workdir, manifest)?;
    let text = fs::read_to_string(&path).ok()?;
    // What pip installed: a conda lock's `pip:` section.
    conda_restore::pip_lock_text(&path, &text)
}

/// Index options for every install: the manifest's pip configs with the
/// `SW_PYPI_*` overrides, or `--no-index` when the bundle carries every
/// locked wheel; plus `--find-links` to each bundle folder holding wheels.
fn pip_args(manifest: &Manifest, workdir: &Path, locked: &[String]) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    if locked.is_empty() {
        let pip = &manifest.configs.pip;
        let config = PipConfig {
            index_url: Some(pip.index_url.clone()).filter(|s| !s.trim().is_empty()),
            extra_index_url: pip.extra_index_url.clone(),
            trusted_host: pip.trusted_host.clone(),
        };
        let merged = merge_pip_env(&config, &MachineEnv::from_process());
        args.extend(merged.to_args().into_iter().map(OsString::from));
    } else {
        args.push("--no-index".into());
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    if !locked.is_empty() {
        dirs.push(workdir.join(LOCKED_WHEELS_DIR));
    }
    for w in &manifest.artifacts.wheels {
        if let Some(parent) = workdir.join(w).parent()
            && !dirs.iter().any(|d| d == parent)
        {
            dirs.push(parent.to_owned());
        }
    }
    for d in dirs {
        args.push("--find-links".into());
        args.push(d.into());
    }
    args
}

struct RestoreCtx<'a> {
    backend: &'a VenvBackend,
    env: &'a Path,
    workdir: &'a Path,
    log: &'a BuildLog,
    cancel: &'a CancellationToken,
    pip_args: Vec<OsString>,
    run_commands: bool,
}

impl RestoreCtx<'_> {
    fn run(&self, step: &Step, inv: &Invocation) -> Result<(), BuildError> {
        self.run_capture(step, inv).map(drop)
    }

    fn run_capture(&self, step: &Step, inv: &Invocation) -> Result<Vec<String>, BuildError> {
        process::run(inv, self.log, self.cancel)
            .map(|c| c.stdout)
            .map_err(|e| BuildError::from_process(step, e))
    }

    fn install(&self, step: &Step, extra: Vec<OsString>) -> Result<(), BuildError> {
        let mut args = self.pip_args.clone();
        args.extend(extra);
        let inv = self.backend.install(self.env, &args).cwd(self.workdir);
        self.run(step, &inv)
    }

    fn skip(&self, reason: String) {
        self.log.note(&format!("skipped: {reason}"));
        self.log.events().send(BuildEvent::Skipped { reason });
    }

    fn install_all(&self, manifest: &Manifest) -> Result<(), BuildError> {
        let raw = &manifest.dependencies.raw_deps;
        let lock = lock_path(self.workdir, manifest);
        let steps: Vec<(usize, &bundle::manifest::RawDep)> = match &lock {
            // With a lock: commands, then the lock, then wheels and files.
            Some(_) => {
                let mut v: Vec<_> = raw
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| d.kind == "command")
                    .collect();
                v.extend(
                    raw.iter()
                        .enumerate()
                        .filter(|(_, d)| d.kind == "wheel" || d.kind == "native_file"),
                );
                v
            }
            None => raw.iter().enumerate().collect(),
        };
        let mut lock_done = false;
        for (index, dep) in steps {
            if self.cancel.is_cancelled() {
                return Err(BuildError::Cancelled);
            }
            if let Some(lock) = &lock
                && !lock_done
                && dep.kind != "command"
            {
                self.install_lock(lock)?;
                lock_done = true;
            }
            let step = Step::Dependency {
                index,
                kind: dep.kind.clone(),
                detail: String::new(),
            };
            run_step(self.log, step, |step| self.apply(step, dep))?;
        }
        if let Some(lock) = &lock
            && !lock_done
        {
            self.install_lock(lock)?;
        }
        Ok(())
    }

    fn install_lock(&self, lock_file: &Path) -> Result<(), BuildError> {
        run_step(self.log, Step::InstallLock, |step| {
            let text = fs::read_to_string(lock_file)
                .map_err(BuildError::io(format!("reading {}", lock_file.display())))?;
            // A conda lock's `pip:` section, as a requirements file.
            let conda_pip = conda_restore::pip_requirements_file(lock_file, &text)?;
            let lock_file = conda_pip.as_deref().unwrap_or(lock_file);
            let text = fs::read_to_string(lock_file)
                .map_err(BuildError::io(format!("reading {}", lock_file.display())))?;
            if lock::requirements(&text).is_empty() {
                self.log.note("the lock is empty");
                return Ok(());
            }
            self.install(
                step,
                vec!["--no-deps".into(), "-r".into(), lock_file.into()],
            )
        })
    }

    fn apply(&self, step: &Step, dep: &bundle::manifest::RawDep) -> Result<(), BuildError> {
        let strings = || -> Vec<String> {
            match &dep.deps {
                serde_yaml::Value::String(s) => vec![s.clone()],
                serde_yaml::Value::Sequence(seq) => seq
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            }
        };
        match dep.kind.as_str() {
            "pip_req_file" => {
                for f in strings() {
                    let path = self.workdir.join("dependencies").join(&f);
                    self.install(step, vec!["-r".into(), path.into()])?;
                }
                Ok(())
            }
            "pip_pkg" => {
                for pkg in strings().iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                    self.install(step, vec![pkg.into()])?;
                }
                Ok(())
            }
            "wheel" => {
                for w in strings() {
                    let path = self.workdir.join("wheels").join(w.trim_start_matches('/'));
                    self.install(step, vec!["--no-deps".into(), path.into()])?;
                }
                Ok(())
            }
            "native_file" => {
                let Some(entries) = dep.deps.as_sequence() else {
                    return Ok(());
                };
                for entry in entries {
                    let (Some(src), Some(dest)) = (
                        entry.get("src").and_then(|v| v.as_str()),
                        entry.get("dest").and_then(|v| v.as_str()),
                    ) else {
                        continue;
                    };
                    let from =
                        files::confined(&self.workdir.join("files"), src).map_err(|source| {
                            BuildError::Files {
                                step: Box::new(step.clone()),
                                source,
                            }
                        })?;
                    let to =
                        files::confined(self.env, dest).map_err(|source| BuildError::Files {
                            step: Box::new(step.clone()),
                            source,
                        })?;
                    self.log
                        .note(&format!("copy files/{src} -> {}", to.display()));
                    files::copy_tree(&from, &to).map_err(|source| BuildError::Files {
                        step: Box::new(step.clone()),
                        source,
                    })?;
                }
                Ok(())
            }
            "command" => {
                for cmd in strings() {
                    if self.run_commands {
                        let inv = activated(Invocation::new("sh").arg("-c").arg(&cmd), self.env)
                            .cwd(self.workdir);
                        self.run(step, &inv)?;
                    } else {
                        self.skip(format!(
                            "command `{cmd}` not run: pass --run-commands or set {}=1",
                            env_vars::SW_RUNTIME_FORCE_RUN_COMMAND
                        ));
                    }
                }
                Ok(())
            }
            other => {
                self.skip(format!("`{other}` dependency ignored in a venv runtime"));
                Ok(())
            }
        }
    }
}

fn store_err(e: crate::store::StoreError) -> BuildError {
    BuildError::Store(Box::new(e))
}
