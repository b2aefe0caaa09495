//! `swrt hook bash|zsh|fish`: print the shell integration to evaluate
//! (`eval "$(swrt hook bash)"`, `swrt hook fish | source`).

use std::io::Write;

use anyhow::Context;
use clap::Args;

use crate::shell::Shell;

#[derive(Debug, Args)]
pub struct HookArgs {
    /// The shell to integrate with.
    #[arg(value_parser = super::activate::parse_shell)]
    pub shell: Shell,
}

/// The path baked into the scripts: the binary running now, so the hook
/// calls the same swrt even when PATH changes (and it must, on activation).
pub(super) fn own_path() -> anyhow::Result<String> {
    let exe = std::env::current_exe().context("cannot find the path of the swrt binary")?;
    Ok(exe.to_string_lossy().into_owned())
}

pub fn run(args: HookArgs) -> anyhow::Result<()> {
    let script = args.shell.syntax().hook_script(&own_path()?);
    std::io::stdout()
        .write_all(script.as_bytes())
        .context("cannot write to stdout")?;
    Ok(())
}
