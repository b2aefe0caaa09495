//! The TUI's data source: the only place in `tui` that reads the store,
//! bundles, logs and selections, or changes them. Everything here is
//! blocking and runs on tokio's blocking pool, never on the render path; it
//! turns what the core modules return into the view-model (`Snapshot`,
//! `Docs`) and never starts Python.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::log::RING_CAPACITY;
use super::state::{Doc, Docs, Key, RuntimeRow, Snapshot};
use crate::paths::Paths;

/// File name of the tag index of one runtime and of a bundle's manifest.
const MANIFEST: &str = "_manifest.yaml";
const BUNDLE_EXT: &str = "swrt";
const VENV_LOCK: &str = "dependencies/.starwhale/lock/requirements-sw-lock.txt";
const CONDA_LOCK: &str = "dependencies/.starwhale/lock/conda-sw-lock.yaml";

/// `<root>/.swrt/generation`: bumped by every change of the store.
pub fn generation_file(paths: &Paths) -> PathBuf {
    paths.state_dir().join("generation")
}

/// The store generation counter; 0 when the store was never written.
pub fn read_generation(paths: &Paths) -> u64 {
    fs::read_to_string(generation_file(paths))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// Every version in the store (and the recoverable ones), sorted by name
/// then newest first, with what is active.
pub fn load_snapshot(paths: &Paths) -> anyhow::Result<Snapshot> {
    let generation = read_generation(paths);
    let mut rows = Vec::new();
    let runtime_dir = paths.runtime_dir();
    for (dir, removed) in [(runtime_dir.clone(), false), (paths.recover_dir(), true)] {
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !entry.path().is_dir() {
                continue;
            }
            let tags = if removed {
                BTreeMap::new()
            } else {
                read_tag_index(&entry.path().join(MANIFEST))
            };
            for bundle in bundles_of(&entry.path()) {
                let mut row = row_for(&name, &bundle, &tags, removed);
                if row.source.is_none() {
                    row.source = source_from_log(paths, &name, &row.version).filter(|p| p.exists());
                }
                rows.push(row);
            }
        }
    }
    mark_stale(&mut rows);
    rows.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then(a.removed.cmp(&b.removed))
            .then(b.created.cmp(&a.created))
            .then(a.version.cmp(&b.version))
    });
    let building = building_elsewhere(paths);
    Ok(Snapshot {
        rows,
        active_shell: None,
        active_global: None,
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

/// `<name>/<vv>/<version>.swrt` files of one runtime.
fn bundles_of(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(shards) = fs::read_dir(dir) else {
        return out;
    };
    for shard in shards.flatten() {
        if !shard.path().is_dir() {
            continue;
        }
        let Ok(files) = fs::read_dir(shard.path()) else {
            continue;
        };
        for file in files.flatten() {
            let path = file.path();
            if path.extension().is_some_and(|e| e == BUNDLE_EXT) {
                out.push(path);
            }
        }
    }
    out
}

/// version → tags, from a runtime's `_manifest.yaml` tag index.
fn read_tag_index(path: &Path) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let Ok(text) = fs::read_to_string(path) else {
        return out;
    };
    let Ok(value) = serde_yaml::from_str::<serde_yaml::Value>(&text) else {
        return out;
    };
    if let Some(tags) = value.get("tags").and_then(|t| t.as_mapping()) {
        for (tag, version) in tags {
            if let (Some(tag), Some(version)) = (tag.as_str(), version.as_str()) {
                out.entry(version.to_owned())
                    .or_default()
                    .push(tag.to_owned());
            }
        }
    }
    for tags in out.values_mut() {
        tags.sort_by_key(|t| tag_order(t));
    }
    out
}

/// `latest` first, then `v1 v2 …` by number, then the user's tags.
fn tag_order(tag: &str) -> (u8, u64, String) {
    if tag == "latest" {
        return (0, 0, String::new());
    }
    if let Some(n) = tag.strip_prefix('v').and_then(|n| n.parse().ok()) {
        return (1, n, String::new());
    }
    (2, 0, tag.to_owned())
}

fn row_for(
    name: &str,
    bundle: &Path,
    tags: &BTreeMap<String, Vec<String>>,
    removed: bool,
) -> RuntimeRow {
    let version = bundle
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let meta = fs::metadata(bundle).ok();
    let manifest = read_members(bundle, &[MANIFEST])
        .ok()
        .and_then(|mut m| m.remove(MANIFEST))
        .and_then(|bytes| serde_yaml::from_slice::<serde_yaml::Value>(&bytes).ok());
    let field = |path: &[&str]| -> Option<String> {
        let mut v = manifest.as_ref()?;
        for p in path {
            v = v.get(*p)?;
        }
        match v {
            serde_yaml::Value::String(s) => Some(s.clone()),
            serde_yaml::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let created = field(&["created_at"])
        .and_then(|s| parse_created(&s))
        .or_else(|| {
            let mtime = meta.as_ref()?.modified().ok()?;
            jiff::Timestamp::try_from(mtime).ok()
        });
    let source = field(&["swrt", "source"]).map(PathBuf::from);
    let fingerprint = field(&["swrt", "fingerprint"]).filter(|f| !f.is_empty());
    RuntimeRow {
        name: name.to_owned(),
        tags: tags.get(&version).cloned().unwrap_or_default(),
        version,
        mode: field(&["environment", "mode"]).unwrap_or_else(|| "venv".to_owned()),
        python: field(&["environment", "python"]).unwrap_or_default(),
        size: meta.map_or(0, |m| m.len()),
        created,
        removed,
        stale: false,
        fingerprint,
        bundle: bundle.to_path_buf(),
        source: source.filter(|p| p.exists()),
    }
}

/// swcli writes `%Y-%m-%d %H:%M:%S %Z` (`2023-01-01 10:00:00 CST`); swrt
/// may write RFC 3339.
fn parse_created(s: &str) -> Option<jiff::Timestamp> {
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Some(ts);
    }
    let date_time = s.get(..19)?;
    let dt: jiff::civil::DateTime = date_time.replace(' ', "T").parse().ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// Reads the named members of a bundle tar (the first match of each).
fn read_members(bundle: &Path, names: &[&str]) -> io::Result<BTreeMap<String, Vec<u8>>> {
    let file = fs::File::open(bundle)?;
    let mut archive = tar::Archive::new(io::BufReader::new(file));
    let mut out = BTreeMap::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry
            .path()?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_owned();
        if names.contains(&path.as_str()) && !out.contains_key(&path) {
            // Manifests and locks are small; a cap keeps a hostile bundle
            // from filling memory.
            let mut bytes = Vec::new();
            entry.by_ref().take(16 << 20).read_to_end(&mut bytes)?;
            out.insert(path, bytes);
            if out.len() == names.len() {
                break;
            }
        }
    }
    Ok(out)
}

/// The four detail documents of one version.
pub fn load_docs(_key: &Key, bundle: &Path, source: Option<&Path>) -> Docs {
    let members = read_members(bundle, &[MANIFEST, "runtime.yaml", VENV_LOCK, CONDA_LOCK]);
    let mut members = match members {
        Ok(m) => m,
        Err(e) => {
            let why = Doc::Missing(format!("cannot read {}: {e}", bundle.display()));
            return Docs {
                spec: why.clone(),
                manifest: why.clone(),
                lock: why.clone(),
                runtime_yaml: why,
            };
        }
    };
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    let manifest = members.remove(MANIFEST).map(text);
    let runtime_yaml = members.remove("runtime.yaml").map(text);
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
