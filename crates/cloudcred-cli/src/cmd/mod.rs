//! The subcommands, one per file, and what they share.

pub mod doctor;
pub mod exec;
pub mod get;
pub mod presign;
pub mod sandbox;
pub mod serve;
pub mod sign;

use cloudcred::alibaba::DefaultChain;
use cloudcred::huawei::{CredentialType, HuaweiChain};
use cloudcred::{Chain, Context, Credentials, Error, Result};
use std::sync::Arc;

/// Logs go to stderr and are off unless `CLOUDCRED_LOG` asks for them (e.g. `debug`).
pub fn init_logging() {
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("CLOUDCRED_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
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
            Ok(HuaweiChain::builder(ctx).credential_type(kind).build())
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

/// The exit status when credentials were handed out but a write-back (above all a rotated
/// OAuth refresh token) could not be saved.
pub const UNSAVED_EXIT: u8 = 3;

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
    vec![
        ("HUAWEICLOUD_SDK_AK", id.clone()),
        ("HUAWEICLOUD_SDK_SK", secret.clone()),
        ("HUAWEICLOUD_SDK_SECURITY_TOKEN", token.clone()),
        (
            "HUAWEICLOUD_SDK_PROJECT_ID",
            creds.project_id().map(str::to_owned),
        ),
        (
            "HUAWEICLOUD_SDK_DOMAIN_ID",
            creds.domain_id().map(str::to_owned),
        ),
        ("OBS_ACCESS_KEY_ID", id),
        ("OBS_SECRET_ACCESS_KEY", secret),
        ("OBS_SECURITY_TOKEN", token),
    ]
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
