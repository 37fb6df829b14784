//! `cloudcred`: resolve, explain and hand over cloud credentials.
//!
//! Every subcommand resolves credentials through the library's default chain, so the CLI sees
//! exactly what a Rust program built on cloudcred sees.

mod cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "cloudcred",
    version,
    about = "Resolve, explain and use Alibaba Cloud credentials"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
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
}

fn main() -> ExitCode {
    cmd::init_logging();
    let cli = Cli::parse();
    let ctx = cloudcred::Context::from_process();
    let result = match cli.command {
        Command::Get(args) => cmd::get::run(&ctx, args),
        Command::Doctor(args) => cmd::doctor::run(&ctx, args),
        Command::Exec(args) => cmd::exec::run(&ctx, args),
        Command::Presign(args) => cmd::presign::run(&ctx, args),
        Command::Sign(args) => cmd::sign::run(&ctx, args),
        Command::Serve(args) => cmd::serve::run(&ctx, args),
        Command::Sandbox(args) => cmd::sandbox::run(&ctx, args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("cloudcred: error: {err}");
            ExitCode::FAILURE
        }
    }
}
