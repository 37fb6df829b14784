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
use cloudcred::{Credentials, ErrorKind, ProvideCredentials, ProviderName};
use common::{assert_no_secret, fixture, Home};
use std::io::Write;
use std::sync::{Arc, Mutex};

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
            .env(home.env.clone().with("ALIBABA_CLOUD_PROFILE", section));
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
            .env(home.env.clone().with("ALIBABA_CLOUD_PROFILE", profile));
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
        let ctx = cloudcred::Context::with_env(env.into_iter().collect::<cloudcred::MapEnv>());
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
        ErrorKind::NoCredentials { attempts: vec![Attempt { provider: "env".into(), reason: "unset".into() }] }.into(),
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
    let ctx = cloudcred::Context::with_env(env.clone());
    let home = Home::new().with_ini().with_cli_config();
    let chain = DefaultChain::builder(&home.ctx()).build();
    futures::executor::block_on(chain.get()).unwrap();
    let text = format!(
        "{ini:?} {cfg:?} {env:?} {ctx:?} {chain:?} {:?}",
        EnvProvider::new(&ctx)
    );
    assert_clean(&text);
}

/// Collects everything `tracing` writes.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn trace_logs_of_success_and_failure_contain_no_secret() {
    let capture = Capture::default();
    let sink = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    // A global subscriber, not a scoped one: tracing caches a callsite's interest process-wide,
    // and another test of this binary hitting a callsite first (with no subscriber in its
    // thread) would otherwise disable it here now and then. Other tests' logs are then
    // captured too, and checked as well.
    tracing::subscriber::set_global_default(subscriber).unwrap();
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
                .env(home.env.clone().with("ALIBABA_CLOUD_PROFILE", profile));
            let _ = futures::executor::block_on(DefaultChain::builder(&ctx).build().get());
        }
        let invalid = Home::new();
        invalid.install("aliyun/config-invalid.json", ".aliyun/config.json");
        let _ = futures::executor::block_on(DefaultChain::builder(&invalid.ctx()).build().get());
    }
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("provider failed; the chain stops"),
        "logging is on: {logs}"
    );
    assert_clean(&logs);
}
