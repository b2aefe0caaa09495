//! What a build (or a restore) tells the outside world while it runs.
//!
//! The pipeline never prints: it sends `BuildEvent`s over an unbounded tokio
//! channel, so a synchronous caller (`swrt build`) and an async one (the TUI,
//! the watcher) consume the same stream. Sending never blocks and a closed
//! receiver is not an error: nobody watching is a valid way to build.
//!
//! Order guarantees, for consumers that keep state:
//! - `Started` comes first, exactly once.
//! - Every `StepStarted{step}` is followed by `StepFinished{step}` for the same
//!   step, unless the build fails inside it (then `Failed` names it).
//! - `Log` lines belong to the most recent `StepStarted`.
//! - The stream ends with exactly one of `UpToDate`, `Done` or `Failed`.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// One stage of a build or restore, in the order they usually run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Read, validate and resolve runtime.yaml, compute the fingerprint.
    Resolve,
    /// Wait for another build of the same runtime to finish.
    WaitLock,
    /// Create a fresh environment (`uv venv` / `python -m venv`).
    CreateEnv,
    /// Apply `dependencies[index]` (0-based, in yaml order).
    Dependency {
        index: usize,
        /// `pip_req_file`, `pip_pkg`, `wheel`, `native_file`, `command`, ...
        kind: String,
        /// Short human summary, e.g. `requirements.txt` or `numpy`.
        detail: String,
    },
    /// Freeze the environment into the lock file.
    Lock,
    /// `--download-all-deps`: fetch every locked wheel into the bundle.
    DownloadWheels,
    /// Write the `.swrt` bundle and compute its version.
    Bundle,
    /// Move bundle and environment into the store, tag, bump the generation.
    Commit,
    /// Restore: unpack the bundle into the workdir.
    Extract,
    /// Restore: install the lock exactly (`--no-deps`).
    InstallLock,
    /// Restore: freeze the result and compare it with the lock.
    Verify,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Resolve => f.write_str("resolve"),
            Step::WaitLock => f.write_str("wait for lock"),
            Step::CreateEnv => f.write_str("create env"),
            Step::Dependency {
                index,
                kind,
                detail,
            } => {
                write!(f, "dependencies[{index}] {kind}")?;
                if !detail.is_empty() {
                    write!(f, " {detail}")?;
                }
                Ok(())
            }
            Step::Lock => f.write_str("lock"),
            Step::DownloadWheels => f.write_str("download wheels"),
            Step::Bundle => f.write_str("bundle"),
            Step::Commit => f.write_str("commit"),
            Step::Extract => f.write_str("extract"),
            Step::InstallLock => f.write_str("install lock"),
            Step::Verify => f.write_str("verify"),
        }
    }
}

/// Which output stream of a child process a log line came from. Lines that
/// swrt itself writes into the log (step headers, skipped commands) are `Swrt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
    Swrt,
}

/// Something that happened during a build or restore.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum BuildEvent {
    /// The build began; every child line also goes to `log_path`.
    Started {
        name: String,
        build_id: String,
        log_path: PathBuf,
    },
    StepStarted {
        step: Step,
    },
    StepFinished {
        step: Step,
        #[serde(with = "duration_secs")]
        elapsed: Duration,
    },
    /// One line of a child's output (without the newline), or a note by swrt.
    Log {
        line: String,
        stream: Stream,
    },
    /// Something was deliberately not done, e.g. a `commands:` entry without
    /// `--run-commands`.
    Skipped {
        reason: String,
    },
    /// Final: this fingerprint is already built; nothing was created.
    UpToDate {
        name: String,
        version: String,
    },
    /// Final: a new version is in the store with these tags.
    Done {
        name: String,
        version: String,
        tags: Vec<String>,
    },
    /// Final: the build stopped. `command` is the child that failed (when a
    /// child failed), `tail` its last output lines. The store is unchanged.
    Failed {
        step: Option<Step>,
        command: Option<String>,
        tail: Vec<String>,
        message: String,
    },
}

impl BuildEvent {
    /// True for the events that end a stream.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            BuildEvent::UpToDate { .. } | BuildEvent::Done { .. } | BuildEvent::Failed { .. }
        )
    }
}

mod duration_secs {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

/// The sending side handed to the pipeline. Cloning is cheap.
#[derive(Debug, Clone)]
pub struct EventSink {
    tx: Option<UnboundedSender<BuildEvent>>,
}

impl EventSink {
    /// A sink and the receiver that sees everything sent to it.
    pub fn channel() -> (EventSink, UnboundedReceiver<BuildEvent>) {
        let (tx, rx) = unbounded_channel();
        (EventSink { tx: Some(tx) }, rx)
    }

    /// A sink that drops every event (tests, `swrt lock --stdout`).
    pub fn discard() -> EventSink {
        EventSink { tx: None }
    }

    /// Sends an event; a receiver that went away is ignored on purpose.
    pub fn send(&self, event: BuildEvent) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_read_well() {
        let step = Step::Dependency {
            index: 2,
            kind: "pip_pkg".into(),
            detail: "numpy".into(),
        };
        assert_eq!(step.to_string(), "dependencies[2] pip_pkg numpy");
        assert_eq!(Step::CreateEnv.to_string(), "create env");
    }

    #[test]
    fn events_serialise_with_a_tag() {
        let ev = BuildEvent::StepFinished {
            step: Step::Lock,
            elapsed: Duration::from_millis(1500),
        };
        let json = serde_json::to_string(&ev).unwrap();
        assert_eq!(
            json,
            r#"{"event":"step_finished","step":{"step":"lock"},"elapsed":1.5}"#
        );
    }

    #[test]
    fn a_closed_receiver_is_fine() {
        let (sink, rx) = EventSink::channel();
        drop(rx);
        sink.send(BuildEvent::Skipped { reason: "x".into() });
        let (sink, mut rx) = EventSink::channel();
        sink.send(BuildEvent::Skipped { reason: "y".into() });
        assert!(matches!(rx.try_recv(), Ok(BuildEvent::Skipped { .. })));
    }
}
