//! `swrt info REF [--output-filter basic|runtime_yaml|manifest|lock|all]`:
//! what a version is, read from its manifest, runtime.yaml and lock (from
//! the extracted workdir when there is one, else from the bundle) — never by
//! starting Python.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::bundle::{self, MANIFEST_FILE, Manifest};
use crate::store::{Resolved, Store};

use super::Ctx;
use super::view;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum OutputFilter {
    Basic,
    RuntimeYaml,
    Manifest,
    Lock,
    All,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// NAME, NAME:TAG, NAME:VERSION-PREFIX or a Starwhale runtime URI.
    #[arg(value_name = "REF")]
    pub reference: String,
    /// Which part to show.
    #[arg(long, value_enum, default_value_t = OutputFilter::Basic)]
    pub output_filter: OutputFilter,
}

/// `info --json` `basic` section.
#[derive(Debug, Serialize)]
pub struct Basic {
    pub name: String,
    pub version: String,
    pub project: String,
    pub uri: String,
    pub tags: Vec<String>,
    pub mode: String,
    pub python: String,
    pub size: u64,
    pub created_at: String,
    pub built_by: String,
    pub tool_version: Option<String>,
    pub backend: Option<String>,
    pub fingerprint: Option<String>,
    pub bundle_path: String,
    pub workdir: String,
    pub extracted: bool,
    pub env_dir: String,
    pub restored: bool,
}

/// `info --json`: only the sections asked for are present.
#[derive(Debug, Serialize, Default)]
pub struct InfoJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basic: Option<Basic>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_yaml: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock: Option<BTreeMap<String, String>>,
}

struct Contents {
    manifest: Manifest,
    runtime_yaml: String,
    /// Lock file name → text.
    lock: BTreeMap<String, String>,
}

fn contents(store: &Store, r: &Resolved) -> anyhow::Result<Contents> {
    let workdir = store.workdir(&r.name, &r.version);
    if workdir.join(MANIFEST_FILE).is_file() {
        let manifest = Manifest::from_yaml(
            &std::fs::read_to_string(workdir.join(MANIFEST_FILE))
                .with_context(|| format!("reading {}", workdir.join(MANIFEST_FILE).display()))?,
        )
        .with_context(|| format!("parsing {}", workdir.join(MANIFEST_FILE).display()))?;
        let runtime_yaml =
            std::fs::read_to_string(workdir.join("runtime.yaml")).unwrap_or_default();
        let lock = manifest
            .lock_members()
            .into_iter()
            .filter_map(|m| {
                let text = std::fs::read_to_string(workdir.join(&m)).ok()?;
                Some((file_name(&m), text))
            })
            .collect();
        return Ok(Contents {
            manifest,
            runtime_yaml,
            lock,
        });
    }
    let manifest = bundle::read_manifest(&r.bundle)?;
    let locks = manifest.lock_members();
    let mut names: Vec<&str> = vec!["runtime.yaml"];
    names.extend(locks.iter().map(String::as_str));
    let mut members = bundle::read_members(&r.bundle, &names)?;
    let runtime_yaml = members
        .remove("runtime.yaml")
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let lock = members
        .into_iter()
        .map(|(k, v)| (file_name(&k), String::from_utf8_lossy(&v).into_owned()))
        .collect();
    Ok(Contents {
        manifest,
        runtime_yaml,
        lock,
    })
}

fn file_name(member: &str) -> String {
    member.rsplit('/').next().unwrap_or(member).to_owned()
}

pub fn run(args: InfoArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let r = view::parse_ref(&args.reference)?;
    let (store, resolved) = view::resolve(ctx, &r)?;
    let c = contents(&store, &resolved)?;
    let info = store.version_info(&resolved.name, &resolved.version)?;
    let swrt = c.manifest.swrt.as_ref();
    let mode = c.manifest.environment.mode.clone();
    let env_dir = store.env_dir(&resolved.name, &resolved.version, &mode);
    let workdir = store.workdir(&resolved.name, &resolved.version);
    let basic = Basic {
        name: resolved.name.clone(),
        version: resolved.version.clone(),
        project: resolved.project.clone(),
        uri: resolved.uri(),
        tags: info.tags.clone(),
        mode,
        python: c.manifest.environment.python.clone(),
        size: info.size,
        created_at: c.manifest.created_at.clone(),
        built_by: info.built_by.clone(),
        tool_version: swrt.map(|s| s.tool_version.clone()),
        backend: swrt.map(|s| s.backend.clone()),
        fingerprint: swrt
            .map(|s| s.fingerprint.clone())
            .filter(|f| !f.is_empty()),
        bundle_path: resolved.bundle.display().to_string(),
        extracted: workdir.join(MANIFEST_FILE).is_file(),
        workdir: workdir.display().to_string(),
        restored: env_dir.is_dir(),
        env_dir: env_dir.display().to_string(),
    };
    let f = args.output_filter;
    let want = |x: OutputFilter| f == x || f == OutputFilter::All;
    if ctx.global.json {
        let json = InfoJson {
            basic: want(OutputFilter::Basic).then_some(basic),
            runtime_yaml: want(OutputFilter::RuntimeYaml).then(|| c.runtime_yaml.clone()),
            manifest: if want(OutputFilter::Manifest) {
                Some(serde_json::to_value(&c.manifest).context("converting the manifest to JSON")?)
            } else {
                None
            },
            lock: want(OutputFilter::Lock).then(|| c.lock.clone()),
        };
        return view::print_json(&json);
    }
    let mut out = std::io::stdout().lock();
    let all = f == OutputFilter::All;
    if want(OutputFilter::Basic) {
        if all {
            writeln!(out, "# basic")?;
        }
        let rows: Vec<(&str, String)> = vec![
            ("name", basic.name.clone()),
            ("version", basic.version.clone()),
            ("project", basic.project.clone()),
            ("uri", basic.uri.clone()),
            ("tags", basic.tags.join(", ")),
            ("mode", basic.mode.clone()),
            ("python", basic.python.clone()),
            ("size", view::human_size(basic.size)),
            ("created_at", basic.created_at.clone()),
            (
                "built_by",
                match (&basic.tool_version, &basic.backend) {
                    (Some(t), Some(b)) if !b.is_empty() => format!("swrt {t} ({b})"),
                    (Some(t), _) => format!("swrt {t}"),
                    _ => format!("{} {}", basic.built_by, c.manifest.build.sw_version)
                        .trim()
                        .to_owned(),
                },
            ),
            (
                "fingerprint",
                basic.fingerprint.clone().unwrap_or_else(|| "-".to_owned()),
            ),
            ("bundle", basic.bundle_path.clone()),
            (
                "workdir",
                format!(
                    "{}{}",
                    basic.workdir,
                    if basic.extracted {
                        ""
                    } else {
                        " (not extracted)"
                    }
                ),
            ),
            (
                "environment",
                format!(
                    "{}{}",
                    basic.env_dir,
                    if basic.restored {
                        ""
                    } else {
                        " (not restored)"
                    }
                ),
            ),
        ];
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
        for (k, v) in rows {
            writeln!(out, "{:<width$} {v}", format!("{k}:"))?;
        }
    }
    if want(OutputFilter::RuntimeYaml) {
        if all {
            writeln!(out, "\n# runtime.yaml")?;
        }
        write!(out, "{}", c.runtime_yaml)?;
        if !c.runtime_yaml.ends_with('\n') && !c.runtime_yaml.is_empty() {
            writeln!(out)?;
        }
    }
    if want(OutputFilter::Manifest) {
        if all {
            writeln!(out, "\n# _manifest.yaml")?;
        }
        write!(
            out,
            "{}",
            c.manifest.to_yaml().context("rendering the manifest")?
        )?;
    }
    if want(OutputFilter::Lock) {
        if all {
            writeln!(out, "\n# lock")?;
        }
        for (name, text) in &c.lock {
            writeln!(out, "#lock file: {name}")?;
            write!(out, "{text}")?;
            if !text.ends_with('\n') && !text.is_empty() {
                writeln!(out)?;
            }
        }
    }
    Ok(())
}
