//! The `cli_args` fuzz target's property as a proptest (stable, CI): any command line, built from
//! the real subcommands, flags and values or from arbitrary bytes, parses or fails cleanly; plus
//! a replay of the committed corpus and regression inputs (`fuzz/corpus/cli_args`).

#![cfg(unix)]

use proptest::prelude::*;
use std::path::{Path, PathBuf};

const WORDS: &[&str] = &[
    "get",
    "doctor",
    "exec",
    "presign",
    "sign",
    "serve",
    "sandbox",
    "help",
    "--profile",
    "--cloud",
    "alibaba",
    "huawei",
    "--format",
    "env",
    "json",
    "--region",
    "cn-hangzhou",
    "--endpoint",
    "--expires",
    "3600",
    "-1",
    "99999999999999999999",
    "--method",
    "put",
    "--v1",
    "--v4",
    "--service",
    "oss",
    "obs",
    "tablestore",
    "acs3",
    "--url",
    "https://b.oss-cn-hangzhou.example.invalid/k?acl",
    "oss://bucket/key",
    "obs://b/",
    "-H",
    "--header",
    "Content-Type: text/plain",
    "bad header",
    "--body-file",
    "--bucket",
    "--instance",
    "--port",
    "0",
    "65536",
    "--bind",
    "127.0.0.1",
    "::1",
    "--token",
    "--",
    "--help",
    "-h",
    "--version",
    "-V",
    "",
];

/// A command line: arguments separated by NUL, as the fuzz target splits its input.
fn command_line() -> impl Strategy<Value = Vec<u8>> {
    let arg = prop_oneof![
        4 => proptest::sample::select(WORDS).prop_map(|w| w.as_bytes().to_vec()),
        1 => "[ -~]{0,10}".prop_map(String::into_bytes),
        1 => proptest::collection::vec(1u8..=255, 0..6),
    ];
    proptest::collection::vec(arg, 0..8).prop_map(|args| args.join(&0u8))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_command_line(data in command_line()) {
        cloudcred_cli::fuzz_args(&data);
    }
}

#[test]
fn the_command_definition_is_consistent() {
    use clap::CommandFactory;
    cloudcred_cli::Cli::command().debug_assert();
}

fn inputs() -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut out: Vec<PathBuf> = ["corpus", "regressions"]
        .iter()
        .filter_map(|d| std::fs::read_dir(fuzz.join(d).join("cli_args")).ok())
        .flatten()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

#[test]
fn replay_cli_args_corpus() {
    let inputs = inputs();
    assert!(!inputs.is_empty(), "no committed corpus for cli_args");
    for path in inputs {
        let data = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| cloudcred_cli::fuzz_args(&data));
        assert!(result.is_ok(), "{} fails", path.display());
    }
}

#[test]
fn parsed_arguments_debug_without_the_serve_token() {
    let planted = "fake-serve-token-0123456789abcdef";
    let cli = cloudcred_cli::parse_args(["serve", "--token", planted]).unwrap();
    let shown = format!("{cli:?}");
    assert!(!shown.contains(planted), "{shown}");
    assert!(shown.contains("Serve"), "{shown}");
}
