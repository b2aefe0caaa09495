//! Checks the node tree of a runtime.yaml against what `swcli` 0.6.15 accepts
//! and turns it into a `RuntimeSpec`: what the user wrote, typed, with the
//! place each value came from. Every problem in the file is collected (never
//! just the first), each with its line, column, key path and a hint. Files
//! the spec names are checked to exist here, before anything is built.
//!
//! Machine state (interpreters, environment variables) is not consulted
//! here: that is `resolve`'s job.

use std::path::{Component, Path, PathBuf};

use super::diagnostics::{Diagnostic, Severity};
use super::model::{
    Arch, CondaConfig, Dependency, Mode, NativeFile, PipConfig, PythonVersion, ResolvedConfigs,
    SpecFile,
};
use super::parse::{Entry, Node, NodeKind, Pos, PyValue, Style, key_text};

/// The api_version swcli 0.6.15 understands.
pub const API_VERSION: &str = "1.1";
/// Python versions swcli 0.6.15 accepts.
pub const SWCLI_PYTHONS: &[&str] = &["3.7", "3.8", "3.9", "3.10", "3.11"];
/// Newer Pythons swrt builds although swcli 0.6.15 refuses them.
pub const NEWER_PYTHONS: &[&str] = &["3.12", "3.13", "3.14"];
/// CUDA versions swcli 0.6.15 accepts.
pub const SWCLI_CUDAS: &[&str] = &["11.3", "11.4", "11.5", "11.6", "11.7"];
/// CUDA versions cuDNN 8 is available for.
pub const CUDNN8_CUDAS: &[&str] = &["11.3", "11.4", "11.5", "11.6"];
/// The only OS swcli supports.
pub const SUPPORTED_OS: &str = "ubuntu:20.04";
/// conda's channel when none is configured, as in swcli.
pub const DEFAULT_CONDA_CHANNEL: &str = "conda-forge";

const TOP_KEYS: &[&str] = &[
    "name",
    "mode",
    "api_version",
    "environment",
    "configs",
    "dependencies",
    "hooks",
    "python_version",
    "pip_req",
];
const ENV_KEYS: &[&str] = &[
    "os",
    "python",
    "cuda",
    "cudnn",
    "arch",
    "docker",
    "starwhale_version",
];
const CONFIG_KEYS: &[&str] = &["pip", "conda", "docker"];
const PIP_KEYS: &[&str] = &["index_url", "extra_index_url", "trusted_host"];
const CONDA_KEYS: &[&str] = &["channels", "condarc"];
const DOCKER_KEYS: &[&str] = &["image"];
const DEP_KEYS: &[&str] = &["pip", "conda", "wheels", "files", "commands"];
const FILE_KEYS: &[&str] = &["src", "dest", "name"];
const HOOK_KEYS: &[&str] = &["pre", "post"];

/// A value and the place it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub pos: Pos,
}

/// What the user wrote, checked and typed.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeSpec {
    /// Stripped and lowercased, as swcli stores it.
    pub name: Spanned<String>,
    pub mode: Mode,
    pub api_version: String,
    pub environment: EnvironmentSpec,
    /// As written; `SW_PYPI_*` overrides are applied by `resolve`.
    pub configs: ResolvedConfigs,
    pub dependencies: Vec<Spanned<Dependency>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentSpec {
    pub os: String,
    /// `environment.python`, else the legacy `python_version`; absent when
    /// neither is set (swcli then uses the Python it runs on).
    pub python: Option<Spanned<PythonVersion>>,
    pub cuda: Option<String>,
    pub cudnn: Option<String>,
    pub arch: Vec<Arch>,
    pub docker_image: Option<String>,
    pub starwhale_version: Option<String>,
}

/// Checks `root` (the parsed runtime.yaml at `file`, whose relative paths
/// resolve against `dir`). Returns the spec when nothing fatal was found
/// (errors may still be among the diagnostics: the caller decides).
pub fn validate(root: &Node, file: &Path, dir: &Path) -> (Option<RuntimeSpec>, Vec<Diagnostic>) {
    let mut checker = Checker {
        file,
        dir,
        diagnostics: Vec::new(),
    };
    let spec = checker.runtime(root);
    (spec, checker.diagnostics)
}

struct Checker<'a> {
    file: &'a Path,
    dir: &'a Path,
    diagnostics: Vec<Diagnostic>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// The known key closest to `key`, when it is close enough to be a typo.
pub fn suggest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let lower = key.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (*k, strsim::jaro_winkler(&lower, k)))
        .filter(|(_, score)| *score >= 0.8)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| k)
}

fn get<'n>(entries: &'n [Entry], key: &str) -> Option<&'n Entry> {
    entries.iter().find(|e| key_text(&e.key) == key)
}

/// A value that swcli would treat as "not given" (`x or default`).
fn is_empty_value(node: &Node) -> bool {
    match &node.kind {
        NodeKind::Scalar(s) => {
            matches!(&s.value, PyValue::Null) || matches!(&s.value, PyValue::Str(t) if t.is_empty())
        }
        NodeKind::Sequence(items) => items.is_empty(),
        NodeKind::Mapping(entries) => entries.is_empty(),
    }
}

fn quote_hint(node: &Node) -> Option<String> {
    match node.as_scalar() {
        Some(s) if s.value == PyValue::Null => Some("write a value after the colon".to_owned()),
        Some(s) if s.style == Style::Plain => {
            Some(format!("quote it to make it a string: \"{}\"", s.text))
        }
        _ => None,
    }
}

impl Checker<'_> {
    fn push(
        &mut self,
        severity: Severity,
        pos: Pos,
        key_path: &str,
        message: String,
        hint: Option<String>,
    ) {
        self.diagnostics.push(Diagnostic {
            severity,
            file: self.file.to_path_buf(),
            line: pos.line,
            column: pos.column,
            key_path: key_path.to_owned(),
            message,
            hint,
        });
    }

    fn error(
        &mut self,
        pos: Pos,
        key_path: &str,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.push(Severity::Error, pos, key_path, message.into(), hint);
    }

    fn warn(&mut self, pos: Pos, key_path: &str, message: impl Into<String>, hint: Option<String>) {
        self.push(Severity::Warning, pos, key_path, message.into(), hint);
    }

    /// Unknown keys: warnings with a suggestion (swcli ignores them too).
    fn unknown_keys(&mut self, entries: &[Entry], known: &[&str], path: &str, what: &str) {
        for entry in entries {
            let key = key_text(&entry.key);
            if known.contains(&key.as_str()) {
                continue;
            }
            let key_path = join(path, &key);
            let hint = match suggest(&key, known) {
                Some(k) => Some(format!("did you mean `{k}`?")),
                None => Some(format!("{what} knows: {}", known.join(", "))),
            };
            self.warn(
                entry.key.pos,
                &key_path,
                format!("unknown key `{key}` is ignored"),
                hint,
            );
        }
    }

    /// A mapping, or nothing for a null/absent value (swcli's `x or {}`).
    fn mapping<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [Entry]> {
        match &node.kind {
            NodeKind::Mapping(entries) => Some(entries),
            _ if node.is_null() => Some(&[]),
            _ => {
                self.error(
                    node.pos,
                    path,
                    format!(
                        "expected a mapping of keys to values, found {}",
                        node.type_name()
                    ),
                    Some(format!(
                        "write it as `{}:` followed by indented `key: value` lines",
                        path.rsplit('.').next().unwrap_or(path)
                    )),
                );
                None
            }
        }
    }

    fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        if let Some(s) = node.as_str() {
            return Some(s.to_owned());
        }
        let found = match node.as_scalar() {
            Some(s) if s.value != PyValue::Null => format!("{} `{}`", node.type_name(), s.text),
            _ => node.type_name().to_owned(),
        };
        let hint = match &node.kind {
            NodeKind::Scalar(_) => quote_hint(node),
            NodeKind::Sequence(_) => Some("a single value is expected here, not a list".to_owned()),
            NodeKind::Mapping(_) => Some(
                "a single value is expected here, not a mapping of `key: value` pairs".to_owned(),
            ),
        };
        self.error(
            node.pos,
            path,
            format!("expected a string, found {found}"),
            hint,
        );
        None
    }

    /// A string or a list of strings (swcli's `_list`).
    fn string_list(&mut self, node: &Node, path: &str, split_spaces: bool) -> Vec<String> {
        let mut out = Vec::new();
        match &node.kind {
            NodeKind::Sequence(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(s) = self.string(item, &index(path, i)) {
                        out.push(s);
                    }
                }
            }
            _ if is_empty_value(node) => {}
            _ => {
                if let Some(s) = self.string(node, path) {
                    out.push(s);
                }
            }
        }
        if split_spaces {
            out.iter()
                .flat_map(|s| s.split_whitespace().map(str::to_owned))
                .collect()
        } else {
            out
        }
    }

    fn runtime(&mut self, root: &Node) -> Option<RuntimeSpec> {
        let NodeKind::Mapping(top) = &root.kind else {
            self.error(
                root.pos,
                "",
                format!("runtime.yaml must be a mapping of keys (name, mode, environment, ...), found {}", root.type_name()),
                Some("start the file with `name: <runtime name>`".to_owned()),
            );
            return None;
        };
        self.unknown_keys(top, TOP_KEYS, "", "runtime.yaml");

        let name = self.name(top, root.pos);
        let mode = self.mode(top);
        let api_version = self.api_version(top);
        let environment = self.environment(top);
        let configs = self.configs(top);
        self.hooks(top);
        let dependencies = self.dependencies(top, mode);

        Some(RuntimeSpec {
            name: name?,
            mode,
            api_version,
            environment,
            configs,
            dependencies,
        })
    }

    fn name(&mut self, top: &[Entry], root_pos: Pos) -> Option<Spanned<String>> {
        let Some(entry) = get(top, "name") else {
            self.error(
                root_pos,
                "name",
                "missing required key `name`",
                Some("add a line `name: my-runtime` (letters, digits, `_`, `-`, `.`)".to_owned()),
            );
            return None;
        };
        let raw = self.string(&entry.value, "name")?;
        let name = raw.trim().to_lowercase();
        let pos = entry.value.pos;
        if name.is_empty() || name.chars().count() > 80 {
            self.error(
                pos,
                "name",
                format!(
                    "a name must be 1 to 80 characters long, `{name}` has {}",
                    name.chars().count()
                ),
                Some("choose a shorter name".to_owned()),
            );
            return None;
        }
        if !valid_name(&name) {
            self.error(
                pos,
                "name",
                format!("`{name}` is not a valid name: it must start with a letter or `_` and contain only letters, digits, `_`, `-` and `.`"),
                Some(format!("try `{}`", sanitize_name(&name))),
            );
            return None;
        }
        if name != raw {
            self.warn(
                pos,
                "name",
                format!("the runtime is stored as `{name}` (names are stripped and lowercased, as swcli does)"),
                Some(format!("write `name: {name}` to avoid surprises")),
            );
        }
        Some(Spanned { value: name, pos })
    }

    fn mode(&mut self, top: &[Entry]) -> Mode {
        let Some(entry) = get(top, "mode") else {
            return Mode::Venv;
        };
        match entry.value.as_str() {
            Some("venv") => Mode::Venv,
            Some("conda") => Mode::Conda,
            _ => {
                let found = match entry.value.as_scalar() {
                    Some(s) if s.value != PyValue::Null => s.text.clone(),
                    _ => entry.value.type_name().to_owned(),
                };
                let hint = match found.to_ascii_lowercase().as_str() {
                    "venv" | "virtualenv" | "python" => "write `mode: venv`".to_owned(),
                    "conda" | "mamba" | "micromamba" => "write `mode: conda`".to_owned(),
                    _ => "use `venv` (the default) or `conda`".to_owned(),
                };
                self.error(
                    entry.value.pos,
                    "mode",
                    format!("unknown mode `{found}`: expected `venv` or `conda`"),
                    Some(hint),
                );
                Mode::Venv
            }
        }
    }

    fn api_version(&mut self, top: &[Entry]) -> String {
        let Some(entry) = get(top, "api_version") else {
            return API_VERSION.to_owned();
        };
        let value = match entry.value.as_scalar() {
            Some(s) => s.value.py_str(),
            None => entry.value.type_name().to_owned(),
        };
        if value != API_VERSION {
            self.error(
                entry.value.pos,
                "api_version",
                format!(
                    "unsupported api_version `{value}`: swcli 0.6.15 and swrt understand \"1.1\""
                ),
                Some("write `api_version: \"1.1\"` or remove the line".to_owned()),
            );
        }
        API_VERSION.to_owned()
    }

    fn python_version(&mut self, node: &Node, path: &str) -> Option<Spanned<PythonVersion>> {
        let Some(scalar) = node.as_scalar() else {
            self.error(
                node.pos,
                path,
                format!(
                    "expected a Python version such as \"3.11\", found {}",
                    node.type_name()
                ),
                Some("write it like `python: \"3.11\"`".to_owned()),
            );
            return None;
        };
        let as_python = scalar.value.py_str();
        let truncated: Vec<&str> = as_python.trim().split('.').take(2).collect();
        let truncated = truncated.join(".");
        if let PyValue::Float(_) = scalar.value {
            let written = scalar.text.replace('_', "");
            if written != as_python && written.trim_end_matches('0') != written.as_str() {
                self.error(
                    node.pos,
                    path,
                    format!("`{}` is read by YAML as the number {as_python}, which means Python {as_python}", scalar.text),
                    Some(format!("quote the version: `python: \"{}\"`", scalar.text)),
                );
                return None;
            }
        }
        let parsed: Result<PythonVersion, _> = truncated.parse();
        let Ok(version) = parsed else {
            self.error(
                node.pos,
                path,
                format!("`{}` is not a Python version of the form X.Y", scalar.text),
                Some("write it like `python: \"3.11\"`".to_owned()),
            );
            return None;
        };
        let text = version.to_string();
        if SWCLI_PYTHONS.contains(&text.as_str()) {
            Some(Spanned {
                value: version,
                pos: node.pos,
            })
        } else if NEWER_PYTHONS.contains(&text.as_str()) {
            self.warn(
                node.pos,
                path,
                format!("Python {text} is newer than swcli 0.6.15 supports (3.7 to 3.11): swrt builds it, swcli would refuse this runtime.yaml"),
                Some("keep it if only swrt reads this file; use 3.11 or older to stay compatible with swcli".to_owned()),
            );
            Some(Spanned {
                value: version,
                pos: node.pos,
            })
        } else {
            let hint = if matches!(scalar.value, PyValue::Float(_)) && text == "3.1" {
                "did you mean \"3.10\"? Quote it: `python: \"3.10\"`".to_owned()
            } else {
                "use one of 3.7, 3.8, 3.9, 3.10, 3.11 (or 3.12 to 3.14, which only swrt builds)"
                    .to_owned()
            };
            self.error(
                node.pos,
                path,
                format!("unsupported Python version {text}"),
                Some(hint),
            );
            None
        }
    }

    fn environment(&mut self, top: &[Entry]) -> EnvironmentSpec {
        let mut env = EnvironmentSpec {
            os: SUPPORTED_OS.to_owned(),
            python: None,
            cuda: None,
            cudnn: None,
            arch: vec![Arch::Noarch],
            docker_image: None,
            starwhale_version: None,
        };
        let legacy = get(top, "python_version").filter(|e| !is_empty_value(&e.value));
        let section = match get(top, "environment") {
            Some(e) => self.mapping(&e.value, "environment").unwrap_or(&[]),
            None => &[],
        };
        self.unknown_keys(section, ENV_KEYS, "environment", "environment");

        if let Some(e) = get(section, "os") {
            if let Some(os) = self.string(&e.value, "environment.os") {
                let os = os.to_lowercase();
                if os == SUPPORTED_OS {
                    env.os = os;
                } else {
                    self.error(
                        e.value.pos,
                        "environment.os",
                        format!("unsupported os `{os}`: swcli and swrt support only ubuntu:20.04"),
                        Some("write `os: ubuntu:20.04` or remove the line".to_owned()),
                    );
                }
            }
        }

        match (
            get(section, "python").filter(|e| !is_empty_value(&e.value)),
            legacy,
        ) {
            (Some(e), legacy) => {
                env.python = self.python_version(&e.value, "environment.python");
                if let Some(l) = legacy {
                    self.warn(
                        l.key.pos,
                        "python_version",
                        "legacy `python_version` is ignored because `environment.python` is set",
                        Some("remove `python_version`".to_owned()),
                    );
                }
            }
            (None, Some(l)) => env.python = self.python_version(&l.value, "python_version"),
            (None, None) => {}
        }

        let mut cuda_pos = None;
        if let Some(e) = get(section, "cuda") {
            cuda_pos = Some(e.value.pos);
            env.cuda = self.cuda(&e.value);
        }
        if let Some(e) = get(section, "cudnn") {
            env.cudnn = self.cudnn(&e.value, env.cuda.as_deref(), cuda_pos);
        }
        if let Some(e) = get(section, "arch") {
            env.arch = self.arch(&e.value);
        }
        if let Some(e) = get(section, "docker") {
            if e.value.is_null() {
                // swcli builds `DockerEnv(**docker)` and fails on null.
                self.error(
                    e.value.pos,
                    "environment.docker",
                    "expected a mapping with `image:`, found nothing (null)",
                    Some(
                        "remove the empty `docker:` line, or add `image: <name>` under it"
                            .to_owned(),
                    ),
                );
            } else {
                env.docker_image = self.docker(&e.value, "environment.docker");
            }
        }
        if let Some(e) = get(section, "starwhale_version") {
            env.starwhale_version = e
                .value
                .as_scalar()
                .filter(|s| s.value != PyValue::Null)
                .map(|s| s.value.py_str().trim().to_owned())
                .filter(|s| !s.is_empty());
        }
        env
    }

    fn cuda(&mut self, node: &Node) -> Option<String> {
        let path = "environment.cuda";
        let value = match node.as_scalar() {
            Some(s) if s.value != PyValue::Null => s.value.py_str().trim().to_owned(),
            _ => {
                self.error(
                    node.pos,
                    path,
                    format!(
                        "expected a CUDA version such as \"11.7\", found {}",
                        node.type_name()
                    ),
                    Some("remove the line for a CPU-only runtime".to_owned()),
                );
                return None;
            }
        };
        if value.is_empty() {
            return None;
        }
        if SWCLI_CUDAS.contains(&value.as_str()) {
            return Some(value);
        }
        let newer = value == "11.8"
            || value == "12"
            || value
                .strip_prefix("12.")
                .is_some_and(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()));
        if newer {
            self.warn(
                node.pos,
                path,
                format!("CUDA {value} is newer than swcli 0.6.15 supports (11.3 to 11.7): swrt accepts it, swcli would refuse this runtime.yaml"),
                Some("keep it if only swrt reads this file; use 11.3 to 11.7 to stay compatible with swcli".to_owned()),
            );
            return Some(value);
        }
        self.error(
            node.pos,
            path,
            format!("unsupported CUDA version {value}"),
            Some(
                "use one of 11.3, 11.4, 11.5, 11.6, 11.7 (or 11.8 / 12.x, which only swrt accepts)"
                    .to_owned(),
            ),
        );
        None
    }

    fn cudnn(&mut self, node: &Node, cuda: Option<&str>, cuda_pos: Option<Pos>) -> Option<String> {
        let path = "environment.cudnn";
        let value = match node.as_scalar() {
            Some(s) => s.value.py_str().trim().to_owned(),
            None => node.type_name().to_owned(),
        };
        if value.is_empty() {
            return None;
        }
        if value != "8" {
            self.error(
                node.pos,
                path,
                format!("unsupported cuDNN version `{value}`: only 8 is available"),
                Some("write `cudnn: 8`".to_owned()),
            );
            return None;
        }
        match cuda {
            None if cuda_pos.is_none() => {
                self.error(
                    node.pos,
                    path,
                    "cuDNN needs CUDA: `environment.cuda` is not set",
                    Some("add `cuda: \"11.6\"` (cuDNN 8 exists for CUDA 11.3 to 11.6)".to_owned()),
                );
                None
            }
            // The CUDA value itself was wrong and already reported.
            None => None,
            Some(c) if !CUDNN8_CUDAS.contains(&c) => {
                self.error(
                    node.pos,
                    path,
                    format!("cuDNN 8 is not available for CUDA {c}, only for 11.3 to 11.6"),
                    Some("pick CUDA 11.3 to 11.6, or remove `cudnn`".to_owned()),
                );
                None
            }
            Some(_) => Some(value),
        }
    }

    fn arch(&mut self, node: &Node) -> Vec<Arch> {
        let path = "environment.arch";
        let mut out = Vec::new();
        let items: Vec<(String, &Node)> = match &node.kind {
            NodeKind::Sequence(items) => items
                .iter()
                .enumerate()
                .map(|(i, n)| (index(path, i), n))
                .collect(),
            _ if is_empty_value(node) => Vec::new(),
            _ => vec![(path.to_owned(), node)],
        };
        for (item_path, item) in items {
            let Some(text) = self.string(item, &item_path) else {
                continue;
            };
            let arch = match text.to_ascii_lowercase().as_str() {
                "amd64" => Arch::Amd64,
                "arm64" => Arch::Arm64,
                "noarch" => Arch::Noarch,
                other => {
                    let hint = match other {
                        "x86_64" | "x86-64" | "x64" | "intel" => "did you mean `amd64`?".to_owned(),
                        "aarch64" | "arm" | "armv8" => "did you mean `arm64`?".to_owned(),
                        _ => "use amd64, arm64 or noarch".to_owned(),
                    };
                    self.error(
                        item.pos,
                        &item_path,
                        format!("unknown architecture `{text}`"),
                        Some(hint),
                    );
                    continue;
                }
            };
            if !out.contains(&arch) {
                out.push(arch);
            }
        }
        if out.is_empty() {
            out.push(Arch::Noarch);
        }
        out
    }

    fn docker(&mut self, node: &Node, path: &str) -> Option<String> {
        let section = self.mapping(node, path)?;
        self.unknown_keys(section, DOCKER_KEYS, path, path);
        let e = get(section, "image")?;
        if is_empty_value(&e.value) {
            return None;
        }
        self.string(&e.value, &join(path, "image"))
    }

    fn configs(&mut self, top: &[Entry]) -> ResolvedConfigs {
        let mut configs = ResolvedConfigs {
            pip: PipConfig::default(),
            conda: CondaConfig {
                channels: vec![DEFAULT_CONDA_CHANNEL.to_owned()],
                condarc: None,
            },
            docker_image: None,
        };
        let Some(entry) = get(top, "configs") else {
            return configs;
        };
        let section = self.mapping(&entry.value, "configs").unwrap_or(&[]);
        self.unknown_keys(section, CONFIG_KEYS, "configs", "configs");
        if let Some(e) = get(section, "docker") {
            configs.docker_image = self.docker(&e.value, "configs.docker");
        }
        if let Some(e) = get(section, "pip") {
            let pip = self.mapping(&e.value, "configs.pip").unwrap_or(&[]);
            self.unknown_keys(pip, PIP_KEYS, "configs.pip", "configs.pip");
            if let Some(u) = get(pip, "index_url").filter(|u| !is_empty_value(&u.value)) {
                configs.pip.index_url = self
                    .string(&u.value, "configs.pip.index_url")
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty());
            }
            if let Some(u) = get(pip, "extra_index_url") {
                configs.pip.extra_index_url =
                    self.string_list(&u.value, "configs.pip.extra_index_url", true);
            }
            if let Some(h) = get(pip, "trusted_host") {
                configs.pip.trusted_host =
                    self.string_list(&h.value, "configs.pip.trusted_host", true);
            }
        }
        if let Some(e) = get(section, "conda") {
            let conda = self.mapping(&e.value, "configs.conda").unwrap_or(&[]);
            self.unknown_keys(conda, CONDA_KEYS, "configs.conda", "configs.conda");
            if let Some(c) = get(conda, "channels") {
                let channels = self.string_list(&c.value, "configs.conda.channels", false);
                if !channels.is_empty() {
                    configs.conda.channels = channels;
                }
            }
            if let Some(rc) = get(conda, "condarc") {
                if let Some(map) = self.mapping(&rc.value, "configs.conda.condarc") {
                    if !map.is_empty() {
                        configs.conda.condarc = Some(rc.value.to_json());
                    }
                }
            }
        }
        configs
    }

    fn hooks(&mut self, top: &[Entry]) {
        let Some(entry) = get(top, "hooks") else {
            return;
        };
        if let Some(section) = self.mapping(&entry.value, "hooks") {
            self.unknown_keys(section, HOOK_KEYS, "hooks", "hooks");
            if !section.is_empty() {
                self.warn(
                    entry.key.pos,
                    "hooks",
                    "`hooks` is accepted for compatibility but neither swcli nor swrt runs them",
                    Some("use a `commands:` dependency to run something at build time".to_owned()),
                );
            }
        }
    }

    fn dependencies(&mut self, top: &[Entry], mode: Mode) -> Vec<Spanned<Dependency>> {
        let mut out = Vec::new();
        if let Some(entry) = get(top, "dependencies") {
            match &entry.value.kind {
                NodeKind::Sequence(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.dependency(item, &index("dependencies", i), mode, &mut out);
                    }
                }
                _ if entry.value.is_null() => {}
                _ => self.error(
                    entry.value.pos,
                    "dependencies",
                    format!(
                        "expected a list of dependencies, found {}",
                        entry.value.type_name()
                    ),
                    Some("write each dependency as a `- ` item under `dependencies:`".to_owned()),
                ),
            }
        }
        if let Some(entry) = get(top, "pip_req").filter(|e| !is_empty_value(&e.value)) {
            match entry.value.as_str() {
                Some(s) => self.dependency_file(s, &entry.value, "pip_req", mode, &mut out),
                None => {
                    self.string(&entry.value, "pip_req");
                }
            }
        }
        out
    }

    fn dependency(
        &mut self,
        node: &Node,
        path: &str,
        mode: Mode,
        out: &mut Vec<Spanned<Dependency>>,
    ) {
        match &node.kind {
            NodeKind::Scalar(_) => match node.as_str() {
                Some(s) => self.dependency_file(s, node, path, mode, out),
                None => self.error(
                    node.pos,
                    path,
                    format!("a dependency must be a file name or a mapping (pip, conda, wheels, files, commands), found {} `{}`", node.type_name(), node.as_scalar().map(|s| s.text.as_str()).unwrap_or("")),
                    Some("to install a package write `- pip: [\"name\"]`".to_owned()),
                ),
            },
            NodeKind::Sequence(_) => self.error(
                node.pos,
                path,
                "a dependency must be a file name or a mapping, found a list",
                Some("put the packages under a kind: `- pip:` followed by the list".to_owned()),
            ),
            NodeKind::Mapping(entries) => {
                if entries.is_empty() {
                    self.warn(node.pos, path, "empty dependency entry", Some("remove it".to_owned()));
                }
                for entry in entries {
                    let key = key_text(&entry.key);
                    let key_path = join(path, &key);
                    let dep = match key.as_str() {
                        "pip" => self.packages(&entry.value, &key_path, "pip").map(|packages| Dependency::PipPkg { packages }),
                        "conda" => {
                            if mode == Mode::Venv {
                                self.warn(entry.key.pos, &key_path, "conda packages are not installed in venv mode", Some("set `mode: conda`, or move the packages to `pip:`".to_owned()));
                            }
                            self.packages(&entry.value, &key_path, "conda").map(|packages| Dependency::CondaPkg { packages })
                        }
                        "wheels" => self.wheels(&entry.value, &key_path).map(|wheels| Dependency::Wheel { wheels }),
                        "files" => self.native_files(&entry.value, &key_path).map(|files| Dependency::NativeFile { files }),
                        "commands" => self.packages(&entry.value, &key_path, "commands").map(|commands| Dependency::Command { commands }),
                        _ => {
                            let hint = match suggest(&key, DEP_KEYS) {
                                Some(k) => format!("did you mean `{k}`?"),
                                None => "a dependency mapping has one of the keys pip, conda, wheels, files, commands".to_owned(),
                            };
                            self.error(entry.key.pos, &key_path, format!("unknown dependency kind `{key}`"), Some(hint));
                            None
                        }
                    };
                    if let Some(dep) = dep {
                        out.push(Spanned { value: dep, pos: entry.key.pos });
                    }
                }
            }
        }
    }

    /// A string dependency: a pip requirements file or a conda env file.
    fn dependency_file(
        &mut self,
        s: &str,
        node: &Node,
        path: &str,
        mode: Mode,
        out: &mut Vec<Spanned<Dependency>>,
    ) {
        let dep = if s.ends_with(".txt") || s.ends_with(".in") {
            self.spec_file(s, node, path, FileKind::File)
                .map(|file| Dependency::PipReqFile { file })
        } else if s.ends_with(".yaml") || s.ends_with(".yml") {
            if mode == Mode::Venv {
                self.warn(
                    node.pos,
                    path,
                    "a conda environment file is not applied in venv mode",
                    Some("set `mode: conda`, or use a requirements .txt file".to_owned()),
                );
            }
            self.spec_file(s, node, path, FileKind::File)
                .map(|file| Dependency::CondaEnvFile { file })
        } else {
            self.error(
                node.pos,
                path,
                format!("`{s}` is neither a pip requirements file (.txt, .in) nor a conda environment file (.yaml, .yml)"),
                Some(format!("to install a package write `- pip: [\"{s}\"]`")),
            );
            None
        };
        if let Some(dep) = dep {
            out.push(Spanned {
                value: dep,
                pos: node.pos,
            });
        }
    }

    fn packages(&mut self, node: &Node, path: &str, kind: &str) -> Option<Vec<String>> {
        let NodeKind::Sequence(items) = &node.kind else {
            let example = match kind {
                "commands" => "- commands:\n      - echo hello",
                "conda" => "- conda:\n      - numpy",
                _ => "- pip:\n      - numpy",
            };
            let found = match node.as_scalar() {
                Some(s) => format!("{} `{}`", node.type_name(), s.text),
                None => node.type_name().to_owned(),
            };
            self.error(
                node.pos,
                path,
                format!("`{kind}` takes a list, found {found}"),
                Some(format!("write one item per line:\n  {example}")),
            );
            return None;
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(s) = self.string(item, &index(path, i)) {
                if kind == "commands" {
                    out.push(s);
                } else if !s.trim().is_empty() {
                    out.push(s.trim().to_owned());
                }
            }
        }
        Some(out)
    }

    fn wheels(&mut self, node: &Node, path: &str) -> Option<Vec<SpecFile>> {
        let NodeKind::Sequence(items) = &node.kind else {
            self.error(
                node.pos,
                path,
                format!(
                    "`wheels` takes a list of .whl paths, found {}",
                    node.type_name()
                ),
                Some(
                    "write one path per line: `- wheels:` then `- dist/pkg-1.0-py3-none-any.whl`"
                        .to_owned(),
                ),
            );
            return None;
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let item_path = index(path, i);
            let Some(s) = self.string(item, &item_path) else {
                continue;
            };
            if !s.ends_with(".whl") {
                self.error(item.pos, &item_path, format!("`{s}` is not a wheel: wheel paths end with .whl"), Some("build one with `pip wheel` or `uv build`, or list the package under `pip:`".to_owned()));
                continue;
            }
            if let Some(file) = self.spec_file(&s, item, &item_path, FileKind::File) {
                out.push(file);
            }
        }
        Some(out)
    }

    fn native_files(&mut self, node: &Node, path: &str) -> Option<Vec<NativeFile>> {
        let NodeKind::Sequence(items) = &node.kind else {
            self.error(
                node.pos,
                path,
                format!(
                    "`files` takes a list of {{src, dest}} mappings, found {}",
                    node.type_name()
                ),
                Some(
                    "write `- files:` then `- src: scripts/run.sh` and `dest: bin/run.sh`"
                        .to_owned(),
                ),
            );
            return None;
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let item_path = index(path, i);
            let NodeKind::Mapping(fields) = &item.kind else {
                self.error(
                    item.pos,
                    &item_path,
                    format!(
                        "a file entry is a mapping with `src` and `dest`, found {}",
                        item.type_name()
                    ),
                    Some(
                        "write `- src: scripts/run.sh` and `dest: bin/run.sh` on the next line"
                            .to_owned(),
                    ),
                );
                continue;
            };
            self.unknown_keys(fields, FILE_KEYS, &item_path, "a file entry");
            let src = self.required_string(fields, item.pos, &item_path, "src");
            let dest = self.required_string(fields, item.pos, &item_path, "dest");
            let name = match get(fields, "name") {
                Some(e) if !e.value.is_null() => self.string(&e.value, &join(&item_path, "name")),
                _ => None,
            };
            let src = src.and_then(|(s, n)| {
                self.spec_file(&s, n, &join(&item_path, "src"), FileKind::FileOrDir)
            });
            let dest = dest.and_then(|(d, n)| self.dest(&d, n, &join(&item_path, "dest")));
            if let (Some(src), Some(dest)) = (src, dest) {
                out.push(NativeFile { src, dest, name });
            }
        }
        Some(out)
    }

    fn required_string<'n>(
        &mut self,
        fields: &'n [Entry],
        pos: Pos,
        path: &str,
        key: &str,
    ) -> Option<(String, &'n Node)> {
        let key_path = join(path, key);
        match get(fields, key) {
            Some(e) if !is_empty_value(&e.value) => {
                self.string(&e.value, &key_path).map(|s| (s, &e.value))
            }
            Some(e) => {
                self.error(
                    e.value.pos,
                    &key_path,
                    format!("`{key}` must not be empty"),
                    Some(if key == "src" {
                        "write a path relative to runtime.yaml's directory".to_owned()
                    } else {
                        "write a path inside the environment, such as `bin/tool`".to_owned()
                    }),
                );
                None
            }
            None => {
                let hint = if key == "src" {
                    "add `src:` with a path relative to runtime.yaml's directory"
                } else {
                    "add `dest:` with a path inside the environment, such as `bin/tool`"
                };
                self.error(
                    pos,
                    &key_path,
                    format!("missing required key `{key}`"),
                    Some(hint.to_owned()),
                );
                None
            }
        }
    }

    /// `files[].dest`: a relative path that stays inside the environment.
    fn dest(&mut self, dest: &str, node: &Node, path: &str) -> Option<String> {
        if Path::new(dest).is_absolute() {
            self.error(node.pos, path, format!("`{dest}` is an absolute path: files are copied into the environment, so `dest` is relative to it"), Some(format!("write `{}`", dest.trim_start_matches('/'))));
            return None;
        }
        match normalize(dest) {
            Some(d) if !d.is_empty() => Some(d),
            Some(_) => {
                self.error(
                    node.pos,
                    path,
                    format!("`{dest}` names the environment's root itself"),
                    Some("name a path inside it, such as `bin/tool`".to_owned()),
                );
                None
            }
            None => {
                self.error(
                    node.pos,
                    path,
                    format!("`{dest}` leaves the environment through `..`"),
                    Some("files may only be copied inside the environment".to_owned()),
                );
                None
            }
        }
    }

    /// A file named by the spec: relative, inside the spec's directory, and
    /// present on disk.
    fn spec_file(
        &mut self,
        rel: &str,
        node: &Node,
        path: &str,
        kind: FileKind,
    ) -> Option<SpecFile> {
        if rel.trim().is_empty() {
            self.error(
                node.pos,
                path,
                "empty path",
                Some("write a path relative to runtime.yaml's directory".to_owned()),
            );
            return None;
        }
        if Path::new(rel).is_absolute() {
            self.error(
                node.pos,
                path,
                format!("`{rel}` is an absolute path: the bundle stores files relative to runtime.yaml's directory"),
                Some("move the file next to runtime.yaml (or below it) and write a relative path".to_owned()),
            );
            return None;
        }
        let Some(normalized) = normalize(rel).filter(|n| !n.is_empty()) else {
            self.error(
                node.pos,
                path,
                format!("`{rel}` is outside runtime.yaml's directory"),
                Some("the bundle can only hold files from runtime.yaml's directory and below: move the file there".to_owned()),
            );
            return None;
        };
        let abs: PathBuf = self.dir.join(&normalized);
        let meta = std::fs::metadata(&abs);
        match (meta, kind) {
            (Ok(m), FileKind::File) if m.is_dir() => {
                self.error(
                    node.pos,
                    path,
                    format!("`{rel}` is a directory, expected a file"),
                    Some(
                        "name a file here; a whole directory can be copied with `files:`"
                            .to_owned(),
                    ),
                );
                None
            }
            (Ok(_), _) => Some(SpecFile {
                rel: normalized,
                path: abs,
            }),
            (Err(_), _) => {
                self.error(
                    node.pos,
                    path,
                    format!("file not found: `{rel}` (looked for {})", abs.display()),
                    Some("paths are relative to the directory of runtime.yaml; create the file or fix the path".to_owned()),
                );
                None
            }
        }
    }
}

#[derive(Clone, Copy)]
enum FileKind {
    File,
    FileOrDir,
}

/// Lexically normalises a relative path to forward slashes without `.`
/// parts; `None` when `..` climbs above the start.
pub fn normalize(rel: &str) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for component in Path::new(rel).components() {
        match component {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.join("/"))
}

/// swcli's name rule: `^[a-zA-Z_][a-zA-Z0-9_.-]*$`.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn sanitize_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_typos() {
        assert_eq!(suggest("config", TOP_KEYS), Some("configs"));
        assert_eq!(suggest("dependency", TOP_KEYS), Some("dependencies"));
        assert_eq!(suggest("enviroment", TOP_KEYS), Some("environment"));
        assert_eq!(suggest("wheel", DEP_KEYS), Some("wheels"));
        assert_eq!(suggest("zzz", TOP_KEYS), None);
    }

    #[test]
    fn names_follow_swcli() {
        assert!(valid_name("hello"));
        assert!(valid_name("_a.b-c9"));
        assert!(!valid_name("9lives"));
        assert!(!valid_name("a b"));
        assert!(!valid_name(""));
        assert!(valid_name(&sanitize_name("9 lives!")));
    }

    #[test]
    fn normalize_keeps_paths_inside() {
        assert_eq!(normalize("./a/./b.whl").as_deref(), Some("a/b.whl"));
        assert_eq!(normalize("a/../b").as_deref(), Some("b"));
        assert_eq!(normalize("../b"), None);
        assert_eq!(normalize("a/../../b"), None);
    }
}
