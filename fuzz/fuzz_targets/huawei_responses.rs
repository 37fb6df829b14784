//! Huawei credential answers (metadata, OIDC STS, pod identity), error bodies, the federation
//! token header and the Huawei credentials file (the first byte selects).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudcred_fuzzing::huawei_responses(data));
