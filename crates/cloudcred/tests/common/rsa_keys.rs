//! One RSA key pair per test binary, generated at run time (no private key in the repository).

use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use std::sync::OnceLock;

pub struct Keys {
    pub pkcs8: String,
    pub pkcs1: String,
    pub public: String,
}

/// One 2048-bit key per test binary (generation is slow in debug builds).
pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        Keys {
            pkcs8: private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
            pkcs1: private.to_pkcs1_pem(LineEnding::LF).unwrap().to_string(),
            public: rsa::RsaPublicKey::from(&private)
                .to_public_key_pem(LineEnding::LF)
                .unwrap(),
        }
    })
}
