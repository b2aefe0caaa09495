//! The TUI's data source: the only place in `tui` that reads the store,
//! bundles, logs and selections, or changes them. Everything here is
//! blocking and runs on tokio's blocking pool, never on the render path; it
//! turns what the core modules return into the view-model (`Snapshot`,
//! `Docs`) and never starts Python.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::log::RING_CAPACITY;
use super::state::{Doc, Docs, Key, RuntimeRow, Snapshot};
use crate::bundle::{self, MANIFEST_FILE};
use crate::paths::Paths;
use crate::shell::{self, Choice, Selection};
use crate::store::{ListOptions, RuntimeRef, Store, StoreError};

const RUNTIME_YAML: &str = "runtime.yaml";
const VENV_LOCK: &str = "dependencies/.starwhale/lock/requirements-sw-lock.txt";
const CONDA_LOCK: &str = "dependencies/.starwhale/lock/conda-sw-lock.yaml";

/// `<root>/.swrt/generation`: bumped by every change of the store.
pub fn generation_file(paths: &Paths) -> PathBuf {
    Store::open(paths).generation_path()
}

/// Every version in the store (and the recoverable ones), sorted by name,
/// live before removed, newest first; with what is active and building.
/// `session` is `$SWRT_SESSION` of the shell the UI runs in.
pub fn load_snapshot(paths: &Paths, session: Option<&str>) -> anyhow::Result<Snapshot> {
    let store = Store::open(paths);
    let generation = store.generation();
    let options = ListOptions {
        include_removed: true,
        ..ListOptions::default()
    };
    let listed = store.list(&options).context("cannot list the store")?;
    let mut rows: Vec<RuntimeRow> = listed
        .into_iter()
        .map(|v| {
            let source = if v.removed {
                None
            } else {
                source_from_log(paths, &v.name, &v.version).filter(|p| p.exists())
            };
            RuntimeRow {
                created: jiff::Timestamp::from_second(v.created_ts).ok(),
                name: v.name,
                version: v.version,
                tags: v.tags,
                mode: v.mode,
                python: v.python,
                size: v.size,
                removed: v.removed,
                stale: false,
                fingerprint: v.fingerprint,
                bundle: v.path,
                source,
            }
        })
        .collect();
    mark_stale(&mut rows);
    rows.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then(a.removed.cmp(&b.removed))
            .then(b.created.cmp(&a.created))
            .then(a.version.cmp(&b.version))
    });
    let building = building_elsewhere(paths);
    let (active_shell, active_global) = active(&store, session);
    Ok(Snapshot {
        rows,
        active_shell,
        active_global,
        generation,
        building,
    })
}

/// A version is stale when the runtime.yaml it was built from now has
/// another input fingerprint. Each source is loaded once (without looking
/// for an interpreter, so no Python runs for a spec that names its version).
fn mark_stale(rows: &mut [RuntimeRow]) {
    let mut current: HashMap<PathBuf, Option<String>> = HashMap::new();
    for row in rows.iter_mut() {
        let (Some(source), Some(built)) = (&row.source, &row.fingerprint) else {
            continue;
        };
        let now = current.entry(source.clone()).or_insert_with(|| {
            crate::spec::load_without_interpreter(source)
                .ok()
                .map(|l| l.spec.fingerprint)
                .filter(|f| !f.is_empty())
        });
        row.stale = now.as_ref().is_some_and(|now| now != built);
    }
}

/// Runtimes whose build lock (`<root>/.swrt/build-locks/<name>.lock`) is
/// held: a build runs in another process.
fn building_elsewhere(paths: &Paths) -> BTreeSet<String> {
    let dir = paths.state_dir().join("build-locks");
    let Ok(entries) = fs::read_dir(&dir) else {
        return BTreeSet::new();
    };
    let mut out = BTreeSet::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
            continue;
        };
        if path.extension().is_none_or(|e| e != "lock") {
            continue;
        }
        let Ok(file) = fs::File::open(&path) else {
            continue;
        };
        // flock, like std's File::lock that the build uses; held means busy.
        use nix::fcntl::{Flock, FlockArg};
        if let Err((_, nix::errno::Errno::EWOULDBLOCK)) =
            Flock::lock(file, FlockArg::LockExclusiveNonblock)
        {
            out.insert(name);
        }
    }
    out
}

/// The runtime.yaml a version was built from, as its build log records it
/// (`==> spec <path>` near the top).
fn source_from_log(paths: &Paths, name: &str, version: &str) -> Option<PathBuf> {
    use std::io::BufRead;
    let path = paths.logs_dir().join(name).join(format!("{version}.log"));
    let file = fs::File::open(path).ok()?;
    io::BufReader::new(file)
        .lines()
        .take(40)
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("==> spec ").map(PathBuf::from))
}

/// The four detail documents of one version.
pub fn load_docs(_key: &Key, bundle: &Path, source: Option<&Path>) -> Docs {
    let names = [MANIFEST_FILE, RUNTIME_YAML, VENV_LOCK, CONDA_LOCK];
    let members = bundle::read_members(bundle, &names);
    let mut members = match members {
        Ok(m) => m,
        Err(e) => {
            let why = Doc::Missing(format!("{e}"));
            return Docs {
                spec: why.clone(),
                manifest: why.clone(),
                lock: why.clone(),
                runtime_yaml: why,
            };
        }
    };
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    let manifest = members.remove(MANIFEST_FILE).map(text);
    let runtime_yaml = members.remove(RUNTIME_YAML).map(text);
    let lock = members
        .remove(VENV_LOCK)
        .map(|b| Doc::Text(text(b)))
        .or_else(|| members.remove(CONDA_LOCK).map(|b| Doc::Yaml(text(b))))
        .unwrap_or_else(|| Doc::Missing("this bundle has no lock file".to_owned()));
    let spec = resolved_spec(source, manifest.as_deref());
    Docs {
        spec,
        manifest: manifest.map_or_else(|| Doc::Missing("no _manifest.yaml".to_owned()), Doc::Yaml),
        lock,
        runtime_yaml: runtime_yaml.map_or_else(
            || Doc::Missing("no runtime.yaml in the bundle".to_owned()),
            Doc::Yaml,
        ),
    }
}

/// The resolved spec from the runtime.yaml the version was built from; when
/// that is gone (or does not load), what the manifest recorded of it.
fn resolved_spec(source: Option<&Path>, manifest: Option<&str>) -> Doc {
    let mut note = String::new();
    if let Some(path) = source {
        match crate::spec::load_without_interpreter(path) {
            Ok(loaded) => match serde_yaml::to_string(&loaded.spec) {
                Ok(text) => return Doc::Yaml(text),
                Err(e) => note = format!("# cannot render the resolved spec: {e}\n"),
            },
            Err(e) => note = format!("# {} does not load: {e}\n", path.display()),
        }
    }
    let Some(manifest) = manifest else {
        return Doc::Missing("no runtime.yaml and no manifest to show".to_owned());
    };
    let Ok(value) = serde_yaml::from_str::<serde_yaml::Value>(manifest) else {
        return Doc::Missing("the manifest is not valid YAML".to_owned());
    };
    let mut picked = serde_yaml::Mapping::new();
    for key in [
        "environment",
        "dependencies",
        "configs",
        "docker",
        "base_image",
    ] {
        if let Some(v) = value.get(key) {
            picked.insert(key.into(), v.clone());
        }
    }
    let body = serde_yaml::to_string(&picked).unwrap_or_default();
    Doc::Yaml(format!(
        "{note}# as recorded in the manifest (the runtime.yaml it came from is not here)\n{body}"
    ))
}

/// The last lines of a version's stored build log.
pub fn load_log(paths: &Paths, key: &Key) -> Vec<String> {
    let path = paths
        .logs_dir()
        .join(&key.name)
        .join(format!("{}.log", key.version));
    let Ok(bytes) = fs::read(&path) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    let skip = lines.len().saturating_sub(RING_CAPACITY);
    lines[skip..].iter().map(|l| (*l).to_owned()).collect()
}

/// Adds a tag to a version, or removes it.
pub fn tag(paths: &Paths, key: &Key, tag: &str, remove: bool) -> Result<(), String> {
    let store = Store::open(paths);
    let lock = store.lock().map_err(describe)?;
    let tags = [tag.to_owned()];
    if remove {
        store.untag(&lock, &key.name, Some(&key.version), &tags)
    } else {
        store.tag(&lock, &key.name, &key.version, &tags).map(drop)
    }
    .map_err(describe)
}

/// Moves a version to `.recover/`.
pub fn remove(paths: &Paths, key: &Key) -> Result<(), String> {
    let store = Store::open(paths);
    let lock = store.lock().map_err(describe)?;
    store
        .remove(&lock, &key.name, Some(&key.version), false)
        .map(drop)
        .map_err(describe)
}

/// Brings a removed version back.
pub fn recover(paths: &Paths, key: &Key) -> Result<(), String> {
    let store = Store::open(paths);
    let lock = store.lock().map_err(describe)?;
    store
        .recover(&lock, &key.name, Some(&key.version))
        .map(drop)
        .map_err(describe)
}

/// One status-bar line: the error and its first hint.
fn describe(e: StoreError) -> String {
    match e.hints().first() {
        Some(hint) => format!("{e} (hint: {hint})"),
        None => e.to_string(),
    }
}

/// What this shell is on (its own choice, else the nearest pin, else the
/// global one) and what the global choice is, resolved to versions through
/// the shell module's selection rules and the store.
fn active(store: &Store, session: Option<&str>) -> (Option<Key>, Option<Key>) {
    let paths = store.paths();
    let resolve = |reference: &str| -> Option<Key> {
        let r = RuntimeRef::parse(reference).ok()?;
        let found = store.resolve(&r).ok()?;
        Some(Key {
            name: found.name,
            version: found.version,
        })
    };
    let global = match shell::read_choice(&shell::global_file(paths)) {
        Ok(Some(Choice::Runtime(reference))) => resolve(&reference),
        _ => None,
    };
    let pwd = std::env::current_dir().unwrap_or_default();
    let this_shell = match shell::select(paths, session, &pwd) {
        Ok(Some(Selection {
            choice: Choice::Runtime(reference),
            ..
        })) => resolve(&reference),
        _ => None,
    };
    (this_shell, global)
}

/// The reference written into selection files: the exact version, so a
/// switch means this version even when tags move later.
fn reference(key: &Key) -> String {
    format!("{}/version/{}", key.name, key.version)
}

/// Makes the shell of `session` switch to `key` at its next prompt.
pub fn switch_session(paths: &Paths, session: &str, key: &Key) -> Result<(), String> {
    shell::select_for_session(paths, session, &reference(key)).map_err(|e| e.to_string())
}

/// Makes `key` the global choice.
pub fn switch_global(paths: &Paths, key: &Key) -> Result<(), String> {
    shell::set_global(paths, &reference(key)).map_err(|e| e.to_string())
}

/// Watcher builds get ids from here up, apart from the UI's own builds.
const WATCH_BUILD_IDS: u64 = 1 << 40;

/// Starts the shared watcher on `specs`; its rebuilds come back as build
/// messages, like those started with `b`.
pub fn watch(
    paths: &Paths,
    specs: &[PathBuf],
    tx: tokio::sync::mpsc::UnboundedSender<super::msg::Msg>,
) -> Result<crate::watch::WatchHandle, String> {
    use super::msg::{BuildUpdate, Msg};
    use crate::watch::{RebuildResult, WatchEvent, WatchOptions};
    let builder = std::sync::Arc::new(crate::build::rebuild::PipelineRebuild::new(paths.clone()));
    let sink = move |event: WatchEvent| {
        let msg = match event {
            WatchEvent::BuildStarted { spec, name, build } => Msg::WatchBuildStarted {
                id: WATCH_BUILD_IDS + build,
                name,
                source: spec,
            },
            WatchEvent::Progress { build, line, .. } => Msg::Build {
                id: WATCH_BUILD_IDS + build,
                event: BuildUpdate::Line(line),
            },
            WatchEvent::BuildFinished { build, result, .. } => Msg::Build {
                id: WATCH_BUILD_IDS + build,
                event: match result {
                    RebuildResult::Built { version, .. }
                    | RebuildResult::UpToDate { version, .. } => BuildUpdate::Done {
                        version: Some(version),
                    },
                    RebuildResult::Failed { reason } => BuildUpdate::Failed(reason),
                    RebuildResult::Cancelled => {
                        BuildUpdate::Failed("cancelled by a newer change".to_owned())
                    }
                },
            },
            WatchEvent::Invalid { spec, problems } => Msg::ActionFailed(format!(
                "{}: {}",
                spec.display(),
                problems.first().cloned().unwrap_or_default()
            )),
            _ => return,
        };
        let _ = tx.send(msg);
    };
    crate::watch::spawn(specs, WatchOptions::default(), builder, sink).map_err(|e| e.to_string())
}
