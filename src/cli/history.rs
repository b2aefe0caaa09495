//! `swrt history NAME`: the versions of one runtime, newest first.

use clap::Args;

use super::Ctx;
use super::view::{self, VersionRow};

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The runtime (a name, or any reference: only its name is used).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Show full 40-character versions.
    #[arg(long)]
    pub fullname: bool,
    /// Include removed (recoverable) versions.
    #[arg(long)]
    pub show_removed: bool,
}

pub fn run(args: HistoryArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let r = view::parse_ref(&args.name)?;
    let store = view::store(ctx).for_ref(&r);
    let rows = store.history(&r.name, args.show_removed)?;
    if ctx.global.json {
        let json: Vec<VersionRow<'_>> = rows.iter().map(VersionRow::from).collect();
        return view::print_json(&json);
    }
    view::print_versions(&rows, false, args.fullname, args.show_removed)
}
