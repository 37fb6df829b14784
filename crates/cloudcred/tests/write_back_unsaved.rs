//! A rotated OAuth refresh token is never silently thrown away (issue 11, item 4), in the
//! library: when the config's lock stays taken (here by this very process), nothing rotates,
//! the error names the file and the reason without a secret, and nothing is reported lost;
//! a refresh that the file can take is saved and reports nothing. The CLI side (stderr, exit
//! status 3, read-only directory, full disk, other owners) is in cloudcred-cli's
//! tests/write_back.rs.

mod common;

use cloudcred::alibaba::CliProfileProvider;
use cloudcred::format::cli_config_write::{ConfigLock, LOCK_TIMEOUT};
use cloudcred::prelude::*;
use cloudcred::{ErrorKind, SharedProvider};
use cloudcred_fakecloud::{Endpoint, FakeCloudConfig};
use common::cloud::{assert_clean_error, ctx_for_profile, start, with_cli_config};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_held_past_the_wait_fails_before_rotating() {
    let cloud = start(FakeCloudConfig::default()).await;
    let home = with_cli_config(common::Home::new(), &cloud)
        .set("ALIBABA_CLOUD_OAUTH_ENDPOINT", &cloud.base_url());
    let config = home.path().join(".aliyun/config.json");
    let before = std::fs::read(&config).unwrap();
    let held = ConfigLock::acquire_blocking(&config, LOCK_TIMEOUT)
        .unwrap()
        .unwrap();

    let ctx = ctx_for_profile(&home, "oauth-cn");
    let provider = SharedProvider::new(CliProfileProvider::new(&ctx));
    let started = Instant::now();
    let e = provider.get().await.unwrap_err();
    assert!(started.elapsed() >= LOCK_TIMEOUT - Duration::from_millis(100));
    drop(held);
    let text = e.to_string();
    assert!(matches!(e.kind(), ErrorKind::Io { .. }), "{e:?}");
    assert!(
        text.contains(config.to_str().unwrap())
            && text.contains("stayed locked for 10 s")
            && text.contains("nothing was refreshed"),
        "{text}"
    );
    assert_clean_error(&cloud, &e);
    assert_eq!(cloud.count(Endpoint::OAuthToken), 0, "the token rotated");
    assert_eq!(std::fs::read(&config).unwrap(), before);
    assert!(ctx.take_unsaved().is_empty(), "nothing was lost");

    // Once the lock is free the same provider refreshes, saves, and reports nothing.
    let provider = SharedProvider::new(CliProfileProvider::new(&ctx));
    provider.get().await.unwrap();
    assert_eq!(cloud.count(Endpoint::OAuthToken), 1);
    assert!(ctx.take_unsaved().is_empty());
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    assert_eq!(
        common::profile(&saved, "oauth-cn")["oauth_refresh_token"],
        cloud.oauth_refresh_token().as_str()
    );
}
