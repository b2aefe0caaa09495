//! `swrt tui` (and bare `swrt` on a terminal): open the terminal UI.

use std::io::IsTerminal;

use clap::Args;

use super::{Ctx, UserError};

#[derive(Debug, Args)]
pub struct TuiArgs {}

/// Whether bare `swrt` should open the UI: both ends are a terminal.
pub fn on_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

pub fn run(_args: TuiArgs, ctx: &Ctx) -> anyhow::Result<()> {
    if !on_terminal() {
        return Err(
            UserError::new("the terminal UI needs a terminal on stdin and stdout")
                .hint("run `swrt list` for a plain listing")
                .into(),
        );
    }
    crate::tui::run(ctx.paths.clone())
}
