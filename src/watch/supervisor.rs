//! One running and one pending build per runtime. A newer request cancels
//! the running build and replaces any pending one; the pending build starts
//! only after the cancelled one has cleaned up, so two builds of one runtime
//! never overlap.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::{Input, Rebuild, WatchEvent};

/// What the watcher asks a [`Rebuild`] to build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RebuildRequest {
    /// The runtime.yaml (absolute). The builder reads its current content.
    pub spec: PathBuf,
    /// The runtime's name when the request was made.
    pub name: String,
}

struct Running {
    build: u64,
    cancel: CancellationToken,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
pub(crate) struct Supervisor {
    running: Option<Running>,
    pending: Option<RebuildRequest>,
    /// Numbers the builds of this runtime, so results can be matched.
    next_build: u64,
}

impl Supervisor {
    /// Starts a build, or cancels the running one and queues this request.
    /// Returns the event to report when a build started now.
    pub(crate) fn request(
        &mut self,
        request: RebuildRequest,
        builder: &Arc<dyn Rebuild>,
        tx: &mpsc::Sender<Input>,
    ) -> Option<WatchEvent> {
        match &self.running {
            Some(running) => {
                running.cancel.cancel();
                self.pending = Some(request);
                None
            }
            None => Some(self.start(request, builder, tx)),
        }
    }

    /// A build reported its end; starts the pending one if any.
    pub(crate) fn finished(
        &mut self,
        build: u64,
        builder: &Arc<dyn Rebuild>,
        tx: &mpsc::Sender<Input>,
    ) -> Option<WatchEvent> {
        if self.running.as_ref().map(|r| r.build) != Some(build) {
            return None;
        }
        if let Some(mut running) = self.running.take()
            && let Some(t) = running.thread.take()
        {
            let _ = t.join();
        }
        let pending = self.pending.take()?;
        Some(self.start(pending, builder, tx))
    }

    pub(crate) fn cancel_all(&mut self) {
        self.pending = None;
        if let Some(running) = &self.running {
            running.cancel.cancel();
        }
    }

    pub(crate) fn join_all(&mut self) {
        if let Some(mut running) = self.running.take()
            && let Some(t) = running.thread.take()
        {
            let _ = t.join();
        }
    }

    fn start(
        &mut self,
        request: RebuildRequest,
        builder: &Arc<dyn Rebuild>,
        tx: &mpsc::Sender<Input>,
    ) -> WatchEvent {
        self.next_build += 1;
        let build = self.next_build;
        let cancel = CancellationToken::new();
        let event = WatchEvent::BuildStarted {
            spec: request.spec.clone(),
            name: request.name.clone(),
            build,
        };
        let spec_for_error = request.spec.clone();
        let builder = Arc::clone(builder);
        let tx = tx.clone();
        let token = cancel.clone();
        let thread = std::thread::Builder::new()
            .name("swrt-watch-build".to_owned())
            .spawn(move || {
                let spec = request.spec.clone();
                let progress_tx = tx.clone();
                let progress_spec = spec.clone();
                let progress = move |line: String| {
                    let _ = progress_tx.send(Input::Progress {
                        spec: progress_spec.clone(),
                        build,
                        line,
                    });
                };
                let result = builder.rebuild(&request, &token, &progress);
                let result = if token.is_cancelled() {
                    super::RebuildResult::Cancelled
                } else {
                    result
                };
                let _ = tx.send(Input::BuildDone {
                    spec,
                    build,
                    result,
                });
            });
        match thread {
            Ok(t) => {
                self.running = Some(Running {
                    build,
                    cancel,
                    thread: Some(t),
                });
                event
            }
            Err(e) => WatchEvent::BuildFinished {
                spec: spec_for_error,
                build,
                result: super::RebuildResult::Failed {
                    reason: format!("cannot start a build thread: {e}"),
                },
            },
        }
    }
}
