//! The reqsign adapters (`cloudcred::interop::reqsign`) with reqsign's own `Signer` and request
//! signers, fed by credentials the fake cloud issued: what reqsign puts on the wire is signed
//! with exactly those credentials.

mod common;

use base64::Engine as _;
use cloudcred::alibaba::{AssumeRole, StaticProvider};
use cloudcred::huawei::HuaweiMetadata;
use cloudcred::interop::reqsign::{
    ObsCredentialProvider, OssCredentialProvider, S3CredentialProvider,
};
use cloudcred::SharedProvider;
use cloudcred_fakecloud::{FakeCloud, FakeCloudConfig, Issued};
use common::cloud;
use hmac::{Hmac, Mac};
use reqsign_core::Signer;
use std::time::Duration;

const BUCKET: &str = "interop-bucket";

/// A RAM role ARN provider whose AssumeRole goes to the fake cloud's STS.
fn assume_role(cloud: &FakeCloud) -> SharedProvider {
    let ctx = cloud::home(cloud).ctx();
    let previous =
        StaticProvider::access_key("LTAIFAKEDEFAULT00001", "fake-secret-default-00001").unwrap();
    AssumeRole::builder(&ctx, previous)
        .role_arn("acs:ram::1000000000000000:role/reqsign-interop")
        .role_session_name("reqsign-interop")
        .sts_endpoint(cloud.base_url())
        .request_options(cloud::short())
        .build()
        .unwrap()
        .into()
}

fn last_issued(cloud: &FakeCloud) -> Issued {
    cloud
        .issued()
        .last()
        .cloned()
        .expect("the fake cloud issued credentials")
}

fn hmac_sha1_base64(key: &str, text: &str) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(text.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn header<'a>(parts: &'a http::request::Parts, name: &str) -> &'a str {
    parts.headers[name].to_str().unwrap()
}

fn get(url: &str) -> http::request::Parts {
    http::Request::get(url).body(()).unwrap().into_parts().0
}

/// reqsign's OSS V1 signer signs with the id, secret and token the fake STS issued, computed
/// here from OSS's published V1 string to sign: nothing of cloudcred's signers involved.
#[tokio::test]
async fn oss_signer_signs_with_the_assumed_role_s_credentials() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let signer = Signer::new(
        reqsign_core::Context::new(),
        OssCredentialProvider::new(assume_role(&cloud)),
        reqsign_aliyun_oss::RequestSigner::new(BUCKET),
    );
    let mut parts = get(&format!("http://{BUCKET}.oss.example.test/dir/key.txt"));
    signer.sign(&mut parts, None).await.unwrap();

    let issued = last_issued(&cloud);
    let token = issued.security_token.as_deref().unwrap();
    assert_eq!(header(&parts, "x-oss-security-token"), token);
    let string_to_sign = format!(
        "GET\n\n\n{}\nx-oss-security-token:{token}\n/{BUCKET}/dir/key.txt",
        header(&parts, "date")
    );
    assert_eq!(
        header(&parts, "authorization"),
        format!(
            "OSS {}:{}",
            issued.access_key_id,
            hmac_sha1_base64(&issued.access_key_secret, &string_to_sign)
        )
    );
}

/// Huawei ECS metadata security keys of the fake cloud (`GET …/securitykey`).
fn huawei_metadata(cloud: &FakeCloud) -> SharedProvider {
    let (ctx, _clock) = common::fake::manual_ctx(&[]);
    HuaweiMetadata::builder(&ctx)
        .endpoint(cloud.base_url())
        .timeouts(Duration::from_secs(1), Duration::from_secs(2))
        .refresh(cloudcred::huawei::refresh_config().background(false))
        .build()
        .unwrap()
        .into()
}

/// reqsign's OBS signer signs with the security key the fake's Huawei metadata service issued,
/// checked against OBS's published string to sign.
#[tokio::test]
async fn obs_signer_signs_with_the_metadata_security_key() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let signer = Signer::new(
        reqsign_core::Context::new(),
        ObsCredentialProvider::new(huawei_metadata(&cloud)),
        reqsign_huaweicloud_obs::RequestSigner::new(BUCKET),
    );
    let mut parts = get(&format!("http://{BUCKET}.obs.example.test/dir/key.txt"));
    signer.sign(&mut parts, None).await.unwrap();

    let issued = last_issued(&cloud);
    let token = issued.security_token.as_deref().unwrap();
    assert_eq!(header(&parts, "x-obs-security-token"), token);
    let string_to_sign = format!(
        "GET\n\n\n{}\nx-obs-security-token:{token}\n/{BUCKET}/dir/key.txt",
        header(&parts, "date")
    );
    assert_eq!(
        header(&parts, "authorization"),
        format!(
            "OBS {}:{}",
            issued.access_key_id,
            hmac_sha1_base64(&issued.access_key_secret, &string_to_sign)
        )
    );
}

/// reqsign's AWS V4 signer (what OpenDAL's S3 service signs with) takes the assumed role's
/// credentials through `S3CredentialProvider`, inside the chain type OpenDAL's S3 builder takes:
/// the issued id in the credential scope, the security token as the session token.
#[tokio::test]
async fn aws_v4_signer_takes_the_assumed_role_through_a_provider_chain() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let chain = reqsign_core::ProvideCredentialChain::new()
        .push(S3CredentialProvider::new(assume_role(&cloud)));
    let signer = Signer::new(
        reqsign_core::Context::new(),
        chain,
        reqsign_aws_v4::RequestSigner::new("s3", "oss-cn-hangzhou"),
    );
    let mut parts = get(&format!("http://{BUCKET}.oss.example.test/dir/key.txt"));
    signer.sign(&mut parts, None).await.unwrap();

    let issued = last_issued(&cloud);
    assert_eq!(
        header(&parts, "x-amz-security-token"),
        issued.security_token.as_deref().unwrap()
    );
    let authorization = header(&parts, "authorization");
    let scope = format!(
        "AWS4-HMAC-SHA256 Credential={}/{}/oss-cn-hangzhou/s3/aws4_request,",
        issued.access_key_id,
        &header(&parts, "x-amz-date")[..8]
    );
    assert!(authorization.starts_with(&scope), "{scope}");
}
