//! The one error type of cloudcred.
//!
//! Every message names where the problem is (variable, file and line, profile, endpoint host) and
//! what to do about it. No variant has a field that could hold a secret, a token, a signature, a
//! URL query or file content: messages are assembled from names, paths, numbers and our own text
//! (spec section 11).

use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt;
use std::path::PathBuf;

/// The result type of cloudcred.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why one provider of a chain did not yield credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// The provider's full name, such as `default/env` or `default/profile/ram_role_arn`.
    pub provider: String,
    /// What it looked for and did not find, or why it declined ("ALIBABA_CLOUD_ACCESS_KEY_ID
    /// is not set").
    pub reason: String,
}

impl Attempt {
    /// The attempt of `provider`, which declined for `reason`.
    pub fn new(provider: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            provider: provider.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.provider, self.reason)
    }
}

/// The error of every cloudcred operation.
///
/// One pointer wide, so that `Result<Arc<Credentials>, Error>` stays small on the hot path;
/// [`Error::kind`] gives the details.
#[derive(Debug, Clone)]
pub struct Error(Box<ErrorKind>);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Error {}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error(Box::new(kind))
    }
}

/// Everything that can go wrong while resolving credentials.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A configured source is unusable: a partial set of variables, a missing or empty key, a bad
    /// value, an unknown type.
    InvalidConfig {
        /// The variable, file and section, or profile at fault.
        origin: String,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// A file could not be parsed. Never carries the offending line's text.
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// 1-based column, where the parser knows it (JSON does, the INI dialect does not).
        column: Option<usize>,
        /// What the parser expected.
        message: String,
    },

    /// A file that must be read could not be.
    Io {
        /// The file.
        path: PathBuf,
        /// The kind of failure (not found, permission denied, not a regular file, too large),
        /// never the file's content.
        message: String,
    },

    /// The source is configured with something this build does not support (yet).
    Unsupported {
        /// The variable, file and section, or profile that asks for it.
        origin: String,
        /// What is unsupported, and the feature or setting that would support it.
        message: String,
    },

    /// A provider asked for explicitly found nothing to use.
    NotConfigured {
        /// The provider's full name.
        provider: String,
        /// What it looked for.
        reason: String,
    },

    /// No provider of a chain had credentials.
    NoCredentials {
        /// Every provider of the chain, in order, with its reason.
        attempts: Vec<Attempt>,
    },

    /// A credential service answered with an error.
    Upstream {
        /// The provider's full name.
        provider: String,
        /// The service's scheme, host and path, without the query.
        endpoint: String,
        /// The HTTP status code.
        status: u16,
        /// The service's error code (`NoPermission`, `InvalidAccessKeyId.NotFound`), when it
        /// sent one.
        code: Option<String>,
        /// The service's message, scrubbed of every secret of the request and cut before any
        /// string to sign, when it sent one.
        message: Option<String>,
        /// The service's request id, for its support, when it sent one.
        request_id: Option<String>,
    },

    /// A credential service could not be reached or its answer could not be read.
    Transport {
        /// The provider's full name.
        provider: String,
        /// The service's scheme, host and path, without the query.
        endpoint: String,
        /// What failed (connect, timeout, TLS, an unreadable body), with the deadline where
        /// one passed.
        message: String,
    },

    /// A source returned credentials that had already expired.
    Expired {
        /// The provider's full name.
        provider: String,
        /// When the credentials expired, by their own expiration field.
        expired_at: DateTime<Utc>,
    },

    /// A request could not be signed: the credential kind does not fit the algorithm, or the
    /// request is malformed for it. `message` is our own text with header and parameter names
    /// only, never a value, a key or a signature.
    Signing {
        /// The algorithm, as its `Authorization` scheme or documentation names it
        /// (`OSS4-HMAC-SHA256`, `ACS3-HMAC-SHA256`).
        algorithm: &'static str,
        /// What does not fit.
        message: String,
    },

    /// The blocking facade or the engine could not run a resolution.
    Internal(String),
}

// Written out rather than derived with thiserror: its proc-macro stack (syn, quote,
// proc-macro2) is six of the lean build's crates and its longest compile step.
impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::InvalidConfig { origin, message }
            | ErrorKind::Unsupported { origin, message } => write!(f, "{origin}: {message}"),
            ErrorKind::Syntax {
                path,
                line,
                column,
                message,
            } => {
                write!(f, "{}:{line}", path.display())?;
                if let Some(column) = column {
                    write!(f, ":{column}")?;
                }
                write!(f, ": {message}")
            }
            ErrorKind::Io { path, message } => write!(f, "{}: {message}", path.display()),
            ErrorKind::NotConfigured { provider, reason } => {
                write!(f, "{provider}: not configured: {reason}")
            }
            ErrorKind::NoCredentials { attempts } => f.write_str(&no_credentials_text(attempts)),
            ErrorKind::Upstream {
                provider,
                endpoint,
                status,
                code,
                message,
                request_id,
            } => f.write_str(&upstream_text(
                provider, endpoint, *status, code, message, request_id,
            )),
            ErrorKind::Transport {
                provider,
                endpoint,
                message,
            } => write!(f, "{provider}: {endpoint}: {message}"),
            ErrorKind::Expired {
                provider,
                expired_at,
            } => write!(
                f,
                "{provider} returned credentials that expired at {}",
                expired_at.to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
            ErrorKind::Signing { algorithm, message } => {
                write!(f, "{algorithm} signer: {message}")
            }
            ErrorKind::Internal(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for ErrorKind {}

impl Error {
    /// What went wrong, in detail.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// [`ErrorKind::InvalidConfig`]: `origin` (the variable, file and section, or profile) is
    /// unusable; `message` says why and how to fix it, without the value.
    pub fn invalid_config(origin: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorKind::InvalidConfig {
            origin: origin.into(),
            message: message.into(),
        }
        .into()
    }

    /// [`ErrorKind::Unsupported`]: `origin` asks for something this build cannot do.
    pub fn unsupported(origin: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorKind::Unsupported {
            origin: origin.into(),
            message: message.into(),
        }
        .into()
    }

    /// [`ErrorKind::NotConfigured`]: `provider` found nothing to use; a chain moves on.
    pub fn not_configured(provider: impl Into<String>, reason: impl Into<String>) -> Self {
        ErrorKind::NotConfigured {
            provider: provider.into(),
            reason: reason.into(),
        }
        .into()
    }

    /// [`ErrorKind::Internal`]: a failure of cloudcred itself (the runtime could not start).
    pub fn internal(message: impl Into<String>) -> Self {
        ErrorKind::Internal(message.into()).into()
    }

    /// [`ErrorKind::Signing`]: `algorithm` cannot sign this request with these credentials;
    /// `message` names headers and parameters, never their values.
    pub fn signing(algorithm: &'static str, message: impl Into<String>) -> Self {
        ErrorKind::Signing {
            algorithm,
            message: message.into(),
        }
        .into()
    }

    /// An I/O error on `path`, described by its kind only (the OS message may quote nothing
    /// secret, but the kind is all a user needs).
    pub fn io(path: impl Into<PathBuf>, err: &std::io::Error) -> Self {
        ErrorKind::Io {
            path: path.into(),
            message: describe_io(err),
        }
        .into()
    }

    /// A short machine-friendly name of the kind, for `doctor` and JSON output.
    pub fn kind_name(&self) -> &'static str {
        self.0.name()
    }

    /// What a caller can do about the error, coarsely: configure a source, fix one, or retry
    /// the service later. The CLI's exit status is derived from it.
    pub fn category(&self) -> ErrorCategory {
        match *self.0 {
            ErrorKind::NotConfigured { .. } | ErrorKind::NoCredentials { .. } => {
                ErrorCategory::NotConfigured
            }
            ErrorKind::InvalidConfig { .. }
            | ErrorKind::Syntax { .. }
            | ErrorKind::Io { .. }
            | ErrorKind::Unsupported { .. } => ErrorCategory::InvalidConfig,
            ErrorKind::Upstream { .. }
            | ErrorKind::Transport { .. }
            | ErrorKind::Expired { .. } => ErrorCategory::Service,
            ErrorKind::Signing { .. } | ErrorKind::Internal(..) => ErrorCategory::Other,
        }
    }
}

/// The coarse classes of [`Error`] ([`Error::category`]), each calling for a different action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCategory {
    /// No source has credentials: configure one.
    NotConfigured,
    /// A configured source is unusable (a partial set of variables, a file that does not parse
    /// or cannot be read, a setting this build does not support): fix it; never retried.
    InvalidConfig,
    /// A credential service refused, could not be reached, or handed out expired credentials:
    /// possibly transient.
    Service,
    /// A request that cannot be signed with these credentials, or a failure of cloudcred itself.
    Other,
}

impl ErrorKind {
    /// A short machine-friendly name of the kind.
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::InvalidConfig { .. } => "invalid_config",
            ErrorKind::Syntax { .. } => "syntax",
            ErrorKind::Io { .. } => "io",
            ErrorKind::Unsupported { .. } => "unsupported",
            ErrorKind::NotConfigured { .. } => "not_configured",
            ErrorKind::NoCredentials { .. } => "no_credentials",
            ErrorKind::Upstream { .. } => "upstream",
            ErrorKind::Transport { .. } => "transport",
            ErrorKind::Expired { .. } => "expired",
            ErrorKind::Internal(..) => "internal",
            ErrorKind::Signing { .. } => "signing",
        }
    }
}

fn describe_io(err: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    if let Some(refusal) = crate::context::FileRefusal::of(err) {
        return refusal.to_string();
    }
    match err.kind() {
        NotFound => "file not found".to_owned(),
        PermissionDenied => "permission denied: check the file's owner and mode".to_owned(),
        InvalidData => "not valid UTF-8".to_owned(),
        IsADirectory => "is a directory, expected a file".to_owned(),
        kind => format!("cannot read the file ({kind})"),
    }
}

fn no_credentials_text(attempts: &[Attempt]) -> String {
    let mut s = String::from("no credentials found; the providers of the chain said:");
    for a in attempts {
        s.push_str("\n  - ");
        s.push_str(&a.to_string());
    }
    s.push_str(
        "\nconfigure one of these sources (each line says what it looked for); \
         `cloudcred doctor` explains every source",
    );
    s
}

fn upstream_text(
    provider: &str,
    endpoint: &str,
    status: u16,
    code: &Option<String>,
    message: &Option<String>,
    request_id: &Option<String>,
) -> String {
    let mut s = format!("{provider}: {endpoint} answered HTTP {status}");
    if let Some(code) = code {
        s.push_str(&format!(", code {code}"));
    }
    if let Some(message) = message {
        s.push_str(&format!(": {message}"));
    }
    if let Some(id) = request_id {
        s.push_str(&format!(" (request id {id})"));
    }
    s
}

/// Sanitises a service `Message` that comes without its request (spec 11.3): cut at "string to
/// sign", queries dropped, capped at 512 characters. Providers use
/// `Scrubber::of_request` (with the `http` feature), which also knows the secrets.
pub fn sanitize_service_message(message: &str) -> String {
    crate::http::Scrubber::new().scrub(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_cuts_string_to_sign_and_caps() {
        let m = sanitize_service_message(
            "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&SecurityToken%3Dsecret",
        );
        assert_eq!(
            m,
            "Specified signature is not matched with our calculation. server"
        );
        assert_eq!(sanitize_service_message(&"x".repeat(2000)).len(), 512);
    }

    #[test]
    fn category_groups_the_kinds_by_what_to_do() {
        use ErrorCategory::*;
        let transport = |provider: &str| ErrorKind::Transport {
            provider: provider.into(),
            endpoint: "http://127.0.0.1:9".into(),
            message: "refused".into(),
        };
        let cases: [(Error, ErrorCategory); 8] = [
            (Error::not_configured("env", "unset"), NotConfigured),
            (
                ErrorKind::NoCredentials { attempts: vec![] }.into(),
                NotConfigured,
            ),
            (Error::invalid_config("env", "partial"), InvalidConfig),
            (
                Error::io("/h/x", &std::io::ErrorKind::NotFound.into()),
                InvalidConfig,
            ),
            (Error::unsupported("profile p", "mode"), InvalidConfig),
            (transport("sts").into(), Service),
            (Error::signing("OSS V4", "bearer token"), Other),
            (Error::internal("runtime"), Other),
        ];
        for (err, category) in cases {
            assert_eq!(err.category(), category, "{err}");
        }
    }

    #[test]
    fn syntax_display_names_file_line_and_column() {
        let e: Error = ErrorKind::Syntax {
            path: "/h/.aliyun/config.json".into(),
            line: 3,
            column: Some(7),
            message: "expected `,`".into(),
        }
        .into();
        assert_eq!(e.to_string(), "/h/.aliyun/config.json:3:7: expected `,`");
    }
}
