//! The content digest that names a bundle version.
//!
//! version = the first 40 characters of lowercase, unpadded base32 of
//! sha256 over: a format tag, the manifest as canonical JSON (sorted keys,
//! without `version` and `created_at`), then for each member in path order
//! its kind, path, mode, size and content digest (sha256 of the bytes for
//! files, the target for symlinks). The manifest's `swrt.members` already
//! holds every file's sha256, so the bytes enter the version through them
//! and a bundle is read once, not twice. Same staged content and manifest →
//! same version, on any machine.

use sha2::{Digest, Sha256};

use super::manifest::Manifest;

/// Length of a version string.
pub const VERSION_LEN: usize = 40;

/// What a member is, for hashing and writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberKind {
    Dir,
    /// A regular file with its sha256 (hex).
    File {
        size: u64,
        sha256: String,
    },
    Symlink {
        target: String,
    },
}

/// One tar member other than the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    /// Relative, `/`-separated, no trailing slash.
    pub path: String,
    /// Permission bits as stored (0o644/0o755 for files written by swrt).
    pub mode: u32,
    pub kind: MemberKind,
}

/// sha256 of bytes, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Lowercase unpadded base32 of the first 25 bytes of a digest: exactly 40
/// characters, the length of swcli's versions.
pub fn version_from_digest(digest: &[u8]) -> String {
    let mut s = data_encoding::BASE32_NOPAD
        .encode(digest)
        .to_ascii_lowercase();
    s.truncate(VERSION_LEN);
    s
}

/// Whether a string looks like a full version (40 base32 characters).
pub fn is_full_version(s: &str) -> bool {
    s.len() == VERSION_LEN
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
}

/// The canonical JSON text of a manifest without `version` and `created_at`.
pub fn canonical_manifest(manifest: &Manifest) -> Result<String, serde_json::Error> {
    let mut value = serde_json::to_value(manifest)?;
    if let serde_json::Value::Object(map) = &mut value {
        map.remove("version");
        map.remove("created_at");
    }
    Ok(canonical(&value))
}

fn canonical(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        serde_json::Value::String(k.clone()),
                        canonical(&map[k])
                    )
                })
                .collect();
            format!("{{{}}}", items.join(","))
        }
        serde_json::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// Computes the version of a bundle from its manifest and members (sorted
/// by path here, whatever order they come in).
pub fn compute_version(
    manifest: &Manifest,
    members: &[MemberRecord],
) -> Result<String, serde_json::Error> {
    let mut hasher = Sha256::new();
    hasher.update(b"swrt-bundle-v1\n");
    hasher.update(canonical_manifest(manifest)?.as_bytes());
    hasher.update(b"\n");
    let mut sorted: Vec<&MemberRecord> = members.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for m in sorted {
        let line = match &m.kind {
            MemberKind::Dir => format!("d\0{}\0{:o}\n", m.path, m.mode),
            MemberKind::File { size, sha256 } => {
                format!("f\0{}\0{:o}\0{size}\0{sha256}\n", m.path, m.mode)
            }
            MemberKind::Symlink { target } => format!("l\0{}\0{:o}\0{target}\n", m.path, m.mode),
        };
        hasher.update(line.as_bytes());
    }
    Ok(version_from_digest(&hasher.finalize()))
}
