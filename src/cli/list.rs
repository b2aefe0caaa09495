//! `swrt list`: every version in the store, newest first (swcli's
//! `runtime list`, with all versions rather than the newest per name).

use clap::Args;

use crate::store::ListOptions;

use super::Ctx;
use super::output::UserError;
use super::view::{self, VersionRow};

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Show full 40-character versions.
    #[arg(long)]
    pub fullname: bool,
    /// Include removed (recoverable) versions.
    #[arg(long)]
    pub show_removed: bool,
    /// `name=PREFIX` (runtimes whose name starts with PREFIX) or `latest`
    /// (only versions tagged latest); repeatable.
    #[arg(long, value_name = "FILTER")]
    pub filter: Vec<String>,
}

pub fn run(args: ListArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let mut options = ListOptions {
        include_removed: args.show_removed,
        ..ListOptions::default()
    };
    for f in &args.filter {
        match f.split_once('=') {
            Some(("name", prefix)) => options.name_prefix = Some(prefix.to_owned()),
            None if f == "latest" => options.latest_only = true,
            _ => {
                return Err(UserError::new(format!("unknown filter `{f}`"))
                    .hint("filters are `name=PREFIX` and `latest`")
                    .into());
            }
        }
    }
    let rows = view::store(ctx).list(&options)?;
    if ctx.global.json {
        let json: Vec<VersionRow<'_>> = rows.iter().map(VersionRow::from).collect();
        return view::print_json(&json);
    }
    if rows.is_empty() {
        ctx.out
            .info(&format!("no runtimes in project `{}`", ctx.paths.project));
        return Ok(());
    }
    view::print_versions(&rows, true, args.fullname, args.show_removed)
}
