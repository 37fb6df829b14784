//! The `cloudcred` command's argument definitions and subcommands. A library only so that the
//! argument parsing can be fuzzed and tested without running a command (`parse_args`,
//! `fuzz_args`); the binary in `main.rs` is the product, this is not a supported API.

#![warn(missing_docs, missing_debug_implementations)]

pub mod cmd;

use clap::{Parser, Subcommand};
use std::ffi::OsString;

#[derive(Parser, Debug)]
#[command(
    name = "cloudcred",
    version,
    about = "Resolve, explain and use Alibaba Cloud and Huawei Cloud credentials",
    after_help = cmd::exit::help_text()
)]
/// The whole command line: one subcommand.
pub struct Cli {
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Resolve credentials and print them.
    Get(cmd::get::Args),
    /// Explain every source of the chain: what it reads, whether it applies, which one wins.
    Doctor(cmd::doctor::Args),
    /// Run a command with the credentials in its environment.
    Exec(cmd::exec::Args),
    /// Print a presigned URL for an OSS or OBS object.
    Presign(cmd::presign::Args),
    /// Sign a request and print the headers to add (for curl -H @file).
    Sign(cmd::sign::Args),
    /// Serve temporary credentials to local programs as a credentials URI.
    Serve(cmd::serve::Args),
    /// Start the fake cloud in-process and resolve credentials against it, offline.
    Sandbox(cmd::sandbox::Args),
    /// Print the shell completion script for bash, zsh, fish, powershell or elvish.
    Completions(cmd::completions::Args),
}

/// Parses `args` (without the program name) as `cloudcred`'s command line. Never runs
/// anything and never prints: `--help` and `--version` come back as errors to render.
pub fn parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    Cli::try_parse_from(
        std::iter::once(OsString::from("cloudcred")).chain(args.into_iter().map(Into::into)),
    )
}

/// The fuzz target `cli_args` and its proptest twin: `data` split at NUL bytes into arguments
/// (any bytes, not only UTF-8) is parsed, an error rendered, and the offline part of `sign` and
/// `presign` (URL, headers, target) run on what parsed. Panics only on a bug.
#[cfg(unix)]
#[doc(hidden)]
pub fn fuzz_args(data: &[u8]) {
    use std::os::unix::ffi::OsStrExt;
    let args = data
        .split(|b| *b == 0)
        .map(|a| std::ffi::OsStr::from_bytes(a).to_owned());
    match parse_args(args) {
        Err(e) => {
            let _ = e.render().to_string();
        }
        Ok(cli) => {
            let _ = format!("{cli:?}");
            match &cli.command {
                Command::Sign(args) => {
                    let _ = cmd::sign::url_and_headers(args);
                }
                Command::Presign(args) => {
                    let _ = cmd::presign::target_url(args);
                }
                _ => {}
            }
        }
    }
}
