//! Reading bundles, including ones from elsewhere (imports, pulls, swcli).
//!
//! [`extract`] is the only way a bundle's members reach the file system.
//! It refuses absolute paths and `..`, symlinks whose target leaves the
//! target directory (or climbs after descending), hard links to anything but
//! an earlier regular member, entries that would be written through a
//! symlink, duplicates, devices, fifos and unknown entry types, and members
//! or totals over the caps. It extracts into a temporary directory next to
//! the target, verifies the `swrt:` digests when the manifest has them (and
//! that the version matches the content), and only then renames the result
//! into place: a refused bundle leaves nothing behind.
//!
//! swcli's bundles start with a root entry named `/` (Python's tarfile with
//! `arcname=""`); a directory entry that names the root is skipped.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use super::BundleError;
use super::digest::{MemberKind, MemberRecord, compute_version, hex};
use super::manifest::{MANIFEST_FILE, Manifest};

/// Caps on what a bundle may unpack to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractLimits {
    /// Largest single member, in bytes.
    pub max_member_bytes: u64,
    /// Largest total of all members, in bytes.
    pub max_total_bytes: u64,
    /// Most entries.
    pub max_entries: u64,
}

impl Default for ExtractLimits {
    fn default() -> Self {
        ExtractLimits {
            max_member_bytes: 8 << 30,
            max_total_bytes: 32 << 30,
            max_entries: 1_000_000,
        }
    }
}

/// The largest manifest or single member [`read_members`] returns.
const MAX_READ_MEMBER: u64 = 64 << 20;

/// A bundle extracted into place.
#[derive(Debug, Clone)]
pub struct Extracted {
    pub target: PathBuf,
    pub manifest: Manifest,
    /// Whether the manifest carried `swrt:` digests that were checked.
    pub verified: bool,
    /// Total bytes of regular files written.
    pub bytes: u64,
}

/// A member path made safe: relative, normal components only. `None` for
/// the archive root.
fn clean_member_path(raw: &[u8]) -> Result<Option<PathBuf>, String> {
    let s = std::str::from_utf8(raw).map_err(|_| "has a name that is not UTF-8".to_owned())?;
    if s.contains('\0') {
        return Err("has a NUL byte in its name".to_owned());
    }
    if s.starts_with('/') && !s.trim_matches('/').is_empty() {
        return Err("is an absolute path".to_owned());
    }
    let mut out = PathBuf::new();
    for part in s.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("climbs out with `..`".to_owned()),
            p => out.push(p),
        }
    }
    // Belt and braces: a component the split did not see (never on Unix).
    if out.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err("is not a plain relative path".to_owned());
    }
    Ok(if out.as_os_str().is_empty() {
        None
    } else {
        Some(out)
    })
}

fn to_slash(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Checks a symlink target: relative, some leading `..` then plain names,
/// and not climbing above the archive root from the link's directory.
fn check_link_target(link: &Path, target: &Path) -> Result<(), String> {
    if target.is_absolute() {
        return Err(format!(
            "is a symlink to the absolute path {}",
            target.display()
        ));
    }
    let depth = link.components().count().saturating_sub(1);
    let mut ups = 0usize;
    let mut seen_name = false;
    for c in target.components() {
        match c {
            Component::ParentDir if !seen_name => ups += 1,
            Component::ParentDir => {
                return Err(format!(
                    "is a symlink to {} which climbs after descending",
                    target.display()
                ));
            }
            Component::CurDir => {}
            Component::Normal(_) => seen_name = true,
            _ => return Err(format!("is a symlink to {}", target.display())),
        }
    }
    if ups > depth {
        return Err(format!(
            "is a symlink to {} outside the bundle",
            target.display()
        ));
    }
    Ok(())
}

/// Fails if any ancestor of `rel` inside `root` is a symlink, or if `rel`
/// itself already exists (duplicates could be used to write through links).
fn check_fresh(root: &Path, rel: &Path, is_dir: bool) -> Result<(), String> {
    let mut cur = root.to_path_buf();
    let parts: Vec<_> = rel.components().collect();
    for (i, c) in parts.iter().enumerate() {
        cur.push(c.as_os_str());
        match fs::symlink_metadata(&cur) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(if i + 1 == parts.len() {
                    "appears twice in the bundle".to_owned()
                } else {
                    format!(
                        "would be written through the symlink {}",
                        to_slash(cur.strip_prefix(root).unwrap_or(&cur))
                    )
                });
            }
            Ok(meta) if i + 1 == parts.len() => {
                if !(is_dir && meta.is_dir()) {
                    return Err("appears twice in the bundle".to_owned());
                }
            }
            Ok(meta) if !meta.is_dir() => {
                return Err(format!(
                    "is below {}, which is not a directory",
                    to_slash(cur.strip_prefix(root).unwrap_or(&cur))
                ));
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(())
}

/// Reads `_manifest.yaml` from a bundle (stops at that entry).
pub fn read_manifest(bundle: &Path) -> Result<Manifest, BundleError> {
    let mut found = read_members(bundle, &[MANIFEST_FILE])?;
    let bytes = found
        .remove(MANIFEST_FILE)
        .ok_or_else(|| BundleError::MissingManifest {
            path: bundle.to_path_buf(),
        })?;
    parse_manifest(bundle, &bytes)
}

fn parse_manifest(bundle: &Path, bytes: &[u8]) -> Result<Manifest, BundleError> {
    let text = String::from_utf8_lossy(bytes);
    Manifest::from_yaml(&text).map_err(|source| BundleError::BadManifest {
        path: bundle.to_path_buf(),
        source,
    })
}

/// Reads the named regular members (paths like `runtime.yaml`), stopping as
/// soon as all are found. Missing names are simply absent from the result.
pub fn read_members(
    bundle: &Path,
    names: &[&str],
) -> Result<BTreeMap<String, Vec<u8>>, BundleError> {
    let file = fs::File::open(bundle).map_err(BundleError::io("open", bundle))?;
    let mut archive = tar::Archive::new(io::BufReader::new(file));
    let mut out = BTreeMap::new();
    let entries = archive.entries().map_err(BundleError::io("read", bundle))?;
    for entry in entries {
        let mut entry = entry.map_err(BundleError::io("read", bundle))?;
        if !matches!(
            entry.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Continuous
        ) {
            continue;
        }
        let Ok(Some(path)) = clean_member_path(&entry.path_bytes()) else {
            continue;
        };
        let path = to_slash(&path);
        if names.contains(&path.as_str()) && !out.contains_key(&path) {
            let size = entry.header().size().unwrap_or(u64::MAX);
            if size > MAX_READ_MEMBER {
                return Err(BundleError::TooLarge {
                    path: bundle.to_path_buf(),
                    reason: format!("member `{path}` is {size} bytes"),
                });
            }
            let mut bytes = Vec::with_capacity(size as usize);
            entry
                .by_ref()
                .take(MAX_READ_MEMBER)
                .read_to_end(&mut bytes)
                .map_err(BundleError::io("read", bundle))?;
            out.insert(path, bytes);
            if out.len() == names.len() {
                break;
            }
        }
    }
    Ok(out)
}

/// Extracts `bundle` into `target` (which must not exist unless `force`,
/// in which case it is replaced only after the new content is complete).
pub fn extract(
    bundle: &Path,
    target: &Path,
    force: bool,
    limits: &ExtractLimits,
) -> Result<Extracted, BundleError> {
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if target.exists() && !force {
        return Err(BundleError::TargetExists {
            path: target.to_path_buf(),
        });
    }
    fs::create_dir_all(parent).map_err(BundleError::io("create", parent))?;
    let tmp = tempfile::Builder::new()
        .prefix(".swrt-extract-")
        .tempdir_in(parent)
        .map_err(BundleError::io("create a temporary directory in", parent))?;
    let (manifest, verified, bytes) = unpack(bundle, tmp.path(), limits)?;
    if target.exists() {
        crate::store::atomic::remove_path(target).map_err(BundleError::io("remove", target))?;
    }
    let tmp_path = tmp.keep();
    if let Err(e) = fs::rename(&tmp_path, target) {
        let _ = fs::remove_dir_all(&tmp_path);
        return Err(BundleError::io("rename into", target)(e));
    }
    let _ = crate::store::atomic::sync_dir(parent);
    Ok(Extracted {
        target: target.to_path_buf(),
        manifest,
        verified,
        bytes,
    })
}

fn unsafe_member(bundle: &Path, member: &str, reason: impl Into<String>) -> BundleError {
    BundleError::Unsafe {
        path: bundle.to_path_buf(),
        member: member.to_owned(),
        reason: reason.into(),
    }
}

/// Unpacks into `root` (an empty directory) with every check; returns the
/// manifest, whether digests were verified, and the bytes written.
fn unpack(
    bundle: &Path,
    root: &Path,
    limits: &ExtractLimits,
) -> Result<(Manifest, bool, u64), BundleError> {
    let file = fs::File::open(bundle).map_err(BundleError::io("open", bundle))?;
    let mut archive = tar::Archive::new(io::BufReader::new(file));
    let mut total: u64 = 0;
    let mut count: u64 = 0;
    let mut records: Vec<MemberRecord> = Vec::new();
    let mut dir_modes: Vec<(PathBuf, u32)> = Vec::new();
    let entries = archive.entries().map_err(BundleError::io("read", bundle))?;
    for entry in entries {
        let mut entry = entry.map_err(BundleError::io("read", bundle))?;
        count += 1;
        if count > limits.max_entries {
            return Err(BundleError::TooLarge {
                path: bundle.to_path_buf(),
                reason: format!("more than {} entries", limits.max_entries),
            });
        }
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = entry.header().entry_type();
        if kind == tar::EntryType::XGlobalHeader {
            continue;
        }
        let rel = match clean_member_path(&entry.path_bytes()) {
            Ok(Some(rel)) => rel,
            Ok(None) if kind == tar::EntryType::Directory => continue,
            Ok(None) => return Err(unsafe_member(bundle, &raw_name, "names the target itself")),
            Err(why) => return Err(unsafe_member(bundle, &raw_name, why)),
        };
        let name = to_slash(&rel);
        let dest = root.join(&rel);
        let mode = entry.header().mode().unwrap_or(0o644) & 0o777;
        match kind {
            tar::EntryType::Directory => {
                check_fresh(root, &rel, true).map_err(|why| unsafe_member(bundle, &name, why))?;
                fs::create_dir_all(&dest).map_err(BundleError::io("create", &dest))?;
                dir_modes.push((dest, mode | 0o700));
                records.push(MemberRecord {
                    path: name,
                    mode,
                    kind: MemberKind::Dir,
                });
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                check_fresh(root, &rel, false).map_err(|why| unsafe_member(bundle, &name, why))?;
                let size = entry.header().size().unwrap_or(u64::MAX);
                if size > limits.max_member_bytes {
                    return Err(BundleError::TooLarge {
                        path: bundle.to_path_buf(),
                        reason: format!(
                            "member `{name}` is {size} bytes, over the limit of {}",
                            limits.max_member_bytes
                        ),
                    });
                }
                if total.saturating_add(size) > limits.max_total_bytes {
                    return Err(BundleError::TooLarge {
                        path: bundle.to_path_buf(),
                        reason: format!(
                            "members total more than the limit of {} bytes",
                            limits.max_total_bytes
                        ),
                    });
                }
                if let Some(dir) = dest.parent() {
                    fs::create_dir_all(dir).map_err(BundleError::io("create", dir))?;
                }
                let mut out = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&dest)
                    .map_err(BundleError::io("create", &dest))?;
                let mut hasher = Sha256::new();
                let mut written: u64 = 0;
                let mut buf = vec![0u8; 64 * 1024];
                let mut limited = entry.by_ref().take(limits.max_member_bytes + 1);
                loop {
                    let n = limited
                        .read(&mut buf)
                        .map_err(BundleError::io("read", bundle))?;
                    if n == 0 {
                        break;
                    }
                    written += n as u64;
                    if written > limits.max_member_bytes {
                        return Err(BundleError::TooLarge {
                            path: bundle.to_path_buf(),
                            reason: format!("member `{name}` is over the limit"),
                        });
                    }
                    hasher.update(&buf[..n]);
                    out.write_all(&buf[..n])
                        .map_err(BundleError::io("write", &dest))?;
                }
                drop(out);
                total += written;
                let file_mode = if mode & 0o111 != 0 { 0o755 } else { 0o644 };
                fs::set_permissions(&dest, fs::Permissions::from_mode(file_mode))
                    .map_err(BundleError::io("chmod", &dest))?;
                records.push(MemberRecord {
                    path: name,
                    mode,
                    kind: MemberKind::File {
                        size: written,
                        sha256: hex(&hasher.finalize()),
                    },
                });
            }
            tar::EntryType::Symlink => {
                check_fresh(root, &rel, false).map_err(|why| unsafe_member(bundle, &name, why))?;
                let target = entry
                    .link_name()
                    .map_err(BundleError::io("read", bundle))?
                    .ok_or_else(|| unsafe_member(bundle, &name, "is a symlink without a target"))?
                    .into_owned();
                check_link_target(&rel, &target)
                    .map_err(|why| unsafe_member(bundle, &name, why))?;
                if let Some(dir) = dest.parent() {
                    fs::create_dir_all(dir).map_err(BundleError::io("create", dir))?;
                }
                std::os::unix::fs::symlink(&target, &dest)
                    .map_err(BundleError::io("create", &dest))?;
                records.push(MemberRecord {
                    path: name,
                    mode,
                    kind: MemberKind::Symlink {
                        target: to_slash(&target),
                    },
                });
            }
            tar::EntryType::Link => {
                check_fresh(root, &rel, false).map_err(|why| unsafe_member(bundle, &name, why))?;
                let link_raw = entry
                    .link_name_bytes()
                    .ok_or_else(|| unsafe_member(bundle, &name, "is a hard link without a target"))?
                    .into_owned();
                let source = match clean_member_path(&link_raw) {
                    Ok(Some(p)) => p,
                    Ok(None) => {
                        return Err(unsafe_member(
                            bundle,
                            &name,
                            "is a hard link to the target itself",
                        ));
                    }
                    Err(why) => {
                        return Err(unsafe_member(
                            bundle,
                            &name,
                            format!("is a hard link whose target {why}"),
                        ));
                    }
                };
                // The source must be an earlier regular member reached without
                // symlinks; `check_fresh` on it would say "twice", so check
                // the ancestors and the entry by hand.
                let src_abs = root.join(&source);
                let src_meta = fs::symlink_metadata(&src_abs).ok();
                let through_link = source.parent().is_some_and(|p| {
                    p.ancestors().any(|a| {
                        !a.as_os_str().is_empty()
                            && fs::symlink_metadata(root.join(a))
                                .is_ok_and(|m| m.file_type().is_symlink())
                    })
                });
                if through_link || !src_meta.is_some_and(|m| m.file_type().is_file()) {
                    return Err(unsafe_member(
                        bundle,
                        &name,
                        format!(
                            "is a hard link to `{}`, which is not an earlier file of the bundle",
                            to_slash(&source)
                        ),
                    ));
                }
                if let Some(dir) = dest.parent() {
                    fs::create_dir_all(dir).map_err(BundleError::io("create", dir))?;
                }
                fs::hard_link(&src_abs, &dest).map_err(BundleError::io("link", &dest))?;
                let src_name = to_slash(&source);
                let copied = records
                    .iter()
                    .find(|r| r.path == src_name)
                    .map(|r| r.kind.clone());
                if let Some(kind) = copied {
                    records.push(MemberRecord {
                        path: name,
                        mode,
                        kind,
                    });
                }
            }
            other => {
                let what = match other {
                    tar::EntryType::Char => "is a character device",
                    tar::EntryType::Block => "is a block device",
                    tar::EntryType::Fifo => "is a fifo",
                    _ => "has an entry type bundles never use",
                };
                return Err(unsafe_member(bundle, &name, what));
            }
        }
    }
    // Directory modes last, deepest first, so read-only directories do not
    // stop their own extraction.
    dir_modes.sort_by(|a, b| b.0.cmp(&a.0));
    for (dir, mode) in dir_modes {
        fs::set_permissions(&dir, fs::Permissions::from_mode(mode))
            .map_err(BundleError::io("chmod", &dir))?;
    }

    let manifest_path = root.join(MANIFEST_FILE);
    let manifest_meta = fs::symlink_metadata(&manifest_path).ok();
    if !manifest_meta.is_some_and(|m| m.file_type().is_file()) {
        return Err(BundleError::MissingManifest {
            path: bundle.to_path_buf(),
        });
    }
    let bytes = fs::read(&manifest_path).map_err(BundleError::io("read", &manifest_path))?;
    let manifest = parse_manifest(bundle, &bytes)?;
    let verified = verify(bundle, &manifest, &records)?;
    Ok((manifest, verified, total))
}

/// Checks the `swrt:` member digests and the version. swcli bundles have no
/// digests: nothing to check, `Ok(false)`.
fn verify(
    bundle: &Path,
    manifest: &Manifest,
    records: &[MemberRecord],
) -> Result<bool, BundleError> {
    let Some(swrt) = &manifest.swrt else {
        return Ok(false);
    };
    let members: Vec<&MemberRecord> = records.iter().filter(|r| r.path != MANIFEST_FILE).collect();
    let mut seen = 0usize;
    for r in &members {
        if let MemberKind::File { sha256, .. } = &r.kind {
            match swrt.members.get(&r.path) {
                Some(expected) if expected == sha256 => seen += 1,
                Some(expected) => {
                    return Err(BundleError::DigestMismatch {
                        path: bundle.to_path_buf(),
                        member: r.path.clone(),
                        expected: expected.clone(),
                        actual: sha256.clone(),
                    });
                }
                None => {
                    return Err(BundleError::Inconsistent {
                        path: bundle.to_path_buf(),
                        reason: format!("member `{}` is not listed in the manifest", r.path),
                    });
                }
            }
        }
    }
    if seen != swrt.members.len() {
        let missing: Vec<&String> = swrt
            .members
            .keys()
            .filter(|k| !members.iter().any(|r| &&r.path == k))
            .collect();
        return Err(BundleError::Inconsistent {
            path: bundle.to_path_buf(),
            reason: format!("the manifest lists members the bundle lacks: {missing:?}"),
        });
    }
    let owned: Vec<MemberRecord> = members.into_iter().cloned().collect();
    let version = compute_version(manifest, &owned).map_err(|e| BundleError::Inconsistent {
        path: bundle.to_path_buf(),
        reason: format!("cannot hash the manifest: {e}"),
    })?;
    if version != manifest.version {
        return Err(BundleError::Inconsistent {
            path: bundle.to_path_buf(),
            reason: format!(
                "its content hashes to version {version}, but the manifest says {}",
                manifest.version
            ),
        });
    }
    Ok(true)
}
