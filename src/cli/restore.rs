//! `swrt restore REF | DIR [--force]`: rebuild a runtime's environment from
//! its bundle (lock installed exactly, then wheels, then files; verified
//! against the lock). Prints the environment's path on stdout.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::build::BackendKind;
use crate::build::restore::{self, RestoreRequest, RestoreTarget};

use super::Ctx;
use super::build::{BackendArg, drive, report_build_error};

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A stored runtime (`NAME`, `NAME:TAG`, `NAME:VERSION`) or an extracted
    /// bundle directory.
    #[arg(value_name = "REF|DIR")]
    pub target: String,
    /// Rebuild the environment even when it is usable.
    #[arg(long)]
    pub force: bool,
    /// Which venv backend to use (default: uv when found, else pip).
    #[arg(long, value_enum)]
    pub backend: Option<BackendArg>,
    /// Run the `commands:` dependencies (also SW_RUNTIME_FORCE_RUN_COMMAND=1
    /// or SW_CONTAINER=1).
    #[arg(long)]
    pub run_commands: bool,
}

pub fn run(args: RestoreArgs, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let as_dir = PathBuf::from(&args.target);
    let target = if as_dir.is_dir() {
        RestoreTarget::Dir(std::path::absolute(&as_dir)?)
    } else {
        RestoreTarget::Ref(args.target.clone())
    };
    let req = RestoreRequest {
        target,
        force: args.force,
        backend: args.backend.map(BackendKind::from),
        run_commands: args.run_commands,
        paths: ctx.paths.clone(),
    };
    let result = drive(ctx, move |events, cancel| {
        restore::restore(&req, &events, &cancel)
    })?;
    let outcome = match result {
        Ok(o) => o,
        Err(err) => return report_build_error(err, ctx),
    };
    if outcome.restored {
        ctx.out.info(&format!(
            "restored {} into {}{}",
            outcome.name,
            outcome.env_path.display(),
            if outcome.offline {
                " (offline, from the bundle's wheels)"
            } else {
                ""
            }
        ));
    } else {
        ctx.out.info(&format!(
            "{} is already restored at {} (--force rebuilds it)",
            outcome.name,
            outcome.env_path.display()
        ));
    }
    if ctx.global.json {
        let json = serde_json::json!({
            "name": outcome.name,
            "version": outcome.version,
            "env": outcome.env_path,
            "workdir": outcome.workdir,
            "restored": outcome.restored,
            "offline": outcome.offline,
        });
        println!("{json}");
    } else {
        println!("{}", outcome.env_path.display());
    }
    Ok(ExitCode::SUCCESS)
}
