//! Secrets never leak (spec 11): `Debug` and `Display` of credentials, every error kind, parsed
//! files, contexts, providers and chains, and every log line emitted at TRACE while resolving
//! and failing, are scanned for planted secrets.

mod common;

use chrono::Utc;
use cloudcred::alibaba::{
    CliProfileProvider, DefaultChain, EnvProvider, IniProfileProvider, StaticProvider,
};
use cloudcred::error::Attempt;
use cloudcred::format::cli_config::CliConfig;
use cloudcred::format::ini::IniFile;
use cloudcred::prelude::*;
use cloudcred::{Credentials, ErrorKind, ProvideCredentials, ProviderName};
use common::trace::trace_capture;
use common::{assert_no_secret, fixture, Home};

const PLANTED: [&str; 3] = [
    "PLANTED-SECRET-1234567890",
    "PLANTED-TOKEN-abcdef+/=",
    "PLANTED-BEARER-zyx987",
];

fn assert_clean(text: &str) {
    for p in PLANTED {
        assert!(!text.contains(p), "{p} leaked into: {text}");
    }
    assert_no_secret(text);
}

#[test]
fn credentials_never_print_secrets() {
    let all = [
        Credentials::access_key("LTAIPLANTEDID0000001", PLANTED[0], ProviderName::new("a")),
        Credentials::sts(
            "STS.PLANTEDID00000002",
            PLANTED[0],
            PLANTED[1],
            Some(Utc::now()),
            ProviderName::new("b"),
        ),
        Credentials::bearer(PLANTED[2], ProviderName::new("c")),
        Credentials::anonymous(ProviderName::new("d")),
    ];
    for c in &all {
        let text = format!(
            "{c:?} {c:#?} {c} {:?} {}",
            c.access_key_secret(),
            c.access_key_secret()
        );
        assert_clean(&text);
        assert!(!text.contains("PLANTEDID"), "the id is masked: {text}");
    }
    let p = StaticProvider::sts("STS.x", PLANTED[0], PLANTED[1]).unwrap();
    assert_clean(&format!("{p:?}"));
}

#[test]
fn every_error_kind_renders_without_secrets() {
    // Errors from real failure paths, built from inputs full of secrets.
    let home = Home::new().with_ini().with_cli_config();
    let mut errors: Vec<cloudcred::Error> = Vec::new();
    for section in [
        "ak_missing_secret",
        "ak_enable_invalid",
        "unknown_type",
        "ram_short_duration",
        "ram",
        "bearer_missing",
    ] {
        let ctx = home
            .ctx()
            .with_env(home.env.clone().with("ALIBABA_CLOUD_PROFILE", section));
        if let Err(e) = futures::executor::block_on(IniProfileProvider::new(&ctx).resolve()) {
            errors.push(e);
        }
    }
    for profile in [
        "ak-missing-secret",
        "chain-cycle-a",
        "sso-expired",
        "oauth-bad-site",
        "unsupported",
        "sso",
        "oauth-cn",
    ] {
        let ctx = home
            .ctx()
            .with_env(home.env.clone().with("ALIBABA_CLOUD_PROFILE", profile));
        errors.push(
            futures::executor::block_on(CliProfileProvider::new(&ctx).resolve()).unwrap_err(),
        );
    }
    let invalid = Home::new();
    invalid.install("aliyun/config-invalid.json", ".aliyun/config.json");
    errors.push(
        futures::executor::block_on(DefaultChain::builder(&invalid.ctx()).build().get())
            .unwrap_err(),
    );
    for env in [
        vec![("ALIBABA_CLOUD_ACCESS_KEY_SECRET", PLANTED[0])],
        vec![("ALIBABA_CLOUD_SECURITY_TOKEN", PLANTED[1])],
    ] {
        let ctx = cloudcred::Context::from_env(env.into_iter().collect::<cloudcred::MapEnv>());
        errors.push(futures::executor::block_on(EnvProvider::new(&ctx).resolve()).unwrap_err());
    }
    errors.push(
        futures::executor::block_on(DefaultChain::builder(&Home::new().ctx()).build().get())
            .unwrap_err(),
    );
    // Every variant, constructed directly (they carry no field that could hold a secret).
    let synthetic: Vec<cloudcred::Error> = vec![
        ErrorKind::Upstream {
            provider: "ram_role_arn".into(),
            endpoint: "sts.example".into(),
            status: 400,
            code: Some("SignatureDoesNotMatch".into()),
            message: Some(cloudcred::error::sanitize_service_message(&format!(
                "The request signature does not conform. server string to sign is: POST&%2F&SecurityToken%3D{}",
                PLANTED[1]
            ))),
            request_id: Some("REQ".into()),
        }
        .into(),
        ErrorKind::Transport { provider: "p".into(), endpoint: "h".into(), message: "timed out".into() }.into(),
        ErrorKind::Expired { provider: "p".into(), expired_at: Utc::now() }.into(),
        ErrorKind::NoCredentials { attempts: vec![Attempt::new("env", "unset")] }.into(),
        cloudcred::Error::internal("x"),
        cloudcred::Error::signing("oss_v4", "the credential source yields a bearer token"),
        cloudcred::Error::not_configured("p", "r"),
        cloudcred::Error::io("/p", &std::io::Error::from(std::io::ErrorKind::PermissionDenied)),
    ];
    let mut kinds = std::collections::BTreeSet::new();
    for e in errors.iter().chain(&synthetic) {
        kinds.insert(e.kind_name());
        assert_clean(&format!("{e} | {e:?} | {e:#?}"));
    }
    let expected = [
        "expired",
        "internal",
        "invalid_config",
        "io",
        "no_credentials",
        "not_configured",
        "signing",
        "syntax",
        "transport",
        "unsupported",
        "upstream",
    ];
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), expected);
}

#[test]
fn parsed_files_contexts_and_chains_debug_without_values() {
    let ini = IniFile::parse(&fixture("alibabacloud/credentials"), "/c".as_ref()).unwrap();
    let cfg = CliConfig::parse(&fixture("aliyun/config.json"), "/c.json".as_ref()).unwrap();
    let env = cloudcred::MapEnv::from([("ALIBABA_CLOUD_ACCESS_KEY_SECRET", PLANTED[0])]);
    let ctx = cloudcred::Context::from_env(env.clone());
    let home = Home::new().with_ini().with_cli_config();
    let chain = DefaultChain::builder(&home.ctx()).build();
    futures::executor::block_on(chain.get()).unwrap();
    let text = format!(
        "{ini:?} {cfg:?} {env:?} {ctx:?} {chain:?} {:?}",
        EnvProvider::new(&ctx)
    );
    assert_clean(&text);
}

#[test]
fn trace_logs_of_success_and_failure_contain_no_secret() {
    let capture = trace_capture();
    {
        let home = Home::new().with_ini().with_cli_config();
        for profile in [
            "default",
            "sts",
            "ak-missing-secret",
            "chain-cycle-a",
            "bearer",
            "ram",
            "nonexistent",
            "sts_static",
        ] {
            let ctx = home
                .ctx()
                .with_env(home.env.clone().with("ALIBABA_CLOUD_PROFILE", profile));
            let _ = futures::executor::block_on(DefaultChain::builder(&ctx).build().get());
        }
        let invalid = Home::new();
        invalid.install("aliyun/config-invalid.json", ".aliyun/config.json");
        let _ = futures::executor::block_on(DefaultChain::builder(&invalid.ctx()).build().get());
    }
    let logs = capture.text();
    assert!(
        logs.contains("provider failed; the chain stops"),
        "logging is on: {logs}"
    );
    assert_clean(&logs);
}

/// A secret that is wrong for the fake cloud's access key: the signature mismatch it causes must
/// not echo it (nor the signature made with it).
const WRONG_SECRET: &str = "PLANTED-WRONG-SECRET-0987654321";
/// An OIDC id token the fake cloud does not accept.
const WRONG_ID_TOKEN: &str = "PLANTED-WRONG-ID-TOKEN.eyJzdWIiOiJ4In0.c2ln";

/// The secret-leak audit (issue 7, item 2): every network provider of both clouds fails against
/// the fake cloud (a fault on its endpoint, a wrong secret, a wrong token), every signer fails,
/// all under the TRACE subscriber; then no log line and no error (`Display`, `Debug`, `{:#?}`)
/// holds a fixture secret, anything the fake cloud issued or was sent as a token, the OIDC and
/// Huawei id tokens, the pod token, the wrong secret or token, or a signature the signers made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_every_failure_path_under_trace() {
    use cloudcred::alibaba::{EcsRamRoleProvider, RamRoleArnProvider, RsaKeyPairProvider};
    use cloudcred::engine::RefreshConfig;
    use cloudcred::huawei::federation::IdpFederationProvider;
    use cloudcred::huawei::metadata::MetadataProvider;
    use cloudcred::huawei::{oidc_sts, IdToken, OidcStsProvider, PodIdentityProvider};
    use cloudcred::model::SecretString;
    use cloudcred::sign::{acs3, huawei_apig, roa, rpc, OssV4Signer};
    use cloudcred::SharedProvider;
    use cloudcred_fakecloud::{
        Endpoint, FakeCloudConfig, Fault, FIXTURE_HUAWEI_ID_TOKEN, FIXTURE_HUAWEI_POD_TOKEN,
    };
    use common::cloud;
    use common::rsa_keys::keys;
    use std::time::Duration;

    let capture = trace_capture();
    let fake =
        cloud::start(FakeCloudConfig::default().with_rsa_public_key_pem(keys().public.clone()))
            .await;
    let home = cloud::with_cli_config(cloud::home(&fake), &fake);
    let refresh = || RefreshConfig::default().background(false);
    let hw_refresh = || cloudcred::huawei::refresh_config().background(false);
    let mut errors: Vec<(String, cloudcred::Error)> = Vec::new();
    let mut expect_err = |what: &str, r: cloudcred::Result<std::sync::Arc<Credentials>>| match r {
        Err(e) => errors.push((what.to_owned(), e)),
        Ok(_) => panic!("{what}: no error"),
    };

    // Alibaba: the config.json profiles, each with one fault on the endpoint that issues it.
    for (profile, endpoint, fault) in [
        ("ramrole", Endpoint::StsAssumeRole, Fault::Status(500)),
        (
            "oidc",
            Endpoint::StsAssumeRoleWithOidc,
            Fault::MalformedBody,
        ),
        (
            "uri",
            Endpoint::CredentialsUri,
            Fault::MissingField("AccessKeySecret"),
        ),
        ("sso", Endpoint::CloudSso, Fault::TruncatedBody),
        (
            "oauth-cn",
            Endpoint::OAuthExchange,
            Fault::MissingField("securityToken"),
        ),
        (
            "chain-one-hop",
            Endpoint::StsAssumeRole,
            Fault::ExpiredCredentials,
        ),
    ] {
        fake.clear_faults();
        fake.set_fault(endpoint, fault);
        expect_err(profile, cloud::cli_get(&home, profile).await);
    }
    fake.clear_faults();
    // A signature mismatch: a known access key id with a wrong secret.
    let wrong = StaticProvider::access_key("LTAIFAKEDEFAULT00001", WRONG_SECRET).unwrap();
    let p: SharedProvider = RamRoleArnProvider::builder(&home.ctx(), wrong)
        .role_arn("acs:ram::1000000000000000:role/fake-builder-role")
        .role_session_name("audit-session")
        .sts_endpoint(fake.base_url())
        .request_options(cloud::short())
        .refresh(refresh())
        .build()
        .unwrap()
        .into();
    expect_err("signature mismatch", p.get().await);
    fake.set_fault(Endpoint::StsGenerateSessionAccessKey, Fault::Status(403));
    let p: SharedProvider = RsaKeyPairProvider::builder(&home.ctx())
        .public_key_id("TMPSK.FAKEPUBLICKEY0021")
        .private_key_pem(keys().pkcs8.clone())
        .request_options(cloud::short())
        .refresh(refresh())
        .build()
        .unwrap()
        .into();
    expect_err("rsa_key_pair", p.get().await);
    fake.set_fault(
        Endpoint::ImdsCredentials,
        Fault::MissingField("SecurityToken"),
    );
    let p: SharedProvider =
        EcsRamRoleProvider::builder(&cloudcred::Context::from_env(cloudcred::MapEnv::default()))
            .endpoint(fake.base_url())
            .timeouts(Duration::from_millis(500), Duration::from_millis(500))
            .refresh(refresh())
            .build()
            .unwrap()
            .into();
    expect_err("ecs_ram_role", p.get().await);
    fake.clear_faults();

    // Huawei: a wrong id token, a malformed answer, a refused federation, a wrong pod token.
    let (hw_ctx, _clock) = common::fake::manual_ctx(&[]);
    let oidc = |token: &str| {
        SharedProvider::new(
            OidcStsProvider::builder(
                &hw_ctx,
                "urn:fake:identity-provider:fixture",
                "urn:fake:agency:fixture",
                IdToken::Inline(SecretString::new(token)),
            )
            .sts_endpoint(fake.base_url())
            .request_options(cloud::short())
            .refresh(hw_refresh())
            .build()
            .unwrap(),
        )
    };
    expect_err("huawei oidc wrong token", oidc(WRONG_ID_TOKEN).get().await);
    fake.set_fault(Endpoint::HwOidcSts, Fault::MalformedBody);
    expect_err(
        "huawei oidc malformed",
        oidc(FIXTURE_HUAWEI_ID_TOKEN).get().await,
    );
    fake.clear_faults();
    let token_file = common::fixtures_dir().join("tokens/huawei-id-token");
    let federation = |idp: &str| {
        SharedProvider::new(
            IdpFederationProvider::builder(&hw_ctx, idp, token_file.display().to_string())
                .iam_endpoint(fake.base_url())
                .refresh(hw_refresh())
                .build()
                .unwrap(),
        )
    };
    expect_err(
        "huawei federation unknown idp",
        federation("unknown-idp").get().await,
    );
    fake.set_fault(Endpoint::HwSecurityTokens, Fault::MissingField("secret"));
    expect_err(
        "huawei federation missing",
        federation("fake-fixture-idp").get().await,
    );
    fake.clear_faults();
    fake.set_fault(Endpoint::HwSecurityKey, Fault::MalformedBody);
    let p = SharedProvider::new(
        MetadataProvider::builder(&hw_ctx)
            .endpoint(fake.base_url())
            .timeouts(Duration::from_secs(1), Duration::from_millis(500))
            .refresh(hw_refresh())
            .build()
            .unwrap(),
    );
    expect_err("huawei metadata malformed", p.get().await);
    fake.clear_faults();
    let pod_token = home.write("pod-token", "PLANTED-WRONG-POD-TOKEN-00001");
    let p = SharedProvider::new(
        PodIdentityProvider::builder(&hw_ctx)
            .uri(fake.url("/v1/pod-identity/credentials"))
            .token_file(&pod_token)
            .request_options(cloud::short())
            .refresh(hw_refresh())
            .build()
            .unwrap(),
    );
    expect_err("huawei pod wrong token", p.get().await);

    // The chains: a failing provider is logged (with its error) as the chain stops.
    fake.set_fault(Endpoint::StsAssumeRole, Fault::Status(500));
    let ctx = cloud::ctx_for_profile(&home, "ramrole");
    expect_err(
        "alibaba chain",
        DefaultChain::builder(&ctx).build().get().await,
    );
    fake.clear_faults();
    let sts = fake.base_url();
    let (chain_ctx, _clock) = common::fake::manual_ctx(&[
        (
            oidc_sts::PROVIDER_URN_VAR,
            "urn:fake:identity-provider:fixture",
        ),
        (oidc_sts::AGENCY_URN_VAR, "urn:fake:agency:fixture"),
        (oidc_sts::ID_TOKEN_VAR, WRONG_ID_TOKEN),
        (oidc_sts::STS_ENDPOINT_VAR, sts.as_str()),
        ("HUAWEICLOUD_SDK_METADATA_DISABLED", "true"),
        ("HOME", "/nonexistent-cloudcred-home"),
    ]);
    expect_err(
        "huawei chain",
        cloudcred::huawei::default_chain(&chain_ctx).get().await,
    );
    // A refresh failing while cached credentials are valid is logged with its error.
    let mut time = cloud::TimeMachine::new(&fake, 0);
    let p: SharedProvider = RamRoleArnProvider::builder(
        &home.ctx().with_clock(time.clock.clone()),
        StaticProvider::access_key("LTAIFAKEDEFAULT00001", "fake-secret-default-00001").unwrap(),
    )
    .role_arn("acs:ram::1000000000000000:role/fake-builder-role")
    .role_session_name("audit-session")
    .sts_endpoint(fake.base_url())
    .request_options(cloud::short())
    .refresh(refresh())
    .build()
    .unwrap()
    .into();
    p.get().await.unwrap();
    time.advance(50 * 60);
    fake.set_fault(Endpoint::StsAssumeRole, Fault::Status(500));
    p.get().await.unwrap();
    fake.clear_faults();

    // Signers: the signatures they make are planted values too; then their error paths.
    let c = Credentials::sts(
        "STS.AUDIT",
        PLANTED[0],
        PLANTED[1],
        None,
        ProviderName::new("audit"),
    );
    let t = Utc::now();
    let req = || {
        http::Request::builder()
            .method(http::Method::PUT)
            .uri("https://bucket.h.example.invalid/key?acl")
            .body(b"{}".to_vec())
            .unwrap()
    };
    let signatures = [
        roa::sign_request_with_details(&mut req(), &c, t)
            .unwrap()
            .unwrap()
            .signature,
        acs3::sign_request_with_details(&mut req(), &c, t, "n")
            .unwrap()
            .unwrap()
            .signature,
        rpc::sign_request_with_details(&mut req(), &c, t, "n")
            .unwrap()
            .unwrap()
            .signature,
        huawei_apig::sign_request_with_details(&mut req(), &c, t)
            .unwrap()
            .unwrap()
            .signature,
        OssV4Signer::new("r", Some("bucket"))
            .sign_request_with_details(&mut req(), &c, t)
            .unwrap()
            .unwrap()
            .signature,
    ];
    let bearer = Credentials::bearer(PLANTED[2], ProviderName::new("bearer"));
    let bad_header = Credentials::sts(
        "id",
        PLANTED[0],
        format!("{}\n", PLANTED[1]).as_str(),
        None,
        ProviderName::new("bad"),
    );
    let mut sign_errors = vec![
        roa::sign_request(&mut req(), &bearer, t).unwrap_err(),
        huawei_apig::sign_request(&mut req(), &bearer, t).unwrap_err(),
        OssV4Signer::new("r", Some("b"))
            .sign_request(&mut req(), &bearer, t)
            .unwrap_err(),
        OssV4Signer::new("r", Some("b"))
            .sign_request(&mut req(), &bad_header, t)
            .unwrap_err(),
    ];
    for r in [
        acs3::sign_request(&mut req(), &bad_header, t, "n").map(|_| ()),
        roa::sign_request(&mut req(), &bad_header, t).map(|_| ()),
    ] {
        if let Err(e) = r {
            sign_errors.push(e);
        }
    }

    // The scan: every error, then every log line captured.
    let mut planted: Vec<String> = [
        WRONG_SECRET,
        WRONG_ID_TOKEN,
        FIXTURE_HUAWEI_ID_TOKEN,
        FIXTURE_HUAWEI_POD_TOKEN,
        "PLANTED-WRONG-POD-TOKEN-00001",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(signatures)
    .collect();
    planted.extend(
        keys()
            .pkcs8
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .map(str::to_owned),
    );
    let scan = |text: &str| {
        assert_clean(text);
        cloud::assert_clean(&fake, text);
        for p in &planted {
            assert!(!text.contains(p.as_str()), "{p} leaked into: {text}");
        }
    };
    assert!(
        errors
            .iter()
            .any(|(_, e)| e.to_string().contains("SignatureDoesNotMatch")),
        "the wrong secret is a signature mismatch: {errors:?}"
    );
    for (what, e) in &errors {
        scan(&format!("{what}: {e} | {e:?} | {e:#?}"));
    }
    for e in &sign_errors {
        scan(&format!("{e} | {e:?} | {e:#?}"));
    }
    let logs = capture.text();
    for needle in [
        "provider failed; the chain stops",
        "credential refresh failed; serving cached credentials",
    ] {
        assert!(logs.contains(needle), "{needle} logged: {logs}");
    }
    scan(&logs);
    fake.shutdown();
}

/// The `Debug` forms added for issue 13 item 3 show names, never values: the query parameters a
/// signer parsed (a presigned URL's token and signature), and the fake cloud's records of what it
/// issued and was sent after a real two-hop role chain, and its configuration.
#[tokio::test]
async fn new_debug_forms_show_names_not_values() {
    use cloudcred::alibaba::RamRoleArnProvider;
    use cloudcred::sign::encoding::split_query;
    use cloudcred::SharedProvider;
    use common::cloud;

    let query = format!(
        "x-oss-security-token={}&x-oss-signature={}&acl",
        PLANTED[1], PLANTED[0]
    );
    let params: Vec<_> = split_query(&query).collect();
    let text = format!("{params:?} {params:#?}");
    assert!(text.contains("x-oss-security-token"), "{text}");
    assert_clean(&text);

    let fake = cloud::start(cloudcred_fakecloud::FakeCloudConfig::default()).await;
    let home = cloud::home(&fake);
    let ctx = home.ctx().with_env(
        home.env
            .clone()
            .with("ALIBABA_CLOUD_STS_ENDPOINT", fake.base_url()),
    );
    let key =
        StaticProvider::access_key("LTAIFAKEDEFAULT00001", "fake-secret-default-00001").unwrap();
    let hop1 = RamRoleArnProvider::builder(&ctx, key)
        .role_arn("acs:ram::1000000000000000:role/debug-hop-1")
        .build()
        .unwrap();
    let hop2 = RamRoleArnProvider::builder(&ctx, hop1)
        .role_arn("acs:ram::1000000000000000:role/debug-hop-2")
        .build()
        .unwrap();
    let creds = SharedProvider::new(hop2).get().await.unwrap();
    let issued = fake.issued();
    let requests = fake.requests();
    assert_eq!(issued.len(), 2, "two AssumeRole calls: {issued:?}");
    assert!(
        issued
            .iter()
            .any(|i| i.access_key_id == creds.access_key_id()),
        "{issued:?}"
    );
    let text = format!(
        "{issued:?} {issued:#?} {requests:?} {:?} {fake:?}",
        fake.config()
    );
    assert!(
        text.contains("AccessKeyId") || text.contains("Signature"),
        "{text}"
    );
    cloud::assert_clean(&fake, &text);
    assert_clean(&text);
    for r in &requests {
        for (name, value) in r.query.iter().chain(&r.form) {
            if matches!(name.as_str(), "Signature" | "SecurityToken") {
                assert!(!text.contains(value.as_str()), "{name} leaked: {text}");
            }
        }
    }
}
