//! Running the External command (spec 6.11, D28): the process, its output and its end.
//!
//! The command leads its own process group (Unix), so whatever it starts ends with it: on
//! timeout, when stdout outgrows its cap, and when the fetch is cancelled (the refresh engine's
//! deadline, a dropped future), the whole group is killed and the command reaped. A command that
//! exits while something it started in the background still holds stdout (`sleep 30 &`) is done
//! when it exits: the pipes are read for [`PIPE_GRACE`] more, then what was read is used.

use crate::http::Scrubber;
use futures_util::future::{self, Either};
use std::fmt;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};

/// Largest stdout read: a credentials document is a few hundred bytes, so a longer output is a
/// runaway command; reading stops (and the command is killed) at the first byte over.
pub const MAX_STDOUT: usize = 1 << 20;
/// Largest stderr kept (its end); the rest is drained so the command never blocks on the pipe.
pub const MAX_STDERR: usize = 64 << 10;
/// How much of stderr an error shows (its end): the final lines say what failed.
pub const STDERR_TAIL: usize = 1 << 10;
/// How long the pipes are still read once the command has exited. A background job it left
/// behind may hold them open for as long as it lives; what the command itself wrote is already in
/// the pipe when it exits, so a short wait reads all of it.
pub const PIPE_GRACE: Duration = Duration::from_millis(200);
/// How long reaping a killed command may take: SIGKILL cannot be ignored, so only a process
/// stuck in the kernel (uninterruptible I/O) takes longer, and it is then left to tokio's reaper.
const REAP_WAIT: Duration = Duration::from_secs(2);

/// Why a run produced no usable output. The text never contains stdout: it holds the secret.
#[derive(Debug)]
pub(super) enum Failure {
    Spawn(std::io::ErrorKind),
    TimedOut(Duration),
    Read(std::io::ErrorKind),
    Wait(std::io::ErrorKind),
    TooLarge,
    Exit {
        status: ExitStatus,
        stderr_tail: String,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Spawn(kind) => {
                write!(
                    f,
                    "cannot start the command ({kind}): check process_command"
                )
            }
            Failure::TimedOut(t) => write!(
                f,
                "command process timed out after {} milliseconds and was killed",
                t.as_millis()
            ),
            Failure::Read(kind) => write!(f, "cannot read the command's output ({kind})"),
            Failure::Wait(kind) => write!(f, "cannot wait for the command ({kind})"),
            Failure::TooLarge => write!(
                f,
                "the output exceeds {MAX_STDOUT} bytes; the command was killed"
            ),
            Failure::Exit {
                status,
                stderr_tail,
            } => {
                match status.code() {
                    Some(c) => write!(f, "failed to execute external command: exit status {c}")?,
                    None => {
                        f.write_str("failed to execute external command: killed by a signal")?
                    }
                }
                if !stderr_tail.is_empty() {
                    write!(f, "\nstderr: {stderr_tail}")?;
                }
                Ok(())
            }
        }
    }
}

/// Runs `argv` (stdin from the null device, environment inherited) for at most `timeout` and
/// returns its stdout.
pub(super) async fn run(argv: &[String], timeout: Duration) -> Result<Vec<u8>, Failure> {
    let (program, args) = argv
        .split_first()
        .ok_or(Failure::Spawn(std::io::ErrorKind::NotFound))?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    own_group(&mut cmd);
    let mut child = cmd.spawn().map_err(|e| Failure::Spawn(e.kind()))?;
    // Declared after `child`, so dropped before it: the group is signalled while the leader is
    // not yet reaped and its id cannot have been reused.
    let mut group = Group::of(&child);
    let (Some(mut stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(Failure::Read(std::io::ErrorKind::BrokenPipe));
    };
    let mut out = Capped::head(MAX_STDOUT);
    let mut err = Capped::tail(MAX_STDERR);
    let outcome = {
        let reads = std::pin::pin!(async {
            tokio::try_join!(out.fill(&mut stdout), err.fill(&mut stderr)).map(|_| ())
        });
        let wait = std::pin::pin!(child.wait());
        let work = async {
            match future::select(reads, wait).await {
                // Both pipes closed: the command (and all it started) is done writing.
                Either::Left((read, wait)) => {
                    read?;
                    let status = wait.await.map_err(|e| Failure::Wait(e.kind()));
                    group.leader_reaped();
                    status
                }
                Either::Right((status, reads)) => {
                    group.leader_reaped();
                    let status = status.map_err(|e| Failure::Wait(e.kind()))?;
                    if let Ok(read) = tokio::time::timeout(PIPE_GRACE, reads).await {
                        read?;
                    }
                    Ok(status)
                }
            }
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Failure::TimedOut(timeout)),
        }
    };
    let status = match outcome {
        Ok(status) => status,
        Err(failure) => {
            group.kill();
            let _ = child.start_kill();
            let _ = tokio::time::timeout(REAP_WAIT, child.wait()).await;
            return Err(failure);
        }
    };
    if !status.success() {
        // A script run with `set -x`, or one that reports what it printed, repeats its stdout
        // (the secret) on stderr.
        let stdout_words = Scrubber::of_words(&String::from_utf8_lossy(&out.buf));
        return Err(Failure::Exit {
            status,
            stderr_tail: stdout_words.redact(&stderr_tail(&err.buf)),
        });
    }
    Ok(out.buf)
}

/// Why reading a pipe stopped early.
enum ReadStop {
    Io(std::io::ErrorKind),
    Overflow,
}

impl From<ReadStop> for Failure {
    fn from(stop: ReadStop) -> Self {
        match stop {
            ReadStop::Io(kind) => Failure::Read(kind),
            ReadStop::Overflow => Failure::TooLarge,
        }
    }
}

/// A pipe's content up to a cap: the first bytes (stdout: more is an error, so reading stops at
/// the first byte over) or the last ones (stderr: drained to the end, the final lines kept).
struct Capped {
    buf: Vec<u8>,
    cap: usize,
    keep_tail: bool,
}

impl Capped {
    fn head(cap: usize) -> Self {
        Self {
            buf: Vec::new(),
            cap,
            keep_tail: false,
        }
    }

    fn tail(cap: usize) -> Self {
        Self {
            buf: Vec::new(),
            cap,
            keep_tail: true,
        }
    }

    /// Reads `r` to its end into the buffer. Cancel-safe: whatever was read before a drop stays
    /// in the buffer.
    async fn fill<R: AsyncRead + Unpin>(&mut self, r: &mut R) -> Result<(), ReadStop> {
        let mut chunk = [0u8; 8192];
        loop {
            let n = r
                .read(&mut chunk)
                .await
                .map_err(|e| ReadStop::Io(e.kind()))?;
            if n == 0 {
                return Ok(());
            }
            if self.keep_tail {
                self.buf.extend_from_slice(&chunk[..n]);
                // Trimmed in halves, not per read, so draining a flood stays linear.
                if self.buf.len() > 2 * self.cap {
                    self.buf.drain(..self.buf.len() - self.cap);
                }
            } else {
                if n > self.cap - self.buf.len() {
                    return Err(ReadStop::Overflow);
                }
                self.buf.extend_from_slice(&chunk[..n]);
            }
        }
    }
}

/// At most the last [`STDERR_TAIL`] bytes of stderr, on a character boundary, trimmed.
fn stderr_tail(err: &[u8]) -> String {
    let start = err.len().saturating_sub(STDERR_TAIL);
    String::from_utf8_lossy(&err[start..])
        .trim_start_matches('\u{fffd}')
        .trim()
        .to_owned()
}

/// The command's process group; killed on drop unless its leader was reaped.
struct Group {
    id: Option<i32>,
}

impl Group {
    fn of(child: &Child) -> Self {
        Self {
            id: child.id().and_then(|p| i32::try_from(p).ok()),
        }
    }

    /// From now on the leader's id may be reused by an unrelated process, so the group is never
    /// signalled again; what the command left running in the background is its own business.
    fn leader_reaped(&mut self) {
        self.id = None;
    }

    fn kill(&mut self) {
        if let Some(id) = self.id.take() {
            kill_group(id);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(unix)]
fn own_group(cmd: &mut Command) {
    cmd.process_group(0);
}

#[cfg(not(unix))]
fn own_group(_: &mut Command) {}

#[cfg(unix)]
fn kill_group(id: i32) {
    // SAFETY: killpg only sends a signal; the id is that of a group whose leader is unreaped.
    unsafe {
        libc::killpg(id, libc::SIGKILL);
    }
}

/// Without process groups only the command itself is killed (by `kill_on_drop`).
#[cfg(not(unix))]
fn kill_group(_: i32) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_and_caps() {
        let long = "x".repeat(5000) + "the end\n";
        let t = stderr_tail(long.as_bytes());
        assert!(t.len() <= STDERR_TAIL && t.ends_with("the end"));
        assert_eq!(stderr_tail(b"  short \n"), "short");
        // A cut through a multi-byte character does not leave a replacement char in front.
        let mut s = vec![b'a'; 10];
        s.extend("é".repeat(600).as_bytes());
        assert!(!stderr_tail(&s).starts_with('\u{fffd}'));
    }

    /// A dropped run (an engine deadline, a runtime shutting down) kills the whole group: the
    /// `sleep` the shell started in the background too, not only the shell.
    #[cfg(unix)]
    #[tokio::test]
    async fn a_dropped_run_kills_the_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("sleep.pid");
        let argv: Vec<String> = [
            "sh".to_owned(),
            "-c".to_owned(),
            format!("sleep 30 & echo $! > '{}'; wait", pidfile.display()),
        ]
        .into();
        let cut = tokio::time::timeout(
            Duration::from_millis(500),
            run(&argv, Duration::from_secs(20)),
        )
        .await;
        assert!(cut.is_err());
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        let stat = format!("/proc/{}/stat", pid.trim());
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        while std::fs::read_to_string(&stat).is_ok_and(|s| !s.contains(") Z ")) {
            assert!(
                std::time::Instant::now() < deadline,
                "sleep {pid} still runs"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[tokio::test]
    async fn capped_reads_stop_or_drain() {
        let data = vec![7u8; 100_000];
        let mut head = Capped::head(1000);
        assert!(matches!(
            head.fill(&mut &data[..]).await,
            Err(ReadStop::Overflow)
        ));
        assert!(head.buf.len() <= 1000);
        let mut small = Capped::head(1000);
        assert!(small.fill(&mut &data[..10]).await.is_ok());
        assert_eq!(small.buf.len(), 10);
        let mut flood = vec![1u8; 50_000];
        flood.extend_from_slice(b"end");
        let mut tail = Capped::tail(1000);
        assert!(tail.fill(&mut &flood[..]).await.is_ok());
        assert!(tail.buf.len() <= 2000 && tail.buf.ends_with(b"end"));
    }
}
