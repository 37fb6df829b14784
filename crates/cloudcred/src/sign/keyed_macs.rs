//! HMACs keyed with a raw secret (OSS V1, OBS V2, ROA, RPC, Tablestore V2, ACS3, Huawei APIG),
//! kept keyed per thread, and the constant-time comparison that decides a hit.
//!
//! Keying an HMAC hashes one block of `key ⊕ ipad` and one of `key ⊕ opad`: two compressions
//! of the four to six a header signature needs, the same for every signature under one secret.
//! These signers are free functions or per-bucket values with no place to keep the keyed state
//! per secret, so each thread keeps the last two keys it used, with copies of the key bytes
//! (zeroized when replaced and at thread exit, as is the keyed state, which signs like the key).
//! A different secret keys again; nothing crosses threads, so there is no lock.

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use std::cell::RefCell;

/// HMAC-SHA1, the MAC of the V1-style and RPC signatures.
pub(crate) type HmacSha1 = Hmac<sha1::Sha1>;
/// HMAC-SHA256, the MAC of the V4-style and ACS3/APIG signatures.
pub(crate) type HmacSha256 = Hmac<sha2::Sha256>;

/// Whether `a` and `b` are equal, in time that depends on their lengths only.
///
/// `subtle`'s slice comparison passes every byte through an optimisation barrier, a few
/// nanoseconds a byte (a twentieth of a V4 signature); here the differences are folded and only
/// the result goes through one. Lengths are compared first: a secret's length is no secret worth
/// a branch-free comparison.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// `key` given as parts (`secret` and `&` for RPC), compared with a stored key without joining.
fn parts_eq(stored: &[u8], parts: &[&[u8]]) -> bool {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    if stored.len() != len {
        return false;
    }
    let mut diff = 0u8;
    let mut at = 0;
    for part in parts {
        diff |= part
            .iter()
            .zip(&stored[at..at + part.len()])
            .fold(0u8, |acc, (x, y)| acc | (x ^ y));
        at += part.len();
    }
    std::hint::black_box(diff) == 0
}

/// One cached key: a copy of its bytes and the HMAC keyed with them.
struct Keyed<M: Mac + Clone + KeyInit> {
    key: zeroize::Zeroizing<Vec<u8>>,
    mac: M,
}

impl<M: Mac + Clone + KeyInit> Drop for Keyed<M> {
    fn drop(&mut self) {
        let empty = <M as KeyInit>::new_from_slice(&[]).expect("HMAC takes keys of any length");
        // SAFETY: `self.mac` is a valid, aligned place and the value written is a valid `M`;
        // HMAC states own no heap memory, so overwriting the old value leaks nothing.
        unsafe { std::ptr::write_volatile(&mut self.mac, empty) };
    }
}

/// The last two keys one thread used, most recent first.
struct Recent<M: Mac + Clone + KeyInit>([Option<Keyed<M>>; 2]);

impl<M: Mac + Clone + KeyInit> Recent<M> {
    fn mac(&mut self, parts: &[&[u8]]) -> M {
        if let Some(hit) = self.0[0].as_ref().filter(|k| parts_eq(&k.key, parts)) {
            return hit.mac.clone();
        }
        if self.0[1].as_ref().is_some_and(|k| parts_eq(&k.key, parts)) {
            self.0.swap(0, 1);
            if let Some(hit) = &self.0[0] {
                return hit.mac.clone();
            }
        }
        let key = zeroize::Zeroizing::new(parts.concat());
        let mac = <M as KeyInit>::new_from_slice(&key).expect("HMAC takes keys of any length");
        self.0.swap(0, 1);
        self.0[0] = Some(Keyed {
            key,
            mac: mac.clone(),
        });
        mac
    }
}

thread_local! {
    static SHA1: RefCell<Recent<HmacSha1>> = const { RefCell::new(Recent([None, None])) };
    static SHA256: RefCell<Recent<HmacSha256>> = const { RefCell::new(Recent([None, None])) };
}

/// An HMAC-SHA1 keyed with the concatenation of `parts`, ready to take the string to sign.
#[inline]
pub(crate) fn hmac_sha1(parts: &[&[u8]]) -> HmacSha1 {
    SHA1.try_with(|c| c.try_borrow_mut().ok().map(|mut c| c.mac(parts)))
        .ok()
        .flatten()
        // During thread teardown (or a reentrant call, which signers never make): key afresh.
        .unwrap_or_else(|| {
            let key = zeroize::Zeroizing::new(parts.concat());
            <HmacSha1 as KeyInit>::new_from_slice(&key).expect("HMAC takes keys of any length")
        })
}

/// An HMAC-SHA256 keyed with `key`, ready to take the string to sign.
#[inline]
pub(crate) fn hmac_sha256(key: &[u8]) -> HmacSha256 {
    SHA256
        .try_with(|c| c.try_borrow_mut().ok().map(|mut c| c.mac(&[key])))
        .ok()
        .flatten()
        .unwrap_or_else(|| {
            <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag<M: Mac>(mut mac: M, msg: &[u8]) -> Vec<u8> {
        mac.update(msg);
        mac.finalize().into_bytes().to_vec()
    }

    #[test]
    fn cached_keys_follow_the_key() {
        // Same-length keys differing in one byte, a prefix, an extension, the empty key, and
        // three keys in turn (two slots): each must MAC as a freshly keyed HMAC.
        let keys: [&[u8]; 10] = [
            b"secret-a",
            b"secret-a",
            b"secret-b",
            b"secret-",
            b"secret-ab",
            b"",
            b"",
            b"k1",
            b"k2",
            b"k3",
        ];
        for round in 0..2 {
            for key in keys.iter().chain(keys.iter().rev()) {
                let fresh1 = <HmacSha1 as KeyInit>::new_from_slice(key).unwrap();
                let fresh256 = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap();
                assert_eq!(tag(hmac_sha1(&[key]), b"m"), tag(fresh1, b"m"), "{round}");
                assert_eq!(tag(hmac_sha256(key), b"m"), tag(fresh256, b"m"), "{round}");
            }
        }
        // Parts are the key joined: `secret` + `&` is not `secret&` + `` twice over.
        let joined = tag(<HmacSha1 as KeyInit>::new_from_slice(b"sk&").unwrap(), b"m");
        assert_eq!(tag(hmac_sha1(&[b"sk", b"&"]), b"m"), joined);
        assert_eq!(tag(hmac_sha1(&[b"sk&"]), b"m"), joined);
        assert_ne!(tag(hmac_sha1(&[b"sk", b"&&"]), b"m"), joined);
    }

    #[test]
    fn ct_eq_is_equality() {
        assert!(ct_eq(b"", b""));
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(parts_eq(b"abc", &[b"a", b"bc"]));
        assert!(!parts_eq(b"abc", &[b"a", b"bd"]));
        assert!(!parts_eq(b"abc", &[b"ab"]));
    }
}
