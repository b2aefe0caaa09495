//! The store and bundle library: tag index in swcli's format, references,
//! tag rules, remove/recover/gc, locking, deterministic versions and the
//! refusal of hostile bundles.

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
