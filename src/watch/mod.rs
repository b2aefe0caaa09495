//! Watch mode: rebuild a runtime in the background when its `runtime.yaml`
//! or a file it names changes.
//!
//! One watcher thread serves every caller (`swrt watch`, the TUI). It watches
//! the *parent directories* of each runtime.yaml and of every file the spec
//! names, because editors often save by writing a new file and renaming it
//! over the old one, which a watch on the file itself would lose. Events are
//! debounced (notify-debouncer-full), then gated by content: the spec is
//! loaded again and its input fingerprint (which covers the bytes of every
//! referenced file) compared with the last one seen, so a `touch` or a save
//! that leaves the bytes equal starts nothing.
//!
//! Each runtime has at most one running and one pending build: a newer change
//! cancels the running build and queues a fresh one, which reads the latest
//! content when it starts. Building itself is delegated to a [`Rebuild`]
//! implementation (the real build pipeline in the binary), so this module
//! never prints and never touches the store directly.

mod supervisor;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, Debouncer, NoCache, RecommendedCache};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::spec::{self, LoadOptions};

pub use supervisor::RebuildRequest;

/// How long a burst of file events must be quiet before it is acted on.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(300);

/// What a rebuild came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum RebuildResult {
    /// A new version was built and recorded.
    Built { name: String, version: String },
    /// The inputs match a version that already exists: nothing moved.
    UpToDate { name: String, version: String },
    /// The build failed; the store is as it was.
    Failed { reason: String },
    /// A newer change cancelled it.
    Cancelled,
}

/// Builds one runtime for the watcher. Implemented by the build pipeline.
pub trait Rebuild: Send + Sync + 'static {
    /// Builds the runtime described by `request.spec`, reading the file's
    /// current content. Must return promptly once `cancel` fires, having
    /// killed its child processes and removed its staging directory.
    fn rebuild(
        &self,
        request: &RebuildRequest,
        cancel: &CancellationToken,
        progress: &dyn Fn(String),
    ) -> RebuildResult;
}

/// What the watcher reports. Serialised one per line by `swrt watch --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WatchEvent {
    /// The watcher started on a spec; `dirs` are the directories it watches.
    Watching {
        spec: PathBuf,
        dirs: Vec<PathBuf>,
        polling: bool,
    },
    /// The native watcher could not start; polling instead (said once).
    PollingFallback { reason: String },
    /// A watched file changed in content.
    Changed { spec: PathBuf, paths: Vec<PathBuf> },
    /// The spec does not load; the last good runtime stays active.
    Invalid {
        spec: PathBuf,
        problems: Vec<String>,
    },
    /// A build started (`build` numbers the builds of this spec).
    BuildStarted {
        spec: PathBuf,
        name: String,
        build: u64,
    },
    /// A line of progress from the running build.
    Progress {
        spec: PathBuf,
        build: u64,
        line: String,
    },
    /// A build ended.
    BuildFinished {
        spec: PathBuf,
        build: u64,
        #[serde(flatten)]
        result: RebuildResult,
    },
    /// A watch-level problem (a directory that could not be watched).
    Warning { spec: PathBuf, message: String },
}

/// Errors that stop the watcher from starting.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("cannot watch files: {0}")]
    Notify(#[from] notify::Error),
    #[error("cannot start the watcher thread")]
    Thread(#[source] std::io::Error),
}

/// Settings for [`spawn`].
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Quiet time before a burst of events is acted on.
    pub debounce: Duration,
    /// Poll instead of using inotify (network filesystems).
    pub force_poll: bool,
    /// Interval for the polling fallback.
    pub poll_interval: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            debounce: DEFAULT_DEBOUNCE,
            force_poll: false,
            poll_interval: Duration::from_millis(500),
        }
    }
}

/// Messages into the watcher thread.
pub(crate) enum Input {
    Fs(DebounceEventResult),
    Add(PathBuf),
    Remove(PathBuf),
    Progress {
        spec: PathBuf,
        build: u64,
        line: String,
    },
    BuildDone {
        spec: PathBuf,
        build: u64,
        result: RebuildResult,
    },
    Stop,
}

/// A running watcher. Dropping it without [`WatchHandle::stop`] also stops
/// it, but without waiting.
pub struct WatchHandle {
    tx: mpsc::Sender<Input>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl WatchHandle {
    /// Starts watching another runtime.yaml (or directory holding one).
    pub fn add(&self, spec: &Path) {
        let _ = self.tx.send(Input::Add(spec::locate(spec)));
    }

    /// Stops watching a runtime.yaml; a running build of it is cancelled.
    pub fn remove(&self, spec: &Path) {
        let _ = self.tx.send(Input::Remove(spec::locate(spec)));
    }

    /// Cancels running builds, waits for them to clean up, and stops.
    pub fn stop(mut self) {
        let _ = self.tx.send(Input::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        let _ = self.tx.send(Input::Stop);
    }
}

/// The two kinds of debouncer: inotify, or polling when inotify is
/// unavailable.
enum FsWatcher {
    Native(Debouncer<notify::RecommendedWatcher, RecommendedCache>),
    Poll(Debouncer<notify::PollWatcher, NoCache>),
}

impl FsWatcher {
    fn watch(&mut self, path: &Path, mode: RecursiveMode) -> notify::Result<()> {
        match self {
            FsWatcher::Native(d) => d.watch(path, mode),
            FsWatcher::Poll(d) => d.watch(path, mode),
        }
    }

    fn unwatch(&mut self, path: &Path) -> notify::Result<()> {
        match self {
            FsWatcher::Native(d) => d.unwatch(path),
            FsWatcher::Poll(d) => d.unwatch(path),
        }
    }

    fn is_polling(&self) -> bool {
        matches!(self, FsWatcher::Poll(_))
    }
}

fn native(options: &WatchOptions, tx: mpsc::Sender<Input>) -> notify::Result<FsWatcher> {
    let handler = move |r: DebounceEventResult| {
        let _ = tx.send(Input::Fs(r));
    };
    notify_debouncer_full::new_debouncer(options.debounce, None, handler).map(FsWatcher::Native)
}

fn polling(options: &WatchOptions, tx: mpsc::Sender<Input>) -> notify::Result<FsWatcher> {
    let handler = move |r: DebounceEventResult| {
        let _ = tx.send(Input::Fs(r));
    };
    let config = notify::Config::default()
        .with_poll_interval(options.poll_interval)
        .with_compare_contents(true);
    notify_debouncer_full::new_debouncer_opt::<_, notify::PollWatcher, NoCache>(
        options.debounce,
        None,
        handler,
        NoCache,
        config,
    )
    .map(FsWatcher::Poll)
}

/// Starts the watcher thread on `specs` (runtime.yaml files or directories
/// holding one). Each spec is evaluated once at start: a build is requested,
/// which is free when its fingerprint was built already.
pub fn spawn(
    specs: &[PathBuf],
    options: WatchOptions,
    builder: Arc<dyn Rebuild>,
    sink: impl Fn(WatchEvent) + Send + 'static,
) -> Result<WatchHandle, WatchError> {
    let (tx, rx) = mpsc::channel();
    let mut fallback_reason = None;
    let fs = if options.force_poll {
        polling(&options, tx.clone())?
    } else {
        match native(&options, tx.clone()) {
            Ok(w) => w,
            Err(e) => {
                fallback_reason = Some(e.to_string());
                polling(&options, tx.clone())?
            }
        }
    };
    let mut state = Loop {
        fs,
        options,
        tx: tx.clone(),
        specs: BTreeMap::new(),
        watched_dirs: BTreeMap::new(),
        builder,
        sink: Box::new(sink),
        said_fallback: false,
    };
    if let Some(reason) = fallback_reason {
        state.say_fallback(reason);
    }
    for spec in specs {
        state.add(spec::locate(spec));
    }
    let thread = std::thread::Builder::new()
        .name("swrt-watch".to_owned())
        .spawn(move || state.run(rx))
        .map_err(WatchError::Thread)?;
    Ok(WatchHandle {
        tx,
        thread: Some(thread),
    })
}

/// What the watcher knows of one runtime.yaml.
struct Watched {
    /// The fingerprint of the last content that loaded; `None` before the
    /// first good load.
    fingerprint: Option<String>,
    /// The spec and every file it names (absolute).
    files: BTreeSet<PathBuf>,
    /// Directories named by `files:` entries, whose contents count too.
    trees: BTreeSet<PathBuf>,
    builds: supervisor::Supervisor,
}

struct Loop {
    fs: FsWatcher,
    options: WatchOptions,
    tx: mpsc::Sender<Input>,
    specs: BTreeMap<PathBuf, Watched>,
    /// Directory → how it is watched, shared by every spec that needs it.
    watched_dirs: BTreeMap<PathBuf, RecursiveMode>,
    builder: Arc<dyn Rebuild>,
    sink: Box<dyn Fn(WatchEvent) + Send>,
    said_fallback: bool,
}

impl Loop {
    fn run(mut self, rx: mpsc::Receiver<Input>) {
        while let Ok(input) = rx.recv() {
            match input {
                Input::Fs(Ok(events)) => {
                    // Reads (our own spec loads and builds among them) are
                    // not changes; acting on them would loop.
                    let paths: BTreeSet<PathBuf> = events
                        .iter()
                        .filter(|e| !matches!(e.kind, notify::EventKind::Access(_)))
                        .flat_map(|e| e.paths.iter().cloned())
                        .collect();
                    if !paths.is_empty() {
                        self.on_paths(&paths);
                    }
                }
                Input::Fs(Err(errors)) => {
                    for e in errors {
                        (self.sink)(WatchEvent::Warning {
                            spec: PathBuf::new(),
                            message: e.to_string(),
                        });
                    }
                }
                Input::Add(spec) => self.add(spec),
                Input::Remove(spec) => {
                    if let Some(mut w) = self.specs.remove(&spec) {
                        w.builds.cancel_all();
                        self.sync_dirs();
                    }
                }
                Input::Progress { spec, build, line } => {
                    (self.sink)(WatchEvent::Progress { spec, build, line });
                }
                Input::BuildDone {
                    spec,
                    build,
                    result,
                } => self.on_build_done(spec, build, result),
                Input::Stop => break,
            }
        }
        // Cancel what runs and wait for it, so no child outlives the watcher.
        for w in self.specs.values_mut() {
            w.builds.cancel_all();
        }
        for w in self.specs.values_mut() {
            w.builds.join_all();
        }
    }

    fn say_fallback(&mut self, reason: String) {
        if !self.said_fallback {
            self.said_fallback = true;
            (self.sink)(WatchEvent::PollingFallback { reason });
        }
    }

    fn add(&mut self, spec: PathBuf) {
        let spec = absolute(&spec);
        if self.specs.contains_key(&spec) {
            return;
        }
        let mut files = BTreeSet::new();
        files.insert(spec.clone());
        self.specs.insert(
            spec.clone(),
            Watched {
                fingerprint: None,
                files,
                trees: BTreeSet::new(),
                builds: supervisor::Supervisor::default(),
            },
        );
        self.evaluate(&spec, Vec::new());
        let dirs = self.dirs_of(&spec);
        (self.sink)(WatchEvent::Watching {
            spec,
            dirs,
            polling: self.fs.is_polling(),
        });
    }

    fn dirs_of(&self, spec: &Path) -> Vec<PathBuf> {
        let Some(w) = self.specs.get(spec) else {
            return Vec::new();
        };
        let mut dirs: BTreeSet<PathBuf> = w
            .files
            .iter()
            .filter_map(|f| f.parent().map(Path::to_path_buf))
            .collect();
        dirs.extend(w.trees.iter().cloned());
        dirs.into_iter().collect()
    }

    /// Reconciles the directories under watch with what the specs need.
    fn sync_dirs(&mut self) {
        let mut wanted: BTreeMap<PathBuf, RecursiveMode> = BTreeMap::new();
        for w in self.specs.values() {
            for f in &w.files {
                if let Some(parent) = f.parent() {
                    wanted
                        .entry(parent.to_path_buf())
                        .or_insert(RecursiveMode::NonRecursive);
                }
            }
            for t in &w.trees {
                wanted.insert(t.clone(), RecursiveMode::Recursive);
            }
        }
        let stale: Vec<PathBuf> = self
            .watched_dirs
            .iter()
            .filter(|(d, m)| wanted.get(*d) != Some(*m))
            .map(|(d, _)| d.clone())
            .collect();
        for d in stale {
            let _ = self.fs.unwatch(&d);
            self.watched_dirs.remove(&d);
        }
        for (dir, mode) in wanted {
            if self.watched_dirs.contains_key(&dir) {
                continue;
            }
            match self.fs.watch(&dir, mode) {
                Ok(()) => {
                    self.watched_dirs.insert(dir, mode);
                }
                Err(e) if is_resource_limit(&e) && !self.fs.is_polling() => {
                    self.switch_to_polling(e.to_string());
                    return;
                }
                Err(e) => (self.sink)(WatchEvent::Warning {
                    spec: PathBuf::new(),
                    message: format!("cannot watch {}: {e}", dir.display()),
                }),
            }
        }
    }

    /// inotify ran out of watches (or is unavailable): poll everything.
    fn switch_to_polling(&mut self, reason: String) {
        match polling(&self.options, self.tx.clone()) {
            Ok(fs) => {
                self.fs = fs;
                self.watched_dirs.clear();
                self.say_fallback(reason);
                self.sync_dirs();
            }
            Err(e) => (self.sink)(WatchEvent::Warning {
                spec: PathBuf::new(),
                message: format!("cannot poll for changes either: {e}"),
            }),
        }
    }

    fn on_paths(&mut self, paths: &BTreeSet<PathBuf>) {
        let affected: Vec<(PathBuf, Vec<PathBuf>)> = self
            .specs
            .iter()
            .filter_map(|(spec, w)| {
                let hits: Vec<PathBuf> = paths
                    .iter()
                    .filter(|p| w.files.contains(*p) || w.trees.iter().any(|t| p.starts_with(t)))
                    .cloned()
                    .collect();
                (!hits.is_empty()).then(|| (spec.clone(), hits))
            })
            .collect();
        for (spec, hits) in affected {
            self.evaluate(&spec, hits);
        }
    }

    /// Loads the spec again; on a new fingerprint, requests a build.
    fn evaluate(&mut self, spec: &Path, hits: Vec<PathBuf>) {
        let loaded = spec::load(spec, &LoadOptions::default());
        let Some(w) = self.specs.get_mut(spec) else {
            return;
        };
        match loaded {
            Err(e) => {
                let problems = e
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == spec::Severity::Error)
                    .map(ToString::to_string)
                    .collect();
                (self.sink)(WatchEvent::Invalid {
                    spec: spec.to_path_buf(),
                    problems,
                });
            }
            Ok(loaded) => {
                let s = &loaded.spec;
                let mut files: BTreeSet<PathBuf> = BTreeSet::new();
                files.insert(spec.to_path_buf());
                let mut trees = BTreeSet::new();
                for f in s.referenced_files() {
                    if f.path.is_dir() {
                        trees.insert(f.path.clone());
                    }
                    files.insert(f.path.clone());
                }
                w.files = files;
                w.trees = trees;
                if w.fingerprint.as_deref() != Some(s.fingerprint.as_str()) {
                    let first = w.fingerprint.is_none();
                    w.fingerprint = Some(s.fingerprint.clone());
                    if !first {
                        (self.sink)(WatchEvent::Changed {
                            spec: spec.to_path_buf(),
                            paths: hits,
                        });
                    }
                    let request = RebuildRequest {
                        spec: spec.to_path_buf(),
                        name: s.name.clone(),
                    };
                    let started = w.builds.request(request, &self.builder, &self.tx);
                    if let Some(ev) = started {
                        (self.sink)(ev);
                    }
                }
            }
        }
        self.sync_dirs();
    }

    fn on_build_done(&mut self, spec: PathBuf, build: u64, result: RebuildResult) {
        let Some(w) = self.specs.get_mut(&spec) else {
            return;
        };
        (self.sink)(WatchEvent::BuildFinished {
            spec: spec.clone(),
            build,
            result,
        });
        if let Some(ev) = w.builds.finished(build, &self.builder, &self.tx) {
            (self.sink)(ev);
        }
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn is_resource_limit(e: &notify::Error) -> bool {
    match &e.kind {
        notify::ErrorKind::MaxFilesWatch => true,
        notify::ErrorKind::Io(io) => matches!(io.raw_os_error(), Some(28 | 24)),
        _ => false,
    }
}
