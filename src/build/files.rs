//! Copying `files:` dependencies into an environment (and into a bundle's
//! staging tree): modes kept, symlinks kept as links, and a destination that
//! would leave the environment refused.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("files: dest `{dest}` leaves the environment")]
    DestEscapes { dest: String },
    #[error("copying `{}` to `{}`", from.display(), to.display())]
    Copy {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// `root/dest`, refusing absolute destinations and `..` that climbs out.
pub fn confined(root: &Path, dest: &str) -> Result<PathBuf, FilesError> {
    let escapes = || FilesError::DestEscapes {
        dest: dest.to_owned(),
    };
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for comp in Path::new(dest).components() {
        match comp {
            Component::Normal(p) => parts.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop().ok_or_else(escapes)?;
            }
            Component::RootDir | Component::Prefix(_) => return Err(escapes()),
        }
    }
    let mut out = root.to_path_buf();
    out.extend(parts);
    Ok(out)
}

/// Copies a file or a directory tree from `src` to `dest`, keeping modes
/// and symlinks; parent directories are created.
pub fn copy_tree(src: &Path, dest: &Path) -> Result<(), FilesError> {
    copy_inner(src, dest).map_err(|source| FilesError::Copy {
        from: src.to_owned(),
        to: dest.to_owned(),
        source,
    })
}

fn copy_inner(src: &Path, dest: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(src)?;
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)?;
    }
    if meta.file_type().is_symlink() {
        let target = fs::read_link(src)?;
        let _ = fs::remove_file(dest);
        std::os::unix::fs::symlink(target, dest)?;
    } else if meta.is_dir() {
        fs::create_dir_all(dest)?;
        let mut entries: Vec<_> = fs::read_dir(src)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            copy_inner(&entry.path(), &dest.join(entry.file_name()))?;
        }
        fs::set_permissions(dest, meta.permissions())?;
    } else {
        // fs::copy keeps the permission bits.
        fs::copy(src, dest)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn dest_must_stay_inside() {
        let root = Path::new("/env");
        assert_eq!(confined(root, "bin/x").unwrap(), Path::new("/env/bin/x"));
        assert_eq!(confined(root, "a/../b").unwrap(), Path::new("/env/b"));
        assert!(confined(root, "../x").is_err());
        assert!(confined(root, "a/../../x").is_err());
        assert!(confined(root, "/etc/passwd").is_err());
    }

    #[test]
    fn trees_keep_modes_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        fs::create_dir_all(src.join("sub")).unwrap();
        fs::write(src.join("sub/run.sh"), "#!/bin/sh\n").unwrap();
        fs::set_permissions(src.join("sub/run.sh"), fs::Permissions::from_mode(0o750)).unwrap();
        std::os::unix::fs::symlink("sub/run.sh", src.join("link")).unwrap();
        let dest = dir.path().join("out/deep");
        copy_tree(&src, &dest).unwrap();
        let mode = fs::metadata(dest.join("sub/run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o750);
        assert_eq!(
            fs::read_link(dest.join("link")).unwrap(),
            Path::new("sub/run.sh")
        );
    }
}
