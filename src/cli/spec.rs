//! `swrt spec [PATH|DIR]`: check a runtime.yaml and print what it resolves
//! to (YAML, or JSON with `--json`) on stdout; warnings and errors go to
//! stderr with their place in the file. With `--json`, a failing spec also
//! puts its diagnostics on stdout as JSON.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::diagnostics::{self, RenderOptions};
use super::{ColorChoice, Ctx};
use crate::spec::{self, LoadOptions};

#[derive(Debug, Args)]
pub struct SpecArgs {
    /// A runtime.yaml, or a directory holding one.
    #[arg(default_value = ".", value_name = "PATH|DIR")]
    pub path: PathBuf,
}

/// Source snippets on a terminal, or whenever colours are forced.
pub fn render_options(ctx: &Ctx) -> RenderOptions {
    RenderOptions {
        color: ctx.out.color.0,
        snippets: ctx.global.color == ColorChoice::Always
            || (ctx.global.color == ColorChoice::Auto && std::io::stderr().is_terminal()),
    }
}

pub fn run(args: SpecArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let opts = render_options(ctx);
    let loaded = match spec::load(&args.path, &LoadOptions::default()) {
        Ok(loaded) => loaded,
        Err(err) => {
            diagnostics::print_spec_error(&err, opts, ctx.out.quiet);
            if ctx.global.json {
                // Editors and scripts get the problems as data too.
                let report = serde_json::json!({
                    "file": err.file,
                    "error_count": err.error_count(),
                    "diagnostics": err.diagnostics,
                });
                let mut stdout = std::io::stdout().lock();
                writeln!(stdout, "{}", serde_json::to_string_pretty(&report)?)?;
                stdout.flush()?;
            }
            return Err(err.into());
        }
    };
    diagnostics::print_warnings(&loaded.warnings, &loaded.source_text, opts, ctx.out.quiet);
    let text = if ctx.global.json {
        let mut s = serde_json::to_string_pretty(&loaded.spec).context("serialising the spec")?;
        s.push('\n');
        s
    } else {
        serde_yaml::to_string(&loaded.spec).context("serialising the spec")?
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}
