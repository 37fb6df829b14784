//! Alibaba Cloud providers, one per file, and the default chain.

#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod cli_profile;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod cloud_sso;
pub mod command_split;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod credential_document;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod credentials_uri;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod default_chain;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod ecs_ram_role;
pub mod env;
#[cfg(all(feature = "http", feature = "write-back"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "http", feature = "write-back"))))]
pub mod external;
pub mod function_compute;
pub mod ignored_vars;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod ini_profile;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod named_keys_ini;
#[cfg(all(feature = "http", feature = "write-back"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "http", feature = "write-back"))))]
pub mod oauth;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod oidc_role_arn;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod product_chains;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod profile_file;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod profile_spec;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod ram_role_arn;
#[cfg(all(feature = "http", feature = "rsa"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "http", feature = "rsa"))))]
pub mod rsa_key_pair;
pub mod static_credentials;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod sts;

#[cfg(feature = "http")]
pub use cli_profile::CliProfileProvider;
#[cfg(feature = "http")]
pub use cloud_sso::{CloudSsoBuilder, CloudSsoProvider, CloudSsoSource};
#[cfg(feature = "http")]
pub use credentials_uri::{CredentialsUriBuilder, CredentialsUriProvider, CredentialsUriSource};
#[cfg(feature = "http")]
pub use default_chain::{default_chain, DefaultChain, DefaultChainBuilder};
#[cfg(feature = "http")]
pub use ecs_ram_role::{EcsRamRoleBuilder, EcsRamRoleProvider, EcsRamRoleSource};
pub use env::EnvProvider;
#[cfg(all(feature = "http", feature = "write-back"))]
pub use external::{ExternalBuilder, ExternalProvider, ExternalSource};
#[cfg(feature = "http")]
pub use ini_profile::IniProfileProvider;
#[cfg(feature = "http")]
pub use named_keys_ini::NamedKeysIniProvider;
#[cfg(all(feature = "http", feature = "write-back"))]
pub use oauth::{OAuthBuilder, OAuthProvider, OAuthSource};
#[cfg(feature = "http")]
pub use oidc_role_arn::{
    OidcRoleArnBuilder, OidcRoleArnFromEnv, OidcRoleArnProvider, OidcRoleArnSource,
};
#[cfg(feature = "http")]
pub use product_chains::{acs_client_chain, oss_chain, tablestore_chain};
#[cfg(feature = "http")]
pub use profile_file::{ProfileChoice, ProfileFileBuilder};
#[cfg(feature = "http")]
pub use profile_spec::ProfileSpec;
#[cfg(feature = "http")]
pub use ram_role_arn::{RamRoleArnBuilder, RamRoleArnProvider, RamRoleArnSource};
#[cfg(all(feature = "http", feature = "rsa"))]
pub use rsa_key_pair::{RsaKeyPairBuilder, RsaKeyPairProvider, RsaKeyPairSource};
pub use static_credentials::StaticProvider;
