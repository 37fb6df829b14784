//! object_store's S3 client with cloudcred credentials, end to end on this machine: starts the
//! fake cloud, takes STS credentials from an AssumeRole against its STS, and writes, lists and
//! reads back an object through its S3-compatible endpoint (as object_store would talk to the
//! S3-compatible endpoint of OSS or OBS).
//!
//! `cargo run -p cloudcred --example object_store_fakecloud --features object-store`

use std::sync::Arc;

use cloudcred::alibaba::{RamRoleArnProvider, StaticProvider};
use cloudcred::interop::object_store::S3CredentialProvider;
use cloudcred::{Context, MapEnv};
use cloudcred_fakecloud::{FakeCloud, FakeCloudConfig};
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cloud = FakeCloud::start(FakeCloudConfig::default()).await?;
    // An empty environment: nothing from this machine's configuration is read.
    let ctx = Context::from_process().with_env(MapEnv::new());
    // A fixture key of the fake cloud assumes a role; its STS issues the credentials.
    let fixture_key =
        StaticProvider::access_key("LTAIFAKEDEFAULT00001", "fake-secret-default-00001")?;
    let role = RamRoleArnProvider::builder(&ctx, fixture_key)
        .role_arn("acs:ram::1000000000000000:role/example-role")
        .role_session_name("object-store-example")
        .sts_endpoint(cloud.base_url())
        .build()?;

    // object_store's HTTP client needs a TLS provider even for plain HTTP; a program built with
    // object_store's `aws` feature has one (aws-lc) and skips this.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let store = AmazonS3Builder::new()
        .with_endpoint(cloud.s3_url())
        .with_allow_http(true)
        .with_virtual_hosted_style_request(false)
        .with_region("us-east-1")
        .with_bucket_name("example-bucket")
        .with_credentials(Arc::new(S3CredentialProvider::new(role)))
        .build()?;

    let path = Path::from("greetings/hello.txt");
    store.put(&path, "hello from object_store".into()).await?;
    let listed: Vec<_> = store
        .list(None)
        .map_ok(|m| m.location)
        .try_collect()
        .await?;
    let bytes = store.get(&path).await?.bytes().await?;
    assert_eq!(bytes, "hello from object_store");
    println!(
        "listed {listed:?}; read back {:?}",
        String::from_utf8_lossy(&bytes)
    );
    println!("object_store round trip through cloudcred: ok");
    Ok(())
}
