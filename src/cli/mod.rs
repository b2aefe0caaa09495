//! The command line: argument parsing (clap), dispatch to one file per
//! subcommand, and the uniform way errors reach people.
//!
//! Output rules: stdout carries data (tables, `--json`, scripts to eval);
//! stderr carries messages and progress. Exit codes: 0 ok, 1 the user's
//! input was wrong (bad spec, unknown runtime), 2 anything unexpected.

mod activate;
pub(crate) mod build;
mod completions;
mod deactivate;
pub mod diagnostics;
mod hook;
mod hook_env;
mod init;
mod lock;
pub mod output;
mod pin;
mod restore;
mod run;
mod spec;
mod status;
pub mod view;
// store commands
mod export;
mod extract;
mod gc;
mod history;
mod import;
mod info;
mod list;
mod recover;
mod remove;
mod tag;
mod tui;
mod unpin;
mod watch;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::paths::Paths;

pub use output::{Color, Output, UserError};

/// Reproducible, shareable Python runtimes (Starwhale runtime.yaml compatible).
#[derive(Debug, Parser)]
#[command(name = "swrt", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every subcommand accepts.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Store root (default: $SWRT_ROOT, else ~/.local/share/swrt).
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Project inside the store.
    #[arg(long, global = true, value_name = "NAME")]
    pub project: Option<String>,
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// When to use colours.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// More output (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less output.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every version in the store, newest first.
    List(list::ListArgs),
    /// List the versions of one runtime, newest first.
    History(history::HistoryArgs),
    /// Show a version: basic facts, runtime.yaml, manifest or lock.
    Info(info::InfoArgs),
    /// List, add or remove tags of a version.
    Tag(tag::TagArgs),
    /// Remove a version, or every version of a runtime (recoverable).
    #[command(visible_alias = "rm")]
    Remove(remove::RemoveArgs),
    /// Bring back removed versions.
    Recover(recover::RecoverArgs),
    /// Delete removed versions and stale leftovers for good.
    Gc(gc::GcArgs),
    /// Unpack a bundle into its workdir or a directory.
    Extract(extract::ExtractArgs),
    /// Write a version's bundle to a file.
    Export(export::ExportArgs),
    /// Add a bundle file to the store as a new version.
    Import(import::ImportArgs),
    /// Print shell completions.
    Completions(completions::CompletionsArgs),
    /// Build runtime.yaml into a new version: env, lock, bundle, tags.
    Build(build::BuildArgs),
    /// Resolve the dependencies and write the lock file, without a bundle.
    Lock(lock::LockArgs),
    /// Rebuild a runtime's environment from its bundle.
    Restore(restore::RestoreArgs),
    /// Run one command inside a runtime.
    Run(run::RunArgs),
    /// Check a runtime.yaml and print the resolved spec.
    Spec(spec::SpecArgs),
    /// Open the terminal UI (also what bare `swrt` does on a terminal).
    Tui(tui::TuiArgs),
    /// Use a runtime in this shell (or with --global in every shell).
    Activate(activate::ActivateArgs),
    /// Leave the runtime in this shell (or clear the global choice).
    Deactivate(deactivate::DeactivateArgs),
    /// Pin a runtime to the current directory (.swrt-runtime).
    Pin(pin::PinArgs),
    /// Remove the pin of the current directory.
    Unpin(unpin::UnpinArgs),
    /// Show the runtime active in this shell and the rule that chose it.
    Status(status::StatusArgs),
    /// Print the shell integration: eval "$(swrt hook bash)".
    Hook(hook::HookArgs),
    /// Add the shell integration to the shell's rc file.
    Init(init::InitArgs),
    /// Rebuild in the background when runtime.yaml or a file it names changes.
    Watch(watch::WatchArgs),
    /// Shell code for the prompt hook (called by the integration).
    #[command(hide = true)]
    HookEnv(hook_env::HookEnvArgs),
}

/// Everything a subcommand needs from the global options.
pub struct Ctx {
    pub global: GlobalArgs,
    pub paths: Paths,
    pub out: Output,
}

impl Ctx {
    fn new(global: GlobalArgs) -> Ctx {
        let paths = Paths::resolve(global.root.as_deref(), global.project.as_deref());
        let color = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stderr().is_terminal()
                    && crate::env_vars::get(crate::env_vars::NO_COLOR).is_none()
            }
        };
        let out = Output::new(Color(color), global.quiet, global.verbose);
        Ctx { global, paths, out }
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 1 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    let ctx = Ctx::new(cli.global.clone());
    let result = match cli.command {
        Some(command) => run(command, &ctx),
        None if tui::on_terminal() => run(Command::Tui(tui::TuiArgs {}), &ctx),
        None => {
            use clap::CommandFactory;
            let _ = Cli::command().print_help();
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => ctx.out.report(&err),
    }
}

fn run(command: Command, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    match command {
        Command::List(args) => list::run(args, ctx).map(|()| ExitCode::SUCCESS),
        Command::History(args) => history::run(args, ctx).map(|()| ExitCode::SUCCESS),
        Command::Info(args) => info::run(args, ctx).map(|()| ExitCode::SUCCESS),
        Command::Tag(args) => tag::run(args, ctx).map(|()| ExitCode::SUCCESS),
        Command::Remove(args) => remove::run(args, ctx).map(|()| ExitCode::SUCCESS),
        Command::Recover(args) => recover::run(args, ctx).map(|()| ExitCode::SUCCESS),
        Command::Gc(args) => gc::run(args, ctx).map(|()| ExitCode::SUCCESS),
        Command::Extract(args) => extract::run(args, ctx).map(|()| ExitCode::SUCCESS),
        Command::Export(args) => export::run(args, ctx).map(|()| ExitCode::SUCCESS),
        Command::Import(args) => import::run(args, ctx).map(|()| ExitCode::SUCCESS),
        Command::Completions(args) => completions::run(args).map(|()| ExitCode::SUCCESS),
        Command::Build(args) => build::run(args, ctx),
        Command::Lock(args) => lock::run(args, ctx),
        Command::Restore(args) => restore::run(args, ctx),
        Command::Run(args) => run::run(args, ctx),
        Command::Spec(args) => spec::run(args, ctx).map(|()| ExitCode::SUCCESS),
        Command::Tui(args) => tui::run(args, ctx).map(|()| ExitCode::SUCCESS),
        Command::Activate(args) => activate::run(args, ctx).map(|()| ExitCode::SUCCESS),
        Command::Deactivate(args) => deactivate::run(args, ctx).map(|()| ExitCode::SUCCESS),
        Command::Pin(args) => pin::run(args, ctx).map(|()| ExitCode::SUCCESS),
        Command::Unpin(args) => unpin::run(args, ctx).map(|()| ExitCode::SUCCESS),
        Command::Status(args) => status::run(args, ctx).map(|()| ExitCode::SUCCESS),
        Command::Hook(args) => hook::run(args).map(|()| ExitCode::SUCCESS),
        Command::Init(args) => init::run(args, ctx).map(|()| ExitCode::SUCCESS),
        Command::Watch(args) => watch::run(args, ctx),
        Command::HookEnv(args) => hook_env::run(args, ctx).map(|()| ExitCode::SUCCESS),
    }
    .or_else(|e| output::ok_on_broken_pipe(e, ctx))
}
