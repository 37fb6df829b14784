//! Scaffolding for tests against the fake cloud: a home whose STS endpoint is the fake cloud,
//! fixture files with its port filled in, short timeouts, and the secret check extended to
//! everything the fake cloud issued.

use super::{assert_no_secret, fixture, Home};
use cloudcred::alibaba::{
    CliProfileProvider, IniProfileProvider, RamRoleArnProvider, StaticProvider,
};
use cloudcred::context::ManualClock;
use cloudcred::http::RequestOptions;
use cloudcred::prelude::*;
use cloudcred::{Clock, Credentials, SharedProvider};
use cloudcred_fakecloud::{
    Endpoint, FakeCloud, FakeCloudConfig, Fault, FIXTURE_HUAWEI_ID_TOKEN, FIXTURE_HUAWEI_POD_TOKEN,
    FIXTURE_OIDC_TOKEN,
};
use std::sync::Arc;
use std::time::Duration;

/// Starts a fake cloud (inside a tokio runtime).
pub async fn start(config: FakeCloudConfig) -> FakeCloud {
    FakeCloud::start(config).await.expect("fake cloud starts")
}

/// A home whose `ALIBABA_CLOUD_STS_ENDPOINT` is the fake cloud.
pub fn home(cloud: &FakeCloud) -> Home {
    Home::new().set("ALIBABA_CLOUD_STS_ENDPOINT", &cloud.base_url())
}

/// Installs fixture `fixture_rel` at `rel` with `@PORT@` = the fake cloud's port, and the
/// generated-at-run-time key file (`@FIXTURES@/keys/…`) looked up under the home instead of the
/// shared fixture directory.
pub fn install(home: &Home, cloud: &FakeCloud, fixture_rel: &str, rel: &str) {
    let keys = home.path().join("keys");
    let text = fixture(fixture_rel)
        .replace("@PORT@", &cloud.port().to_string())
        .replace("@FIXTURES@/keys", keys.to_str().unwrap());
    home.write(rel, &text);
}

pub fn with_ini(home: Home, cloud: &FakeCloud) -> Home {
    install(
        &home,
        cloud,
        "alibabacloud/credentials",
        ".alibabacloud/credentials",
    );
    home
}

pub fn with_cli_config(home: Home, cloud: &FakeCloud) -> Home {
    install(&home, cloud, "aliyun/config.json", ".aliyun/config.json");
    home
}

/// AssumeRole against the fake STS with a fixture key: the STS credentials the interop tests hand
/// to storage clients.
pub fn assumed_role(cloud: &FakeCloud) -> RamRoleArnProvider {
    let previous =
        StaticProvider::access_key("LTAIFAKEDEFAULT00001", "fake-secret-default-00001").unwrap();
    RamRoleArnProvider::builder(&home(cloud).ctx(), previous)
        .role_arn("acs:ram::1000000000000000:role/fake-interop-role")
        .role_session_name("interop-session")
        .sts_endpoint(cloud.base_url())
        .request_options(short())
        .build()
        .unwrap()
}

/// Short timeouts and no HTTP retry, so fault tests finish quickly.
pub fn short() -> RequestOptions {
    let mut o = RequestOptions::credential_service()
        .with_timeouts(Duration::from_millis(500), Duration::from_millis(500));
    o.retries = 0;
    o
}

/// Request headers whose values are secrets: metadata tokens of both clouds, Huawei IAM
/// federation tokens and bearer or pod-identity authorizations.
const SECRET_HEADERS: &[&str] = &[
    "x-aliyun-ecs-metadata-token",
    "x-metadata-token",
    "x-auth-token",
    "authorization",
];

/// No fixture secret, nothing secret the fake cloud handed out or was handed (issued secrets
/// and security tokens, metadata and federation tokens, bearer and OAuth tokens) and neither
/// cloud's OIDC id token nor the pod-identity token, in `text`.
pub fn assert_clean(cloud: &FakeCloud, text: &str) {
    assert_no_secret(text);
    for token in [
        FIXTURE_OIDC_TOKEN,
        FIXTURE_HUAWEI_ID_TOKEN,
        FIXTURE_HUAWEI_POD_TOKEN,
    ] {
        assert!(!text.contains(token), "an id or pod token leaked: {text}");
    }
    let issued = cloud
        .issued()
        .into_iter()
        .flat_map(|i| [Some(i.access_key_secret), i.security_token])
        .flatten();
    let sent_tokens: Vec<String> = cloud
        .requests()
        .iter()
        .flat_map(|r| SECRET_HEADERS.iter().filter_map(|h| r.header(h)))
        // `Bearer <token>`: the token part.
        .filter_map(|v| v.rsplit(' ').next())
        .filter(|t| t.len() >= 8)
        .map(str::to_owned)
        .collect();
    for s in issued
        .chain(sent_tokens)
        .chain([cloud.oauth_refresh_token()])
    {
        assert!(!text.contains(&s), "a secret leaked into: {text}");
    }
    assert!(
        !text.contains("fake-oauth-access-"),
        "OAuth access token leaked: {text}"
    );
}

/// [`assert_clean`] over an error's `Display` and `Debug`.
pub fn assert_clean_error(cloud: &FakeCloud, e: &cloudcred::Error) {
    assert_clean(cloud, &format!("{e} {e:?}"));
}

/// `home`'s context with `ALIBABA_CLOUD_PROFILE=name`.
pub fn ctx_for_profile(home: &Home, name: &str) -> cloudcred::Context {
    let mut env = home.env.clone();
    env.set("ALIBABA_CLOUD_PROFILE", name);
    home.ctx().with_env(env)
}

/// Credentials of an INI section.
pub async fn ini_get(home: &Home, section: &str) -> cloudcred::Result<Arc<Credentials>> {
    let p = SharedProvider::new(IniProfileProvider::new(&ctx_for_profile(home, section)));
    p.get().await
}

/// Credentials of a config.json profile.
pub async fn cli_get(home: &Home, profile: &str) -> cloudcred::Result<Arc<Credentials>> {
    let p = SharedProvider::new(CliProfileProvider::new(&ctx_for_profile(home, profile)));
    p.get().await
}

/// A manual clock for the client that the fake cloud's clock follows, so request timestamps
/// stay acceptable while a test jumps ahead (`base` = the fake cloud's own offset).
pub struct TimeMachine {
    pub clock: Clock,
    manual: ManualClock,
    cloud: FakeCloud,
    base: i64,
    moved: i64,
}

impl TimeMachine {
    pub fn new(cloud: &FakeCloud, base: i64) -> Self {
        let (clock, manual) = Clock::manual(chrono::Utc::now());
        cloud.set_clock_offset(base);
        Self {
            clock,
            manual,
            cloud: cloud.clone(),
            base,
            moved: 0,
        }
    }

    pub fn advance(&mut self, secs: i64) {
        self.manual.advance(Duration::from_secs(secs as u64));
        self.moved += secs;
        self.cloud.set_clock_offset(self.base + self.moved);
    }
}

/// Runs each fault on `endpoint` twice: with nothing cached (a clear error naming `name`, within
/// the short timeouts, nothing secret in it), and during a refresh 50 minutes into a one-hour
/// credential (the cached credentials are served). `make` builds a fresh provider on a clock.
pub async fn check_faults(
    cloud: &FakeCloud,
    endpoint: Endpoint,
    name: &str,
    faults: &[Fault],
    make: impl Fn(Option<&Clock>) -> SharedProvider,
) {
    for fault in faults {
        cloud.clear_faults();
        cloud.set_fault(endpoint, fault.clone());
        let p = make(None);
        let started = std::time::Instant::now();
        let e = p.get().await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3), "{fault:?}");
        assert!(e.to_string().contains(name), "{fault:?}: {e}");
        assert_clean_error(cloud, &e);

        cloud.clear_faults();
        let mut time = TimeMachine::new(cloud, 0);
        let p = make(Some(&time.clock));
        let first = p.get().await.unwrap();
        time.advance(50 * 60);
        cloud.set_fault(endpoint, fault.clone());
        let served = p.get().await.unwrap();
        assert_eq!(served.access_key_id(), first.access_key_id(), "{fault:?}");
    }
    cloud.clear_faults();
}
