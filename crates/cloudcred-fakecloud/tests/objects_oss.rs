//! The OSS endpoint against the `cloudcred` OSS signers: every form (V1 and V4, header and
//! presigned, path-style and virtual-hosted) is accepted when right and refused with the
//! service's code and XML when anything is off.

mod common;

use std::time::Duration;

use base64::Engine as _;
use chrono::{TimeDelta, Utc};
use cloudcred::sign::{encoding, Addressing, OssV1Signer, OssV4Signer};
use cloudcred::{Credentials, ProviderName};
use cloudcred_fakecloud::{Endpoint, FakeCloud, Fault, Verdict};
use common::{send_object, send_url, xml_text, ObjectResponse};
use http::{HeaderMap, Method, Request};
use md5::Digest;

const REGION: &str = "cn-hangzhou";
const BUCKET: &str = "bkt";
const VHOST: &str = "bkt.oss-cn-hangzhou.fake.test";

struct Oss {
    cloud: FakeCloud,
    client: reqwest::Client,
}

impl Oss {
    async fn start() -> Oss {
        let cloud = common::start().await;
        let addr: std::net::SocketAddr = cloud.oss_url()["http://".len()..].parse().unwrap();
        let client = common::resolving_client(&[VHOST], addr);
        Oss { cloud, client }
    }

    /// The URL of `key` (raw), virtual-hosted or path-style.
    fn url(&self, key: &str, addressing: Addressing) -> String {
        let port = self.cloud.oss_url().rsplit(':').next().unwrap().to_owned();
        let key = encoding::encode_path(key);
        match addressing {
            Addressing::PathStyle => format!("{}/{BUCKET}/{key}", self.cloud.oss_url()),
            _ => format!("http://{VHOST}:{port}/{key}"),
        }
    }
}

fn long_term() -> Credentials {
    Credentials::access_key(common::AK, common::SECRET, ProviderName::new("test"))
}

/// Fresh STS credentials from the fake's AssumeRole (`expired`: already past their end).
async fn sts(cloud: &FakeCloud, expired: bool) -> Credentials {
    if expired {
        cloud.set_fault_times(Endpoint::StsAssumeRole, Fault::ExpiredCredentials, 1);
    }
    let (status, body) = common::assume_role_as_fixture(cloud).await;
    assert_eq!(status, 200, "{body}");
    let (id, secret, token) = common::creds(&body);
    Credentials::sts(id, secret, token, None, ProviderName::new("test"))
}

fn with_secret(c: &Credentials, secret: &str) -> Credentials {
    match c.security_token() {
        Some(t) => Credentials::sts(
            c.access_key_id(),
            secret,
            t.expose().to_owned(),
            None,
            ProviderName::new("test"),
        ),
        None => Credentials::access_key(c.access_key_id(), secret, ProviderName::new("test")),
    }
}

fn with_token(c: &Credentials, token: &str) -> Credentials {
    Credentials::sts(
        c.access_key_id(),
        c.access_key_secret().expose().to_owned(),
        token,
        None,
        ProviderName::new("test"),
    )
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Form {
    V1Header,
    V4Header,
    V1Presign,
    V4Presign,
}

const FORMS: [Form; 4] = [
    Form::V1Header,
    Form::V4Header,
    Form::V1Presign,
    Form::V4Presign,
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
    let v1 = OssV1Signer::new(Some(BUCKET)).with_addressing(addressing);
    let v4 = OssV4Signer::new(REGION, Some(BUCKET)).with_addressing(addressing);
    let expires = Duration::from_secs(600);
    let presigned = match form {
        Form::V1Presign => Some(
            v1.presign(&method, &uri, &map, creds, time, expires)
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
        Form::V1Header => {
            v1.sign_request(&mut req, creds, time).unwrap();
        }
        Form::V4Header => {
            v4.sign_request(&mut req, creds, time).unwrap();
        }
        _ => {}
    }
    req
}

/// Sends a GET of `key` in `form`, signed now.
async fn get(
    oss: &Oss,
    form: Form,
    addressing: Addressing,
    key: &str,
    creds: &Credentials,
) -> ObjectResponse {
    let url = oss.url(key, addressing);
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
    let response = send_object(&oss.client, req).await;
    common::assert_no_fake_secret(&oss.cloud, &response.body);
    response
}

async fn put_plain(oss: &Oss, key: &str, body: &[u8]) {
    let url = oss.url(key, Addressing::PathStyle);
    let req = signed(
        Form::V4Header,
        Addressing::PathStyle,
        Method::PUT,
        &url,
        &[],
        body,
        &long_term(),
        Utc::now(),
    );
    let r = send_object(&oss.client, req).await;
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
        r.header("x-oss-request-id"),
        xml_text(&r.body, "RequestId").unwrap()
    );
    assert_eq!(r.header("content-type"), "application/xml");
}

#[tokio::test]
async fn objects_round_trip_with_an_sts_key_and_v4_headers() {
    let oss = Oss::start().await;
    let creds = sts(&oss.cloud, false).await;
    let body = b"hello, object store";
    let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body));
    let url = oss.url("dir/a b+c.txt", Addressing::VirtualHosted);
    let put = signed(
        Form::V4Header,
        Addressing::VirtualHosted,
        Method::PUT,
        &url,
        &[
            ("content-type", "text/plain"),
            ("content-md5", &md5),
            ("x-oss-meta-colour", "blue"),
        ],
        body,
        &creds,
        Utc::now(),
    );
    let r = send_object(&oss.client, put).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let hex: String = md5::Md5::digest(body)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    assert_eq!(r.header("etag"), format!("\"{hex}\""));

    let r = get(
        &oss,
        Form::V4Header,
        Addressing::VirtualHosted,
        "dir/a b+c.txt",
        &creds,
    )
    .await;
    assert_eq!((r.status, r.body.as_str()), (200, "hello, object store"));
    assert_eq!(r.header("content-type"), "text/plain");
    assert_eq!(r.header("x-oss-meta-colour"), "blue");

    let mut ranged = signed(
        Form::V4Header,
        Addressing::VirtualHosted,
        Method::GET,
        &url,
        &[],
        b"",
        &creds,
        Utc::now(),
    );
    ranged
        .headers_mut()
        .insert("range", "bytes=7-12".parse().unwrap());
    let r = send_object(&oss.client, ranged).await;
    assert_eq!((r.status, r.body.as_str()), (206, "object"));
    assert_eq!(r.header("content-range"), "bytes 7-12/19");

    let head = signed(
        Form::V4Header,
        Addressing::VirtualHosted,
        Method::HEAD,
        &url,
        &[],
        b"",
        &creds,
        Utc::now(),
    );
    let r = send_object(&oss.client, head).await;
    assert_eq!((r.status, r.header("content-length")), (200, "19"));

    put_plain(&oss, "dir/z", b"z").await;
    put_plain(&oss, "top", b"t").await;
    let list_url = format!(
        "{}?delimiter=%2F&max-keys=10&prefix=",
        oss.url("", Addressing::VirtualHosted)
    );
    let list = signed(
        Form::V4Header,
        Addressing::VirtualHosted,
        Method::GET,
        &list_url,
        &[],
        b"",
        &creds,
        Utc::now(),
    );
    let r = send_object(&oss.client, list).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .contains("<CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>"),
        "{}",
        r.body
    );
    assert!(r.body.contains("<Key>top</Key>"), "{}", r.body);
    let v2_url = format!(
        "{}?list-type=2&max-keys=1&prefix=dir%2F",
        oss.url("", Addressing::VirtualHosted)
    );
    let list = signed(
        Form::V4Header,
        Addressing::VirtualHosted,
        Method::GET,
        &v2_url,
        &[],
        b"",
        &creds,
        Utc::now(),
    );
    let r = send_object(&oss.client, list).await;
    assert_eq!(
        xml_text(&r.body, "Key"),
        Some("dir/a b+c.txt"),
        "{}",
        r.body
    );
    assert_eq!(xml_text(&r.body, "IsTruncated"), Some("true"));
    assert_eq!(xml_text(&r.body, "KeyCount"), Some("1"));
    let token = xml_text(&r.body, "NextContinuationToken")
        .unwrap()
        .to_owned();
    let next_url = format!("{v2_url}&continuation-token={}", encoding::encode(&token));
    let list = signed(
        Form::V4Header,
        Addressing::VirtualHosted,
        Method::GET,
        &next_url,
        &[],
        b"",
        &creds,
        Utc::now(),
    );
    let r = send_object(&oss.client, list).await;
    assert_eq!(xml_text(&r.body, "Key"), Some("dir/z"), "{}", r.body);
    assert_eq!(xml_text(&r.body, "IsTruncated"), Some("false"));

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
    assert_eq!(send_object(&oss.client, delete).await.status, 204);
    let r = get(
        &oss,
        Form::V4Header,
        Addressing::VirtualHosted,
        "dir/a b+c.txt",
        &creds,
    )
    .await;
    assert_error(&r, 404, "NoSuchKey", "deleted key");

    let recorded = oss.cloud.requests();
    let put = recorded.iter().find(|r| r.method == "PUT").unwrap();
    assert_eq!(put.endpoint, Some(Endpoint::Oss));
    assert_eq!(put.verdict, Verdict::Accepted);
    let line = put.verified.as_deref().unwrap();
    assert!(
        line.starts_with(&format!(
            "OSS V4 header signature of key {} with its security token (region cn-hangzhou)",
            creds.access_key_id()
        )),
        "{line}"
    );
    assert!(!line.contains(creds.security_token().unwrap().expose()));
}

#[tokio::test]
async fn every_form_and_addressing_is_accepted_for_long_term_and_sts_keys() {
    let oss = Oss::start().await;
    put_plain(&oss, "k+1 é.txt", b"payload").await;
    let sts = sts(&oss.cloud, false).await;
    for creds in [long_term(), sts] {
        for form in FORMS {
            for addressing in [Addressing::PathStyle, Addressing::VirtualHosted] {
                let r = get(&oss, form, addressing, "k+1 é.txt", &creds).await;
                assert_eq!(
                    (r.status, r.body.as_str()),
                    (200, "payload"),
                    "{form:?} {addressing:?} {}",
                    creds.access_key_id()
                );
            }
        }
    }
    let lines: Vec<String> = oss
        .cloud
        .requests()
        .iter()
        .filter_map(|r| r.verified.clone())
        .collect();
    for form in [
        "V1 header",
        "V4 header",
        "V1 presigned URL",
        "V4 presigned URL",
    ] {
        assert!(lines.iter().any(|l| l.contains(form)), "{form}: {lines:?}");
    }
}

#[tokio::test]
async fn presigned_urls_put_objects_too() {
    let oss = Oss::start().await;
    let creds = sts(&oss.cloud, false).await;
    for form in [Form::V1Presign, Form::V4Presign] {
        let key = format!("up-{form:?}");
        let url = oss.url(&key, Addressing::VirtualHosted);
        let req = signed(
            form,
            Addressing::VirtualHosted,
            Method::PUT,
            &url,
            &[],
            b"",
            &creds,
            Utc::now(),
        );
        let r = send_url(&oss.client, "PUT", &req.uri().to_string(), b"uploaded").await;
        assert_eq!(r.status, 200, "{form:?}: {}", r.body);
        let r = get(&oss, Form::V4Header, Addressing::PathStyle, &key, &creds).await;
        assert_eq!(r.body, "uploaded");
    }
}

#[tokio::test]
async fn wrong_secrets_tokens_and_keys_are_refused_with_the_oss_codes() {
    let oss = Oss::start().await;
    put_plain(&oss, "k", b"v").await;
    let good = sts(&oss.cloud, false).await;
    let other = sts(&oss.cloud, false).await;
    let expired = sts(&oss.cloud, true).await;
    let token = good.security_token().unwrap().expose().to_owned();
    let unknown = Credentials::access_key("LTAIFAKENOSUCHKEY999", "s", ProviderName::new("test"));
    let other_token = other.security_token().unwrap().expose().to_owned();
    for form in FORMS {
        for addressing in [Addressing::PathStyle, Addressing::VirtualHosted] {
            let what = format!("{form:?} {addressing:?}");
            let r = get(
                &oss,
                form,
                addressing,
                "k",
                &with_secret(&good, "wrong-secret"),
            )
            .await;
            assert_error(&r, 403, "SignatureDoesNotMatch", &what);
            assert_eq!(
                xml_text(&r.body, "OSSAccessKeyId"),
                Some(good.access_key_id())
            );
            let sts_text = xml_text(&r.body, "StringToSign").expect("the string to sign is echoed");
            assert!(!sts_text.is_empty());
            assert!(
                !r.body.contains(&token),
                "{what}: the token is echoed: {}",
                r.body
            );
            assert!(!r.body.contains(good.access_key_secret().expose()));

            let r = get(
                &oss,
                form,
                addressing,
                "k",
                &with_token(&good, &other_token),
            )
            .await;
            assert_error(&r, 403, "InvalidSecurityToken", &what);
            let r = get(&oss, form, addressing, "k", &unknown).await;
            assert_error(&r, 403, "InvalidAccessKeyId", &what);
            let r = get(
                &oss,
                form,
                addressing,
                "k",
                &with_token(&long_term(), "token-of-nothing"),
            )
            .await;
            assert_error(&r, 403, "InvalidAccessKeyId", &what);
            let no_token = Credentials::access_key(
                good.access_key_id(),
                good.access_key_secret().expose().to_owned(),
                ProviderName::new("t"),
            );
            let r = get(&oss, form, addressing, "k", &no_token).await;
            assert_error(&r, 403, "InvalidAccessKeyId", &what);
            let r = get(&oss, form, addressing, "k", &expired).await;
            assert_error(&r, 403, "SecurityTokenExpired", &what);
        }
    }
}

#[tokio::test]
async fn changed_paths_queries_and_headers_break_the_signature() {
    let oss = Oss::start().await;
    put_plain(&oss, "k", b"v").await;
    put_plain(&oss, "other", b"v").await;
    let creds = sts(&oss.cloud, false).await;
    let base = oss.url("k", Addressing::VirtualHosted);
    for form in FORMS {
        // Another key in the path.
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
        let r = send_object(&oss.client, changed).await;
        assert_error(&r, 403, "SignatureDoesNotMatch", &format!("{form:?} path"));

        // A signed query parameter added (V1 signs sub-resources only; V4 signs them all).
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
        let r = send_object(&oss.client, changed).await;
        assert_error(&r, 403, "SignatureDoesNotMatch", &format!("{form:?} query"));

        // A signed header changed after signing.
        let mut req = signed(
            form,
            Addressing::VirtualHosted,
            Method::GET,
            &base,
            &[("x-oss-meta-a", "1")],
            b"",
            &creds,
            Utc::now(),
        );
        req.headers_mut()
            .insert("x-oss-meta-a", "2".parse().unwrap());
        let r = send_object(&oss.client, req).await;
        assert_error(
            &r,
            403,
            "SignatureDoesNotMatch",
            &format!("{form:?} header"),
        );

        // Another method.
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
        let mut changed = Request::builder()
            .method("DELETE")
            .uri(req.uri().clone())
            .body(Vec::new())
            .unwrap();
        *changed.headers_mut() = req.headers().clone();
        let r = send_object(&oss.client, changed).await;
        assert_error(
            &r,
            403,
            "SignatureDoesNotMatch",
            &format!("{form:?} method"),
        );
    }
    let r = get(&oss, Form::V4Header, Addressing::VirtualHosted, "k", &creds).await;
    assert_eq!(r.status, 200, "the object survived the refused DELETEs");
}

#[tokio::test]
async fn skewed_clocks_and_expired_urls_are_refused() {
    let oss = Oss::start().await;
    put_plain(&oss, "k", b"v").await;
    let creds = long_term();
    let url = oss.url("k", Addressing::PathStyle);
    for form in [Form::V1Header, Form::V4Header] {
        for skew in [-20i64, 20] {
            let t = Utc::now() + TimeDelta::minutes(skew);
            let req = signed(
                form,
                Addressing::PathStyle,
                Method::GET,
                &url,
                &[],
                b"",
                &creds,
                t,
            );
            let r = send_object(&oss.client, req).await;
            assert_error(
                &r,
                403,
                "RequestTimeTooSkewed",
                &format!("{form:?} {skew} min"),
            );
            assert!(xml_text(&r.body, "ServerTime").is_some());
        }
        // Within 15 minutes is fine.
        let t = Utc::now() - TimeDelta::minutes(10);
        let req = signed(
            form,
            Addressing::PathStyle,
            Method::GET,
            &url,
            &[],
            b"",
            &creds,
            t,
        );
        assert_eq!(send_object(&oss.client, req).await.status, 200, "{form:?}");
    }
    for form in [Form::V1Presign, Form::V4Presign] {
        // Signed 11 minutes ago for 10: over.
        let t = Utc::now() - TimeDelta::minutes(11);
        let req = signed(
            form,
            Addressing::PathStyle,
            Method::GET,
            &url,
            &[],
            b"",
            &creds,
            t,
        );
        let r = send_object(&oss.client, req).await;
        assert_error(&r, 403, "AccessDenied", &format!("{form:?} expired"));
        assert_eq!(xml_text(&r.body, "Message"), Some("Request has expired."));
    }
    // The server's clock moving on expires a URL as well.
    let req = signed(
        Form::V4Presign,
        Addressing::PathStyle,
        Method::GET,
        &url,
        &[],
        b"",
        &creds,
        Utc::now(),
    );
    oss.cloud.set_clock_offset(601);
    let r = send_object(&oss.client, req).await;
    assert_error(&r, 403, "AccessDenied", "server clock past the URL's end");
}

#[tokio::test]
async fn anonymous_requests_bad_digests_and_faults() {
    let oss = Oss::start().await;
    put_plain(&oss, "k", b"v").await;
    let r = send_url(
        &oss.client,
        "GET",
        &oss.url("k", Addressing::PathStyle),
        b"",
    )
    .await;
    assert_error(&r, 403, "AccessDenied", "anonymous");

    let url = oss.url("k2", Addressing::PathStyle);
    let wrong_md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(b"other"));
    let req = signed(
        Form::V1Header,
        Addressing::PathStyle,
        Method::PUT,
        &url,
        &[("content-md5", &wrong_md5)],
        b"body",
        &long_term(),
        Utc::now(),
    );
    let r = send_object(&oss.client, req).await;
    assert_error(&r, 400, "InvalidDigest", "content-md5");

    let missing = format!("{}/no-such-bucket/k", oss.cloud.oss_url());
    let req = signed(
        Form::V4Header,
        Addressing::PathStyle,
        Method::GET,
        &missing,
        &[],
        b"",
        &long_term(),
        Utc::now(),
    );
    // The signer names bucket `bkt`; the fake reads `no-such-bucket` from the path, so the
    // signature cannot match: authentication comes before the bucket look-up, as on OSS.
    assert_error(
        &send_object(&oss.client, req).await,
        403,
        "SignatureDoesNotMatch",
        "other bucket",
    );

    oss.cloud.reset_counters();
    oss.cloud
        .set_fault_times(Endpoint::Oss, Fault::Status(503), 1);
    let r = get(
        &oss,
        Form::V4Header,
        Addressing::PathStyle,
        "k",
        &long_term(),
    )
    .await;
    assert_error(&r, 503, "ServiceUnavailable", "fault");
    let r = get(
        &oss,
        Form::V4Header,
        Addressing::PathStyle,
        "k",
        &long_term(),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(oss.cloud.count(Endpoint::Oss), 2);
    assert_eq!(oss.cloud.count(Endpoint::Obs), 0);
}
