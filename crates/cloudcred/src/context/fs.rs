//! File system access behind a trait.

use std::fmt;
use std::io;
use std::path::Path;

/// Read access to files. Providers read through this so embedders can supply files from
/// elsewhere; tests mostly use the real file system under a temporary `HOME`.
pub trait FileSystem: Send + Sync + fmt::Debug {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;

    fn exists(&self, path: &Path) -> bool;

    /// Warnings about who else can reach the credentials in `path` (for `doctor`): none by
    /// default; the OS file system checks the mode and a symlink's target owner.
    fn exposure_warnings(&self, path: &Path) -> Vec<String> {
        let _ = path;
        Vec::new()
    }
}

/// The operating system's file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsFileSystem;

impl FileSystem for OsFileSystem {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn exposure_warnings(&self, path: &Path) -> Vec<String> {
        os_exposure_warnings(path)
    }
}

/// On Unix: `path` (followed) is accessible by group or others (`mode & 0o077`), or `path` is a
/// symlink whose target another user owns. Nothing for a missing file or elsewhere.
#[cfg(unix)]
fn os_exposure_warnings(path: &Path) -> Vec<String> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let Ok(meta) = std::fs::metadata(path) else {
        return out;
    };
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        out.push(format!(
            "{} is readable by group or others (mode {mode:03o}): run chmod 600 {}",
            path.display(),
            path.display()
        ));
    }
    let is_link = std::fs::symlink_metadata(path)
        .map(|m| m.file_type().is_symlink())
        .unwrap_or(false);
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if is_link && meta.uid() != me {
        let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        out.push(format!(
            "{} is a symlink to {}, which another user (uid {}) owns: they can change your credentials; replace the link with a file you own",
            path.display(),
            target.display(),
            meta.uid()
        ));
    }
    out
}

#[cfg(not(unix))]
fn os_exposure_warnings(_path: &Path) -> Vec<String> {
    Vec::new()
}
