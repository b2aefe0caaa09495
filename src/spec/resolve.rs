//! From a checked `RuntimeSpec` to the `ResolvedSpec` every other module
//! consumes: defaults filled, the interpreter for `environment.python` found
//! (and proven to run), the base image chosen, `SW_PYPI_*` overrides merged
//! as swcli merges them, and the input fingerprint computed.
//!
//! This is the only part of `spec` that looks at the machine: PATH, a few
//! environment variables, and the interpreters it runs to ask their version.
//! It never prints.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use super::diagnostics::{Diagnostic, Severity};
use super::model::{
    BuiltinImage, Interpreter, Mode, PipConfig, PythonVersion, ResolvedEnvironment, ResolvedSpec,
    SpecFile, SpecSource,
};
use super::validate::RuntimeSpec;
use crate::env_vars;

/// Starwhale's image registry when `SW_IMAGE_REPO` is not set.
pub const DEFAULT_IMAGE_REPO: &str = "docker-registry.starwhale.cn/star-whale";
/// Starwhale's CPU base image name.
pub const DEFAULT_IMAGE_NAME: &str = "base";
/// The base image release swcli 0.6.15 pins (`SW_CUSTOM_BASE_IMAGE_VERSION`
/// overrides it).
pub const BASE_IMAGE_VERSION: &str = "0.3.4";

/// What `resolve` needs from the machine; the real one reads the process
/// environment, tests pass their own.
#[derive(Debug, Clone, Default)]
pub struct MachineEnv {
    pub pypi_index_url: Option<String>,
    pub pypi_extra_index_url: Option<String>,
    pub pypi_trusted_host: Option<String>,
    pub image_repo: Option<String>,
    pub base_image_version: Option<String>,
}

impl MachineEnv {
    pub fn from_process() -> MachineEnv {
        MachineEnv {
            pypi_index_url: env_vars::get(env_vars::SW_PYPI_INDEX_URL),
            pypi_extra_index_url: env_vars::get(env_vars::SW_PYPI_EXTRA_INDEX_URL),
            pypi_trusted_host: env_vars::get(env_vars::SW_PYPI_TRUSTED_HOST),
            image_repo: env_vars::get(env_vars::SW_IMAGE_REPO),
            base_image_version: env_vars::get(env_vars::SW_CUSTOM_BASE_IMAGE_VERSION),
        }
    }
}

/// swcli's `_do_pip_install_req`: `SW_PYPI_INDEX_URL` replaces the index
/// and demotes the configured one to an extra index; extra indexes and
/// trusted hosts from the environment come first, then the configured ones.
pub fn merge_pip_env(config: &PipConfig, env: &MachineEnv) -> PipConfig {
    let mut extra: Vec<String> = env
        .pypi_extra_index_url
        .as_deref()
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    extra.extend(config.extra_index_url.iter().cloned());
    let mut hosts: Vec<String> = env
        .pypi_trusted_host
        .as_deref()
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    hosts.extend(config.trusted_host.iter().cloned());
    let env_index = env
        .pypi_index_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let index_url = match env_index {
        Some(index) => {
            extra.extend(config.index_url.iter().cloned());
            Some(index.to_owned())
        }
        None => config.index_url.clone(),
    };
    dedup(&mut extra);
    dedup(&mut hosts);
    PipConfig {
        index_url,
        extra_index_url: extra,
        trusted_host: hosts,
    }
}

fn dedup(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|s| seen.insert(s.clone()));
}

/// Starwhale's builtin run image for a cuda/cudnn combination
/// (`_dump_docker_image`): `<repo>/base:<ver>` or
/// `<repo>/cuda:<cuda>[-cudnn<n>]-base<ver>`.
pub fn builtin_image(cuda: Option<&str>, cudnn: Option<&str>, env: &MachineEnv) -> BuiltinImage {
    let repo = env
        .image_repo
        .clone()
        .unwrap_or_else(|| DEFAULT_IMAGE_REPO.to_owned());
    let version = env
        .base_image_version
        .clone()
        .unwrap_or_else(|| BASE_IMAGE_VERSION.to_owned());
    let (name, tag) = match cuda {
        Some(cuda) => {
            let mut tag = cuda.to_owned();
            if let Some(cudnn) = cudnn {
                tag.push_str(&format!("-cudnn{cudnn}"));
            }
            tag.push_str(&format!("-base{version}"));
            ("cuda".to_owned(), tag)
        }
        None => (DEFAULT_IMAGE_NAME.to_owned(), version),
    };
    let fullname = format!("{repo}/{name}:{tag}");
    BuiltinImage {
        repo,
        name,
        tag,
        fullname,
    }
}

/// An interpreter candidate that was tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub found_by: String,
    pub path: PathBuf,
    /// The full version when it ran, else why it did not.
    pub outcome: Result<String, String>,
}

/// Runs `path` and asks its full version. pyenv shims exist for versions
/// that are not enabled and fail when run: running is the only proof.
pub fn probe_version(path: &Path) -> Result<String, String> {
    probe(path).map(|(version, _)| version)
}

/// Runs `path`, returning its full version and the executable behind it
/// (`sys.executable`: through a pyenv shim, the real interpreter).
pub fn probe(path: &Path) -> Result<(String, PathBuf), String> {
    let output = Command::new(path)
        .args([
            "-c",
            "import platform, sys; print(platform.python_version()); print(sys.executable)",
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        return Err(if stderr.is_empty() {
            format!("exited with {}", output.status)
        } else {
            stderr
        });
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut lines = stdout.lines().map(str::trim);
    let version = lines.next().unwrap_or("").to_owned();
    let exe = lines
        .next()
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| path.to_path_buf());
    if version.is_empty() {
        return Err("printed no version".to_owned());
    }
    Ok((version, exe))
}

fn matches_version(full: &str, version: PythonVersion) -> bool {
    let mut parts = full.split('.');
    parts.next() == Some(&version.major.to_string())
        && parts.next() == Some(&version.minor.to_string())
}

/// The `uv` executable: `SWRT_UV`, else `uv` on PATH.
pub fn uv_path() -> Option<PathBuf> {
    env_vars::get(env_vars::SWRT_UV)
        .map(PathBuf::from)
        .or_else(|| which::which("uv").ok())
}

/// Interpreters already proven in this process. Only successes are kept:
/// a missing version is looked for again next time (it may have been
/// installed since).
static FOUND: std::sync::Mutex<Vec<(PythonVersion, Interpreter)>> =
    std::sync::Mutex::new(Vec::new());

/// Finds an interpreter for `version`: `python3.X` on PATH (each one run
/// to prove it works), then `uv python find X.Y`. On failure, every
/// candidate tried is returned.
pub fn find_interpreter(version: PythonVersion) -> Result<Interpreter, Vec<Probe>> {
    if let Ok(found) = FOUND.lock() {
        if let Some((_, interpreter)) = found.iter().find(|(v, _)| *v == version) {
            if interpreter.path.exists() {
                return Ok(interpreter.clone());
            }
        }
    }
    let result = search_interpreter(version);
    if let (Ok(interpreter), Ok(mut found)) = (&result, FOUND.lock()) {
        found.retain(|(v, _)| *v != version);
        found.push((version, interpreter.clone()));
    }
    result
}

fn search_interpreter(version: PythonVersion) -> Result<Interpreter, Vec<Probe>> {
    let mut probes = Vec::new();
    let exe = format!("python{version}");
    if let Ok(paths) = which::which_all(&exe) {
        for path in paths {
            let outcome = probe(&path);
            if let Ok((full, real)) = &outcome {
                if matches_version(full, version) {
                    return Ok(Interpreter {
                        found_by: exe.clone(),
                        path: real.clone(),
                        version: full.clone(),
                    });
                }
            }
            let outcome = outcome.map(|(v, _)| v);
            probes.push(Probe {
                found_by: exe.clone(),
                path,
                outcome,
            });
        }
    }
    if let Some(uv) = uv_path() {
        let found_by = format!("uv python find {version}");
        let output = Command::new(&uv)
            .args([
                "python",
                "find",
                "--no-python-downloads",
                &version.to_string(),
            ])
            .stdin(Stdio::null())
            .output();
        if let Ok(output) = output {
            let stdout = String::from_utf8_lossy(&output.stdout);
            let found = stdout.lines().next().map(str::trim).unwrap_or("");
            if output.status.success() && !found.is_empty() {
                let path = PathBuf::from(found);
                let outcome = probe(&path);
                if let Ok((full, real)) = &outcome {
                    if matches_version(full, version) {
                        return Ok(Interpreter {
                            found_by,
                            path: real.clone(),
                            version: full.clone(),
                        });
                    }
                }
                let outcome = outcome.map(|(v, _)| v);
                probes.push(Probe {
                    found_by,
                    path,
                    outcome,
                });
            }
        }
    }
    Err(probes)
}

/// Every working `python3` / `python3.N` on PATH, for "what was found"
/// messages: (full version, real executable), one per executable. The
/// candidates run in parallel: pyenv shims take a while to fail.
pub fn available_interpreters() -> Vec<(String, PathBuf)> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let names =
        std::iter::once("python3".to_owned()).chain((6..=14).map(|m| format!("python3.{m}")));
    for name in names {
        for path in which::which_all(&name).into_iter().flatten() {
            let key = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if seen.insert(key) {
                candidates.push(path);
            }
        }
    }
    let results: Vec<Result<(String, PathBuf), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = candidates
            .iter()
            .map(|path| scope.spawn(move || probe(path)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("probe failed".to_owned())))
            .collect()
    });
    let mut out: Vec<(String, PathBuf)> = Vec::new();
    let mut real_seen = std::collections::HashSet::new();
    for (version, exe) in results.into_iter().flatten() {
        let real = fs::canonicalize(&exe).unwrap_or_else(|_| exe.clone());
        if real_seen.insert(real) {
            out.push((version, exe));
        }
    }
    out
}

/// Versions pyenv reports as installed but not enabled, from a failing
/// shim's message ("The `python3.10' command exists in these Python
/// versions: 3.10.13").
fn pyenv_versions(stderr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut listing = false;
    for line in stderr.lines() {
        let line = line.trim();
        if line.contains("exists in these Python versions") {
            listing = true;
            continue;
        }
        if listing {
            if line.is_empty() || line.starts_with("Note:") {
                break;
            }
            out.push(line.to_owned());
        }
    }
    out
}

/// The message and hint for an interpreter that could not be found.
fn missing_interpreter_message(python: PythonVersion, probes: &[Probe]) -> (String, String) {
    let exe = format!("python{python}");
    let mut tried = Vec::new();
    let mut pyenv = Vec::new();
    let path_probes: Vec<&Probe> = probes.iter().filter(|p| p.found_by == exe).collect();
    if path_probes.is_empty() {
        tried.push(format!("no {exe} on PATH"));
    }
    for probe in &path_probes {
        match &probe.outcome {
            Ok(v) => tried.push(format!("{} is Python {v}", probe.path.display())),
            Err(why) => {
                pyenv.extend(pyenv_versions(why));
                let first = why.lines().next().unwrap_or(why);
                tried.push(format!("{} does not run ({first})", probe.path.display()));
            }
        }
    }
    match probes.iter().find(|p| p.found_by.starts_with("uv ")) {
        Some(p) => match &p.outcome {
            Ok(v) => tried.push(format!("`uv python find {python}` gave Python {v}")),
            Err(why) => tried.push(format!(
                "`uv python find {python}` gave {} which does not run ({})",
                p.path.display(),
                why.lines().next().unwrap_or(why)
            )),
        },
        None if uv_path().is_none() => tried.push("uv is not installed".to_owned()),
        None => tried.push(format!("`uv python find {python}` found nothing")),
    }
    let working: Vec<String> = available_interpreters()
        .into_iter()
        .map(|(v, p)| format!("{v} ({})", p.display()))
        .collect();
    let working = if working.is_empty() {
        "none".to_owned()
    } else {
        working.join(", ")
    };
    let message = format!(
        "no working Python {python} interpreter: {}; working interpreters here: {working}",
        tried.join(", ")
    );
    let mut hint = format!("install it with `uv python install {python}`, or put {exe} on PATH");
    if !pyenv.is_empty() {
        hint.push_str(&format!(
            "\npyenv has {} installed but not enabled: add it to `pyenv global` (or `pyenv local`) to put {exe} on PATH",
            pyenv.join(", ")
        ));
    }
    (message, hint)
}

/// The python version when the spec names none: swcli uses the Python it
/// runs on; swrt uses `python3` on PATH.
pub fn default_python() -> Option<(PythonVersion, PathBuf)> {
    static DEFAULT: std::sync::Mutex<Option<(PythonVersion, PathBuf)>> =
        std::sync::Mutex::new(None);
    if let Ok(cached) = DEFAULT.lock() {
        if let Some((version, path)) = cached.as_ref() {
            if path.exists() {
                return Some((*version, path.clone()));
            }
        }
    }
    let found = search_default_python();
    if let (Some(found), Ok(mut cached)) = (&found, DEFAULT.lock()) {
        *cached = Some(found.clone());
    }
    found
}

fn search_default_python() -> Option<(PythonVersion, PathBuf)> {
    let paths = which::which_all("python3").ok()?;
    for path in paths {
        if let Ok(full) = probe_version(&path) {
            let mut parts = full.split('.');
            let major = parts.next()?.parse().ok()?;
            let minor = parts.next()?.parse().ok()?;
            return Some((PythonVersion { major, minor }, path));
        }
    }
    None
}

/// How much machine work `resolve` may do.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResolveFlags {
    pub require_interpreter: bool,
    pub skip_interpreter: bool,
}

/// Resolves a checked spec. Problems (a missing interpreter) are added to
/// `diagnostics`; `None` when the spec cannot be resolved at all.
pub fn resolve(
    spec: RuntimeSpec,
    source: SpecSource,
    flags: ResolveFlags,
    env: &MachineEnv,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<ResolvedSpec> {
    let file = source.path.clone();
    let diag = |severity,
                pos: Option<super::parse::Pos>,
                key: &str,
                message: String,
                hint: Option<String>| Diagnostic {
        severity,
        file: file.clone(),
        line: pos.map_or(0, |p| p.line),
        column: pos.map_or(0, |p| p.column),
        key_path: key.to_owned(),
        message,
        hint,
    };

    let mut interpreter = None;
    let python = match &spec.environment.python {
        Some(p) => p.value,
        None => match default_python() {
            Some((version, path)) => {
                diagnostics.push(diag(
                    Severity::Warning,
                    None,
                    "environment.python",
                    format!("environment.python is not set: using Python {version} ({})", path.display()),
                    Some(format!("add `python: \"{version}\"` under `environment:` so the runtime is the same on every machine")),
                ));
                version
            }
            None => {
                diagnostics.push(diag(
                    Severity::Error,
                    None,
                    "environment.python",
                    "environment.python is not set and no working python3 is on PATH".to_owned(),
                    Some(
                        "add `python: \"3.11\"` (or the version you need) under `environment:`"
                            .to_owned(),
                    ),
                ));
                return None;
            }
        },
    };
    let python_pos = spec.environment.python.as_ref().map(|p| p.pos);

    // A conda prefix brings its own Python: the host's is not looked for.
    if !flags.skip_interpreter && spec.mode == Mode::Venv {
        match find_interpreter(python) {
            Ok(found) => interpreter = Some(found),
            Err(probes) => {
                let (message, hint) = missing_interpreter_message(python, &probes);
                let severity = if flags.require_interpreter {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                diagnostics.push(diag(
                    severity,
                    python_pos,
                    "environment.python",
                    message,
                    Some(hint),
                ));
                if flags.require_interpreter {
                    return None;
                }
            }
        }
    }

    let builtin = builtin_image(
        spec.environment.cuda.as_deref(),
        spec.environment.cudnn.as_deref(),
        env,
    );
    let custom = spec
        .environment
        .docker_image
        .clone()
        .or_else(|| spec.configs.docker_image.clone());
    let base_image = custom.clone().unwrap_or_else(|| builtin.fullname.clone());

    let mut configs = spec.configs.clone();
    configs.pip = merge_pip_env(&spec.configs.pip, env);

    let mut resolved = ResolvedSpec {
        name: spec.name.value,
        mode: spec.mode,
        api_version: spec.api_version,
        source,
        environment: ResolvedEnvironment {
            os: spec.environment.os,
            python,
            cuda: spec.environment.cuda,
            cudnn: spec.environment.cudnn,
            arch: spec.environment.arch,
            docker_image: spec.environment.docker_image,
            starwhale_version: spec.environment.starwhale_version,
        },
        interpreter,
        base_image,
        configs,
        dependencies: spec.dependencies.into_iter().map(|d| d.value).collect(),
        fingerprint: String::new(),
        builtin_image: builtin,
        custom_image: custom,
    };
    match fingerprint(&resolved) {
        Ok(fp) => resolved.fingerprint = fp,
        Err(e) => {
            diagnostics.push(diag(
                Severity::Error,
                None,
                "",
                format!("could not read a file the spec names: {e}"),
                None,
            ));
            return None;
        }
    }
    Some(resolved)
}

/// sha256 over the canonical resolved spec (without machine-specific
/// paths, the interpreter, or the fingerprint itself) and the bytes of every
/// file it references. The same project checked out elsewhere gets the same
/// fingerprint.
pub fn fingerprint(spec: &ResolvedSpec) -> io::Result<String> {
    let mut canonical = spec.clone();
    canonical.fingerprint = String::new();
    canonical.interpreter = None;
    canonical.source.path = PathBuf::new();
    canonical.source.dir = PathBuf::new();
    for dep in &mut canonical.dependencies {
        for file in dep_files_mut(dep) {
            file.path = PathBuf::new();
        }
    }
    let json = serde_json::to_vec(&canonical).map_err(io::Error::other)?;
    let mut hasher = Sha256::new();
    hasher.update(b"swrt-spec-fingerprint-v1\0");
    hasher.update((json.len() as u64).to_le_bytes());
    hasher.update(&json);
    for file in spec.referenced_files() {
        hash_path(&mut hasher, &file.rel, &file.path)?;
    }
    Ok(hex(&hasher.finalize()))
}

fn dep_files_mut(dep: &mut super::model::Dependency) -> Vec<&mut SpecFile> {
    use super::model::Dependency;
    match dep {
        Dependency::PipReqFile { file } | Dependency::CondaEnvFile { file } => vec![file],
        Dependency::Wheel { wheels } => wheels.iter_mut().collect(),
        Dependency::NativeFile { files } => files.iter_mut().map(|f| &mut f.src).collect(),
        Dependency::PipPkg { .. } | Dependency::CondaPkg { .. } | Dependency::Command { .. } => {
            Vec::new()
        }
    }
}

/// Hashes one file or directory tree: relative path, kind, executable bit
/// and bytes, directories walked in sorted order. Only the executable bit
/// counts (as in git), so a checkout under another umask hashes the same.
fn hash_path(hasher: &mut Sha256, rel: &str, path: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    let mode = file_mode(&meta);
    hasher.update(rel.as_bytes());
    hasher.update(b"\0");
    if meta.file_type().is_symlink() {
        let target = fs::read_link(path)?;
        hasher.update(b"L");
        hasher.update(mode.to_le_bytes());
        hasher.update(target.to_string_lossy().as_bytes());
        hasher.update(b"\0");
        // A link to a file or directory counts with what it points to.
        let resolved = fs::metadata(path)?;
        if resolved.is_dir() {
            return hash_dir(hasher, rel, path);
        }
        return hash_file(hasher, path);
    }
    if meta.is_dir() {
        hasher.update(b"D");
        hasher.update(mode.to_le_bytes());
        return hash_dir(hasher, rel, path);
    }
    hasher.update(b"F");
    hasher.update(mode.to_le_bytes());
    hash_file(hasher, path)
}

fn hash_dir(hasher: &mut Sha256, rel: &str, path: &Path) -> io::Result<()> {
    let mut names: Vec<std::ffi::OsString> = fs::read_dir(path)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<_>>()?;
    names.sort();
    for name in names {
        let child_rel = format!("{rel}/{}", name.to_string_lossy());
        let child = path.join(&name);
        // Links inside a directory are recorded, not followed: a link cycle
        // must not hang the loader.
        let meta = fs::symlink_metadata(&child)?;
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&child)?;
            hasher.update(child_rel.as_bytes());
            hasher.update(b"\0L");
            hasher.update(target.to_string_lossy().as_bytes());
            hasher.update(b"\0");
        } else {
            hash_path(hasher, &child_rel, &child)?;
        }
    }
    hasher.update(b"\0end-dir\0");
    Ok(())
}

fn hash_file(hasher: &mut Sha256, path: &Path) -> io::Result<()> {
    let mut file = fs::File::open(path)?;
    let len = file.metadata()?.len();
    hasher.update(len.to_le_bytes());
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(())
}

#[cfg(unix)]
fn file_mode(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn file_mode(meta: &fs::Metadata) -> u32 {
    if meta.permissions().readonly() {
        0o444
    } else {
        0o644
    }
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

/// sha256 (hex) of a byte string.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pip(index: Option<&str>, extra: &[&str], hosts: &[&str]) -> PipConfig {
        PipConfig {
            index_url: index.map(str::to_owned),
            extra_index_url: extra.iter().map(|s| s.to_string()).collect(),
            trusted_host: hosts.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn pip_env_overrides_follow_swcli() {
        let config = pip(Some("https://cfg/simple"), &["https://x"], &["cfg"]);
        let none = MachineEnv::default();
        assert_eq!(merge_pip_env(&config, &none), config);

        let env = MachineEnv {
            pypi_index_url: Some("https://env/simple".into()),
            pypi_extra_index_url: Some("https://e1 https://e2".into()),
            pypi_trusted_host: Some("env".into()),
            ..MachineEnv::default()
        };
        let merged = merge_pip_env(&config, &env);
        assert_eq!(merged.index_url.as_deref(), Some("https://env/simple"));
        assert_eq!(
            merged.extra_index_url,
            vec![
                "https://e1",
                "https://e2",
                "https://x",
                "https://cfg/simple"
            ]
        );
        assert_eq!(merged.trusted_host, vec!["env", "cfg"]);
    }

    #[test]
    fn builtin_images_follow_swcli_naming() {
        let env = MachineEnv::default();
        assert_eq!(
            builtin_image(None, None, &env).fullname,
            "docker-registry.starwhale.cn/star-whale/base:0.3.4"
        );
        assert_eq!(
            builtin_image(Some("11.5"), Some("8"), &env).fullname,
            "docker-registry.starwhale.cn/star-whale/cuda:11.5-cudnn8-base0.3.4"
        );
        let env = MachineEnv {
            image_repo: Some("ghcr.io/me".into()),
            base_image_version: Some("0.4.0".into()),
            ..MachineEnv::default()
        };
        assert_eq!(
            builtin_image(Some("11.7"), None, &env).fullname,
            "ghcr.io/me/cuda:11.7-base0.4.0"
        );
    }

    #[test]
    fn a_failing_executable_is_not_an_interpreter() {
        let dir = tempfile::tempdir().unwrap();
        let shim = dir.path().join("python3.99");
        fs::write(
            &shim,
            "#!/bin/sh\necho 'pyenv: python3.99: command not found' >&2\nexit 127\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&shim, fs::Permissions::from_mode(0o755)).unwrap();
        }
        let err = probe_version(&shim).unwrap_err();
        assert!(err.contains("command not found"), "{err}");
    }

    #[test]
    fn pyenv_shim_messages_name_the_installed_versions() {
        let stderr = "pyenv: python3.10: command not found\n\nThe `python3.10' command exists in these Python versions:\n  3.10.13\n  3.10.4\n\nNote: See 'pyenv help global' for tips";
        assert_eq!(pyenv_versions(stderr), vec!["3.10.13", "3.10.4"]);
        assert!(pyenv_versions("exited with 1").is_empty());
    }

    #[test]
    fn the_python_on_path_is_found_and_verified() {
        let Some((version, _)) = default_python() else {
            panic!("this machine has a python3 on PATH");
        };
        let found = find_interpreter(version).unwrap();
        assert!(
            found.version.starts_with(&format!("{version}.")),
            "{found:?}"
        );
        assert!(found.path.is_absolute());
    }
}
