//! `swrt export REF -o FILE.swrt`: copy a version's bundle to a file, to
//! move it to another machine (`swrt import`, or swcli, which reads it as
//! is). The file appears atomically.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Ctx;
use super::output::UserError;
use super::view;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// NAME, NAME:TAG, NAME:VERSION-PREFIX or a Starwhale runtime URI.
    #[arg(value_name = "REF")]
    pub reference: String,
    /// The file to write (conventionally `*.swrt`).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: PathBuf,
    /// Replace an existing file.
    #[arg(short = 'f', long)]
    pub force: bool,
}

#[derive(Debug, Serialize)]
struct ExportJson<'a> {
    name: &'a str,
    version: &'a str,
    path: String,
    size: u64,
    sha256: String,
}

pub fn run(args: ExportArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let r = view::parse_ref(&args.reference)?;
    let (_store, resolved) = view::resolve(ctx, &r)?;
    if args.output.exists() && !args.force {
        return Err(
            UserError::new(format!("{} already exists", args.output.display()))
                .hint("pass --force to replace it")
                .into(),
        );
    }
    let dir = match args.output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".swrt-export-")
        .tempfile_in(&dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    let mut src = std::fs::File::open(&resolved.bundle)
        .with_context(|| format!("opening {}", resolved.bundle.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = src.read(&mut buf).context("reading the bundle")?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        std::io::Write::write_all(&mut tmp, &buf[..n]).context("writing the export")?;
        size += n as u64;
    }
    tmp.as_file().sync_all().context("syncing the export")?;
    tmp.persist(&args.output)
        .with_context(|| format!("writing {}", args.output.display()))?;
    let sha256 = crate::bundle::digest::hex(&hasher.finalize());
    if ctx.global.json {
        return view::print_json(&ExportJson {
            name: &resolved.name,
            version: &resolved.version,
            path: args.output.display().to_string(),
            size,
            sha256,
        });
    }
    ctx.out.info(&format!(
        "exported {} to {} ({})",
        resolved.short(),
        args.output.display(),
        view::human_size(size)
    ));
    Ok(())
}
