//! aws-sdk-s3 (the official AWS SDK) with cloudcred's `interop::aws::CredentialsProvider`, against
//! the fake cloud's S3-compatible endpoint (SigV4 verified by s3s), with STS credentials an
//! AssumeRole against the fake STS issued: objects round-trip and list, a streaming body goes as
//! `aws-chunked`, a presigned URL works with a plain HTTP client, a wrong secret or an expired token
//! is refused, and an AWS credentials chain moves past a cloudcred chain that is not configured.
//!
//! The SDK is configured by hand (`aws_sdk_s3::Config`, no `aws_config::load_defaults`): no
//! environment, profile or instance-metadata source is ever consulted, so nothing can reach
//! 169.254.169.254 or an AWS host.

mod common;
#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use std::time::Duration;

use aws_config::meta::credentials::CredentialsProviderChain;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use aws_smithy_http_client::tls;
use cloudcred::alibaba::StaticProvider;
use cloudcred::interop::aws::CredentialsProvider;
use cloudcred::prelude::*;
use cloudcred::SharedProvider;
use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, RecordedRequest, Verdict};
use common::cloud::{self, assert_clean};
use futures::FutureExt;

const BUCKET: &str = "interop-aws";

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

fn client(cloud: &FakeCloud, credentials: impl ProvideCredentials + 'static) -> Client {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(cloud.s3_url())
        .force_path_style(true)
        .credentials_provider(credentials)
        .http_client(http)
        // A refusal is the answer under test: no retry hides or repeats it.
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

fn s3_requests(cloud: &FakeCloud) -> Vec<RecordedRequest> {
    cloud
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Some(Endpoint::S3))
        .collect()
}

#[tokio::test]
async fn objects_round_trip_and_list_with_assumed_role_credentials() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let s3 = client(
        &cloud,
        CredentialsProvider::new(cloud::assumed_role(&cloud)),
    );
    let body = b"aws-sdk-s3 through cloudcred".to_vec();
    s3.put_object()
        .bucket(BUCKET)
        .key("dir/a.txt")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket(BUCKET)
        .key("b.txt")
        .body(ByteStream::from_static(b"second"))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket(BUCKET)
        .key("dir/a.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes(), body);
    let head = s3
        .head_object()
        .bucket(BUCKET)
        .key("b.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(6));

    let list = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = list.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["b.txt"]);
    let prefixes: Vec<_> = list
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(prefixes, ["dir/"]);

    s3.delete_object()
        .bucket(BUCKET)
        .key("b.txt")
        .send()
        .await
        .unwrap();
    let gone = s3
        .get_object()
        .bucket(BUCKET)
        .key("b.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Some("NoSuchKey"));

    let issued = cloud.issued();
    assert_eq!(issued.len(), 1);
    let token = issued[0].security_token.clone().unwrap();
    for r in s3_requests(&cloud) {
        assert_eq!(r.header("x-amz-security-token"), Some(token.as_str()));
        assert!(r
            .header("authorization")
            .unwrap()
            .contains(&format!("Credential={}/", issued[0].access_key_id)));
    }

    // Nothing issued shows in the Debug of the client's config, the adapter or what it hands
    // out (with its expiration, the issued one).
    let adapter = CredentialsProvider::new(cloud::assumed_role(&cloud));
    let converted = adapter.provide_credentials().await.unwrap();
    let sent = cloud.issued().last().unwrap().expiration_text.clone();
    let expiration = chrono::DateTime::parse_from_rfc3339(&sent).unwrap();
    assert_eq!(converted.expiry(), Some(expiration.into()));
    assert_clean(
        &cloud,
        &format!("{:?} {adapter:?} {converted:?}", s3.config()),
    );
}

#[tokio::test]
async fn a_streaming_body_goes_aws_chunked_and_reads_back() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let s3 = client(
        &cloud,
        CredentialsProvider::new(cloud::assumed_role(&cloud)),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload.bin");
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    s3.put_object()
        .bucket(BUCKET)
        .key("streamed.bin")
        .body(ByteStream::from_path(&path).await.unwrap())
        .send()
        .await
        .unwrap();
    let put = s3_requests(&cloud).pop().unwrap();
    assert_eq!(put.method, "PUT");
    // The SDK sends a file body as `aws-chunked` with a checksum trailer, which s3s decodes
    // and checks before the object is stored.
    let sha = put.header("x-amz-content-sha256").unwrap_or_default();
    assert!(sha.starts_with("STREAMING-"), "{sha}");
    assert!(put
        .header("content-encoding")
        .unwrap_or_default()
        .contains("aws-chunked"));
    let got = s3
        .get_object()
        .bucket(BUCKET)
        .key("streamed.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes(), data);
}

#[tokio::test]
async fn presigned_urls_work_with_a_plain_http_client() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let s3 = client(
        &cloud,
        CredentialsProvider::new(cloud::assumed_role(&cloud)),
    );
    let presigning = PresigningConfig::expires_in(Duration::from_secs(300)).unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();

    let put = s3
        .put_object()
        .bucket(BUCKET)
        .key("presigned.txt")
        .presigned(presigning.clone())
        .await
        .unwrap();
    let resp = http
        .put(put.uri())
        .body("sent by reqwest")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());

    let get = s3
        .get_object()
        .bucket(BUCKET)
        .key("presigned.txt")
        .presigned(presigning)
        .await
        .unwrap();
    assert!(get.uri().contains("X-Amz-Security-Token="));
    let resp = http.get(get.uri()).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "sent by reqwest");

    // The same URL with its signature changed is refused.
    let uri = get.uri();
    let at = uri.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let flipped = if &uri[at..at + 1] == "0" { "1" } else { "0" };
    let tampered = format!("{}{flipped}{}", &uri[..at], &uri[at + 1..]);
    let resp = http.get(tampered).send().await.unwrap();
    assert_eq!(resp.status(), 403);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("<Code>SignatureDoesNotMatch</Code>"));
}

#[tokio::test]
async fn a_wrong_secret_is_refused_with_signature_does_not_match() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let good = SharedProvider::new(cloud::assumed_role(&cloud))
        .get()
        .await
        .unwrap();
    let wrong = StaticProvider::sts(
        good.access_key_id(),
        "not-the-issued-secret",
        good.security_token().unwrap().expose(),
    )
    .unwrap();
    let e = client(&cloud, CredentialsProvider::new(wrong))
        .put_object()
        .bucket(BUCKET)
        .key("k")
        .body(ByteStream::from_static(b"v"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("SignatureDoesNotMatch"), "{e:?}");
    assert_clean(&cloud, &format!("{e} {e:?}"));
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let s3 = client(
        &cloud,
        CredentialsProvider::new(cloud::assumed_role(&cloud)),
    );
    s3.put_object()
        .bucket(BUCKET)
        .key("k")
        .body(ByteStream::from_static(b"v"))
        .send()
        .await
        .unwrap();
    // Two hours on for the service only: the client still holds the one-hour credentials valid.
    cloud.set_clock_offset(7200);
    let e = s3
        .get_object()
        .bucket(BUCKET)
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ExpiredToken"), "{e:?}");
    assert_clean(&cloud, &format!("{e} {e:?}"));
}

#[tokio::test]
async fn an_aws_chain_moves_past_a_cloudcred_chain_that_is_not_configured() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let chain = CredentialsProviderChain::first_try(
        "cloudcred",
        CredentialsProvider::new(cloudcred::Chain::builder().build()),
    )
    .or_else(
        "static",
        aws_credential_types::Credentials::new(
            "LTAIFAKEDEFAULT00001",
            "fake-secret-default-00001",
            None,
            None,
            "test",
        ),
    );
    let s3 = client(&cloud, chain);
    s3.put_object()
        .bucket(BUCKET)
        .key("k")
        .body(ByteStream::from_static(b"v"))
        .send()
        .await
        .unwrap();
    let put = s3_requests(&cloud).pop().unwrap();
    assert_eq!(put.verdict, Verdict::Accepted);
    assert!(put
        .header("authorization")
        .unwrap()
        .contains("Credential=LTAIFAKEDEFAULT00001/"));
}

// The only test of this binary that counts allocations (the counter is shared).
#[tokio::test]
async fn a_cached_read_is_ready_at_once_and_allocates_nothing() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let adapter = CredentialsProvider::new(cloud::assumed_role(&cloud));
    let first = adapter.provide_credentials().await.unwrap();
    let allocations = counting_alloc::count(|| {
        let again = adapter
            .provide_credentials()
            .now_or_never()
            .unwrap()
            .unwrap();
        assert_eq!(again.access_key_id(), first.access_key_id());
    });
    assert_eq!(allocations, 0);
    assert_eq!(cloud.count(Endpoint::StsAssumeRole), 1);
}
