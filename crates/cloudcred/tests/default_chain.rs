//! The default chain end to end over files and variables (spec 5.2, D8, D14–D17).

mod common;

use cloudcred::alibaba::{DefaultChain, StaticProvider};
use cloudcred::context::{FileSystem, OsFileSystem};
use cloudcred::prelude::*;
use cloudcred::{Chain, ErrorKind, ProvideCredentials, Resolution, Result};
use common::{assert_no_secret, Home};
use futures::future::BoxFuture;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

fn get(chain: &Chain) -> Result<Arc<cloudcred::Credentials>> {
    futures::executor::block_on(chain.get())
}

fn chain(home: &Home) -> Chain {
    DefaultChain::builder(&home.ctx()).build()
}

#[test]
fn environment_comes_first() {
    let home = Home::new()
        .with_ini()
        .with_cli_config()
        .set("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIFROMENV")
        .set("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret-value");
    let c = get(&chain(&home)).unwrap();
    assert_eq!(
        (c.access_key_id(), c.provider_name().as_str()),
        ("LTAIFROMENV", "default/env")
    );
}

#[test]
fn blank_variables_pass_to_the_cli_profile_then_the_ini_file() {
    let home = Home::new()
        .with_ini()
        .with_cli_config()
        .set("ALIBABA_CLOUD_ACCESS_KEY_ID", "  ")
        .set("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "");
    let c = get(&chain(&home)).unwrap();
    assert_eq!(c.provider_name().as_str(), "default/cli_profile/static_ak");
    assert_eq!(c.access_key_id(), "LTAIFAKECLIDEFAULT01");
    let home = home.set("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true");
    let c = get(&chain(&home)).unwrap();
    assert_eq!(c.provider_name().as_str(), "default/profile/static_ak");
    assert_eq!(c.access_key_id(), "LTAIFAKEDEFAULT00001");
}

#[test]
fn a_broken_source_stops_the_chain_instead_of_falling_back() {
    let home = Home::new()
        .with_ini()
        .with_cli_config()
        .set("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIONLYID");
    let e = get(&chain(&home)).unwrap_err().to_string();
    assert!(e.contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET"), "{e}");

    // A broken config.json stops the chain too, though the INI file is fine.
    let home = Home::new().with_ini();
    home.install("aliyun/config-invalid.json", ".aliyun/config.json");
    let e = get(&chain(&home)).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Syntax { .. }), "{e}");
    assert_no_secret(&format!("{e} {e:?}"));

    // A selected profile of unknown type.
    let home = Home::new()
        .with_ini()
        .set("ALIBABA_CLOUD_PROFILE", "unknown_type");
    assert!(get(&chain(&home))
        .unwrap_err()
        .to_string()
        .contains("unknown type"));
}

#[test]
fn an_unknown_profile_name_is_an_error_naming_both_files() {
    let home = Home::new()
        .with_ini()
        .with_cli_config()
        .set("ALIBABA_CLOUD_PROFILE", "nonexistent");
    let e = get(&chain(&home)).unwrap_err().to_string();
    assert!(
        e.contains("ALIBABA_CLOUD_PROFILE") && e.contains("nonexistent"),
        "{e}"
    );
    assert!(
        e.contains(".aliyun/config.json") && e.contains(".alibabacloud/credentials"),
        "{e}"
    );
    // `only_in_ini` exists in credentials.ini, which is ignored next to `credentials`.
    let home = Home::new()
        .with_ini()
        .set("ALIBABA_CLOUD_PROFILE", "only_in_ini");
    home.install(
        "alibabacloud/credentials.ini",
        ".alibabacloud/credentials.ini",
    );
    assert!(get(&chain(&home)).is_err());
    // The builder's profile works like the variable, for both files.
    let home = Home::new().with_ini().with_cli_config();
    let c = get(&DefaultChain::builder(&home.ctx())
        .profile("sts_static")
        .build())
    .unwrap();
    assert_eq!(c.provider_name().as_str(), "default/profile/static_sts");
    let c = get(&DefaultChain::builder(&home.ctx()).profile("sts").build()).unwrap();
    assert_eq!(c.provider_name().as_str(), "default/cli_profile/static_sts");
}

#[test]
fn nothing_configured_lists_every_provider() {
    let home = Home::new();
    let e = get(&chain(&home)).unwrap_err();
    let ErrorKind::NoCredentials { attempts } = e.kind() else {
        panic!("{e}")
    };
    let names: Vec<&str> = attempts.iter().map(|a| a.provider.as_str()).collect();
    assert_eq!(
        names,
        [
            "default/env",
            "oidc_role_arn",
            "cli_profile",
            "profile",
            "default/credential_uri"
        ]
    );
    let text = e.to_string();
    assert!(
        text.contains("ALIBABA_CLOUD_ACCESS_KEY_ID") && text.contains("config.json"),
        "{text}"
    );
    // With metadata allowed it is listed too: its endpoint (a closed local port) is unreachable.
    let home = Home::new().set("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "false");
    let e = get(&chain(&home)).unwrap_err();
    let ErrorKind::NoCredentials { attempts } = e.kind() else {
        panic!("{e}")
    };
    let last = attempts.last().unwrap();
    assert_eq!(last.provider, "default/ecs_ram_role");
    assert!(last.reason.contains("unreachable"), "{last}");
}

#[test]
fn configured_network_sources_stop_the_chain() {
    let oidc = Home::new()
        .with_ini()
        .set("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/var/run/token");
    let e = get(&chain(&oidc)).unwrap_err().to_string();
    assert!(
        e.contains("ALIBABA_CLOUD_ROLE_ARN"),
        "partial OIDC names the missing variable: {e}"
    );
    let oidc = oidc.set("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/r").set(
        "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
        "acs:ram::1:oidc-provider/p",
    );
    // Complete but the token file is absent: the chain stops with an error naming the path
    // (tests/oidc.rs runs the whole flow against the fake cloud), never falling through to the
    // profile files.
    let e = get(&chain(&oidc)).unwrap_err().to_string();
    assert!(
        e.contains("oidc_role_arn") && e.contains("/var/run/token"),
        "{e}"
    );
    // The URI comes after the files: a profile wins, without a profile the URI is used.
    let uri = Home::new().set("ALIBABA_CLOUD_CREDENTIALS_URI", "http://127.0.0.1:9/c");
    // Configured but nothing listens there: an error, not a fall-through.
    assert!(matches!(
        get(&chain(&uri)).unwrap_err().kind(),
        ErrorKind::Transport { .. }
    ));
    let uri = uri.with_ini();
    assert_eq!(
        get(&chain(&uri)).unwrap().provider_name().as_str(),
        "default/profile/static_ak"
    );
    let bad = Home::new().set("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "maybe");
    let e = get(&chain(&bad)).unwrap_err().to_string();
    assert!(e.contains("ALIBABA_CLOUD_ECS_METADATA_DISABLED"), "{e}");
}

/// Counts file reads, to prove that building a chain does no I/O.
#[derive(Debug, Default, Clone)]
struct CountingFs(Arc<AtomicU32>);

impl FileSystem for CountingFs {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        OsFileSystem.read(path)
    }
    fn exists(&self, path: &Path) -> bool {
        self.0.fetch_add(1, Ordering::SeqCst);
        OsFileSystem.exists(path)
    }
}

#[test]
fn building_does_no_io_and_success_is_remembered() {
    let home = Home::new().with_ini();
    let fs = CountingFs::default();
    let ctx = home.ctx().with_file_system(fs.clone());
    let chain = DefaultChain::builder(&ctx).build();
    assert_eq!(
        fs.0.load(Ordering::SeqCst),
        0,
        "building touched the file system"
    );
    assert!(chain.remembered().is_none());
    let first = get(&chain).unwrap();
    let after_first = fs.0.load(Ordering::SeqCst);
    assert!(after_first > 0);
    assert_eq!(chain.remembered().unwrap().name(), "profile");
    for _ in 0..10 {
        assert!(Arc::ptr_eq(&first, &get(&chain).unwrap()));
    }
    assert_eq!(
        fs.0.load(Ordering::SeqCst),
        after_first,
        "a remembered provider reads nothing again"
    );

    // With reuse off every call walks the chain (the profile provider still caches its file).
    let fs = CountingFs::default();
    let ctx = home.ctx().with_file_system(fs.clone());
    let chain = DefaultChain::builder(&ctx)
        .reuse_last_provider(false)
        .build();
    get(&chain).unwrap();
    get(&chain).unwrap();
    assert!(chain.remembered().is_none());
}

/// Fails on its first call, then succeeds.
#[derive(Debug, Default)]
struct Flaky(AtomicU32);

impl ProvideCredentials for Flaky {
    fn resolve(&self) -> BoxFuture<'_, Result<Resolution>> {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            std::thread::sleep(std::time::Duration::from_millis(20));
            if n == 0 {
                Err(cloudcred::Error::invalid_config(
                    "flaky",
                    "first call fails",
                ))
            } else {
                Ok(Resolution::Credentials(
                    StaticProvider::access_key("LTAIFLAKY", "s")
                        .unwrap()
                        .cached()
                        .unwrap(),
                ))
            }
        })
    }
    fn name(&self) -> &str {
        "flaky"
    }
}

#[test]
fn a_failed_provider_is_never_remembered() {
    let flaky = Arc::new(Flaky::default());
    let chain = Chain::builder()
        .provider(cloudcred::SharedProvider::from_arc(flaky.clone()))
        .provider(StaticProvider::access_key("LTAISECOND", "s").unwrap())
        .build();
    assert!(get(&chain).is_err());
    assert!(chain.remembered().is_none());
    assert_eq!(get(&chain).unwrap().access_key_id(), "LTAIFLAKY");
    assert_eq!(chain.remembered().unwrap().name(), "flaky");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_callers_share_one_walk() {
    let flaky = Arc::new(Flaky::default());
    flaky.0.store(1, Ordering::SeqCst); // succeed from the start
    let chain = Chain::builder()
        .provider(cloudcred::SharedProvider::from_arc(flaky.clone()))
        .build();
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let c = chain.clone();
            tokio::spawn(async move { c.get().await.unwrap().access_key_id().to_owned() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), "LTAIFLAKY");
    }
    assert_eq!(
        flaky.0.load(Ordering::SeqCst),
        2,
        "one walk for 200 first callers"
    );
}

#[test]
fn chains_are_open() {
    let home = Home::new().with_ini();
    let custom = Chain::builder()
        .name("mine")
        .provider(StaticProvider::access_key("LTAIMINE", "s").unwrap())
        .provider(chain(&home))
        .build();
    assert_eq!(get(&custom).unwrap().access_key_id(), "LTAIMINE");
    let custom = Chain::builder()
        .provider(StaticProvider::access_key("LTAIMINE", "s").unwrap())
        .provider(chain(&home))
        .remove("static_ak")
        .build();
    assert_eq!(
        get(&custom).unwrap().provider_name().as_str(),
        "default/profile/static_ak"
    );
    // The blocking facade gives the same answer.
    assert_eq!(
        custom.get_blocking().unwrap().access_key_id(),
        "LTAIFAKEDEFAULT00001"
    );
}

#[test]
fn anonymous_profiles_resolve_to_the_anonymous_kind() {
    let home = Home::new()
        .with_cli_config()
        .set("ALIBABA_CLOUD_PROFILE", "anonymous");
    let c = get(&chain(&home)).unwrap();
    assert_eq!(c.kind(), cloudcred::CredentialKind::Anonymous);
    assert_eq!(c.provider_name().as_str(), "default/cli_profile/anonymous");
}
