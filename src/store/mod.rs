//! The local store: where runtime bundles live, how they are named, tagged,
//! listed, removed and recovered. The layout is Starwhale's, so a store under
//! `~/.starwhale` is shared with `swcli`:
//!
//! ```text
//! <root>/<project>/runtime/<name>/_manifest.yaml                 tag index (swcli's StandaloneTag format)
//! <root>/<project>/runtime/<name>/<vv>/<version>.swrt            bundles (vv = first 2 chars)
//! <root>/<project>/runtime/.recover/<name>/<vv>/<version>.swrt   removed, recoverable
//! <root>/<project>/runtime/.recover/<name>/_manifest.yaml        tags of removed versions
//! <root>/<project>/workdir/runtime/<name>/<vv>/<version>/        extracted bundle; export/<mode>/ is the env
//! <root>/<project>/workdir/runtime/.recover/<name>/<vv>/<version>/
//! <root>/.swrt/lock                                              exclusive lock for every mutation
//! <root>/.swrt/generation                                        integer bumped by every mutation
//! <root>/.swrt/fingerprints/<name>/<project>/<fingerprint>       input fingerprint → version
//! <root>/.swrt/cache/<project>/<name>.json                       listing cache
//! <root>/.swrt/tmp/                                              staging (same file system as the store)
//! ```
//!
//! How to use it:
//! - [`Store::open`] costs nothing and creates nothing.
//! - Reads ([`Store::resolve`], [`Store::list`], [`Store::history`],
//!   [`Store::read_manifest`], [`Store::generation`]) take no lock: every
//!   write is atomic, so readers see the old state or the new.
//! - Mutations take `&StoreLock` from [`Store::lock`] (waits) or
//!   [`Store::try_lock`] (fails with [`StoreError::Busy`]) as proof the
//!   caller holds the store lock. Take it once per operation; it is not
//!   reentrant. Each mutation bumps the generation counter itself, except
//!   that work done outside this module (a restore filling `export/<mode>`)
//!   calls [`Store::bump_generation`].
//! - A build stages in [`Store::staging_dir`], writes the bundle there with
//!   `crate::bundle`, then calls [`Store::add_version`], which renames the
//!   bundle (and optionally the prepared workdir) into place and tags it.
//!
//! This module never prints; it returns [`StoreError`].

pub mod atomic;
pub mod listing;
pub mod lock;
pub mod reference;
pub mod tag_index;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use listing::{VersionInfo, parse_created_at};
pub use lock::StoreLock;
pub use reference::{MIN_VERSION_PREFIX, RuntimeRef};
pub use tag_index::{LATEST_TAG, TagIndex, check_user_tag, is_builtin_tag, is_valid_name};

use crate::bundle::{
    self, BUNDLE_EXT, BundleError, ExtractLimits, Extracted, MANIFEST_FILE, Manifest,
};
use crate::paths::Paths;
use listing::{SummaryCache, summarize};

/// Starwhale's name for removed-but-recoverable things.
pub const RECOVER_DIR: &str = ".recover";
/// How many leading version characters name the bucket directory.
pub const VERSION_PREFIX_DIR_LEN: usize = 2;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{reference}` is not a runtime reference: {reason}")]
    BadReference { reference: String, reason: String },
    #[error("no runtime named `{name}` in project `{project}`")]
    UnknownRuntime {
        name: String,
        project: String,
        /// Whether removed versions of it can be recovered.
        removed: bool,
        /// Runtimes that do exist, for the hint.
        known: Vec<String>,
    },
    #[error("runtime `{name}` has no tag or version `{selector}`")]
    UnknownSelector {
        name: String,
        selector: String,
        /// Tags that exist, for the hint.
        tags: Vec<String>,
        /// Whether a removed version matches.
        removed: bool,
    },
    #[error("`{name}:{prefix}` is ambiguous: it matches {} versions", candidates.len())]
    Ambiguous {
        name: String,
        prefix: String,
        candidates: Vec<String>,
    },
    #[error("tag `{tag}` of `{name}` points at version {version}, whose bundle is missing")]
    DanglingTag {
        name: String,
        tag: String,
        version: String,
    },
    #[error("invalid tag `{tag}`: {reason}")]
    InvalidTag { tag: String, reason: String },
    #[error(
        "invalid runtime name `{name}`: a name is 1-80 letters, digits, `_`, `.` or `-`, starting with a letter or `_`"
    )]
    InvalidName { name: String },
    #[error("runtime `{name}` has no tag `{tag}`")]
    TagNotFound { name: String, tag: String },
    #[error("`{tag}` is managed by the store and cannot be removed by hand")]
    BuiltinTag { tag: String },
    #[error("nothing of `{name}` is removed, so there is nothing to recover")]
    NothingToRecover { name: String },
    #[error("version {version} of `{name}` exists both in the store and in .recover")]
    RecoverConflict { name: String, version: String },
    #[error("the store is busy: another swrt holds {}", path.display())]
    Busy { path: PathBuf },
    #[error("the tag index {} is not valid YAML", path.display())]
    BadIndex {
        path: PathBuf,
        #[source]
        source: serde_yaml::Error,
    },
    #[error("{} names no version", path.display())]
    NoVersion { path: PathBuf },
    #[error(transparent)]
    Bundle(#[from] BundleError),
}

impl StoreError {
    fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> StoreError {
        let path = path.into();
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    }

    /// Whether the user's input is at fault (exit code 1) rather than the
    /// machine (exit code 2).
    pub fn is_user_error(&self) -> bool {
        match self {
            StoreError::Io { .. } | StoreError::BadIndex { .. } => false,
            StoreError::Bundle(b) => b.is_bad_input(),
            _ => true,
        }
    }

    /// Suggestions that say what to do next.
    pub fn hints(&self) -> Vec<String> {
        match self {
            StoreError::UnknownRuntime {
                name,
                removed,
                known,
                ..
            } => {
                let mut h = Vec::new();
                if *removed {
                    h.push(format!(
                        "`{name}` was removed; `swrt recover {name}` brings it back"
                    ));
                }
                if !known.is_empty() {
                    h.push(format!("runtimes in this store: {}", known.join(", ")));
                } else if !*removed {
                    h.push(
                        "the store is empty: `swrt build` makes a runtime from runtime.yaml"
                            .to_owned(),
                    );
                }
                h
            }
            StoreError::UnknownSelector {
                name,
                selector,
                tags,
                removed,
            } => {
                let mut h = Vec::new();
                if *removed {
                    h.push(format!(
                        "a removed version matches; `swrt recover {name}:{selector}` brings it back"
                    ));
                }
                if selector.len() < MIN_VERSION_PREFIX {
                    h.push(format!(
                        "a version prefix needs at least {MIN_VERSION_PREFIX} characters"
                    ));
                }
                if !tags.is_empty() {
                    h.push(format!("tags of `{name}`: {}", tags.join(", ")));
                }
                h.push(format!("`swrt history {name}` lists its versions"));
                h
            }
            StoreError::Ambiguous {
                name, candidates, ..
            } => {
                let mut h: Vec<String> = candidates
                    .iter()
                    .map(|c| format!("candidate: {name}:{c}"))
                    .collect();
                h.push("type more characters of the version".to_owned());
                h
            }
            StoreError::Busy { .. } => {
                vec!["wait for the other swrt to finish, or drop --no-wait".to_owned()]
            }
            StoreError::DanglingTag { name, tag, .. } => {
                vec![format!("`swrt tag -r {name}:{tag} {tag}` removes the tag")]
            }
            _ => Vec::new(),
        }
    }
}

/// A reference resolved to one existing version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub project: String,
    pub name: String,
    pub version: String,
    /// The bundle file (in `.recover/` when resolved among removed versions).
    pub bundle: PathBuf,
}

impl Resolved {
    /// `name:version` with the version shortened to 12 characters.
    pub fn short(&self) -> String {
        format!("{}:{}", self.name, short_version(&self.version))
    }

    /// The Starwhale URI, `local/project/P/runtime/NAME/version/V`.
    pub fn uri(&self) -> String {
        format!(
            "local/project/{}/runtime/{}/version/{}",
            self.project, self.name, self.version
        )
    }
}

/// The first 12 characters of a version, as listings show it.
pub fn short_version(version: &str) -> &str {
    version.get(..12).unwrap_or(version)
}

/// A request to record a finished bundle as a version.
#[derive(Debug, Clone)]
pub struct AddVersion {
    pub name: String,
    /// A finished `.swrt`, on the same file system (e.g. in
    /// [`Store::staging_dir`]); it is moved, not copied.
    pub bundle: PathBuf,
    /// A prepared workdir (extracted bundle, maybe `export/<mode>`), moved
    /// into place when the version has none yet.
    pub workdir: Option<PathBuf>,
    /// User tags to put on the version (checked with [`check_user_tag`]).
    pub tags: Vec<String>,
}

/// The outcome of [`Store::add_version`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    pub name: String,
    pub version: String,
    /// False when the version already existed (a rebuild that changed
    /// nothing): no new `vN`, but `latest` and the user tags move to it.
    pub created: bool,
    /// All tags of the version afterwards.
    pub tags: Vec<String>,
    pub bundle: PathBuf,
}

/// The outcome of [`Store::remove`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Removed {
    pub name: String,
    pub versions: Vec<String>,
    pub tags: Vec<String>,
    /// Deleted for good (`--force`) rather than moved to `.recover/`.
    pub forced: bool,
}

/// The outcome of [`Store::recover`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Recovered {
    pub name: String,
    pub versions: Vec<String>,
    /// Tags given back (those not taken meanwhile).
    pub tags: Vec<String>,
}

/// One thing [`Store::gc`] deletes (or would).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GcItem {
    /// `bundle`, `workdir`, `staging`, `fingerprint`, `index`.
    pub kind: String,
    pub path: PathBuf,
    pub bytes: u64,
}

/// The outcome of [`Store::gc`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct GcReport {
    pub items: Vec<GcItem>,
    pub bytes: u64,
    pub dry_run: bool,
}

/// Filters for [`Store::list`].
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// Only runtimes whose name starts with this.
    pub name_prefix: Option<String>,
    /// Only versions tagged `latest`.
    pub latest_only: bool,
    /// Also versions in `.recover/`.
    pub include_removed: bool,
}

/// Staging directories older than this are garbage for `gc`.
const STALE_STAGING_SECS: u64 = 24 * 3600;

/// The local store of one project.
#[derive(Debug, Clone)]
pub struct Store {
    paths: Paths,
}

impl Store {
    /// A handle on the store at `paths`; touches nothing.
    pub fn open(paths: &Paths) -> Store {
        Store {
            paths: paths.clone(),
        }
    }

    /// The same root, another project.
    pub fn for_project(&self, project: &str) -> Store {
        let mut paths = self.paths.clone();
        paths.project = project.to_owned();
        Store { paths }
    }

    /// The store a reference points into (its URI may name a project).
    pub fn for_ref(&self, r: &RuntimeRef) -> Store {
        match &r.project {
            Some(p) if *p != self.paths.project => self.for_project(p),
            _ => self.clone(),
        }
    }

    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    pub fn project(&self) -> &str {
        &self.paths.project
    }

    // ---- layout ------------------------------------------------------------

    /// `<root>/<project>/runtime/<name>`.
    pub fn runtime_dir(&self, name: &str) -> PathBuf {
        self.paths.runtime_dir().join(name)
    }

    /// The tag index of a runtime.
    pub fn index_path(&self, name: &str) -> PathBuf {
        self.runtime_dir(name).join(MANIFEST_FILE)
    }

    fn bucket(version: &str) -> &str {
        version.get(..VERSION_PREFIX_DIR_LEN).unwrap_or(version)
    }

    /// `<root>/<project>/runtime/<name>/<vv>/<version>.swrt`.
    pub fn bundle_path(&self, name: &str, version: &str) -> PathBuf {
        self.runtime_dir(name)
            .join(Self::bucket(version))
            .join(format!("{version}.{BUNDLE_EXT}"))
    }

    fn recover_runtime_dir(&self, name: &str) -> PathBuf {
        self.paths.recover_dir().join(name)
    }

    fn recover_index_path(&self, name: &str) -> PathBuf {
        self.recover_runtime_dir(name).join(MANIFEST_FILE)
    }

    /// Where a removed bundle waits for `recover` or `gc`.
    pub fn recover_bundle_path(&self, name: &str, version: &str) -> PathBuf {
        self.recover_runtime_dir(name)
            .join(Self::bucket(version))
            .join(format!("{version}.{BUNDLE_EXT}"))
    }

    /// `<root>/<project>/workdir/runtime/<name>/<vv>/<version>`: the
    /// extracted bundle.
    pub fn workdir(&self, name: &str, version: &str) -> PathBuf {
        self.paths
            .workdir()
            .join(name)
            .join(Self::bucket(version))
            .join(version)
    }

    /// `<workdir>/export/<mode>`: the materialised environment.
    pub fn env_dir(&self, name: &str, version: &str, mode: &str) -> PathBuf {
        self.workdir(name, version).join("export").join(mode)
    }

    fn recover_workdir(&self, name: &str, version: &str) -> PathBuf {
        self.paths
            .workdir()
            .join(RECOVER_DIR)
            .join(name)
            .join(Self::bucket(version))
            .join(version)
    }

    /// `<root>/.swrt/lock`.
    pub fn lock_path(&self) -> PathBuf {
        self.paths.state_dir().join("lock")
    }

    /// `<root>/.swrt/generation`: a plain text integer the shell hook reads.
    pub fn generation_path(&self) -> PathBuf {
        self.paths.state_dir().join("generation")
    }

    /// `<root>/.swrt/tmp`: staging on the store's file system.
    pub fn tmp_dir(&self) -> PathBuf {
        self.paths.state_dir().join("tmp")
    }

    fn fingerprint_path(&self, name: &str, fingerprint: &str) -> PathBuf {
        self.paths
            .state_dir()
            .join("fingerprints")
            .join(name)
            .join(&self.paths.project)
            .join(fingerprint)
    }

    fn cache_path(&self, name: &str) -> PathBuf {
        self.paths
            .state_dir()
            .join("cache")
            .join(&self.paths.project)
            .join(format!("{name}.json"))
    }

    /// A fresh directory under `<root>/.swrt/tmp`, removed when dropped
    /// unless kept; renames from it into the store are atomic.
    pub fn staging_dir(&self) -> Result<tempfile::TempDir, StoreError> {
        let tmp = self.tmp_dir();
        fs::create_dir_all(&tmp).map_err(StoreError::io("create", &tmp))?;
        tempfile::Builder::new()
            .prefix("stage-")
            .tempdir_in(&tmp)
            .map_err(StoreError::io("create a staging directory in", &tmp))
    }

    // ---- locking and generation -------------------------------------------

    /// Waits for the store lock.
    pub fn lock(&self) -> Result<StoreLock, StoreError> {
        let path = self.lock_path();
        StoreLock::acquire(&path).map_err(StoreError::io("lock", &path))
    }

    /// Takes the store lock or fails at once with [`StoreError::Busy`].
    pub fn try_lock(&self) -> Result<StoreLock, StoreError> {
        let path = self.lock_path();
        match StoreLock::try_acquire(&path).map_err(StoreError::io("lock", &path))? {
            Some(lock) => Ok(lock),
            None => Err(StoreError::Busy { path }),
        }
    }

    /// The store generation (0 when never bumped).
    pub fn generation(&self) -> u64 {
        fs::read_to_string(self.generation_path())
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Bumps the generation counter; returns the new value.
    pub fn bump_generation(&self, _lock: &StoreLock) -> Result<u64, StoreError> {
        let next = self.generation() + 1;
        let path = self.generation_path();
        atomic::write_file(&path, format!("{next}\n").as_bytes())
            .map_err(StoreError::io("write", &path))?;
        Ok(next)
    }

    // ---- tag index --------------------------------------------------------

    /// The tag index of a runtime (empty when it has none).
    pub fn tag_index(&self, name: &str) -> Result<TagIndex, StoreError> {
        read_index(&self.index_path(name), name)
    }

    fn save_index(&self, path: &Path, index: &mut TagIndex) -> Result<(), StoreError> {
        index.updated_at = Some(bundle::writer::now_str());
        index.typ = "runtime".to_owned();
        atomic::write_file(path, index.render().as_bytes()).map_err(StoreError::io("write", path))
    }

    // ---- reading ------------------------------------------------------------

    /// Runtime names with at least a directory in the store, sorted.
    pub fn names(&self) -> Result<Vec<String>, StoreError> {
        dir_names(&self.paths.runtime_dir())
    }

    fn removed_names(&self) -> Result<Vec<String>, StoreError> {
        dir_names(&self.paths.recover_dir())
    }

    /// Versions with a bundle, live (`removed == false`) or in `.recover/`.
    pub fn versions(&self, name: &str, removed: bool) -> Result<Vec<String>, StoreError> {
        let dir = if removed {
            self.recover_runtime_dir(name)
        } else {
            self.runtime_dir(name)
        };
        let mut out = Vec::new();
        for bucket in dir_names(&dir)? {
            let bdir = dir.join(&bucket);
            let Ok(entries) = fs::read_dir(&bdir) else {
                continue;
            };
            for e in entries.flatten() {
                let file = e.file_name();
                let Some(file) = file.to_str() else { continue };
                if let Some(v) = file.strip_suffix(&format!(".{BUNDLE_EXT}"))
                    && !v.is_empty()
                    && !v.starts_with('.')
                {
                    out.push(v.to_owned());
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Resolves a reference to an existing (live) version.
    pub fn resolve(&self, r: &RuntimeRef) -> Result<Resolved, StoreError> {
        let store = self.for_ref(r);
        store.resolve_in(&r.name, r.selector_or_latest(), false)
    }

    /// Resolves a selector among the removed versions of `name`.
    pub fn resolve_removed(&self, name: &str, selector: &str) -> Result<Resolved, StoreError> {
        self.resolve_in(name, selector, true)
    }

    fn resolve_in(
        &self,
        name: &str,
        selector: &str,
        removed: bool,
    ) -> Result<Resolved, StoreError> {
        let (index_path, root) = if removed {
            (
                self.recover_index_path(name),
                self.recover_runtime_dir(name),
            )
        } else {
            (self.index_path(name), self.runtime_dir(name))
        };
        if !root.is_dir() {
            if removed {
                return Err(StoreError::NothingToRecover {
                    name: name.to_owned(),
                });
            }
            return Err(StoreError::UnknownRuntime {
                name: name.to_owned(),
                project: self.paths.project.clone(),
                removed: self.recover_runtime_dir(name).is_dir(),
                known: self.names().unwrap_or_default(),
            });
        }
        let index = read_index(&index_path, name)?;
        let bundle_of = |v: &str| {
            if removed {
                self.recover_bundle_path(name, v)
            } else {
                self.bundle_path(name, v)
            }
        };
        let found = |v: &str| Resolved {
            project: self.paths.project.clone(),
            name: name.to_owned(),
            version: v.to_owned(),
            bundle: bundle_of(v),
        };
        if let Some(v) = index.version_of(selector) {
            if bundle_of(v).is_file() {
                return Ok(found(v));
            }
            if !removed {
                return Err(StoreError::DanglingTag {
                    name: name.to_owned(),
                    tag: selector.to_owned(),
                    version: v.to_owned(),
                });
            }
        }
        if bundle_of(selector).is_file() {
            return Ok(found(selector));
        }
        let not_found = || {
            let mut tags: Vec<String> = index.tags.keys().cloned().collect();
            tags.sort_by_key(|t| tag_index::tag_sort_key(t));
            let removed_match = !removed
                && selector.len() >= MIN_VERSION_PREFIX
                && self
                    .versions(name, true)
                    .unwrap_or_default()
                    .iter()
                    .any(|v| v.starts_with(selector));
            StoreError::UnknownSelector {
                name: name.to_owned(),
                selector: selector.to_owned(),
                tags,
                removed: removed_match,
            }
        };
        if selector.len() < MIN_VERSION_PREFIX {
            return Err(not_found());
        }
        let candidates: Vec<String> = self
            .versions(name, removed)?
            .into_iter()
            .filter(|v| v.starts_with(selector))
            .collect();
        match candidates.as_slice() {
            [one] => Ok(found(one)),
            [] => Err(not_found()),
            _ => Err(StoreError::Ambiguous {
                name: name.to_owned(),
                prefix: selector.to_owned(),
                candidates,
            }),
        }
    }

    /// The manifest of a version (from its workdir when extracted, else the
    /// bundle).
    pub fn read_manifest(&self, name: &str, version: &str) -> Result<Manifest, StoreError> {
        let extracted = self.workdir(name, version).join(MANIFEST_FILE);
        if let Ok(text) = fs::read_to_string(&extracted)
            && let Ok(m) = Manifest::from_yaml(&text)
        {
            return Ok(m);
        }
        Ok(bundle::read_manifest(&self.bundle_path(name, version))?)
    }

    /// Every version of every runtime, newest first.
    pub fn list(&self, options: &ListOptions) -> Result<Vec<VersionInfo>, StoreError> {
        let mut names: BTreeSet<String> = self.names()?.into_iter().collect();
        if options.include_removed {
            names.extend(self.removed_names()?);
        }
        let mut rows = Vec::new();
        for name in names {
            if options
                .name_prefix
                .as_deref()
                .is_some_and(|p| !name.starts_with(p))
            {
                continue;
            }
            rows.extend(self.rows(&name, options.include_removed)?);
        }
        if options.latest_only {
            rows.retain(|r| r.tags.iter().any(|t| t == LATEST_TAG));
        }
        listing::sort_newest_first(&mut rows);
        Ok(rows)
    }

    /// The versions of one runtime, newest first.
    pub fn history(
        &self,
        name: &str,
        include_removed: bool,
    ) -> Result<Vec<VersionInfo>, StoreError> {
        if !(self.runtime_dir(name).is_dir()
            || include_removed && self.recover_runtime_dir(name).is_dir())
        {
            return Err(StoreError::UnknownRuntime {
                name: name.to_owned(),
                project: self.paths.project.clone(),
                removed: self.recover_runtime_dir(name).is_dir(),
                known: self.names().unwrap_or_default(),
            });
        }
        let mut rows = self.rows(name, include_removed)?;
        listing::sort_newest_first(&mut rows);
        Ok(rows)
    }

    /// The row of one version.
    pub fn version_info(&self, name: &str, version: &str) -> Result<VersionInfo, StoreError> {
        let rows = self.rows(name, true)?;
        rows.into_iter()
            .find(|r| r.version == version && !r.removed)
            .ok_or_else(|| StoreError::UnknownSelector {
                name: name.to_owned(),
                selector: version.to_owned(),
                tags: Vec::new(),
                removed: false,
            })
    }

    fn rows(&self, name: &str, include_removed: bool) -> Result<Vec<VersionInfo>, StoreError> {
        let cache_path = self.cache_path(name);
        let mut cache = SummaryCache::load(&cache_path);
        let mut dirty = false;
        let mut rows = Vec::new();
        let mut sets = vec![(false, self.versions(name, false)?, self.tag_index(name)?)];
        if include_removed {
            let index = read_index(&self.recover_index_path(name), name)?;
            sets.push((true, self.versions(name, true)?, index));
        }
        let mut wanted = BTreeSet::new();
        for (removed, versions, index) in sets {
            for version in versions {
                let path = if removed {
                    self.recover_bundle_path(name, &version)
                } else {
                    self.bundle_path(name, &version)
                };
                let Ok(meta) = fs::metadata(&path) else {
                    continue;
                };
                let key = if removed {
                    format!("{RECOVER_DIR}/{version}")
                } else {
                    version.clone()
                };
                let summary = match cache.versions.get(&key) {
                    Some(s) if s.size == meta.len() && s.mtime_ns == listing::mtime_ns(&meta) => {
                        s.clone()
                    }
                    _ => {
                        let s = summarize(&path, &meta);
                        cache.versions.insert(key.clone(), s.clone());
                        dirty = true;
                        s
                    }
                };
                wanted.insert(key);
                rows.push(VersionInfo {
                    name: name.to_owned(),
                    tags: index.tags_of(&version),
                    version,
                    mode: summary.mode,
                    python: summary.python,
                    size: summary.size,
                    created_at: summary.created_at,
                    created_ts: summary.created_ts,
                    path,
                    removed,
                    built_by: summary.built_by,
                    fingerprint: summary.fingerprint,
                    mtime_ns: i64::try_from(summary.mtime_ns).unwrap_or(i64::MAX),
                });
            }
        }
        if include_removed {
            let before = cache.versions.len();
            cache.versions.retain(|k, _| wanted.contains(k));
            dirty |= before != cache.versions.len();
        }
        if dirty {
            cache.save(&cache_path);
        }
        Ok(rows)
    }

    // ---- fingerprints -------------------------------------------------------

    /// The live version built from this input fingerprint, if any.
    pub fn fingerprint_lookup(&self, name: &str, fingerprint: &str) -> Option<String> {
        if fingerprint.is_empty() || !fingerprint.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let version = fs::read_to_string(self.fingerprint_path(name, fingerprint)).ok()?;
        let version = version.trim();
        self.bundle_path(name, version)
            .is_file()
            .then(|| version.to_owned())
    }

    /// Records that `fingerprint` built `version`.
    pub fn record_fingerprint(
        &self,
        _lock: &StoreLock,
        name: &str,
        fingerprint: &str,
        version: &str,
    ) -> Result<(), StoreError> {
        if fingerprint.is_empty() || !fingerprint.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(());
        }
        let path = self.fingerprint_path(name, fingerprint);
        atomic::write_file(&path, format!("{version}\n").as_bytes())
            .map_err(StoreError::io("write", &path))
    }

    // ---- mutations ----------------------------------------------------------

    /// Moves a finished bundle (and optional workdir) into place and tags it:
    /// a new version gets the next `vN` and `latest`; an existing one gets
    /// `latest`. User tags move to it. Records the manifest's input
    /// fingerprint. Bumps the generation.
    pub fn add_version(&self, lock: &StoreLock, request: AddVersion) -> Result<Added, StoreError> {
        let name = request.name.as_str();
        if !is_valid_name(name) {
            return Err(StoreError::InvalidName {
                name: name.to_owned(),
            });
        }
        for tag in &request.tags {
            check_user_tag(tag)?;
        }
        let manifest = bundle::read_manifest(&request.bundle)?;
        let version = manifest.version.clone();
        if version.len() < MIN_VERSION_PREFIX || !version.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(StoreError::NoVersion {
                path: request.bundle.clone(),
            });
        }
        let dest = self.bundle_path(name, &version);
        let created = !dest.is_file();
        if created {
            atomic::move_into_place(&request.bundle, &dest)
                .map_err(StoreError::io("move a bundle to", &dest))?;
            // A rebuild of a version that was removed: the fresh copy wins.
            let stale = self.recover_bundle_path(name, &version);
            if stale.exists() {
                atomic::remove_path(&stale).map_err(StoreError::io("remove", &stale))?;
                let rw = self.recover_workdir(name, &version);
                atomic::remove_path(&rw).map_err(StoreError::io("remove", &rw))?;
                self.forget_removed_tags(name, &version)?;
            }
        } else {
            atomic::remove_path(&request.bundle)
                .map_err(StoreError::io("remove", &request.bundle))?;
        }
        if let Some(workdir) = &request.workdir {
            let target = self.workdir(name, &version);
            if target.join(MANIFEST_FILE).exists() {
                atomic::remove_path(workdir).map_err(StoreError::io("remove", workdir))?;
            } else {
                atomic::remove_path(&target).map_err(StoreError::io("remove", &target))?;
                atomic::move_into_place(workdir, &target)
                    .map_err(StoreError::io("move a workdir to", &target))?;
            }
        }
        let index_path = self.index_path(name);
        let mut index = read_index(&index_path, name)?;
        index.name = name.to_owned();
        if created || !index.versions.contains_key(&version) {
            index.add_fast_tag(&version);
        } else {
            index.add(&version, &[LATEST_TAG.to_owned()]);
        }
        index.add(&version, &request.tags);
        self.save_index(&index_path, &mut index)?;
        if let Some(fp) = manifest.swrt.as_ref().map(|s| s.fingerprint.as_str()) {
            self.record_fingerprint(lock, name, fp, &version)?;
        }
        self.bump_generation(lock)?;
        Ok(Added {
            name: name.to_owned(),
            tags: index.tags_of(&version),
            version,
            created,
            bundle: dest,
        })
    }

    /// Puts user tags on a version, moving them from wherever they were.
    pub fn tag(
        &self,
        lock: &StoreLock,
        name: &str,
        version: &str,
        tags: &[String],
    ) -> Result<Vec<String>, StoreError> {
        for tag in tags {
            check_user_tag(tag)?;
        }
        let path = self.index_path(name);
        let mut index = read_index(&path, name)?;
        index.add(version, tags);
        self.save_index(&path, &mut index)?;
        self.bump_generation(lock)?;
        Ok(index.tags_of(version))
    }

    /// Removes user tags of a runtime (they must exist). `version`, when
    /// given, must be the version they are on.
    pub fn untag(
        &self,
        lock: &StoreLock,
        name: &str,
        version: Option<&str>,
        tags: &[String],
    ) -> Result<(), StoreError> {
        let path = self.index_path(name);
        let mut index = read_index(&path, name)?;
        for tag in tags {
            if is_builtin_tag(tag) {
                return Err(StoreError::BuiltinTag { tag: tag.clone() });
            }
            match index.version_of(tag) {
                Some(v) if version.is_none_or(|want| want == v) => {}
                _ => {
                    return Err(StoreError::TagNotFound {
                        name: name.to_owned(),
                        tag: tag.clone(),
                    });
                }
            }
        }
        for tag in tags {
            index.remove_tag(tag);
        }
        self.save_index(&path, &mut index)?;
        self.bump_generation(lock)?;
        Ok(())
    }

    /// Removes one version (`Some`) or every version of a runtime (`None`),
    /// with their tags. Moves to `.recover/` unless `force`.
    pub fn remove(
        &self,
        lock: &StoreLock,
        name: &str,
        version: Option<&str>,
        force: bool,
    ) -> Result<Removed, StoreError> {
        let versions: Vec<String> = match version {
            Some(v) => vec![v.to_owned()],
            None => {
                if !self.runtime_dir(name).is_dir() {
                    return Err(StoreError::UnknownRuntime {
                        name: name.to_owned(),
                        project: self.paths.project.clone(),
                        removed: self.recover_runtime_dir(name).is_dir(),
                        known: self.names().unwrap_or_default(),
                    });
                }
                self.versions(name, false)?
            }
        };
        let index_path = self.index_path(name);
        let mut index = read_index(&index_path, name)?;
        let recover_index_path = self.recover_index_path(name);
        let mut recover_index = read_index(&recover_index_path, name)?;
        let mut removed_tags = Vec::new();
        for v in &versions {
            let bundle = self.bundle_path(name, v);
            let workdir = self.workdir(name, v);
            let tags = index.remove_version(v);
            if force {
                atomic::remove_path(&bundle).map_err(StoreError::io("remove", &bundle))?;
                atomic::remove_path(&workdir).map_err(StoreError::io("remove", &workdir))?;
            } else {
                let rb = self.recover_bundle_path(name, v);
                atomic::remove_path(&rb).map_err(StoreError::io("remove", &rb))?;
                atomic::move_into_place(&bundle, &rb)
                    .map_err(StoreError::io("move a bundle to", &rb))?;
                if workdir.exists() {
                    let rw = self.recover_workdir(name, v);
                    atomic::remove_path(&rw).map_err(StoreError::io("remove", &rw))?;
                    atomic::move_into_place(&workdir, &rw)
                        .map_err(StoreError::io("move a workdir to", &rw))?;
                }
                recover_index.versions.remove(v);
                recover_index.tags.retain(|_, tv| tv != v);
                recover_index.add(v, &tags);
            }
            removed_tags.extend(tags);
        }
        if !force {
            recover_index.fast_tag_seq = recover_index.fast_tag_seq.max(index.fast_tag_seq);
            self.save_index(&recover_index_path, &mut recover_index)?;
        }
        let runtime_dir = self.runtime_dir(name);
        if version.is_none() || self.versions(name, false)?.is_empty() {
            // Nothing left: drop the index too, as swcli's whole-runtime
            // remove does; the fast tag counter lives on in .recover/.
            atomic::remove_path(&index_path).map_err(StoreError::io("remove", &index_path))?;
            remove_empty_dirs(&runtime_dir);
            remove_empty_dirs(&self.paths.workdir().join(name));
        } else {
            self.save_index(&index_path, &mut index)?;
            remove_empty_dirs(&runtime_dir);
        }
        let _ = fs::remove_file(self.cache_path(name));
        self.bump_generation(lock)?;
        Ok(Removed {
            name: name.to_owned(),
            versions,
            tags: removed_tags,
            forced: force,
        })
    }

    fn forget_removed_tags(&self, name: &str, version: &str) -> Result<(), StoreError> {
        let path = self.recover_index_path(name);
        if !path.exists() {
            return Ok(());
        }
        let mut index = read_index(&path, name)?;
        index.remove_version(version);
        self.save_index(&path, &mut index)
    }

    /// Brings back one removed version (`Some`, a full version or unique
    /// prefix) or all of a runtime's removed versions (`None`), with the tags
    /// they had that nobody took meanwhile (`latest` only if no version has
    /// it).
    pub fn recover(
        &self,
        lock: &StoreLock,
        name: &str,
        version: Option<&str>,
    ) -> Result<Recovered, StoreError> {
        let versions: Vec<String> = match version {
            Some(sel) => vec![self.resolve_removed(name, sel)?.version],
            None => {
                let all = self.versions(name, true)?;
                if all.is_empty() {
                    return Err(StoreError::NothingToRecover {
                        name: name.to_owned(),
                    });
                }
                all
            }
        };
        for v in &versions {
            if self.bundle_path(name, v).exists() {
                return Err(StoreError::RecoverConflict {
                    name: name.to_owned(),
                    version: v.clone(),
                });
            }
        }
        let recover_index_path = self.recover_index_path(name);
        let mut recover_index = read_index(&recover_index_path, name)?;
        let index_path = self.index_path(name);
        let mut index = read_index(&index_path, name)?;
        index.name = name.to_owned();
        index.fast_tag_seq = index.fast_tag_seq.max(recover_index.fast_tag_seq);
        let mut given_back = Vec::new();
        for v in &versions {
            let rb = self.recover_bundle_path(name, v);
            let bundle = self.bundle_path(name, v);
            atomic::move_into_place(&rb, &bundle)
                .map_err(StoreError::io("move a bundle to", &bundle))?;
            let rw = self.recover_workdir(name, v);
            let workdir = self.workdir(name, v);
            if rw.exists() && !workdir.exists() {
                atomic::move_into_place(&rw, &workdir)
                    .map_err(StoreError::io("move a workdir to", &workdir))?;
            }
            let tags = recover_index.remove_version(v);
            for tag in tags {
                if index.tags.contains_key(&tag) {
                    continue;
                }
                index.add(v, std::slice::from_ref(&tag));
                given_back.push(tag);
            }
        }
        self.save_index(&index_path, &mut index)?;
        if self.versions(name, true)?.is_empty() {
            atomic::remove_path(&recover_index_path)
                .map_err(StoreError::io("remove", &recover_index_path))?;
            remove_empty_dirs(&self.recover_runtime_dir(name));
            remove_empty_dirs(&self.paths.workdir().join(RECOVER_DIR).join(name));
        } else {
            self.save_index(&recover_index_path, &mut recover_index)?;
            remove_empty_dirs(&self.recover_runtime_dir(name));
        }
        let _ = fs::remove_file(self.cache_path(name));
        self.bump_generation(lock)?;
        Ok(Recovered {
            name: name.to_owned(),
            versions,
            tags: given_back,
        })
    }

    /// Deletes `.recover/` (bundles and workdirs), staging directories older
    /// than a day, and fingerprints of versions that no longer exist.
    pub fn gc(&self, _lock: &StoreLock, dry_run: bool) -> Result<GcReport, StoreError> {
        let mut report = GcReport {
            dry_run,
            ..GcReport::default()
        };
        let mut push = |kind: &str, path: PathBuf| {
            let bytes = atomic::disk_size(&path);
            report.bytes += bytes;
            report.items.push(GcItem {
                kind: kind.to_owned(),
                path,
                bytes,
            });
        };
        for name in self.removed_names()? {
            for v in self.versions(name.as_str(), true)? {
                push("bundle", self.recover_bundle_path(&name, &v));
            }
        }
        let recover_workdirs = self.paths.workdir().join(RECOVER_DIR);
        for name in dir_names(&recover_workdirs)? {
            for bucket in dir_names(&recover_workdirs.join(&name))? {
                for v in dir_names(&recover_workdirs.join(&name).join(&bucket))? {
                    push(
                        "workdir",
                        recover_workdirs.join(&name).join(&bucket).join(v),
                    );
                }
            }
        }
        let tmp = self.tmp_dir();
        if let Ok(entries) = fs::read_dir(&tmp) {
            for e in entries.flatten() {
                let old = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age.as_secs() > STALE_STAGING_SECS);
                if old {
                    push("staging", e.path());
                }
            }
        }
        let fp_root = self.paths.state_dir().join("fingerprints");
        for name in dir_names(&fp_root)? {
            let project_dir = fp_root.join(&name).join(&self.paths.project);
            let Ok(entries) = fs::read_dir(&project_dir) else {
                continue;
            };
            for e in entries.flatten() {
                let version = fs::read_to_string(e.path()).unwrap_or_default();
                if !self.bundle_path(&name, version.trim()).is_file() {
                    push("fingerprint", e.path());
                }
            }
        }
        if !dry_run {
            for item in &report.items {
                atomic::remove_path(&item.path).map_err(StoreError::io("remove", &item.path))?;
            }
            let recover = self.paths.recover_dir();
            atomic::remove_path(&recover).map_err(StoreError::io("remove", &recover))?;
            atomic::remove_path(&recover_workdirs)
                .map_err(StoreError::io("remove", &recover_workdirs))?;
        }
        Ok(report)
    }

    /// Makes sure the version's workdir holds its extracted bundle; returns
    /// the workdir. Safe to race: extraction renames a complete directory.
    pub fn ensure_extracted(&self, name: &str, version: &str) -> Result<PathBuf, StoreError> {
        let target = self.workdir(name, version);
        if target.join(MANIFEST_FILE).is_file() {
            return Ok(target);
        }
        let bundle = self.bundle_path(name, version);
        match bundle::extract(&bundle, &target, false, &ExtractLimits::default()) {
            Ok(_) => Ok(target),
            Err(_) if target.join(MANIFEST_FILE).is_file() => Ok(target),
            Err(BundleError::TargetExists { .. }) => {
                // A workdir without a manifest (swcli's restore can leave
                // one): replace it.
                bundle::extract(&bundle, &target, true, &ExtractLimits::default())?;
                Ok(target)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Extracts a version to `target` (default: its workdir).
    pub fn extract(
        &self,
        name: &str,
        version: &str,
        target: Option<&Path>,
        force: bool,
    ) -> Result<Extracted, StoreError> {
        let default = self.workdir(name, version);
        let target = target.unwrap_or(&default);
        let bundle = self.bundle_path(name, version);
        Ok(bundle::extract(
            &bundle,
            target,
            force,
            &ExtractLimits::default(),
        )?)
    }

    /// Imports a bundle file from anywhere: verifies it by extracting it
    /// safely, then adds it as a new local version (`vN`, `latest`) of
    /// `name` (default: the name in its runtime.yaml).
    pub fn import_bundle(
        &self,
        lock: &StoreLock,
        file: &Path,
        name: Option<&str>,
        tags: &[String],
        limits: &ExtractLimits,
    ) -> Result<Added, StoreError> {
        let staging = self.staging_dir()?;
        let workdir = staging.path().join("workdir");
        let extracted = bundle::extract(file, &workdir, false, limits)?;
        let name = match name {
            Some(n) => n.to_owned(),
            None => runtime_name_in(&workdir).ok_or_else(|| {
                StoreError::Bundle(BundleError::Inconsistent {
                    path: file.to_path_buf(),
                    reason: "its runtime.yaml names no runtime; pass a name".to_owned(),
                })
            })?,
        };
        if extracted.manifest.version.is_empty() {
            return Err(StoreError::NoVersion {
                path: file.to_path_buf(),
            });
        }
        let copy = staging
            .path()
            .join(format!("{}.{BUNDLE_EXT}", extracted.manifest.version));
        fs::copy(file, &copy).map_err(StoreError::io("copy", file))?;
        atomic::sync_file(&copy).map_err(StoreError::io("sync", &copy))?;
        self.add_version(
            lock,
            AddVersion {
                name,
                bundle: copy,
                workdir: Some(workdir),
                tags: tags.to_vec(),
            },
        )
    }
}

/// The `name:` of the runtime.yaml in an extracted bundle, lowercased as
/// swcli does.
fn runtime_name_in(workdir: &Path) -> Option<String> {
    let text = fs::read_to_string(workdir.join("runtime.yaml")).ok()?;
    let value: serde_yaml::Value = serde_yaml::from_str(&text).ok()?;
    let name = value.get("name")?.as_str()?.trim().to_lowercase();
    is_valid_name(&name).then_some(name)
}

fn read_index(path: &Path, name: &str) -> Result<TagIndex, StoreError> {
    match fs::read_to_string(path) {
        Ok(text) => TagIndex::parse(name, &text).map_err(|source| StoreError::BadIndex {
            path: path.to_path_buf(),
            source,
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(TagIndex::new(name)),
        Err(e) => Err(StoreError::io("read", path)(e)),
    }
}

/// Sub-directory names, sorted, skipping hidden ones (`.recover`, temp files).
fn dir_names(dir: &Path) -> Result<Vec<String>, StoreError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io("read", dir)(e)),
    };
    let mut out: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| !n.starts_with('.'))
        .collect();
    out.sort();
    Ok(out)
}

/// Removes empty directories bottom-up under and including `dir`.
fn remove_empty_dirs(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                remove_empty_dirs(&e.path());
            }
        }
    }
    let _ = fs::remove_dir(dir);
}

/// Groups rows by runtime name, keeping the newest-first order.
pub fn group_by_name(rows: &[VersionInfo]) -> BTreeMap<String, Vec<&VersionInfo>> {
    let mut out: BTreeMap<String, Vec<&VersionInfo>> = BTreeMap::new();
    for r in rows {
        out.entry(r.name.clone()).or_default().push(r);
    }
    out
}
