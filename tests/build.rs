//! `swrt build` and `swrt lock` end to end: real venvs (uv and pip) built
//! offline from wheels the tests write themselves, the real binary, a
//! temporary store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::*;
use rstest::rstest;

/// A project using every venv dependency kind:
/// - `requirements.txt`: `--no-index --find-links ./wheelhouse`, alpha (which
///   needs beta);
/// - `pip:` gamma then epsilon, from a file index named in `configs.pip`;
/// - `wheels:` delta from a sub-folder;
/// - `files:` an executable script (0750) and a directory;
/// - `commands:` writes a marker file (proves the policy).
struct Project {
    dir: PathBuf,
    marker: PathBuf,
    index: PathBuf,
}

fn project(env: &TestEnv, name: &str) -> Project {
    let dir = env.path(&format!("src-{name}"));
    let wheelhouse = dir.join("wheelhouse");
    write_wheel(&wheelhouse, "alpha", "1.0", &["beta==2.0"]);
    write_wheel(&wheelhouse, "beta", "2.0", &[]);
    let index_src = env.path("index-src");
    let gamma = write_wheel(&index_src, "gamma", "1.0", &[]);
    let epsilon = write_wheel(&index_src, "epsilon", "3.1", &[]);
    let index = write_simple_index(&env.path("index"), &[gamma, epsilon]);
    write_wheel(&dir.join("wheels/sub"), "delta", "0.5", &[]);
    fs::create_dir_all(dir.join("scripts")).unwrap();
    fs::write(dir.join("scripts/run.sh"), "#!/bin/sh\necho run-it\n").unwrap();
    fs::set_permissions(
        dir.join("scripts/run.sh"),
        fs::Permissions::from_mode(0o750),
    )
    .unwrap();
    fs::create_dir_all(dir.join("data/nested")).unwrap();
    fs::write(dir.join("data/nested/x.txt"), "x\n").unwrap();
    fs::write(
        dir.join("requirements.txt"),
        "--no-index\n--find-links ./wheelhouse\nalpha==1.0\n",
    )
    .unwrap();
    let marker = env.path(&format!("marker-{name}"));
    let yaml = format!(
        r#"name: {name}
mode: venv
environment:
  python: "3.11"
configs:
  pip:
    index_url: file://{index}
dependencies:
  - requirements.txt
  - pip:
      - gamma==1.0
      - epsilon
  - wheels:
      - wheels/sub/delta-0.5-py3-none-any.whl
  - files:
      - src: scripts/run.sh
        dest: bin/run-it
      - src: data
        dest: share/data
  - commands:
      - echo "$VIRTUAL_ENV" > {marker}
"#,
        index = index.display(),
        marker = marker.display(),
    );
    fs::write(dir.join("runtime.yaml"), yaml).unwrap();
    Project { dir, marker, index }
}

fn ok(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "swrt failed: {:?}\n{stderr}",
        out.status
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .trim()
        .to_owned()
}

fn build(env: &TestEnv, args: &[&str]) -> Output {
    env.swrt().arg("build").args(args).output().unwrap()
}

fn env_dir(env: &TestEnv, name: &str, version: &str) -> PathBuf {
    env.root
        .join("self/workdir/runtime")
        .join(name)
        .join(&version[..2])
        .join(version)
        .join("export/venv")
}

fn bundle_of(env: &TestEnv, name: &str, version: &str) -> PathBuf {
    env.root
        .join("self/runtime")
        .join(name)
        .join(&version[..2])
        .join(format!("{version}.swrt"))
}

fn tag_index(env: &TestEnv, name: &str) -> serde_yaml::Value {
    let text = fs::read_to_string(
        env.root
            .join("self/runtime")
            .join(name)
            .join("_manifest.yaml"),
    )
    .unwrap();
    serde_yaml::from_str(&text).unwrap()
}

/// The store minus swrt's own state dir (logs, locks, counters).
fn store_snapshot(env: &TestEnv) -> Vec<(String, String)> {
    tree_snapshot(&env.root, &[".swrt"])
}

fn assert_no_staging_left(env: &TestEnv) {
    let tmp = env.root.join(".swrt/tmp");
    let left: Vec<_> = fs::read_dir(&tmp)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "staging left behind: {left:?}");
}

const LOCK: &str = "alpha==1.0\nbeta==2.0\nepsilon==3.1\ngamma==1.0\n";

#[rstest]
#[case::uv("uv")]
#[case::pip("pip")]
fn every_dependency_kind_builds_a_working_env(#[case] backend: &str) {
    let env = TestEnv::new();
    let p = project(&env, &format!("kinds-{backend}"));
    let name = format!("kinds-{backend}");
    let out = build(
        &env,
        &[
            "-y",
            p.dir.join("runtime.yaml").to_str().unwrap(),
            "--backend",
            backend,
            "--run-commands",
            "-t",
            "first",
        ],
    );
    let version = ok(&out);
    assert_eq!(version.len(), 40, "{version}");
    assert!(
        version
            .bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
    );

    // The env works from its final path, activated or not.
    let venv = env_dir(&env, &name, &version);
    let probe = Command::new(venv_python(&venv))
        .args([
            "-c",
            "import alpha, beta, gamma, delta, epsilon, sys; print(sys.prefix)",
        ])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(ok(&probe), venv.display().to_string());
    let activated = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}/bin/activate' && python -c 'import alpha; print(alpha.VERSION)' && run-it",
            venv.display()
        ))
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_eq!(ok(&activated), "1.0\nrun-it");
    // Nothing in bin/ or pyvenv.cfg still names the staging dir.
    for entry in fs::read_dir(venv.join("bin")).unwrap().flatten() {
        if let Ok(text) = fs::read_to_string(entry.path()) {
            assert!(!text.contains("/.swrt/tmp/"), "{}", entry.path().display());
        }
    }

    // files: modes kept, directories copied.
    let mode = fs::metadata(venv.join("bin/run-it"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o750);
    assert_eq!(
        fs::read_to_string(venv.join("share/data/nested/x.txt")).unwrap(),
        "x\n"
    );
    // commands: ran, with the env activated.
    assert!(fs::read_to_string(&p.marker).unwrap().contains("/venv"));

    // The lock: header + the freeze without local wheels.
    let bundle = bundle_of(&env, &name, &version);
    let lock = bundle_member(
        &bundle,
        "dependencies/.starwhale/lock/requirements-sw-lock.txt",
    )
    .unwrap();
    assert_eq!(
        lock,
        format!(
            "# Generated by swrt ({}) Runtime Lock\n{LOCK}",
            env!("CARGO_PKG_VERSION")
        )
    );

    // The manifest.
    let manifest: serde_yaml::Value =
        serde_yaml::from_str(&bundle_member(&bundle, "_manifest.yaml").unwrap()).unwrap();
    assert_eq!(manifest["version"].as_str(), Some(version.as_str()));
    assert_eq!(manifest["environment"]["mode"].as_str(), Some("venv"));
    assert_eq!(manifest["environment"]["python"].as_str(), Some("3.11"));
    assert_eq!(
        manifest["environment"]["lock"]["files"][0].as_str(),
        Some(".starwhale/lock/requirements-sw-lock.txt")
    );
    let kinds: Vec<&str> = manifest["dependencies"]["raw_deps"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["pip_req_file", "pip_pkg", "wheel", "native_file", "command"]
    );
    assert_eq!(
        manifest["artifacts"]["wheels"][0].as_str(),
        Some("wheels/wheels/sub/delta-0.5-py3-none-any.whl")
    );
    assert_eq!(manifest["swrt"]["backend"].as_str(), Some(backend));
    let members = bundle_members(&bundle);
    for m in [
        "runtime.yaml",
        "dependencies/requirements.txt",
        "wheels/wheels/sub/delta-0.5-py3-none-any.whl",
        "files/scripts/run.sh",
        "files/data/nested/x.txt",
    ] {
        assert!(
            members.iter().any(|x| x == m),
            "{m} missing from {members:?}"
        );
    }

    // Tags: v0, latest and the user's.
    let index = tag_index(&env, &name);
    for tag in ["v0", "latest", "first"] {
        assert_eq!(index["tags"][tag].as_str(), Some(version.as_str()), "{tag}");
    }
    // The log is reachable by version.
    let log = env
        .root
        .join(".swrt/logs")
        .join(&name)
        .join(format!("{version}.log"));
    assert!(fs::read_to_string(log).unwrap().contains("step: lock"));
    assert_no_staging_left(&env);
    let _ = p.index;
}

#[test]
fn commands_are_skipped_without_the_flag_and_rebuilds_are_stable() {
    let env = TestEnv::new();
    let p = project(&env, "stable");
    let yaml = p.dir.join("runtime.yaml");
    let out = build(&env, &["-y", yaml.to_str().unwrap()]);
    let v1 = ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("skipped: command"), "{stderr}");
    assert!(!p.marker.exists(), "the command ran without --run-commands");

    // Unchanged inputs: nothing is built or created.
    let before = store_snapshot(&env);
    let out = build(&env, &["-y", yaml.to_str().unwrap()]);
    assert_eq!(ok(&out), v1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("up to date"));
    assert_eq!(store_snapshot(&env), before);

    // A full rebuild of the same inputs yields the same version and no vN.
    let out = build(&env, &["-y", yaml.to_str().unwrap(), "--no-cache"]);
    assert_eq!(ok(&out), v1);
    let index = tag_index(&env, "stable");
    assert_eq!(index["tags"]["v0"].as_str(), Some(v1.as_str()));
    assert!(index["tags"]["v1"].is_null());
    assert_no_staging_left(&env);

    // A changed input is a new version with the next vN.
    fs::write(p.dir.join("data/nested/x.txt"), "changed\n").unwrap();
    let v2 = ok(&build(&env, &["-y", yaml.to_str().unwrap()]));
    assert_ne!(v2, v1);
    let index = tag_index(&env, "stable");
    assert_eq!(index["tags"]["v1"].as_str(), Some(v2.as_str()));
    assert_eq!(index["tags"]["latest"].as_str(), Some(v2.as_str()));
}

#[test]
fn a_bad_requirement_names_step_command_and_output_and_changes_nothing() {
    let env = TestEnv::new();
    let p = project(&env, "bad");
    let yaml = p.dir.join("runtime.yaml");
    ok(&build(&env, &["-y", yaml.to_str().unwrap()]));
    let text = fs::read_to_string(&yaml).unwrap();
    fs::write(&yaml, text.replace("- epsilon\n", "- nosuchpkg==9.9\n")).unwrap();
    let before = store_snapshot(&env);
    let out = build(&env, &["-y", yaml.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("step `dependencies[1] pip_pkg"), "{stderr}");
    assert!(stderr.contains("install"), "{stderr}");
    assert!(stderr.contains("nosuchpkg"), "{stderr}");
    assert!(stderr.contains("last output:"), "{stderr}");
    assert_eq!(store_snapshot(&env), before);
    assert_no_staging_left(&env);
}

#[test]
fn a_missing_interpreter_is_a_clear_user_error() {
    let env = TestEnv::new();
    let dir = env.path("py39");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("runtime.yaml"),
        "name: py39\nenvironment:\n  python: \"3.9\"\ndependencies:\n  - pip:\n      - six\n",
    )
    .unwrap();
    // A PATH with only the system's python3.11 and no uv.
    let out = env
        .swrt()
        .env("PATH", "/usr/bin:/bin")
        .args(["build", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("3.9"), "{stderr}");
    assert!(!env.root.join("self").exists());
}

/// A runtime whose command blocks until `release` is written to a fifo,
/// after touching `started`.
fn blocking_project(env: &TestEnv, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = env.path(name);
    fs::create_dir_all(&dir).unwrap();
    let fifo = env.path(&format!("{name}.fifo"));
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let started = env.path(&format!("{name}.started"));
    fs::write(
        dir.join("runtime.yaml"),
        format!(
            "name: {name}\nenvironment:\n  python: \"3.11\"\ndependencies:\n  - commands:\n      - echo $$ > {started}; cat {fifo} > /dev/null\n",
            started = started.display(),
            fifo = fifo.display()
        ),
    )
    .unwrap();
    (dir, fifo, started)
}

fn pid_alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.contains(") Z "),
        Err(_) => false,
    }
}

#[test]
fn sigint_during_a_step_kills_the_child_and_leaves_the_store_unchanged() {
    let env = TestEnv::new();
    let (dir, _fifo, started) = blocking_project(&env, "slow");
    let before = store_snapshot(&env);
    let child = env
        .swrt()
        .args(["build", dir.to_str().unwrap(), "--run-commands"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(60, "the command to start", || {
        fs::read_to_string(&started).is_ok_and(|s| !s.trim().is_empty())
    });
    let shell_pid: i32 = fs::read_to_string(&started)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pid_alive(shell_pid));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("cancelled"));
    wait_until(10, "the command's shell to die", || !pid_alive(shell_pid));
    assert_eq!(store_snapshot(&env), before);
    assert_no_staging_left(&env);
    // Only the log remains, and it has the command's start.
    let logs = env.root.join(".swrt/logs/slow");
    assert_eq!(fs::read_dir(logs).unwrap().count(), 1);
}

#[test]
fn a_second_build_waits_for_the_first_or_fails_with_no_wait() {
    let env = TestEnv::new();
    let (dir, fifo, started) = blocking_project(&env, "busy");
    let first = env
        .swrt()
        .args(["build", dir.to_str().unwrap(), "--run-commands"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(60, "the first build's command", || started.exists());

    let before = store_snapshot(&env);
    let out = env
        .swrt()
        .args([
            "build",
            dir.to_str().unwrap(),
            "--run-commands",
            "--no-wait",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("another build of `busy` is running"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(store_snapshot(&env), before);

    // Without --no-wait the second build queues behind the first.
    let mut second = env
        .swrt()
        .args(["build", dir.to_str().unwrap(), "--run-commands"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(second.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "second build ended early: {seen}"
        );
        seen.push_str(&line);
        if line.contains("wait for lock") {
            break;
        }
    }
    fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .unwrap()
        .write_all(b"go\n")
        .unwrap();
    let v1 = ok(&first.wait_with_output().unwrap());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    let status = second.wait().unwrap();
    assert!(status.success(), "{seen}{rest}");
    let mut v2 = String::new();
    std::io::Read::read_to_string(second.stdout.as_mut().unwrap(), &mut v2).unwrap();
    // Same inputs: the queued build finds the first one's result.
    assert_eq!(v2.trim(), v1);
    assert!(rest.contains("up to date"), "{rest}");
}

#[test]
fn lock_writes_the_lock_next_to_the_spec_without_touching_the_store() {
    let env = TestEnv::new();
    let p = project(&env, "locked");
    let out = env
        .swrt()
        .args(["lock", p.dir.to_str().unwrap()])
        .output()
        .unwrap();
    let path = ok(&out);
    let expected = format!(
        "# Generated by swrt ({}) Runtime Lock\n{LOCK}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(
        Path::new(&path),
        p.dir.join(".starwhale/lock/requirements-sw-lock.txt")
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), expected);
    let out = env
        .swrt()
        .args([
            "lock",
            p.dir.to_str().unwrap(),
            "--stdout",
            "--backend",
            "pip",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
    assert!(!env.root.join("self").exists());
    assert!(!p.marker.exists(), "lock never runs commands");
}

#[test]
fn sw_pypi_index_url_overrides_the_spec() {
    let env = TestEnv::new();
    let p = project(&env, "override");
    let dir = env.path("override-only");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("runtime.yaml"),
        "name: override\nenvironment:\n  python: \"3.11\"\ndependencies:\n  - pip:\n      - gamma\n",
    )
    .unwrap();
    let index_url = format!("file://{}", p.index.display());
    let out = env
        .swrt()
        .env("SW_PYPI_INDEX_URL", &index_url)
        .args(["build", dir.to_str().unwrap(), "-v"])
        .output()
        .unwrap();
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("--index-url {index_url}")),
        "{stderr}"
    );
}

#[test]
fn the_readme_example_builds_offline() {
    let env = TestEnv::new();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/hello");
    let out = env
        .swrt()
        .args(["build", example.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(json["name"], "hello");
    assert_eq!(json["tags"], serde_json::json!(["v0", "latest"]));
    let venv = PathBuf::from(json["env"].as_str().unwrap());
    let hello = Command::new("bash")
        .arg("-c")
        .arg(format!("source '{}/bin/activate' && hello", venv.display()))
        .output()
        .unwrap();
    assert_eq!(ok(&hello), "hello, swrt");
}

#[test]
fn the_pipeline_serves_as_the_watchers_rebuild() {
    use swrt::build::rebuild::PipelineRebuild;
    use swrt::watch::{Rebuild, RebuildRequest, RebuildResult};
    let env = TestEnv::new();
    let example_dir = env.path("hello");
    let status = Command::new("cp")
        .arg("-r")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/hello"))
        .arg(&example_dir)
        .status()
        .unwrap();
    assert!(status.success());
    let example = example_dir.join("runtime.yaml");
    let rebuild = PipelineRebuild::new(swrt::paths::Paths {
        root: env.root.clone(),
        project: "self".to_owned(),
        cache: env.cache.clone(),
    });
    let request = RebuildRequest {
        spec: example,
        name: "hello".to_owned(),
    };
    let lines = std::sync::Mutex::new(Vec::new());
    let progress = |l: String| lines.lock().unwrap().push(l);
    let cancel = tokio_util::sync::CancellationToken::new();
    let first = rebuild.rebuild(&request, &cancel, &progress);
    let RebuildResult::Built { name, version } = first else {
        panic!("{first:?}");
    };
    assert_eq!(name, "hello");
    assert!(lines.lock().unwrap().iter().any(|l| l == "==> lock"));
    let again = rebuild.rebuild(&request, &cancel, &progress);
    assert_eq!(again, RebuildResult::UpToDate { name, version });
    // A changed input with the token already cancelled: nothing is built.
    fs::write(
        example_dir.join("scripts/hello.sh"),
        "#!/bin/sh\necho changed\n",
    )
    .unwrap();
    cancel.cancel();
    assert_eq!(
        rebuild.rebuild(&request, &cancel, &progress),
        RebuildResult::Cancelled
    );
}
