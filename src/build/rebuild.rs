//! The build pipeline as the watcher's `Rebuild`: one `pipeline::build` per
//! request, its events turned into the progress lines the watcher reports,
//! its outcome into a `RebuildResult`. Cancellation is the pipeline's own
//! (child group killed, staging removed).

use tokio_util::sync::CancellationToken;

use crate::paths::Paths;
use crate::watch::{Rebuild, RebuildRequest, RebuildResult};

use super::events::{BuildEvent, EventSink, Stream};
use super::pipeline::{self, BuildRequest};
use super::{BackendKind, BuildError, SpecInput};

/// Rebuilds into `paths` with the options of `swrt build` that make sense
/// for every rebuild of a watch (`swrt watch --backend/-t/--run-commands/
/// --download-all-deps`).
#[derive(Debug, Clone)]
pub struct PipelineRebuild {
    pub paths: Paths,
    pub backend: Option<BackendKind>,
    pub tags: Vec<String>,
    pub run_commands: bool,
    pub download_all_deps: bool,
}

impl PipelineRebuild {
    /// The defaults of `swrt build DIR`.
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
        let result = std::thread::scope(|scope| {
            // The worker owns the sink: the channel closes when it ends,
            // even if it panics before its final event.
            let worker = scope.spawn(move || pipeline::build(&req, &sink, cancel));
            while let Some(ev) = rx.blocking_recv() {
                if let Some(line) = progress_line(&ev) {
                    progress(line);
                }
                if ev.is_final() {
                    break;
                }
            }
            worker.join()
        });
        match result {
            Ok(Ok(out)) if out.up_to_date => RebuildResult::UpToDate {
                name: out.name,
                version: out.version,
            },
            Ok(Ok(out)) => RebuildResult::Built {
                name: out.name,
                version: out.version,
            },
            Ok(Err(BuildError::Cancelled)) => RebuildResult::Cancelled,
            Ok(Err(err)) => RebuildResult::Failed {
                reason: err.to_string(),
            },
            Err(_) => RebuildResult::Failed {
                reason: "the build thread panicked".to_owned(),
            },
        }
    }
}

fn progress_line(ev: &BuildEvent) -> Option<String> {
    match ev {
        BuildEvent::StepStarted { step } => Some(format!("==> {step}")),
        BuildEvent::Log { line, stream } if *stream != Stream::Swrt => Some(line.clone()),
        BuildEvent::Skipped { reason } => Some(format!("skipped: {reason}")),
        BuildEvent::Failed { message, tail, .. } => {
            let mut text = message.clone();
            for l in tail.iter().rev().take(5).rev() {
                text.push_str("\n  | ");
                text.push_str(l);
            }
            Some(text)
        }
        _ => None,
    }
}
