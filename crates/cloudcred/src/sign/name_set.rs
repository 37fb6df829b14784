//! Fixed sets of query parameter names (the OSS and OBS sub-resources), looked up by a hash.
//!
//! The lists hold a hundred names or more and every query parameter of a V1-style signature is
//! looked up: a binary search was 3 % of an OSS V1 signature (callgrind, issue 12); an FNV hash
//! of a short name and one probe cost a quarter of that.

use std::collections::HashSet;
use std::hash::BuildHasherDefault;
use std::sync::OnceLock;

/// A set of `'static` names, built on first use.
pub(crate) struct NameSet {
    names: fn() -> Vec<&'static str>,
    set: OnceLock<HashSet<&'static str, BuildHasherDefault<fnv::FnvHasher>>>,
}

impl NameSet {
    /// The set of the names `names` lists (not built until first asked).
    pub(crate) const fn new(names: fn() -> Vec<&'static str>) -> Self {
        Self {
            names,
            set: OnceLock::new(),
        }
    }

    /// Whether `name` is one of the names, byte for byte.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.set
            .get_or_init(|| (self.names)().into_iter().collect())
            .contains(name)
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
        for name in ["", "ACL", "uploadid", "acl ", "uploadIdx", "y"] {
            assert!(!SET.contains(name), "{name}");
        }
    }
}
