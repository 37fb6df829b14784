//! File system access behind a trait.

use std::fmt;
use std::io;
use std::path::Path;

/// Read access to files. Providers read through this so embedders can supply files from
/// elsewhere; tests mostly use the real file system under a temporary `HOME`.
pub trait FileSystem: Send + Sync + fmt::Debug {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;

    fn exists(&self, path: &Path) -> bool;
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
}
