//! `swrt recover REF`: bring back removed versions (a bare NAME: all of
//! them; NAME:VER: one) with the tags nobody took meanwhile.

use clap::Args;

use super::Ctx;
use super::view;

#[derive(Debug, Args)]
pub struct RecoverArgs {
    /// NAME (every removed version), NAME:VERSION-PREFIX, NAME:TAG (the tag it
    /// had) or a Starwhale URI.
    #[arg(value_name = "REF")]
    pub reference: String,
    /// Fail at once if another swrt holds the store lock.
    #[arg(long)]
    pub no_wait: bool,
}

pub fn run(args: RecoverArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let r = view::parse_ref(&args.reference)?;
    let store = view::store(ctx).for_ref(&r);
    let lock = view::lock(ctx, &store, args.no_wait)?;
    let recovered = store.recover(&lock, &r.name, r.selector.as_deref())?;
    drop(lock);
    if ctx.global.json {
        return view::print_json(&recovered);
    }
    for v in &recovered.versions {
        ctx.out.info(&format!(
            "recovered {}:{}",
            recovered.name,
            crate::store::short_version(v)
        ));
    }
    if !recovered.tags.is_empty() {
        ctx.out
            .info(&format!("tags given back: {}", recovered.tags.join(", ")));
    }
    Ok(())
}
