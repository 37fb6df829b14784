//! Alibaba Cloud RPC signature (SignatureVersion 1.0), server side.
//!
//! The fake cloud is a test oracle for the `cloudcred` signer, so this module is written
//! independently of it from `signing.md` section 2: if both shared code, a canonicalisation bug
//! would sign and verify consistently and no test would notice.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::RsaPublicKey;
use sha1::Sha1;
use sha2::Sha256;

/// RFC 3986 strict percent-encoding: only `A–Z a–z 0–9 - _ . ~` stay as they are, a space is
/// `%20` (never `+`), hex digits are upper case, multi-byte characters are encoded per UTF-8 byte.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `application/x-www-form-urlencoded` text (query strings and form bodies alike).
///
/// `+` decodes to a space, as servlet-style servers do: a client that leaves a literal `+` of a
/// security token unencoded then fails verification, which is the defect this oracle must expose.
pub fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex_val(bytes[i + 1]), hex_val(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits `a=1&b=2` into decoded pairs; a name without `=` gets an empty value.
pub fn parse_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (form_decode(k), form_decode(v)),
            None => (form_decode(p), String::new()),
        })
        .collect()
}

/// The canonicalised query: every pair except `Signature`, sorted by the raw name's bytes (ties by
/// value so the result does not depend on arrival order), encoded, joined with `&`.
pub fn canonicalized_query(params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> =
        params.iter().filter(|(k, _)| k != "Signature").collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()).then(a.1.cmp(&b.1)));
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `METHOD&%2F&enc(canonicalized query)`; the request path is deliberately not part of it.
pub fn string_to_sign(method: &str, params: &[(String, String)]) -> String {
    format!(
        "{}&{}&{}",
        method,
        percent_encode("/"),
        percent_encode(&canonicalized_query(params))
    )
}

/// Base64 HMAC-SHA1 keyed by `secret&`.
pub fn hmac_sha1_signature(access_key_secret: &str, string_to_sign: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{access_key_secret}&").as_bytes())
        .expect("HMAC accepts any key length");
    mac.update(string_to_sign.as_bytes());
    B64.encode(mac.finalize().into_bytes())
}

/// Checks a client's Base64 HMAC-SHA1 signature in constant time.
pub fn verify_hmac_sha1(access_key_secret: &str, string_to_sign: &str, signature: &str) -> bool {
    let Ok(given) = B64.decode(signature.trim()) else {
        return false;
    };
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{access_key_secret}&").as_bytes())
        .expect("HMAC accepts any key length");
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(&given).is_ok()
}

/// Checks a Base64 RSASSA-PKCS1-v1_5 SHA-256 signature over the string to sign (no `&` anywhere:
/// the RSA variant of `signing.md` 2.4).
pub fn verify_sha256_with_rsa(key: &RsaPublicKey, string_to_sign: &str, signature: &str) -> bool {
    let Ok(raw) = B64.decode(signature.trim()) else {
        return false;
    };
    let Ok(sig) = Signature::try_from(raw.as_slice()) else {
        return false;
    };
    VerifyingKey::<Sha256>::new(key.clone())
        .verify(string_to_sign.as_bytes(), &sig)
        .is_ok()
}

/// Parses a public key in SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`) PEM.
pub fn parse_public_key_pem(pem: &str) -> Option<RsaPublicKey> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::pkcs8::DecodePublicKey;
    RsaPublicKey::from_public_key_pem(pem.trim())
        .ok()
        .or_else(|| RsaPublicKey::from_pkcs1_pem(pem.trim()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_space_as_percent_20_and_keeps_unreserved() {
        assert_eq!(percent_encode("a b*~/+="), "a%20b%2A~%2F%2B%3D");
        assert_eq!(percent_encode("中"), "%E4%B8%AD");
    }

    #[test]
    fn decodes_plus_and_bad_escapes() {
        assert_eq!(form_decode("a+b%2Bc%3d%zz%"), "a b+c=%zz%");
        assert_eq!(
            parse_pairs("x=1&&y&z=%20"),
            vec![
                ("x".into(), "1".into()),
                ("y".into(), String::new()),
                ("z".into(), " ".into())
            ]
        );
    }
}
