//! Provider names composed `outer/inner`, as the official SDKs report them (spec 2.2).

use std::fmt;
use std::sync::Arc;

/// The name of the provider chain that produced a credential, e.g. `default/profile/static_ak`.
///
/// Names are composed once, when providers are built, so that handing out a cached credential
/// never formats or allocates a name.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ProviderName(Arc<str>);

impl ProviderName {
    /// A name as given (`env`, `ram_role_arn`); compose with [`within`](Self::within).
    pub fn new(name: &str) -> Self {
        Self(Arc::from(name))
    }

    /// `outer/self`.
    pub fn within(&self, outer: &str) -> Self {
        if outer.is_empty() {
            return self.clone();
        }
        Self(Arc::from(format!("{outer}/{}", self.0)))
    }

    /// `self/inner`.
    pub fn wrapping(&self, inner: &ProviderName) -> Self {
        Self(Arc::from(format!("{}/{}", self.0, inner.0)))
    }

    /// The composed name, `outer/inner`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ProviderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for ProviderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ProviderName {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composes_outer_and_inner() {
        let inner = ProviderName::new("static_ak");
        let ram = ProviderName::new("ram_role_arn").wrapping(&inner);
        assert_eq!(ram.as_str(), "ram_role_arn/static_ak");
        assert_eq!(
            ram.within("profile").within("default").as_str(),
            "default/profile/ram_role_arn/static_ak"
        );
        assert_eq!(inner.within("").as_str(), "static_ak");
    }
}
