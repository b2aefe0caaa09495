//! The store's exclusive lock (`<root>/.swrt/lock`).
//!
//! Every mutation of the store (new version, tag, remove, recover, gc,
//! import, restore) holds it; readers never take it because every write is
//! atomic. It is an advisory `flock` through std's `File::lock`, released when
//! the [`StoreLock`] is dropped or the process dies. Not reentrant: one
//! operation takes it once and passes `&StoreLock` down as proof.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// Proof that this process holds the store lock.
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
    path: PathBuf,
}

impl StoreLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open(path: &Path) -> io::Result<File> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
    }

    /// Waits until the lock is free, then takes it.
    // std's `File::lock` is stable since 1.89 and is what the design asks
    // for; the crate's declared MSRV predates it, the toolchain does not.
    #[allow(clippy::incompatible_msrv)]
    pub fn acquire(path: &Path) -> io::Result<StoreLock> {
        let file = Self::open(path)?;
        file.lock()?;
        Ok(StoreLock {
            _file: file,
            path: path.to_path_buf(),
        })
    }

    /// Takes the lock if it is free; `Ok(None)` when another process holds it.
    #[allow(clippy::incompatible_msrv)]
    pub fn try_acquire(path: &Path) -> io::Result<Option<StoreLock>> {
        let file = Self::open(path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(StoreLock {
                _file: file,
                path: path.to_path_buf(),
            })),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(e),
        }
    }
}
