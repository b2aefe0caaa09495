//! `swrt hook-env bash|zsh|fish` (hidden): called by the prompt hook when
//! something changed; prints only shell code, and at most one line on stderr
//! when the selected runtime cannot be activated. No async runtime, no more
//! I/O than the selection needs.

use std::io::Write;

use anyhow::Context;
use clap::Args;

use super::Ctx;
use crate::env_vars;
use crate::shell::{self, EnvSnapshot, HookEnv, Shell, ShellError};

#[derive(Debug, Args)]
pub struct HookEnvArgs {
    #[arg(value_parser = super::activate::parse_shell)]
    pub shell: Shell,
}

/// Whether SWRT_LOG asks for the hook's decisions on stderr.
pub(super) fn debug_enabled() -> bool {
    env_vars::get(env_vars::SWRT_LOG)
        .is_some_and(|v| v.split(',').any(|d| matches!(d.trim(), "debug" | "trace")))
}

/// One stderr line saying why the selected runtime is not active.
pub(super) fn problem_line(reference: &str, err: &ShellError) -> String {
    match err {
        ShellError::NotRestored { name, version } => format!(
            "swrt: {reference} ({name}:{version}) is not restored here; run `swrt restore {name}:{version}`"
        ),
        other => format!("swrt: cannot activate {reference}: {other}"),
    }
}

/// Computes the hook's code for `shell` and writes it to stdout, with the
/// problem line and the debug trace on stderr.
pub(super) fn emit(ctx: &Ctx, shell: Shell) -> anyhow::Result<HookEnv> {
    let snap = EnvSnapshot::capture();
    let result = shell::hook_env(&ctx.paths, shell, &snap)?;
    let code = shell.syntax().render(&result.ops);
    let mut err = std::io::stderr();
    if let Some((reference, problem)) = &result.problem {
        let _ = writeln!(err, "{}", problem_line(reference, problem));
    }
    if debug_enabled() {
        let sel = result.selection.as_ref().map_or("none".to_owned(), |s| {
            format!(
                "{:?} by {} ({})",
                s.choice,
                s.rule.as_str(),
                s.source.display()
            )
        });
        let target = result
            .target
            .as_ref()
            .map_or("none".to_owned(), |t| format!("{}:{}", t.name, t.version));
        let _ = writeln!(
            err,
            "swrt hook-env: pwd={} session={} selection={sel} target={target} outcome={:?}",
            snap.pwd.display(),
            snap.session.as_deref().unwrap_or("-"),
            result.outcome
        );
    }
    std::io::stdout()
        .write_all(code.as_bytes())
        .context("cannot write to stdout")?;
    Ok(result)
}

pub fn run(args: HookEnvArgs, ctx: &Ctx) -> anyhow::Result<()> {
    emit(ctx, args.shell).map(|_| ())
}
