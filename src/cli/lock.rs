//! `swrt lock [DIR] [-f runtime.yaml] [--stdout]`: resolve the dependencies
//! in a scratch environment and write `DIR/.starwhale/lock/requirements-sw-lock.txt`
//! (or print it), without making a bundle — swcli's `runtime lock`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::build::lock_only::{self, LockRequest};
use crate::build::{BackendKind, SpecInput};

use super::Ctx;
use super::build::{BackendArg, drive, report_build_error};

#[derive(Debug, Args)]
pub struct LockArgs {
    /// Directory holding runtime.yaml (default: the current directory).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The runtime.yaml to lock (default: DIR/runtime.yaml).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Print the lock on stdout instead of writing it.
    #[arg(long)]
    pub stdout: bool,
    /// Which venv backend to use (default: uv when found, else pip).
    #[arg(long, value_enum)]
    pub backend: Option<BackendArg>,
}

pub fn run(args: LockArgs, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let spec_path = args.file.clone().unwrap_or_else(|| dir.clone());
    let req = LockRequest {
        spec: SpecInput {
            path: spec_path,
            name: None,
        },
        backend: args.backend.map(BackendKind::from),
        paths: ctx.paths.clone(),
    };
    let result = drive(ctx, move |events, cancel| {
        lock_only::lock(&req, &events, &cancel)
    })?;
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(err) => return report_build_error(err, ctx),
    };
    if args.stdout {
        use std::io::Write;
        std::io::stdout()
            .write_all(outcome.content.as_bytes())
            .context("writing the lock to stdout")?;
        return Ok(ExitCode::SUCCESS);
    }
    // Like swcli: the lock goes next to the runtime.yaml's directory given.
    let target = if args.dir.is_some() || args.file.is_none() {
        dir
    } else {
        outcome.spec_dir.clone()
    };
    let path = lock_only::write_lock(&target, outcome.lock_rel, &outcome.content)?;
    ctx.out.info(&format!("wrote {}", path.display()));
    if ctx.global.json {
        let json = serde_json::json!({ "name": outcome.name, "lock": path });
        println!("{json}");
    } else {
        println!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
