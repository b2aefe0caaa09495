//! The store commands end to end, through the real binary: list, history,
//! info, tag, remove, recover, gc, extract, export, import, locking across
//! processes, and a store shared with swcli in both directions.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: helpers panic on setup failures

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::*;
use serde_json::Value;
use swrt::store::Store;

/// The binary in a hermetic environment: temp HOME, store and cache in `tmp`.
fn swrt(tmp: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_swrt"));
    c.env_clear()
        .env("HOME", tmp.join("home"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("SWRT_ROOT", tmp.join("root"))
        .env("SWRT_CACHE_DIR", tmp.join("cache"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    c
}

fn run(tmp: &Path, args: &[&str]) -> Output {
    swrt(tmp).args(args).output().unwrap()
}

fn ok(tmp: &Path, args: &[&str]) -> String {
    let out = run(tmp, args);
    assert!(
        out.status.success(),
        "swrt {args:?} failed ({:?}):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(tmp: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(tmp, &all)).unwrap()
}

/// Runs and expects exit code 1 (a user error); returns stderr.
fn user_error(tmp: &Path, args: &[&str]) -> String {
    let out = run(tmp, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "swrt {args:?}: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

fn store(tmp: &Path) -> Store {
    Store::open(&store_paths(tmp))
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

#[test]
fn list_history_info() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let out = run(t, &["list"]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no runtimes"));

    let s = store(t);
    let a = add_small_version(&s, "demo", "a", &[]);
    let b = add_small_version(&s, "demo", "b", &["gpu"]);
    let c = add_small_version(&s, "zeta", "c", &[]);

    let table = ok(t, &["list"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    assert!(
        lines[0].starts_with("NAME")
            && lines[0].contains("VERSION  ")
            && lines[0].ends_with("CREATED")
    );
    assert!(table.contains(&b.version[..12]) && !table.contains(&b.version));
    assert!(table.contains("v1,latest,gpu"), "{table}");
    assert!(ok(t, &["list", "--fullname"]).contains(&b.version));

    let rows = json(t, &["list"]);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        keys(&rows[0]),
        [
            "built_by",
            "created_at",
            "mode",
            "name",
            "path",
            "python",
            "removed",
            "size",
            "tags",
            "version"
        ]
    );
    // Newest first.
    let order: Vec<&str> = rows
        .iter()
        .map(|r| r["version"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [c.version.as_str(), b.version.as_str(), a.version.as_str()]
    );
    assert_eq!(rows[1]["mode"], "venv");
    assert_eq!(rows[1]["python"], "3.11");
    assert_eq!(rows[1]["built_by"], "swrt");

    let only = json(t, &["list", "--filter", "name=ze"]);
    assert_eq!(only.as_array().unwrap().len(), 1);
    let latest = json(t, &["list", "--filter", "latest"]);
    assert_eq!(latest.as_array().unwrap().len(), 2);
    let stderr = user_error(t, &["list", "--filter", "owner=me"]);
    assert!(stderr.contains("hint: filters are"), "{stderr}");

    let hist = json(t, &["history", "demo"]);
    let hist: Vec<&str> = hist
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["version"].as_str().unwrap())
        .collect();
    assert_eq!(hist, [b.version.as_str(), a.version.as_str()]);
    assert!(
        ok(t, &["history", "demo"])
            .lines()
            .next()
            .unwrap()
            .starts_with("VERSION")
    );

    let basic = ok(t, &["info", "demo"]);
    assert!(
        basic.contains(&format!("version:     {}", b.version)),
        "{basic}"
    );
    assert!(basic.contains("tags:        v1, latest, gpu"), "{basic}");
    assert!(basic.contains("(not extracted)"));
    let yaml = ok(t, &["info", "demo:v0", "--output-filter", "runtime_yaml"]);
    assert!(yaml.starts_with("name: demo\n"));
    let lock = ok(
        t,
        &[
            "info",
            &format!("demo:{}", &a.version[..6]),
            "--output-filter",
            "lock",
        ],
    );
    assert!(
        lock.starts_with("#lock file: requirements-sw-lock.txt\n# generated by swrt tests"),
        "{lock}"
    );
    assert!(lock.contains("# seed a"));
    let manifest = ok(t, &["info", "demo", "--output-filter", "manifest"]);
    assert!(manifest.contains(&format!("version: {}", b.version)));
    let all = ok(t, &["info", "demo", "--output-filter", "all"]);
    for h in ["# basic", "# runtime.yaml", "# _manifest.yaml", "# lock"] {
        assert!(all.contains(h), "{h}");
    }
    let j = json(t, &["info", "demo"]);
    assert_eq!(keys(&j), ["basic"]);
    assert_eq!(
        j["basic"]["uri"],
        format!("local/project/self/runtime/demo/version/{}", b.version)
    );
    let j = json(t, &["info", "demo", "--output-filter", "all"]);
    assert_eq!(keys(&j), ["basic", "lock", "manifest", "runtime_yaml"]);
    assert_eq!(j["manifest"]["environment"]["mode"], "venv");
    assert!(
        j["lock"]["requirements-sw-lock.txt"]
            .as_str()
            .unwrap()
            .contains("six==1.16.0")
    );
    // After extraction, info reads the workdir and says so.
    ok(t, &["extract", "demo"]);
    assert!(
        json(t, &["info", "demo"])["basic"]["extracted"]
            .as_bool()
            .unwrap()
    );

    let stderr = user_error(t, &["info", "nope"]);
    assert!(
        stderr.contains("no runtime named `nope`")
            && stderr.contains("hint: runtimes in this store: demo, zeta"),
        "{stderr}"
    );
    let stderr = user_error(t, &["info", "demo:zz"]);
    assert!(stderr.contains("at least 4 characters"), "{stderr}");
    let stderr = user_error(t, &["info", "1bad"]);
    assert!(stderr.contains("not a valid runtime name"), "{stderr}");
}

#[test]
fn tag_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let s = store(t);
    let a = add_small_version(&s, "demo", "a", &[]);
    let b = add_small_version(&s, "demo", "b", &[]);
    assert_eq!(ok(t, &["tag", "demo"]), "v1\nlatest\n");
    ok(t, &["tag", "demo:v0", "stable", "prod"]);
    assert_eq!(ok(t, &["tag", "demo:v0"]), "v0\nprod\nstable\n");
    let j = json(t, &["tag", "demo", "stable"]);
    assert_eq!(j["version"], b.version.as_str());
    assert_eq!(j["tags"], serde_json::json!(["v1", "latest", "stable"]));
    assert_eq!(
        ok(t, &["tag", &format!("demo:{}", &a.version[..8])]),
        "v0\nprod\n"
    );
    let stderr = user_error(t, &["tag", "demo", "latest"]);
    assert!(stderr.contains("invalid tag `latest`"), "{stderr}");
    user_error(t, &["tag", "demo", "v9"]);
    user_error(t, &["tag", "demo", "9lives"]);
    // -q skips bad tags and keeps the good ones.
    ok(t, &["-q", "tag", "demo", "9lives", "good"]);
    assert_eq!(ok(t, &["tag", "demo"]), "v1\nlatest\ngood\nstable\n");
    ok(t, &["tag", "-r", "demo", "stable", "prod"]);
    assert_eq!(ok(t, &["tag", "demo:v0"]), "v0\n");
    let stderr = user_error(t, &["tag", "-r", "demo", "stable"]);
    assert!(stderr.contains("has no tag `stable`"), "{stderr}");
    ok(t, &["-q", "tag", "-r", "demo", "stable", "good"]);
    assert_eq!(ok(t, &["tag", "demo"]), "v1\nlatest\n");
    let stderr = user_error(t, &["tag", "-r", "demo", "latest"]);
    assert!(stderr.contains("managed by the store"), "{stderr}");
    // The index stays swcli's format.
    let idx = fs::read_to_string(t.join("root/self/runtime/demo/_manifest.yaml")).unwrap();
    assert!(
        idx.starts_with("fast_tag_seq: 1\nname: demo\ntags:\n"),
        "{idx}"
    );
}

#[test]
fn remove_recover_gc_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let s = store(t);
    let a = add_small_version(&s, "demo", "a", &["stable"]);
    let b = add_small_version(&s, "demo", "b", &[]);
    let gen0 = s.generation();

    let j = json(t, &["remove", "--yes", "demo:v1"]);
    assert_eq!(j["versions"], serde_json::json!([b.version]));
    assert_eq!(j["tags"], serde_json::json!(["v1", "latest"]));
    assert_eq!(j["forced"], false);
    assert!(s.generation() > gen0);
    let rows = json(t, &["list", "--show-removed"]);
    let removed: Vec<bool> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["removed"].as_bool().unwrap())
        .collect();
    assert_eq!(removed.iter().filter(|r| **r).count(), 1);
    assert!(
        ok(t, &["list", "--show-removed"])
            .lines()
            .next()
            .unwrap()
            .ends_with("REMOVED")
    );
    let stderr = user_error(t, &["info", "demo"]);
    assert!(stderr.contains("no tag or version `latest`"), "{stderr}");

    let out = run(t, &["recover", &format!("demo:{}", &b.version[..6])]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("tags given back: v1, latest"));
    assert_eq!(
        json(t, &["info", "demo"])["basic"]["version"],
        b.version.as_str()
    );

    // Whole runtime, then recover everything.
    let j = json(t, &["remove", "-y", "demo"]);
    assert_eq!(j["versions"].as_array().unwrap().len(), 2);
    user_error(t, &["info", "demo:stable"]);
    let j = json(t, &["recover", "demo"]);
    assert_eq!(j["versions"].as_array().unwrap().len(), 2);
    assert_eq!(
        json(t, &["info", "demo:stable"])["basic"]["version"],
        a.version.as_str()
    );
    let stderr = user_error(t, &["recover", "demo"]);
    assert!(stderr.contains("nothing of `demo` is removed"), "{stderr}");

    // gc: dry run lists, the real one deletes.
    ok(t, &["remove", "--yes", "demo:v0"]);
    let dry = json(t, &["gc", "--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    assert!(
        dry["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "bundle")
    );
    assert!(s.recover_bundle_path("demo", &a.version).exists());
    let done = json(t, &["gc"]);
    assert!(done["bytes"].as_u64().unwrap() > 0);
    assert!(!s.recover_bundle_path("demo", &a.version).exists());
    let out = run(t, &["gc"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to collect"));
    user_error(t, &["recover", &format!("demo:{}", &a.version[..8])]);

    // --force deletes at once.
    ok(t, &["remove", "--yes", "--force", "demo"]);
    assert!(
        !t.join("root/self/runtime/.recover/demo").exists()
            || s.versions("demo", true).unwrap().is_empty()
    );
    user_error(t, &["remove", "--yes", "demo"]);
}

#[test]
fn extract_export_import() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let s = store(t);
    let a = add_small_version(&s, "demo", "a", &["stable"]);
    let wd = ok(t, &["extract", "demo"]);
    assert_eq!(PathBuf::from(wd.trim()), s.workdir("demo", &a.version));
    assert!(s.workdir("demo", &a.version).join("runtime.yaml").is_file());
    let j = json(t, &["extract", "demo"]);
    assert_eq!(j["extracted"], false, "an extracted workdir is left alone");
    let target = t.join("elsewhere");
    let j = json(
        t,
        &[
            "extract",
            "demo:stable",
            "--target-dir",
            target.to_str().unwrap(),
        ],
    );
    assert_eq!(
        (j["extracted"].as_bool(), j["verified"].as_bool()),
        (Some(true), Some(true))
    );
    assert!(target.join("dependencies/requirements.txt").is_file());
    user_error(
        t,
        &["extract", "demo", "--target-dir", target.to_str().unwrap()],
    );
    ok(
        t,
        &[
            "extract",
            "demo",
            "--target-dir",
            target.to_str().unwrap(),
            "--force",
        ],
    );

    let file = t.join("demo.swrt");
    let j = json(t, &["export", "demo", "-o", file.to_str().unwrap()]);
    assert_eq!(
        j["size"].as_u64().unwrap(),
        fs::metadata(&file).unwrap().len()
    );
    assert_eq!(
        fs::read(&file).unwrap(),
        fs::read(s.bundle_path("demo", &a.version)).unwrap()
    );
    user_error(t, &["export", "demo", "-o", file.to_str().unwrap()]);

    // Into another machine's store.
    let other = tempfile::tempdir().unwrap();
    let o = other.path();
    let printed = ok(o, &["import", file.to_str().unwrap()]);
    assert_eq!(printed.trim(), format!("demo:{}", a.version));
    let j = json(o, &["info", "demo"]);
    assert_eq!(j["basic"]["tags"], serde_json::json!(["v0", "latest"]));
    assert_eq!(j["basic"]["extracted"], true);
    let j = json(
        o,
        &[
            "import",
            file.to_str().unwrap(),
            "-n",
            "copy",
            "-t",
            "shared",
        ],
    );
    assert_eq!(
        (j["name"].as_str(), j["created"].as_bool()),
        (Some("copy"), Some(true))
    );
    assert_eq!(j["tags"], serde_json::json!(["v0", "latest", "shared"]));
    let j = json(o, &["import", file.to_str().unwrap()]);
    assert_eq!(j["created"], false, "the same version again adds nothing");

    // A tampered file is refused and adds nothing.
    let evil = t.join("evil.swrt");
    let mut bytes = fs::read(&file).unwrap();
    let pos = bytes.windows(4).position(|w| w == b"six\n").unwrap();
    bytes[pos] = b'S';
    fs::write(&evil, &bytes).unwrap();
    let stderr = user_error(o, &["import", evil.to_str().unwrap(), "-n", "evil"]);
    assert!(
        stderr.contains("does not match the manifest's digest"),
        "{stderr}"
    );
    user_error(o, &["info", "evil"]);
    assert!(
        fs::read_dir(o.join("root/.swrt/tmp"))
            .unwrap()
            .next()
            .is_none(),
        "staging cleaned"
    );
}

#[test]
fn store_lock_across_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let s = store(t);
    add_small_version(&s, "demo", "a", &[]);
    let held = s.lock().unwrap();
    let stderr = user_error(t, &["tag", "--no-wait", "demo", "x"]);
    assert!(stderr.contains("the store is busy"), "{stderr}");
    // Without --no-wait it waits, says so, and finishes once released.
    let mut child = swrt(t)
        .args(["tag", "demo", "x"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("waiting for another swrt"), "{first}");
    assert_eq!(
        s.tag_index("demo").unwrap().version_of("x"),
        None,
        "nothing done while waiting"
    );
    drop(held);
    let status = child.wait().unwrap();
    assert!(status.success());
    assert!(s.tag_index("demo").unwrap().version_of("x").is_some());
}

// ---- a store shared with swcli ---------------------------------------------------

fn swcli_cmd(home: &Path) -> Option<Command> {
    let bin = swcli()?;
    let mut c = Command::new(bin);
    c.env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null());
    Some(c)
}

#[test]
fn swcli_reads_what_swrt_stores() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    fs::create_dir_all(&home).unwrap();
    let Some(_) = swcli_cmd(&home) else {
        eprintln!("skipped: swcli not found (set SWRT_TEST_SWCLI)");
        return;
    };
    let paths = swrt::paths::Paths {
        root: home.join(".starwhale"),
        project: "self".to_owned(),
        cache: tmp.path().join("cache"),
    };
    let s = Store::open(&paths);
    let a = add_small_version(&s, "demo", "a", &["stable"]);
    let out = swcli_cmd(&home)
        .unwrap()
        .args(["-o", "json", "runtime", "list"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&a.version) && text.contains("stable"),
        "{text}"
    );
    let out = swcli_cmd(&home)
        .unwrap()
        .args(["runtime", "info", "demo/version/stable", "-of", "lock"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("six==1.16.0"), "swcli reads our lock: {text}");
    let target = tmp.path().join("by-swcli");
    let out = swcli_cmd(&home)
        .unwrap()
        .args([
            "runtime",
            "extract",
            "demo",
            "--target-dir",
            target.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs::read_to_string(target.join("dependencies/requirements.txt")).unwrap(),
        "six\n"
    );
    // swcli tags it; swrt sees the tag.
    let out = swcli_cmd(&home)
        .unwrap()
        .args(["runtime", "tag", "demo", "from-swcli"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        s.tag_index("demo").unwrap().version_of("from-swcli"),
        Some(a.version.as_str())
    );
}

#[test]
fn swrt_reads_what_swcli_builds() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    fs::create_dir_all(&home).unwrap();
    let Some(mut build) = swcli_cmd(&home) else {
        eprintln!("skipped: swcli not found (set SWRT_TEST_SWCLI)");
        return;
    };
    let project = tmp.path().join("proj");
    fs::create_dir_all(project.join("scripts")).unwrap();
    let py = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')",
        ])
        .output()
        .unwrap();
    let py = String::from_utf8(py.stdout).unwrap().trim().to_owned();
    fs::write(
        project.join("runtime.yaml"),
        format!("name: fromswcli\nmode: venv\nenvironment:\n  python: \"{py}\"\ndependencies:\n  - files:\n      - src: scripts/hi.sh\n        dest: bin/hi.sh\n"),
    )
    .unwrap();
    fs::write(project.join("scripts/hi.sh"), "#!/bin/sh\necho hi\n").unwrap();
    let out = build
        .current_dir(&project)
        .args(["runtime", "build", "-y", "runtime.yaml"])
        .output()
        .unwrap();
    if !out.status.success() {
        // swcli's venv build needs its own tooling; without it there is
        // nothing to read.
        eprintln!(
            "skipped: swcli could not build here: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let t = tmp.path();
    let env_swrt = |args: &[&str]| {
        let out = swrt(t)
            .env("SWRT_ROOT", home.join(".starwhale"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "swrt {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let rows: Value = serde_json::from_str(&env_swrt(&["--json", "list"])).unwrap();
    let row = &rows.as_array().unwrap()[0];
    assert_eq!(row["name"], "fromswcli");
    assert_eq!(row["built_by"], "swcli");
    assert_eq!(row["python"], py.as_str());
    assert_eq!(row["tags"], serde_json::json!(["v0", "latest"]));
    let lock = env_swrt(&["info", "fromswcli", "--output-filter", "lock"]);
    assert!(
        lock.starts_with("#lock file: requirements-sw-lock.txt"),
        "{lock}"
    );
    let target = t.join("x");
    env_swrt(&[
        "extract",
        "fromswcli",
        "--target-dir",
        target.to_str().unwrap(),
    ]);
    assert!(target.join("files/scripts/hi.sh").is_file());
    env_swrt(&["tag", "fromswcli", "mine"]);
    env_swrt(&["remove", "--yes", "fromswcli"]);
    env_swrt(&["recover", "fromswcli"]);
    let out = swcli_cmd(&home)
        .unwrap()
        .args(["-o", "json", "runtime", "list"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("mine"),
        "swcli sees swrt's tag after remove and recover: {text}"
    );
}
