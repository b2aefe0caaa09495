//! What reaches the loop (`Msg`) and what `update` asks the loop to do
//! (`Effect`). Small plain values, so spawned tasks can send them and tests
//! can build them.

use std::path::PathBuf;

use crossterm::event::{KeyEvent, MouseEvent};

use super::state::{Docs, Key, Snapshot};

/// Something that happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// The clock moved (ages in the list).
    Tick(jiff::Timestamp),
    StoreLoaded(Snapshot),
    StoreFailed(String),
    /// Another process bumped the store generation counter.
    GenerationChanged(u64),
    DetailLoaded {
        key: Key,
        docs: Docs,
    },
    LogLoaded {
        key: Key,
        lines: Vec<String>,
    },
    Build {
        id: u64,
        event: BuildUpdate,
    },
    /// An action finished; the text goes to the status bar.
    ActionDone(String),
    ActionFailed(String),
    EditorReturned(Result<(), String>),
    /// The watcher started a rebuild; its progress then comes as `Build`
    /// messages with this id.
    WatchBuildStarted {
        id: u64,
        name: String,
        source: PathBuf,
    },
    /// SIGTERM, SIGHUP or Ctrl-C from outside the key handling.
    Terminate,
}

/// A build's progress, as the loop forwards it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildUpdate {
    Step(String),
    Line(String),
    Done { version: Option<String> },
    Failed(String),
}

/// Work for the loop: everything that touches the store, processes or the
/// terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    LoadStore,
    LoadDetail {
        key: Key,
        bundle: PathBuf,
        source: Option<PathBuf>,
    },
    LoadLog {
        key: Key,
    },
    /// Select this runtime for the calling shell's session.
    SwitchSession {
        key: Key,
        session: String,
    },
    SwitchGlobal {
        key: Key,
    },
    Build {
        id: u64,
        name: String,
        source: PathBuf,
    },
    Tag {
        key: Key,
        tag: String,
        remove: bool,
    },
    Remove {
        key: Key,
    },
    Recover {
        key: Key,
    },
    /// Leave the alternate screen, run `$VISUAL`/`$EDITOR`, come back.
    Edit {
        path: PathBuf,
    },
    /// Start (with the runtime.yaml files to watch) or stop the watcher.
    Watch {
        on: bool,
        specs: Vec<PathBuf>,
    },
}
