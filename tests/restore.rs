//! `swrt restore` and `swrt run` end to end: envs rebuilt from bundles built
//! by the real binary (or laid out as swcli 0.6.15 writes them), offline,
//! verified against the lock.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use rstest::rstest;

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "swrt failed: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .trim()
        .to_owned()
}

/// A project whose packages come from a file index (`configs.pip`), plus a
/// sub-folder wheel, a file and a command.
struct Project {
    dir: PathBuf,
    index: PathBuf,
    marker: PathBuf,
}

fn project(env: &TestEnv, name: &str) -> Project {
    let dir = env.path(name);
    let src = env.path("index-src");
    let alpha = write_wheel(&src, "alpha", "1.0", &["beta==2.0"]);
    let beta = write_wheel(&src, "beta", "2.0", &[]);
    let gamma = write_wheel(&src, "gamma", "1.0", &[]);
    let index = env.path("index");
    if !index.exists() {
        write_simple_index(&index, &[alpha, beta, gamma]);
    }
    write_wheel(&dir.join("wheels/sub"), "delta", "0.5", &[]);
    fs::create_dir_all(dir.join("scripts")).unwrap();
    fs::write(dir.join("scripts/tool.sh"), "#!/bin/sh\necho tool\n").unwrap();
    fs::set_permissions(
        dir.join("scripts/tool.sh"),
        fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    fs::write(dir.join("requirements.txt"), "alpha==1.0\n").unwrap();
    let marker = env.path(&format!("{name}.marker"));
    fs::write(
        dir.join("runtime.yaml"),
        format!(
            r#"name: {name}
environment:
  python: "3.11"
configs:
  pip:
    index_url: file://{index}
dependencies:
  - requirements.txt
  - pip:
      - gamma
  - wheels:
      - wheels/sub/delta-0.5-py3-none-any.whl
  - files:
      - src: scripts/tool.sh
        dest: bin/tool
  - commands:
      - touch {marker}
"#,
            index = index.display(),
            marker = marker.display()
        ),
    )
    .unwrap();
    Project { dir, index, marker }
}

const LOCK_BODY: &str = "alpha==1.0\nbeta==2.0\ngamma==1.0\n";

fn build(env: &TestEnv, dir: &Path, extra: &[&str]) -> String {
    ok(&env
        .swrt()
        .arg("build")
        .arg(dir)
        .args(extra)
        .output()
        .unwrap())
}

/// The env's freeze by its own tool (pip's leaves pip itself out, as the
/// lock does), local wheel lines dropped, sorted.
fn frozen(env_dir: &Path) -> String {
    let out = if env_dir.join("bin/pip").exists() {
        Command::new(venv_python(env_dir))
            .args(["-m", "pip", "freeze"])
            .output()
            .unwrap()
    } else {
        Command::new("uv")
            .args(["pip", "freeze", "--python"])
            .arg(venv_python(env_dir))
            .output()
            .unwrap()
    };
    let text = ok(&out);
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.contains("@ file://")).collect();
    lines.sort();
    lines.join("\n") + "\n"
}

/// Untars a bundle into a directory, as a second machine receiving the
/// file would.
fn untar(bundle: &Path, dest: &Path) {
    fs::create_dir_all(dest).unwrap();
    let mut archive = tar::Archive::new(fs::File::open(bundle).unwrap());
    archive.unpack(dest).unwrap();
}

#[rstest]
#[case::uv("uv")]
#[case::pip("pip")]
fn a_second_machine_restores_offline_from_a_bundle_with_all_deps(#[case] backend: &str) {
    let first = TestEnv::new();
    let p = project(&first, "portable");
    let version = build(
        &first,
        &p.dir,
        &["--download-all-deps", "--backend", backend],
    );
    let bundle = first
        .root
        .join("self/runtime/portable")
        .join(&version[..2])
        .join(format!("{version}.swrt"));
    let members = bundle_members(&bundle);
    for w in ["alpha-1.0", "beta-2.0", "gamma-1.0"] {
        let want = format!("wheels/locked/{w}-py3-none-any.whl");
        assert!(members.contains(&want), "{want} not in {members:?}");
    }

    // The second machine: a fresh store, no index, no wheelhouse, no source.
    let second = TestEnv::new();
    let dir = second.path("received");
    untar(&bundle, &dir);
    fs::remove_dir_all(&p.index).unwrap();
    fs::remove_dir_all(&p.dir).unwrap();
    let out = second
        .swrt()
        .args(["restore", dir.to_str().unwrap(), "--backend", backend])
        .output()
        .unwrap();
    let env_dir = PathBuf::from(ok(&out));
    assert_eq!(env_dir, dir.join("export/venv"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("offline"));
    let lock =
        fs::read_to_string(dir.join("dependencies/.starwhale/lock/requirements-sw-lock.txt"))
            .unwrap();
    assert_eq!(
        lock.lines().skip(1).collect::<Vec<_>>().join("\n") + "\n",
        LOCK_BODY
    );
    assert_eq!(frozen(&env_dir), LOCK_BODY);
    assert_eq!(
        fs::read_to_string(env_dir.join(".runtime_restore_status")).unwrap(),
        "success"
    );
    let probe = Command::new(venv_python(&env_dir))
        .args(["-c", "import alpha, beta, gamma, delta"])
        .output()
        .unwrap();
    ok(&probe);
    assert!(env_dir.join("bin/tool").is_file());
    // Commands do not run at restore without the flag.
    assert!(!p.marker.exists());

    // Restoring again is a no-op.
    let out = second
        .swrt()
        .args(["restore", dir.to_str().unwrap()])
        .output()
        .unwrap();
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("already restored"));

    // The same through the store: export on the first machine, import on a
    // third, and `swrt run` restores on demand, still with no index.
    if backend != "uv" {
        return;
    }
    let third = TestEnv::new();
    let file = first.path("portable.swrt");
    ok(&first
        .swrt()
        .args(["export", "portable", "-o"])
        .arg(&file)
        .output()
        .unwrap());
    ok(&third.swrt().arg("import").arg(&file).output().unwrap());
    let out = third
        .swrt()
        .args([
            "run",
            "portable",
            "--",
            "python",
            "-c",
            "import alpha, gamma, delta, sys; print(sys.prefix)",
        ])
        .output()
        .unwrap();
    let prefix = PathBuf::from(ok(&out));
    assert!(prefix.starts_with(&third.root), "{}", prefix.display());
    assert_eq!(frozen(&prefix), LOCK_BODY);
}

#[test]
fn a_failed_restore_keeps_the_previous_env_and_commands_follow_sw_container() {
    let env = TestEnv::new();
    let p = project(&env, "keep");
    let version = build(&env, &p.dir, &[]);
    let env_dir = env
        .root
        .join("self/workdir/runtime/keep")
        .join(&version[..2])
        .join(&version)
        .join("export/venv");
    let before = tree_snapshot(&env_dir, &[]);
    // No index any more and no bundled wheels: the forced restore fails.
    fs::remove_dir_all(&p.index).unwrap();
    let out = env
        .swrt()
        .args(["restore", "keep", "--force"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("step `install lock` failed"), "{stderr}");
    assert_eq!(tree_snapshot(&env_dir, &[]), before);
    let leftovers: Vec<_> = fs::read_dir(env_dir.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("venv")]);

    // With the index back, SW_CONTAINER=1 runs the commands at restore.
    let p2 = project(&env, "keep2");
    assert!(p2.index.join("alpha/index.html").is_file());
    build(&env, &p2.dir, &[]);
    assert!(!p2.marker.exists());
    let out = env
        .swrt()
        .env("SW_CONTAINER", "1")
        .args(["restore", "keep2:v0", "--force"])
        .output()
        .unwrap();
    ok(&out);
    assert!(p2.marker.exists());
}

#[test]
fn a_swcli_bundle_without_lock_files_replays_its_raw_dependencies() {
    let env = TestEnv::new();
    let dir = env.path("swcli-bundle");
    let wheelhouse = env.path("wheelhouse");
    write_wheel(&wheelhouse, "alpha", "1.0", &["beta==2.0"]);
    write_wheel(&wheelhouse, "beta", "2.0", &[]);
    write_wheel(&dir.join("wheels/wheels"), "delta", "0.5", &[]);
    fs::create_dir_all(dir.join("dependencies")).unwrap();
    fs::write(
        dir.join("dependencies/requirements.txt"),
        format!("--no-index\n--find-links {}\nalpha\n", wheelhouse.display()),
    )
    .unwrap();
    fs::create_dir_all(dir.join("files/conf")).unwrap();
    fs::write(dir.join("files/conf/app.ini"), "[app]\n").unwrap();
    fs::write(dir.join("runtime.yaml"), "name: old\n").unwrap();
    // The shape swcli 0.6.15 writes with `--disable-env-lock`.
    fs::write(
        dir.join("_manifest.yaml"),
        r#"artifacts:
  dependencies:
  - dependencies/requirements.txt
  files: []
  runtime_yaml: runtime.yaml
  wheels:
  - wheels/wheels/delta-0.5-py3-none-any.whl
base_image: docker-registry.starwhale.cn/star-whale/base:0.3.4
configs:
  conda:
    channels:
    - conda-forge
    condarc: {}
  docker:
    image: ''
  pip:
    extra_index_url: ''
    index_url: ''
    trusted_host: ''
created_at: 2023-06-01 10:00:00 CST
dependencies:
  conda_files: []
  conda_pkgs: []
  local_packaged_env: false
  pip_files:
  - requirements.txt
  pip_pkgs: []
  raw_deps:
  - deps: requirements.txt
    kind: pip_req_file
  - deps:
    - wheels/delta-0.5-py3-none-any.whl
    kind: wheel
  - deps:
    - dest: etc/conf
      src: conf
    kind: native_file
  setup_requires: []
environment:
  arch:
  - noarch
  auto_lock_dependencies: false
  lock:
    env_name: ''
    env_prefix_path: ''
    env_use_shell: false
    files: []
    starwhale_version: 0.6.15
    system: Linux
  mode: venv
  python: '3.11'
version: gu4tgmrrmeztqmjrmuztqzlgmfswcnrv
"#,
    )
    .unwrap();
    let out = env
        .swrt()
        .args(["restore", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let env_dir = PathBuf::from(ok(&out));
    let probe = Command::new(venv_python(&env_dir))
        .args(["-c", "import alpha, beta, delta; print(alpha.VERSION)"])
        .output()
        .unwrap();
    assert_eq!(ok(&probe), "1.0");
    assert_eq!(
        fs::read_to_string(env_dir.join("etc/conf/app.ini")).unwrap(),
        "[app]\n"
    );
    // starwhale is never installed.
    assert!(!frozen(&env_dir).contains("starwhale"));
}

#[test]
fn run_passes_arguments_exactly_and_the_exit_code_through() {
    let env = TestEnv::new();
    let p = project(&env, "runner");
    build(&env, &p.dir, &[]);
    let cwd = env.path("work dir");
    fs::create_dir_all(&cwd).unwrap();
    let args = [
        "two words",
        "it's \"quoted\"",
        "$HOME and $(date)",
        "back\\slash",
        "",
    ];
    let out = env
        .swrt()
        .args(["run", "runner", "--cwd"])
        .arg(&cwd)
        .args([
            "--",
            "python",
            "-c",
            "import sys, os, alpha; print(repr(sys.argv[1:])); print(os.getcwd()); print(os.environ['VIRTUAL_ENV']); print(sys.prefix == os.environ['VIRTUAL_ENV'])",
        ])
        .args(args)
        .output()
        .unwrap();
    let text = ok(&out);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        r#"['two words', 'it\'s "quoted"', '$HOME and $(date)', 'back\\slash', '']"#
    );
    assert_eq!(lines.next().unwrap(), cwd.display().to_string());
    assert!(lines.next().unwrap().ends_with("/export/venv"));
    assert_eq!(lines.next().unwrap(), "True");

    let out = env
        .swrt()
        .args(["run", "runner", "--", "sh", "-c", "exit 42"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(42));
    let out = env
        .swrt()
        .args(["run", "runner", "--", "tool"])
        .output()
        .unwrap();
    assert_eq!(ok(&out), "tool");

    // A runtime whose env is gone is restored first.
    let env_dir = PathBuf::from(ok(&env
        .swrt()
        .args(["restore", "runner"])
        .output()
        .unwrap()));
    fs::remove_dir_all(&env_dir).unwrap();
    let out = env
        .swrt()
        .args([
            "run",
            "runner",
            "--",
            "python",
            "-c",
            "import gamma; print(gamma.VERSION)",
        ])
        .output()
        .unwrap();
    assert_eq!(ok(&out), "1.0");
    assert!(env_dir.join("pyvenv.cfg").is_file());
    let out = env
        .swrt()
        .args(["run", "nosuch", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
