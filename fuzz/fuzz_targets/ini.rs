//! The INI dialect of the Alibaba and Huawei credentials files.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudcred_fuzzing::ini(data));
