//! Conda mode against real `file://` channels that the tests build
//! themselves: packages written with rattler_package_streaming, indexed by
//! writing `noarch/repodata.json` and `linux-64/repodata.json`.
//!
//! conda-forge cannot be reached from the test machine, so its `python`
//! package is stood in for by a conda package built here from
//! `python3 -m venv --copies --without-pip`: the copied interpreter,
//! `pyvenv.cfg` (pointing at the host's Python home for the standard
//! library) and the activate scripts, which carry the venv's path as a conda
//! prefix placeholder. Installed into a prefix, `<prefix>/bin/python` runs,
//! reports the prefix as `sys.prefix` and installs packages into
//! `<prefix>/lib/pythonX.Y/site-packages`, as conda-forge's python does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use common::{TestEnv, bundle_member, write_simple_index, write_wheel};
use serde_json::json;
use sha2::{Digest, Sha256};
use swrt::build::conda::{
    ChannelSettings, CondaEnvFile, CondaError, CondaRequest, create_env, install_locked,
    lock_from_prefix, read_prefix, relink_prefix, solve, verify_prefix,
};

/// One package of a test channel.
struct Pkg {
    name: &'static str,
    version: String,
    build: &'static str,
    subdir: &'static str,
    depends: Vec<String>,
    /// Relative path, bytes, executable, prefix placeholder.
    files: Vec<(String, Vec<u8>, bool, Option<String>)>,
}

impl Pkg {
    fn noarch(name: &'static str, version: &str, depends: &[&str]) -> Pkg {
        Pkg {
            name,
            version: version.to_owned(),
            build: "h0_0",
            subdir: "noarch",
            depends: depends.iter().map(|d| (*d).to_owned()).collect(),
            files: vec![(
                format!("share/{name}/VERSION"),
                version.as_bytes().to_vec(),
                false,
                None,
            )],
        }
    }

    fn file_name(&self) -> String {
        format!("{}-{}-{}.tar.bz2", self.name, self.version, self.build)
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Writes each package archive into `<channel>/<subdir>/` and indexes the
/// channel with a `repodata.json` per subdir (noarch and linux-64 always
/// exist, as conda requires).
fn write_channel(channel: &Path, pkgs: &[Pkg]) {
    let mut repodata: serde_json::Map<String, serde_json::Value> = serde_json::Map::new();
    for subdir in ["noarch", "linux-64"] {
        std::fs::create_dir_all(channel.join(subdir)).unwrap();
        repodata.insert(subdir.to_owned(), json!({}));
    }
    for pkg in pkgs {
        let staging = tempfile::tempdir().unwrap();
        let root = staging.path();
        let mut rel_paths = Vec::new();
        let mut paths_json = Vec::new();
        for (rel, bytes, exec, placeholder) in &pkg.files {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, bytes).unwrap();
            if *exec {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
            let mut entry = json!({
                "_path": rel,
                "path_type": "hardlink",
                "sha256": sha256_hex(bytes),
                "size_in_bytes": bytes.len(),
            });
            if let Some(ph) = placeholder {
                entry["prefix_placeholder"] = json!(ph);
                entry["file_mode"] = json!("text");
            }
            paths_json.push(entry);
            rel_paths.push(root.join(rel));
        }
        let mut index = json!({
            "name": pkg.name,
            "version": pkg.version,
            "build": pkg.build,
            "build_number": 0,
            "depends": pkg.depends,
            "subdir": pkg.subdir,
            "license": "MIT",
        });
        if pkg.subdir == "noarch" {
            index["noarch"] = json!("generic");
        } else {
            index["arch"] = json!("x86_64");
            index["platform"] = json!("linux");
        }
        std::fs::create_dir_all(root.join("info")).unwrap();
        std::fs::write(root.join("info/index.json"), index.to_string()).unwrap();
        std::fs::write(
            root.join("info/paths.json"),
            json!({"paths": paths_json, "paths_version": 1}).to_string(),
        )
        .unwrap();
        std::fs::write(
            root.join("info/files"),
            pkg.files
                .iter()
                .map(|f| format!("{}\n", f.0))
                .collect::<String>(),
        )
        .unwrap();
        for info in ["info/index.json", "info/paths.json", "info/files"] {
            rel_paths.push(root.join(info));
        }
        let archive = channel.join(pkg.subdir).join(pkg.file_name());
        let file = std::fs::File::create(&archive).unwrap();
        rattler_package_streaming::write::write_tar_bz2_package(
            file,
            root,
            &rel_paths,
            rattler_conda_types::compression_level::CompressionLevel::Numeric(1),
            None,
            None,
        )
        .unwrap();
        let bytes = std::fs::read(&archive).unwrap();
        let mut record = index.clone();
        record["sha256"] = json!(sha256_hex(&bytes));
        record["size"] = json!(bytes.len());
        repodata[pkg.subdir]
            .as_object_mut()
            .unwrap()
            .insert(pkg.file_name(), record);
    }
    for (subdir, packages) in repodata {
        let doc = json!({
            "info": {"subdir": subdir},
            "packages": packages,
            "packages.conda": {},
            "repodata_version": 1,
        });
        std::fs::write(
            channel.join(&subdir).join("repodata.json"),
            serde_json::to_string_pretty(&doc).unwrap(),
        )
        .unwrap();
    }
}

/// The host interpreter's `X.Y.Z`.
fn host_python_version() -> String {
    let out = Command::new("python3")
        .args(["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The python stand-in (see the module comment).
fn python_standin() -> Pkg {
    let version = host_python_version();
    let xy: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
    let tmp = tempfile::tempdir().unwrap();
    // A long, unique directory so it works as a prefix placeholder.
    let venv = tmp.path().join("swrt_python_standin_placeholder_prefix");
    let status = Command::new("python3")
        .args(["-m", "venv", "--copies", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(status.success());
    let placeholder = venv.to_string_lossy().into_owned();
    let mut files = Vec::new();
    for entry in walk(&venv) {
        let rel = entry
            .strip_prefix(&venv)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let meta = std::fs::symlink_metadata(&entry).unwrap();
        if !meta.is_file() {
            continue;
        }
        let bytes = std::fs::read(&entry).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let exec = meta.permissions().mode() & 0o111 != 0;
        let is_text = std::str::from_utf8(&bytes).is_ok();
        let has_placeholder = is_text && String::from_utf8_lossy(&bytes).contains(&placeholder);
        files.push((
            rel,
            bytes,
            exec,
            has_placeholder.then(|| placeholder.clone()),
        ));
    }
    files.push((
        format!("lib/python{xy}/site-packages/README.txt"),
        b"site-packages of the swrt python stand-in\n".to_vec(),
        false,
        None,
    ));
    Pkg {
        name: "python",
        version,
        build: "swrt_standin_0",
        subdir: "linux-64",
        depends: vec![],
        files,
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if std::fs::symlink_metadata(&path).unwrap().is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Every file under `dir` with its size and modification time.
fn listing(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut out: Vec<_> = walk(dir)
        .into_iter()
        .map(|p| {
            let m = std::fs::symlink_metadata(&p).unwrap();
            (p, m.len(), m.modified().unwrap())
        })
        .collect();
    out.sort();
    out
}

fn basic_packages() -> Vec<Pkg> {
    let mut pkga1 = Pkg::noarch("pkga", "1.0", &[]);
    pkga1.files.push((
        "share/pkga/where.txt".to_owned(),
        b"installed at /opt/swrt_test_placeholder_prefix_long_enough/share\n".to_vec(),
        false,
        Some("/opt/swrt_test_placeholder_prefix_long_enough".to_owned()),
    ));
    vec![
        pkga1,
        Pkg::noarch("pkga", "2.0", &[]),
        Pkg::noarch("pkgb", "1.0", &["pkga"]),
        Pkg::noarch("pkgd", "1.0", &["pkga >=2"]),
    ]
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn request(
    channels: &[String],
    python: Option<&str>,
    specs: &[&str],
    cache: &Path,
) -> CondaRequest {
    CondaRequest {
        env_name: "demo".to_owned(),
        python: python.map(str::to_owned),
        specs: specs.iter().map(|s| (*s).to_owned()).collect(),
        env_files: vec![],
        settings: ChannelSettings::new(channels, None, Path::new("/")).unwrap(),
        cache_dir: cache.to_path_buf(),
    }
}

fn versions(records: &[rattler_conda_types::RepoDataRecord]) -> Vec<String> {
    records
        .iter()
        .map(|r| {
            format!(
                "{}={}",
                r.package_record.name.as_normalized(),
                r.package_record.version
            )
        })
        .collect()
}

fn quiet(_: String) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn solver_picks_latest_unless_the_spec_bounds_it() {
    let tmp = tempfile::tempdir().unwrap();
    let chan = tmp.path().join("chan");
    write_channel(&chan, &basic_packages());
    let channels = vec![file_url(&chan)];
    let cache = tmp.path().join("cache");

    let latest = solve(&request(&channels, None, &["pkgb"], &cache), &quiet)
        .await
        .unwrap();
    assert_eq!(versions(&latest), ["pkga=2.0", "pkgb=1.0"]);

    let bounded = solve(
        &request(&channels, None, &["pkgb", "pkga<2"], &cache),
        &quiet,
    )
    .await
    .unwrap();
    assert_eq!(versions(&bounded), ["pkga=1.0", "pkgb=1.0"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsolvable_request_is_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let chan = tmp.path().join("chan");
    write_channel(&chan, &basic_packages());
    let channels = vec![file_url(&chan)];
    let err = solve(
        &request(&channels, None, &["pkgd", "pkga<2"], &tmp.path().join("c")),
        &quiet,
    )
    .await
    .unwrap_err();
    let CondaError::Unsolvable { explanation } = &err else {
        panic!("expected an unsolvable error, got {err:?}");
    };
    assert!(explanation.contains("pkgd"), "{explanation}");
    assert!(explanation.contains("pkga"), "{explanation}");
    assert!(err.hint().is_some());

    let err = solve(
        &request(&channels, None, &["nosuchpkg"], &tmp.path().join("c")),
        &quiet,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("nosuchpkg"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_channel_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-channel");
    let err = solve(
        &request(
            &[file_url(&missing)],
            None,
            &["pkga"],
            &tmp.path().join("c"),
        ),
        &quiet,
    )
    .await
    .unwrap_err();
    let CondaError::ChannelUnreachable { channel, .. } = &err else {
        panic!("expected an unreachable channel error, got {err:?}");
    };
    assert!(channel.contains("no-such-channel"), "{err}");

    // Nothing listens on port 9 of the loopback.
    let err = solve(
        &request(
            &["http://127.0.0.1:9/offline-chan".to_owned()],
            None,
            &["pkga"],
            &tmp.path().join("c"),
        ),
        &quiet,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, CondaError::ChannelUnreachable { channel, .. } if channel.contains("offline-chan")),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conda_yaml_brings_its_own_channel_and_pip_list() {
    let tmp = tempfile::tempdir().unwrap();
    let main_chan = tmp.path().join("main-chan");
    write_channel(&main_chan, &basic_packages());
    let extra_chan = tmp.path().join("proj/extra-chan");
    write_channel(&extra_chan, &[Pkg::noarch("pkgc", "0.3", &["pkga <2"])]);
    let yaml = tmp.path().join("proj/conda.yaml");
    std::fs::write(
        &yaml,
        "name: demo\nchannels:\n  - ./extra-chan\ndependencies:\n  - pkgc\n  - pip:\n    - six==1.16.0\n",
    )
    .unwrap();
    let env_file = CondaEnvFile::read(&yaml).unwrap();
    assert_eq!(env_file.pip, ["six==1.16.0"]);
    let mut req = request(
        &[file_url(&main_chan)],
        None,
        &["pkgb"],
        &tmp.path().join("c"),
    );
    req.env_files.push(env_file);
    let records = solve(&req, &quiet).await.unwrap();
    assert_eq!(versions(&records), ["pkga=1.0", "pkgb=1.0", "pkgc=0.3"]);
    let pkgc = records
        .iter()
        .find(|r| r.package_record.name.as_normalized() == "pkgc")
        .unwrap();
    assert!(pkgc.url.as_str().contains("extra-chan"), "{}", pkgc.url);
    assert_eq!(req.effective_settings().names().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_env_is_created_locked_and_restored_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let chan = tmp.path().join("chan");
    let python = python_standin();
    let py_version = python.version.clone();
    let xy: String = py_version.split('.').take(2).collect::<Vec<_>>().join(".");
    let mut pkgs = basic_packages();
    pkgs.push(python);
    write_channel(&chan, &pkgs);
    let cache = tmp.path().join("cache");
    let req = request(&[file_url(&chan)], Some(&xy), &["pkgb", "pkga<2"], &cache);

    let lines = Mutex::new(Vec::new());
    let progress = |line: String| lines.lock().unwrap().push(line);
    let prefix = tmp.path().join("env");
    let lock = create_env(&req, &prefix, None, &progress).await.unwrap();
    let lines = lines.into_inner().unwrap();
    assert!(
        lines.iter().any(|l| l.starts_with("conda: link python=")),
        "{lines:#?}"
    );

    let specs: Vec<String> = lock.packages.iter().map(|p| p.spec()).collect();
    assert_eq!(
        specs,
        [
            "pkga=1.0=h0_0".to_owned(),
            "pkgb=1.0=h0_0".to_owned(),
            format!("python={py_version}=swrt_standin_0"),
        ]
    );
    assert!(
        lock.packages
            .iter()
            .all(|p| p.sha256.as_ref().is_some_and(|s| s.len() == 64))
    );

    // The interpreter runs from the prefix and knows it is there.
    let out = Command::new(prefix.join("bin/python"))
        .args([
            "-c",
            "import sys, sysconfig; print(sys.prefix); print(sysconfig.get_paths()['purelib'])",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut it = stdout.lines();
    assert_eq!(Path::new(it.next().unwrap()), prefix);
    assert_eq!(
        Path::new(it.next().unwrap()),
        prefix.join(format!("lib/python{xy}/site-packages"))
    );
    // Prefix placeholders were replaced with the install prefix.
    let activate = std::fs::read_to_string(prefix.join("bin/activate")).unwrap();
    assert!(activate.contains(&*prefix.to_string_lossy()), "{activate}");
    let where_txt = std::fs::read_to_string(prefix.join("share/pkga/where.txt")).unwrap();
    assert_eq!(
        where_txt,
        format!("installed at {}/share\n", prefix.display())
    );

    // The prefix's own records agree with the lock, and reading them (as
    // `--conda-prefix` does) changes nothing in the prefix.
    let before = listing(&prefix);
    assert_eq!(read_prefix(&prefix).unwrap(), lock.packages);
    let from_prefix = lock_from_prefix("demo", &prefix).unwrap();
    assert_eq!(from_prefix.packages, lock.packages);
    assert_eq!(from_prefix.channels, [file_url(&chan)]);
    assert_eq!(listing(&prefix), before);
    verify_prefix(&prefix, &lock.packages).unwrap();
    let yaml = lock.to_env_export_yaml(&["six==1.16.0".to_owned()]);
    assert!(
        yaml.contains(&format!("- python={py_version}=swrt_standin_0\n")),
        "{yaml}"
    );
    assert!(yaml.contains("- pip:\n  - six==1.16.0\n"), "{yaml}");

    // Relinked for another place and moved there (as a build moves its
    // staging prefix into the store): the new location is written into the
    // packages' files, and files pip put there stay.
    let extra = prefix.join(format!("lib/python{xy}/site-packages/extra_module.py"));
    std::fs::write(&extra, "X = 1\n").unwrap();
    let moved = tmp.path().join("moved-env");
    relink_prefix(&prefix, Some(&moved), &req.settings, &cache, &quiet)
        .await
        .unwrap();
    std::fs::rename(&prefix, &moved).unwrap();
    let activate = std::fs::read_to_string(moved.join("bin/activate")).unwrap();
    assert!(activate.contains(&*moved.to_string_lossy()), "{activate}");
    assert!(!activate.contains(&*prefix.to_string_lossy()), "{activate}");
    let where_txt = std::fs::read_to_string(moved.join("share/pkga/where.txt")).unwrap();
    assert_eq!(
        where_txt,
        format!("installed at {}/share\n", moved.display())
    );
    assert!(
        moved
            .join(format!("lib/python{xy}/site-packages/extra_module.py"))
            .is_file()
    );
    let out = Command::new(moved.join("bin/python"))
        .args(["-c", "import sys, extra_module; print(sys.prefix)"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        Path::new(String::from_utf8(out.stdout).unwrap().trim()),
        moved
    );
    assert_eq!(read_prefix(&moved).unwrap(), lock.packages);

    // Restore from the lock alone into a fresh prefix: no solve, same records.
    let lock_json = serde_json::to_string(&lock).unwrap();
    let relocked: swrt::build::conda::CondaLock = serde_json::from_str(&lock_json).unwrap();
    let restored = tmp.path().join("restored");
    let settings = ChannelSettings::new(&[], None, Path::new("/")).unwrap();
    install_locked(
        &relocked.packages,
        &settings,
        &cache,
        &restored,
        None,
        &quiet,
    )
    .await
    .unwrap();
    assert_eq!(read_prefix(&restored).unwrap(), lock.packages);
    let out = Command::new(restored.join("bin/python"))
        .args(["-c", "import sys; print(sys.prefix)"])
        .output()
        .unwrap();
    assert_eq!(
        Path::new(String::from_utf8(out.stdout).unwrap().trim()),
        restored
    );

    // A prefix that drifted from its lock is caught.
    for entry in std::fs::read_dir(restored.join("conda-meta")).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("pkgb-")
        {
            std::fs::remove_file(path).unwrap();
        }
    }
    let err = verify_prefix(&restored, &lock.packages).unwrap_err();
    assert!(err.to_string().contains("missing: pkgb=1.0=h0_0"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_a_package_that_changed_in_its_channel() {
    let tmp = tempfile::tempdir().unwrap();
    let chan = tmp.path().join("chan");
    write_channel(&chan, &basic_packages());
    let cache = tmp.path().join("cache");
    let req = request(&[file_url(&chan)], None, &["pkgb"], &cache);
    let records = solve(&req, &quiet).await.unwrap();
    let mut locked: Vec<_> = records
        .iter()
        .map(swrt::build::conda::LockedPackage::from_record)
        .collect();
    locked[0].sha256 = Some("0".repeat(64));
    let settings = ChannelSettings::new(&[], None, Path::new("/")).unwrap();
    let err = install_locked(
        &locked,
        &settings,
        &cache,
        &tmp.path().join("p"),
        None,
        &quiet,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, CondaError::LockedPackageChanged { .. }),
        "{err}"
    );
}

/// An independent check: py-rattler (rattler's Python binding, from PyPI)
/// solves the same channel to the same records. Tests stay offline, so
/// py-rattler is installed with `uv pip install --offline` from uv's cache;
/// without a cached copy the check is skipped, saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn py_rattler_solves_the_same_channel_to_the_same_records() {
    let tmp = tempfile::tempdir().unwrap();
    let venv = tmp.path().join("pyr");
    let uv = |args: &[&str]| {
        Command::new("uv")
            .args(args)
            .env_remove("VIRTUAL_ENV")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    let venv_s = venv.to_string_lossy().into_owned();
    let python = venv.join("bin/python").to_string_lossy().into_owned();
    if !uv(&["venv", "-q", &venv_s])
        || !uv(&[
            "pip",
            "install",
            "-q",
            "--offline",
            "--python",
            &python,
            "py-rattler",
        ])
    {
        eprintln!("skipped: py-rattler is not installable offline (not in uv's cache)");
        return;
    }
    let chan = tmp.path().join("chan");
    write_channel(&chan, &basic_packages());
    let specs = ["pkgb", "pkga<2"];
    let ours: Vec<String> = solve(
        &request(&[file_url(&chan)], None, &specs, &tmp.path().join("c")),
        &quiet,
    )
    .await
    .unwrap()
    .iter()
    .map(|r| swrt::build::conda::LockedPackage::from_record(r).spec())
    .collect();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/py_rattler_env.py");
    let out = Command::new(&python)
        .arg(script)
        .arg(file_url(&chan))
        .arg(tmp.path().join("pyr-prefix"))
        .arg(tmp.path().join("pyr-cache"))
        .args(specs)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(ours, theirs);
    // And the prefix py-rattler installed reads back as the same lock.
    let installed: Vec<String> = read_prefix(&tmp.path().join("pyr-prefix"))
        .unwrap()
        .iter()
        .map(|p| p.spec())
        .collect();
    assert_eq!(installed, ours);
}

/// `swrt lock` on a conda-mode runtime writes `conda-sw-lock.yaml` next to
/// the spec. The runtime asks for Python 3.8, which this machine's PATH does
/// not offer: conda mode takes Python from the channel, so the host's
/// interpreters do not matter (the stand-in is relabelled 3.8.0 here; the
/// lock never runs it as 3.8).
#[test]
fn swrt_lock_writes_the_conda_lock_without_a_host_interpreter() {
    let tmp = tempfile::tempdir().unwrap();
    let chan = tmp.path().join("chan");
    let mut python = python_standin();
    python.version = "3.8.0".to_owned();
    let mut pkgs = basic_packages();
    pkgs.push(python);
    write_channel(&chan, &pkgs);
    let dir = tmp.path().join("project");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("runtime.yaml"),
        format!(
            "name: locked\nmode: conda\nenvironment:\n  python: \"3.8\"\nconfigs:\n  conda:\n    channels: [{}]\ndependencies:\n  - conda: [pkgb]\n",
            file_url(&chan)
        ),
    )
    .unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    // PATH without pyenv: only the system's python3 (3.11) and uv.
    let out = Command::new(env!("CARGO_BIN_EXE_swrt"))
        .env_clear()
        .env("HOME", &home)
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("SWRT_ROOT", tmp.path().join("store"))
        .env("SWRT_CACHE_DIR", tmp.path().join("cache"))
        .env("NO_COLOR", "1")
        .arg("lock")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(dir.join(".starwhale/lock/conda-sw-lock.yaml")).unwrap();
    let body: String = written.lines().skip(1).map(|l| format!("{l}\n")).collect();
    assert_eq!(
        body,
        format!(
            "name: locked\nchannels:\n- {}\ndependencies:\n- pkga=2.0=h0_0\n- pkgb=1.0=h0_0\n- python=3.8.0=swrt_standin_0\n",
            file_url(&chan)
        )
    );
}

/// The env of a version in the store (`export/conda`).
fn env_prefix(env: &TestEnv, name: &str, version: &str) -> PathBuf {
    env.root
        .join("self/workdir/runtime")
        .join(name)
        .join(&version[..2])
        .join(version)
        .join("export/conda")
}

/// The prefix's own python imports the pip-installed packages and reports
/// the prefix as `sys.prefix`.
fn assert_pip_items_import(prefix: &Path) {
    let probe = Command::new(prefix.join("bin/python"))
        .args(["-c", "import gamma, delta, epsilon, sys; print(sys.prefix)"])
        .env_clear()
        .output()
        .unwrap();
    assert!(
        probe.status.success(),
        "{}",
        String::from_utf8_lossy(&probe.stderr)
    );
    assert_eq!(
        Path::new(String::from_utf8(probe.stdout).unwrap().trim()),
        prefix
    );
}

fn bundle_path(env: &TestEnv, name: &str, version: &str) -> PathBuf {
    env.root
        .join("self/runtime")
        .join(name)
        .join(&version[..2])
        .join(format!("{version}.swrt"))
}

/// `swrt build` of a conda-mode runtime.yaml: a file:// channel with the
/// python stand-in, `conda:` packages, a conda.yaml with a `pip:` list, `pip:`
/// items from a file index and a wheel, all installed with the prefix's own
/// Python; then the env works from its place in the store, the bundle holds
/// `conda-sw-lock.yaml`, the condarc and the exact package URLs, and a
/// rebuild changes nothing.
#[test]
fn swrt_build_makes_a_conda_runtime_with_pip_items() {
    let env = TestEnv::new();
    let chan = env.path("chan");
    let python = python_standin();
    let py_version = python.version.clone();
    let xy: String = py_version.split('.').take(2).collect::<Vec<_>>().join(".");
    let mut pkgs = basic_packages();
    pkgs.push(python);
    write_channel(&chan, &pkgs);

    let dir = env.path("project");
    let index_src = env.path("index-src");
    let gamma = write_wheel(&index_src, "gamma", "1.0", &[]);
    let epsilon = write_wheel(&index_src, "epsilon", "3.1", &[]);
    let index = write_simple_index(&env.path("index"), &[gamma, epsilon]);
    write_wheel(&dir.join("wheels"), "delta", "0.5", &[]);
    std::fs::write(
        dir.join("conda.yaml"),
        "name: ignored\ndependencies:\n  - pkgb\n  - pip:\n    - epsilon==3.1\n",
    )
    .unwrap();
    let yaml = format!(
        r#"name: condademo
mode: conda
environment:
  python: "{xy}"
configs:
  conda:
    channels:
      - {chan}
    condarc:
      default_threads: 2
  pip:
    index_url: file://{index}
dependencies:
  - conda:
      - pkga<2
  - conda.yaml
  - pip:
      - gamma==1.0
  - wheels:
      - wheels/delta-0.5-py3-none-any.whl
"#,
        chan = file_url(&chan),
        index = index.display(),
    );
    std::fs::write(dir.join("runtime.yaml"), yaml).unwrap();
    let spec = dir.join("runtime.yaml");

    let out = env
        .swrt()
        .args(["build", "-y"])
        .arg(&spec)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let version = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(version.len(), 40, "{version}");

    let prefix = env_prefix(&env, "condademo", &version);
    assert_pip_items_import(&prefix);
    // Conda's files name the final prefix, not the staging one.
    let where_txt = std::fs::read_to_string(prefix.join("share/pkga/where.txt")).unwrap();
    assert_eq!(
        where_txt,
        format!("installed at {}/share\n", prefix.display())
    );
    let activate = std::fs::read_to_string(prefix.join("bin/activate")).unwrap();
    assert!(activate.contains(&*prefix.to_string_lossy()), "{activate}");
    let specs: Vec<String> = read_prefix(&prefix)
        .unwrap()
        .iter()
        .map(|p| p.spec())
        .collect();
    assert_eq!(
        specs,
        [
            "pkga=1.0=h0_0".to_owned(),
            "pkgb=1.0=h0_0".to_owned(),
            format!("python={py_version}=swrt_standin_0"),
        ]
    );

    let bundle = bundle_path(&env, "condademo", &version);
    let lock = bundle_member(&bundle, "dependencies/.starwhale/lock/conda-sw-lock.yaml").unwrap();
    let body: String = lock.lines().skip(1).map(|l| format!("{l}\n")).collect();
    assert_eq!(
        body,
        format!(
            "name: condademo\nchannels:\n- {}\ndependencies:\n- pkga=1.0=h0_0\n- pkgb=1.0=h0_0\n- python={py_version}=swrt_standin_0\n- pip:\n  - epsilon==3.1\n  - gamma==1.0\n",
            file_url(&chan)
        )
    );
    assert!(
        bundle_member(&bundle, "configs/condarc")
            .unwrap()
            .contains("default_threads: 2")
    );
    let manifest: serde_yaml::Value =
        serde_yaml::from_str(&bundle_member(&bundle, "_manifest.yaml").unwrap()).unwrap();
    assert_eq!(manifest["environment"]["mode"].as_str(), Some("conda"));
    let packages = manifest["swrt"]["conda_packages"].as_sequence().unwrap();
    assert_eq!(packages.len(), 3);
    for p in packages {
        assert!(p["url"].as_str().unwrap().starts_with(&file_url(&chan)));
        assert_eq!(p["sha256"].as_str().unwrap().len(), 64);
    }

    // Restore rebuilds the env from the bundle alone: the exact conda
    // packages, then the lock's pip section, then the wheel; verified.
    std::fs::remove_dir_all(&prefix).unwrap();
    let restored = env.swrt().args(["restore", "condademo"]).output().unwrap();
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    assert_pip_items_import(&prefix);
    let again: Vec<String> = read_prefix(&prefix)
        .unwrap()
        .iter()
        .map(|p| p.spec())
        .collect();
    assert_eq!(again, specs);
    let where_txt = std::fs::read_to_string(prefix.join("share/pkga/where.txt")).unwrap();
    assert_eq!(
        where_txt,
        format!("installed at {}/share\n", prefix.display())
    );

    // Same inputs, same lock: no new version.
    let again = env
        .swrt()
        .args(["build", "-y"])
        .arg(&spec)
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(String::from_utf8(again.stdout).unwrap().trim(), version);
}

/// A conda-mode build whose request cannot be solved fails with the
/// solver's explanation and a hint, exit code 1, and leaves no version.
#[test]
fn swrt_build_explains_an_unsolvable_conda_runtime() {
    let env = TestEnv::new();
    let chan = env.path("chan");
    // The solve fails before anything runs, so python need not work here.
    let mut pkgs = basic_packages();
    pkgs.push(Pkg::noarch("python", "3.11.0", &[]));
    write_channel(&chan, &pkgs);
    let dir = env.path("project");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("runtime.yaml"),
        format!(
            "name: nosolve\nmode: conda\nenvironment:\n  python: \"3.11\"\nconfigs:\n  conda:\n    channels: [{}]\ndependencies:\n  - conda: [pkgd, pkga<2]\n",
            file_url(&chan)
        ),
    )
    .unwrap();
    let out = env
        .swrt()
        .args(["build", "-y"])
        .arg(dir.join("runtime.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot be installed together"), "{stderr}");
    assert!(stderr.contains("pkgd"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(!env.root.join("self/runtime/nosolve").exists());
}

/// `swrt build --conda-prefix PATH`: an existing conda environment (here one
/// swrt built from a file:// channel) becomes a runtime whose packages are
/// the prefix's exactly; the source prefix is only read; doing it again with
/// the prefix unchanged is free.
#[test]
fn swrt_build_from_an_existing_conda_prefix() {
    let env = TestEnv::new();
    let chan = env.path("chan");
    let python = python_standin();
    let xy: String = python
        .version
        .split('.')
        .take(2)
        .collect::<Vec<_>>()
        .join(".");
    let mut pkgs = basic_packages();
    pkgs.push(python);
    write_channel(&chan, &pkgs);
    let dir = env.path("project");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("runtime.yaml"),
        format!(
            "name: source\nmode: conda\nenvironment:\n  python: \"{xy}\"\nconfigs:\n  conda:\n    channels:\n      - {}\ndependencies:\n  - conda:\n      - pkgb\n      - pkga<2\n",
            file_url(&chan)
        ),
    )
    .unwrap();
    let out = env.swrt().arg("build").arg(&dir).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let source_version = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let prefix = env_prefix(&env, "source", &source_version);
    let before = listing(&prefix);

    let from_prefix = || {
        env.swrt()
            .args(["build", "-n", "copied", "--conda-prefix"])
            .arg(&prefix)
            .output()
            .unwrap()
    };
    let out = from_prefix();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let version = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(version.len(), 40, "{version}");
    assert_eq!(listing(&prefix), before, "the source prefix was modified");

    let copied = env_prefix(&env, "copied", &version);
    let specs =
        |p: &Path| -> Vec<String> { read_prefix(p).unwrap().iter().map(|r| r.spec()).collect() };
    assert_eq!(specs(&copied), specs(&prefix));
    let lock = bundle_member(
        &bundle_path(&env, "copied", &version),
        "dependencies/.starwhale/lock/conda-sw-lock.yaml",
    )
    .unwrap();
    for spec in specs(&prefix) {
        assert!(lock.contains(&spec), "{spec} missing from\n{lock}");
    }

    let again = from_prefix();
    assert!(again.status.success());
    assert_eq!(String::from_utf8(again.stdout).unwrap().trim(), version);

    let missing = env
        .swrt()
        .args(["build", "--conda", "no-such-env"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--conda-prefix"));
}
