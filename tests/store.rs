//! The store and bundle library: tag index in swcli's format, references,
//! tag rules, remove/recover/gc, locking, deterministic versions and the
//! refusal of hostile bundles.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: helpers panic on setup failures

mod common;

use std::fs;
use std::path::Path;

use common::*;
use swrt::bundle::{self, ExtractLimits, write_bundle};
use swrt::store::{RuntimeRef, Store, StoreError, TagIndex};

fn store_in(tmp: &Path) -> Store {
    Store::open(&store_paths(tmp))
}

#[test]
fn same_content_gives_same_version() {
    let tmp = tempfile::tempdir().unwrap();
    let mut versions = Vec::new();
    for i in 0..2 {
        let content = tmp.path().join(format!("c{i}"));
        stage_small_bundle(&content, "demo", "same");
        let out = tmp.path().join(format!("out{i}"));
        let w = write_bundle(&content, test_manifest("3.11"), &out).unwrap();
        assert_eq!(w.version.len(), 40);
        assert!(
            w.version
                .bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
        );
        versions.push(w.version);
    }
    assert_eq!(versions[0], versions[1]);
    let content = tmp.path().join("c2");
    stage_small_bundle(&content, "demo", "other");
    let w = write_bundle(&content, test_manifest("3.11"), &tmp.path().join("out2")).unwrap();
    assert_ne!(w.version, versions[0]);
}

#[test]
fn new_versions_get_vn_and_latest() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store_in(tmp.path());
    let a = add_small_version(&store, "demo", "a", &[]);
    let b = add_small_version(&store, "demo", "b", &["gpu"]);
    assert!(a.created && b.created);
    assert_eq!(
        store.tag_index("demo").unwrap().tags_of(&a.version),
        vec!["v0"]
    );
    assert_eq!(b.tags, vec!["v1", "latest", "gpu"]);
    let r = store.resolve(&RuntimeRef::parse("demo").unwrap()).unwrap();
    assert_eq!(r.version, b.version);
    let r = store
        .resolve(&RuntimeRef::parse("demo:v0").unwrap())
        .unwrap();
    assert_eq!(r.version, a.version);
    // Same content again: no new version, latest moves back to it.
    let again = add_small_version(&store, "demo", "a", &[]);
    assert!(!again.created);
    assert_eq!(again.version, a.version);
    assert_eq!(again.tags, vec!["v0", "latest"]);
    assert!(store.generation() >= 3);
}

#[test]
fn store_layout_is_swcli_s() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store_in(tmp.path());
    let a = add_small_version(&store, "demo", "a", &[]);
    let root = tmp.path().join("root/self/runtime/demo");
    assert!(root.join("_manifest.yaml").is_file());
    assert!(
        root.join(&a.version[..2])
            .join(format!("{}.swrt", a.version))
            .is_file()
    );
    let text = fs::read_to_string(root.join("_manifest.yaml")).unwrap();
    assert!(
        text.starts_with("fast_tag_seq: 0\nname: demo\ntags:\n  latest: "),
        "{text}"
    );
    let parsed = TagIndex::parse("demo", &text).unwrap();
    assert_eq!(parsed.render(), text);
}

#[test]
fn extraction_round_trips_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store_in(tmp.path());
    let a = add_small_version(&store, "demo", "a", &[]);
    let wd = store.ensure_extracted("demo", &a.version).unwrap();
    assert_eq!(wd, store.workdir("demo", &a.version));
    assert_eq!(
        fs::read_to_string(wd.join("dependencies/requirements.txt")).unwrap(),
        "six\n"
    );
    let target = tmp.path().join("x");
    let ex = bundle::extract(&a.bundle, &target, false, &ExtractLimits::default()).unwrap();
    assert!(ex.verified);
    assert_eq!(ex.manifest.version, a.version);
}

#[test]
fn ambiguous_prefix_lists_candidates() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store_in(tmp.path());
    let v1 = add_small_version(&store, "demo", "a", &[]).version;
    // Resolution goes by file names: a second bundle named with the same
    // first six characters makes the prefix ambiguous.
    let v2 = format!("{}{}", &v1[..6], "a".repeat(34));
    fs::copy(
        store.bundle_path("demo", &v1),
        store.bundle_path("demo", &v2),
    )
    .unwrap();
    let err = store
        .resolve(&RuntimeRef::new("demo", Some(&v1[..6])))
        .unwrap_err();
    match &err {
        StoreError::Ambiguous { candidates, .. } => {
            assert_eq!(candidates.len(), 2);
            assert!(candidates.contains(&v1) && candidates.contains(&v2));
        }
        other => panic!("expected ambiguity, got {other:?}"),
    }
    assert!(err.hints().iter().any(|h| h.contains(&v1)));
    assert_eq!(
        store
            .resolve(&RuntimeRef::new("demo", Some(&v1[..12])))
            .unwrap()
            .version,
        v1
    );
    // Too short to be a prefix and not a tag.
    let err = store
        .resolve(&RuntimeRef::new("demo", Some(&v1[..3])))
        .unwrap_err();
    assert!(matches!(err, StoreError::UnknownSelector { .. }), "{err:?}");
    assert!(err.hints().iter().any(|h| h.contains("at least 4")));
    // Unknown tag lists the tags that exist.
    let err = store
        .resolve(&RuntimeRef::parse("demo:nope").unwrap())
        .unwrap_err();
    assert!(
        err.hints().iter().any(|h| h.contains("v0")),
        "{:?}",
        err.hints()
    );
}

// ---- tag index: swcli's format ---------------------------------------------

/// Runs swcli's own `StandaloneTag` in a temp HOME; returns the index text.
fn swcli_tag_index(home: &Path, script: &str) -> Option<String> {
    let python = swcli_python()?;
    let program = format!(
        r#"
from starwhale.base.tag import StandaloneTag
from starwhale.base.uri.resource import Resource, ResourceType
def tag(version):
    return StandaloneTag(Resource(f"demo/version/{{version}}", typ=ResourceType.runtime, refine=False))
{script}
"#
    );
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(program)
        .env("HOME", home)
        .env_remove("SW_CLI_CONFIG")
        .env_remove("SW_LOCAL_STORAGE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "swcli python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(fs::read_to_string(home.join(".starwhale/self/runtime/demo/_manifest.yaml")).unwrap())
}

fn without_updated_at(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("updated_at:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn tag_index_matches_what_swcli_writes() {
    let a = "uk3anlfjw7uenusuyjv2qupdxkehexb3nrdgx4ah";
    let b = "2abcdefghijklmnopqrstuvwxyz234567abcdefg";
    let tmp = tempfile::tempdir().unwrap();
    let script = format!(
        r#"
tag("{a}").add_fast_tag()
tag("{b}").add_fast_tag()
tag("{b}").add(["gpu", "exp.1", "_x-y"])
tag("{a}").add(["gpu"])
tag("{b}").remove(["exp.1"])
"#
    );
    let Some(theirs) = swcli_tag_index(tmp.path(), &script) else {
        eprintln!("skipped: swcli not found (set SWRT_TEST_SWCLI)");
        return;
    };
    let mut ours = TagIndex::new("demo");
    ours.add_fast_tag(a);
    ours.add_fast_tag(b);
    ours.add(b, &["gpu".into(), "exp.1".into(), "_x-y".into()]);
    ours.add(a, &["gpu".into()]);
    ours.remove_tag("exp.1");
    ours.updated_at = Some("2024-01-01 00:00:00 UTC".to_owned());
    assert_eq!(
        without_updated_at(&ours.render()),
        without_updated_at(&theirs)
    );
    // And what swcli wrote reads back and renders byte for byte.
    let parsed = TagIndex::parse("demo", &theirs).unwrap();
    assert_eq!(parsed.render(), theirs);
    assert_eq!(parsed.version_of("gpu"), Some(a));
    assert_eq!(parsed.fast_tag_seq, 1);
}

#[test]
fn swcli_continues_an_index_swrt_wrote() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = swrt::paths::Paths {
        root: tmp.path().join(".starwhale"),
        project: "self".to_owned(),
        cache: tmp.path().join("cache"),
    };
    let store = Store::open(&paths);
    let a = add_small_version(&store, "demo", "a", &["gpu"]);
    let b = add_small_version(&store, "demo", "b", &[]);
    let script = format!(
        r#"
t = tag("{}")
print(sorted(t.list()))
t.add_fast_tag()
"#,
        a.version
    );
    let Some(text) = swcli_tag_index(tmp.path(), &script) else {
        eprintln!("skipped: swcli not found (set SWRT_TEST_SWCLI)");
        return;
    };
    // swcli handed out v2 (after our v0, v1) and moved latest back to a.
    let idx = TagIndex::parse("demo", &text).unwrap();
    assert_eq!(idx.tags_of(&a.version), vec!["v0", "v2", "latest", "gpu"]);
    assert_eq!(idx.tags_of(&b.version), vec!["v1"]);
    assert_eq!(
        store
            .resolve(&RuntimeRef::parse("demo").unwrap())
            .unwrap()
            .version,
        a.version
    );
}

// ---- references ----------------------------------------------------------------

#[test]
fn starwhale_uris_resolve() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store_in(tmp.path());
    let a = add_small_version(&store, "demo", "a", &["gpu"]);
    let other = store.for_project("p2");
    let b = add_small_version(&other, "demo", "b", &[]);
    for text in [
        "demo".to_owned(),
        "demo:gpu".to_owned(),
        format!("demo:{}", &a.version[..5]),
        "demo/version/v0".to_owned(),
        format!("demo/version/{}", a.version),
        "local/project/self/runtime/demo/version/latest".to_owned(),
        "local/project/self/runtime/demo".to_owned(),
    ] {
        let r = store.resolve(&RuntimeRef::parse(&text).unwrap()).unwrap();
        assert_eq!(r.version, a.version, "{text}");
        assert_eq!(r.project, "self");
    }
    let r = store
        .resolve(&RuntimeRef::parse("local/project/p2/runtime/demo/version/v0").unwrap())
        .unwrap();
    assert_eq!(
        (r.project.as_str(), r.version.as_str()),
        ("p2", b.version.as_str())
    );
    assert_eq!(
        r.uri(),
        format!("local/project/p2/runtime/demo/version/{}", b.version)
    );
    let err = store
        .resolve(&RuntimeRef::parse("nope").unwrap())
        .unwrap_err();
    assert!(matches!(err, StoreError::UnknownRuntime { .. }), "{err:?}");
    assert!(
        err.hints().iter().any(|h| h.contains("demo")),
        "{:?}",
        err.hints()
    );
    assert!(err.is_user_error());
}

// ---- tag rules -----------------------------------------------------------------

#[test]
fn tag_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store_in(tmp.path());
    let a = add_small_version(&store, "demo", "a", &[]);
    let b = add_small_version(&store, "demo", "b", &[]);
    let lock = store.lock().unwrap();
    for bad in ["latest", "v7", "1x", "a b", "", &"x".repeat(81)] {
        let err = store
            .tag(&lock, "demo", &a.version, &[bad.to_owned()])
            .unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidTag { .. }),
            "{bad:?}: {err:?}"
        );
    }
    // A tag lives on one version and moves when re-added.
    store
        .tag(&lock, "demo", &a.version, &["stable".to_owned()])
        .unwrap();
    store
        .tag(&lock, "demo", &b.version, &["stable".to_owned()])
        .unwrap();
    let idx = store.tag_index("demo").unwrap();
    assert_eq!(idx.version_of("stable"), Some(b.version.as_str()));
    assert_eq!(idx.tags_of(&a.version), vec!["v0"]);
    // Builtin tags cannot be removed by hand; absent ones are an error.
    assert!(matches!(
        store
            .untag(&lock, "demo", None, &["latest".to_owned()])
            .unwrap_err(),
        StoreError::BuiltinTag { .. }
    ));
    assert!(matches!(
        store
            .untag(&lock, "demo", Some(&a.version), &["stable".to_owned()])
            .unwrap_err(),
        StoreError::TagNotFound { .. }
    ));
    let before = store.generation();
    store
        .untag(&lock, "demo", None, &["stable".to_owned()])
        .unwrap();
    assert_eq!(store.generation(), before + 1);
    assert_eq!(
        fs::read_to_string(store.generation_path()).unwrap(),
        format!("{}\n", before + 1)
    );
}

// ---- remove, recover, gc ---------------------------------------------------------

#[test]
fn remove_and_recover_one_version() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store_in(tmp.path());
    let a = add_small_version(&store, "demo", "a", &["stable"]);
    let b = add_small_version(&store, "demo", "b", &[]);
    store.ensure_extracted("demo", &b.version).unwrap();
    let lock = store.lock().unwrap();
    let removed = store
        .remove(&lock, "demo", Some(&b.version), false)
        .unwrap();
    assert_eq!(removed.versions, vec![b.version.clone()]);
    assert_eq!(removed.tags, vec!["v1", "latest"]);
    assert!(!store.bundle_path("demo", &b.version).exists());
    assert!(!store.workdir("demo", &b.version).exists());
    assert!(store.recover_bundle_path("demo", &b.version).is_file());
    // `demo` has no latest now; a tag still works.
    assert!(matches!(
        store
            .resolve(&RuntimeRef::parse("demo").unwrap())
            .unwrap_err(),
        StoreError::UnknownSelector { .. }
    ));
    assert_eq!(
        store
            .resolve(&RuntimeRef::parse("demo:stable").unwrap())
            .unwrap()
            .version,
        a.version
    );
    let err = store
        .resolve(&RuntimeRef::new("demo", Some(&b.version[..8])))
        .unwrap_err();
    assert!(
        err.hints().iter().any(|h| h.contains("recover")),
        "{:?}",
        err.hints()
    );
    // Listing shows it as removed only on request.
    let rows = store.history("demo", true).unwrap();
    assert!(rows.iter().any(|r| r.version == b.version && r.removed));
    assert_eq!(store.history("demo", false).unwrap().len(), 1);

    let rec = store.recover(&lock, "demo", Some(&b.version[..6])).unwrap();
    assert_eq!(rec.versions, vec![b.version.clone()]);
    assert_eq!(rec.tags, vec!["v1", "latest"]);
    assert!(
        store
            .workdir("demo", &b.version)
            .join("_manifest.yaml")
            .is_file()
    );
    assert_eq!(
        store
            .resolve(&RuntimeRef::parse("demo").unwrap())
            .unwrap()
            .version,
        b.version
    );
    assert!(!tmp.path().join("root/self/runtime/.recover/demo").exists());
    // The next build continues the vN sequence.
    drop(lock);
    let c = add_small_version(&store, "demo", "c", &[]);
    assert_eq!(c.tags, vec!["v2", "latest"]);
}

#[test]
fn remove_all_versions_then_recover_and_gc() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store_in(tmp.path());
    let a = add_small_version(&store, "demo", "a", &["stable"]);
    let b = add_small_version(&store, "demo", "b", &[]);
    let keep = add_small_version(&store, "other", "k", &[]);
    let lock = store.lock().unwrap();
    let removed = store.remove(&lock, "demo", None, false).unwrap();
    assert_eq!(removed.versions.len(), 2);
    assert!(
        !store.runtime_dir("demo").exists(),
        "the runtime directory goes"
    );
    assert!(matches!(
        store
            .resolve(&RuntimeRef::parse("demo:stable").unwrap())
            .unwrap_err(),
        StoreError::UnknownRuntime { removed: true, .. }
    ));
    assert_eq!(store.names().unwrap(), vec!["other"]);
    // A tag that was on a removed version can select it for recovery.
    let rec = store.recover(&lock, "demo", Some("stable")).unwrap();
    assert_eq!(rec.versions, vec![a.version.clone()]);
    assert_eq!(rec.tags, vec!["v0", "stable"]);
    // Remove again, then gc: everything removed is gone for good.
    store.remove(&lock, "demo", None, false).unwrap();
    let dry = store.gc(&lock, true).unwrap();
    assert_eq!(dry.items.iter().filter(|i| i.kind == "bundle").count(), 2);
    assert!(store.recover_bundle_path("demo", &b.version).exists());
    let report = store.gc(&lock, false).unwrap();
    assert!(report.bytes > 0);
    assert!(!tmp.path().join("root/self/runtime/.recover").exists());
    assert!(matches!(
        store.recover(&lock, "demo", None).unwrap_err(),
        StoreError::NothingToRecover { .. }
    ));
    // Fingerprints of the collected versions are gone, others stay.
    assert!(report.items.iter().any(|i| i.kind == "fingerprint"));
    assert_eq!(
        store.fingerprint_lookup("other", "fpk"),
        Some(keep.version.clone())
    );
    assert_eq!(store.fingerprint_lookup("demo", "fpa"), None);
}

#[test]
fn force_remove_deletes_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store_in(tmp.path());
    let a = add_small_version(&store, "demo", "a", &[]);
    store.ensure_extracted("demo", &a.version).unwrap();
    let lock = store.lock().unwrap();
    let removed = store.remove(&lock, "demo", Some(&a.version), true).unwrap();
    assert!(removed.forced);
    assert!(!store.recover_bundle_path("demo", &a.version).exists());
    assert!(!store.workdir("demo", &a.version).exists());
    assert!(
        store
            .gc(&lock, true)
            .unwrap()
            .items
            .iter()
            .all(|i| i.kind != "bundle")
    );
}

// ---- locking -------------------------------------------------------------------

#[test]
fn lock_contention_between_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store_in(tmp.path());
    let held = store.lock().unwrap();
    assert!(matches!(
        store.try_lock().unwrap_err(),
        StoreError::Busy { .. }
    ));
    let (tx, rx) = std::sync::mpsc::channel();
    let s2 = store.clone();
    let waiter = std::thread::spawn(move || {
        let lock = s2.lock().unwrap();
        tx.send(()).unwrap();
        drop(lock);
    });
    // While held, the waiter cannot get it.
    assert!(
        rx.recv_timeout(std::time::Duration::from_millis(300))
            .is_err()
    );
    drop(held);
    rx.recv_timeout(std::time::Duration::from_secs(20))
        .expect("the waiter gets the lock once it is released");
    waiter.join().unwrap();
    assert!(store.try_lock().is_ok());
}

// ---- fingerprints, generation -----------------------------------------------

#[test]
fn fingerprints_map_to_live_versions() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store_in(tmp.path());
    let a = add_small_version(&store, "demo", "a", &[]);
    assert_eq!(
        store.fingerprint_lookup("demo", "fpa"),
        Some(a.version.clone())
    );
    assert_eq!(store.fingerprint_lookup("demo", "fpz"), None);
    assert_eq!(store.fingerprint_lookup("demo", "../x"), None);
    let lock = store.lock().unwrap();
    store.remove(&lock, "demo", None, false).unwrap();
    assert_eq!(store.fingerprint_lookup("demo", "fpa"), None);
}

// ---- manifests ---------------------------------------------------------------------

#[test]
fn swcli_manifest_fields_survive_a_round_trip() {
    let text = r#"
artifacts:
  dependencies:
  - dependencies/requirements.txt
  files:
  - dest: bin/hello.sh
    src: scripts/hello.sh
  runtime_yaml: runtime.yaml
  wheels: []
base_image: docker-registry.starwhale.cn/star-whale/base:0.3.4
build:
  os: Linux
  sw_version: 0.6.15
configs:
  conda:
    channels:
    - conda-forge
    condarc: {}
  docker:
    image: ''
  pip:
    extra_index_url:
    - ''
    index_url: ''
    trusted_host:
    - ''
created_at: 2026-12-04 16:18:26 UTC
dependencies:
  local_packaged_env: false
  pip_files: [requirements.txt]
  raw_deps:
  - deps: requirements.txt
    kind: pip_req_file
  future_field: 1
environment:
  arch: amd64
  lock:
    files:
    - .starwhale/lock/requirements-sw-lock.txt
    starwhale_version: 0.6.15
  mode: venv
  python: 3.9
version: tbjvosx6bdbklqmhujq45vrqnnysqbw3sb367cli
packaged_runtime: {manifest: {version: x}}
"#;
    let m = swrt::bundle::Manifest::from_yaml(text).unwrap();
    assert_eq!(m.environment.python, "3.9");
    assert_eq!(m.environment.arch, vec!["amd64"]);
    assert_eq!(
        m.lock_members(),
        vec!["dependencies/.starwhale/lock/requirements-sw-lock.txt"]
    );
    assert!(m.swrt.is_none());
    let back = swrt::bundle::Manifest::from_yaml(&m.to_yaml().unwrap()).unwrap();
    assert_eq!(back, m);
    assert!(back.extra.contains_key("packaged_runtime"));
    assert!(back.dependencies.extra.contains_key("future_field"));
}

// ---- hostile bundles ------------------------------------------------------------

/// One raw tar entry; names are written byte for byte, bypassing the tar
/// crate's own path checks, as an attacker would.
enum Raw<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    HardLink(&'a str, &'a str),
    Char(&'a str),
    Fifo(&'a str),
}

fn raw_header(name: &str, kind: tar::EntryType, size: u64) -> tar::Header {
    let mut h = tar::Header::new_old();
    {
        let old = h.as_old_mut();
        assert!(name.len() < old.name.len());
        old.name[..name.len()].copy_from_slice(name.as_bytes());
    }
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(0);
    h
}

fn set_link(h: &mut tar::Header, target: &str) {
    let old = h.as_old_mut();
    old.linkname[..target.len()].copy_from_slice(target.as_bytes());
}

fn hostile_tar(path: &Path, entries: &[Raw<'_>]) {
    let mut b = tar::Builder::new(fs::File::create(path).unwrap());
    let manifest = b"version: aaaabbbbccccddddeeeeffffgggghhhhiiiijjjj\nenvironment: {mode: venv, python: '3.11'}\n";
    for e in entries {
        let (mut h, data): (tar::Header, &[u8]) = match e {
            Raw::File(name, data) if *name == "@manifest" => (
                raw_header(
                    "_manifest.yaml",
                    tar::EntryType::Regular,
                    manifest.len() as u64,
                ),
                manifest,
            ),
            Raw::File(name, data) => (
                raw_header(name, tar::EntryType::Regular, data.len() as u64),
                data,
            ),
            Raw::Dir(name) => (raw_header(name, tar::EntryType::Directory, 0), &[]),
            Raw::Symlink(name, target) => {
                let mut h = raw_header(name, tar::EntryType::Symlink, 0);
                set_link(&mut h, target);
                (h, &[])
            }
            Raw::HardLink(name, target) => {
                let mut h = raw_header(name, tar::EntryType::Link, 0);
                set_link(&mut h, target);
                (h, &[])
            }
            Raw::Char(name) => (raw_header(name, tar::EntryType::Char, 0), &[]),
            Raw::Fifo(name) => (raw_header(name, tar::EntryType::Fifo, 0), &[]),
        };
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap();
}

/// Extracts a hostile bundle and checks it is refused with nothing left
/// behind: no target, no temp directory, nothing outside.
fn assert_refused(name: &str, entries: &[Raw<'_>], limits: ExtractLimits, expect: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let bundle_path = tmp.path().join("evil.swrt");
    hostile_tar(&bundle_path, entries);
    let area = tmp.path().join("area");
    fs::create_dir_all(&area).unwrap();
    let target = area.join("target");
    let err = bundle::extract(&bundle_path, &target, false, &limits).expect_err(name);
    let msg = err.to_string();
    assert!(
        msg.contains(expect),
        "{name}: `{msg}` should mention `{expect}`"
    );
    assert!(err.is_bad_input(), "{name}: {err:?}");
    assert!(!target.exists(), "{name}: target left behind");
    let left: Vec<_> = fs::read_dir(&area)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "{name}: leftovers {left:?}");
    for outside in ["evil.txt", "outside", "escaped"] {
        assert!(
            !tmp.path().join(outside).exists(),
            "{name}: wrote {outside} outside"
        );
    }
}

#[test]
fn hostile_bundles_are_refused() {
    let m = Raw::File("@manifest", b"");
    let dflt = ExtractLimits::default();
    assert_refused(
        "traversal",
        &[Raw::File("../evil.txt", b"x"), Raw::File("@manifest", b"")],
        dflt,
        "climbs out",
    );
    assert_refused(
        "deep traversal",
        &[Raw::File("a/../../evil.txt", b"x")],
        dflt,
        "climbs out",
    );
    let abs = format!("{}/evil.txt", std::env::temp_dir().display());
    assert_refused("absolute", &[Raw::File(&abs, b"x")], dflt, "absolute path");
    assert_refused(
        "symlink escape",
        &[Raw::Symlink("outside", "../outside")],
        dflt,
        "outside the bundle",
    );
    assert_refused(
        "symlink absolute",
        &[Raw::Symlink("l", "/etc")],
        dflt,
        "absolute path",
    );
    assert_refused(
        "symlink climbs after descending",
        &[Raw::Symlink("l", "a/../..")],
        dflt,
        "climbs",
    );
    assert_refused(
        "write through symlink",
        &[
            Raw::Dir("sub"),
            Raw::Symlink("d", "sub"),
            Raw::File("d/x", b"x"),
        ],
        dflt,
        "through the symlink",
    );
    assert_refused(
        "duplicate over symlink",
        &[Raw::Symlink("escaped", "."), Raw::File("escaped", b"x")],
        dflt,
        "twice",
    );
    assert_refused(
        "hard link escape",
        &[Raw::HardLink("h", "../escaped")],
        dflt,
        "climbs out",
    );
    assert_refused(
        "hard link absolute",
        &[Raw::HardLink("h", "/etc/passwd")],
        dflt,
        "absolute path",
    );
    assert_refused(
        "hard link to a symlink",
        &[Raw::Symlink("s", "."), Raw::HardLink("h", "s")],
        dflt,
        "not an earlier file",
    );
    assert_refused(
        "char device",
        &[m, Raw::Char("dev/tty0")],
        dflt,
        "character device",
    );
    assert_refused(
        "fifo",
        &[Raw::File("@manifest", b""), Raw::Fifo("f")],
        dflt,
        "fifo",
    );
    let small = ExtractLimits {
        max_member_bytes: 1024,
        max_total_bytes: 1500,
        max_entries: 10,
    };
    let big = vec![b'x'; 2048];
    assert_refused(
        "oversized member",
        &[Raw::File("big", &big)],
        small,
        "over the limit",
    );
    let k = vec![b'x'; 1000];
    assert_refused(
        "oversized total",
        &[Raw::File("a", &k), Raw::File("b", &k)],
        small,
        "total",
    );
    let many: Vec<Raw<'_>> = (0..11).map(|_| Raw::Dir("d")).collect();
    assert_refused("too many entries", &many, small, "entries");
    assert_refused(
        "missing manifest",
        &[Raw::File("runtime.yaml", b"name: x\n")],
        dflt,
        "no _manifest.yaml",
    );
}

#[test]
fn swcli_root_entry_is_accepted() {
    // swcli's tarfile writes the root directory as `/` first.
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("ok.swrt");
    hostile_tar(
        &p,
        &[
            Raw::Dir("/"),
            Raw::File("@manifest", b""),
            Raw::Dir("wheels/"),
            Raw::File("runtime.yaml", b"name: x\n"),
        ],
    );
    let ex = bundle::extract(&p, &tmp.path().join("t"), false, &ExtractLimits::default()).unwrap();
    assert!(!ex.verified, "no swrt digests to verify");
    assert_eq!(
        fs::read_to_string(tmp.path().join("t/runtime.yaml")).unwrap(),
        "name: x\n"
    );
    // Relative symlinks inside the bundle are fine.
    let p2 = tmp.path().join("links.swrt");
    hostile_tar(
        &p2,
        &[
            Raw::File("@manifest", b""),
            Raw::Dir("a/b"),
            Raw::Symlink("a/b/up", "../.."),
            Raw::Symlink("lib64", "a"),
        ],
    );
    bundle::extract(
        &p2,
        &tmp.path().join("t2"),
        false,
        &ExtractLimits::default(),
    )
    .unwrap();
    assert!(tmp.path().join("t2/a/b/up").is_symlink());
}

/// Rewrites a bundle, replacing the bytes of one member.
fn tamper(src: &Path, dest: &Path, member: &str, new: &[u8]) {
    let mut archive = tar::Archive::new(fs::File::open(src).unwrap());
    let mut b = tar::Builder::new(fs::File::create(dest).unwrap());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let mut h = entry.header().clone();
        let path = entry.path().unwrap().into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        if path == Path::new(member) {
            data = new.to_vec();
            h.set_size(data.len() as u64);
        }
        h.set_cksum();
        b.append(&h, data.as_slice()).unwrap();
    }
    b.into_inner().unwrap();
}

#[test]
fn digest_and_version_mismatches_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let content = tmp.path().join("c");
    stage_small_bundle(&content, "demo", "a");
    let w = write_bundle(&content, test_manifest("3.11"), tmp.path()).unwrap();
    let area = tmp.path().join("area");
    fs::create_dir_all(&area).unwrap();

    let bad = tmp.path().join("bad.swrt");
    tamper(
        &w.path,
        &bad,
        "dependencies/requirements.txt",
        b"evil==1.0\n",
    );
    let err = bundle::extract(&bad, &area.join("t"), false, &ExtractLimits::default()).unwrap_err();
    assert!(
        matches!(err, bundle::BundleError::DigestMismatch { ref member, .. } if member == "dependencies/requirements.txt"),
        "{err:?}"
    );
    assert!(
        fs::read_dir(&area).unwrap().next().is_none(),
        "nothing left behind"
    );

    // A manifest edited to match a tampered member still fails: the version
    // no longer matches the content.
    let mut manifest = w.manifest.clone();
    let sha = swrt::bundle::digest::sha256_hex(b"evil==1.0\n");
    manifest
        .swrt
        .as_mut()
        .unwrap()
        .members
        .insert("dependencies/requirements.txt".into(), sha);
    let step = tmp.path().join("step.swrt");
    tamper(
        &bad,
        &step,
        "_manifest.yaml",
        manifest.to_yaml().unwrap().as_bytes(),
    );
    let err =
        bundle::extract(&step, &area.join("t"), false, &ExtractLimits::default()).unwrap_err();
    assert!(err.to_string().contains("hashes to version"), "{err}");

    // An extra member the manifest does not list.
    let extra = tmp.path().join("extra.swrt");
    {
        let mut archive = tar::Archive::new(fs::File::open(&w.path).unwrap());
        let mut b = tar::Builder::new(fs::File::create(&extra).unwrap());
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let h = entry.header().clone();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
            b.append(&h, data.as_slice()).unwrap();
        }
        let mut h = raw_header("files/sneaky.sh", tar::EntryType::Regular, 3);
        h.set_cksum();
        b.append(&h, &b"hi\n"[..]).unwrap();
        b.into_inner().unwrap();
    }
    let err =
        bundle::extract(&extra, &area.join("t"), false, &ExtractLimits::default()).unwrap_err();
    assert!(err.to_string().contains("not listed"), "{err}");
}

#[test]
fn bundles_are_deterministic_tars() {
    let tmp = tempfile::tempdir().unwrap();
    let content = tmp.path().join("c");
    stage_small_bundle(&content, "demo", "a");
    fs::create_dir_all(content.join("files/scripts")).unwrap();
    fs::write(content.join("files/scripts/run.sh"), "#!/bin/sh\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(
        content.join("files/scripts/run.sh"),
        fs::Permissions::from_mode(0o775),
    )
    .unwrap();
    fs::set_permissions(
        content.join("runtime.yaml"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let mut manifest = test_manifest("3.11");
    manifest.created_at = "2024-01-01 00:00:00 UTC".into();
    let w1 = write_bundle(&content, manifest.clone(), &tmp.path().join("o1")).unwrap();
    let w2 = write_bundle(&content, manifest, &tmp.path().join("o2")).unwrap();
    assert_eq!(
        fs::read(&w1.path).unwrap(),
        fs::read(&w2.path).unwrap(),
        "byte-identical"
    );
    let mut archive = tar::Archive::new(fs::File::open(&w1.path).unwrap());
    let mut names = Vec::new();
    for e in archive.entries().unwrap() {
        let e = e.unwrap();
        let h = e.header();
        assert_eq!(
            (h.mtime().unwrap(), h.uid().unwrap(), h.gid().unwrap()),
            (0, 0, 0)
        );
        let name = e.path().unwrap().display().to_string();
        let mode = h.mode().unwrap();
        match name.as_str() {
            "files/scripts/run.sh" => assert_eq!(mode, 0o755),
            "runtime.yaml" => assert_eq!(mode, 0o644),
            _ => {}
        }
        names.push(name);
    }
    assert_eq!(names[0], "_manifest.yaml", "manifest first");
    let rest = names[1..].to_vec();
    let mut sorted = rest.clone();
    sorted.sort();
    assert_eq!(rest, sorted);
    // Extraction keeps the exec bit.
    let t = tmp.path().join("t");
    bundle::extract(&w1.path, &t, false, &ExtractLimits::default()).unwrap();
    let mode = fs::metadata(t.join("files/scripts/run.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755);
}

// ---- the build pipeline's helper ------------------------------------------------

fn resolved_spec(dir: &Path) -> swrt::spec::ResolvedSpec {
    use swrt::spec::*;
    let write = |rel: &str, text: &str| {
        let p = dir.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, text).unwrap();
        SpecFile {
            rel: rel.to_owned(),
            path: p,
        }
    };
    let yaml =
        "name: demo\nmode: venv\nenvironment:\n  python: '3.11'\n# a comment kept byte for byte\n";
    let spec_file = write("runtime.yaml", yaml);
    let req = write("requirements.txt", "six\n");
    let wheel = write("wheels/sub/pkg-1.0-py3-none-any.whl", "not really a wheel");
    let script = write("scripts/hello.sh", "#!/bin/sh\necho hi\n");
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&script.path, fs::Permissions::from_mode(0o755)).unwrap();
    write("data/a.txt", "a");
    write("data/deep/b.txt", "b");
    let data_dir = SpecFile {
        rel: "data".to_owned(),
        path: dir.join("data"),
    };
    ResolvedSpec {
        name: "demo".to_owned(),
        mode: Mode::Venv,
        api_version: "1.1".to_owned(),
        source: SpecSource {
            path: spec_file.path.clone(),
            dir: dir.to_path_buf(),
            sha256: String::new(),
        },
        environment: ResolvedEnvironment {
            os: "ubuntu:20.04".to_owned(),
            python: "3.11".parse().unwrap(),
            cuda: Some("11.5".to_owned()),
            cudnn: Some("8".to_owned()),
            arch: vec![Arch::Amd64],
            docker_image: None,
            starwhale_version: None,
        },
        interpreter: None,
        base_image: "docker-registry.starwhale.cn/star-whale/cuda:11.5-cudnn8-base0.3.4".to_owned(),
        builtin_image: BuiltinImage {
            repo: "docker-registry.starwhale.cn/star-whale".to_owned(),
            name: "cuda".to_owned(),
            tag: "11.5-cudnn8-base0.3.4".to_owned(),
            fullname: "docker-registry.starwhale.cn/star-whale/cuda:11.5-cudnn8-base0.3.4"
                .to_owned(),
        },
        custom_image: None,
        configs: ResolvedConfigs {
            pip: PipConfig {
                index_url: Some("https://pypi.example/simple".to_owned()),
                extra_index_url: vec!["https://extra.example/simple".to_owned()],
                trusted_host: vec!["pypi.example".to_owned()],
            },
            conda: CondaConfig {
                channels: vec!["conda-forge".to_owned()],
                condarc: Some(serde_json::json!({"ssl_verify": false})),
            },
            docker_image: None,
        },
        dependencies: vec![
            Dependency::PipReqFile { file: req },
            Dependency::PipPkg {
                packages: vec!["numpy==1.26".to_owned()],
            },
            Dependency::Wheel {
                wheels: vec![wheel],
            },
            Dependency::NativeFile {
                files: vec![
                    NativeFile {
                        src: script,
                        dest: "bin/hello.sh".to_owned(),
                        name: Some("hello".to_owned()),
                    },
                    NativeFile {
                        src: data_dir,
                        dest: "data".to_owned(),
                        name: None,
                    },
                ],
            },
            Dependency::Command {
                commands: vec!["echo built".to_owned()],
            },
        ],
        fingerprint: "0123abcd".to_owned(),
    }
}

#[test]
fn builder_stages_swcli_layout_and_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = resolved_spec(&tmp.path().join("src"));
    let lock = "# generated by swrt\nsix==1.16.0\nnumpy==1.26.0\n";
    let mut inputs = bundle::BundleInputs::new(&spec, lock, "uv");
    inputs.python_full_version = Some("3.11.7".to_owned());
    let stage = tmp.path().join("stage");
    fs::create_dir_all(&stage).unwrap();
    let w = bundle::stage_and_write(&inputs, &stage, &tmp.path().join("out")).unwrap();
    let m = &w.manifest;
    assert_eq!(m.environment.mode, "venv");
    assert_eq!(m.environment.python, "3.11");
    assert_eq!(m.environment.arch, vec!["amd64"]);
    assert_eq!(
        m.environment.lock.files,
        vec![".starwhale/lock/requirements-sw-lock.txt"]
    );
    assert_eq!(m.environment.lock.shell.python_version, "3.11.7");
    let kinds: Vec<&str> = m
        .dependencies
        .raw_deps
        .iter()
        .map(|d| d.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        vec!["pip_req_file", "pip_pkg", "wheel", "native_file", "command"]
    );
    assert_eq!(m.dependencies.pip_files, vec!["requirements.txt"]);
    assert_eq!(m.dependencies.pip_pkgs, vec!["numpy==1.26"]);
    assert_eq!(
        m.artifacts.wheels,
        vec!["wheels/wheels/sub/pkg-1.0-py3-none-any.whl"]
    );
    assert_eq!(
        m.docker.as_ref().unwrap().builtin_run_image.fullname,
        spec.base_image
    );
    assert_eq!(
        m.configs.pip.extra_index_url,
        vec!["https://extra.example/simple"]
    );
    let swrt_section = m.swrt.as_ref().unwrap();
    assert_eq!(
        (
            swrt_section.backend.as_str(),
            swrt_section.fingerprint.as_str()
        ),
        ("uv", "0123abcd")
    );
    for member in [
        "runtime.yaml",
        "dependencies/requirements.txt",
        "dependencies/.starwhale/lock/requirements-sw-lock.txt",
        "wheels/wheels/sub/pkg-1.0-py3-none-any.whl",
        "files/scripts/hello.sh",
        "files/data/deep/b.txt",
        "configs/condarc",
    ] {
        assert!(
            swrt_section.members.contains_key(member),
            "{member} missing: {:?}",
            swrt_section.members.keys()
        );
    }
    let t = tmp.path().join("t");
    let ex = bundle::extract(&w.path, &t, false, &ExtractLimits::default()).unwrap();
    assert!(ex.verified);
    assert_eq!(
        fs::read(t.join("runtime.yaml")).unwrap(),
        fs::read(&spec.source.path).unwrap(),
        "runtime.yaml byte for byte"
    );
    assert_eq!(
        fs::read_to_string(t.join("dependencies/.starwhale/lock/requirements-sw-lock.txt"))
            .unwrap(),
        lock
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(t.join("files/scripts/hello.sh"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o755
    );
    assert!(
        fs::read_to_string(t.join("configs/condarc"))
            .unwrap()
            .contains("ssl_verify: false")
    );
    // Same inputs again: same version.
    let stage2 = tmp.path().join("stage2");
    fs::create_dir_all(&stage2).unwrap();
    let w2 = bundle::stage_and_write(&inputs, &stage2, &tmp.path().join("out2")).unwrap();
    assert_eq!(w2.version, w.version);
}
