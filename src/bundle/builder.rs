//! From a resolved spec to a written bundle: stage the members in the
//! layout swcli uses, fill in the manifest, write the tar.
//!
//! ```text
//! runtime.yaml              the user's file, byte for byte
//! dependencies/<file>       each requirements / conda file named in runtime.yaml
//! dependencies/.starwhale/lock/requirements-sw-lock.txt   (venv) or conda-sw-lock.yaml (conda)
//! wheels/<path>             each wheel named in runtime.yaml
//! files/<src>               each native file or directory, exec bits kept
//! configs/condarc           when a condarc is set
//! ```
//!
//! The build pipeline calls [`stage_and_write`] after locking; it may add
//! members (e.g. every locked wheel for `--download-all-deps`) and swrt
//! manifest records. No I/O outside the staging and output directories;
//! never prints.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::BundleError;
use super::manifest::{
    Artifacts, BuildInfo, BuiltinImage, CONDA_LOCK_FILE, CondaConfigs, Configs, Dependencies,
    DockerConfigs, DockerSection, Environment, LockInfo, Manifest, PipConfigs, RawDep, ShellInfo,
    SwrtSection, VENV_LOCK_FILE,
};
use super::writer::{WrittenBundle, write_bundle};
use crate::spec::{Dependency, Mode, ResolvedSpec};

/// Where a staged member's content comes from.
#[derive(Debug, Clone)]
pub enum MemberSource {
    /// A file copied with its exec bits.
    File(PathBuf),
    /// A directory copied recursively (symlinks kept as links).
    Dir(PathBuf),
    /// Literal content (mode 0644).
    Bytes(Vec<u8>),
}

/// Everything that goes into a bundle besides what the spec names.
#[derive(Debug, Clone)]
pub struct BundleInputs<'a> {
    pub spec: &'a ResolvedSpec,
    /// The lock text (freeze output or conda export).
    pub lock_text: &'a str,
    /// `uv`, `pip` or `conda`.
    pub backend: &'a str,
    /// Full version of the Python the env was built with (`3.11.7`).
    pub python_full_version: Option<String>,
    /// Extra members by bundle path (e.g. `wheels/locked/x.whl`).
    pub extra_members: Vec<(String, MemberSource)>,
    /// Extra records for the `swrt:` section (e.g. conda package URLs).
    pub swrt_extra: BTreeMap<String, serde_yaml::Value>,
    /// Whether the environment itself is packed (`dependencies.local_packaged_env`).
    pub local_packaged_env: bool,
}

impl<'a> BundleInputs<'a> {
    pub fn new(spec: &'a ResolvedSpec, lock_text: &'a str, backend: &'a str) -> BundleInputs<'a> {
        BundleInputs {
            spec,
            lock_text,
            backend,
            python_full_version: spec.interpreter.as_ref().map(|i| i.version.clone()),
            extra_members: Vec::new(),
            swrt_extra: BTreeMap::new(),
            local_packaged_env: false,
        }
    }
}

/// The bundle path of the lock file for a mode.
pub fn lock_member(mode: Mode) -> String {
    match mode {
        Mode::Venv => format!("dependencies/{VENV_LOCK_FILE}"),
        Mode::Conda => format!("dependencies/{CONDA_LOCK_FILE}"),
    }
}

/// The members a spec names, by bundle path, in spec order.
pub fn spec_members(spec: &ResolvedSpec) -> Vec<(String, MemberSource)> {
    let mut out = vec![(
        "runtime.yaml".to_owned(),
        MemberSource::File(spec.source.path.clone()),
    )];
    for dep in &spec.dependencies {
        match dep {
            Dependency::PipReqFile { file } | Dependency::CondaEnvFile { file } => out.push((
                format!("dependencies/{}", file.rel.trim_start_matches('/')),
                MemberSource::File(file.path.clone()),
            )),
            Dependency::Wheel { wheels } => {
                for w in wheels {
                    out.push((
                        format!("wheels/{}", w.rel.trim_start_matches('/')),
                        MemberSource::File(w.path.clone()),
                    ));
                }
            }
            Dependency::NativeFile { files } => {
                for f in files {
                    let dest = format!("files/{}", f.src.rel.trim_start_matches('/'));
                    let src = if f.src.path.is_dir() {
                        MemberSource::Dir(f.src.path.clone())
                    } else {
                        MemberSource::File(f.src.path.clone())
                    };
                    out.push((dest, src));
                }
            }
            Dependency::PipPkg { .. }
            | Dependency::CondaPkg { .. }
            | Dependency::Command { .. } => {}
        }
    }
    if let Some(condarc) = &spec.configs.conda.condarc
        && !condarc.as_object().is_some_and(|m| m.is_empty())
        && !condarc.is_null()
    {
        let yaml = serde_yaml::to_string(condarc).unwrap_or_default();
        out.push((
            "configs/condarc".to_owned(),
            MemberSource::Bytes(yaml.into_bytes()),
        ));
    }
    out
}

/// The swcli-compatible manifest for a spec (without version, created_at
/// and member digests: the writer fills those).
pub fn manifest_for(inputs: &BundleInputs<'_>) -> Manifest {
    let spec = inputs.spec;
    let mode = spec.mode.as_str().to_owned();
    let lock_rel = lock_member(spec.mode)
        .trim_start_matches("dependencies/")
        .to_owned();
    let mut raw_deps = Vec::new();
    let mut deps = Dependencies {
        local_packaged_env: inputs.local_packaged_env,
        ..Dependencies::default()
    };
    let mut artifacts = Artifacts {
        runtime_yaml: "runtime.yaml".to_owned(),
        ..Artifacts::default()
    };
    let strings = |v: &[String]| {
        serde_yaml::Value::Sequence(v.iter().cloned().map(serde_yaml::Value::String).collect())
    };
    for dep in &spec.dependencies {
        let (kind, value) = match dep {
            Dependency::PipReqFile { file } => {
                deps.pip_files.push(file.rel.clone());
                artifacts
                    .dependencies
                    .push(format!("dependencies/{}", file.rel.trim_start_matches('/')));
                ("pip_req_file", serde_yaml::Value::String(file.rel.clone()))
            }
            Dependency::CondaEnvFile { file } => {
                deps.conda_files.push(file.rel.clone());
                artifacts
                    .dependencies
                    .push(format!("dependencies/{}", file.rel.trim_start_matches('/')));
                (
                    "conda_env_file",
                    serde_yaml::Value::String(file.rel.clone()),
                )
            }
            Dependency::PipPkg { packages } => {
                deps.pip_pkgs.extend(packages.iter().cloned());
                ("pip_pkg", strings(packages))
            }
            Dependency::CondaPkg { packages } => {
                deps.conda_pkgs.extend(packages.iter().cloned());
                ("conda_pkg", strings(packages))
            }
            Dependency::Wheel { wheels } => {
                let rels: Vec<String> = wheels.iter().map(|w| w.rel.clone()).collect();
                artifacts.wheels.extend(
                    rels.iter()
                        .map(|r| format!("wheels/{}", r.trim_start_matches('/'))),
                );
                ("wheel", strings(&rels))
            }
            Dependency::NativeFile { files } => {
                let items: Vec<serde_yaml::Value> = files
                    .iter()
                    .map(|f| {
                        let mut m = serde_yaml::Mapping::new();
                        m.insert("dest".into(), f.dest.clone().into());
                        if let Some(name) = &f.name {
                            m.insert("name".into(), name.clone().into());
                        }
                        m.insert("src".into(), f.src.rel.clone().into());
                        serde_yaml::Value::Mapping(m)
                    })
                    .collect();
                artifacts.files.extend(items.iter().cloned());
                ("native_file", serde_yaml::Value::Sequence(items))
            }
            Dependency::Command { commands } => ("command", strings(commands)),
        };
        raw_deps.push(RawDep {
            deps: value,
            kind: kind.to_owned(),
            extra: BTreeMap::new(),
        });
    }
    deps.raw_deps = raw_deps;
    artifacts.dependencies.push(lock_member(spec.mode));

    let condarc = match &spec.configs.conda.condarc {
        Some(v) if !v.is_null() => {
            serde_yaml::to_value(v).unwrap_or(serde_yaml::Value::Mapping(Default::default()))
        }
        _ => serde_yaml::Value::Mapping(Default::default()),
    };
    let configs = Configs {
        conda: CondaConfigs {
            channels: spec.configs.conda.channels.clone(),
            condarc,
            extra: BTreeMap::new(),
        },
        docker: DockerConfigs {
            image: spec.configs.docker_image.clone().unwrap_or_default(),
            extra: BTreeMap::new(),
        },
        pip: PipConfigs {
            extra_index_url: spec.configs.pip.extra_index_url.clone(),
            index_url: spec.configs.pip.index_url.clone().unwrap_or_default(),
            trusted_host: spec.configs.pip.trusted_host.clone(),
            extra: BTreeMap::new(),
        },
        extra: BTreeMap::new(),
    };
    let custom = spec.custom_image.clone().unwrap_or_default();
    let builtin = BuiltinImage {
        fullname: spec.builtin_image.fullname.clone(),
        name: spec.builtin_image.name.clone(),
        repo: spec.builtin_image.repo.clone(),
        tag: spec.builtin_image.tag.clone(),
        extra: BTreeMap::new(),
    };
    let system = match std::env::consts::OS {
        "linux" => "Linux".to_owned(),
        "macos" => "Darwin".to_owned(),
        other => other.to_owned(),
    };
    let starwhale_version = spec
        .environment
        .starwhale_version
        .clone()
        .unwrap_or_default();
    Manifest {
        artifacts,
        base_image: spec.base_image.clone(),
        build: BuildInfo {
            os: system.clone(),
            sw_version: starwhale_version.clone(),
            extra: BTreeMap::new(),
        },
        configs,
        created_at: String::new(),
        dependencies: deps,
        docker: Some(DockerSection {
            builtin_run_image: builtin,
            custom_run_image: custom,
            extra: BTreeMap::new(),
        }),
        environment: Environment {
            arch: spec
                .environment
                .arch
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
            auto_lock_dependencies: true,
            lock: LockInfo {
                env_name: String::new(),
                env_prefix_path: String::new(),
                env_use_shell: false,
                files: vec![lock_rel],
                shell: ShellInfo {
                    python_env: mode.clone(),
                    python_version: inputs.python_full_version.clone().unwrap_or_default(),
                    use_conda: spec.mode == Mode::Conda,
                    use_venv: spec.mode == Mode::Venv,
                    extra: BTreeMap::new(),
                },
                starwhale_version,
                system,
                extra: BTreeMap::new(),
            },
            mode,
            python: spec.environment.python.to_string(),
            extra: BTreeMap::new(),
        },
        swrt: Some(SwrtSection {
            tool_version: crate::VERSION.to_owned(),
            fingerprint: spec.fingerprint.clone(),
            backend: inputs.backend.to_owned(),
            members: BTreeMap::new(),
            extra: inputs.swrt_extra.clone(),
        }),
        version: String::new(),
        extra: BTreeMap::new(),
    }
}

/// Copies the spec's members, the lock and the extra members into
/// `staging` (an empty directory), then writes `<out_dir>/<version>.swrt`.
pub fn stage_and_write(
    inputs: &BundleInputs<'_>,
    staging: &Path,
    out_dir: &Path,
) -> Result<WrittenBundle, BundleError> {
    for dir in ["dependencies", "wheels", "files"] {
        let d = staging.join(dir);
        fs::create_dir_all(&d).map_err(BundleError::io("create", &d))?;
    }
    let mut members = spec_members(inputs.spec);
    members.push((
        lock_member(inputs.spec.mode),
        MemberSource::Bytes(inputs.lock_text.as_bytes().to_vec()),
    ));
    members.extend(inputs.extra_members.iter().cloned());
    for (dest, source) in &members {
        stage_member(staging, dest, source)?;
    }
    write_bundle(staging, manifest_for(inputs), out_dir)
}

fn stage_member(staging: &Path, dest: &str, source: &MemberSource) -> Result<(), BundleError> {
    let stage_err = |src: &Path, reason: String| BundleError::Stage {
        member: dest.to_owned(),
        source_path: src.to_path_buf(),
        reason,
    };
    if dest.split('/').any(|p| p == ".." || p.is_empty()) || dest.starts_with('/') {
        return Err(stage_err(
            Path::new(dest),
            "the bundle path is not a plain relative path".to_owned(),
        ));
    }
    let target = staging.join(dest);
    if fs::symlink_metadata(&target).is_ok() {
        return Err(stage_err(
            &target,
            "two members would have the same path in the bundle".to_owned(),
        ));
    }
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(BundleError::io("create", parent))?;
    }
    match source {
        MemberSource::File(src) => {
            copy_file(src, &target).map_err(|e| stage_err(src, e.to_string()))
        }
        MemberSource::Dir(src) => {
            copy_tree(src, &target).map_err(|e| stage_err(src, e.to_string()))
        }
        MemberSource::Bytes(bytes) => {
            fs::write(&target, bytes).map_err(BundleError::io("write", &target))
        }
    }
}

fn copy_file(src: &Path, dest: &Path) -> std::io::Result<()> {
    fs::copy(src, dest)?;
    let mode = fs::metadata(src)?.permissions().mode();
    let mode = if mode & 0o111 != 0 { 0o755 } else { 0o644 };
    fs::set_permissions(dest, fs::Permissions::from_mode(mode))
}

fn copy_tree(src: &Path, dest: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dest)?;
    for entry in fs::read_dir(src)? {
        let entry = entry?;
        let from = entry.path();
        let to = dest.join(entry.file_name());
        let ft = entry.file_type()?;
        if ft.is_dir() {
            copy_tree(&from, &to)?;
        } else if ft.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&from)?, &to)?;
        } else if ft.is_file() {
            copy_file(&from, &to)?;
        }
    }
    Ok(())
}
