//! aws-sdk-s3 with cloudcred credentials, end to end on this machine: starts the fake cloud,
//! takes STS credentials from an AssumeRole against its STS, and writes, lists and reads back an
//! object through its S3-compatible endpoint (as the SDK would talk to the S3-compatible endpoint
//! of OSS or OBS).
//!
//! The SDK is configured by hand, not by `aws_config::load_defaults`: no AWS environment
//! variable, profile or instance-metadata endpoint is consulted.
//!
//! `cargo run -p cloudcred --example aws_sdk_s3_fakecloud --features aws`

use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_http_client::tls;
use cloudcred::alibaba::{RamRoleArnProvider, StaticProvider};
use cloudcred::interop::aws::CredentialsProvider;
use cloudcred::{Context, MapEnv};
use cloudcred_fakecloud::{FakeCloud, FakeCloudConfig};

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
        .role_session_name("aws-sdk-s3-example")
        .sts_endpoint(cloud.base_url())
        .build()?;

    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(cloud.s3_url())
        .force_path_style(true)
        .credentials_provider(CredentialsProvider::new(role))
        .http_client(
            aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::Rustls(
                    tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_https(),
        )
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(config);

    s3.put_object()
        .bucket("example-bucket")
        .key("greetings/hello.txt")
        .body(ByteStream::from_static(b"hello from aws-sdk-s3"))
        .send()
        .await?;
    let listed = s3.list_objects_v2().bucket("example-bucket").send().await?;
    let keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    let got = s3
        .get_object()
        .bucket("example-bucket")
        .key("greetings/hello.txt")
        .send()
        .await?;
    let bytes = got.body.collect().await?.into_bytes();
    assert_eq!(&bytes[..], b"hello from aws-sdk-s3");
    println!(
        "listed {keys:?}; read back {:?}",
        String::from_utf8_lossy(&bytes)
    );
    println!("aws-sdk-s3 round trip through cloudcred: ok");
    Ok(())
}
