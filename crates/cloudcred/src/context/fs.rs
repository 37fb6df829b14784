//! File system access behind a trait, and the one safe reader every credential, configuration
//! and token file goes through.
//!
//! A local file is input like any other: a FIFO in its place blocks a plain `open` forever, a
//! symlink to `/dev/zero` never ends, a directory or a 200 MB file is a mistake.
//! [`read_regular_file`] opens without blocking, refuses anything but a regular file, reads at
//! most a size cap, and says which of these happened, so no provider can forget a case.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Largest credentials or configuration file read (the INI file, config.json, the Huawei
/// credentials file). Real ones are a few KiB even with dozens of profiles; a cap keeps a
/// mistaken path (a log, a disk image) from taking the process's memory.
pub const CONFIG_FILE_MAX_BYTES: u64 = 1024 * 1024;

/// Largest token or key file read (OIDC tokens, Huawei id and pod-identity tokens, RSA private
/// keys). A Kubernetes projected token is about 1 KiB and a 16384-bit PEM key 13 KiB.
pub const TOKEN_FILE_MAX_BYTES: u64 = 64 * 1024;

/// Read access to files. Providers read through this so embedders can supply files from
/// elsewhere; tests mostly use the real file system under a temporary `HOME`.
pub trait FileSystem: Send + Sync + fmt::Debug {
    /// The whole content of the credentials or configuration file at `path`.
    /// [`OsFileSystem`] refuses non-regular files and files over [`CONFIG_FILE_MAX_BYTES`].
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;

    /// [`read`](Self::read) refusing more than `max_bytes`. The default reads, then checks
    /// the length (enough for files held in memory); [`OsFileSystem`] never reads past the cap.
    fn read_limited(&self, path: &Path, max_bytes: u64) -> io::Result<Vec<u8>> {
        let bytes = self.read(path)?;
        if bytes.len() as u64 > max_bytes {
            return Err(FileRefusal::TooLarge { max_bytes }.into());
        }
        Ok(bytes)
    }

    /// Whether something is at `path`. A symlink counts even when its target is missing or it
    /// loops: the user configured that path, so reading it must fail loudly rather than the
    /// chain moving on to another identity.
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
        read_regular_file(path, CONFIG_FILE_MAX_BYTES)
    }

    fn read_limited(&self, path: &Path, max_bytes: u64) -> io::Result<Vec<u8>> {
        read_regular_file(path, max_bytes)
    }

    fn exists(&self, path: &Path) -> bool {
        std::fs::symlink_metadata(path).is_ok()
    }

    fn exposure_warnings(&self, path: &Path) -> Vec<String> {
        os_exposure_warnings(path)
    }
}

/// Why a file was refused before or while reading it. Carried inside the [`io::Error`] of a
/// read, so [`Error::io`](crate::Error::io) can say it in words; the text is the rest of a
/// sentence that starts with the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRefusal {
    /// A FIFO, device, socket or directory: reading one blocks, never ends or means nothing.
    NotRegular(&'static str),
    /// Larger than the reader's cap: no credential file is that large, so it is the wrong file.
    TooLarge {
        /// The cap, in bytes.
        max_bytes: u64,
    },
    /// A symbolic link whose target does not exist.
    DanglingLink {
        /// The link's target, as the link names it.
        target: PathBuf,
    },
    /// Symbolic links that point at each other (ELOOP).
    LinkLoop,
}

impl fmt::Display for FileRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileRefusal::NotRegular(what) => write!(
                f,
                "is {what}, not a regular file: put a regular file there, or point the setting at one"
            ),
            FileRefusal::TooLarge { max_bytes } => write!(
                f,
                "is larger than {}, the limit for this file: check that the setting names the right file",
                human_size(*max_bytes)
            ),
            FileRefusal::DanglingLink { target } => write!(
                f,
                "is a symlink to {}, which does not exist (dangling link): fix the link or remove it",
                target.display()
            ),
            FileRefusal::LinkLoop => f.write_str(
                "is a symlink loop (following it never reaches a file): fix the link or remove it",
            ),
        }
    }
}

impl std::error::Error for FileRefusal {}

impl From<FileRefusal> for io::Error {
    fn from(refusal: FileRefusal) -> Self {
        // Broad kinds on purpose: callers find the detail with `FileRefusal::of`.
        let kind = match &refusal {
            FileRefusal::NotRegular(_) | FileRefusal::LinkLoop => io::ErrorKind::InvalidInput,
            FileRefusal::TooLarge { .. } => io::ErrorKind::Other,
            FileRefusal::DanglingLink { .. } => io::ErrorKind::NotFound,
        };
        io::Error::new(kind, refusal)
    }
}

impl FileRefusal {
    /// The refusal inside `err`, if the safe reader made it.
    pub fn of(err: &io::Error) -> Option<&FileRefusal> {
        err.get_ref()?.downcast_ref()
    }
}

/// `1 MiB`, `64 KiB`, or bytes.
fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// Reads the regular file at `path` (symlinks followed), at most `max_bytes` of it.
///
/// The type is checked twice. First by `stat`, before any open: opening a device can act by
/// itself (a terminal becomes the controlling one, a tape rewinds, a watchdog arms). Then by
/// `fstat` on the open descriptor, so a path swapped in between is caught and the file checked
/// is the file read. The open never blocks: on Unix it uses `O_NONBLOCK`, with which a FIFO
/// opens without a writer (a plain open waits for one forever). Directories, FIFOs, devices and
/// sockets are refused; a dangling or looping symlink is named as such.
pub fn read_regular_file(path: &Path, max_bytes: u64) -> io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| explain_error(path, e))?;
    check_regular(&meta, max_bytes)?;
    let file = open_nonblocking(path).map_err(|e| explain_error(path, e))?;
    let meta = file.metadata()?;
    check_regular(&meta, max_bytes)?;
    // The length can change between fstat and read (or be 0 for /proc-like files): the take
    // bounds what is read whatever the metadata said.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max_bytes + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(FileRefusal::TooLarge { max_bytes }.into());
    }
    Ok(bytes)
}

fn check_regular(meta: &std::fs::Metadata, max_bytes: u64) -> io::Result<()> {
    if !meta.is_file() {
        return Err(FileRefusal::NotRegular(file_kind(&meta.file_type())).into());
    }
    if meta.len() > max_bytes {
        return Err(FileRefusal::TooLarge { max_bytes }.into());
    }
    Ok(())
}

/// Opens `path` for reading without waiting for a FIFO's writer (for the readers here and the
/// config.json write-back lock, which must not hang on a FIFO swapped in either).
#[cfg(unix)]
pub(crate) fn open_nonblocking(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
pub(crate) fn open_nonblocking(path: &Path) -> io::Result<File> {
    File::open(path)
}

/// A failed stat or open of a symlink says "not found" for a missing target and ELOOP for a
/// loop; both are named, since the path the user configured does exist.
fn explain_error(path: &Path, err: io::Error) -> io::Error {
    #[cfg(unix)]
    if err.raw_os_error() == Some(libc::ELOOP) {
        return FileRefusal::LinkLoop.into();
    }
    if err.kind() == io::ErrorKind::NotFound {
        if let Ok(target) = std::fs::read_link(path) {
            return FileRefusal::DanglingLink { target }.into();
        }
    }
    err
}

fn file_kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "a special file"
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

#[cfg(test)]
mod tests {
    use super::*;

    /// An embedder's file system that holds files in memory and only implements `read`.
    #[derive(Debug)]
    struct InMemory(Vec<u8>);

    impl FileSystem for InMemory {
        fn read(&self, _path: &Path) -> io::Result<Vec<u8>> {
            Ok(self.0.clone())
        }
        fn exists(&self, _path: &Path) -> bool {
            true
        }
    }

    #[test]
    fn the_default_read_limited_applies_the_cap_too() {
        let fs = InMemory(vec![b'x'; 10]);
        assert_eq!(fs.read_limited(Path::new("/m"), 10).unwrap().len(), 10);
        let e = fs.read_limited(Path::new("/m"), 9).unwrap_err();
        assert_eq!(
            FileRefusal::of(&e),
            Some(&FileRefusal::TooLarge { max_bytes: 9 })
        );
        let text = crate::Error::io("/m", &e).to_string();
        assert!(text.starts_with("/m: is larger than 9 bytes"), "{text}");
    }

    /// Opening a device can act by itself, so a special file is refused before any open. A
    /// FIFO shows it: a writer waiting in `open` is released by any reader's open.
    #[cfg(unix)]
    #[test]
    fn a_special_file_is_refused_without_being_opened() {
        use std::sync::mpsc;
        use std::time::Duration;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let (tx, rx) = mpsc::channel();
        let writer_path = fifo.clone();
        let writer = std::thread::spawn(move || {
            let opened = std::fs::OpenOptions::new().write(true).open(&writer_path);
            let _ = tx.send(opened.is_ok());
        });
        // Time for the writer to be waiting in `open` (a late writer would only make this
        // test pass wrongly, never fail wrongly).
        std::thread::sleep(Duration::from_millis(200));
        let e = read_regular_file(&fifo, 1024).unwrap_err();
        assert_eq!(
            FileRefusal::of(&e),
            Some(&FileRefusal::NotRegular("a FIFO (named pipe)"))
        );
        assert!(
            rx.recv_timeout(Duration::from_millis(300)).is_err(),
            "the reader opened the FIFO"
        );
        // Release the writer.
        let _reader = open_nonblocking(&fifo).unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(true));
        writer.join().unwrap();
    }

    #[test]
    fn limits_read_in_the_units_people_use() {
        assert_eq!(human_size(CONFIG_FILE_MAX_BYTES), "1 MiB");
        assert_eq!(human_size(TOKEN_FILE_MAX_BYTES), "64 KiB");
        assert_eq!(human_size(1500), "1500 bytes");
    }
}
