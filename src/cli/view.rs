//! Shared pieces of the store commands (`list`, `history`, `info`, `tag`,
//! `remove`, `recover`, `gc`, `extract`, `export`, `import`): opening the
//! store, resolving references, taking the lock, plain-text tables, sizes,
//! and the stable JSON shape of a version row (documented in docs/cli.md).

use std::io::Write;

use anyhow::Context;
use serde::Serialize;

use crate::store::{
    Resolved, RuntimeRef, Store, StoreError, StoreLock, VersionInfo, short_version,
};

use super::Ctx;

/// The store of the invocation's root and project.
pub fn store(ctx: &Ctx) -> Store {
    Store::open(&ctx.paths)
}

/// Parses a reference typed by the user.
pub fn parse_ref(text: &str) -> anyhow::Result<RuntimeRef> {
    Ok(RuntimeRef::parse(text)?)
}

/// Resolves a reference to a live version (in the project its URI names).
pub fn resolve(ctx: &Ctx, r: &RuntimeRef) -> anyhow::Result<(Store, Resolved)> {
    let store = store(ctx).for_ref(r);
    let resolved = store.resolve(r)?;
    Ok((store, resolved))
}

/// Takes the store lock: at once with `no_wait` (failing when busy), else
/// waiting, with a note on stderr when another swrt holds it.
pub fn lock(ctx: &Ctx, store: &Store, no_wait: bool) -> anyhow::Result<StoreLock> {
    match store.try_lock() {
        Ok(lock) => Ok(lock),
        Err(StoreError::Busy { .. }) if !no_wait => {
            ctx.out
                .info("waiting for another swrt to release the store lock…");
            Ok(store.lock()?)
        }
        Err(e) => Err(e.into()),
    }
}

/// A version row in `--json` output.
#[derive(Debug, Serialize)]
pub struct VersionRow<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub tags: &'a [String],
    pub mode: &'a str,
    pub python: &'a str,
    pub size: u64,
    pub created_at: &'a str,
    pub removed: bool,
    pub built_by: &'a str,
    pub path: String,
}

impl<'a> From<&'a VersionInfo> for VersionRow<'a> {
    fn from(v: &'a VersionInfo) -> Self {
        VersionRow {
            name: &v.name,
            version: &v.version,
            tags: &v.tags,
            mode: &v.mode,
            python: &v.python,
            size: v.size,
            created_at: &v.created_at,
            removed: v.removed,
            built_by: &v.built_by,
            path: v.path.display().to_string(),
        }
    }
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).context("writing JSON")?;
    writeln!(out).context("writing JSON")?;
    Ok(())
}

/// Writes rows as a left-aligned table with a header, two spaces apart.
/// The version table of `list` (with a NAME column) and `history` (without).
pub fn print_versions(
    rows: &[VersionInfo],
    with_name: bool,
    fullname: bool,
    show_removed: bool,
) -> anyhow::Result<()> {
    let mut header = Vec::new();
    if with_name {
        header.push("NAME");
    }
    header.extend(["VERSION", "TAGS", "MODE", "PYTHON", "SIZE", "CREATED"]);
    if show_removed {
        header.push("REMOVED");
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut row = Vec::with_capacity(header.len());
            if with_name {
                row.push(r.name.clone());
            }
            row.extend([
                show_version(&r.version, fullname),
                show_tags(&r.tags),
                r.mode.clone(),
                r.python.clone(),
                human_size(r.size),
                show_created(&r.created_at),
            ]);
            if show_removed {
                row.push(if r.removed { "yes" } else { "" }.to_owned());
            }
            row
        })
        .collect();
    print_table(&header, &table)
}

pub fn print_table(header: &[&str], rows: &[Vec<String>]) -> anyhow::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            s.push_str(cell);
            if i < last {
                let pad = widths[i] + 2 - cell.chars().count();
                s.push_str(&" ".repeat(pad));
            }
        }
        s.trim_end().to_owned()
    };
    writeln!(out, "{}", line(header.to_vec()))?;
    for row in rows {
        writeln!(out, "{}", line(row.iter().map(String::as_str).collect()))?;
    }
    out.flush()?;
    Ok(())
}

/// `1.2 MiB`-style sizes.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The version as listings show it: 12 characters unless `full`.
pub fn show_version(version: &str, full: bool) -> String {
    if full {
        version.to_owned()
    } else {
        short_version(version).to_owned()
    }
}

/// `created_at` without seconds (`2024-01-01 12:00 UTC`).
pub fn show_created(created_at: &str) -> String {
    match (created_at.get(..16), created_at.get(19..)) {
        (Some(head), Some(zone)) if created_at.len() >= 19 => format!("{head}{zone}"),
        _ => created_at.to_owned(),
    }
}

/// Comma-separated tags.
pub fn show_tags(tags: &[String]) -> String {
    tags.join(",")
}
