//! The exit statuses of `cloudcred`: the one table that `main`, every command, `--help` and the
//! README take them from, so a script can tell "configure something" from "fix the
//! configuration" from "the service failed, retry".
//!
//! Statuses 2, 126, 127 and 141 are the ones shells and clap already give those cases; the
//! library's error categories ([`cloudcred::ErrorCategory`]) get their own statuses above 3,
//! clear of the usual 1 and 2.

use cloudcred::{Error, ErrorCategory, ErrorKind};
use std::process::ExitCode;

/// One documented exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// The process exit code.
    pub code: u8,
    /// When it is returned, for `--help` and the README.
    pub meaning: &'static str,
}

/// Any failure no other status names: stdout could not be written (a full disk, `/dev/full`),
/// a request could not be signed with these credentials, an internal error.
pub const FAILURE: Status = Status {
    code: 1,
    meaning: "other failure: stdout could not be written, the request cannot be signed with these credentials",
};
/// A command line clap refused, what clap itself exits with; or one a command's own check of
/// its arguments refused ([`usage_error`]).
pub const USAGE: Status = Status {
    code: 2,
    meaning: "usage error: an unknown command or option, a missing or invalid value",
};
/// Credentials were delivered but a write-back (a rotated OAuth refresh token above all) could
/// not be saved: the next run may fail, so the success must not look clean.
pub const UNSAVED: Status = Status {
    code: 3,
    meaning: "credentials delivered, but a rotated secret could not be saved to config.json",
};
/// [`ErrorCategory::NotConfigured`].
pub const NOT_CONFIGURED: Status = Status {
    code: 4,
    meaning: "no credentials configured: no source of the chain has any",
};
/// [`ErrorCategory::InvalidConfig`].
pub const INVALID_CONFIG: Status = Status {
    code: 5,
    meaning: "configuration error: a source is set but unusable (partial variables, a bad file)",
};
/// [`ErrorCategory::Service`].
pub const SERVICE: Status = Status {
    code: 6,
    meaning: "service or network error: a credential service refused or could not be reached",
};
/// `exec`: the program exists but cannot be executed, as a shell reports it.
pub const CANNOT_EXECUTE: Status = Status {
    code: 126,
    meaning:
        "exec: the command cannot be executed (otherwise exec exits with the command's own status)",
};
/// `exec`: the program is not found, as a shell reports it.
pub const NOT_FOUND: Status = Status {
    code: 127,
    meaning: "exec: the command is not found",
};
/// stdout is a pipe whose reader has gone (`cloudcred doctor | head -c1`): 128 + SIGPIPE, what
/// a shell reports for `cat` ended by that signal, so `set -o pipefail` scripts see cloudcred
/// the same way. Rust ignores SIGPIPE, so the write fails with EPIPE instead; we end quietly.
pub const CLOSED_STDOUT: Status = Status {
    code: 141,
    meaning: "stdout was a pipe whose reader has gone (128 + SIGPIPE); nothing is reported",
};

/// Every status but 0, in order.
pub const TABLE: [Status; 9] = [
    FAILURE,
    USAGE,
    UNSAVED,
    NOT_CONFIGURED,
    INVALID_CONFIG,
    SERVICE,
    CANNOT_EXECUTE,
    NOT_FOUND,
    CLOSED_STDOUT,
];

impl Status {
    /// The status as the process's exit code.
    pub fn exit(self) -> ExitCode {
        ExitCode::from(self.code)
    }

    /// The status of a command that failed with `err`.
    pub fn of(err: &Error) -> Status {
        if let ErrorKind::InvalidConfig { origin, .. } = err.kind() {
            if origin.ends_with(ARGUMENTS) {
                return USAGE;
            }
        }
        match err.category() {
            ErrorCategory::NotConfigured => NOT_CONFIGURED,
            ErrorCategory::InvalidConfig => INVALID_CONFIG,
            ErrorCategory::Service => SERVICE,
            _ => FAILURE,
        }
    }
}

/// The end of a [`usage_error`]'s origin. The library's origins name variables, files, profiles
/// and providers, never a command's arguments.
const ARGUMENTS: &str = " arguments";

/// What `command` finds wrong in its own arguments after clap has parsed them (`presign`'s
/// target and expiry, `sign`'s URL): a usage error, exiting with [`USAGE`] as clap's own do,
/// not a configuration error, which is about a credential source.
pub fn usage_error(command: &str, message: impl Into<String>) -> Error {
    Error::invalid_config(format!("{command}{ARGUMENTS}"), message)
}

/// The table as `--help` shows it (the top-level command's `after_help`).
pub fn help_text() -> String {
    let mut text = String::from("Exit status:\n  0    success\n");
    for s in TABLE {
        text.push_str(&format!("  {:<4} {}\n", s.code, s.meaning));
    }
    text
}
