//! `cloudcred`: resolve, explain and hand over cloud credentials.
//!
//! Every subcommand resolves credentials through the library's default chain, so the CLI sees
//! exactly what a Rust program built on cloudcred sees.

use clap::Parser;
use cloudcred_cli::{cmd, Cli, Command};
use std::process::ExitCode;

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
    let unsaved = cmd::warn_unsaved(&ctx);
    match result {
        Ok(_) if unsaved => ExitCode::from(cmd::UNSAVED_EXIT),
        Ok(code) => code,
        Err(err) => {
            eprintln!("cloudcred: error: {err}");
            ExitCode::FAILURE
        }
    }
}
