//! External credential process (spec 6.11, D28), provider `external`.
//!
//! Runs `process_command` and reads credentials from its stdout:
//! `{"mode":"AK"|"StsToken","access_key_id","access_key_secret","sts_token","expiration"}`.
//!
//! - The command is split by `split_command` and run
//!   without a shell; the environment is inherited, stdin is the null device.
//! - stdout is read up to 1 MiB (one byte more kills the command: a runaway process cannot
//!   exhaust memory) and stderr up to 64 KiB; the command is killed with its process group on
//!   Unix (a wrapper script's children die too) when it outlives the timeout (default 60 s, the
//!   refresh engine's deadline is stretched to cover it) or the fetch is cancelled; once it has
//!   exited, a background job still holding stdout is not waited for (`external::process`).
//! - Errors never contain stdout: it holds the secret. A non-zero exit reports its status and the
//!   last 1 KiB of stderr, the command's own diagnostic channel, with every word of stdout in
//!   it redacted.
//! - With `expiration`, the refresh engine re-runs the command ahead of expiry; without, the
//!   credentials are kept for the provider's lifetime, like AWS `credential_process` (the SDKs
//!   re-run the command on every call and rewrite config.json each time).
//! - Profiles of config.json get the four STS fields written back (spec 7.3) when they changed.
//!
//! The process runs on tokio's process driver: nothing blocks an async worker.

use super::command_split::split_command;
use super::sts;
use crate::context::Context;
use crate::engine::{RefreshConfig, Refreshing, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::format::cli_config_write;
use crate::model::{Credentials, ProviderName};
use crate::provider::{Inspection, Resolution};
use futures_util::future::BoxFuture;
use serde_json::Value;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

mod process;

pub use process::{MAX_STDERR, MAX_STDOUT, PIPE_GRACE, STDERR_TAIL};

/// Default timeout of the command: 60 s, as the official SDKs document and do (spec 6.11).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// How much longer than the command's timeout the refresh engine waits for a fetch: the command
/// is killed at its timeout with an error saying so, not cut earlier by the engine's shorter
/// default deadline (30 s), which would report a generic deadline instead.
const ENGINE_DEADLINE_MARGIN: Duration = Duration::from_secs(5);

/// The External source; use it through [`ExternalProvider`].
pub struct ExternalSource {
    ctx: Context,
    runner: Runner,
    write_back: Option<(PathBuf, String)>,
    name: ProviderName,
}

/// What running the command needs; owned, so a run can move to the shared runtime.
#[derive(Clone)]
struct Runner {
    argv: Vec<String>,
    timeout: Duration,
    origin: String,
}

/// The External process behind the refresh engine.
pub type ExternalProvider = Refreshing<ExternalSource>;

impl fmt::Debug for ExternalSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only the program: arguments may carry secrets (a JSON document, a password flag).
        f.debug_struct("ExternalSource")
            .field("program", &self.runner.argv[0])
            .field("args", &(self.runner.argv.len() - 1))
            .field("timeout", &self.runner.timeout)
            .field("origin", &self.runner.origin)
            .finish()
    }
}

impl Runner {
    fn error(&self, message: impl Into<String>) -> Error {
        ErrorKind::Transport {
            provider: format!("external ({})", self.origin),
            endpoint: format!("command {}", self.argv[0]),
            message: message.into(),
        }
        .into()
    }

    /// Runs the command; returns its stdout, or an error without it.
    async fn run(&self) -> Result<Vec<u8>> {
        process::run(&self.argv, self.timeout)
            .await
            .map_err(|failure| self.error(failure.to_string()))
    }
}

impl ExternalProvider {
    /// A builder; a [`command`](ExternalBuilder::command) or [`argv`](ExternalBuilder::argv) is required.
    pub fn builder(ctx: &Context) -> ExternalBuilder {
        ExternalBuilder {
            ctx: ctx.clone(),
            command: None,
            argv: None,
            timeout: DEFAULT_TIMEOUT,
            write_back: None,
            name: None,
            refresh: RefreshConfig::default(),
            origin: "external".to_owned(),
        }
    }
}

impl ExternalSource {
    fn error(&self, message: impl Into<String>) -> Error {
        self.runner.error(message)
    }

    fn parse(&self, out: &[u8]) -> Result<Credentials> {
        let not_json = || self.error(format!("output is not valid JSON ({} bytes)", out.len()));
        let json: Value = serde_json::from_slice(out).map_err(|_| not_json())?;
        if !json.is_object() {
            return Err(not_json());
        }
        let s = |k: &str| {
            json.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let mode = s("mode").unwrap_or_default();
        let is_sts = if mode.eq_ignore_ascii_case("StsToken") {
            true
        } else if mode.eq_ignore_ascii_case("AK") {
            false
        } else {
            // The mode is a keyword, not a secret; cap it anyway.
            let shown: String = mode.chars().take(32).collect();
            return Err(self.error(format!(
                "the output has mode {shown:?}; only AK and StsToken are supported"
            )));
        };
        // A value of another type would otherwise pass for "empty" below.
        for key in [
            "mode",
            "access_key_id",
            "access_key_secret",
            "sts_token",
            "expiration",
        ] {
            if let Some(v) = json.get(key).filter(|v| !v.is_string() && !v.is_null()) {
                return Err(self.error(format!(
                    "`{key}` in the output must be a JSON string, not {}",
                    crate::format::json_type(v)
                )));
            }
        }
        let (Some(id), Some(secret)) = (s("access_key_id"), s("access_key_secret")) else {
            return Err(self.error(
                "invalid credential response: access_key_id or access_key_secret is empty",
            ));
        };
        let origin = format!("external ({})", self.runner.origin);
        let expiration = match s("expiration") {
            Some(raw) => Some(sts::expiration(&self.ctx, raw, &origin)?),
            None => None,
        };
        let creds = if is_sts {
            let token = s("sts_token").ok_or_else(|| {
                self.error("invalid StsToken credential response: sts_token is empty")
            })?;
            Credentials::sts(id, secret, token, expiration, self.name.clone())
        } else {
            Credentials::access_key(id, secret, self.name.clone()).with_expiration(expiration)
        };
        Ok(creds)
    }
}

/// The fields External writes back (spec 7.3): `sts_expiration` only with an expiration.
pub(crate) fn sts_fields(creds: &Credentials) -> Vec<(&'static str, Value)> {
    let mut fields = vec![
        ("access_key_id", Value::from(creds.access_key_id())),
        (
            "access_key_secret",
            Value::from(creds.access_key_secret().expose()),
        ),
    ];
    if let Some(t) = creds.security_token() {
        fields.push(("sts_token", Value::from(t.expose())));
    }
    if let Some(e) = creds.expiration() {
        fields.push(("sts_expiration", Value::from(e.timestamp())));
    }
    fields
}

impl Source for ExternalSource {
    fn fetch(&self) -> BoxFuture<'_, Result<Resolution>> {
        Box::pin(async move {
            // Child processes need tokio's driver; a caller on another executor borrows the
            // shared runtime. The process is owned by the future: cancelling kills it.
            let runner = self.runner.clone();
            let out = crate::blocking::in_tokio(async move { runner.run().await }).await?;
            let creds = self.parse(&out)?;
            if let Some((path, profile)) = &self.write_back {
                let kind = cli_config_write::UnsavedKind::StsCredentials;
                let fields = sts_fields(&creds);
                let _ =
                    cli_config_write::update_profile(&self.ctx, path, profile, kind, fields).await;
            }
            Ok(Resolution::Credentials(Arc::new(creds)))
        })
    }

    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn inspect(&self) -> Inspection {
        Inspection {
            reads: vec![format!(
                "process {} (timeout {} ms, from {})",
                self.runner.argv[0],
                self.runner.timeout.as_millis(),
                self.runner.origin
            )],
            warnings: Vec::new(),
        }
    }
}

/// Builds an [`ExternalProvider`].
pub struct ExternalBuilder {
    ctx: Context,
    command: Option<String>,
    argv: Option<Vec<String>>,
    timeout: Duration,
    write_back: Option<(PathBuf, String)>,
    name: Option<ProviderName>,
    refresh: RefreshConfig,
    origin: String,
}

impl fmt::Debug for ExternalBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The program only, as `ExternalSource` shows it: arguments may carry secrets.
        let program = match (&self.argv, &self.command) {
            (Some(argv), _) => argv.first().map(String::as_str),
            (None, Some(command)) => command.split_whitespace().next(),
            (None, None) => None,
        };
        f.debug_struct("ExternalBuilder")
            .field("program", &program)
            .field("timeout", &self.timeout)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl ExternalBuilder {
    /// A command line, split by the go/java rules of this platform.
    pub fn command(mut self, command: impl Into<String>) -> Self {
        self.command = Some(command.into());
        self
    }

    /// An argument vector, used as is.
    pub fn argv(mut self, argv: Vec<String>) -> Self {
        self.argv = Some(argv);
        self
    }

    /// How long the command may run (default [`DEFAULT_TIMEOUT`], 60 s); the provider's refresh
    /// deadline is raised to cover it.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Write the credentials back into `profile` of the config.json at `path`.
    pub fn write_back(mut self, path: impl Into<PathBuf>, profile: impl Into<String>) -> Self {
        self.write_back = Some((path.into(), profile.into()));
        self
    }

    /// Where the command came from (a profile), for errors.
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = origin.into();
        self
    }

    /// The provider. Errors: no command, or a command that does not split into words (unclosed quote, trailing backslash).
    pub fn build(self) -> Result<ExternalProvider> {
        let argv = match (self.argv, self.command) {
            (Some(argv), _) => argv,
            (None, Some(cmd)) => split_command(&cmd)
                .map_err(|e| Error::invalid_config(&self.origin, e.to_string()))?,
            (None, None) => {
                return Err(Error::invalid_config(
                    &self.origin,
                    "process_command is empty",
                ))
            }
        };
        if !matches!(argv.first(), Some(p) if !p.is_empty()) {
            return Err(Error::invalid_config(
                &self.origin,
                "process_command is empty",
            ));
        }
        let source = ExternalSource {
            ctx: self.ctx.clone(),
            runner: Runner {
                argv,
                timeout: self.timeout,
                origin: self.origin,
            },
            write_back: self.write_back,
            name: self.name.unwrap_or_else(|| ProviderName::new("external")),
        };
        let mut refresh = self.refresh;
        refresh.deadline = refresh
            .deadline
            .max(self.timeout.saturating_add(ENGINE_DEADLINE_MARGIN));
        Ok(Refreshing::with_config(
            source,
            self.ctx.clock().clone(),
            refresh,
        ))
    }
}

source_builder_setters!(ExternalBuilder, "external");
