//! What `list`, `history` and the TUI show about each version, and the small
//! cache that keeps listing fast.
//!
//! A version's row needs its manifest (mode, python, created_at). Reading it
//! means opening the bundle and parsing YAML, so rows are cached per runtime
//! in `<root>/.swrt/cache/<project>/<name>.json`, keyed by version and
//! checked against the bundle's size and mtime. The cache is only an
//! accelerator: it is rewritten atomically, never locked, and a missing or
//! unreadable cache is rebuilt from the bundles.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::tag_index::is_auto_tag;

/// One version of one runtime, as listings show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub name: String,
    /// The full 40-character version.
    pub version: String,
    /// `v0 v1 … latest user-tags`.
    pub tags: Vec<String>,
    /// `venv` or `conda`.
    pub mode: String,
    /// `X.Y`.
    pub python: String,
    /// Bundle size in bytes.
    pub size: u64,
    /// As the manifest says (`%Y-%m-%d %H:%M:%S %Z`).
    pub created_at: String,
    /// Seconds since the epoch, for ordering (from `created_at`, else mtime).
    pub created_ts: i64,
    /// Absolute path of the bundle.
    pub path: PathBuf,
    /// In `.recover/`.
    pub removed: bool,
    /// `swrt` when the manifest has a `swrt:` section, else `swcli`.
    pub built_by: String,
    /// Input fingerprint, for swrt-built bundles.
    pub fingerprint: Option<String>,
    /// The bundle file's mtime in nanoseconds: orders versions created
    /// within the same second (`created_at` has whole seconds).
    #[serde(skip)]
    pub mtime_ns: i64,
}

/// The manifest-derived part of a row, as cached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Summary {
    pub size: u64,
    pub mtime_ns: i128,
    pub mode: String,
    pub python: String,
    pub created_at: String,
    pub created_ts: i64,
    pub built_by: String,
    pub fingerprint: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct SummaryCache {
    pub versions: BTreeMap<String, Summary>,
}

pub(crate) fn mtime_ns(meta: &fs::Metadata) -> i128 {
    i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec())
}

impl SummaryCache {
    pub fn load(path: &Path) -> SummaryCache {
        fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    pub fn save(&self, path: &Path) {
        if let Ok(bytes) = serde_json::to_vec(self) {
            // Best effort: a read-only store still lists, just slower.
            let _ = super::atomic::write_file(path, &bytes);
        }
    }
}

/// Reads a bundle's summary from its manifest.
pub(crate) fn summarize(bundle: &Path, meta: &fs::Metadata) -> Summary {
    let manifest = crate::bundle::read_manifest(bundle).ok();
    let mtime = mtime_ns(meta);
    let (mode, python, created_at, built_by, fingerprint) = match &manifest {
        Some(m) => (
            m.environment.mode.clone(),
            m.environment.python.clone(),
            m.created_at.clone(),
            if m.swrt.is_some() { "swrt" } else { "swcli" }.to_owned(),
            m.swrt
                .as_ref()
                .map(|s| s.fingerprint.clone())
                .filter(|f| !f.is_empty()),
        ),
        None => (
            String::new(),
            String::new(),
            String::new(),
            "unknown".to_owned(),
            None,
        ),
    };
    let created_ts = parse_created_at(&created_at).unwrap_or((mtime / 1_000_000_000) as i64);
    Summary {
        size: meta.len(),
        mtime_ns: mtime,
        mode,
        python,
        created_at,
        created_ts,
        built_by,
        fingerprint,
    }
}

/// Parses swcli's `%Y-%m-%d %H:%M:%S %Z`. The zone is an abbreviation that
/// cannot be resolved in general: `UTC`/`GMT`/`Z` are UTC, anything else is
/// taken as this machine's zone (which is where swcli wrote it).
pub fn parse_created_at(s: &str) -> Option<i64> {
    let s = s.trim();
    let civil: jiff::civil::DateTime = s.get(..19)?.parse().ok()?;
    let zone = s.get(19..).map(str::trim).unwrap_or("");
    let tz = match zone {
        "UTC" | "GMT" | "Z" | "+0000" | "+00:00" => jiff::tz::TimeZone::UTC,
        _ => jiff::tz::TimeZone::system(),
    };
    civil.to_zoned(tz).ok().map(|z| z.timestamp().as_second())
}

/// Newest first: creation time, then the bundle's mtime, then the highest
/// `vN`, then the version.
pub fn sort_newest_first(rows: &mut [VersionInfo]) {
    fn seq(tags: &[String]) -> i64 {
        tags.iter()
            .filter(|t| is_auto_tag(t))
            .filter_map(|t| t[1..].parse::<i64>().ok())
            .max()
            .unwrap_or(-1)
    }
    rows.sort_by(|a, b| {
        b.created_ts
            .cmp(&a.created_ts)
            .then_with(|| b.mtime_ns.cmp(&a.mtime_ns))
            .then_with(|| seq(&b.tags).cmp(&seq(&a.tags)))
            .then_with(|| a.version.cmp(&b.version))
    });
}
