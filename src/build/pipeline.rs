//! `swrt build`: load → validate → resolve → fingerprint → (skip when this
//! fingerprint is already built) → fresh env in a staging dir → dependencies
//! in yaml order → lock → bundle → move bundle and env into the store → tag →
//! bump the store generation.
//!
//! Staging is a `Store::staging_dir` (under `<root>/.swrt/tmp/`, the same
//! file system as the store, so every move is a rename):
//!
//! ```text
//! venv/     the environment being built
//! tree/     the bundle's members, staged by `bundle::builder`; becomes the
//!           extracted workdir `<workdir>/<name>/<vv>/<version>/`
//! out/      the written `.swrt`, moved to `<runtime>/<name>/<vv>/`
//! wheels/   `--download-all-deps` downloads
//! ```
//!
//! The venv is renamed to `<workdir>/<name>/<vv>/<version>/export/venv` and
//! its recorded prefix rewritten (see `relocate`). Any failure or cancellation
//! removes the staging dir before returning, so the store is exactly as
//! before; only the build log stays. Two builds of one runtime serialise on
//! `<root>/.swrt/build-locks/<name>.lock`.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use crate::bundle::builder::{BundleInputs, MemberSource, stage_and_write};
use crate::env_vars;
use crate::paths::Paths;
use crate::spec::{Dependency, Diagnostic, Mode, ResolvedSpec};
use crate::store::{Store, StoreLock};

use super::backend::{BackendKind, VenvBackend, env_python};
use super::commit::{self, Committed};
use super::conda::build::{CONDA_PACKAGES_KEY, CondaBuild, relink as conda_relink};
use super::events::{BuildEvent, EventSink, Step};
use super::log::{BuildLog, new_build_id};
use super::process::{self, Invocation};
use super::relocate;
use super::venv::{ApplyPolicy, VenvBuild, run_step};
use super::{BuildError, SpecInput};

/// Where locked wheels go in a bundle built with `--download-all-deps`.
pub const LOCKED_WHEELS_DIR: &str = "wheels/locked";
/// `swrt:` manifest key listing the locked wheels carried by the bundle.
pub const SWRT_LOCKED_WHEELS_KEY: &str = "locked_wheels";

/// Everything a build needs to know.
#[derive(Debug, Clone)]
pub struct BuildRequest {
    pub spec: SpecInput,
    /// `-t` tags, on top of `vN` and `latest`.
    pub tags: Vec<String>,
    /// Build even when this fingerprint was built before.
    pub no_cache: bool,
    /// `--backend`; `None` picks uv when found.
    pub backend: Option<BackendKind>,
    /// Put every locked wheel into the bundle.
    pub download_all_deps: bool,
    /// `--run-commands`; `SW_RUNTIME_FORCE_RUN_COMMAND=1` also turns it on.
    pub run_commands: bool,
    /// Fail instead of waiting when another build of the runtime runs.
    pub no_wait: bool,
    pub paths: Paths,
}

/// What a successful build produced (or found already built).
#[derive(Debug, Clone)]
pub struct BuildOutcome {
    pub name: String,
    pub version: String,
    /// Every tag the version has now.
    pub tags: Vec<String>,
    /// True when nothing was built because the fingerprint was current.
    pub up_to_date: bool,
    pub bundle_path: PathBuf,
    /// The environment (`.../export/venv`).
    pub env_path: PathBuf,
    pub log_path: Option<PathBuf>,
    /// The build key: the spec fingerprint plus the options that change
    /// the result.
    pub fingerprint: String,
    /// Spec warnings, for the caller to show.
    pub warnings: Vec<Diagnostic>,
    /// The runtime.yaml's text, for snippets in those warnings.
    pub source_text: String,
}

/// Runs a build. Sends `BuildEvent`s to `events`; `cancel` stops it (the
/// running child's process group is killed and staging removed).
pub fn build(
    req: &BuildRequest,
    events: &EventSink,
    cancel: &CancellationToken,
) -> Result<BuildOutcome, BuildError> {
    let result = build_inner(req, events, cancel);
    if let Err(err) = &result {
        events.send(err.to_event());
    }
    result
}

/// The unchanged-inputs check, done before anything costly: the spec is
/// loaded without the interpreter search (the fingerprint does not depend on
/// where the interpreter lives) and nothing is written, not even a log.
/// `None` means "build": any problem is left to the full path, which reports
/// it properly.
fn up_to_date(req: &BuildRequest, events: &EventSink) -> Option<BuildOutcome> {
    let loaded = req.spec.load(false).ok()?;
    let spec = loaded.spec;
    let run_commands = req.run_commands || env_vars::flag(env_vars::SW_RUNTIME_FORCE_RUN_COMMAND);
    let backend_name = match spec.mode {
        Mode::Venv => VenvBackend::select(req.backend, &req.paths.cache)
            .ok()?
            .kind()
            .as_str(),
        Mode::Conda => "conda",
    };
    let key = build_key(&spec, backend_name, req.download_all_deps, run_commands);
    let store = Store::open(&req.paths);
    let found = commit::already_built(&store, &spec.name, &key, spec.mode.as_str())?;
    if !found.bundle_path.is_file() {
        return None;
    }
    events.send(BuildEvent::UpToDate {
        name: spec.name.clone(),
        version: found.version.clone(),
    });
    Some(BuildOutcome {
        name: spec.name,
        version: found.version,
        tags: found.tags,
        up_to_date: true,
        bundle_path: found.bundle_path,
        env_path: found.env_path,
        log_path: None,
        fingerprint: key,
        warnings: loaded.warnings,
        source_text: loaded.source_text,
    })
}

fn build_inner(
    req: &BuildRequest,
    events: &EventSink,
    cancel: &CancellationToken,
) -> Result<BuildOutcome, BuildError> {
    if !req.no_cache
        && commit::check_tags(&req.tags).is_ok()
        && let Some(outcome) = up_to_date(req, events)
    {
        return Ok(outcome);
    }
    let loaded = req.spec.load(true)?;
    let spec = loaded.spec;
    commit::check_tags(&req.tags)?;
    let run_commands = req.run_commands || env_vars::flag(env_vars::SW_RUNTIME_FORCE_RUN_COMMAND);
    // pip items run through this backend in both modes (in conda mode with
    // the prefix's own Python); the env itself is made per mode below.
    let backend = VenvBackend::select(req.backend, &req.paths.cache)?;
    let backend_name = match spec.mode {
        Mode::Venv => backend.kind().as_str(),
        Mode::Conda => "conda",
    };
    if spec.mode == Mode::Venv && spec.interpreter.is_none() {
        return Err(BuildError::NoInterpreter {
            python: spec.environment.python.to_string(),
        });
    }
    let key = build_key(&spec, backend_name, req.download_all_deps, run_commands);

    let build_id = new_build_id();
    let log = BuildLog::create(&req.paths.logs_dir(), &spec.name, &build_id, events.clone())
        .map_err(BuildError::io("creating the build log"))?;
    events.send(BuildEvent::Started {
        name: spec.name.clone(),
        build_id: build_id.clone(),
        log_path: log.path().to_owned(),
    });
    run_step(&log, Step::Resolve, |_| {
        log.note(&format!("spec {}", spec.source.path.display()));
        log.note(&format!("fingerprint {key}"));
        log.note(&format!("backend {backend_name}"));
        Ok(())
    })?;

    let _guard = acquire_build_lock(&req.paths, &spec.name, req.no_wait, &log, cancel)?;

    let store = Store::open(&req.paths);
    let mode = spec.mode.as_str();
    if !req.no_cache
        && let Some(found) = commit::already_built(&store, &spec.name, &key, mode)
    {
        log.note(&format!("up to date: {}:{}", spec.name, found.version));
        events.send(BuildEvent::UpToDate {
            name: spec.name.clone(),
            version: found.version.clone(),
        });
        return Ok(BuildOutcome {
            name: spec.name.clone(),
            version: found.version,
            tags: found.tags,
            up_to_date: true,
            bundle_path: found.bundle_path,
            env_path: found.env_path,
            log_path: Some(log.path().to_owned()),
            fingerprint: key,
            warnings: loaded.warnings,
            source_text: loaded.source_text,
        });
    }

    // Removed when dropped: on every early return the store stays as it was.
    let staging = store
        .staging_dir()
        .map_err(|e| BuildError::Store(Box::new(e)))?;
    // The env's basename is its mode, as at its final place.
    let env = staging.path().join(mode);
    let vb = VenvBuild {
        backend: &backend,
        spec: &spec,
        env: &env,
        log: &log,
        cancel,
    };
    let policy = ApplyPolicy {
        run_commands,
        copy_files: true,
    };
    let mut swrt_extra = std::collections::BTreeMap::new();
    let lock_text = match spec.mode {
        Mode::Venv => {
            vb.create()?;
            vb.apply_all(policy)?;
            vb.freeze()?
        }
        Mode::Conda => {
            let cb = conda_build(&vb, &req.paths.cache);
            let solved = cb.create()?;
            cb.apply_all(policy)?;
            let out = cb.lock(&solved)?;
            let packages = serde_yaml::to_value(&out.packages)
                .map_err(|e| BuildError::Other(format!("recording conda packages: {e}")))?;
            swrt_extra.insert(CONDA_PACKAGES_KEY.to_owned(), packages);
            out.yaml
        }
    };
    if cancel.is_cancelled() {
        return Err(BuildError::Cancelled);
    }

    let mut inputs = BundleInputs::new(&spec, &lock_text, backend_name);
    inputs.swrt_extra = swrt_extra;
    inputs.swrt_extra.insert(
        "build_key".to_owned(),
        serde_yaml::Value::String(key.clone()),
    );
    if req.download_all_deps && spec.mode == Mode::Venv {
        let wheels = run_step(&log, Step::DownloadWheels, |step| {
            download_locked_wheels(&vb, step, &lock_text, &staging.path().join("wheels"))
        })?;
        let names: Vec<serde_yaml::Value> = wheels
            .iter()
            .map(|(name, _)| serde_yaml::Value::String(format!("{LOCKED_WHEELS_DIR}/{name}")))
            .collect();
        inputs.swrt_extra.insert(
            SWRT_LOCKED_WHEELS_KEY.to_owned(),
            serde_yaml::Value::Sequence(names),
        );
        for (name, path) in wheels {
            inputs.extra_members.push((
                format!("{LOCKED_WHEELS_DIR}/{name}"),
                MemberSource::File(path),
            ));
        }
    }
    let tree = staging.path().join("tree");
    let out = staging.path().join("out");
    let written = run_step(&log, Step::Bundle, |_| {
        stage_and_write(&inputs, &tree, &out).map_err(BuildError::from)
    })?;
    log.note(&format!("version {}", written.version));
    if cancel.is_cancelled() {
        return Err(BuildError::Cancelled);
    }

    let committed: Committed = run_step(&log, Step::Commit, |_| {
        commit::commit(commit::CommitInput {
            store: &store,
            name: &spec.name,
            mode,
            manifest: &written.manifest,
            bundle: &written.path,
            tree: &tree,
            env: &env,
            relink: &|staged: &Path, final_env: &Path| match spec.mode {
                Mode::Venv => relocate::fix_prefix(staged, &env, final_env)
                    .map_err(BuildError::io(format!("relocating {}", staged.display()))),
                Mode::Conda => {
                    conda_relink(&spec, staged, final_env, &req.paths.cache, &log, cancel)
                }
            },
            user_tags: &req.tags,
            key: &key,
        })
    })?;
    drop(staging);
    let _ = log.link_version(&committed.version);
    events.send(BuildEvent::Done {
        name: spec.name.clone(),
        version: committed.version.clone(),
        tags: committed.tags.clone(),
    });
    Ok(BuildOutcome {
        name: spec.name.clone(),
        version: committed.version,
        tags: committed.tags,
        up_to_date: false,
        bundle_path: committed.bundle_path,
        env_path: committed.env_path,
        log_path: Some(log.path().to_owned()),
        fingerprint: key,
        warnings: loaded.warnings,
        source_text: loaded.source_text,
    })
}

/// The conda prefix builder over the same spec, staging path, log and
/// cancellation as the venv one.
fn conda_build<'a>(vb: &VenvBuild<'a>, cache: &'a Path) -> CondaBuild<'a> {
    CondaBuild {
        backend: vb.backend,
        spec: vb.spec,
        env: vb.env,
        final_prefix: None,
        cache,
        log: vb.log,
        cancel: vb.cancel,
    }
}

/// The spec's fingerprint plus everything else that changes the result:
/// the name (`-n`), the backend, `--download-all-deps`, whether commands
/// ran, and swrt's version (it writes the lock header).
pub fn build_key(
    spec: &ResolvedSpec,
    backend: &str,
    download_all_deps: bool,
    run_commands: bool,
) -> String {
    let mut h = Sha256::new();
    for part in [
        spec.fingerprint.as_str(),
        spec.name.as_str(),
        backend,
        if download_all_deps { "all-deps" } else { "-" },
        if run_commands { "commands" } else { "-" },
        crate::VERSION,
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    crate::bundle::digest::hex(&h.finalize())
}

/// Held for the whole build of one runtime (released on drop).
struct BuildGuard {
    _lock: StoreLock,
}

fn acquire_build_lock(
    paths: &Paths,
    name: &str,
    no_wait: bool,
    log: &BuildLog,
    cancel: &CancellationToken,
) -> Result<BuildGuard, BuildError> {
    let path = paths
        .state_dir()
        .join("build-locks")
        .join(format!("{name}.lock"));
    let try_lock = || {
        StoreLock::try_acquire(&path).map_err(BuildError::io(format!("locking {}", path.display())))
    };
    if let Some(lock) = try_lock()? {
        return Ok(BuildGuard { _lock: lock });
    }
    if no_wait {
        return Err(BuildError::Busy {
            name: name.to_owned(),
        });
    }
    // Poll rather than block in flock so that Ctrl-C still works.
    let lock = run_step(log, Step::WaitLock, |_| {
        log.note(&format!("another build of {name} is running; waiting"));
        loop {
            if cancel.is_cancelled() {
                return Err(BuildError::Cancelled);
            }
            if let Some(lock) = try_lock()? {
                return Ok(lock);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    })?;
    Ok(BuildGuard { _lock: lock })
}

/// `pip download` of every locked requirement into `dest`, offline-capable
/// when the spec's requirements files point `--find-links` at local wheels.
/// Returns `(file name, path)` pairs sorted by name.
fn download_locked_wheels(
    vb: &VenvBuild<'_>,
    step: &Step,
    lock_text: &str,
    dest: &Path,
) -> Result<Vec<(String, PathBuf)>, BuildError> {
    fs::create_dir_all(dest).map_err(BuildError::io(format!("creating {}", dest.display())))?;
    let reqs: Vec<&str> = lock_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('-'))
        .collect();
    if reqs.is_empty() {
        return Ok(Vec::new());
    }
    let lock_file = dest.with_file_name("lock-for-download.txt");
    fs::write(&lock_file, lock_text)
        .map_err(BuildError::io(format!("writing {}", lock_file.display())))?;
    // The env has pip with the pip backend; uv envs have none, so the
    // interpreter the env was made from does the download (same Python, same
    // tags).
    let env_pip = vb.env.join("bin").join("pip");
    let python = if env_pip.exists() {
        env_python(vb.env)
    } else {
        vb.spec
            .interpreter
            .as_ref()
            .map(|i| i.path.clone())
            .unwrap_or_else(|| env_python(vb.env))
    };
    let mut args: Vec<OsString> = vec![
        "-m".into(),
        "pip".into(),
        "download".into(),
        "--no-deps".into(),
        "--only-binary".into(),
        ":all:".into(),
        "--dest".into(),
        dest.into(),
        "-r".into(),
        lock_file.clone().into(),
    ];
    args.extend(
        vb.spec
            .configs
            .pip
            .to_args()
            .into_iter()
            .map(OsString::from),
    );
    args.extend(requirement_file_options(vb.spec));
    let inv = Invocation::new(&python)
        .args(args)
        .cwd(&vb.spec.source.dir)
        .env(env_vars::PIP_DISABLE_PIP_VERSION_CHECK, "1")
        .env(env_vars::PIP_NO_INPUT, "1")
        .env_remove(env_vars::VIRTUAL_ENV);
    process::run(&inv, vb.log, vb.cancel).map_err(|e| BuildError::from_process(step, e))?;
    let mut out = Vec::new();
    for entry in
        fs::read_dir(dest).map_err(BuildError::io(format!("reading {}", dest.display())))?
    {
        let entry = entry.map_err(BuildError::io(format!("reading {}", dest.display())))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".whl") {
            out.push((name, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// The index options (`--find-links`, `--no-index`, `--index-url`, ...) found
/// in the spec's requirements files, relative links made absolute against
/// the file's directory, so a download sees what the install saw.
fn requirement_file_options(spec: &ResolvedSpec) -> Vec<OsString> {
    let mut out = Vec::new();
    for dep in &spec.dependencies {
        let Dependency::PipReqFile { file } = dep else {
            continue;
        };
        let Ok(text) = fs::read_to_string(&file.path) else {
            continue;
        };
        let base = file.path.parent().unwrap_or(Path::new("."));
        for line in text.lines() {
            let line = line.split(" #").next().unwrap_or("").trim();
            if !line.starts_with('-') {
                continue;
            }
            let Some(words) = shlex::split(line) else {
                continue;
            };
            let mut words = words.into_iter();
            let Some(first) = words.next() else { continue };
            let (opt, inline) = match first.split_once('=') {
                Some((o, v)) => (o.to_owned(), Some(v.to_owned())),
                None => (first, None),
            };
            let value = inline.or_else(|| words.next());
            match (opt.as_str(), value) {
                ("--no-index", _) => out.push("--no-index".into()),
                ("-f" | "--find-links", Some(v)) => {
                    let p = Path::new(&v);
                    let v = if !v.contains("://") && p.is_relative() {
                        base.join(p).into_os_string()
                    } else {
                        v.into()
                    };
                    out.push("--find-links".into());
                    out.push(v);
                }
                ("-i" | "--index-url", Some(v)) => {
                    out.push("--index-url".into());
                    out.push(v.into());
                }
                ("--extra-index-url", Some(v)) => {
                    out.push("--extra-index-url".into());
                    out.push(v.into());
                }
                ("--trusted-host", Some(v)) => {
                    out.push("--trusted-host".into());
                    out.push(v.into());
                }
                _ => {}
            }
        }
    }
    out
}
