//! `swrt build`: a runtime.yaml into a new version in the store; plus what
//! `lock`, `restore` and `run` share with it: driving a core operation on a
//! blocking thread while this thread renders its events and turns Ctrl-C /
//! SIGTERM into cancellation.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use tokio_util::sync::CancellationToken;

use crate::build::pipeline::{self, BuildRequest};
use crate::build::{BackendKind, BuildError, BuildEvent, EventSink, SpecInput, Step, Stream};

use super::Ctx;
use super::output::UserError;

/// Exit code after Ctrl-C, as shells report a SIGINT death.
pub const EXIT_INTERRUPTED: u8 = 130;

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Directory holding runtime.yaml (default: the current directory).
    #[arg(value_name = "DIR", conflicts_with = "runtime_yaml")]
    pub dir: Option<PathBuf>,
    /// The runtime.yaml to build.
    #[arg(short = 'y', long = "runtime-yaml", value_name = "FILE")]
    pub runtime_yaml: Option<PathBuf>,
    /// Runtime name (default: `name` in runtime.yaml).
    #[arg(short, long)]
    pub name: Option<String>,
    /// Extra tag for the new version (repeatable).
    #[arg(short = 't', long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Build even when nothing changed since the last build.
    #[arg(long)]
    pub no_cache: bool,
    /// Which venv backend to use (default: uv when found, else pip).
    #[arg(long, value_enum)]
    pub backend: Option<BackendArg>,
    /// Put every locked wheel into the bundle, so restore needs no index.
    #[arg(long)]
    pub download_all_deps: bool,
    /// Run the `commands:` dependencies (also SW_RUNTIME_FORCE_RUN_COMMAND=1).
    #[arg(long)]
    pub run_commands: bool,
    /// Fail at once if another build of this runtime is running.
    #[arg(long)]
    pub no_wait: bool,
    /// Make the runtime from an existing conda environment (read only):
    /// every package of its conda-meta pinned exactly.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["dir", "runtime_yaml", "conda"])]
    pub conda_prefix: Option<PathBuf>,
    /// Like --conda-prefix, for a named conda environment.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["dir", "runtime_yaml"])]
    pub conda: Option<String>,
}

/// The runtime.yaml made for `--conda-prefix` / `--conda`, if one of them
/// was given.
fn spec_from_env(
    args: &BuildArgs,
    ctx: &Ctx,
) -> anyhow::Result<Result<Option<PathBuf>, BuildError>> {
    let prefix = match (&args.conda_prefix, &args.conda) {
        (Some(p), _) => p.clone(),
        (None, Some(name)) => {
            let home = crate::env_vars::get(crate::env_vars::HOME)
                .map(PathBuf::from)
                .unwrap_or_default();
            let roots: Vec<PathBuf> = [
                crate::env_vars::CONDA_ROOT,
                crate::env_vars::MAMBA_ROOT_PREFIX,
            ]
            .iter()
            .filter_map(|v| crate::env_vars::get(v).map(PathBuf::from))
            .collect();
            crate::build::from_env::find_named_env(name, &home, &roots).ok_or_else(|| {
                UserError::new(format!("no conda environment named `{name}` was found"))
                    .hint("give its path with --conda-prefix PATH")
            })?
        }
        (None, None) => return Ok(Ok(None)),
    };
    let name = args.name.as_deref().or(args.conda.as_deref());
    Ok(
        crate::build::from_env::spec_from_conda_prefix(&ctx.paths, &prefix, name).map(|file| {
            ctx.out.info(&format!(
                "runtime.yaml for {}: {}",
                prefix.display(),
                file.display()
            ));
            Some(file)
        }),
    )
}

pub fn run(args: BuildArgs, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let path = match spec_from_env(&args, ctx)? {
        Ok(Some(file)) => file,
        Err(e) => return report_build_error(e, ctx),
        Ok(None) => args
            .runtime_yaml
            .clone()
            .or(args.dir.clone())
            .unwrap_or_else(|| PathBuf::from(".")),
    };
    let req = BuildRequest {
        spec: SpecInput {
            path,
            name: args.name.clone(),
        },
        tags: args.tags.clone(),
        no_cache: args.no_cache,
        backend: args.backend.map(BackendKind::from),
        download_all_deps: args.download_all_deps,
        run_commands: args.run_commands,
        no_wait: args.no_wait,
        paths: ctx.paths.clone(),
    };
    let result = drive(ctx, move |events, cancel| {
        pipeline::build(&req, &events, &cancel)
    })?;
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(err) => return report_build_error(err, ctx),
    };
    super::diagnostics::print_warnings(
        &outcome.warnings,
        &outcome.source_text,
        super::spec::render_options(ctx),
        ctx.out.quiet,
    );
    if outcome.up_to_date {
        ctx.out.info(&format!(
            "{}:{} is up to date (nothing changed since it was built)",
            outcome.name, outcome.version
        ));
    } else {
        ctx.out.info(&format!(
            "built {}:{} [{}]",
            outcome.name,
            outcome.version,
            outcome.tags.join(", ")
        ));
    }
    if ctx.global.json {
        let json = serde_json::json!({
            "name": outcome.name,
            "version": outcome.version,
            "tags": outcome.tags,
            "up_to_date": outcome.up_to_date,
            "bundle": outcome.bundle_path,
            "env": outcome.env_path,
            "log": outcome.log_path,
            "fingerprint": outcome.fingerprint,
        });
        println!("{json}");
    } else {
        println!("{}", outcome.version);
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    Uv,
    Pip,
}

impl From<BackendArg> for BackendKind {
    fn from(b: BackendArg) -> BackendKind {
        match b {
            BackendArg::Uv => BackendKind::Uv,
            BackendArg::Pip => BackendKind::Pip,
        }
    }
}

/// Runs `work` on a blocking thread with an event sink and a cancellation
/// token; renders the events on stderr; SIGINT and SIGTERM cancel the token
/// (the work then kills its child process group and cleans up).
pub(super) fn drive<T, F>(ctx: &Ctx, work: F) -> anyhow::Result<T>
where
    F: FnOnce(EventSink, CancellationToken) -> T + Send + 'static,
    T: Send + 'static,
{
    use tokio::signal::unix::{SignalKind, signal};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut progress = Progress::new(ctx);
    let out = rt.block_on(async {
        let cancel = CancellationToken::new();
        let (sink, mut rx) = EventSink::channel();
        let token = cancel.clone();
        let handle = tokio::task::spawn_blocking(move || work(sink, token));
        let mut sigint = signal(SignalKind::interrupt())?;
        let mut sigterm = signal(SignalKind::terminate())?;
        loop {
            tokio::select! {
                ev = rx.recv() => match ev {
                    Some(ev) => progress.on_event(&ev),
                    None => break,
                },
                _ = sigint.recv() => {
                    progress.note("interrupted: stopping and cleaning up");
                    cancel.cancel();
                }
                _ = sigterm.recv() => {
                    progress.note("terminated: stopping and cleaning up");
                    cancel.cancel();
                }
            }
        }
        anyhow::Ok(handle.await?)
    });
    progress.finish();
    out
}

/// Turns a core error into the CLI's error (user errors exit 1) or, for a
/// cancelled build, a message and exit code 130.
pub(super) fn report_build_error(err: BuildError, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    if matches!(err, BuildError::Cancelled) {
        ctx.out.error(&err.to_string());
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    if !err.is_user_error() {
        return Err(anyhow::Error::new(err));
    }
    // UserError carries no source, so the causes go into its message.
    let mut message = err.to_string();
    let mut cause = std::error::Error::source(&err);
    while let Some(c) = cause {
        message.push_str(&format!("\n  caused by: {c}"));
        cause = c.source();
    }
    let tail = err.tail();
    if !tail.is_empty() {
        message.push_str("\n  last output:");
        for line in tail.iter().rev().take(15).rev() {
            message.push_str("\n  | ");
            message.push_str(line);
        }
    }
    if let BuildError::Spec(spec) = err {
        // The spec's own renderer: file, line, column, key path, snippet, hint.
        super::diagnostics::print_spec_error(
            &spec,
            super::spec::render_options(ctx),
            ctx.out.quiet,
        );
        return Err(spec.into());
    }
    let mut user = UserError::new(message);
    match &err {
        BuildError::NoInterpreter { python } => {
            user = user.hint(format!(
                "install Python {python} (e.g. `uv python install {python}`) or change environment.python"
            ));
        }
        BuildError::Busy { .. } => {
            user = user.hint("wait for it, or run again without --no-wait to queue behind it");
        }
        BuildError::Store(e) => {
            for h in e.hints() {
                user = user.hint(h);
            }
        }
        BuildError::Process(_) => {
            user = user.hint("the whole output is in the build log (swrt build -v streams it)");
        }
        BuildError::Conda(conda) => {
            if let Some(hint) = conda.hint() {
                user = user.hint(hint);
            }
        }
        _ => {}
    }
    Err(anyhow::Error::new(user))
}

/// CLI progress on stderr: a spinner with the step and the child's last line
/// on a terminal, plain step lines otherwise; `-v` streams every child line.
struct Progress {
    bar: Option<ProgressBar>,
    verbose: bool,
    quiet: bool,
    step: Option<Step>,
}

impl Progress {
    fn new(ctx: &Ctx) -> Progress {
        let quiet = ctx.out.quiet;
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            let style =
                ProgressStyle::with_template("{spinner} {prefix:.bold} [{elapsed}] {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Progress {
            bar,
            verbose: ctx.out.verbose > 0,
            quiet,
            step: None,
        }
    }

    fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    fn note(&self, line: &str) {
        if !self.quiet {
            self.println(line);
        }
    }

    fn on_event(&mut self, ev: &BuildEvent) {
        match ev {
            BuildEvent::Started { name, log_path, .. } => {
                if self.verbose {
                    self.note(&format!("building {name} (log: {})", log_path.display()));
                }
            }
            BuildEvent::StepStarted { step } => {
                self.step = Some(step.clone());
                match &self.bar {
                    Some(bar) => {
                        bar.set_prefix(step.to_string());
                        bar.set_message("");
                        bar.reset_elapsed();
                    }
                    None => self.note(&format!("==> {step}")),
                }
            }
            BuildEvent::StepFinished { step, elapsed } => {
                if self.bar.is_some() {
                    self.println(&format!("  done {step} ({:.1}s)", elapsed.as_secs_f64()));
                }
            }
            BuildEvent::Log { line, stream } => {
                if *stream == Stream::Swrt && !self.verbose {
                    return;
                }
                if self.verbose {
                    self.println(&format!("  {line}"));
                } else if let Some(bar) = &self.bar {
                    bar.set_message(line.clone());
                }
            }
            BuildEvent::Skipped { reason } => self.note(&format!("  skipped: {reason}")),
            BuildEvent::UpToDate { .. } | BuildEvent::Done { .. } | BuildEvent::Failed { .. } => {}
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
