//! `swrt gc [--dry-run]`: delete removed versions (`.recover/`), stale
//! staging directories and fingerprints of versions that are gone.

use clap::Args;

use super::Ctx;
use super::view;

#[derive(Debug, Args)]
pub struct GcArgs {
    /// Only say what would be deleted.
    #[arg(long)]
    pub dry_run: bool,
    /// Fail at once if another swrt holds the store lock.
    #[arg(long)]
    pub no_wait: bool,
}

pub fn run(args: GcArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let store = view::store(ctx);
    let lock = view::lock(ctx, &store, args.no_wait)?;
    let report = store.gc(&lock, args.dry_run)?;
    drop(lock);
    if ctx.global.json {
        return view::print_json(&report);
    }
    if report.items.is_empty() {
        ctx.out.info("nothing to collect");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = report
        .items
        .iter()
        .map(|i| {
            vec![
                i.kind.clone(),
                view::human_size(i.bytes),
                i.path.display().to_string(),
            ]
        })
        .collect();
    view::print_table(&["KIND", "SIZE", "PATH"], &rows)?;
    ctx.out.info(&format!(
        "{} {} in {} item(s)",
        if report.dry_run {
            "would free"
        } else {
            "freed"
        },
        view::human_size(report.bytes),
        report.items.len()
    ));
    Ok(())
}
