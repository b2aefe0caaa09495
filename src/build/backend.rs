//! How a venv is made and filled: `uv` (`uv venv`, `uv pip install`,
//! `uv pip freeze`) or the interpreter's own `venv` module and pip.
//!
//! Backends only build `Invocation`s; running them is `process`'s job and
//! deciding what to install is the pipeline's. The conda mode is a separate
//! environment kind (`build::conda`), not a variant here.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::env_vars;

use super::process::Invocation;

/// The `--backend` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Uv,
    Pip,
}

impl BackendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Uv => "uv",
            BackendKind::Pip => "pip",
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BackendKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "uv" => Ok(BackendKind::Uv),
            "pip" => Ok(BackendKind::Pip),
            other => Err(format!("unknown backend `{other}` (expected uv or pip)")),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("the uv backend was requested but no uv executable was found")]
    UvMissing { searched: String },
}

/// A selected venv backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VenvBackend {
    /// `uv` at this path, with its cache under swrt's cache dir so that
    /// every build (and `swrt lock`) reuses downloads and unpacked wheels.
    Uv { uv: PathBuf, cache_dir: PathBuf },
    /// `<interpreter> -m venv` and `<env>/bin/python -m pip`.
    Pip,
}

impl VenvBackend {
    /// uv when `SWRT_UV` names it or `uv` is on PATH, else pip; `forced`
    /// overrides (and `--backend uv` without uv is an error).
    pub fn select(forced: Option<BackendKind>, cache: &Path) -> Result<VenvBackend, BackendError> {
        let uv = find_uv();
        match (forced, uv) {
            (Some(BackendKind::Pip), _) => Ok(VenvBackend::Pip),
            (_, Some(uv)) => Ok(VenvBackend::Uv {
                uv,
                cache_dir: cache.join("uv"),
            }),
            (Some(BackendKind::Uv), None) => Err(BackendError::UvMissing {
                searched: match env_vars::get(env_vars::SWRT_UV) {
                    Some(v) => format!("{} ({v}) and PATH", env_vars::SWRT_UV),
                    None => "PATH".to_owned(),
                },
            }),
            (None, None) => Ok(VenvBackend::Pip),
        }
    }

    pub fn kind(&self) -> BackendKind {
        match self {
            VenvBackend::Uv { .. } => BackendKind::Uv,
            VenvBackend::Pip => BackendKind::Pip,
        }
    }

    /// Creates a fresh venv at `dir` with `interpreter`.
    pub fn create_env(&self, interpreter: &Path, dir: &Path) -> Invocation {
        match self {
            VenvBackend::Uv { uv, cache_dir } => quiet_env(Invocation::new(uv))
                .env(env_vars::UV_CACHE_DIR, cache_dir)
                .arg("venv")
                .arg("--no-project")
                .arg("--python")
                .arg(interpreter)
                .arg(dir),
            VenvBackend::Pip => quiet_env(Invocation::new(interpreter))
                .args(["-m", "venv"])
                .arg(dir),
        }
    }

    /// Like `create_env`, into a directory that already exists (it holds
    /// the restore status file, written first so that a half-made env is
    /// never taken for a usable one).
    pub fn create_env_in_place(&self, interpreter: &Path, dir: &Path) -> Invocation {
        match self {
            VenvBackend::Uv { uv, cache_dir } => quiet_env(Invocation::new(uv))
                .env(env_vars::UV_CACHE_DIR, cache_dir)
                .arg("venv")
                .arg("--no-project")
                .arg("--allow-existing")
                .arg("--python")
                .arg(interpreter)
                .arg(dir),
            VenvBackend::Pip => self.create_env(interpreter, dir),
        }
    }

    /// `pip install <args>` into the venv at `env`. `args` are what follows
    /// `install` (options, `-r file`, requirements, wheel paths).
    pub fn install(&self, env: &Path, args: &[OsString]) -> Invocation {
        match self {
            VenvBackend::Uv { uv, cache_dir } => quiet_env(Invocation::new(uv))
                .env(env_vars::UV_CACHE_DIR, cache_dir)
                .args(["pip", "install", "--python"])
                .arg(env_python(env))
                .args(args),
            VenvBackend::Pip => quiet_env(Invocation::new(env_python(env)))
                .args(["-m", "pip", "install", "--exists-action", "w"])
                // .pyc files would carry the staging path of the env.
                .arg("--no-compile")
                .args(args),
        }
    }

    /// Lists what is installed in `env`, one `name==version` line each.
    pub fn freeze(&self, env: &Path) -> Invocation {
        match self {
            VenvBackend::Uv { uv, cache_dir } => quiet_env(Invocation::new(uv))
                .env(env_vars::UV_CACHE_DIR, cache_dir)
                .args(["pip", "freeze", "--exclude-editable", "--python"])
                .arg(env_python(env)),
            VenvBackend::Pip => quiet_env(Invocation::new(env_python(env))).args([
                "-m",
                "pip",
                "freeze",
                "--exclude-editable",
            ]),
        }
    }
}

/// The python of a venv.
pub fn env_python(env: &Path) -> PathBuf {
    env.join("bin").join("python")
}

/// Keeps an outer activated environment and interactive prompts out of the
/// child: swrt always names the target env explicitly.
fn quiet_env(inv: Invocation) -> Invocation {
    inv.env_remove(env_vars::VIRTUAL_ENV)
        .env_remove(env_vars::CONDA_PREFIX)
        .env_remove(env_vars::PYTHONHOME)
        .env(env_vars::PIP_DISABLE_PIP_VERSION_CHECK, "1")
        .env(env_vars::PIP_NO_INPUT, "1")
        .env(env_vars::PYTHONDONTWRITEBYTECODE, "1")
}

fn find_uv() -> Option<PathBuf> {
    if let Some(named) = env_vars::get(env_vars::SWRT_UV) {
        let path = PathBuf::from(&named);
        if path.is_absolute() {
            return path.is_file().then_some(path);
        }
        return which::which(named).ok();
    }
    which::which("uv").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_backend_commands() {
        let b = VenvBackend::Pip;
        let env = Path::new("/e/venv");
        assert_eq!(
            b.create_env(Path::new("/usr/bin/python3.11"), env)
                .display(),
            "/usr/bin/python3.11 -m venv /e/venv"
        );
        assert_eq!(
            b.install(env, &["-r".into(), "req.txt".into()]).display(),
            "/e/venv/bin/python -m pip install --exists-action w --no-compile -r req.txt"
        );
        assert_eq!(
            b.freeze(env).display(),
            "/e/venv/bin/python -m pip freeze --exclude-editable"
        );
    }

    #[test]
    fn uv_backend_commands_share_one_cache() {
        let b = VenvBackend::Uv {
            uv: "/bin/uv".into(),
            cache_dir: "/c/uv".into(),
        };
        let env = Path::new("/e/venv");
        let create = b.create_env(Path::new("/py"), env);
        assert_eq!(
            create.display(),
            "/bin/uv venv --no-project --python /py /e/venv"
        );
        let install = b.install(env, &["six".into()]);
        assert_eq!(
            install.display(),
            "/bin/uv pip install --python /e/venv/bin/python six"
        );
        for inv in [create, install, b.freeze(env)] {
            assert!(
                inv.env
                    .contains(&(env_vars::UV_CACHE_DIR.into(), "/c/uv".into()))
            );
        }
    }

    #[test]
    fn backend_names_parse() {
        assert_eq!("uv".parse::<BackendKind>(), Ok(BackendKind::Uv));
        assert!("conda".parse::<BackendKind>().is_err());
    }
}
