//! Chains of providers.
pub struct Chain;
