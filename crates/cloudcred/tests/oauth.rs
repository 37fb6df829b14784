//! The OAuth provider (spec 6.10, D27) against the fake cloud, through the fixture profiles of
//! config.json: token refresh with rotation persisted under the lock, the exchange in both
//! casings and both expiration forms, reuse of persisted STS, write-back to the OAuth profile
//! (also when reached through `source_profile`), fault switches, no token in any error.

mod common;

use cloudcred::alibaba::oauth::{OAuthProvider, Site};
use cloudcred::alibaba::CliProfileProvider;
use cloudcred::prelude::*;
use cloudcred::{CredentialKind, ErrorKind, ProvideCredentials, Resolution, SharedProvider};
use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, Fault};
use common::assert_no_secret;
use common::cloud::assert_clean;
use common::{fixture, profile, Home, OAUTH_OWNED};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn setup(cloud: &FakeCloud) -> (Home, PathBuf) {
    let home = Home::new()
        .set("ALIBABA_CLOUD_OAUTH_ENDPOINT", &cloud.base_url())
        .set("ALIBABA_CLOUD_STS_ENDPOINT", &cloud.base_url());
    let text = fixture("aliyun/config.json").replace("@PORT@", &cloud.port().to_string());
    let config = home.write(".aliyun/config.json", &text);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    (home, config)
}

fn provider(home: &Home, profile: &str) -> CliProfileProvider {
    let mut env = home.env.clone();
    env.set("ALIBABA_CLOUD_PROFILE", profile);
    CliProfileProvider::new(&home.ctx().with_env(env))
}

async fn creds(home: &Home, profile: &str) -> std::sync::Arc<cloudcred::Credentials> {
    match provider(home, profile).resolve().await {
        Ok(Resolution::Credentials(c)) => c,
        other => panic!("{profile}: {other:?}"),
    }
}

fn parse(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn assert_only_owned_changed(before: &Value, after: &Value, target: &str) {
    common::assert_only_owned_changed(before, after, target, OAUTH_OWNED);
}

#[tokio::test]
async fn oauth_cn_refreshes_persists_the_rotation_and_exchanges() {
    let cloud = FakeCloud::start(FakeCloudConfig::default()).await.unwrap();
    let (home, config) = setup(&cloud);
    let before = parse(&config);
    let c = creds(&home, "oauth-cn").await;
    assert_eq!(c.kind(), CredentialKind::Sts);
    assert_eq!(c.provider_name().as_str(), "cli_profile/oauth");
    assert_eq!(cloud.count(Endpoint::OAuthToken), 1);
    assert_eq!(cloud.count(Endpoint::OAuthExchange), 1);
    let issued = cloud.issued();
    let last = issued.last().unwrap();
    assert_eq!(c.access_key_id(), last.access_key_id);
    assert_ne!(
        c.access_key_id(),
        "STS.FAKEOAUTHOLD0001",
        "expired STS not reused"
    );

    let reqs = cloud.requests();
    let token = reqs.iter().find(|r| r.path == "/v1/token").unwrap();
    assert_eq!(token.method, "POST");
    assert_eq!(token.param("grant_type"), Some("refresh_token"));
    assert_eq!(token.param("client_id"), Some("4038181954557748008"));
    assert_eq!(
        token.param("refresh_token"),
        Some("fake-oauth-refresh-token-00001")
    );
    assert!(token.param("Timestamp").unwrap().ends_with('Z'));
    assert!(token.query.is_empty(), "no token in the URL");
    let exchange = reqs.iter().find(|r| r.path == "/v1/exchange").unwrap();
    assert!(exchange
        .header("authorization")
        .unwrap()
        .starts_with("Bearer fake-oauth-access-"));

    let after = parse(&config);
    assert_only_owned_changed(&before, &after, "oauth-cn");
    let p = profile(&after, "oauth-cn");
    assert_eq!(
        p["oauth_refresh_token"],
        cloud.oauth_refresh_token().as_str()
    );
    assert_ne!(p["oauth_access_token"], "fake-oauth-access-token-00001");
    let now = chrono::Utc::now().timestamp();
    let expire = p["oauth_access_token_expire"].as_i64().unwrap();
    assert!((now + 3500..=now + 3700).contains(&expire), "{expire}");
    assert_eq!(p["access_key_id"], c.access_key_id());
    assert_eq!(p["sts_token"], c.security_token().unwrap().expose());
    assert_eq!(
        p["sts_expiration"].as_i64(),
        Some(c.expiration().unwrap().timestamp())
    );
    assert_eq!(p["region_id"], "cn-shanghai");
    assert_eq!(
        p["x_fixture_unknown_profile_field"],
        "must survive write-back"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&config).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    // A new process (provider) reuses the persisted STS: no request at all.
    let again = creds(&home, "oauth-cn").await;
    assert_eq!(again.access_key_id(), c.access_key_id());
    assert_eq!(cloud.count(Endpoint::OAuthToken), 1);
    assert_eq!(cloud.count(Endpoint::OAuthExchange), 1);
}

#[tokio::test]
async fn concurrent_processes_refresh_the_rotating_token_once() {
    let cloud = FakeCloud::start(FakeCloudConfig::default()).await.unwrap();
    let (home, _config) = setup(&cloud);
    // Separate providers stand for separate processes: only the file and its lock are shared.
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let p = provider(&home, "oauth-cn");
            tokio::spawn(async move { p.resolve().await.map(|_| ()) })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(
        cloud.count(Endpoint::OAuthToken),
        1,
        "the rotated token was picked up under the lock"
    );
}

#[tokio::test]
async fn oauth_intl_without_refresh_token_uses_the_access_token() {
    let cloud = FakeCloud::start(FakeCloudConfig::default()).await.unwrap();
    let (home, config) = setup(&cloud);
    let before = parse(&config);
    let c = creds(&home, "oauth-intl-no-refresh").await;
    assert_eq!(c.kind(), CredentialKind::Sts);
    assert_eq!(cloud.count(Endpoint::OAuthToken), 0);
    assert_eq!(cloud.count(Endpoint::OAuthExchange), 1);
    let reqs = cloud.requests();
    assert_eq!(
        reqs[0].header("authorization"),
        Some("Bearer fake-oauth-access-token-00002")
    );
    let after = parse(&config);
    assert_only_owned_changed(&before, &after, "oauth-intl-no-refresh");
    assert_eq!(
        profile(&after, "oauth-intl-no-refresh")["access_key_id"],
        c.access_key_id()
    );
}

#[tokio::test]
async fn chain_over_oauth_writes_back_to_the_oauth_profile() {
    let cloud = FakeCloud::start(FakeCloudConfig::default()).await.unwrap();
    let (home, config) = setup(&cloud);
    let before = parse(&config);
    let c = creds(&home, "chain-over-oauth").await;
    assert_eq!(c.provider_name().as_str(), "cli_profile/ram_role_arn/oauth");
    assert_eq!(cloud.count(Endpoint::OAuthExchange), 1);
    assert_eq!(cloud.count(Endpoint::StsAssumeRole), 1);
    let issued = cloud.issued();
    let oauth_sts = issued
        .iter()
        .find(|i| i.endpoint == Endpoint::OAuthExchange)
        .unwrap();
    let role = issued
        .iter()
        .find(|i| i.endpoint == Endpoint::StsAssumeRole)
        .unwrap();
    assert_eq!(
        role.caller_access_key_id.as_deref(),
        Some(oauth_sts.access_key_id.as_str())
    );
    assert_eq!(
        role.role_arn.as_deref(),
        Some("acs:ram::1000000000000000:role/fake-over-oauth")
    );
    assert_eq!(c.access_key_id(), role.access_key_id);
    let after = parse(&config);
    assert_only_owned_changed(&before, &after, "oauth-cn");
    assert_eq!(
        profile(&after, "oauth-cn")["access_key_id"],
        oauth_sts.access_key_id.as_str()
    );
}

fn direct(home: &Home, cloud: &FakeCloud, config: &Path, name: &str) -> SharedProvider {
    OAuthProvider::builder(&home.ctx(), config, name)
        .site(Site::Cn)
        .base_url(cloud.base_url())
        .build()
        .unwrap()
        .into()
}

#[tokio::test]
async fn both_casings_and_both_expiration_forms() {
    for (pascal, epoch) in [(false, false), (true, false), (false, true), (true, true)] {
        let cloud = FakeCloud::start(
            FakeCloudConfig::default()
                .with_oauth_pascal_case(pascal)
                .with_oauth_expiration_as_epoch(epoch),
        )
        .await
        .unwrap();
        let (home, config) = setup(&cloud);
        let c = direct(&home, &cloud, &config, "oauth-intl-no-refresh")
            .get()
            .await
            .unwrap_or_else(|e| panic!("pascal {pascal} epoch {epoch}: {e}"));
        let issued = cloud.issued();
        let last = issued.last().unwrap();
        assert_eq!(c.access_key_id(), last.access_key_id);
        let want = last
            .expiration
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert_eq!(c.expiration().unwrap().timestamp(), want);
    }
}

#[tokio::test]
async fn faults_give_clear_errors_without_tokens() {
    let cloud = FakeCloud::start(FakeCloudConfig::default()).await.unwrap();
    let (home, config) = setup(&cloud);

    // Token endpoint refuses: an upstream error with the status, nothing persisted.
    cloud.set_fault(Endpoint::OAuthToken, Fault::Status(400));
    let before = std::fs::read_to_string(&config).unwrap();
    let e = direct(&home, &cloud, &config, "oauth-cn")
        .get()
        .await
        .unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(
        matches!(e.kind(), ErrorKind::Upstream { status: 400, .. }),
        "{text}"
    );
    assert!(
        text.contains("/v1/token") && text.contains("log in again"),
        "{text}"
    );
    assert_clean(&cloud, &text);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
    assert_eq!(cloud.count(Endpoint::OAuthExchange), 0);
    cloud.clear_faults();

    // Exchange malformed / truncated / missing a field / expired / refused: clear errors.
    for fault in [
        Fault::MalformedBody,
        Fault::TruncatedBody,
        Fault::MissingField("securityToken"),
        Fault::ExpiredCredentials,
        Fault::Status(401),
        Fault::DropConnection,
    ] {
        cloud.set_fault(Endpoint::OAuthExchange, fault.clone());
        let e = direct(&home, &cloud, &config, "oauth-intl-no-refresh")
            .get()
            .await
            .unwrap_err();
        let text = format!("{e} {e:?}");
        assert!(
            matches!(
                e.kind(),
                ErrorKind::Transport { .. }
                    | ErrorKind::Upstream { .. }
                    | ErrorKind::Expired { .. }
            ),
            "{fault:?}: {text}"
        );
        assert_clean(&cloud, &text);
        cloud.clear_faults();
    }

    // A profile whose site is unknown is refused before any request.
    let e = creds_err(&home, "oauth-bad-site").await;
    assert!(
        e.contains("oauth_site_type") && e.contains("CN") && e.contains("INTL"),
        "{e}"
    );
}

async fn creds_err(home: &Home, profile: &str) -> String {
    match provider(home, profile).resolve().await {
        Err(e) => {
            let t = format!("{e} {e:?}");
            assert_no_secret(&t);
            t
        }
        other => panic!("{profile}: {other:?}"),
    }
}

#[tokio::test]
async fn debug_shows_no_token() {
    let cloud = FakeCloud::start(FakeCloudConfig::default()).await.unwrap();
    let (home, config) = setup(&cloud);
    let p = direct(&home, &cloud, &config, "oauth-cn");
    p.get().await.unwrap();
    assert_clean(&cloud, &format!("{p:?}"));
}
