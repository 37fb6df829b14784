//! `cloudcred exec -- CMD ARGS…`: run a program with the credentials in its environment
//! (`ALIBABA_CLOUD_*`, `OSS_*`, `TABLESTORE_*`), exiting with its status.

use cloudcred::{Context, CredentialKind, Error, Result};
use std::ffi::OsString;
use std::process::{Command, ExitCode};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Profile of ~/.aliyun/config.json or ~/.alibabacloud/credentials.
    #[arg(long)]
    profile: Option<String>,
    /// Which cloud's chain: alibaba (default) or huawei.
    #[arg(long, value_enum, default_value_t = super::Cloud::Alibaba)]
    cloud: super::Cloud,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<OsString>,
}

pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let creds = super::resolve_for(ctx, args.cloud, args.profile.as_deref())?;
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let mut cmd = Command::new(program);
    cmd.args(rest);
    match creds.kind() {
        CredentialKind::Bearer => {
            if let Some(t) = creds.bearer_token() {
                cmd.env("ALIBABA_CLOUD_BEARER_TOKEN", t.expose());
            }
        }
        CredentialKind::Anonymous => {}
        _ => {
            for (name, value) in super::exported_vars_for(&creds, args.cloud) {
                match value {
                    Some(v) => cmd.env(name, v),
                    None => cmd.env_remove(name),
                };
            }
        }
    }
    let cannot_run = |e: std::io::Error| {
        Error::internal(format!(
            "cannot run {}: {}",
            program.to_string_lossy(),
            e.kind()
        ))
    };
    // On Unix the command replaces this process, so signals reach it directly and its exit
    // status is ours without translation.
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        Err(cannot_run(cmd.exec()))
    }
    #[cfg(not(unix))]
    {
        let status = cmd.status().map_err(cannot_run)?;
        Ok(ExitCode::from(exit_code(status)))
    }
}

#[cfg(not(unix))]
fn exit_code(status: std::process::ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return code.clamp(0, 255) as u8;
    }
    1
}
