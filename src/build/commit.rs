//! The build's only contact with the store: is this build key already built,
//! and handing a finished bundle plus its extracted tree and env to
//! `Store::add_version` under the store lock.
//!
//! Everything is prepared in staging first (the env is moved into the tree
//! and its prefix rewritten for the final path, and marked usable), so each
//! thing appears in the store with one rename and readers never see half.

use std::fs;
use std::path::{Path, PathBuf};

use crate::bundle::{MANIFEST_FILE, Manifest};
use crate::store::{self, Store};

use super::BuildError;

/// swcli's marker of a usable env (`RuntimeRestoreStatus`), inside the env.
pub const RESTORE_STATUS_FILE: &str = ".runtime_restore_status";

/// Rejects `-t` tags that are not allowed (`latest`, `vN`, bad names).
pub fn check_tags(tags: &[String]) -> Result<(), BuildError> {
    for tag in tags {
        store::check_user_tag(tag).map_err(|e| BuildError::BadTag {
            tag: tag.clone(),
            reason: e.to_string(),
        })?;
    }
    Ok(())
}

/// A version found for a build key.
#[derive(Debug, Clone)]
pub struct AlreadyBuilt {
    pub version: String,
    pub tags: Vec<String>,
    pub bundle_path: PathBuf,
    pub env_path: PathBuf,
}

/// The version built from `key`, when its bundle is still in the store.
pub fn already_built(store: &Store, name: &str, key: &str, mode: &str) -> Option<AlreadyBuilt> {
    let version = store.fingerprint_lookup(name, key)?;
    let tags = store
        .tag_index(name)
        .map(|idx| idx.tags_of(&version))
        .unwrap_or_default();
    Some(AlreadyBuilt {
        env_path: store.env_dir(name, &version, mode),
        bundle_path: store.bundle_path(name, &version),
        version,
        tags,
    })
}

pub struct CommitInput<'a> {
    pub store: &'a Store,
    pub name: &'a str,
    pub mode: &'a str,
    pub manifest: &'a Manifest,
    /// The written `.swrt` in staging.
    pub bundle: &'a Path,
    /// The staged bundle tree (becomes the workdir).
    pub tree: &'a Path,
    /// The built env in staging.
    pub env: &'a Path,
    /// Rewrites the env (moved to its first argument) for its final
    /// place (the second): `relocate::fix_prefix` for a venv, conda's
    /// relink for a prefix.
    pub relink: &'a dyn Fn(&Path, &Path) -> Result<(), BuildError>,
    pub user_tags: &'a [String],
    pub key: &'a str,
}

#[derive(Debug, Clone)]
pub struct Committed {
    pub version: String,
    pub tags: Vec<String>,
    pub bundle_path: PathBuf,
    pub env_path: PathBuf,
}

/// Moves the build into the store and tags it.
pub fn commit(input: CommitInput<'_>) -> Result<Committed, BuildError> {
    let CommitInput {
        store,
        name,
        mode,
        manifest,
        bundle,
        tree,
        env,
        relink,
        user_tags,
        key,
    } = input;
    let io = |what: String| BuildError::io(what);
    let version = manifest.version.as_str();
    let final_env = store.env_dir(name, version, mode);

    // Prepare the tree outside the lock: the manifest as an extracted
    // bundle has it, the env inside, its prefix rewritten for where it will
    // live, marked usable.
    let text = manifest
        .to_yaml()
        .map_err(|e| BuildError::Other(format!("rendering the manifest: {e}")))?;
    fs::write(tree.join(MANIFEST_FILE), text).map_err(io("writing the manifest".to_owned()))?;
    let staged_env = tree.join("export").join(mode);
    fs::create_dir_all(tree.join("export")).map_err(io(format!("creating {}", tree.display())))?;
    fs::rename(env, &staged_env).map_err(io(format!("moving {}", env.display())))?;
    relink(&staged_env, &final_env)?;
    fs::write(staged_env.join(RESTORE_STATUS_FILE), "success")
        .map_err(io("writing the env status".to_owned()))?;

    let lock = store.lock().map_err(store_err)?;
    let added = store
        .add_version(
            &lock,
            store::AddVersion {
                name: name.to_owned(),
                bundle: bundle.to_owned(),
                workdir: Some(tree.to_owned()),
                tags: user_tags.to_vec(),
            },
        )
        .map_err(store_err)?;
    store
        .record_fingerprint(&lock, name, key, &added.version)
        .map_err(store_err)?;
    drop(lock);
    Ok(Committed {
        env_path: final_env,
        version: added.version,
        tags: added.tags,
        bundle_path: added.bundle,
    })
}

fn store_err(e: store::StoreError) -> BuildError {
    BuildError::Store(Box::new(e))
}
