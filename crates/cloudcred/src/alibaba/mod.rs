//! Alibaba Cloud providers, one per file, and the default chain.
