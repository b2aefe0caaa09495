//! Runtimes from an existing conda environment (`swrt build --conda-prefix
//! PATH`, `--conda NAME`): the prefix's `conda-meta/` records become a
//! runtime.yaml that pins every package exactly (name, version and build, from
//! the channels they came from), which the ordinary pipeline then builds,
//! locks and bundles. The source prefix is only read, never modified.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::paths::Paths;
use crate::spec::validate::valid_name;

use super::BuildError;
use super::conda;

/// Where conda keeps named environments, without a conda installation to
/// ask: the roots the usual installers use, and conda's own list of
/// environments.
pub fn find_named_env(name: &str, home: &Path, roots: &[PathBuf]) -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = roots.iter().map(|r| r.join("envs").join(name)).collect();
    for dir in [
        "miniconda3",
        "anaconda3",
        "miniforge3",
        "mambaforge",
        ".conda",
    ] {
        candidates.push(home.join(dir).join("envs").join(name));
    }
    if let Ok(list) = std::fs::read_to_string(home.join(".conda/environments.txt")) {
        candidates.extend(
            list.lines()
                .map(|l| PathBuf::from(l.trim()))
                .filter(|p| p.file_name().is_some_and(|n| n == name)),
        );
    }
    candidates
        .into_iter()
        .find(|p| p.join("conda-meta").is_dir())
}

/// Writes `<root>/.swrt/from-env/<name>/runtime.yaml` describing `prefix`
/// and returns its path. The same prefix contents give the same file, so a
/// second build of an unchanged prefix is free.
pub fn spec_from_conda_prefix(
    paths: &Paths,
    prefix: &Path,
    name: Option<&str>,
) -> Result<PathBuf, BuildError> {
    let name = match name {
        Some(n) => n.to_owned(),
        None => prefix
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    if !valid_name(&name) {
        return Err(BuildError::FromEnv(format!(
            "`{name}` is not a valid runtime name; give one with -n NAME"
        )));
    }
    let lock = conda::lock_from_prefix(&name, prefix)?;
    let python = lock
        .packages
        .iter()
        .find(|p| p.name == "python")
        .ok_or_else(|| {
            BuildError::FromEnv(format!(
                "the conda environment at {} has no python package",
                prefix.display()
            ))
        })?;
    let xy: Vec<&str> = python.version.split('.').take(2).collect();
    let mut yaml = String::new();
    let _ = writeln!(
        yaml,
        "# Made by swrt from the conda environment at {}",
        prefix.display()
    );
    let _ = writeln!(yaml, "name: {name}\nmode: conda\nenvironment:");
    let _ = writeln!(yaml, "  python: \"{}\"", xy.join("."));
    let _ = writeln!(yaml, "configs:\n  conda:\n    channels:");
    for c in &lock.channels {
        let _ = writeln!(yaml, "      - \"{c}\"");
    }
    let _ = writeln!(yaml, "dependencies:\n  - conda:");
    for p in &lock.packages {
        let _ = writeln!(yaml, "      - \"{} =={} {}\"", p.name, p.version, p.build);
    }
    let dir = paths.state_dir().join("from-env").join(&name);
    std::fs::create_dir_all(&dir).map_err(BuildError::io("creating the spec directory"))?;
    let file = dir.join("runtime.yaml");
    let tmp = dir.join(".runtime.yaml.tmp");
    std::fs::write(&tmp, yaml).map_err(BuildError::io("writing the spec"))?;
    std::fs::rename(&tmp, &file).map_err(BuildError::io("writing the spec"))?;
    Ok(file)
}
