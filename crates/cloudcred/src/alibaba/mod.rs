//! Alibaba Cloud providers, one per file, and the default chain.

/// The setters every refreshing source's builder shares, for builders with the fields
/// `options: RequestOptions` (optional arm), `refresh: RefreshConfig` and
/// `name: Option<ProviderName>`.
macro_rules! source_builder_setters {
    ($builder:ty, $default_name:literal) => {
        impl $builder {
            /// Refresh-engine tuning (window, maximum age, deadline).
            pub fn refresh(mut self, config: $crate::engine::RefreshConfig) -> Self {
                self.refresh = config;
                self
            }

            #[doc = concat!("The full provider name of the credentials (default `", $default_name, "`).")]
            pub fn name(mut self, name: $crate::model::ProviderName) -> Self {
                self.name = Some(name);
                self
            }
        }
    };
    ($builder:ty, $default_name:literal, request_options) => {
        source_builder_setters!($builder, $default_name);

        impl $builder {
            /// Timeouts and retries of the HTTP exchange.
            pub fn request_options(mut self, options: $crate::http::RequestOptions) -> Self {
                self.options = options;
                self
            }
        }
    };
}

pub mod cli_profile;
pub mod cloud_sso;
pub mod command_split;
pub mod credential_document;
pub mod credentials_uri;
pub mod default_chain;
pub mod ecs_ram_role;
pub mod env;
pub mod external;
pub mod function_compute;
pub mod ignored_vars;
pub mod ini_profile;
pub mod named_keys_ini;
pub mod oauth;
pub mod oidc_role_arn;
pub mod product_chains;
pub mod profile_file;
pub mod profile_spec;
pub mod ram_role_arn;
pub mod rsa_key_pair;
pub mod static_credentials;
pub mod sts;

pub use cli_profile::CliProfileProvider;
pub use cloud_sso::{CloudSso, CloudSsoProvider};
pub use credentials_uri::{CredentialsUri, CredentialsUriProvider};
pub use default_chain::{default_chain, DefaultChain, DefaultChainBuilder};
pub use ecs_ram_role::{EcsRamRole, EcsRamRoleProvider};
pub use env::EnvProvider;
pub use ini_profile::IniProfileProvider;
pub use named_keys_ini::NamedKeysIniProvider;
pub use oidc_role_arn::{AssumeRoleWithOidc, OidcRoleArnProvider};
pub use product_chains::{acs_client_chain, oss_chain, tablestore_chain};
pub use profile_file::{ProfileChoice, ProfileFileBuilder};
pub use profile_spec::ProfileSpec;
pub use ram_role_arn::{AssumeRole, RamRoleArnProvider};
pub use rsa_key_pair::{GenerateSessionAccessKey, RsaKeyPairProvider};
pub use static_credentials::StaticProvider;
