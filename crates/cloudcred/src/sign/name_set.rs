//! Fixed sets of query parameter names (the OSS and OBS sub-resources), looked up by length.
//!
//! The lists hold a hundred names or more and every query parameter of a V1-style signature is
//! looked up. A binary search was 3 % of an OSS V1 signature (callgrind, issue 12), and an FNV
//! hash set 4 % of its time (the hash multiplies once per byte, one after the other). Bucketed by
//! length, a lookup compares the first byte of a dozen names at most (three share a length and a
//! first byte in the OSS list) and the whole name of those that match.

use std::sync::OnceLock;

/// A set of `'static` names, built on first use.
pub(crate) struct NameSet {
    names: fn() -> Vec<&'static str>,
    /// The names of each length, at that index.
    by_len: OnceLock<Vec<Vec<&'static str>>>,
}

impl NameSet {
    /// The set of the names `names` lists (not built until first asked).
    pub(crate) const fn new(names: fn() -> Vec<&'static str>) -> Self {
        Self {
            names,
            by_len: OnceLock::new(),
        }
    }

    /// Whether `name` is one of the names, byte for byte.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.find(name, |a, b| a == b)
    }

    /// Whether `name` is one of the names but for ASCII case.
    pub(crate) fn contains_ignore_ascii_case(&self, name: &str) -> bool {
        self.find(name, |a, b| a.eq_ignore_ascii_case(b))
    }

    fn find(&self, name: &str, eq: impl Fn(&[u8], &[u8]) -> bool) -> bool {
        let by_len = self.by_len.get_or_init(|| {
            let mut by_len: Vec<Vec<&'static str>> = Vec::new();
            for n in (self.names)() {
                if by_len.len() <= n.len() {
                    by_len.resize(n.len() + 1, Vec::new());
                }
                by_len[n.len()].push(n);
            }
            by_len
        });
        let Some(&first) = name.as_bytes().first() else {
            return by_len.first().is_some_and(|b| !b.is_empty());
        };
        // Lower-cased for the case-blind lookup; a byte-for-byte one then compares in full.
        let first = first.to_ascii_lowercase();
        by_len.get(name.len()).is_some_and(|bucket| {
            bucket.iter().any(|n| {
                n.as_bytes()[0].to_ascii_lowercase() == first && eq(n.as_bytes(), name.as_bytes())
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_names_only() {
        static SET: NameSet = NameSet::new(|| vec!["acl", "uploadId", "x"]);
        for name in ["acl", "uploadId", "x"] {
            assert!(SET.contains(name), "{name}");
        }
        for name in [
            "",
            "ACL",
            "uploadid",
            "acl ",
            "uploadIdx",
            "y",
            "ac",
            "uploadIc",
        ] {
            assert!(!SET.contains(name), "{name}");
        }
        for name in ["ACL", "UploadId", "X", "aCl"] {
            assert!(SET.contains_ignore_ascii_case(name), "{name}");
        }
        static LOWER: NameSet = NameSet::new(|| vec!["acl", "uploadid"]);
        for name in ["ACL", "UploadId", "uploadid", "acl"] {
            assert!(LOWER.contains_ignore_ascii_case(name), "{name}");
        }
        for name in ["ACLs", "Upload", "", "b"] {
            assert!(!LOWER.contains_ignore_ascii_case(name), "{name}");
        }
        static WITH_EMPTY: NameSet = NameSet::new(|| vec!["", "a"]);
        assert!(WITH_EMPTY.contains("") && WITH_EMPTY.contains("a") && !WITH_EMPTY.contains("b"));
    }
}
