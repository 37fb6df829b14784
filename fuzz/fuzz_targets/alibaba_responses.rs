//! Alibaba STS, GenerateSessionAccessKey, metadata / credentials-URI, CloudSSO and OAuth answers
//! (the first byte selects the parser, the second the HTTP status).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudcred_fuzzing::alibaba_responses(data));
