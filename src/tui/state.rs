//! The TUI's plain state: the view-model of the store (`RuntimeRow`), the
//! filter, selection, detail documents, build logs and modals. Plain data
//! only: no handles, no locks, no I/O. `update` changes it, views read it.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use super::filter::Query;
use super::log::LogRing;

/// One version of one runtime, as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeRow {
    pub name: String,
    pub version: String,
    pub tags: Vec<String>,
    /// `venv` or `conda`.
    pub mode: String,
    /// `X.Y`, or empty when unknown.
    pub python: String,
    /// Bundle size in bytes.
    pub size: u64,
    pub created: Option<jiff::Timestamp>,
    /// Removed to `.recover/`: can be recovered with `r`.
    pub removed: bool,
    /// The runtime.yaml it was built from has changed since.
    pub stale: bool,
    /// The input fingerprint recorded in its manifest.
    pub fingerprint: Option<String>,
    /// The bundle file, for reading its members.
    pub bundle: PathBuf,
    /// The runtime.yaml it was built from, when that is known and still there.
    pub source: Option<PathBuf>,
}

impl RuntimeRow {
    pub fn key(&self) -> Key {
        Key {
            name: self.name.clone(),
            version: self.version.clone(),
        }
    }
}

/// Identifies one version of one runtime.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub name: String,
    pub version: String,
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.name, short_version(&self.version))
    }
}

/// The first 12 characters of a version, as shown in lists.
pub fn short_version(version: &str) -> &str {
    version.get(..12).unwrap_or(version)
}

/// Everything the data layer reads from the store in one go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub rows: Vec<RuntimeRow>,
    /// What this shell's session has selected (`SWRT_SESSION`).
    pub active_shell: Option<Key>,
    /// The global selection.
    pub active_global: Option<Key>,
    /// The store generation counter this snapshot was read at.
    pub generation: u64,
    /// Runtimes being built by another process (their build lock is held).
    pub building: BTreeSet<String>,
}

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    List,
    Detail,
    Log,
}

/// Tabs of the detail pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Tab {
    #[default]
    Spec,
    Manifest,
    Lock,
    RuntimeYaml,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Spec, Tab::Manifest, Tab::Lock, Tab::RuntimeYaml];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Spec => "spec",
            Tab::Manifest => "manifest",
            Tab::Lock => "lock",
            Tab::RuntimeYaml => "runtime.yaml",
        }
    }

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// One document of the detail pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Doc {
    /// YAML text, coloured as YAML.
    Yaml(String),
    /// Plain text (a lock file).
    Text(String),
    /// Why there is nothing to show.
    Missing(String),
}

/// The four documents of one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Docs {
    pub spec: Doc,
    pub manifest: Doc,
    pub lock: Doc,
    pub runtime_yaml: Doc,
}

impl Docs {
    pub fn get(&self, tab: Tab) -> &Doc {
        match tab {
            Tab::Spec => &self.spec,
            Tab::Manifest => &self.manifest,
            Tab::Lock => &self.lock,
            Tab::RuntimeYaml => &self.runtime_yaml,
        }
    }
}

/// The detail pane: which version its documents belong to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Detail {
    pub key: Option<Key>,
    pub docs: Option<Docs>,
    pub tab: Tab,
    pub scroll: u16,
}

/// How a build started from this TUI is going.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildStatus {
    Running { step: Option<String> },
    Done { version: Option<String> },
    Failed { error: String },
}

/// A build started from this TUI (one per runtime name: the latest).
#[derive(Debug, Clone, PartialEq)]
pub struct BuildJob {
    pub id: u64,
    pub name: String,
    pub source: PathBuf,
    pub status: BuildStatus,
    pub log: LogRing,
}

/// Scroll, follow and search of the log pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogView {
    /// Stick to the end as lines arrive.
    pub follow: bool,
    /// First visible line when not following.
    pub scroll: usize,
    pub search: String,
    /// The search prompt has the keyboard.
    pub searching: bool,
    /// The line the last `n`/`N` landed on.
    pub current_match: Option<usize>,
}

impl Default for LogView {
    fn default() -> LogView {
        LogView {
            follow: true,
            scroll: 0,
            search: String::new(),
            searching: false,
            current_match: None,
        }
    }
}

/// A dialog over the panes; it has the keyboard while open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Modal {
    Help { scroll: u16 },
    ConfirmRemove { key: Key },
    Tag { key: Key, input: String },
}

/// How a status message is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

/// A row of the list as it is on screen now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A runtime name with its versions below (when expanded).
    Group {
        name: String,
        /// Indexes into `State::rows` of its versions (newest first).
        rows: Vec<usize>,
        expanded: bool,
    },
    Version {
        row: usize,
    },
}

/// The whole UI state.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Every version in the store, sorted by name then newest first.
    pub rows: Vec<RuntimeRow>,
    pub loaded: bool,
    pub load_error: Option<String>,
    pub active_shell: Option<Key>,
    pub active_global: Option<Key>,
    pub generation: u64,
    /// Runtimes being built by another process.
    pub building_elsewhere: BTreeSet<String>,
    /// `$SWRT_SESSION`, when the TUI runs inside a hooked shell.
    pub session: Option<String>,
    /// Names whose versions are hidden.
    pub collapsed: BTreeSet<String>,
    /// The list as shown: groups and versions after filter and collapse.
    pub items: Vec<Item>,
    /// Groups in `items`, and live versions in `rows`, counted when they
    /// change rather than on every frame.
    pub shown_groups: usize,
    pub live_versions: usize,
    pub selected: usize,
    /// First visible item of the list.
    pub list_offset: usize,
    pub filter: String,
    pub filter_editing: bool,
    pub focus: Focus,
    /// In the narrow layout the bottom pane shows the log instead of the detail.
    pub bottom_log: bool,
    pub detail: Detail,
    pub builds: HashMap<String, BuildJob>,
    pub next_build_id: u64,
    /// A version this session just built: selected when the store reload
    /// that lists it arrives, if the cursor is still on that runtime, so the
    /// log pane keeps showing the finished build.
    pub select_after_load: Option<Key>,
    /// The stored log of the selected version.
    pub stored_log: Option<(Key, LogRing)>,
    pub log_view: LogView,
    pub modal: Option<Modal>,
    pub status: Option<(Level, String)>,
    pub watching: bool,
    /// Terminal size.
    pub width: u16,
    pub height: u16,
    /// "Now", advanced by ticks, so ages render without reading the clock.
    pub now: Option<jiff::Timestamp>,
    pub quit: bool,
}

impl State {
    pub fn new(session: Option<String>, width: u16, height: u16) -> State {
        State {
            session,
            width,
            height,
            next_build_id: 1,
            ..State::default()
        }
    }

    /// The row under the cursor: the version, or a group's newest version.
    pub fn selected_row(&self) -> Option<&RuntimeRow> {
        match self.items.get(self.selected)? {
            Item::Group { rows, .. } => rows.first().and_then(|r| self.rows.get(*r)),
            Item::Version { row, .. } => self.rows.get(*row),
        }
    }

    /// The name of the group under the cursor.
    pub fn selected_name(&self) -> Option<&str> {
        match self.items.get(self.selected)? {
            Item::Group { name, .. } => Some(name),
            Item::Version { row, .. } => self.rows.get(*row).map(|r| r.name.as_str()),
        }
    }

    /// The lines the log pane shows: the selected runtime's build from this
    /// session while it runs or after it failed, else the stored log.
    pub fn visible_log(&self) -> Option<(String, &LogRing)> {
        let name = self.selected_name()?;
        if let Some(job) = self.builds.get(name) {
            let selected = self.selected_row().map(|r| r.version.as_str());
            let show = match &job.status {
                BuildStatus::Running { .. } | BuildStatus::Failed { .. } => true,
                // A finished build stays on screen for the version it made
                // (or when it did not say which).
                BuildStatus::Done { version } => {
                    version.is_none() || version.as_deref() == selected || selected.is_none()
                }
            };
            if show {
                let title = match &job.status {
                    BuildStatus::Running { step } => match step {
                        Some(step) => format!("build {name}: {step}"),
                        None => format!("build {name}: running"),
                    },
                    BuildStatus::Done { .. } => format!("build {name}: done"),
                    BuildStatus::Failed { .. } => format!("build {name}: failed"),
                };
                return Some((title, &job.log));
            }
        }
        let row = self.selected_row()?;
        match &self.stored_log {
            Some((key, ring)) if key.name == row.name && key.version == row.version => {
                Some((format!("log {}", key), ring))
            }
            _ => None,
        }
    }

    /// Rebuilds `items` from rows, filter and collapsed groups, keeping the
    /// cursor on the same runtime version where possible.
    pub fn recompute_items(&mut self) {
        let keep = self.selected_key_or_name();
        self.recompute_items_keeping(keep);
    }

    /// As `recompute_items`, with the cursor's runtime taken before `rows`
    /// was replaced.
    pub fn recompute_items_keeping(&mut self, keep: Option<(String, Option<String>)>) {
        let keep_name = keep.as_ref().map(|(n, _)| n.clone());
        let query = Query::parse(&self.filter);
        let mut items = Vec::new();
        let mut start = 0;
        while start < self.rows.len() {
            let name = self.rows[start].name.clone();
            let mut end = start;
            while end < self.rows.len() && self.rows[end].name == name {
                end += 1;
            }
            let versions: Vec<usize> = (start..end)
                .filter(|&i| query.is_empty() || query.matches(&self.rows[i]))
                .collect();
            if !versions.is_empty() {
                // A filter shows its matches even inside collapsed groups.
                let expanded = !query.is_empty() || !self.collapsed.contains(&name);
                if expanded {
                    items.reserve(versions.len() + 1);
                }
                let shown = if expanded {
                    versions.clone()
                } else {
                    Vec::new()
                };
                items.push(Item::Group {
                    name,
                    rows: versions,
                    expanded,
                });
                items.extend(shown.into_iter().map(|row| Item::Version { row }));
            }
            start = end;
        }
        self.items = items;
        self.shown_groups = self
            .items
            .iter()
            .filter(|i| matches!(i, Item::Group { .. }))
            .count();
        self.selected = keep
            .and_then(|(name, version)| {
                self.items.iter().position(|item| match (item, &version) {
                    (Item::Version { row, .. }, Some(v)) => {
                        self.rows[*row].name == name && &self.rows[*row].version == v
                    }
                    (Item::Group { name: n, .. }, None) => *n == name,
                    _ => false,
                })
            })
            .or_else(|| {
                // The version went away: stay on its group.
                let name = keep_name?;
                self.items
                    .iter()
                    .position(|i| matches!(i, Item::Group { name: n, .. } if *n == name))
            })
            .unwrap_or(0)
            .min(self.items.len().saturating_sub(1));
    }

    pub fn selected_key_or_name(&self) -> Option<(String, Option<String>)> {
        match self.items.get(self.selected)? {
            Item::Group { name, .. } => Some((name.clone(), None)),
            Item::Version { row, .. } => {
                let r = self.rows.get(*row)?;
                Some((r.name.clone(), Some(r.version.clone())))
            }
        }
    }
}
