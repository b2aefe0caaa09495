//! runtime.yaml end to end: the corpus under tests/spec_corpus/ (every file's
//! verdict and diagnostics snapshot-tested), exact positions, agreement with
//! the real swcli 0.6.15 on what it accepts, a never-panics property, and
//! `swrt spec` through the real binary.

// A failing unwrap is a failing test; helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use proptest::prelude::*;
use swrt::cli::diagnostics::{RenderOptions, render};
use swrt::spec::{
    self, Dependency, LoadOptions, Mode, Severity, load_source_without_interpreter,
    load_without_interpreter,
};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spec_corpus")
}

fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What a corpus file loads to, as text: the verdict, every diagnostic with
/// its source snippet, and for valid files the resolved spec.
fn describe(path: &Path) -> String {
    let snippets = RenderOptions {
        color: false,
        snippets: true,
    };
    match load_without_interpreter(path) {
        Ok(loaded) => {
            let mut out = String::from("verdict: ok\n");
            out.push_str(&render(&loaded.warnings, &loaded.source_text, snippets));
            out.push_str("---\n");
            out.push_str(&serde_yaml::to_string(&loaded.spec).unwrap());
            out
        }
        Err(err) => {
            let mut out = format!("verdict: error (errors: {})\n", err.error_count());
            out.push_str(&render(&err.diagnostics, &err.source_text, snippets));
            out
        }
    }
}

fn path_filters() -> Vec<(String, String)> {
    let corpus = corpus_dir();
    let canonical = std::fs::canonicalize(&corpus).unwrap();
    let mut filters = vec![
        (
            regex::escape(&canonical.display().to_string()),
            "[CORPUS]".to_owned(),
        ),
        (
            regex::escape(&corpus.display().to_string()),
            "[CORPUS]".to_owned(),
        ),
    ];
    filters.dedup();
    filters
}

#[test]
fn corpus_snapshots() {
    let filters = path_filters();
    let mut settings = insta::Settings::clone_current();
    for (from, to) in &filters {
        settings.add_filter(from, to.as_str());
    }
    settings.bind(|| {
        insta::glob!("spec_corpus/*valid_*.yaml", |path| {
            insta::assert_snapshot!(describe(path));
        });
    });
}

#[test]
fn corpus_is_large_and_split_by_verdict() {
    let mut valid = 0;
    let mut invalid = 0;
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".yaml") {
            continue;
        }
        let result = load_without_interpreter(&path);
        if name.starts_with("valid_") {
            valid += 1;
            assert!(result.is_ok(), "{name}: {:#?}", result.err());
        } else if name.starts_with("invalid_") {
            invalid += 1;
            let err = result.expect_err(&name);
            assert!(err.error_count() >= 1, "{name}");
            for d in &err.diagnostics {
                assert!(!d.message.is_empty(), "{name}");
                assert!(d.hint.is_some(), "every error says what to do: {name}: {d}");
                if d.severity == Severity::Error && d.line == 0 {
                    // Only whole-file problems may lack a position.
                    assert!(
                        name.contains("empty_file") || name.contains("missing"),
                        "{name}: {d}"
                    );
                }
            }
        }
    }
    assert!(valid + invalid >= 40, "{valid} valid + {invalid} invalid");
    assert!(valid >= 20 && invalid >= 20);
}

#[test]
fn three_mistakes_are_all_reported_with_exact_positions() {
    let err = load_without_interpreter(&corpus_dir().join("invalid_three_mistakes.yaml"))
        .expect_err("three mistakes");
    let found: Vec<(usize, usize, &str)> = err
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.line, d.column, d.key_path.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (3, 11, "environment.python"),
            (4, 9, "environment.arch"),
            (7, 9, "dependencies[0].wheels[0]"),
        ]
    );
    assert_eq!(err.error_count(), 3);
    let python = &err.diagnostics[0];
    assert!(python.message.contains("3.1"), "{}", python.message);
    assert_eq!(
        python.hint.as_deref(),
        Some("quote the version: `python: \"3.10\"`")
    );
    assert_eq!(
        err.diagnostics[1].hint.as_deref(),
        Some("did you mean `amd64`?")
    );
}

#[test]
fn unknown_keys_warn_with_a_suggestion_and_do_not_fail() {
    let loaded =
        load_without_interpreter(&corpus_dir().join("valid_unknown_keys_warn.yaml")).unwrap();
    let config = loaded
        .warnings
        .iter()
        .find(|w| w.key_path == "config")
        .expect("a warning for `config`");
    assert_eq!((config.line, config.column), (2, 1));
    assert_eq!(config.hint.as_deref(), Some("did you mean `configs`?"));
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.key_path == "configs.pip.index"
                && w.hint.as_deref() == Some("did you mean `index_url`?"))
    );
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.key_path == "dependencies[0].files[0].mode")
    );
}

#[test]
fn seed_example_resolves_every_field() {
    let loaded = load_without_interpreter(&corpus_dir().join("valid_seed_example.yaml")).unwrap();
    let spec = &loaded.spec;
    assert_eq!(spec.name, "demo");
    assert_eq!(spec.mode, Mode::Venv);
    assert_eq!(spec.environment.python.to_string(), "3.8");
    assert_eq!(spec.environment.cuda.as_deref(), Some("11.4"));
    assert_eq!(spec.base_image, "mycustom.com/docker/image:tag");
    assert_eq!(
        spec.builtin_image.fullname,
        "docker-registry.starwhale.cn/star-whale/cuda:11.4-base0.3.4"
    );
    assert_eq!(
        spec.configs.pip.to_args(),
        vec![
            "--index-url",
            "https://example.org/",
            "--extra-index-url",
            "https://another.net/",
            "--trusted-host",
            "example.org",
            "--trusted-host",
            "another.net",
        ]
    );
    let condarc = spec.configs.conda.condarc.as_ref().unwrap();
    assert_eq!(condarc["ssl_verify"], serde_json::Value::Bool(false));
    assert_eq!(condarc["default_threads"], serde_json::json!(10));
    let kinds: Vec<&str> = spec
        .dependencies
        .iter()
        .map(|d| match d {
            Dependency::CondaEnvFile { .. } => "conda_env_file",
            Dependency::PipReqFile { .. } => "pip_req_file",
            Dependency::CondaPkg { .. } => "conda_pkg",
            Dependency::PipPkg { .. } => "pip_pkg",
            Dependency::Wheel { .. } => "wheel",
            Dependency::NativeFile { .. } => "native_file",
            Dependency::Command { .. } => "command",
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            "conda_env_file",
            "pip_req_file",
            "conda_pkg",
            "pip_pkg",
            "wheel",
            "native_file",
            "command"
        ]
    );
    // conda items in a venv runtime are not applied: say so.
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.key_path == "dependencies[2].conda")
    );
}

#[test]
fn multi_key_mapping_yields_entries_in_key_order() {
    let loaded =
        load_without_interpreter(&corpus_dir().join("valid_multi_key_mapping.yaml")).unwrap();
    let deps = &loaded.spec.dependencies;
    assert!(matches!(&deps[0], Dependency::PipPkg { packages } if packages == &["click"]));
    assert!(
        matches!(&deps[1], Dependency::Wheel { wheels } if wheels[0].rel == "wheels/a-1.0-py3-none-any.whl")
    );
    assert!(matches!(&deps[2], Dependency::Command { commands } if commands == &["echo done"]));
    assert!(matches!(&deps[3], Dependency::PipReqFile { .. }));
}

#[test]
fn legacy_keys_apply() {
    let loaded = load_without_interpreter(&corpus_dir().join("valid_legacy_keys.yaml")).unwrap();
    assert_eq!(loaded.spec.environment.python.to_string(), "3.9");
    assert!(matches!(
        &loaded.spec.dependencies[..],
        [Dependency::PipReqFile { file }] if file.rel == "requirements.txt"
    ));
}

#[test]
fn fingerprint_ignores_location_but_follows_content() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let text = "name: fp\nenvironment:\n  python: \"3.11\"\ndependencies:\n  - requirements.txt\n  - files:\n      - src: data\n        dest: share/data\n";
    for dir in [a.path(), b.path()] {
        std::fs::write(dir.join("runtime.yaml"), text).unwrap();
        std::fs::write(dir.join("requirements.txt"), "click\n").unwrap();
        std::fs::create_dir_all(dir.join("data/sub")).unwrap();
        std::fs::write(dir.join("data/sub/x.txt"), "x").unwrap();
    }
    let fp = |dir: &Path| load_without_interpreter(dir).unwrap().spec.fingerprint;
    let first = fp(a.path());
    assert_eq!(first.len(), 64);
    assert_eq!(
        first,
        fp(b.path()),
        "same project elsewhere, same fingerprint"
    );

    std::fs::write(b.path().join("data/sub/x.txt"), "y").unwrap();
    let changed_file = fp(b.path());
    assert_ne!(first, changed_file, "a byte in a named directory counts");

    std::fs::write(b.path().join("data/sub/x.txt"), "x").unwrap();
    assert_eq!(first, fp(b.path()));
    std::fs::write(b.path().join("data/new.txt"), "").unwrap();
    assert_ne!(
        first,
        fp(b.path()),
        "a new file in a named directory counts"
    );
    std::fs::remove_file(b.path().join("data/new.txt")).unwrap();

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let x = b.path().join("data/sub/x.txt");
        std::fs::set_permissions(&x, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_ne!(first, fp(b.path()), "the executable bit counts");
        std::fs::set_permissions(&x, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(first, fp(b.path()));
    }

    std::fs::write(b.path().join("requirements.txt"), "click==8.1.7\n").unwrap();
    assert_ne!(first, fp(b.path()), "a requirements file counts");
}

#[test]
fn missing_python_falls_back_to_python3_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("runtime.yaml"), "name: nopython\n").unwrap();
    let loaded = load_without_interpreter(dir.path()).unwrap();
    let warning = loaded
        .warnings
        .iter()
        .find(|w| w.key_path == "environment.python")
        .expect("a warning about the missing python");
    assert!(warning.message.contains("not set"), "{warning}");
    assert!(loaded.spec.environment.python.major == 3);
}

#[test]
fn interpreter_is_found_and_verified_or_reported() {
    let dir = tempfile::tempdir().unwrap();
    // 3.11 exists on this machine (python3.11 on PATH).
    std::fs::write(
        dir.path().join("runtime.yaml"),
        "name: py\nenvironment:\n  python: \"3.11\"\n",
    )
    .unwrap();
    let loaded = spec::load(dir.path(), &LoadOptions::default()).unwrap();
    let found = loaded
        .spec
        .interpreter
        .expect("python 3.11 is installed here");
    assert!(found.version.starts_with("3.11."), "{found:?}");
    assert!(found.path.is_absolute());

    // 3.7 is not: a warning for `spec`, an error for `build`.
    std::fs::write(
        dir.path().join("runtime.yaml"),
        "name: py\nenvironment:\n  python: \"3.7\"\n",
    )
    .unwrap();
    let loaded = spec::load(dir.path(), &LoadOptions::default()).unwrap();
    assert!(loaded.spec.interpreter.is_none());
    let warning = loaded
        .warnings
        .iter()
        .find(|w| w.key_path == "environment.python")
        .unwrap();
    assert_eq!((warning.line, warning.column), (3, 11));
    assert!(
        warning.message.contains("working interpreters here: 3.11."),
        "lists what exists: {warning}"
    );
    let err = spec::load(
        dir.path(),
        &LoadOptions {
            require_interpreter: true,
        },
    )
    .unwrap_err();
    assert_eq!(err.error_count(), 1);
    assert!(
        err.diagnostics[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("uv python install 3.7")
    );
}

/// The verdict of the real swcli 0.6.15 on every corpus file, where it is
/// installed. swrt must agree except where it is deliberately stricter
/// (checks at load what swcli only finds when building or restoring) or
/// more lenient (newer Python and CUDA).
#[test]
fn swcli_agrees_on_the_corpus() {
    let python = Path::new("/opt/swcli/bin/python");
    if !python.exists() {
        eprintln!("swcli is not installed here; nothing to compare with");
        return;
    }
    let script = r#"
import glob, json, os, sys
from pathlib import Path
from starwhale.core.runtime.model import RuntimeConfig
out = {}
for p in sorted(glob.glob("*valid_*.yaml")):
    try:
        RuntimeConfig.create_by_yaml(Path(p))
        out[p] = "ok"
    except Exception as e:
        out[p] = "error"
print(json.dumps(out))
"#;
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(python)
        .arg("-c")
        .arg(script)
        .current_dir(corpus_dir())
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let swcli: BTreeMap<String, String> = serde_json::from_slice(&output.stdout).unwrap();
    // file -> (swcli's verdict, why swrt differs)
    let deviations: BTreeMap<&str, (&str, &str)> = [
        (
            "invalid_absolute_requirements.yaml",
            ("ok", "bundle paths must be relative"),
        ),
        ("invalid_arch.yaml", ("ok", "arch values are checked")),
        (
            "invalid_conda_channels.yaml",
            ("ok", "channels must be strings"),
        ),
        (
            "invalid_condarc_not_mapping.yaml",
            ("ok", "condarc must be a mapping"),
        ),
        (
            "invalid_extra_index_mapping.yaml",
            ("ok", "extra_index_url must be strings"),
        ),
        (
            "invalid_files_dest_absolute.yaml",
            ("ok", "swcli refuses it at restore"),
        ),
        (
            "invalid_files_dest_escapes.yaml",
            ("ok", "swcli refuses it at restore"),
        ),
        (
            "invalid_files_src_escapes.yaml",
            ("ok", "swcli fails copying it at build"),
        ),
        (
            "invalid_missing_requirements.yaml",
            ("ok", "swcli fails at build"),
        ),
        (
            "invalid_requirements_is_directory.yaml",
            ("ok", "swcli fails at build"),
        ),
        (
            "invalid_wheel_missing.yaml",
            ("ok", "swcli fails at restore"),
        ),
        (
            "valid_newer_cuda.yaml",
            ("error", "newer CUDA accepted with a warning"),
        ),
        (
            "valid_newer_python.yaml",
            ("error", "newer Python accepted with a warning"),
        ),
    ]
    .into_iter()
    .collect();
    assert!(swcli.len() >= 40);
    for (file, verdict) in &swcli {
        let ours = if load_without_interpreter(&corpus_dir().join(file)).is_ok() {
            "ok"
        } else {
            "error"
        };
        match deviations.get(file.as_str()) {
            Some((theirs, why)) => {
                assert_eq!(verdict, theirs, "{file}: the deviation table is stale");
                assert_ne!(ours, *theirs, "{file}: expected to differ ({why})");
            }
            None => assert_eq!(ours, verdict, "{file}: swcli says {verdict}"),
        }
    }
}

fn yaml_ish_tree() -> impl Strategy<Value = String> {
    let keys = prop::sample::select(vec![
        "name",
        "mode",
        "api_version",
        "environment",
        "python",
        "cuda",
        "cudnn",
        "arch",
        "docker",
        "image",
        "configs",
        "pip",
        "conda",
        "index_url",
        "extra_index_url",
        "trusted_host",
        "channels",
        "condarc",
        "dependencies",
        "wheels",
        "files",
        "src",
        "dest",
        "commands",
        "python_version",
        "pip_req",
        "<<",
        "config",
    ]);
    let scalars = prop::sample::select(vec![
        "3.10",
        "3.9",
        "\"3.11\"",
        "11.4",
        "8",
        "venv",
        "conda",
        "amd64",
        "x.whl",
        "requirements.txt",
        "../x",
        "/abs",
        "yes",
        "~",
        "''",
        "1.1",
        "a b",
        "*a",
        "&a v",
        "!!str 3",
        "!x y",
        "[1, {a: b}]",
        "{}",
        "[]",
        "0x1F",
        "1:30",
        "2001-01-01",
        "|\n  block",
    ]);
    let leaf = scalars.prop_map(str::to_owned);
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|items| {
                items
                    .iter()
                    .map(|i| format!("- {}", i.replace('\n', "\n  ")))
                    .collect::<Vec<_>>()
                    .join("\n")
            }),
            prop::collection::vec((keys.clone(), inner), 0..5).prop_map(|entries| {
                entries
                    .iter()
                    .map(|(k, v)| format!("{k}:\n  {}", v.replace('\n', "\n  ")))
                    .collect::<Vec<_>>()
                    .join("\n")
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("runtime.yaml");
        let result = load_source_without_interpreter(&file, &text);
        if let Err(err) = result {
            prop_assert!(err.error_count() >= 1);
        }
    }

    #[test]
    fn yaml_ish_text_never_panics(text in "[a-z:\\-\\[\\]{}#&*!|>'\" \n\t0-9.,?%@`]{0,120}") {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("runtime.yaml");
        if let Err(err) = load_source_without_interpreter(&file, &text) {
            prop_assert!(err.error_count() >= 1);
            for d in &err.diagnostics {
                let lines = text.lines().count().max(1);
                prop_assert!(d.line <= lines + 1, "line {} of {}", d.line, lines);
            }
        }
    }

    #[test]
    fn yaml_ish_trees_never_panic(tree in yaml_ish_tree()) {
        let text = format!("name: prop\n{tree}\n");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("runtime.yaml");
        match load_source_without_interpreter(&file, &text) {
            Ok(loaded) => prop_assert!(swrt::spec::validate::valid_name(&loaded.spec.name)),
            Err(err) => prop_assert!(err.error_count() >= 1),
        }
    }
}

// ---- the real binary ------------------------------------------------------

/// `swrt` with a clean environment: a temp HOME and store, PATH kept (for
/// the interpreters), nothing else.
fn swrt(home: &Path, args: &[&str]) -> Output {
    swrt_env(home, args, &[])
}

fn swrt_env(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_swrt"));
    cmd.args(args)
        .current_dir(repo_dir())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("SWRT_ROOT", home.join("store"))
        .env("SWRT_CACHE_DIR", home.join("cache"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn cli_prints_the_resolved_example() {
    let home = tempfile::tempdir().unwrap();
    let out = swrt(home.path(), &["spec", "assets/examples/hello"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let value: serde_yaml::Value = serde_yaml::from_slice(&out.stdout).unwrap();
    assert_eq!(value["name"].as_str(), Some("hello"));
    assert_eq!(value["environment"]["python"].as_str(), Some("3.11"));
    assert_eq!(value["dependencies"].as_sequence().unwrap().len(), 3);
    assert!(
        value["interpreter"]["version"]
            .as_str()
            .unwrap()
            .starts_with("3.11.")
    );
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
}

#[test]
fn cli_json_parses() {
    let home = tempfile::tempdir().unwrap();
    let out = swrt(
        home.path(),
        &["spec", "--json", "assets/examples/hello/runtime.yaml"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["mode"], "venv");
    assert_eq!(value["dependencies"][1]["kind"], "wheel");
    assert_eq!(value["fingerprint"].as_str().unwrap().len(), 64);
}

#[test]
fn cli_bad_spec_exits_1_with_every_error() {
    let home = tempfile::tempdir().unwrap();
    let file = corpus_dir().join("invalid_three_mistakes.yaml");
    let file = file.to_str().unwrap();
    let out = swrt(home.path(), &["spec", file]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(
        errors,
        vec![
            format!("error: {file}:3:11: environment.python: `3.10` is read by YAML as the number 3.1, which means Python 3.1").as_str(),
            format!("error: {file}:4:9: environment.arch: unknown architecture `x86_64`").as_str(),
            format!("error: {file}:7:9: dependencies[0].wheels[0]: `dist/pkg.tar.gz` is not a wheel: wheel paths end with .whl").as_str(),
            format!("error: {file} has 3 errors").as_str(),
        ]
    );
    assert!(stderr.contains("hint: quote the version: `python: \"3.10\"`"));
    // Not a terminal, colours not forced: no snippet.
    assert!(!stderr.contains(" | "), "{stderr}");
}

#[test]
fn cli_json_failure_lists_the_diagnostics_as_data() {
    let home = tempfile::tempdir().unwrap();
    let file = corpus_dir().join("invalid_three_mistakes.yaml");
    let out = swrt(home.path(), &["spec", "--json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["error_count"], 3);
    let first = &value["diagnostics"][0];
    assert_eq!(first["severity"], "error");
    assert_eq!(first["line"], 3);
    assert_eq!(first["column"], 11);
    assert_eq!(first["key_path"], "environment.python");
    assert!(first["hint"].as_str().unwrap().contains("\"3.10\""));
}

#[test]
fn cli_color_always_shows_a_snippet_with_a_caret() {
    let home = tempfile::tempdir().unwrap();
    let file = corpus_dir().join("invalid_python_310_float.yaml");
    let out = swrt(
        home.path(),
        &["spec", "--color", "always", file.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let plain = regex::Regex::new("\x1b\\[[0-9;]*m")
        .unwrap()
        .replace_all(&stderr, "");
    assert!(
        plain.contains("3 |   python: 3.10\n  |           ^^^^\n"),
        "{plain}"
    );
    assert!(stderr.contains("\x1b[1;31merror\x1b[0m"), "{stderr}");
}

#[test]
fn cli_warnings_go_to_stderr_and_exit_0() {
    let home = tempfile::tempdir().unwrap();
    let file = corpus_dir().join("valid_unknown_keys_warn.yaml");
    let out = swrt(home.path(), &["spec", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            ":2:1: config: unknown key `config` is ignored\nhint: did you mean `configs`?"
        ),
        "{stderr}"
    );
    let quiet = swrt(home.path(), &["spec", "-q", file.to_str().unwrap()]);
    assert_eq!(quiet.status.code(), Some(0));
    assert!(quiet.stderr.is_empty(), "{}", text(&quiet.stderr));
}

#[test]
fn cli_missing_file_exits_1() {
    let home = tempfile::tempdir().unwrap();
    let out = swrt(home.path(), &["spec", home.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("runtime.yaml: no such file"), "{stderr}");
    assert!(stderr.contains("hint: "), "{stderr}");
}

#[test]
fn cli_pypi_variables_override_like_swcli() {
    let home = tempfile::tempdir().unwrap();
    let file = corpus_dir().join("valid_extra_index_string.yaml");
    let out = swrt_env(
        home.path(),
        &["spec", "--json", file.to_str().unwrap()],
        &[
            ("SW_PYPI_INDEX_URL", "https://env.example/simple"),
            (
                "SW_PYPI_EXTRA_INDEX_URL",
                "https://e1.example https://e2.example",
            ),
            ("SW_PYPI_TRUSTED_HOST", "env.example"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pip = &value["configs"]["pip"];
    assert_eq!(pip["index_url"], "https://env.example/simple");
    assert_eq!(
        pip["extra_index_url"],
        serde_json::json!([
            "https://e1.example",
            "https://e2.example",
            "https://extra.example/simple",
            "https://pypi.example/simple"
        ])
    );
    assert_eq!(
        pip["trusted_host"],
        serde_json::json!(["env.example", "pypi.example"])
    );
}
