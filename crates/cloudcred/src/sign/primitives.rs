//! The cryptographic primitives every signer shares: HMACs and hashes, hex and Base64, the V4
//! key derivation and its per-signer cache, and the V4 signature over a canonical request.

use super::details::Details;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::fmt;

/// HMAC-SHA1 of `msg` under `key`.
pub fn hmac_sha1(key: &[u8], msg: &[u8]) -> [u8; 20] {
    // new_from_slice only fails for fixed-size-key MACs; HMAC accepts any key length.
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA256 of `msg` under `key`.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// Base64(HMAC-SHA1(key, msg)): the signature of ROA, OSS V1, OBS V2 and Tablestore V2.
pub fn base64_hmac_sha1(key: &[u8], msg: &str) -> String {
    base64(&hmac_sha1(key, msg.as_bytes()))
}

/// Base64(HMAC-SHA1(`secret`, `msg`)) with the keyed HMAC from the per-thread cache
/// ([`keyed_macs`](super::keyed_macs)): the signature of ROA, OSS V1, OBS V2 and Tablestore V2.
pub(crate) fn base64_secret_hmac_sha1(secret: &[&[u8]], msg: &[u8]) -> String {
    let mut mac = super::keyed_macs::hmac_sha1(secret);
    mac.update(msg);
    let mut out = String::with_capacity(28);
    push_base64(&mut out, &mac.finalize().into_bytes());
    out
}

/// Appends standard Base64 of `data` to `out`, through a stack buffer for digests (`encode`
/// fills a zeroed vector of its own, `encode_string` goes through a chunked encoder that cost
/// twice the encoding).
pub(crate) fn push_base64(out: &mut String, data: &[u8]) {
    let mut buf = [0u8; 88];
    match base64_str(&mut buf, data) {
        Some(b64) => out.push_str(b64),
        None => base64::engine::general_purpose::STANDARD.encode_string(data, out),
    }
}

/// Standard Base64 with padding of `data` into the start of `out`, returned as text; `None` when
/// `out` is too short. By hand, for the digests signers encode (16 to 32 bytes): the engine's
/// general encoder was 3 % of an OSS V1 signature, more than these few bytes need.
pub(crate) fn base64_str<'o>(out: &'o mut [u8], data: &[u8]) -> Option<&'o str> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let len = data.len().div_ceil(3) * 4;
    let out = out.get_mut(..len)?;
    let sextet = |n: u32, shift: u32| ALPHABET[(n >> shift & 63) as usize];
    let whole = data.len() / 3;
    // Groups of three bytes in, four characters out, indexed from the output's chunks.
    for (i, slot) in out[..whole * 4].chunks_exact_mut(4).enumerate() {
        let b = &data[i * 3..i * 3 + 3];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        let word = [sextet(n, 18), sextet(n, 12), sextet(n, 6), sextet(n, 0)];
        slot.copy_from_slice(&word);
    }
    let tail = &data[whole * 3..];
    if !tail.is_empty() {
        let n = u32::from(tail[0]) << 16 | tail.get(1).map_or(0, |&b| u32::from(b) << 8);
        let third = if tail.len() == 2 { sextet(n, 6) } else { b'=' };
        out[whole * 4..].copy_from_slice(&[sextet(n, 18), sextet(n, 12), third, b'=']);
    }
    // SAFETY: every byte written is from the ASCII alphabet or `=`, and ASCII is UTF-8.
    Some(unsafe { std::str::from_utf8_unchecked(out) })
}

/// Lower-hex HMAC-SHA256(`secret`, `msg`) with the keyed HMAC from the per-thread cache: the
/// signature of ACS3 and Huawei APIG.
pub(crate) fn hex_secret_hmac_sha256(secret: &[u8], msg: &[u8]) -> String {
    hex_mac(super::keyed_macs::hmac_sha256(secret), msg)
}

/// Lower-hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex_lower(&Sha256::digest(data))
}

/// Lower-hex of `bytes`. By table: `hex::encode` goes through a `char` iterator, which was a
/// tenth of an OSS V4 header signature under callgrind.
pub fn hex_lower(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    out
}

/// Appends the lower-hex of `bytes` to `out`.
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    let mut buf = [0u8; 128];
    for chunk in bytes.chunks(64) {
        hex_into(&mut buf, chunk);
        // SAFETY: hex digits are ASCII, so `out` stays UTF-8 (`from_utf8` here was a
        // measurable share of a V4 signature).
        unsafe { out.as_mut_vec() }.extend_from_slice(&buf[..chunk.len() * 2]);
    }
}

/// The first eight bytes of `b` as a big-endian word, zero-padded: comparing two of these
/// orders byte strings as their first eight bytes do (a shorter one first when it is a prefix
/// of the other and holds no NUL), without a `memcmp` call. Header names and RPC parameter
/// names are sorted by it before any full comparison.
pub(crate) fn leading_word(b: &[u8]) -> u64 {
    match b.first_chunk::<8>() {
        Some(word) => u64::from_be_bytes(*word),
        None => b
            .iter()
            .enumerate()
            .fold(0, |w, (i, &c)| w | u64::from(c) << (56 - 8 * i)),
    }
}

/// Writes the lower-hex of `bytes` to the start of `out` (which holds at least twice as many).
/// Both digits of a byte from one table entry: a nibble at a time, the two hex encodings of a V4
/// signature were a third of its own (non-hashing) work.
pub(crate) fn hex_into(out: &mut [u8], bytes: &[u8]) {
    const PAIRS: [[u8; 2]; 256] = {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut pairs = [[0u8; 2]; 256];
        let mut b = 0;
        while b < 256 {
            pairs[b] = [HEX[b >> 4], HEX[b & 15]];
            b += 1;
        }
        pairs
    };
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&PAIRS[usize::from(b)]);
    }
}

/// Standard Base64 with padding.
pub fn base64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Base64 of the MD5 digest (`Content-MD5`, `x-ots-contentmd5`).
pub fn md5_base64(data: &[u8]) -> String {
    // Exactly its length: a header takes the buffer over without copying.
    let mut out = String::with_capacity(24);
    push_base64(&mut out, &md5::Md5::digest(data));
    out
}

/// The V4-style key chain shared by OSS V4, Tablestore V4 (prefix `aliyun_v4`) and OBS V4
/// (prefix `AWS4`): HMAC over the date, the region, the product and the terminator.
pub fn derive_v4_key(
    prefix: &str,
    secret: &str,
    date: &str,
    region: &str,
    product: &str,
    terminator: &str,
) -> [u8; 32] {
    let mut k0 = Vec::with_capacity(prefix.len() + secret.len());
    k0.extend_from_slice(prefix.as_bytes());
    k0.extend_from_slice(secret.as_bytes());
    let k1 = hmac_sha256(&k0, date.as_bytes());
    // The concatenated key holds the secret: wipe it rather than leave it to the allocator.
    zeroize::Zeroize::zeroize(&mut k0);
    let k2 = hmac_sha256(&k1, region.as_bytes());
    let k3 = hmac_sha256(&k2, product.as_bytes());
    hmac_sha256(&k3, terminator.as_bytes())
}

pub(crate) use super::keyed_macs::HmacSha256;

/// An HMAC-SHA256 keyed with `key`, ready to take the string to sign.
pub(crate) fn keyed_hmac_sha256(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length")
}

/// Derived V4 signing keys, one per signer, kept as HMACs already keyed with them.
///
/// The key depends only on the secret, the date, the region and the product, and deriving it is
/// four HMAC-SHA256s: over half the hashing of a header signature. AWS's SDKs keep it per day
/// for the same reason. Keying the HMAC with it costs two more SHA-256 blocks per signature, so
/// the cache holds the keyed state. A hit is decided by a constant-time comparison with a copy
/// of the secret the key came from (zeroized on drop, like the keyed state): a SHA-256
/// fingerprint instead cost one more compression per signature, a sixth of the floor under
/// callgrind, and `Credentials` shares no pointer that could prove identity (each refresh makes
/// a new snapshot). A different secret or a new day derives again. Shared by clones of the
/// signer, lock-free to read.
#[derive(Default)]
pub(crate) struct V4KeyCache(arc_swap::ArcSwapOption<CachedV4Key>);

struct CachedV4Key {
    secret: zeroize::Zeroizing<Box<[u8]>>,
    date: [u8; 8],
    mac: HmacSha256,
}

impl Drop for CachedV4Key {
    fn drop(&mut self) {
        // The keyed state signs like the key itself: wipe it as the derived key was.
        // SAFETY: `self.mac` is a valid, aligned place, and the value written is a valid
        // `HmacSha256`; it has no destructor, so overwriting the old value leaks nothing.
        unsafe { std::ptr::write_volatile(&mut self.mac, keyed_hmac_sha256(&[])) };
    }
}

impl fmt::Debug for V4KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("V4KeyCache")
    }
}

impl V4KeyCache {
    /// The HMAC keyed for `secret` on `date`; `keyed` derives the key (for this signer's fixed
    /// region, product and terminator) and keys the HMAC when the cache misses.
    pub(crate) fn mac(
        &self,
        secret: &str,
        date: &str,
        keyed: impl FnOnce() -> HmacSha256,
    ) -> HmacSha256 {
        let Ok(date) = <[u8; 8]>::try_from(date.as_bytes()) else {
            // Only `yyyymmdd` dates are cached; anything else derives every time.
            return keyed();
        };
        if let Some(c) = &*self.0.load() {
            if c.date == date && super::keyed_macs::ct_eq(&c.secret, secret.as_bytes()) {
                return c.mac.clone();
            }
        }
        let mac = keyed();
        self.0.store(Some(std::sync::Arc::new(CachedV4Key {
            secret: zeroize::Zeroizing::new(secret.as_bytes().into()),
            date,
            mac: mac.clone(),
        })));
        mac
    }
}

/// An HMAC keyed with [`derive_v4_key`]'s key, the derived key wiped once used.
pub(crate) fn derived_v4_hmac(
    prefix: &str,
    secret: &str,
    date: &str,
    region: &str,
    product: &str,
    terminator: &str,
) -> HmacSha256 {
    let key = zeroize::Zeroizing::new(derive_v4_key(
        prefix, secret, date, region, product, terminator,
    ));
    keyed_hmac_sha256(&*key)
}

/// The lower-hex signature of the V4 string to sign
/// `algorithm\ndatetime\nscope\nhex(SHA-256(canonical))` under the keyed `mac`. The string to
/// sign is streamed into the MAC; it is built (and returned) only with [`Details::Want`].
pub(crate) fn v4_signature(
    mut mac: HmacSha256,
    [algorithm, datetime, scope]: [&str; 3],
    canonical: &str,
    details: Details,
) -> ([u8; 64], Option<String>) {
    let mut hash = [0u8; 64];
    hex_into(&mut hash, &Sha256::digest(canonical.as_bytes()));
    // The string to sign in one stack buffer and one `update`: each `update` of the seven pieces
    // paid the block buffer's bookkeeping again.
    let mut sts = [0u8; 256];
    let head = algorithm.len() + datetime.len() + scope.len() + 3;
    if head + hash.len() <= sts.len() {
        let mut at = 0;
        for part in [algorithm, "\n", datetime, "\n", scope, "\n"] {
            sts[at..at + part.len()].copy_from_slice(part.as_bytes());
            at += part.len();
        }
        sts[at..at + hash.len()].copy_from_slice(&hash);
        mac.update(&sts[..at + hash.len()]);
    } else {
        for part in [algorithm, "\n", datetime, "\n", scope, "\n"] {
            mac.update(part.as_bytes());
        }
        mac.update(&hash);
    }
    let mut signature = [0u8; 64];
    hex_into(&mut signature, &mac.finalize().into_bytes());
    let sts = (details == Details::Want).then(|| {
        let mut sts = [algorithm, "\n", datetime, "\n", scope, "\n"].concat();
        sts.push_str(ascii(&hash));
        sts
    });
    (signature, sts)
}

/// Hex digits as text.
pub(crate) fn ascii(hex: &[u8; 64]) -> &str {
    // Never fails: `hex_into` writes ASCII digits only. Checked rather than unchecked: 64
    // bytes of ASCII validate in a few instructions.
    std::str::from_utf8(hex).unwrap_or_default()
}

/// Lower-hex of the MAC of `msg` under the keyed `mac`.
pub(crate) fn hex_mac(mut mac: HmacSha256, msg: &[u8]) -> String {
    mac.update(msg);
    hex_lower(&mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_written_base64_matches_the_base64_crate() {
        let data: Vec<u8> = (0..=255u8).rev().collect();
        for len in 0..=66 {
            for start in [0, 1, 100, 189] {
                let data = &data[start..start + len];
                let mut buf = [0u8; 88];
                assert_eq!(
                    base64_str(&mut buf, data).unwrap(),
                    base64(data),
                    "{len} bytes"
                );
            }
        }
        assert_eq!(base64_str(&mut [0u8; 27], &[0u8; 20]), None);
        let mut out = String::from("x");
        push_base64(&mut out, &[7u8; 100]);
        assert_eq!(out, format!("x{}", base64(&[7u8; 100])));
    }

    #[test]
    fn v4_key_cache_follows_secret_and_date() {
        let cache = V4KeyCache::default();
        let derive = |secret: &str, date: &str| derive_v4_key("p", secret, date, "r", "s", "t");
        let derivations = std::cell::Cell::new(0);
        // Same-length secrets differing in one byte, a prefix, an extension, the empty secret:
        // none may be served the key of the secret before it.
        for (secret, date, derives) in [
            ("secret-a", "20240101", true),
            ("secret-a", "20240101", false),
            ("secret-b", "20240101", true),
            ("secret-b", "20240101", false),
            ("secret-b", "20240102", true),
            ("secret-a", "20240102", true),
            ("secret-", "20240102", true),
            ("secret-a", "20240102", true),
            ("secret-ab", "20240102", true),
            ("", "20240102", true),
            ("", "20240102", false),
            ("secret-ab", "2024-01-02", true),
            ("secret-ab", "2024-01-02", true),
        ] {
            let before = derivations.get();
            let mac = cache.mac(secret, date, || {
                derivations.set(derivations.get() + 1);
                derived_v4_hmac("p", secret, date, "r", "s", "t")
            });
            assert_eq!(
                hex_mac(mac, b"msg"),
                hex_lower(&hmac_sha256(&derive(secret, date), b"msg")),
                "{secret:?} {date}"
            );
            assert_eq!(
                derivations.get() - before,
                u32::from(derives),
                "{secret:?} {date}"
            );
        }
        assert_eq!(format!("{cache:?}"), "V4KeyCache");
    }

    #[test]
    fn hex_lower_matches_the_hex_crate() {
        let bytes: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
        for len in [0, 1, 20, 32, 63, 64, 65, 200, 512] {
            assert_eq!(hex_lower(&bytes[..len]), hex::encode(&bytes[..len]));
        }
    }
}
