//! `cloudcred exec -- CMD ARGS…`: run a program with the resolved credentials, and only them, in
//! its environment (`ALIBABA_CLOUD_*`, `OSS_*`, `TABLESTORE_*`; `HUAWEICLOUD_SDK_*` and `OBS_*`
//! with `--cloud huawei`), exiting with its status.
//!
//! Every variable through which the child could pick up another identity is removed first (the
//! library's `IDENTITY_VARS` of both clouds and the aliases other tools read), so an anonymous or
//! bearer profile does not leave the parent's keys behind. Settings the credential does not
//! provide (regions, endpoints, a Huawei project id when the credential has none) are kept.
//! A program that cannot be started exits 127 (not found) or 126 (found, not executable), as a
//! shell's would.

use cloudcred::alibaba::{env, ignored_vars};
use cloudcred::{huawei, Context, CredentialKind, Credentials, Error, Result};
use std::ffi::OsString;
use std::process::{Command, ExitCode};

/// `cloudcred exec -- COMMAND…`: runs a command with the credentials in its environment.
#[derive(clap::Args, Debug)]
#[command(after_long_help = help_after())]
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

/// Every variable removed from the child's environment before the credentials are added: both
/// clouds', because a child that uses the other cloud would otherwise act as another identity.
pub fn identity_vars() -> Vec<&'static str> {
    let mut vars: Vec<&'static str> = env::IDENTITY_VARS
        .iter()
        .copied()
        .chain(ignored_vars::identity_aliases())
        .chain(huawei::env::IDENTITY_VARS.iter().copied())
        .collect();
    vars.sort_unstable();
    vars.dedup();
    vars
}

fn help_after() -> String {
    format!(
        "Removed from the command's environment before the credentials are added (any identity \
         other than the resolved one):\n  {}\n\nKept: every other variable, such as regions, \
         endpoints, profile names and HUAWEICLOUD_SDK_PROJECT_ID / _DOMAIN_ID (replaced only when \
         the credential has its own).\n\nExit status: the command's own once it runs; 126 if it \
         cannot be executed, 127 if it is not found; before that, cloudcred's own (see \
         `cloudcred --help`).",
        identity_vars().join("\n  ")
    )
}

/// The variables the child gets: the credential's, none for an anonymous profile.
fn handed_over(creds: &Credentials, cloud: super::Cloud) -> Vec<(&'static str, String)> {
    match creds.kind() {
        CredentialKind::Bearer => creds
            .bearer_token()
            .map(|t| ("ALIBABA_CLOUD_BEARER_TOKEN", t.expose().to_owned()))
            .into_iter()
            .collect(),
        CredentialKind::Anonymous => Vec::new(),
        _ => super::exported_vars_for(creds, cloud)
            .into_iter()
            .filter_map(|(name, value)| Some((name, value?)))
            .collect(),
    }
}

/// Resolves, then runs the command with the credential variables set; exits with its status.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let creds = super::resolve_for(ctx, args.cloud, args.profile.as_deref())?;
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let mut cmd = Command::new(program);
    cmd.args(rest);
    for name in identity_vars() {
        cmd.env_remove(name);
    }
    for (name, value) in handed_over(&creds, args.cloud) {
        // The OS would refuse the whole environment with a bare "invalid input"; name the
        // variable (never the value) and where the credential came from.
        if value.contains('\0') {
            return Err(Error::invalid_config(
                format!("exec (provider {})", creds.provider_name()),
                format!(
                    "the value for {name} contains a NUL byte, which no environment variable can hold: fix the credential at its source"
                ),
            ));
        }
        cmd.env(name, value);
    }
    let cannot_run = |e: std::io::Error| {
        super::report_error(format_args!(
            "cannot run {}: {e}",
            program.to_string_lossy()
        ));
        match e.kind() {
            std::io::ErrorKind::NotFound => super::exit::NOT_FOUND.exit(),
            _ => super::exit::CANNOT_EXECUTE.exit(),
        }
    };
    // On Unix the command replaces this process, so signals reach it directly and its exit
    // status is ours without translation.
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        Ok(cannot_run(cmd.exec()))
    }
    #[cfg(not(unix))]
    {
        match cmd.status() {
            Ok(status) => Ok(ExitCode::from(exit_code(status))),
            Err(e) => Ok(cannot_run(e)),
        }
    }
}

#[cfg(not(unix))]
fn exit_code(status: std::process::ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return code.clamp(0, 255) as u8;
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's exec section lists exactly the variables exec removes.
    #[test]
    fn readme_lists_every_removed_variable() {
        let readme = include_str!("../../../../README.md");
        let section = readme
            .split("### What `cloudcred exec` removes")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .expect("README has the exec section");
        for var in identity_vars() {
            assert!(section.contains(&format!("`{var}`")), "{var} missing");
        }
        let listed = section.matches("\n- `").count();
        assert_eq!(listed, identity_vars().len(), "{section}");
    }
}
