//! `swrt init bash|zsh|fish [--undo]`: add (or remove) the line that loads
//! the shell integration in the shell's rc file, inside a marked block.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::{Ctx, UserError};
use crate::env_vars;
use crate::shell::{self, RcChange, Shell};

#[derive(Debug, Args)]
pub struct InitArgs {
    #[arg(value_parser = super::activate::parse_shell)]
    pub shell: Shell,
    /// Remove the line instead.
    #[arg(long)]
    pub undo: bool,
}

/// `swrt` when the `swrt` found on PATH is this binary, else its full path.
fn binary_word() -> anyhow::Result<String> {
    let own = super::hook::own_path()?;
    let on_path = which::which("swrt")
        .ok()
        .and_then(|p| p.canonicalize().ok());
    let own_canon = PathBuf::from(&own).canonicalize().ok();
    Ok(if on_path.is_some() && on_path == own_canon {
        "swrt".to_owned()
    } else {
        own
    })
}

pub fn run(args: InitArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let home = env_vars::get(env_vars::HOME)
        .map(PathBuf::from)
        .ok_or_else(|| anyhow::Error::new(UserError::new("HOME is not set")))?;
    let zdotdir = env_vars::get(env_vars::ZDOTDIR).map(PathBuf::from);
    let rc = shell::rc_file(args.shell, &home, zdotdir.as_deref());
    let line = args.shell.syntax().rc_line(&binary_word()?);
    let change = shell::init_rc(&rc, &line, args.undo)
        .with_context(|| format!("cannot update {}", rc.display()))?;
    let shown = rc.display();
    let msg = match change {
        RcChange::Added => {
            format!("added the swrt integration to {shown}; open a new shell or run: {line}")
        }
        RcChange::Updated => format!("updated the swrt integration in {shown}"),
        RcChange::AlreadyThere => format!("{shown} already loads the swrt integration"),
        RcChange::Removed => format!("removed the swrt integration from {shown}"),
        RcChange::NotThere => format!("{shown} does not load the swrt integration"),
    };
    ctx.out.info(&msg);
    Ok(())
}
