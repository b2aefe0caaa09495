//! `swrt pin REF`: write `.swrt-runtime` in the current directory, so that
//! shells in it and below it use REF (unless they chose their own).

use anyhow::Context;
use clap::Args;

use super::Ctx;
use super::activate::user_error;
use crate::shell::{self, ShellError};
use crate::store::StoreError;

#[derive(Debug, Args)]
pub struct PinArgs {
    /// Runtime: NAME, NAME:TAG, NAME:VERSION-PREFIX or a URI.
    pub reference: String,
}

pub fn run(args: PinArgs, ctx: &Ctx) -> anyhow::Result<()> {
    match shell::resolve(&ctx.paths, &args.reference) {
        Ok(_) => {}
        // A pin is often written before the runtime is built or restored on
        // this machine (it travels with the project): say so, but write it.
        Err(e @ ShellError::NotRestored { .. }) => {
            ctx.out.warning(&format!("{e}; the pin applies once it is"));
        }
        Err(ShellError::Store(e))
            if e.is_user_error() && !matches!(e, StoreError::BadReference { .. }) =>
        {
            ctx.out
                .warning(&format!("{e}; the pin applies once it is in this store"));
        }
        Err(e) => return Err(user_error(e)),
    }
    let dir = std::env::current_dir().context("cannot read the current directory")?;
    let path = shell::pin(&dir, &args.reference).map_err(user_error)?;
    ctx.out
        .info(&format!("pinned {} in {}", args.reference, path.display()));
    Ok(())
}
