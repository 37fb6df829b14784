//! reqsign's OSS signer fed by cloudcred (`interop::reqsign::OssCredentialProvider`): a RAM role
//! assumed through STS, refreshed by cloudcred's engine, signs a PUT and a GET that store and read
//! back an object.
//!
//! Everything runs on 127.0.0.1: the fake cloud (STS and its verifying OSS endpoint) starts in
//! this process, and the bucket's virtual-hosted name is resolved to it.
//!
//! ```sh
//! cargo run -p cloudcred --features reqsign --example reqsign_oss_fakecloud
//! ```

use cloudcred::alibaba::{RamRoleArnProvider, StaticProvider};
use cloudcred::interop::reqsign::OssCredentialProvider;
use cloudcred::{Context, MapEnv};
use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig};
use reqsign_aliyun_oss::{RequestSigner, SigningVersion};
use std::error::Error;

const BUCKET: &str = "example-bucket";

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let cloud = FakeCloud::start(FakeCloudConfig::default()).await?;
    // An empty environment: nothing of this shell's configuration reaches a real cloud.
    let ctx = Context::from_env(MapEnv::default());
    // One of the long-term keys the fake cloud knows; it only ever signs the AssumeRole.
    let long_term =
        StaticProvider::access_key("LTAIFAKEDEFAULT00001", "fake-secret-default-00001")?;
    let role = RamRoleArnProvider::builder(&ctx, long_term)
        .role_arn("acs:ram::1000000000000000:role/reqsign-example")
        .role_session_name("reqsign-example")
        .sts_endpoint(cloud.base_url())
        .build()?;

    let signer = reqsign_core::Signer::new(
        reqsign_core::Context::new(),
        OssCredentialProvider::new(role),
        RequestSigner::new(BUCKET)
            .with_signing_version(SigningVersion::V4)
            .with_region("cn-hangzhou"),
    );

    let listener: std::net::SocketAddr = cloud.oss_url()["http://".len()..].parse()?;
    let host = format!("{BUCKET}.oss-cn-hangzhou.fake.test");
    let client = reqwest::Client::builder()
        .no_proxy()
        .resolve(&host, listener)
        .build()?;
    let url = format!("http://{host}:{}/hello/reqsign.txt", listener.port());
    let text = "stored through reqsign with cloudcred's credentials";

    for (method, body) in [(http::Method::PUT, text), (http::Method::GET, "")] {
        let mut parts = http::Request::builder()
            .method(method.clone())
            .uri(&url)
            .body(())?
            .into_parts()
            .0;
        signer.sign(&mut parts, None).await?;
        let response = client
            .request(parts.method, parts.uri.to_string())
            .headers(parts.headers)
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let answer = response.text().await?;
        let verified = cloud
            .requests()
            .into_iter()
            .rfind(|r| r.endpoint == Some(Endpoint::Oss))
            .and_then(|r| r.verified)
            .unwrap_or_default();
        println!("{method} {url}: {status}; the fake OSS verified: {verified}");
        if !status.is_success() {
            return Err(format!("{method} refused: {answer}").into());
        }
        if method == http::Method::GET {
            if answer != text {
                return Err(format!("read back {answer:?}, wrote {text:?}").into());
            }
            println!("read back: {answer}");
        }
    }
    Ok(())
}
