//! The `cloudcred` command line (NUL-separated arguments): parsed, never run.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudcred_cli::fuzz_args(data));
