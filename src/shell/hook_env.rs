//! `swrt hook-env`: from the selection rules and the shell's current
//! variables to the shell code that puts the shell on the selected runtime
//! (undoing the previous activation first), plus the hook's own state: the
//! paths of the few files its fast path reads on every prompt.
//!
//! Runs on every prompt where something changed, so it does no more I/O
//! than the rules need: a handful of small files and a few `stat`s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::diff::{self, EnvDiff, Vars};
use super::selection::{self, Choice, Selection};
use super::target::{self, Mode, Target};
use super::{Op, Shell, ShellError, path_str};
use crate::env_vars;
use crate::paths::Paths;

/// The part of the shell's environment hook-env looks at.
#[derive(Debug, Clone, Default)]
pub struct EnvSnapshot {
    /// The shell's working directory (`$PWD`, logical).
    pub pwd: PathBuf,
    pub session: Option<String>,
    /// The variables activation may change, as they are now.
    pub vars: Vars,
}

/// The variables activation reads or changes.
const TRACKED: &[&str] = &[
    env_vars::PATH,
    env_vars::VIRTUAL_ENV,
    env_vars::CONDA_PREFIX,
    env_vars::CONDA_DEFAULT_ENV,
    env_vars::PYTHONHOME,
    env_vars::SWRT_ACTIVE,
    env_vars::SW_ACTIVATED_RUNTIME_URI_IN_SHELL,
    env_vars::SW_ACTIVATED_RUNTIME_MODE_IN_SHELL,
    env_vars::SW_ACTIVATED_RUNTIME_PREFIX_IN_SHELL,
    env_vars::SWRT_DIFF,
];

impl EnvSnapshot {
    /// Reads the process environment (hook-env runs as the shell's child,
    /// so this is the shell's exported state).
    pub fn capture() -> EnvSnapshot {
        let pwd = std::env::var_os(env_vars::PWD)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("/"));
        let vars = TRACKED
            .iter()
            .map(|name| ((*name).to_owned(), std::env::var(name).ok()))
            .collect();
        EnvSnapshot {
            pwd,
            session: env_vars::get(env_vars::SWRT_SESSION),
            vars,
        }
    }

    /// The activation recorded in `__SWRT_DIFF`, if any.
    pub fn current(&self) -> Option<EnvDiff> {
        self.vars
            .get(env_vars::SWRT_DIFF)
            .cloned()
            .flatten()
            .and_then(|s| EnvDiff::decode(&s))
    }
}

/// What hook-env did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Already on the selected runtime (or on none, as selected).
    Unchanged,
    Activated,
    Switched,
    Deactivated,
}

/// The result of one hook-env run.
#[derive(Debug)]
pub struct HookEnv {
    pub selection: Option<Selection>,
    /// The runtime active once the code has run.
    pub target: Option<Target>,
    pub outcome: Outcome,
    pub ops: Vec<Op>,
    /// Why the selected runtime could not be activated (for stderr).
    pub problem: Option<(String, ShellError)>,
}

/// The store's generation counter, bumped by every build, tag and removal.
fn generation_file(paths: &Paths) -> PathBuf {
    crate::store::Store::open(paths).generation_path()
}

/// The files the hook's fast path reads on every prompt, as shell variables.
fn watch_ops(paths: &Paths, snap: &EnvSnapshot) -> Vec<Op> {
    let session = snap
        .session
        .as_deref()
        .and_then(|s| selection::session_file(paths, s).ok())
        .map(|p| path_str(&p))
        .unwrap_or_default();
    let pin = selection::nearest_pin(&snap.pwd)
        .map(|p| path_str(&p))
        .unwrap_or_default();
    let files = [
        (env_vars::SHELL_WATCH_SESSION, session),
        (env_vars::SHELL_WATCH_PIN, pin),
        (
            env_vars::SHELL_WATCH_GLOBAL,
            path_str(&selection::global_file(paths)),
        ),
        (
            env_vars::SHELL_WATCH_GENERATION,
            path_str(&generation_file(paths)),
        ),
    ];
    files
        .into_iter()
        .map(|(name, value)| Op::SetLocal {
            name: name.to_owned(),
            value,
        })
        .collect()
}

/// Scripts in `<prefix>/etc/conda/<dir>/` that `shell` can run, in order.
fn conda_scripts(prefix: &Path, dir: &str, shell: Shell) -> Vec<PathBuf> {
    let ext = shell.syntax().activate_script_ext();
    let Ok(entries) = std::fs::read_dir(prefix.join("etc").join("conda").join(dir)) else {
        return Vec::new();
    };
    let mut scripts: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext) && p.is_file())
        .collect();
    scripts.sort();
    scripts
}

/// Computes the shell code that puts the shell on the selected runtime.
pub fn hook_env(paths: &Paths, shell: Shell, snap: &EnvSnapshot) -> Result<HookEnv, ShellError> {
    let selection = selection::select(paths, snap.session.as_deref(), &snap.pwd)?;
    let mut problem = None;
    let target = match selection.as_ref().map(|s| &s.choice) {
        Some(Choice::Runtime(reference)) => match target::resolve(paths, reference) {
            Ok(t) => Some(t),
            Err(e) => {
                problem = Some((reference.clone(), e));
                None
            }
        },
        Some(Choice::Nothing) | None => None,
    };
    let current = snap.current();
    let mut ops = Vec::new();
    let outcome = match (&current, &target) {
        (Some(cur), Some(t)) if cur.is_of(t) => Outcome::Unchanged,
        (None, None) => Outcome::Unchanged,
        _ => {
            let mut vars = snap.vars.clone();
            if let Some(cur) = &current {
                if cur.mode == Mode::Conda {
                    for s in conda_scripts(Path::new(&cur.prefix), "deactivate.d", shell) {
                        ops.push(Op::Source(s));
                    }
                }
                diff::undo(&mut vars, cur);
            }
            if let Some(t) = &target {
                diff::apply(&mut vars, t);
            }
            ops.extend(changes(&snap.vars, &vars));
            if let Some(t) = &target
                && t.mode == Mode::Conda
            {
                for s in conda_scripts(&t.prefix, "activate.d", shell) {
                    ops.push(Op::Source(s));
                }
            }
            match (&current, &target) {
                (None, Some(_)) => Outcome::Activated,
                (Some(_), None) => Outcome::Deactivated,
                _ => Outcome::Switched,
            }
        }
    };
    ops.extend(watch_ops(paths, snap));
    Ok(HookEnv {
        selection,
        target,
        outcome,
        ops,
        problem,
    })
}

/// The statements that turn `before` into `after`, in a stable order.
fn changes(before: &Vars, after: &Vars) -> Vec<Op> {
    let names: BTreeMap<&String, ()> = before.keys().chain(after.keys()).map(|k| (k, ())).collect();
    let mut ops = Vec::new();
    for name in names.keys() {
        let old = before.get(*name).cloned().flatten();
        let new = after.get(*name).cloned().flatten();
        if old == new {
            continue;
        }
        ops.push(match new {
            Some(value) => Op::Export {
                name: (*name).clone(),
                value,
            },
            None => Op::Unset {
                name: (*name).clone(),
            },
        });
    }
    ops
}
