//! `swrt extract REF [--target-dir D] [--force]`: unpack a bundle, safely,
//! into its workdir (default) or D. Prints the directory on stdout.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::bundle::MANIFEST_FILE;

use super::Ctx;
use super::output::UserError;
use super::view;

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// NAME, NAME:TAG, NAME:VERSION-PREFIX or a Starwhale runtime URI.
    #[arg(value_name = "REF")]
    pub reference: String,
    /// Where to extract (default: the version's workdir in the store).
    #[arg(long, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
    /// Replace an existing directory.
    #[arg(short = 'f', long)]
    pub force: bool,
}

#[derive(Debug, Serialize)]
struct ExtractJson<'a> {
    name: &'a str,
    version: &'a str,
    target: String,
    extracted: bool,
    verified: bool,
}

pub fn run(args: ExtractArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let r = view::parse_ref(&args.reference)?;
    let (store, resolved) = view::resolve(ctx, &r)?;
    let target = args
        .target_dir
        .clone()
        .unwrap_or_else(|| store.workdir(&resolved.name, &resolved.version));
    let (extracted, verified) = if target.join(MANIFEST_FILE).is_file() && !args.force {
        if args.target_dir.is_some() {
            return Err(
                UserError::new(format!("{} already exists", target.display()))
                    .hint("pass --force to replace it")
                    .into(),
            );
        }
        // Like swcli: an extracted workdir is left as it is.
        ctx.out
            .info(&format!("{} is already extracted", resolved.short()));
        (false, false)
    } else {
        if target.exists() && !args.force && args.target_dir.is_some() {
            return Err(
                UserError::new(format!("{} already exists", target.display()))
                    .hint("pass --force to replace it")
                    .into(),
            );
        }
        let ex = store.extract(&resolved.name, &resolved.version, Some(&target), true)?;
        ctx.out.info(&format!(
            "extracted {} to {}",
            resolved.short(),
            target.display()
        ));
        (true, ex.verified)
    };
    if ctx.global.json {
        return view::print_json(&ExtractJson {
            name: &resolved.name,
            version: &resolved.version,
            target: target.display().to_string(),
            extracted,
            verified,
        });
    }
    println!("{}", target.display());
    Ok(())
}
