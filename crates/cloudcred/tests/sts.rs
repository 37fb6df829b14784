//! STS AssumeRole (the RAM role ARN provider, spec 6.3) through the real HTTP path against the
//! verifying fake cloud: fixture profiles, role chaining, GET, errors, faults, single-flight at
//! expiry, clock skew, and no-fallback in the default chain.

mod common;

use cloudcred::alibaba::{DefaultChain, RamRoleArnProvider, StaticProvider};
use cloudcred::engine::RefreshConfig;
use cloudcred::prelude::*;
use cloudcred::{CredentialKind, ErrorKind, SharedProvider};
use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, Fault, Verdict};
use common::cloud::{self, assert_clean, assert_clean_error, TimeMachine};
use std::time::{Duration, Instant};

const POLICY: &str = r#"{"Statement": [{"Action": ["oss:GetObject"], "Effect": "Allow", "Resource": ["*"]}], "Version": "1"}"#;

fn last_issued(cloud: &FakeCloud) -> cloudcred_fakecloud::Issued {
    cloud
        .issued()
        .last()
        .cloned()
        .expect("something was issued")
}

fn accepted(cloud: &FakeCloud) -> Vec<cloudcred_fakecloud::RecordedRequest> {
    cloud
        .requests()
        .into_iter()
        .filter(|r| r.verdict == Verdict::Accepted)
        .collect()
}

/// AssumeRole with a fixture key, short timeouts, a manual-able clock.
fn role(
    cloud: &FakeCloud,
    clock: Option<&cloudcred::Clock>,
    refresh: RefreshConfig,
) -> RamRoleArnProvider {
    let mut ctx = cloud::home(cloud).ctx();
    if let Some(c) = clock {
        ctx = ctx.with_clock(c.clone());
    }
    let previous =
        StaticProvider::access_key("LTAIFAKEDEFAULT00001", "fake-secret-default-00001").unwrap();
    RamRoleArnProvider::builder(&ctx, previous)
        .role_arn("acs:ram::1000000000000000:role/fake-builder-role")
        .role_session_name("builder-session")
        .sts_endpoint(cloud.base_url())
        .request_options(cloud::short())
        .refresh(refresh)
        .build()
        .unwrap()
}

#[tokio::test]
async fn ini_ram_sends_a_signed_post_with_a_spaced_policy() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let home = cloud::with_ini(cloud::home(&cloud), &cloud);
    let c = cloud::ini_get(&home, "ram").await.unwrap();
    assert_eq!(c.kind(), CredentialKind::Sts);
    assert_eq!(c.provider_name().as_str(), "profile/ram_role_arn/static_ak");
    let i = last_issued(&cloud);
    assert_eq!(c.access_key_id(), i.access_key_id);
    assert_eq!(
        c.security_token().unwrap().expose(),
        i.security_token.as_deref().unwrap()
    );
    assert_eq!(
        i.role_arn.as_deref(),
        Some("acs:ram::1000000000000000:role/fake-fixture-role")
    );
    assert_eq!(i.role_session_name.as_deref(), Some("fixture-session"));
    assert_eq!(i.duration_seconds, Some(1800));
    assert_eq!(i.policy.as_deref(), Some(POLICY));
    assert_eq!(
        i.caller_access_key_id.as_deref(),
        Some("LTAIFAKERAMSOURCE014")
    );
    let reqs = cloud.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(
        (r.method.as_str(), &r.verdict),
        ("POST", &Verdict::Accepted)
    );
    // Everything, the signature included, travels in the form body.
    assert!(r.query.is_empty(), "{:?}", r.query);
    assert!(r.form.iter().any(|(k, _)| k == "Signature"));
    assert_eq!(r.param("Policy"), Some(POLICY));
    assert_eq!(cloud.count(Endpoint::StsAssumeRole), 1);
}

#[tokio::test]
async fn ini_ram_session_names_and_role_from_the_environment() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let home = cloud::with_ini(cloud::home(&cloud), &cloud);
    cloud::ini_get(&home, "ram_default_session").await.unwrap();
    let i = last_issued(&cloud);
    let name = i.role_session_name.unwrap();
    let ms = name.strip_prefix("cloudcred-").expect("generated name");
    assert!(
        ms.len() >= 13 && ms.bytes().all(|b| b.is_ascii_digit()),
        "{name}"
    );
    assert_eq!(i.duration_seconds, Some(3600));

    let home = home.set("ALIBABA_CLOUD_ROLE_SESSION_NAME", "from-env-session");
    cloud::ini_get(&home, "ram_default_session").await.unwrap();
    assert_eq!(
        last_issued(&cloud).role_session_name.as_deref(),
        Some("from-env-session")
    );

    let e = cloud::ini_get(&home, "ram_missing_role_arn")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("role_arn"), "{e}");
    let home = home.set(
        "ALIBABA_CLOUD_ROLE_ARN",
        "acs:ram::1000000000000000:role/from-env",
    );
    cloud::ini_get(&home, "ram_missing_role_arn").await.unwrap();
    let i = last_issued(&cloud);
    assert_eq!(
        i.role_arn.as_deref(),
        Some("acs:ram::1000000000000000:role/from-env")
    );
    assert_eq!(
        i.caller_access_key_id.as_deref(),
        Some("LTAIFAKERAMSOURCE016")
    );
}

#[tokio::test]
async fn cli_ramrole_and_its_endpoint_rules() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let home = cloud::with_cli_config(cloud::home(&cloud), &cloud);
    // The profile names region cn-hangzhou; ALIBABA_CLOUD_STS_ENDPOINT overrides it.
    let c = cloud::cli_get(&home, "ramrole").await.unwrap();
    assert_eq!(
        c.provider_name().as_str(),
        "cli_profile/ram_role_arn/static_ak"
    );
    let i = last_issued(&cloud);
    assert_eq!(i.role_session_name.as_deref(), Some("fixture-cli-session"));
    assert_eq!(i.duration_seconds, Some(1800));
    assert_eq!(i.policy.as_deref(), Some(POLICY));
    assert_eq!(i.external_id.as_deref(), Some("fake external id"));
    assert_eq!(
        i.caller_access_key_id.as_deref(),
        Some("LTAIFAKECLIRAMSRC005")
    );

    // The profile's own sts_endpoint wins over the variable (which points at a closed port).
    let home = home.set("ALIBABA_CLOUD_STS_ENDPOINT", "http://127.0.0.1:9");
    cloud::cli_get(&home, "ramrole-endpoint").await.unwrap();
    let i = last_issued(&cloud);
    assert_eq!(i.role_session_name.as_deref(), Some("fixture-endpoint"));
    assert_eq!(cloud.count(Endpoint::StsAssumeRole), 2);
    // And the variable really is the closed port for the others.
    let e = cloud::cli_get(&home, "ramrole").await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Transport { .. }), "{e}");
    assert_clean_error(&cloud, &e);
}

#[tokio::test]
async fn chained_roles_sign_with_the_previous_sts_token() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let home = cloud::with_cli_config(cloud::home(&cloud), &cloud);
    let c = cloud::cli_get(&home, "chain-one-hop").await.unwrap();
    assert_eq!(
        c.provider_name().as_str(),
        "cli_profile/ram_role_arn/static_ak"
    );
    let i = last_issued(&cloud);
    assert_eq!(
        i.role_arn.as_deref(),
        Some("acs:ram::1000000000000000:role/fake-hop-1")
    );
    assert_eq!(
        i.caller_access_key_id.as_deref(),
        Some("LTAIFAKECLIDEFAULT01")
    );

    cloud.reset_counters();
    let c = cloud::cli_get(&home, "chain-two-hops").await.unwrap();
    assert_eq!(
        c.provider_name().as_str(),
        "cli_profile/ram_role_arn/ram_role_arn/static_ak"
    );
    let issued = cloud.issued();
    let (hop1, hop2) = (&issued[issued.len() - 2], &issued[issued.len() - 1]);
    assert_eq!(
        hop1.role_arn.as_deref(),
        Some("acs:ram::1000000000000000:role/fake-hop-1")
    );
    assert_eq!(
        hop2.role_arn.as_deref(),
        Some("acs:ram::1000000000000000:role/fake-hop-2")
    );
    assert_eq!(hop2.caller_access_key_id, Some(hop1.access_key_id.clone()));
    assert_eq!(hop2.external_id.as_deref(), Some("fake-external-id-2"));
    assert_eq!(hop2.role_session_name.as_deref(), Some("fixture-hop-2"));
    let reqs = accepted(&cloud);
    assert_eq!(reqs.len(), 2);
    // The hop-1 token (with + / =) was sent, signed, and accepted.
    let token = hop1.security_token.as_deref().unwrap();
    assert!(token.contains('+') && token.contains('/') && token.ends_with('='));
    assert_eq!(reqs[1].param("SecurityToken"), Some(token));
    assert!(reqs[1].query.is_empty(), "the token stays out of the URL");
    assert_eq!(c.access_key_id(), hop2.access_key_id);
}

#[tokio::test]
async fn the_get_option_sends_a_signed_query() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let ctx = cloud::home(&cloud).ctx();
    let previous =
        StaticProvider::access_key("LTAIFAKEDEFAULT00001", "fake-secret-default-00001").unwrap();
    let p = RamRoleArnProvider::builder(&ctx, previous)
        .role_arn("acs:ram::1000000000000000:role/fake-get")
        .policy(POLICY)
        .use_get()
        .build()
        .unwrap();
    let c = SharedProvider::new(p).get().await.unwrap();
    let r = &cloud.requests()[0];
    assert_eq!((r.method.as_str(), &r.verdict), ("GET", &Verdict::Accepted));
    assert!(r.query.iter().any(|(k, _)| k == "Signature"));
    assert!(r.form.is_empty());
    assert_eq!(last_issued(&cloud).policy.as_deref(), Some(POLICY));
    assert_eq!(c.provider_name().as_str(), "ram_role_arn/static_ak");
}

#[tokio::test]
async fn sts_errors_carry_code_request_id_and_a_sanitised_message() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let ctx = cloud::home(&cloud).ctx();
    // A wrong secret: the fake cloud answers SignatureDoesNotMatch and quotes its string to sign.
    let previous =
        StaticProvider::access_key("LTAIFAKEDEFAULT00001", "not-the-right-secret").unwrap();
    let p = RamRoleArnProvider::builder(&ctx, previous)
        .role_arn("acs:ram::1000000000000000:role/fake-bad-sig")
        .build()
        .unwrap();
    let e = SharedProvider::new(p).get().await.unwrap_err();
    let ErrorKind::Upstream {
        status,
        code,
        message,
        request_id,
        provider,
        endpoint,
    } = e.kind()
    else {
        panic!("{e}")
    };
    assert_eq!(*status, 400);
    assert_eq!(code.as_deref(), Some("SignatureDoesNotMatch"));
    assert!(request_id.as_deref().is_some_and(|r| !r.is_empty()));
    let message = message.as_deref().unwrap();
    assert!(
        message.starts_with("Specified signature is not matched"),
        "{message}"
    );
    let text = format!("{e} {e:?}");
    // The raw message went on with "string to sign is:POST&%2F&…": cut.
    assert!(
        !text.to_ascii_lowercase().contains("string to sign"),
        "{text}"
    );
    assert!(!text.contains("POST&"), "{text}");
    assert!(!text.contains("not-the-right-secret"), "{text}");
    assert!(provider.contains("acs:ram::1000000000000000:role/fake-bad-sig"));
    assert!(
        provider.contains("static_ak"),
        "names the previous provider"
    );
    assert_eq!(endpoint, &format!("{}/", cloud.base_url()));
    assert_clean_error(&cloud, &e);
    assert!(matches!(
        cloud.requests()[0].verdict,
        Verdict::Rejected { status: 400, .. }
    ));
}

/// Every fault switch: a clear error within the short timeouts when nothing is cached.
#[tokio::test]
async fn faults_without_a_cache_are_clear_errors() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let faults = [
        (Fault::Status(500), "500"),
        (Fault::Status(503), "ServiceUnavailable"),
        (
            Fault::StatusWithBody(403, "<html>denied</html>".into()),
            "403",
        ),
        (Fault::Delay(Duration::from_secs(3)), "time"),
        (Fault::MalformedBody, "not JSON"),
        (Fault::TruncatedBody, "not JSON"),
        (Fault::ExpiredCredentials, "expired"),
        (Fault::MissingField("Expiration"), "Credentials.Expiration"),
        (
            Fault::MissingField("SecurityToken"),
            "Credentials.SecurityToken",
        ),
        (Fault::MissingField("Credentials"), "Credentials"),
        (Fault::DropConnection, "fake-builder-role"),
        (Fault::Throttle, "Throttling.User"),
    ];
    for (fault, want) in faults {
        cloud.clear_faults();
        cloud.set_fault(Endpoint::StsAssumeRole, fault.clone());
        let p = SharedProvider::new(role(&cloud, None, RefreshConfig::default()));
        let started = Instant::now();
        let e = p.get().await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{fault:?} took {:?}",
            started.elapsed()
        );
        let text = e.to_string();
        assert!(text.contains(want), "{fault:?}: {text}");
        assert!(text.contains("ram_role_arn"), "{fault:?}: {text}");
        assert_clean_error(&cloud, &e);
    }
}

/// Every fault switch during a refresh: the cached credentials are served until they expire.
#[tokio::test]
async fn faults_during_refresh_serve_the_cached_credentials() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let faults = [
        Fault::Status(500),
        Fault::StatusWithBody(403, "{}".into()),
        Fault::Delay(Duration::from_secs(3)),
        Fault::MalformedBody,
        Fault::TruncatedBody,
        Fault::ExpiredCredentials,
        Fault::MissingField("AccessKeySecret"),
        Fault::DropConnection,
        Fault::Throttle,
    ];
    for fault in faults {
        cloud.clear_faults();
        let mut time = TimeMachine::new(&cloud, 0);
        let p = SharedProvider::new(role(
            &cloud,
            Some(&time.clock),
            RefreshConfig::default().background(false),
        ));
        let first = p.get().await.unwrap();
        // Into the refresh window (default 15 min before a 60 min expiry), not yet expired.
        time.advance(50 * 60);
        cloud.set_fault(Endpoint::StsAssumeRole, fault.clone());
        let before = cloud.count(Endpoint::StsAssumeRole);
        let started = Instant::now();
        let served = p.get().await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(3), "{fault:?}");
        assert_eq!(served.access_key_id(), first.access_key_id(), "{fault:?}");
        assert_eq!(
            cloud.count(Endpoint::StsAssumeRole),
            before + 1,
            "{fault:?}"
        );
        // Past the expiry the stale credentials are never returned: the error surfaces.
        time.advance(11 * 60);
        let e = p.get().await.unwrap_err();
        assert_clean_error(&cloud, &e);
        // Once STS is healthy again the provider recovers.
        cloud.clear_faults();
        time.advance(120);
        let fresh = p.get().await.unwrap();
        assert_ne!(fresh.access_key_id(), first.access_key_id(), "{fault:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_callers_at_expiry_make_one_sts_call() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let mut time = TimeMachine::new(&cloud, 0);
    let p = SharedProvider::new(role(&cloud, Some(&time.clock), RefreshConfig::default()));
    let first = p.get().await.unwrap();
    time.advance(3600 + 5);
    cloud.reset_counters();
    let tasks: Vec<_> = (0..10_000)
        .map(|_| {
            let p = p.clone();
            tokio::spawn(async move { p.get().await.map(|c| c.access_key_id().to_owned()) })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap().unwrap());
    }
    assert_eq!(cloud.count(Endpoint::StsAssumeRole), 1);
    assert_eq!(ids.len(), 1);
    assert!(!ids.contains(first.access_key_id()));
}

#[tokio::test]
async fn clock_skew_is_measured_against_the_service_clock() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    // The service runs two hours ahead of us.
    let mut time = TimeMachine::new(&cloud, 7200);
    let p = SharedProvider::new(role(
        &cloud,
        Some(&time.clock),
        RefreshConfig::default().background(false),
    ));
    let first = p.get().await.unwrap();
    // The first request carried our (wrong) time; the Date header corrected it, one retry.
    let verdicts: Vec<_> = cloud.requests().into_iter().map(|r| r.verdict).collect();
    assert_eq!(verdicts.len(), 2, "{verdicts:?}");
    assert!(
        matches!(&verdicts[0], Verdict::Rejected { code, .. } if code.starts_with("InvalidTimeStamp"))
    );
    assert_eq!(verdicts[1], Verdict::Accepted);
    assert!((time.clock.skew().num_seconds() - 7200).abs() < 5);
    // Measured against our clock the credentials would look fresh for 2 h 45 min; against the
    // service's, the refresh window opens after 45 min (60 min lifetime − 15 min window).
    time.advance(40 * 60);
    assert_eq!(
        p.get().await.unwrap().access_key_id(),
        first.access_key_id()
    );
    assert_eq!(cloud.count(Endpoint::StsAssumeRole), 2);
    time.advance(10 * 60);
    // The caller that runs the refresh-ahead still gets the cached (valid) credentials.
    p.get().await.unwrap();
    assert_eq!(cloud.count(Endpoint::StsAssumeRole), 3, "refreshed in time");
    let second = p.get().await.unwrap();
    assert_ne!(second.access_key_id(), first.access_key_id());
    let after = time.clock.server_now() + chrono::Duration::minutes(61);
    assert!(p.get().await.unwrap().expiration().unwrap() < after);
}

#[tokio::test]
async fn a_refused_role_stops_the_default_chain_without_falling_back() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let home = cloud::with_ini(cloud::home(&cloud), &cloud).set("ALIBABA_CLOUD_PROFILE", "ram");
    cloud.set_fault(Endpoint::StsAssumeRole, Fault::Status(403));
    let chain = DefaultChain::builder(&home.ctx()).build();
    let e = chain.get().await.unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Upstream { status: 403, .. }),
        "{e}"
    );
    let text = e.to_string();
    assert!(text.contains("Forbidden.NoPermission"), "{text}");
    assert!(!text.contains("LTAIFAKERAMSOURCE014"), "{text}");
    assert_clean_error(&cloud, &e);
    // The long-term key it signed with is never handed out, on a second call either.
    assert!(chain.get().await.is_err());
    cloud.clear_faults();
    let c = chain.get().await.unwrap();
    assert_eq!(c.kind(), CredentialKind::Sts);
    assert_eq!(
        c.provider_name().as_str(),
        "default/profile/ram_role_arn/static_ak"
    );
}

#[tokio::test]
async fn nothing_secret_in_debug_output() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let p = role(&cloud, None, RefreshConfig::default());
    let c = SharedProvider::new(p.clone()).get().await.unwrap();
    assert_clean(&cloud, &format!("{p:?} {c:?}"));
    assert!(!format!("{c:?}").contains(c.access_key_secret().expose()));
}
