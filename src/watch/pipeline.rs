//! The watcher's builder: the real build pipeline, run on the watcher's
//! build thread, its events turned into progress lines.

use tokio_util::sync::CancellationToken;

use crate::build::pipeline::{self, BuildRequest};
use crate::build::{BackendKind, BuildEvent, EventSink, SpecInput};
use crate::paths::Paths;

use super::{Rebuild, RebuildRequest, RebuildResult};

/// Builds with the same pipeline as `swrt build`.
#[derive(Debug, Clone)]
pub struct PipelineRebuild {
    pub paths: Paths,
    pub backend: Option<BackendKind>,
    pub tags: Vec<String>,
    pub run_commands: bool,
    pub download_all_deps: bool,
}

impl PipelineRebuild {
    pub fn new(paths: Paths) -> PipelineRebuild {
        PipelineRebuild {
            paths,
            backend: None,
            tags: Vec::new(),
            run_commands: false,
            download_all_deps: false,
        }
    }
}

/// The progress line for an event, when it has one worth showing.
fn line_of(event: &BuildEvent) -> Option<String> {
    match event {
        BuildEvent::Started { log_path, .. } => Some(format!("log: {}", log_path.display())),
        BuildEvent::StepStarted { step } => Some(format!("step: {step}")),
        BuildEvent::Log { line, .. } => Some(line.clone()),
        BuildEvent::Skipped { reason } => Some(format!("skipped: {reason}")),
        BuildEvent::StepFinished { .. }
        | BuildEvent::UpToDate { .. }
        | BuildEvent::Done { .. }
        | BuildEvent::Failed { .. } => None,
    }
}

impl Rebuild for PipelineRebuild {
    fn rebuild(
        &self,
        request: &RebuildRequest,
        cancel: &CancellationToken,
        progress: &dyn Fn(String),
    ) -> RebuildResult {
        let req = BuildRequest {
            spec: SpecInput {
                path: request.spec.clone(),
                name: None,
            },
            tags: self.tags.clone(),
            no_cache: false,
            backend: self.backend,
            download_all_deps: self.download_all_deps,
            run_commands: self.run_commands,
            no_wait: false,
            paths: self.paths.clone(),
        };
        let (sink, mut rx) = EventSink::channel();
        // The pipeline runs on its own thread so that its events reach
        // `progress` while it works; the channel closes when it returns.
        let result = std::thread::scope(|s| {
            let worker = s.spawn(move || {
                let r = pipeline::build(&req, &sink, cancel);
                drop(sink);
                r
            });
            while let Some(event) = rx.blocking_recv() {
                if let Some(line) = line_of(&event) {
                    progress(line);
                }
            }
            worker.join()
        });
        match result {
            Err(_) => RebuildResult::Failed {
                reason: "the build thread panicked".to_owned(),
            },
            Ok(Ok(outcome)) if outcome.up_to_date => RebuildResult::UpToDate {
                name: outcome.name,
                version: outcome.version,
            },
            Ok(Ok(outcome)) => RebuildResult::Built {
                name: outcome.name,
                version: outcome.version,
            },
            Ok(Err(_)) if cancel.is_cancelled() => RebuildResult::Cancelled,
            Ok(Err(e)) => RebuildResult::Failed {
                reason: error_chain(&e),
            },
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}
