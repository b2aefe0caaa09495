//! `swrt status [--json]`: what is active in this shell, which rule chose
//! it, and what the next prompt would switch to if that differs.

use std::io::Write;

use anyhow::Context;
use clap::Args;
use serde_json::json;

use super::Ctx;
use crate::shell::{self, Choice, EnvSnapshot};

#[derive(Debug, Args)]
pub struct StatusArgs {}

pub fn run(_args: StatusArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let snap = EnvSnapshot::capture();
    let active = snap.current();
    let hooked = snap.session.is_some();
    let selection = shell::select(&ctx.paths, snap.session.as_deref(), &snap.pwd)
        .map_err(super::activate::user_error)?;
    let (selected, problem) = match selection.as_ref().map(|s| &s.choice) {
        Some(Choice::Runtime(r)) => match shell::resolve(&ctx.paths, r) {
            Ok(t) => (Some(t), None),
            Err(e) => (None, Some(super::hook_env::problem_line(r, &e))),
        },
        _ => (None, None),
    };
    let in_sync = match (&active, &selected) {
        (Some(a), Some(t)) => a.is_of(t),
        (None, None) => true,
        _ => false,
    };
    let mut out = std::io::stdout();
    if ctx.global.json {
        let value = json!({
            "active": active.as_ref().map(|a| json!({
                "name": a.name,
                "version": a.version,
                "mode": a.mode,
                "prefix": a.prefix,
                "uri": a.uri,
            })),
            "selection": selection.as_ref().map(|s| json!({
                "rule": s.rule.as_str(),
                "reference": match &s.choice {
                    Choice::Runtime(r) => Some(r.as_str()),
                    Choice::Nothing => None,
                },
                "source": s.source,
            })),
            "selected": selected.as_ref().map(|t| json!({
                "name": t.name,
                "version": t.version,
                "mode": t.mode,
                "prefix": t.prefix,
                "uri": t.uri,
            })),
            "problem": problem,
            "in_sync": in_sync,
            "hooked": hooked,
            "session": snap.session,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)
            .context("cannot write to stdout")?;
        return Ok(());
    }
    let mut text = String::new();
    match &active {
        Some(a) => text.push_str(&format!(
            "active:   {}:{} ({}) {}\n",
            a.name,
            a.version,
            a.mode.as_str(),
            a.prefix
        )),
        None => text.push_str("active:   none\n"),
    }
    match &selection {
        Some(s) => {
            let what = match &s.choice {
                Choice::Runtime(r) => r.clone(),
                Choice::Nothing => "nothing".to_owned(),
            };
            let rule = match s.rule {
                shell::Rule::Session => "this shell's `swrt activate`".to_owned(),
                shell::Rule::Pin => format!("pin {}", s.source.display()),
                shell::Rule::Global => format!("global choice {}", s.source.display()),
            };
            text.push_str(&format!("selected: {what} by {rule}\n"));
        }
        None => text.push_str("selected: nothing (no activate, pin or global choice)\n"),
    }
    out.write_all(text.as_bytes())
        .context("cannot write to stdout")?;
    if let Some(p) = problem {
        ctx.out.warning(p.trim_start_matches("swrt: "));
    }
    if !hooked {
        ctx.out.hint(
            "the shell integration is not loaded here: `eval \"$(swrt hook bash)\"` (or `swrt init bash`)",
        );
    } else if !in_sync {
        ctx.out
            .hint("the next prompt switches this shell to the selected runtime");
    }
    Ok(())
}
