//! `swrt deactivate [--global]`: leave the runtime in this shell (through
//! the shell function; pins and the global choice no longer apply to it
//! until `swrt activate`), or clear the global choice.

use clap::Args;

use super::Ctx;
use super::activate::{not_hooked, parse_shell, session, user_error};
use crate::shell::{self, Shell};

#[derive(Debug, Args)]
pub struct DeactivateArgs {
    /// Clear the global choice instead.
    #[arg(long)]
    pub global: bool,
    /// Set by the shell function: print code for this shell to evaluate.
    #[arg(long, hide = true, value_parser = parse_shell)]
    pub shell: Option<Shell>,
}

pub fn run(args: DeactivateArgs, ctx: &Ctx) -> anyhow::Result<()> {
    if args.global {
        if shell::clear_global(&ctx.paths).map_err(user_error)? {
            ctx.out.info("global runtime cleared");
        } else {
            ctx.out.info("no global runtime was set");
        }
    } else {
        let Some(_) = args.shell else {
            return Err(not_hooked("deactivate"));
        };
        shell::deactivate_session(&ctx.paths, &session()?).map_err(user_error)?;
        ctx.out.info(
            "no runtime in this shell (`swrt activate` without a runtime follows pins again)",
        );
    }
    if let Some(sh) = args.shell {
        super::hook_env::emit(ctx, sh)?;
    }
    Ok(())
}
