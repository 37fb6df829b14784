//! The subcommands, one per file, and what they share.

pub mod completions;
pub mod doctor;
pub mod exec;
pub mod exit;
pub mod get;
pub mod presign;
pub mod sandbox;
pub mod serve;
pub mod sign;

use cloudcred::alibaba::DefaultChain;
use cloudcred::huawei::CredentialType;
use cloudcred::prelude::*;
use cloudcred::{Chain, Context, Credentials, Error, Result};
use std::fmt::Display;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

/// Logs go to stderr and are off unless `CLOUDCRED_LOG` asks for them (e.g. `debug`). Coloured
/// only on a terminal and without `NO_COLOR` (<https://no-color.org>): escape codes in a log
/// file or a CI capture are noise that breaks grep.
pub fn init_logging() {
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("CLOUDCRED_LOG") {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal() && !no_color)
            .init();
    }
}

/// Writes `text` to stdout and flushes it: the one way every command prints its result. `Err`
/// is the status to exit with: [`exit::CLOSED_STDOUT`] without a message when the reader closed
/// the pipe, [`exit::FAILURE`] with a message when the output could not be written (a full disk, `/dev/full`),
/// so that no command exits 0 having delivered nothing.
pub fn write_stdout(text: &str) -> std::result::Result<(), ExitCode> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) => Err(stdout_failure(&e)),
    }
}

/// [`write_stdout`], ending with `code` when the output was delivered.
pub fn emit(text: &str, code: ExitCode) -> ExitCode {
    write_stdout(text).map_or_else(|failed| failed, |()| code)
}

/// The status for a failed write to stdout, reporting it unless the reader just went away.
pub fn stdout_failure(e: &std::io::Error) -> ExitCode {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return exit::CLOSED_STDOUT.exit();
    }
    report_error(format_args!(
        "cannot write the output to stdout: {e}; nothing or only part of it was written"
    ));
    exit::FAILURE.exit()
}

/// `cloudcred: error: …` on stderr. Never panics, unlike `eprintln!`, when stderr itself is
/// closed or full: there is nowhere left to report to, and the exit status still says it.
pub fn report_error(message: impl Display) {
    let _ = writeln!(std::io::stderr(), "cloudcred: error: {message}");
}

/// The default chain for `--profile`.
pub fn chain(ctx: &Context, profile: Option<&str>) -> Chain {
    let mut b = DefaultChain::builder(ctx);
    if let Some(p) = profile {
        b = b.profile(p);
    }
    b.build()
}

/// Which cloud's chain a subcommand uses (`--cloud`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Cloud {
    /// The Alibaba Cloud default chain.
    #[default]
    Alibaba,
    /// The Huawei Cloud chain (federation → env → ~/.huaweicloud/credentials → ECS metadata);
    /// `--profile basic|global` picks the credential type.
    Huawei,
}

/// The chain of `cloud`; for Huawei, `--profile` is the credential type (`basic`, `global`).
pub fn chain_for(ctx: &Context, cloud: Cloud, profile: Option<&str>) -> Result<Chain> {
    match cloud {
        Cloud::Alibaba => Ok(chain(ctx, profile)),
        Cloud::Huawei => {
            let kind =
                match profile {
                    None | Some("basic") => CredentialType::Basic,
                    Some("global") => CredentialType::Global,
                    Some(_) => return Err(Error::invalid_config(
                        "--profile",
                        "with --cloud huawei the profile is the credential type: basic or global",
                    )),
                };
            Ok(cloudcred::huawei::DefaultChain::builder(ctx)
                .credential_type(kind)
                .build())
        }
    }
}

/// Resolves through the chain of `cloud`.
pub fn resolve_for(ctx: &Context, cloud: Cloud, profile: Option<&str>) -> Result<Arc<Credentials>> {
    let chain = chain_for(ctx, cloud, profile)?;
    let result = runtime().block_on(chain.get());
    // Now, not only at exit: `exec` replaces this process.
    warn_unsaved(ctx);
    result
}

static UNSAVED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Prints the write-backs `ctx` could not save on stderr (always: a lost refresh token must
/// not hide behind `CLOUDCRED_LOG`); true when any was printed by this process.
pub fn warn_unsaved(ctx: &Context) -> bool {
    use std::sync::atomic::Ordering::Relaxed;
    for unsaved in ctx.take_unsaved() {
        eprintln!("cloudcred: warning: {unsaved}");
        UNSAVED.store(true, Relaxed);
    }
    UNSAVED.load(Relaxed)
}

/// Resolves through the chain on a small runtime of our own.
pub fn resolve(ctx: &Context, profile: Option<&str>) -> Result<Arc<Credentials>> {
    let chain = chain(ctx, profile);
    runtime().block_on(chain.get())
}

/// A current-thread runtime with every driver: one command resolves once, a worker pool would
/// only start threads.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime can always be built")
}

/// The variables of `cloud`: Huawei exports the Huawei SDK and OBS SDK names.
pub fn exported_vars_for(creds: &Credentials, cloud: Cloud) -> Vec<(&'static str, Option<String>)> {
    if cloud == Cloud::Alibaba {
        return exported_vars(creds);
    }
    let id = Some(creds.access_key_id().to_owned());
    let secret = Some(creds.access_key_secret().expose().to_owned());
    let token = creds.security_token().map(|t| t.expose().to_owned());
    let mut vars = vec![
        ("HUAWEICLOUD_SDK_AK", id.clone()),
        ("HUAWEICLOUD_SDK_SK", secret.clone()),
        ("HUAWEICLOUD_SDK_SECURITY_TOKEN", token.clone()),
        ("OBS_ACCESS_KEY_ID", id),
        ("OBS_SECRET_ACCESS_KEY", secret),
        ("OBS_SECURITY_TOKEN", token),
    ];
    // The scope ids only when the credential has them: a project id the user set for a
    // credential without one is a setting to keep, not a stale identity to unset.
    vars.extend(
        [
            ("HUAWEICLOUD_SDK_PROJECT_ID", creds.project_id()),
            ("HUAWEICLOUD_SDK_DOMAIN_ID", creds.domain_id()),
        ]
        .into_iter()
        .filter_map(|(name, id)| Some((name, Some(id?.to_owned())))),
    );
    vars
}

/// The environment variables a credential exports: name, value or `None` to unset.
pub fn exported_vars(creds: &Credentials) -> Vec<(&'static str, Option<String>)> {
    let id = Some(creds.access_key_id().to_owned());
    let secret = Some(creds.access_key_secret().expose().to_owned());
    let token = creds.security_token().map(|t| t.expose().to_owned());
    let mut out = Vec::new();
    for (i, s, t) in [
        (
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            "ALIBABA_CLOUD_SECURITY_TOKEN",
        ),
        (
            "OSS_ACCESS_KEY_ID",
            "OSS_ACCESS_KEY_SECRET",
            "OSS_SESSION_TOKEN",
        ),
        (
            "TABLESTORE_ACCESS_KEY_ID",
            "TABLESTORE_ACCESS_KEY_SECRET",
            "TABLESTORE_SESSION_TOKEN",
        ),
    ] {
        out.push((i, id.clone()));
        out.push((s, secret.clone()));
        out.push((t, token.clone()));
    }
    out
}
