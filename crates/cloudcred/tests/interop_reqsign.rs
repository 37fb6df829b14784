//! The reqsign adapters (`cloudcred::interop::reqsign`) with reqsign's own `Signer` and request
//! signers, fed by credentials the fake cloud issued: what reqsign puts on the wire is signed
//! with exactly those credentials, and the fake cloud's OSS and OBS endpoints (their own
//! verifiers, not cloudcred's signers) store and return objects written that way and refuse a
//! wrong secret or an expired token with the services' codes.

mod common;

use base64::Engine as _;
use cloudcred::alibaba::{RamRoleArnProvider, StaticProvider};
use cloudcred::huawei::MetadataProvider;
use cloudcred::interop::reqsign::{
    ObsCredentialProvider, OssCredentialProvider, S3CredentialProvider,
};
use cloudcred::prelude::*;
use cloudcred::{ErrorKind, SharedProvider};
use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, Fault, Issued, Verdict};
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
    RamRoleArnProvider::builder(&ctx, previous)
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
    huawei_metadata_in(&ctx, cloud)
}

fn huawei_metadata_in(ctx: &cloudcred::Context, cloud: &FakeCloud) -> SharedProvider {
    MetadataProvider::builder(ctx)
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
        reqsign_aws_v4::RequestSigner::new("s3", "cn-hangzhou"),
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
        "AWS4-HMAC-SHA256 Credential={}/{}/cn-hangzhou/s3/aws4_request,",
        issued.access_key_id,
        &header(&parts, "x-amz-date")[..8]
    );
    assert!(authorization.starts_with(&scope), "{scope}");
}

/// An object endpoint of the fake cloud, addressed virtual-hosted as the reqsign signers expect
/// (`BUCKET.<service host>`, resolved to the loopback listener).
struct Objects {
    client: reqwest::Client,
    origin: String,
}

impl Objects {
    fn new(listener_url: &str, service_host: &str) -> Objects {
        let addr: std::net::SocketAddr = listener_url["http://".len()..].parse().unwrap();
        let host = format!("{BUCKET}.{service_host}");
        let client = reqwest::Client::builder()
            .no_proxy()
            .resolve(&host, addr)
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let origin = format!("http://{host}:{}", addr.port());
        Objects { client, origin }
    }

    /// Signs `method key` with a reqsign `Signer` (header form) and sends it with `body`: the
    /// status and the response body.
    async fn send<K: reqsign_core::SigningCredential>(
        &self,
        signer: &Signer<K>,
        method: http::Method,
        key: &str,
        body: &str,
    ) -> (u16, String) {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("{}/{key}", self.origin));
        if !body.is_empty() {
            request = request.header("content-type", "text/plain");
        }
        let mut parts = request.body(()).unwrap().into_parts().0;
        signer.sign(&mut parts, None).await.unwrap();
        let response = self
            .client
            .request(parts.method, parts.uri.to_string())
            .headers(parts.headers)
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

fn code(xml: &str) -> &str {
    xml.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map_or("", |(code, _)| code)
}

/// The fake's verdict on the last request of `endpoint`.
fn last_verdict(cloud: &FakeCloud, endpoint: Endpoint) -> (Verdict, Option<String>) {
    let r = cloud
        .requests()
        .into_iter()
        .rfind(|r| r.endpoint == Some(endpoint))
        .expect("a request reached the endpoint");
    (r.verdict, r.verified)
}

/// Credentials the client cannot tell are bad (a static source, no expiration known): the
/// service is the one to refuse them.
fn static_sts(id: &str, secret: &str, token: &str) -> SharedProvider {
    StaticProvider::sts(id, secret, token).unwrap().into()
}

/// The proof for OSS: an AssumeRole against the fake STS, `OssCredentialProvider`,
/// reqsign's OSS signer (V1 and V4), a PUT and a GET sent to the fake's OSS endpoint: stored and
/// read back, and the endpoint saw the assumed role's key and token.
#[tokio::test]
async fn oss_put_and_get_signed_by_reqsign_with_assumed_role_credentials() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let oss = Objects::new(&cloud.oss_url(), "oss-cn-hangzhou.fake.test");
    let provider = OssCredentialProvider::new(assume_role(&cloud));
    let signer = Signer::new(
        reqsign_core::Context::new(),
        provider,
        reqsign_aliyun_oss::RequestSigner::new(BUCKET),
    );
    for (version, signer) in [
        ("V1", signer.clone()),
        (
            "V4",
            signer.with_request_signer(
                reqsign_aliyun_oss::RequestSigner::new(BUCKET)
                    .with_signing_version(reqsign_aliyun_oss::SigningVersion::V4)
                    .with_region("cn-hangzhou"),
            ),
        ),
    ] {
        let key = format!("reqsign/{version}.txt");
        let text = format!("written by reqsign's OSS {version} signer");
        let (status, body) = oss.send(&signer, http::Method::PUT, &key, &text).await;
        assert_eq!(status, 200, "{version} PUT: {body}");
        let (status, body) = oss.send(&signer, http::Method::GET, &key, "").await;
        assert_eq!(
            (status, body.as_str()),
            (200, text.as_str()),
            "{version} GET"
        );
        let (verdict, verified) = last_verdict(&cloud, Endpoint::Oss);
        assert_eq!(verdict, Verdict::Accepted);
        let issued = last_issued(&cloud);
        let verified = verified.unwrap();
        let expected = format!(
            "OSS {version} header signature of key {} with its security token",
            issued.access_key_id
        );
        assert!(verified.starts_with(&expected), "{verified}");
    }
    // One AssumeRole served both versions and all four requests: the engine's snapshot.
    assert_eq!(cloud.count(Endpoint::StsAssumeRole), 1);
}

/// A wrong secret is `SignatureDoesNotMatch`; a token past its end is `SecurityTokenExpired`.
/// The expired credentials come from the same AssumeRole (the fake backdates them): cloudcred's
/// provider refuses them itself, so they reach reqsign through a static source that cannot
/// know.
#[tokio::test]
async fn oss_refuses_a_wrong_secret_and_an_expired_token() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let oss = Objects::new(&cloud.oss_url(), "oss-cn-hangzhou.fake.test");
    let oss_signer = |provider: SharedProvider| {
        Signer::new(
            reqsign_core::Context::new(),
            OssCredentialProvider::new(provider),
            reqsign_aliyun_oss::RequestSigner::new(BUCKET),
        )
    };

    assume_role(&cloud).get().await.unwrap();
    let issued = last_issued(&cloud);
    let token = issued.security_token.clone().unwrap();
    let wrong = oss_signer(static_sts(
        &issued.access_key_id,
        "wrong-secret-0001",
        &token,
    ));
    let (status, body) = oss.send(&wrong, http::Method::PUT, "k.txt", "x").await;
    assert_eq!(
        (status, code(&body)),
        (403, "SignatureDoesNotMatch"),
        "{body}"
    );
    cloud::assert_clean(&cloud, &body);

    cloud.set_fault_times(Endpoint::StsAssumeRole, Fault::ExpiredCredentials, 2);
    let e = assume_role(&cloud).get().await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Expired { .. }), "{e}");
    // Through the adapter, the refusal is reqsign's `CredentialInvalid` with cloudcred's text.
    let adapter_error = oss_signer(assume_role(&cloud))
        .sign(&mut get(&format!("{}/k.txt", oss.origin)), None)
        .await;
    let adapter_error = adapter_error.map(|_| ()).unwrap_err();
    assert_eq!(
        adapter_error.kind(),
        reqsign_core::ErrorKind::CredentialInvalid
    );
    assert!(
        adapter_error
            .to_string()
            .contains("returned credentials that expired at"),
        "{adapter_error}"
    );
    cloud::assert_clean(&cloud, &format!("{adapter_error} {adapter_error:?}"));
    let expired = last_issued(&cloud);
    let signer = oss_signer(static_sts(
        &expired.access_key_id,
        &expired.access_key_secret,
        expired.security_token.as_deref().unwrap(),
    ));
    let (status, body) = oss.send(&signer, http::Method::GET, "k.txt", "").await;
    assert_eq!(
        (status, code(&body)),
        (403, "SecurityTokenExpired"),
        "{body}"
    );
    assert_eq!(
        last_verdict(&cloud, Endpoint::Oss).0,
        Verdict::Rejected {
            status: 403,
            code: "SecurityTokenExpired".into()
        }
    );
}

/// The same for OBS with the Huawei ECS metadata service's security keys: reqsign's OBS signer
/// writes and reads back an object; a wrong secret and an expired token are refused.
#[tokio::test]
async fn obs_put_and_get_signed_by_reqsign_with_metadata_security_keys() {
    let cloud = cloud::start(FakeCloudConfig::default()).await;
    let obs = Objects::new(&cloud.obs_url(), "obs.cn-north-4.fake.test");
    let obs_signer = |provider: SharedProvider| {
        Signer::new(
            reqsign_core::Context::new(),
            ObsCredentialProvider::new(provider),
            reqsign_huaweicloud_obs::RequestSigner::new(BUCKET),
        )
    };
    let signer = obs_signer(huawei_metadata(&cloud));
    let text = "written by reqsign's OBS signer";
    let (status, body) = obs
        .send(&signer, http::Method::PUT, "reqsign/obs.txt", text)
        .await;
    assert_eq!(status, 200, "PUT: {body}");
    let (status, body) = obs
        .send(&signer, http::Method::GET, "reqsign/obs.txt", "")
        .await;
    assert_eq!((status, body.as_str()), (200, text), "GET");
    let issued = last_issued(&cloud);
    let (verdict, verified) = last_verdict(&cloud, Endpoint::Obs);
    assert_eq!(verdict, Verdict::Accepted);
    assert!(verified.unwrap().contains(&issued.access_key_id));

    let token = issued.security_token.clone().unwrap();
    let wrong = obs_signer(static_sts(
        &issued.access_key_id,
        "wrong-secret-0001",
        &token,
    ));
    let (status, body) = obs
        .send(&wrong, http::Method::GET, "reqsign/obs.txt", "")
        .await;
    assert_eq!(
        (status, code(&body)),
        (403, "SignatureDoesNotMatch"),
        "{body}"
    );
    cloud::assert_clean(&cloud, &body);

    cloud.set_fault_times(Endpoint::HwSecurityKey, Fault::ExpiredCredentials, 1);
    let e = huawei_metadata(&cloud).get().await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Expired { .. }), "{e}");
    let expired = last_issued(&cloud);
    let signer = obs_signer(static_sts(
        &expired.access_key_id,
        &expired.access_key_secret,
        expired.security_token.as_deref().unwrap(),
    ));
    let (status, body) = obs
        .send(&signer, http::Method::GET, "reqsign/obs.txt", "")
        .await;
    // OBS answers a wrong, missing or expired token alike.
    assert_eq!((status, code(&body)), (403, "InvalidAccessKeyId"), "{body}");
}

/// What the module docs say about refreshing OBS credentials, shown on the wire: reqsign's OBS
/// credential has no expiration, so a `Signer` keeps its first keys after they expired (the
/// service refuses them), while asking the adapter per request and calling the request signer
/// directly follows cloudcred's refresh. Three-second keys, on the real clock.
#[tokio::test]
async fn obs_signer_keeps_expired_keys_while_direct_signing_follows_the_refresh() {
    use reqsign_core::{ProvideCredential, SignRequest};

    let config = FakeCloudConfig {
        hw_metadata_lifetime: Duration::from_secs(3),
        ..FakeCloudConfig::default()
    };
    let cloud = cloud::start(config).await;
    let obs = Objects::new(&cloud.obs_url(), "obs.cn-north-4.fake.test");
    let metadata = huawei_metadata_in(
        &cloudcred::Context::from_env(cloudcred::MapEnv::default()),
        &cloud,
    );
    let signer = Signer::new(
        reqsign_core::Context::new(),
        ObsCredentialProvider::new(metadata.clone()),
        reqsign_huaweicloud_obs::RequestSigner::new(BUCKET),
    );
    let (status, body) = obs.send(&signer, http::Method::PUT, "k.txt", "v").await;
    assert_eq!(status, 200, "{body}");
    let first = last_issued(&cloud).access_key_id;

    tokio::time::sleep(Duration::from_millis(3_200)).await;
    let (status, body) = obs.send(&signer, http::Method::GET, "k.txt", "").await;
    assert_eq!((status, code(&body)), (403, "InvalidAccessKeyId"), "{body}");
    assert_eq!(
        cloud.count(Endpoint::HwSecurityKey),
        1,
        "the Signer never asked again"
    );

    let direct = ObsCredentialProvider::new(metadata);
    let ctx = reqsign_core::Context::new();
    let mut parts = get(&format!("{}/k.txt", obs.origin));
    let credential = direct.provide_credential(&ctx).await.unwrap().unwrap();
    assert_ne!(credential.access_key_id, first, "refreshed keys");
    reqsign_huaweicloud_obs::RequestSigner::new(BUCKET)
        .sign_request(&ctx, &mut parts, Some(&credential), None)
        .await
        .unwrap();
    let response = obs
        .client
        .get(parts.uri.to_string())
        .headers(parts.headers)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "v");
    assert!(direct.expiration().unwrap() > chrono::Utc::now());
}

/// The reqsign adapters (issue 14): their `Debug` before and after handing out credentials, and
/// the reqsign errors they return (`Display`, `Debug`, the cloudcred source), under TRACE.
#[test]
fn reqsign_adapters_and_their_errors_hold_no_secret() {
    use cloudcred::alibaba::DefaultChain;
    use common::trace::trace_capture;
    use common::Home;
    use reqsign_core::ProvideCredential;

    let capture = trace_capture();
    let home = Home::new().with_ini().with_cli_config();
    let ctx = reqsign_core::Context::new();
    let mut texts = Vec::new();
    for profile in [
        "sts",
        "default",
        "bearer",
        "ak-missing-secret",
        "nonexistent",
    ] {
        let env = home.env.clone().with("ALIBABA_CLOUD_PROFILE", profile);
        let chain = || DefaultChain::builder(&home.ctx().with_env(env.clone())).build();
        let oss = OssCredentialProvider::new(chain());
        let obs = ObsCredentialProvider::new(chain());
        texts.push(format!("{oss:?} {obs:#?}"));
        let results = futures::executor::block_on(async {
            (
                oss.provide_credential(&ctx).await,
                obs.provide_credential(&ctx).await,
            )
        });
        match results {
            (Ok(a), Ok(b)) => texts.push(format!("{oss:?} {obs:#?} {:?}", (a, b))),
            (Err(a), Err(b)) => {
                let source = std::error::Error::source(&a).map(ToString::to_string);
                texts.push(format!("{a} {a:?} {b:#?} {source:?}"));
            }
            other => panic!("the adapters disagree on {profile}: {other:?}"),
        }
    }
    assert!(
        texts.iter().any(|t| t.contains("needs an AccessKey pair")),
        "the bearer profile is refused: {texts:?}"
    );
    texts.push(capture.text());
    common::assert_no_secret(&texts.join("\n"));
}
