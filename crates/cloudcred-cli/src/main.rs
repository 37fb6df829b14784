//! `cloudcred`: resolve, explain and hand over cloud credentials.
//!
//! Every subcommand resolves credentials through the library's default chain, so the CLI sees
//! exactly what a Rust program built on cloudcred sees.

use clap::Parser;
use cloudcred_cli::{cmd, Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    cmd::init_logging();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return parse_failure(&e),
    };
    let ctx = cloudcred::Context::from_process();
    let result = match cli.command {
        Command::Get(args) => cmd::get::run(&ctx, args),
        Command::Doctor(args) => cmd::doctor::run(&ctx, args),
        Command::Exec(args) => cmd::exec::run(&ctx, args),
        Command::Presign(args) => cmd::presign::run(&ctx, args),
        Command::Sign(args) => cmd::sign::run(&ctx, args),
        Command::Serve(args) => cmd::serve::run(&ctx, args),
        Command::Sandbox(args) => cmd::sandbox::run(&ctx, args),
        Command::Completions(args) => cmd::completions::run(&ctx, args),
    };
    let unsaved = cmd::warn_unsaved(&ctx);
    match result {
        // A failure of the command itself (stdout full, …) says more than an unsaved file.
        Ok(code) if unsaved && code == ExitCode::SUCCESS => cmd::exit::UNSAVED.exit(),
        Ok(code) => code,
        Err(err) => {
            let status = cmd::exit::Status::of(&err);
            cmd::report_error(err);
            status.exit()
        }
    }
}

/// Prints clap's usage error, `--help` or `--version` as `Cli::parse` would, but checks the
/// write: `cloudcred --help > /dev/full` must not exit 0.
fn parse_failure(e: &clap::Error) -> ExitCode {
    use std::io::Write;
    let printed = e.print().and_then(|()| std::io::stdout().flush());
    // Usage errors go to stderr: if that fails too, the status alone still tells.
    if let (Err(io), false) = (printed, e.use_stderr()) {
        return cmd::stdout_failure(&io);
    }
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(cmd::exit::USAGE.code))
}
