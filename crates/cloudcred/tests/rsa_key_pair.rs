//! STS GenerateSessionAccessKey signed SHA256withRSA (spec 6.7, D26) against the fake cloud,
//! which verifies the signature with the public half of a key generated at run time.

mod common;

use cloudcred::alibaba::RsaKeyPairProvider;
use cloudcred::engine::RefreshConfig;
use cloudcred::prelude::*;
use cloudcred::{CredentialKind, ErrorKind, ProvideCredentials, SharedProvider};
use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, Fault, Verdict};
use common::cloud::{self, assert_clean, assert_clean_error, TimeMachine};
use common::rsa_keys::keys;
use common::Home;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use std::time::Duration;

const KEY_ID: &str = "TMPSK.FAKEPUBLICKEY0021";

/// The Base64 body of the PKCS#8 PEM: the form go legacy reads.
fn bare_base64() -> String {
    keys()
        .pkcs8
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A body line of the private key, to look for in errors and `Debug`.
fn key_fragment() -> String {
    keys().pkcs8.lines().nth(3).unwrap().to_owned()
}

async fn start() -> FakeCloud {
    cloud::start(FakeCloudConfig::default().with_rsa_public_key_pem(keys().public.clone())).await
}

fn write_key(home: &Home, text: &str) -> std::path::PathBuf {
    home.write("keys/fake-rsa-private-key.pem", text)
}

fn provider(home: &Home, clock: Option<&cloudcred::Clock>) -> RsaKeyPairProvider {
    let mut ctx = home.ctx();
    if let Some(c) = clock {
        ctx = ctx.with_clock(c.clone());
    }
    RsaKeyPairProvider::builder(&ctx)
        .public_key_id(KEY_ID)
        .private_key_file(home.path().join("keys/fake-rsa-private-key.pem"))
        .request_options(cloud::short())
        .refresh(RefreshConfig::default().background(false))
        .build()
        .unwrap()
}

#[tokio::test]
async fn ini_rsa_signs_sha256_with_rsa_and_yields_a_session_access_key() {
    let cloud = start().await;
    let home = cloud::with_ini(cloud::home(&cloud), &cloud);
    write_key(&home, &keys().pkcs8);
    let c = cloud::ini_get(&home, "rsa").await.unwrap();
    assert_eq!(c.kind(), CredentialKind::AccessKey);
    assert!(c.security_token().is_none());
    assert_eq!(c.provider_name().as_str(), "profile/rsa_key_pair");
    let i = cloud.issued().pop().unwrap();
    assert_eq!(i.endpoint, Endpoint::StsGenerateSessionAccessKey);
    assert_eq!(c.access_key_id(), i.access_key_id);
    assert_eq!(c.access_key_secret().expose(), i.access_key_secret);
    assert_eq!(
        c.expiration()
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        i.expiration_text
    );
    assert_eq!(i.duration_seconds, Some(3600));
    assert_eq!(i.caller_access_key_id.as_deref(), Some(KEY_ID));
    let r = &cloud.requests()[0];
    assert_eq!((r.method.as_str(), &r.verdict), ("GET", &Verdict::Accepted));
    for (k, v) in [
        ("AccessKeyId", KEY_ID),
        ("PublicKeyId", KEY_ID),
        ("SignatureType", "PRIVATEKEY"),
        ("SignatureMethod", "SHA256withRSA"),
        ("DurationSeconds", "3600"),
    ] {
        assert_eq!(r.param(k), Some(v), "{k}");
    }
}

#[tokio::test]
async fn every_key_form_and_the_cli_profile() {
    let cloud = start().await;
    let home = cloud::with_cli_config(cloud::with_ini(cloud::home(&cloud), &cloud), &cloud);
    for text in [keys().pkcs1.clone(), bare_base64(), keys().pkcs8.clone()] {
        write_key(&home, &text);
        cloud::ini_get(&home, "rsa").await.unwrap();
        let c = cloud::cli_get(&home, "rsa").await.unwrap();
        assert_eq!(c.provider_name().as_str(), "cli_profile/rsa_key_pair");
    }
    // aliyun-cli's private_key may hold the PEM itself.
    let inline = Home::new().set("ALIBABA_CLOUD_STS_ENDPOINT", &cloud.base_url());
    let config = serde_json::json!({
        "current": "inline",
        "profiles": [{
            "name": "inline",
            "mode": "RsaKeyPair",
            "key_pair_name": KEY_ID,
            "private_key": keys().pkcs8,
            "expired_seconds": 900,
        }],
    });
    inline.write(".aliyun/config.json", &config.to_string());
    let c = cloud::cli_get(&inline, "inline").await.unwrap();
    assert_eq!(c.kind(), CredentialKind::AccessKey);
    assert_eq!(cloud.issued().pop().unwrap().duration_seconds, Some(900));
    assert!(cloud
        .requests()
        .iter()
        .all(|r| r.verdict == Verdict::Accepted));
    assert_eq!(cloud.count(Endpoint::StsGenerateSessionAccessKey), 7);
}

#[tokio::test]
async fn a_wrong_or_unreadable_key_is_a_clear_error() {
    let cloud = start().await;
    let home = cloud::home(&cloud);
    // Another key: the fake cloud refuses the signature and quotes its string to sign.
    let other = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap();
    write_key(&home, &other.to_pkcs8_pem(LineEnding::LF).unwrap());
    let p = SharedProvider::new(provider(&home, None));
    let e = p.get().await.unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Upstream { code: Some(c), request_id: Some(_), .. } if c == "SignatureDoesNotMatch"),
        "{e}"
    );
    let text = format!("{e} {e:?}");
    assert!(
        !text.to_ascii_lowercase().contains("string to sign"),
        "{text}"
    );
    assert!(text.contains(KEY_ID), "{text}");
    assert_clean_error(&cloud, &e);

    // Not a key at all (the key file is read at each refresh): named by path, never shown.
    let path = write_key(
        &home,
        "-----BEGIN PRIVATE KEY-----\nFAKE-KEY-CONTENT\n-----END PRIVATE KEY-----\n",
    );
    let before = cloud.count(Endpoint::StsGenerateSessionAccessKey);
    let p = SharedProvider::new(provider(&home, None));
    let text = format!("{:?}", p.get().await.unwrap_err());
    assert!(text.contains(path.to_str().unwrap()), "{text}");
    assert!(!text.contains("FAKE-KEY-CONTENT"), "{text}");
    std::fs::remove_file(&path).unwrap();
    let e = p.get().await.unwrap_err().to_string();
    assert!(e.contains(path.to_str().unwrap()), "{e}");
    assert_eq!(cloud.count(Endpoint::StsGenerateSessionAccessKey), before);
}

#[tokio::test]
async fn the_key_file_is_read_at_every_refresh() {
    let cloud = start().await;
    let home = cloud::home(&cloud);
    let path = write_key(&home, &keys().pkcs8);
    let mut time = TimeMachine::new(&cloud, 0);
    let p = SharedProvider::new(provider(&home, Some(&time.clock)));
    let first = p.get().await.unwrap();
    std::fs::remove_file(&path).unwrap();
    time.advance(3600);
    assert!(p.get().await.is_err());
    write_key(&home, &keys().pkcs1);
    time.advance(120);
    let c = p.get().await.unwrap();
    assert_ne!(c.access_key_id(), first.access_key_id());
}

#[tokio::test]
async fn faults_are_clear_errors_or_served_stale() {
    let cloud = start().await;
    let home = cloud::home(&cloud);
    write_key(&home, &keys().pkcs8);
    let faults = [
        Fault::Status(500),
        Fault::Delay(Duration::from_secs(3)),
        Fault::MalformedBody,
        Fault::TruncatedBody,
        Fault::ExpiredCredentials,
        Fault::MissingField("SessionAccessKeySecret"),
        Fault::DropConnection,
        Fault::Throttle,
    ];
    cloud::check_faults(
        &cloud,
        Endpoint::StsGenerateSessionAccessKey,
        "rsa_key_pair",
        &faults,
        |clock| SharedProvider::new(provider(&home, clock)),
    )
    .await;
}

#[tokio::test]
async fn nothing_secret_in_debug_output() {
    let cloud = start().await;
    let home = cloud::home(&cloud);
    let p = RsaKeyPairProvider::builder(&home.ctx())
        .public_key_id(KEY_ID)
        .private_key_pem(keys().pkcs8.clone())
        .build()
        .unwrap();
    let c = SharedProvider::new(p.clone()).get().await.unwrap();
    let text = format!("{p:?} {c:?} {:?}", p.inspect());
    assert!(!text.contains(&key_fragment()), "{text}");
    assert!(!text.contains(c.access_key_secret().expose()), "{text}");
    assert_clean(&cloud, &text);
}
