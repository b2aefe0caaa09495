//! `swrt import FILE.swrt [-n NAME] [-t TAG...]`: verify a bundle file from
//! anywhere (safe extraction, digests) and add it as a local version with
//! the next `vN` and `latest`, as swcli's copy into a local store does.
//! Prints `NAME:VERSION` on stdout.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::bundle::ExtractLimits;

use super::Ctx;
use super::output::UserError;
use super::view;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The bundle file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Runtime name (default: the name in the bundle's runtime.yaml).
    #[arg(short = 'n', long, value_name = "NAME")]
    pub name: Option<String>,
    /// Tags to put on the imported version.
    #[arg(short = 't', long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Fail at once if another swrt holds the store lock.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Serialize)]
struct ImportJson<'a> {
    name: &'a str,
    version: &'a str,
    tags: &'a [String],
    created: bool,
}

pub fn run(args: ImportArgs, ctx: &Ctx) -> anyhow::Result<()> {
    if !args.file.is_file() {
        return Err(UserError::new(format!("{} is not a file", args.file.display())).into());
    }
    if let Some(name) = &args.name
        && !crate::store::is_valid_name(name)
    {
        return Err(crate::store::StoreError::InvalidName { name: name.clone() }.into());
    }
    for t in &args.tags {
        crate::store::check_user_tag(t)?;
    }
    let store = view::store(ctx);
    let lock = view::lock(ctx, &store, args.no_wait)?;
    let added = store.import_bundle(
        &lock,
        &args.file,
        args.name.as_deref(),
        &args.tags,
        &ExtractLimits::default(),
    )?;
    drop(lock);
    if ctx.global.json {
        return view::print_json(&ImportJson {
            name: &added.name,
            version: &added.version,
            tags: &added.tags,
            created: added.created,
        });
    }
    ctx.out.info(&format!(
        "{} {}:{} ({})",
        if added.created {
            "imported"
        } else {
            "already present:"
        },
        added.name,
        crate::store::short_version(&added.version),
        added.tags.join(", ")
    ));
    println!("{}:{}", added.name, added.version);
    Ok(())
}
