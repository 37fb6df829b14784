//! The OBS endpoint against the `cloudcred` OBS signers (native and V4, header and presigned,
//! path-style and virtual-hosted) and against curl's own SigV4 (`--aws-sigv4 aws:amz:REGION:s3`),
//! which no one here wrote.

mod common;

use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use chrono::{TimeDelta, Utc};
use cloudcred::sign::{encoding, Addressing, ObsMode, ObsSigner, ObsV4Signer};
use cloudcred::{Credentials, ProviderName};
use cloudcred_fakecloud::{Endpoint, FakeCloud, Fault, Verdict};
use common::{send_object, send_url, xml_text, ObjectResponse};
use http::{HeaderMap, Method, Request};
use md5::Digest;

const REGION: &str = "cn-north-4";
const BUCKET: &str = "bkt";
const VHOST: &str = "bkt.obs.cn-north-4.fake.test";
/// `testdata/fixtures/huaweicloud/credentials`, which the fake accepts by default.
const AK: &str = "FAKEHWBASICAK0000001";
const SK: &str = "fake-hw-basic-sk-00000000000000000001";

struct Obs {
    cloud: FakeCloud,
    client: reqwest::Client,
}

impl Obs {
    async fn start() -> Obs {
        let cloud = common::start().await;
        let client = common::resolving_client(&[VHOST], addr(&cloud));
        Obs { cloud, client }
    }

    fn url(&self, key: &str, addressing: Addressing) -> String {
        let port = self.cloud.obs_url().rsplit(':').next().unwrap().to_owned();
        let key = encoding::encode_path(key);
        match addressing {
            Addressing::PathStyle => format!("{}/{BUCKET}/{key}", self.cloud.obs_url()),
            _ => format!("http://{VHOST}:{port}/{key}"),
        }
    }
}

fn addr(cloud: &FakeCloud) -> std::net::SocketAddr {
    cloud.obs_url()["http://".len()..].parse().unwrap()
}

fn long_term() -> Credentials {
    Credentials::access_key(AK, SK, ProviderName::new("test"))
}

/// Temporary credentials from the fake's ECS metadata `securitykey` (`expired`: already over).
async fn temporary(cloud: &FakeCloud, expired: bool) -> Credentials {
    if expired {
        cloud.set_fault_times(Endpoint::HwSecurityKey, Fault::ExpiredCredentials, 1);
    }
    let (status, body) = common::get_json(cloud, "/openstack/latest/securitykey").await;
    assert_eq!(status, 200, "{body}");
    let c = &body["credential"];
    Credentials::sts(
        c["access"].as_str().unwrap(),
        c["secret"].as_str().unwrap().to_owned(),
        c["securitytoken"].as_str().unwrap(),
        None,
        ProviderName::new("test"),
    )
}

fn altered(c: &Credentials, secret: Option<&str>, token: Option<&str>) -> Credentials {
    let secret = secret.unwrap_or(c.access_key_secret().expose()).to_owned();
    match token.or(c.security_token().map(|t| t.expose())) {
        Some(t) => Credentials::sts(c.access_key_id(), secret, t, None, ProviderName::new("t")),
        None => Credentials::access_key(c.access_key_id(), secret, ProviderName::new("t")),
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Form {
    NativeHeader,
    V4Header,
    NativePresign,
    V4Presign,
    AwsV2Header,
}

const FORMS: [Form; 5] = [
    Form::NativeHeader,
    Form::V4Header,
    Form::NativePresign,
    Form::V4Presign,
    Form::AwsV2Header,
];

/// A request of `form` for `url`, signed at `time` by the library. One parameter per signer
/// input, so each test changes exactly the one it is about.
#[allow(clippy::too_many_arguments)]
fn signed(
    form: Form,
    addressing: Addressing,
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    creds: &Credentials,
    time: chrono::DateTime<Utc>,
) -> Request<Vec<u8>> {
    let mut map = HeaderMap::new();
    for (n, v) in headers {
        map.insert(
            http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    let uri: http::Uri = url.parse().unwrap();
    let native = ObsSigner::new(ObsMode::Native, Some(BUCKET)).with_addressing(addressing);
    let aws = ObsSigner::new(ObsMode::AwsV2, Some(BUCKET)).with_addressing(addressing);
    let v4 = ObsV4Signer::new(REGION);
    let expires = Duration::from_secs(600);
    let presigned = match form {
        Form::NativePresign => Some(
            native
                .presign(&method, &uri, &map, creds, time, expires)
                .unwrap(),
        ),
        Form::V4Presign => Some(
            v4.presign(&method, &uri, &map, creds, time, expires)
                .unwrap(),
        ),
        _ => None,
    };
    let target = presigned.map_or(url.to_owned(), |p| p.url);
    let mut req = Request::builder()
        .method(method)
        .uri(target)
        .body(body.to_vec())
        .unwrap();
    *req.headers_mut() = map;
    match form {
        Form::NativeHeader => {
            native.sign_request(&mut req, creds, time).unwrap();
        }
        Form::AwsV2Header => {
            aws.sign_request(&mut req, creds, time).unwrap();
        }
        Form::V4Header => {
            v4.sign_request(&mut req, creds, time).unwrap();
        }
        _ => {}
    }
    req
}

async fn get(
    obs: &Obs,
    form: Form,
    addressing: Addressing,
    key: &str,
    creds: &Credentials,
) -> ObjectResponse {
    let url = obs.url(key, addressing);
    let req = signed(
        form,
        addressing,
        Method::GET,
        &url,
        &[],
        b"",
        creds,
        Utc::now(),
    );
    let response = send_object(&obs.client, req).await;
    common::assert_no_fake_secret(&obs.cloud, &response.body);
    response
}

async fn put_plain(obs: &Obs, key: &str, body: &[u8]) {
    let url = obs.url(key, Addressing::PathStyle);
    let req = signed(
        Form::NativeHeader,
        Addressing::PathStyle,
        Method::PUT,
        &url,
        &[],
        body,
        &long_term(),
        Utc::now(),
    );
    let r = send_object(&obs.client, req).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

fn assert_error(r: &ObjectResponse, status: u16, code: &str, what: &str) {
    assert_eq!((r.status, r.code()), (status, code), "{what}: {}", r.body);
    assert!(r.body.starts_with("<?xml"), "{what}: {}", r.body);
    for tag in ["Message", "RequestId", "HostId"] {
        assert!(
            xml_text(&r.body, tag).is_some(),
            "{what}: no {tag} in {}",
            r.body
        );
    }
    assert_eq!(
        r.header("x-obs-request-id"),
        xml_text(&r.body, "RequestId").unwrap()
    );
}

#[tokio::test]
async fn objects_round_trip_with_metadata_credentials_and_native_headers() {
    let obs = Obs::start().await;
    let creds = temporary(&obs.cloud, false).await;
    let body = b"hello, huawei";
    let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body));
    let url = obs.url("dir/a b+c.txt", Addressing::VirtualHosted);
    let headers = [
        ("content-type", "text/plain"),
        ("content-md5", md5.as_str()),
        ("x-obs-meta-colour", "blue"),
    ];
    let put = signed(
        Form::NativeHeader,
        Addressing::VirtualHosted,
        Method::PUT,
        &url,
        &headers,
        body,
        &creds,
        Utc::now(),
    );
    let r = send_object(&obs.client, put).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let hex: String = md5::Md5::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(r.header("etag"), format!("\"{hex}\""));
    for form in FORMS {
        let r = get(
            &obs,
            form,
            Addressing::VirtualHosted,
            "dir/a b+c.txt",
            &creds,
        )
        .await;
        assert_eq!(
            (r.status, r.body.as_str()),
            (200, "hello, huawei"),
            "{form:?}"
        );
        assert_eq!(r.header("x-obs-meta-colour"), "blue");
    }
    let list_url = format!(
        "{}?delimiter=%2F&prefix=",
        obs.url("", Addressing::PathStyle)
    );
    for form in [Form::NativeHeader, Form::V4Header] {
        let list = signed(
            form,
            Addressing::PathStyle,
            Method::GET,
            &list_url,
            &[],
            b"",
            &creds,
            Utc::now(),
        );
        let r = send_object(&obs.client, list).await;
        assert_eq!(r.status, 200, "{form:?}: {}", r.body);
        assert!(r.body.contains("<Prefix>dir/</Prefix>"), "{}", r.body);
    }
    let delete = signed(
        Form::V4Header,
        Addressing::VirtualHosted,
        Method::DELETE,
        &url,
        &[],
        b"",
        &creds,
        Utc::now(),
    );
    assert_eq!(send_object(&obs.client, delete).await.status, 204);
    let r = get(
        &obs,
        Form::NativeHeader,
        Addressing::VirtualHosted,
        "dir/a b+c.txt",
        &creds,
    )
    .await;
    assert_error(&r, 404, "NoSuchKey", "deleted");

    let recorded = obs.cloud.requests();
    let put = recorded
        .iter()
        .find(|r| r.method == "PUT" && r.endpoint == Some(Endpoint::Obs))
        .unwrap();
    assert_eq!(put.verdict, Verdict::Accepted);
    assert_eq!(
        put.verified.as_deref(),
        Some(
            format!(
                "OBS native header signature of key {} with its security token",
                creds.access_key_id()
            )
            .as_str()
        )
    );
}

#[tokio::test]
async fn every_form_and_addressing_is_accepted_and_puts_through_presigned_urls() {
    let obs = Obs::start().await;
    put_plain(&obs, "k+1 é.txt", b"payload").await;
    let temp = temporary(&obs.cloud, false).await;
    for creds in [long_term(), temp.clone()] {
        for form in FORMS {
            for addressing in [Addressing::PathStyle, Addressing::VirtualHosted] {
                let r = get(&obs, form, addressing, "k+1 é.txt", &creds).await;
                assert_eq!(
                    (r.status, r.body.as_str()),
                    (200, "payload"),
                    "{form:?} {addressing:?} {}",
                    creds.access_key_id()
                );
            }
        }
    }
    for form in [Form::NativePresign, Form::V4Presign] {
        let key = format!("up-{form:?}");
        let url = obs.url(&key, Addressing::VirtualHosted);
        let req = signed(
            form,
            Addressing::VirtualHosted,
            Method::PUT,
            &url,
            &[],
            b"",
            &temp,
            Utc::now(),
        );
        let r = send_url(&obs.client, "PUT", &req.uri().to_string(), b"uploaded").await;
        assert_eq!(r.status, 200, "{form:?}: {}", r.body);
        let r = get(&obs, Form::V4Header, Addressing::PathStyle, &key, &temp).await;
        assert_eq!(r.body, "uploaded");
    }
}

#[tokio::test]
async fn wrong_secrets_tokens_keys_and_times_are_refused_with_the_obs_codes() {
    let obs = Obs::start().await;
    put_plain(&obs, "k", b"v").await;
    let good = temporary(&obs.cloud, false).await;
    let other = temporary(&obs.cloud, false).await;
    let expired = temporary(&obs.cloud, true).await;
    let token = good.security_token().unwrap().expose().to_owned();
    let other_token = other.security_token().unwrap().expose().to_owned();
    let unknown = Credentials::access_key("FAKEHWNOSUCHKEY00009", "s", ProviderName::new("t"));
    for form in FORMS {
        for addressing in [Addressing::PathStyle, Addressing::VirtualHosted] {
            let what = format!("{form:?} {addressing:?}");
            let r = get(
                &obs,
                form,
                addressing,
                "k",
                &altered(&good, Some("wrong"), None),
            )
            .await;
            assert_error(&r, 403, "SignatureDoesNotMatch", &what);
            assert!(xml_text(&r.body, "StringToSign").is_some_and(|s| !s.is_empty()));
            assert!(!r.body.contains(&token), "{what}: token echoed: {}", r.body);
            let r = get(
                &obs,
                form,
                addressing,
                "k",
                &altered(&good, None, Some(&other_token)),
            )
            .await;
            assert_error(&r, 403, "InvalidAccessKeyId", &what);
            assert_eq!(
                xml_text(&r.body, "Message"),
                Some("The security token is invalid.")
            );
            let r = get(&obs, form, addressing, "k", &expired).await;
            assert_error(&r, 403, "InvalidAccessKeyId", &what);
            let r = get(&obs, form, addressing, "k", &unknown).await;
            assert_error(&r, 403, "InvalidAccessKeyId", &what);
            let no_token = Credentials::access_key(
                good.access_key_id(),
                good.access_key_secret().expose().to_owned(),
                ProviderName::new("t"),
            );
            let r = get(&obs, form, addressing, "k", &no_token).await;
            assert_error(&r, 403, "InvalidAccessKeyId", &what);
        }
    }
    let url = obs.url("k", Addressing::PathStyle);
    for form in [Form::NativeHeader, Form::V4Header, Form::AwsV2Header] {
        let t = Utc::now() - TimeDelta::minutes(20);
        let req = signed(
            form,
            Addressing::PathStyle,
            Method::GET,
            &url,
            &[],
            b"",
            &good,
            t,
        );
        let r = send_object(&obs.client, req).await;
        assert_error(&r, 403, "RequestTimeTooSkewed", &format!("{form:?}"));
    }
    for form in [Form::NativePresign, Form::V4Presign] {
        let t = Utc::now() - TimeDelta::minutes(11);
        let req = signed(
            form,
            Addressing::PathStyle,
            Method::GET,
            &url,
            &[],
            b"",
            &good,
            t,
        );
        let r = send_object(&obs.client, req).await;
        assert_error(&r, 403, "AccessDenied", &format!("{form:?} expired"));
        assert_eq!(xml_text(&r.body, "Message"), Some("Request has expired."));
    }
}

#[tokio::test]
async fn changed_paths_queries_and_headers_break_the_signature() {
    let obs = Obs::start().await;
    put_plain(&obs, "k", b"v").await;
    put_plain(&obs, "other", b"v").await;
    let creds = temporary(&obs.cloud, false).await;
    let base = obs.url("k", Addressing::VirtualHosted);
    for form in FORMS {
        let req = signed(
            form,
            Addressing::VirtualHosted,
            Method::GET,
            &base,
            &[],
            b"",
            &creds,
            Utc::now(),
        );
        let moved = req.uri().to_string().replacen("/k", "/other", 1);
        let mut changed = Request::builder().uri(moved).body(Vec::new()).unwrap();
        *changed.headers_mut() = req.headers().clone();
        let r = send_object(&obs.client, changed).await;
        assert_error(&r, 403, "SignatureDoesNotMatch", &format!("{form:?} path"));

        let req = signed(
            form,
            Addressing::VirtualHosted,
            Method::GET,
            &base,
            &[],
            b"",
            &creds,
            Utc::now(),
        );
        let sep = if req.uri().query().is_some() {
            '&'
        } else {
            '?'
        };
        let url = format!("{}{sep}response-content-type=text%2Fhtml", req.uri());
        let mut changed = Request::builder().uri(url).body(Vec::new()).unwrap();
        *changed.headers_mut() = req.headers().clone();
        let r = send_object(&obs.client, changed).await;
        assert_error(&r, 403, "SignatureDoesNotMatch", &format!("{form:?} query"));

        if matches!(
            form,
            Form::NativeHeader | Form::V4Header | Form::NativePresign
        ) {
            let prefix = if form == Form::V4Header {
                "x-amz"
            } else {
                "x-obs"
            };
            let name = format!("{prefix}-meta-a");
            let mut req = signed(
                form,
                Addressing::VirtualHosted,
                Method::GET,
                &base,
                &[(name.as_str(), "1")],
                b"",
                &creds,
                Utc::now(),
            );
            req.headers_mut().insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                "2".parse().unwrap(),
            );
            let r = send_object(&obs.client, req).await;
            assert_error(
                &r,
                403,
                "SignatureDoesNotMatch",
                &format!("{form:?} header"),
            );
        }
    }
}

#[tokio::test]
async fn faults_and_counters_apply_to_obs() {
    let obs = Obs::start().await;
    put_plain(&obs, "k", b"v").await;
    obs.cloud.reset_counters();
    obs.cloud
        .set_fault_times(Endpoint::Obs, Fault::Status(503), 1);
    let r = get(
        &obs,
        Form::NativeHeader,
        Addressing::PathStyle,
        "k",
        &long_term(),
    )
    .await;
    assert_error(&r, 503, "ServiceUnavailable", "fault");
    let r = get(
        &obs,
        Form::NativeHeader,
        Addressing::PathStyle,
        "k",
        &long_term(),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(obs.cloud.count(Endpoint::Obs), 2);
    assert_eq!(obs.cloud.count(Endpoint::Oss), 0);
    let r = send_url(
        &obs.client,
        "GET",
        &obs.url("k", Addressing::PathStyle),
        b"",
    )
    .await;
    assert_error(&r, 403, "AccessDenied", "anonymous");
}

/// curl's SigV4 (`--aws-sigv4 aws:amz:REGION:s3`), written by the curl project, against the OBS
/// V4 verifier: PUT with a body (curl signs the body's SHA-256), GET, and a wrong secret.
// curl blocks its thread; the server needs another one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_sigv4_requests_are_accepted_by_obs_v4() {
    let obs = Obs::start().await;
    let temp = temporary(&obs.cloud, false).await;
    let token = temp.security_token().unwrap().expose().to_owned();
    let user = format!(
        "{}:{}",
        temp.access_key_id(),
        temp.access_key_secret().expose()
    );
    let port = addr(&obs.cloud).port();
    let dir = std::env::temp_dir().join(format!("obs-curl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("upload.txt");
    std::fs::write(&file, "uploaded by curl").unwrap();
    let curl = |args: &[&str]| {
        let out = Command::new("curl")
            .args(["-sS", "--noproxy", "*", "--max-time", "10"])
            .args(["--aws-sigv4", "aws:amz:cn-north-4:s3"])
            .args(["--connect-to", &format!("{VHOST}:{port}:127.0.0.1:{port}")])
            .args(["-H", &format!("x-amz-security-token: {token}")])
            .args(["-w", "\n%{http_code}"])
            .args(args)
            .output()
            .expect("curl runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", ""));
        (code.to_owned(), body.to_owned())
    };
    let url = format!("http://{VHOST}:{port}/curl/put.txt");
    // `--data-binary`, not `-T`: curl hashes a body it holds, and signs an upload's as empty.
    let upload = format!("@{}", file.to_str().unwrap());
    let (code, body) = curl(&["--user", &user, "-X", "PUT", "--data-binary", &upload, &url]);
    assert_eq!(code, "200", "{body}");
    let (code, body) = curl(&["--user", &user, &url]);
    assert_eq!((code.as_str(), body.as_str()), ("200", "uploaded by curl"));
    let path_url = format!("{}/{BUCKET}/curl/put.txt", obs.cloud.obs_url());
    let (code, body) = curl(&["--user", &user, &path_url]);
    assert_eq!((code.as_str(), body.as_str()), ("200", "uploaded by curl"));
    let wrong = format!("{}:wrong-secret", temp.access_key_id());
    let (code, body) = curl(&["--user", &wrong, &url]);
    assert_eq!(code, "403", "{body}");
    assert_eq!(xml_text(&body, "Code"), Some("SignatureDoesNotMatch"));
    let verified: Vec<String> = obs
        .cloud
        .requests()
        .iter()
        .filter_map(|r| r.verified.clone())
        .collect();
    assert!(
        verified
            .iter()
            .any(|v| v.starts_with("OBS V4 header signature of key") && v.contains("cn-north-4")),
        "{verified:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
