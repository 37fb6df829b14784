//! Alibaba Cloud providers, one per file, and the default chain.

pub mod cli_profile;
pub mod command_split;
pub mod default_chain;
pub mod env;
pub mod external;
pub mod ignored_vars;
pub mod ini_profile;
pub mod network_slots;
pub mod oauth;
pub mod profile_file;
pub mod profile_spec;
pub mod ram_role_arn;
pub mod static_credentials;
pub mod sts;

pub use cli_profile::CliProfileProvider;
pub use default_chain::{default_chain, DefaultChain, DefaultChainBuilder};
pub use env::EnvProvider;
pub use ini_profile::IniProfileProvider;
pub use profile_file::{ProfileChoice, ProfileFileBuilder};
pub use profile_spec::ProfileSpec;
pub use ram_role_arn::{AssumeRole, RamRoleArnProvider};
pub use static_credentials::StaticProvider;
