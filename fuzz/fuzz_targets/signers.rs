//! Every request signer on a structured request, credentials, time and signer settings.
#![no_main]

use cloudcred_fuzzing::{signers, SignerInput};

libfuzzer_sys::fuzz_target!(|input: SignerInput| signers(&input));
