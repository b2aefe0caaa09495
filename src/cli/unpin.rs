//! `swrt unpin`: remove `.swrt-runtime` from the current directory.

use anyhow::Context;
use clap::Args;

use super::activate::user_error;
use super::{Ctx, UserError};
use crate::shell::{self, ShellError};

#[derive(Debug, Args)]
pub struct UnpinArgs {}

pub fn run(_args: UnpinArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let dir = std::env::current_dir().context("cannot read the current directory")?;
    match shell::unpin(&dir) {
        Ok(path) => {
            ctx.out.info(&format!("removed {}", path.display()));
            Ok(())
        }
        Err(e @ ShellError::NoPin(_)) => {
            let mut err = UserError::new(e.to_string());
            if let Some(up) = dir.parent().and_then(shell::nearest_pin) {
                err = err.hint(format!(
                    "the pin in effect here is {}; run `swrt unpin` in its directory",
                    up.display()
                ));
            }
            Err(err.into())
        }
        Err(e) => Err(user_error(e)),
    }
}
