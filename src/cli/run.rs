//! `swrt run REF [--cwd D] -- CMD ARGS...`: run one command inside a
//! runtime. The env is restored first when it is not usable; then swrt
//! replaces itself with the command (`exec`), so arguments pass exactly as
//! given, signals reach the command directly and its exit status is swrt's.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::build::restore::{self, RestoreRequest, RestoreTarget};
use crate::env_vars;

use super::Ctx;
use super::build::{drive, report_build_error};
use super::output::UserError;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The runtime (`NAME`, `NAME:TAG`, `NAME:VERSION`).
    #[arg(value_name = "REF")]
    pub target: String,
    /// Working directory of the command (default: the current one).
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// The command and its arguments (after `--`).
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

pub fn run(args: RunArgs, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let req = RestoreRequest {
        target: RestoreTarget::Ref(args.target.clone()),
        force: false,
        backend: None,
        run_commands: false,
        paths: ctx.paths.clone(),
    };
    let result = drive(ctx, move |events, cancel| {
        restore::restore(&req, &events, &cancel)
    })?;
    let outcome = match result {
        Ok(o) => o,
        Err(err) => return report_build_error(err, ctx),
    };
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| UserError::new("no command given after `--`"))?;
    let env = &outcome.env_path;
    let path = std::env::var_os(env_vars::PATH).unwrap_or_default();
    let mut parts = vec![env.join("bin")];
    parts.extend(std::env::split_paths(&path));
    let path = std::env::join_paths(parts).context("building PATH")?;
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest)
        .env(env_vars::VIRTUAL_ENV, env)
        .env(env_vars::PATH, path)
        .env_remove(env_vars::PYTHONHOME)
        .env_remove(env_vars::CONDA_PREFIX)
        .env(env_vars::SW_RUNTIME_ACTIVATED_PROCESS, "1")
        .env(
            env_vars::SWRT_ACTIVE,
            format!("{}:{}", outcome.name, outcome.version),
        );
    if let Some(uri) = &outcome.uri {
        cmd.env(env_vars::SW_ACTIVATED_RUNTIME_URI_IN_SUBPROCESS, uri);
    }
    if let Some(dir) = &args.cwd {
        cmd.current_dir(dir);
    }
    // exec only returns on failure.
    let err = cmd.exec();
    Err(anyhow::Error::new(
        UserError::new(format!("cannot run `{}`: {err}", program.to_string_lossy())).hint(format!(
            "is it installed in the runtime ({})?",
            env.join("bin").display()
        )),
    ))
}
