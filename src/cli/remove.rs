//! `swrt remove REF [--force] [--yes]`: a bare NAME removes every version of
//! the runtime, NAME:VER that version; their tags go with them. Removed
//! versions wait in `.recover/` for `swrt recover` unless `--force`.
//! Asks for confirmation when stdin is a terminal, unless `--yes`.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;

use super::Ctx;
use super::output::UserError;
use super::view;

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// NAME (every version), NAME:TAG, NAME:VERSION-PREFIX or a Starwhale URI.
    #[arg(value_name = "REF")]
    pub reference: String,
    /// Delete for good instead of moving to .recover/.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Do not ask for confirmation.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Fail at once if another swrt holds the store lock.
    #[arg(long)]
    pub no_wait: bool,
}

pub fn run(args: RemoveArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let r = view::parse_ref(&args.reference)?;
    let store = view::store(ctx).for_ref(&r);
    let (version, what) = match &r.selector {
        Some(_) => {
            let resolved = store.resolve(&r)?;
            let what = resolved.short();
            (Some(resolved.version), what)
        }
        None => {
            let n = store.versions(&r.name, false)?.len();
            if n == 0 && !store.runtime_dir(&r.name).is_dir() {
                // Let the store produce the "unknown runtime" error and hints.
                store.history(&r.name, false)?;
            }
            (None, format!("all {n} version(s) of {}", r.name))
        }
    };
    if !args.yes && std::io::stdin().is_terminal() {
        let how = if args.force {
            "delete for good"
        } else {
            "remove"
        };
        eprint!("{how} {what}? [y/N] ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
            return Err(UserError::new("not removed").into());
        }
    }
    let lock = view::lock(ctx, &store, args.no_wait)?;
    let removed = store.remove(&lock, &r.name, version.as_deref(), args.force)?;
    drop(lock);
    if ctx.global.json {
        return view::print_json(&removed);
    }
    for v in &removed.versions {
        ctx.out.info(&format!(
            "{} {}:{}",
            if removed.forced { "deleted" } else { "removed" },
            removed.name,
            crate::store::short_version(v)
        ));
    }
    if !removed.forced && !removed.versions.is_empty() {
        ctx.out.hint(&format!(
            "`swrt recover {}` brings {} back",
            args.reference,
            if removed.versions.len() == 1 {
                "it"
            } else {
                "them"
            }
        ));
    }
    Ok(())
}
