//! Writes a staging directory as a deterministic bundle.
//!
//! The tar holds `_manifest.yaml` first (so listing reads one small entry),
//! then every member sorted by path, with fixed mtimes (0), owners (0/0, no
//! names) and normalised modes: directories 0755, files 0755 when any execute
//! bit is set else 0644, symlinks kept as links. Normalising modes keeps the
//! version independent of the builder's umask while keeping executables
//! executable. Fifos, sockets and devices in the staging directory are an
//! error. The tar is written to a temporary file next to its destination,
//! fsynced and renamed, so nobody sees half a bundle.

use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::digest::{MemberKind, MemberRecord, compute_version, hex};
use super::manifest::{MANIFEST_FILE, Manifest, SwrtSection};
use super::{BUNDLE_EXT, BundleError};

/// A bundle written to disk.
#[derive(Debug, Clone)]
pub struct WrittenBundle {
    /// `<out_dir>/<version>.swrt`.
    pub path: PathBuf,
    pub version: String,
    /// The manifest as written (version, created_at and member digests set).
    pub manifest: Manifest,
    /// Size of the tar in bytes.
    pub size: u64,
}

/// The current time as swcli writes it (`%Y-%m-%d %H:%M:%S %Z`, local time).
pub fn now_str() -> String {
    jiff::Zoned::now()
        .strftime("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

/// Writes the files under `staging` (its own `_manifest.yaml`, if any, is
/// ignored) and `manifest` as `<out_dir>/<version>.swrt`.
///
/// Fills in `manifest.swrt.members` (creating the `swrt:` section with this
/// tool's version when absent), `version`, and `created_at` when empty.
pub fn write_bundle(
    staging: &Path,
    mut manifest: Manifest,
    out_dir: &Path,
) -> Result<WrittenBundle, BundleError> {
    let members = scan(staging)?;
    let swrt = manifest.swrt.get_or_insert_with(|| SwrtSection {
        tool_version: crate::VERSION.to_owned(),
        ..SwrtSection::default()
    });
    swrt.members = members
        .iter()
        .filter_map(|m| match &m.record.kind {
            MemberKind::File { sha256, .. } => Some((m.record.path.clone(), sha256.clone())),
            _ => None,
        })
        .collect();
    let records: Vec<MemberRecord> = members.iter().map(|m| m.record.clone()).collect();
    let version = compute_version(&manifest, &records)
        .map_err(|e| BundleError::RenderManifest(serde::ser::Error::custom(e.to_string())))?;
    manifest.version = version.clone();
    if manifest.created_at.is_empty() {
        manifest.created_at = now_str();
    }
    let manifest_text = manifest.to_yaml().map_err(BundleError::RenderManifest)?;

    fs::create_dir_all(out_dir).map_err(BundleError::io("create", out_dir))?;
    let dest = out_dir.join(format!("{version}.{BUNDLE_EXT}"));
    let tmp = tempfile::Builder::new()
        .prefix(".swrt-bundle-")
        .tempfile_in(out_dir)
        .map_err(BundleError::io("create a temporary file in", out_dir))?;
    {
        let file = tmp.as_file();
        let mut builder = tar::Builder::new(BufWriter::new(file));
        builder.mode(tar::HeaderMode::Deterministic);
        append_file(&mut builder, MANIFEST_FILE, 0o644, manifest_text.as_bytes())
            .map_err(BundleError::io("write", tmp.path()))?;
        for m in &members {
            append_member(&mut builder, staging, m)
                .map_err(BundleError::io("write", tmp.path()))?;
        }
        let mut inner = builder
            .into_inner()
            .map_err(BundleError::io("write", tmp.path()))?;
        inner
            .flush()
            .map_err(BundleError::io("write", tmp.path()))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(BundleError::io("sync", tmp.path()))?;
    let size = tmp
        .as_file()
        .metadata()
        .map_err(BundleError::io("stat", tmp.path()))?
        .len();
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o644))
        .map_err(BundleError::io("chmod", tmp.path()))?;
    tmp.persist(&dest)
        .map_err(|e| BundleError::io("rename into", &dest)(e.error))?;
    crate::store::atomic::sync_dir(out_dir).map_err(BundleError::io("sync", out_dir))?;
    Ok(WrittenBundle {
        path: dest,
        version,
        manifest,
        size,
    })
}

struct Member {
    record: MemberRecord,
    source: PathBuf,
}

/// Walks the staging directory in path order and hashes every file.
fn scan(staging: &Path) -> Result<Vec<Member>, BundleError> {
    let mut out = Vec::new();
    walk(staging, staging, &mut out)?;
    out.sort_by(|a, b| a.record.path.cmp(&b.record.path));
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<Member>) -> Result<(), BundleError> {
    let mut entries: Vec<fs::DirEntry> = fs::read_dir(dir)
        .map_err(BundleError::io("read", dir))?
        .collect::<Result<_, _>>()
        .map_err(BundleError::io("read", dir))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let rel = path
            .strip_prefix(root)
            .map_err(|_| BundleError::Stage {
                member: path.display().to_string(),
                source_path: root.to_path_buf(),
                reason: "outside the staging directory".to_owned(),
            })?
            .to_str()
            .ok_or_else(|| BundleError::Stage {
                member: path.display().to_string(),
                source_path: path.clone(),
                reason: "the path is not UTF-8".to_owned(),
            })?
            .to_owned();
        if rel == MANIFEST_FILE {
            continue;
        }
        let meta = fs::symlink_metadata(&path).map_err(BundleError::io("stat", &path))?;
        let ft = meta.file_type();
        if ft.is_dir() {
            out.push(Member {
                record: MemberRecord {
                    path: rel,
                    mode: 0o755,
                    kind: MemberKind::Dir,
                },
                source: path.clone(),
            });
            walk(root, &path, out)?;
        } else if ft.is_symlink() {
            let target = fs::read_link(&path).map_err(BundleError::io("read link", &path))?;
            let target = target
                .to_str()
                .ok_or_else(|| BundleError::Stage {
                    member: rel.clone(),
                    source_path: path.clone(),
                    reason: "the link target is not UTF-8".to_owned(),
                })?
                .to_owned();
            out.push(Member {
                record: MemberRecord {
                    path: rel,
                    mode: 0o777,
                    kind: MemberKind::Symlink { target },
                },
                source: path,
            });
        } else if ft.is_file() {
            let mode = if meta.mode() & 0o111 != 0 {
                0o755
            } else {
                0o644
            };
            let sha256 = hash_file(&path)?;
            out.push(Member {
                record: MemberRecord {
                    path: rel,
                    mode,
                    kind: MemberKind::File {
                        size: meta.len(),
                        sha256,
                    },
                },
                source: path,
            });
        } else {
            return Err(BundleError::Stage {
                member: rel,
                source_path: path,
                reason: "only regular files, directories and symlinks can go into a bundle"
                    .to_owned(),
            });
        }
    }
    Ok(())
}

fn hash_file(path: &Path) -> Result<String, BundleError> {
    let mut file = fs::File::open(path).map_err(BundleError::io("open", path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(BundleError::io("read", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    h
}

fn append_file<W: Write>(
    builder: &mut tar::Builder<W>,
    path: &str,
    mode: u32,
    bytes: &[u8],
) -> io::Result<()> {
    let mut h = header(tar::EntryType::Regular, mode, bytes.len() as u64);
    builder.append_data(&mut h, path, bytes)
}

fn append_member<W: Write>(
    builder: &mut tar::Builder<W>,
    _staging: &Path,
    m: &Member,
) -> io::Result<()> {
    match &m.record.kind {
        MemberKind::Dir => {
            let mut h = header(tar::EntryType::Directory, m.record.mode, 0);
            builder.append_data(&mut h, format!("{}/", m.record.path), io::empty())
        }
        MemberKind::File { size, .. } => {
            let file = fs::File::open(&m.source)?;
            let mut h = header(tar::EntryType::Regular, m.record.mode, *size);
            // A file that changes while being written would break the
            // digest; `take` keeps the tar well-formed and the reader's
            // digest check catches it.
            builder.append_data(&mut h, &m.record.path, file.take(*size))
        }
        MemberKind::Symlink { target } => {
            let mut h = header(tar::EntryType::Symlink, m.record.mode, 0);
            builder.append_link(&mut h, &m.record.path, target)
        }
    }
}
