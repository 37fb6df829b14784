//! The aliyun CLI `config.json`: parsing, mode resolution, source chains, write-back merge.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudcred_fuzzing::cli_config(data));
