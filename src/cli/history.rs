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
    let mut header = vec!["VERSION", "TAGS", "MODE", "PYTHON", "SIZE", "CREATED"];
    if args.show_removed {
        header.push("REMOVED");
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut row = vec![
                view::show_version(&r.version, args.fullname),
                view::show_tags(&r.tags),
                r.mode.clone(),
                r.python.clone(),
                view::human_size(r.size),
                view::show_created(&r.created_at),
            ];
            if args.show_removed {
                row.push(if r.removed { "yes" } else { "" }.to_owned());
            }
            row
        })
        .collect();
    view::print_table(&header, &table)
}
