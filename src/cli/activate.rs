//! `swrt activate [REF] [--global]`: choose the runtime of this shell (through
//! the shell function, which evaluates what this prints) or of every shell
//! with no other choice (`--global`).

use anyhow::Context;
use clap::Args;

use super::{Ctx, UserError};
use crate::env_vars;
use crate::shell::{self, Shell, ShellError};

#[derive(Debug, Args)]
pub struct ActivateArgs {
    /// Runtime: NAME, NAME:TAG, NAME:VERSION-PREFIX or a URI. Without it,
    /// this shell drops its own choice and follows pins and the global
    /// choice again.
    pub reference: Option<String>,
    /// Make it the choice of every shell that has no other (no pin, no
    /// `swrt activate` of its own).
    #[arg(long)]
    pub global: bool,
    /// Set by the shell function: print code for this shell to evaluate.
    #[arg(long, hide = true, value_parser = parse_shell)]
    pub shell: Option<Shell>,
}

pub(super) fn parse_shell(s: &str) -> Result<Shell, String> {
    s.parse().map_err(|e: ShellError| e.to_string())
}

/// A shell error as the CLI reports it: user errors exit 1, with a hint.
pub(super) fn user_error(err: ShellError) -> anyhow::Error {
    // Store errors carry their own exit code and hints (cli::output).
    let err = match err {
        ShellError::Store(e) => return anyhow::Error::new(e),
        other => other,
    };
    let hint = match &err {
        ShellError::NotRestored { name, version } => {
            Some(format!("restore it with `swrt restore {name}:{version}`"))
        }
        ShellError::BadSession(_) => {
            Some("SWRT_SESSION is set by the shell hook; unset it and reload the hook".into())
        }
        _ => None,
    };
    let user = matches!(
        err,
        ShellError::UnknownShell(_)
            | ShellError::BadSession(_)
            | ShellError::BadReference(_)
            | ShellError::NotRestored { .. }
            | ShellError::NoPin(_)
    );
    if user {
        let mut u = UserError::new(err.to_string());
        if let Some(h) = hint {
            u = u.hint(h);
        }
        anyhow::Error::new(u)
    } else {
        anyhow::Error::new(err)
    }
}

/// The error for `activate`/`deactivate` run without the shell function.
pub(super) fn not_hooked(verb: &str) -> anyhow::Error {
    let mut err = UserError::new(format!(
        "`swrt {verb}` changes the current shell, which needs the shell integration"
    ));
    if env_vars::get(env_vars::SWRT_SESSION).is_some() {
        // The hook is loaded, so the shell function was bypassed: options
        // before the subcommand, or the binary called by its path.
        err = err.hint(format!(
            "the integration is loaded here: type `swrt {verb} ...` with options after `{verb}`, not `command swrt` or the binary's path"
        ));
    } else {
        err = err.hint("load it with `eval \"$(swrt hook bash)\"` (zsh the same; fish: `swrt hook fish | source`), or once for all with `swrt init bash`");
    }
    anyhow::Error::new(err.hint(format!("or change every shell with `swrt {verb} --global`")))
}

/// The session of the calling shell, set by the hook.
pub(super) fn session() -> anyhow::Result<String> {
    env_vars::get(env_vars::SWRT_SESSION).ok_or_else(|| {
        anyhow::Error::new(
            UserError::new("SWRT_SESSION is not set in this shell")
                .hint("reload the shell integration: `eval \"$(swrt hook bash)\"`"),
        )
    })
}

pub fn run(args: ActivateArgs, ctx: &Ctx) -> anyhow::Result<()> {
    if args.global {
        let reference = args.reference.as_deref().ok_or_else(|| {
            anyhow::Error::new(
                UserError::new("`swrt activate --global` needs a runtime")
                    .hint("`swrt deactivate --global` clears the global choice"),
            )
        })?;
        match shell::resolve(&ctx.paths, reference) {
            Ok(_) => {}
            Err(ShellError::NotRestored { name, version }) => ctx.out.warning(&format!(
                "{name}:{version} is not restored here; shells will activate it once `swrt restore {name}:{version}` has run"
            )),
            Err(e) => return Err(user_error(e)),
        }
        shell::set_global(&ctx.paths, reference).map_err(user_error)?;
        ctx.out.info(&format!("global runtime: {reference}"));
    } else {
        let Some(sh) = args.shell else {
            return Err(not_hooked("activate"));
        };
        let session = session()?;
        match args.reference.as_deref() {
            Some(reference) => {
                let target = shell::resolve(&ctx.paths, reference).map_err(user_error)?;
                shell::select_for_session(&ctx.paths, &session, reference)
                    .map_err(user_error)
                    .context("cannot record the choice of this shell")?;
                ctx.out.info(&format!(
                    "activated {}:{} ({}) in this shell",
                    target.name,
                    target.version,
                    target.mode.as_str()
                ));
                super::hook_env::emit(ctx, sh)?;
                return Ok(());
            }
            None => {
                shell::clear_session(&ctx.paths, &session).map_err(user_error)?;
                ctx.out
                    .info("this shell follows pins and the global choice again");
            }
        }
    }
    if let Some(sh) = args.shell {
        super::hook_env::emit(ctx, sh)?;
    }
    Ok(())
}
