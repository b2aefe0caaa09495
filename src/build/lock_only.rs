//! `swrt lock`: build the environment in a scratch place under the cache,
//! freeze it, and hand back the lock text, with no bundle and no store change
//! (swcli's `runtime lock`). Like swcli, `files:` and `commands:` are not
//! applied while locking: they do not change what pip sees.

use std::path::{Path, PathBuf};

use tokio_util::sync::CancellationToken;

use crate::paths::Paths;
use crate::spec::Mode;

use super::backend::{BackendKind, VenvBackend};
use super::conda::build::{CONDA_LOCK_REL, CondaBuild};
use super::events::{BuildEvent, EventSink, Step};
use super::lock::VENV_LOCK_REL;
use super::log::{BuildLog, new_build_id};
use super::venv::{ApplyPolicy, VenvBuild, run_step};
use super::{BuildError, SpecInput};

/// What `swrt lock` needs.
#[derive(Debug, Clone)]
pub struct LockRequest {
    pub spec: SpecInput,
    pub backend: Option<BackendKind>,
    pub paths: Paths,
}

/// A computed lock.
#[derive(Debug, Clone)]
pub struct LockOutcome {
    pub name: String,
    /// The spec's directory (where `DIR/.starwhale/lock/...` goes).
    pub spec_dir: PathBuf,
    pub content: String,
    /// Where the lock goes below the spec's directory.
    pub lock_rel: &'static str,
    pub log_path: PathBuf,
}

/// Builds a scratch env and returns its lock. The scratch env is removed
/// afterwards, whatever happens.
pub fn lock(
    req: &LockRequest,
    events: &EventSink,
    cancel: &CancellationToken,
) -> Result<LockOutcome, BuildError> {
    let loaded = req.spec.load(true)?;
    let spec = loaded.spec;
    let build_id = new_build_id();
    let log = BuildLog::create(&req.paths.logs_dir(), &spec.name, &build_id, events.clone())
        .map_err(BuildError::io("creating the build log"))?;
    events.send(BuildEvent::Started {
        name: spec.name.clone(),
        build_id: build_id.clone(),
        log_path: log.path().to_owned(),
    });
    let backend = VenvBackend::select(req.backend, &req.paths.cache)?;
    let scratch_root = req.paths.cache.join("lock");
    std::fs::create_dir_all(&scratch_root).map_err(BuildError::io(format!(
        "creating {}",
        scratch_root.display()
    )))?;
    let scratch = tempfile::Builder::new()
        .prefix(&format!("{}-", spec.name))
        .tempdir_in(&scratch_root)
        .map_err(BuildError::io("creating a scratch directory"))?;
    let env = scratch.path().join("venv");
    let vb = VenvBuild {
        backend: &backend,
        spec: &spec,
        env: &env,
        log: &log,
        cancel,
    };
    let policy = ApplyPolicy {
        run_commands: false,
        copy_files: false,
    };
    let result = (|| {
        run_step(&log, Step::Resolve, |_| Ok(()))?;
        if spec.mode == Mode::Conda {
            let cb = CondaBuild {
                backend: &backend,
                spec: &spec,
                env: &env,
                final_prefix: None,
                cache: &req.paths.cache,
                log: &log,
                cancel,
            };
            let conda_lock = cb.create()?;
            cb.apply_all(policy)?;
            return Ok(cb.lock(&conda_lock)?.yaml);
        }
        vb.create()?;
        vb.apply_all(policy)?;
        vb.freeze()
    })();
    match result {
        Ok(content) => Ok(LockOutcome {
            name: spec.name.clone(),
            lock_rel: match spec.mode {
                Mode::Venv => VENV_LOCK_REL,
                Mode::Conda => CONDA_LOCK_REL,
            },
            spec_dir: spec.source.dir.clone(),
            content,
            log_path: log.path().to_owned(),
        }),
        Err(err) => {
            events.send(err.to_event());
            Err(err)
        }
    }
}

/// Writes the lock to `DIR/<rel>` (`.starwhale/lock/requirements-sw-lock.txt`
/// or `conda-sw-lock.yaml`) atomically; returns the path.
pub fn write_lock(dir: &Path, rel: &str, content: &str) -> Result<PathBuf, BuildError> {
    let path = dir.join(rel);
    let parent = path.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent)
        .map_err(BuildError::io(format!("creating {}", parent.display())))?;
    let mut tmp = tempfile::NamedTempFile::new_in(parent)
        .map_err(BuildError::io(format!("writing {}", path.display())))?;
    std::io::Write::write_all(&mut tmp, content.as_bytes())
        .map_err(BuildError::io(format!("writing {}", path.display())))?;
    // Readable like any file the user writes (tempfile creates 0600).
    std::fs::set_permissions(
        tmp.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .map_err(BuildError::io(format!("writing {}", path.display())))?;
    tmp.persist(&path).map_err(|e| BuildError::Io {
        what: format!("writing {}", path.display()),
        source: e.error,
    })?;
    Ok(path)
}
