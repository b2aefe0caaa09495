//! `swrt watch [PATH...]`: rebuild in the background when a runtime.yaml or a
//! file it names changes. Events go to stderr, or one JSON object per line
//! on stdout with `--json`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use crate::build::rebuild::PipelineRebuild;
use crate::watch::{self, RebuildResult, WatchEvent, WatchOptions};

use super::Ctx;
use super::build::BackendArg;

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// runtime.yaml files, or directories holding one.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Exit after the first build ends (0 built or up to date, 1 failed).
    #[arg(long)]
    pub once: bool,
    /// Poll for changes instead of using inotify (network filesystems).
    #[arg(long)]
    pub poll: bool,
    /// Quiet time after the last change before a build starts.
    #[arg(long, value_name = "MS", default_value_t = 300)]
    pub debounce_ms: u64,
    /// Force a backend for venv builds.
    #[arg(long, value_enum)]
    pub backend: Option<BackendArg>,
    /// Extra tags for every version built.
    #[arg(short = 't', long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Run the `commands:` dependencies.
    #[arg(long)]
    pub run_commands: bool,
    /// Put every locked wheel into the bundle.
    #[arg(long)]
    pub download_all_deps: bool,
}

enum Msg {
    Event(WatchEvent),
    Signal,
}

pub fn run(args: WatchArgs, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let (tx, rx) = mpsc::channel::<Msg>();
    spawn_signal_listener(tx.clone())?;

    let mut builder = PipelineRebuild::new(ctx.paths.clone());
    builder.backend = args.backend.map(Into::into);
    builder.tags = args.tags.clone();
    builder.run_commands = args.run_commands;
    builder.download_all_deps = args.download_all_deps;
    let options = WatchOptions {
        debounce: Duration::from_millis(args.debounce_ms),
        force_poll: args.poll,
        ..WatchOptions::default()
    };
    let event_tx = tx.clone();
    let handle = watch::spawn(&args.paths, options, Arc::new(builder), move |e| {
        let _ = event_tx.send(Msg::Event(e));
    })
    .context("cannot start watching")?;

    let mut code = ExitCode::SUCCESS;
    while let Ok(msg) = rx.recv() {
        let event = match msg {
            Msg::Signal => {
                ctx.out.info("stopping: cancelling running builds");
                break;
            }
            Msg::Event(e) => e,
        };
        if ctx.global.json {
            let mut stdout = std::io::stdout().lock();
            serde_json::to_writer(&mut stdout, &event)?;
            writeln!(stdout)?;
            stdout.flush()?;
        } else {
            say(ctx, &event);
        }
        if args.once
            && let WatchEvent::BuildFinished { result, .. } = &event
        {
            match result {
                RebuildResult::Cancelled => continue,
                RebuildResult::Failed { .. } => code = ExitCode::from(1),
                RebuildResult::Built { .. } | RebuildResult::UpToDate { .. } => {}
            }
            break;
        }
    }
    handle.stop();
    Ok(code)
}

/// Ctrl-C and SIGTERM end the watch cleanly (running builds are cancelled
/// and their process groups killed before exit).
fn spawn_signal_listener(tx: mpsc::Sender<Msg>) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the signal listener")?;
    std::thread::Builder::new()
        .name("swrt-signals".to_owned())
        .spawn(move || {
            rt.block_on(async {
                use tokio::signal::unix::{SignalKind, signal};
                let Ok(mut term) = signal(SignalKind::terminate()) else {
                    return;
                };
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                let _ = tx.send(Msg::Signal);
            });
        })
        .context("cannot start the signal listener")?;
    Ok(())
}

fn say(ctx: &Ctx, event: &WatchEvent) {
    let out = &ctx.out;
    match event {
        WatchEvent::Watching {
            spec,
            dirs,
            polling,
        } => {
            let how = if *polling { " (polling)" } else { "" };
            out.info(&format!("watching {}{how}", spec.display()));
            if out.verbose > 0 {
                for d in dirs {
                    out.info(&format!("  dir {}", d.display()));
                }
            }
        }
        WatchEvent::PollingFallback { reason } => out.warning(&format!(
            "file notifications unavailable ({reason}); polling instead"
        )),
        WatchEvent::Changed { spec, paths } => {
            let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            out.info(&format!(
                "changed: {} ({})",
                spec.display(),
                names.join(", ")
            ));
        }
        WatchEvent::Invalid { spec, problems } => {
            out.warning(&format!(
                "{} does not load; keeping the last good runtime",
                spec.display()
            ));
            for p in problems {
                out.info(&format!("  {p}"));
            }
        }
        WatchEvent::BuildStarted { name, build, .. } => {
            out.info(&format!("build {build} of {name} started"))
        }
        WatchEvent::Progress { line, .. } => {
            if out.verbose > 0 {
                out.info(&format!("  | {line}"));
            }
        }
        WatchEvent::BuildFinished { build, result, .. } => match result {
            RebuildResult::Built { name, version } => out.info(&format!(
                "build {build}: {name}:{version} is the new latest"
            )),
            RebuildResult::UpToDate { name, version } => out.info(&format!(
                "build {build}: up to date, {name}:{version} already has these inputs"
            )),
            RebuildResult::Failed { reason } => {
                out.error(&format!("build {build} failed: {reason}"))
            }
            RebuildResult::Cancelled => {
                out.info(&format!("build {build} cancelled by a newer change"))
            }
        },
        WatchEvent::Warning { message, .. } => out.warning(message),
    }
}
