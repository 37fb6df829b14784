//! reqsign's OBS request signer fed by cloudcred (`interop::reqsign::ObsCredentialProvider`):
//! temporary keys from the Huawei ECS metadata service sign a PUT and a GET that store and read
//! back an object.
//!
//! reqsign's OBS credential carries no expiration, so a reqsign `Signer` would keep the first
//! keys forever; this program signs the way that stays correct across refreshes: the adapter is
//! asked for each request (a cached read) and the request signer is called directly.
//!
//! Everything runs on 127.0.0.1: the fake cloud (metadata service and its verifying OBS endpoint)
//! starts in this process, and the bucket's virtual-hosted name is resolved to it.
//!
//! ```sh
//! cargo run -p cloudcred --features reqsign --example reqsign_obs_fakecloud
//! ```

use cloudcred::huawei::MetadataProvider;
use cloudcred::interop::reqsign::ObsCredentialProvider;
use cloudcred::{Context, MapEnv};
use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig};
use reqsign_core::{ProvideCredential, SignRequest};
use reqsign_huaweicloud_obs::RequestSigner;
use std::error::Error;

const BUCKET: &str = "example-bucket";

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let cloud = FakeCloud::start(FakeCloudConfig::default()).await?;
    // An empty environment: nothing of this shell's configuration reaches a real cloud.
    let ctx = Context::from_env(MapEnv::default());
    let metadata = MetadataProvider::builder(&ctx)
        .endpoint(cloud.base_url())
        .build()?;
    let provider = ObsCredentialProvider::new(metadata);
    let request_signer = RequestSigner::new(BUCKET);
    let reqsign_ctx = reqsign_core::Context::new();

    let listener: std::net::SocketAddr = cloud.obs_url()["http://".len()..].parse()?;
    let host = format!("{BUCKET}.obs.cn-north-4.fake.test");
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
        // `None` would be "not configured"; the request signer would leave the request unsigned.
        let credential = provider
            .provide_credential(&reqsign_ctx)
            .await?
            .ok_or("no OBS credentials")?;
        request_signer
            .sign_request(&reqsign_ctx, &mut parts, Some(&credential), None)
            .await?;
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
            .rfind(|r| r.endpoint == Some(Endpoint::Obs))
            .and_then(|r| r.verified)
            .unwrap_or_default();
        println!("{method} {url}: {status}; the fake OBS verified: {verified}");
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
    if let Some(expiration) = provider.expiration() {
        println!("these keys expire at {expiration}: cloudcred refreshes them before, and each request asks the adapter");
    }
    Ok(())
}
