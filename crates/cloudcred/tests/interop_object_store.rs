//! object_store's S3 client (`AmazonS3Builder`, a crate no one here wrote) with cloudcred's
//! `interop::object_store::S3CredentialProvider`, against the fake cloud's S3-compatible endpoint
//! (SigV4 verified by s3s), with STS credentials an AssumeRole against the fake STS issued: objects
//! round-trip and list, and a wrong secret or an expired token is refused.

mod common;
#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use std::sync::Arc;

use cloudcred::alibaba::StaticProvider;
use cloudcred::interop::object_store::S3CredentialProvider;
use cloudcred::prelude::*;
use cloudcred::SharedProvider;
use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, Verdict};
use common::cloud::{self, assert_clean};
use futures::{FutureExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, RetryConfig};

const BUCKET: &str = "interop-object-store";

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

fn store(cloud: &FakeCloud, provider: impl Into<SharedProvider>) -> AmazonS3 {
    // object_store's reqwest is built without a TLS provider of its own (see Cargo.toml); a
    // second test of the binary finds it installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    AmazonS3Builder::new()
        .with_endpoint(cloud.s3_url())
        .with_allow_http(true)
        .with_virtual_hosted_style_request(false)
        .with_region("us-east-1")
        .with_bucket_name(BUCKET)
        .with_credentials(Arc::new(S3CredentialProvider::new(provider)))
        // A refusal is the answer under test: no retry hides or repeats it.
        .with_retry(RetryConfig {
            max_retries: 0,
            ..RetryConfig::default()
        })
        .build()
        .unwrap()
}

/// The recorded S3 requests' (status, code) of the refused ones.
fn refusals(cloud: &FakeCloud) -> Vec<(u16, String)> {
    cloud
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Some(Endpoint::S3))
        .filter_map(|r| match r.verdict {
            Verdict::Rejected { status, code } => Some((status, code)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn objects_round_trip_and_list_with_assumed_role_credentials() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let s3 = store(&cloud, cloud::assumed_role(&cloud));
    let body = b"object_store through cloudcred".to_vec();
    s3.put(&Path::from("dir/a.txt"), body.clone().into())
        .await
        .unwrap();
    s3.put(&Path::from("b.txt"), "second".into()).await.unwrap();
    let got = s3.get(&Path::from("dir/a.txt")).await.unwrap();
    assert_eq!(got.bytes().await.unwrap(), body);
    assert_eq!(
        s3.head(&Path::from("b.txt")).await.unwrap().size,
        "second".len() as u64
    );

    let mut all: Vec<String> = s3
        .list(None)
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap();
    all.sort();
    assert_eq!(all, ["b.txt", "dir/a.txt"]);
    let top = s3.list_with_delimiter(None).await.unwrap();
    assert_eq!(top.common_prefixes, [Path::from("dir")]);
    assert_eq!(top.objects.len(), 1);

    s3.delete(&Path::from("b.txt")).await.unwrap();
    let gone = s3.get(&Path::from("b.txt")).await.unwrap_err();
    assert!(
        matches!(gone, object_store::Error::NotFound { .. }),
        "{gone}"
    );

    // One AssumeRole served every request, and each carried the token it issued.
    let issued = cloud.issued();
    assert_eq!(issued.len(), 1);
    assert_eq!(cloud.count(Endpoint::StsAssumeRole), 1);
    let token = issued[0].security_token.clone().unwrap();
    let s3_requests: Vec<_> = cloud
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Some(Endpoint::S3))
        .collect();
    assert!(s3_requests.len() >= 7);
    for r in &s3_requests {
        assert_eq!(r.header("x-amz-security-token"), Some(token.as_str()));
        let auth = r.header("authorization").unwrap();
        assert!(
            auth.starts_with(&format!(
                "AWS4-HMAC-SHA256 Credential={}/",
                issued[0].access_key_id
            )),
            "{auth}"
        );
    }
    assert_eq!(refusals(&cloud), [(404, "NoSuchKey".to_owned())]);

    // Nothing issued shows in the Debug of the store (which holds the adapter), the adapter
    // or what it hands out.
    let adapter = S3CredentialProvider::new(cloud::assumed_role(&cloud));
    let converted = object_store::CredentialProvider::get_credential(&adapter)
        .await
        .unwrap();
    assert_clean(&cloud, &format!("{s3:?} {adapter:?} {converted:?}"));
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
    let e = store(&cloud, wrong)
        .put(&Path::from("k"), "v".into())
        .await
        .unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(text.contains("403"), "{text}");
    assert_clean(&cloud, &text);
    assert_eq!(
        refusals(&cloud),
        [(403, "SignatureDoesNotMatch".to_owned())]
    );
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let s3 = store(&cloud, cloud::assumed_role(&cloud));
    s3.put(&Path::from("k"), "v".into()).await.unwrap();
    // Two hours on for the service: the one-hour STS credentials have expired there, while the
    // client's clock still holds them valid, so it signs with them.
    cloud.set_clock_offset(7200);
    let e = s3.get(&Path::from("k")).await.unwrap_err();
    assert_clean(&cloud, &format!("{e} {e:?}"));
    assert_eq!(refusals(&cloud), [(400, "ExpiredToken".to_owned())]);
}

#[tokio::test]
async fn no_credentials_fail_before_any_request_naming_the_source() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let e = store(&cloud, cloudcred::Chain::builder().build())
        .put(&Path::from("k"), "v".into())
        .await
        .unwrap_err();
    assert!(
        matches!(e, object_store::Error::Unauthenticated { .. }),
        "{e:?}"
    );
    assert_eq!(cloud.count(Endpoint::S3), 0);
}

// The only test of this binary that counts allocations (the counter is shared).
#[tokio::test]
async fn a_cached_read_converts_nothing_and_allocates_only_the_boxed_future() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let adapter = S3CredentialProvider::new(cloud::assumed_role(&cloud));
    let first = object_store::CredentialProvider::get_credential(&adapter)
        .await
        .unwrap();
    let allocations = counting_alloc::count(|| {
        let again = object_store::CredentialProvider::get_credential(&adapter)
            .now_or_never()
            .unwrap()
            .unwrap();
        assert!(Arc::ptr_eq(&again, &first));
    });
    // object_store's trait is an `async_trait`: its future is boxed, once per call; the
    // credential itself is the one converted before.
    assert_eq!(allocations, 10_000);
    assert_eq!(cloud.count(Endpoint::StsAssumeRole), 1);
}
