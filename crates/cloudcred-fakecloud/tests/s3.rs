//! The S3-compatible endpoint against requests signed by curl's `--aws-sigv4` (an AWS Signature
//! Version 4 implementation no one here wrote): objects round-trip through the shared store, and
//! a wrong secret, an unknown key, a missing or wrong security token, an expired issued key and
//! an unsigned request each get S3's code in S3's XML; faults and counters work as elsewhere.
#![cfg(feature = "s3")]

mod common;

use std::process::{Command, Stdio};

use cloudcred_fakecloud::{Endpoint, FakeCloud, Fault, Verdict};
use common::{client, start, Rpc, AK, SECRET};

/// curl's answer: status, body.
struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    fn code(&self) -> Option<&str> {
        let start = self.body.find("<Code>")? + "<Code>".len();
        let len = self.body[start..].find("</Code>")?;
        Some(&self.body[start..start + len])
    }
}

/// One request signed by curl for service `s3` in `us-east-1`, with `data` as the body. It blocks:
/// the tests run on a multi-threaded runtime so the server goes on meanwhile.
fn curl(
    cloud: &FakeCloud,
    method: &str,
    path: &str,
    (ak, secret): (&str, &str),
    token: Option<&str>,
    data: Option<&[u8]>,
) -> Answer {
    let mut cmd = Command::new("curl");
    cmd.args([
        "--silent",
        "--show-error",
        "--noproxy",
        "*",
        "--max-time",
        "20",
    ])
    .args(["--aws-sigv4", "aws:amz:us-east-1:s3"])
    .args(["--user", &format!("{ak}:{secret}")])
    .args(["--request", method])
    .args(["--write-out", "\n%{http_code}"]);
    if method == "HEAD" {
        cmd.arg("--head");
    }
    // S3 wants the payload hash in a header; curl sends it only from 8.x on, and signs a header
    // it is given along with the rest.
    let hash = hex_sha256(data.unwrap_or_default());
    cmd.args(["--header", &format!("x-amz-content-sha256: {hash}")]);
    if let Some(token) = token {
        cmd.args(["--header", &format!("x-amz-security-token: {token}")]);
    }
    if data.is_some() {
        cmd.args(["--data-binary", "@-"]);
    }
    let mut child = cmd
        .arg(format!("{}{path}", cloud.s3_url()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("curl runs");
    let mut stdin = child.stdin.take().unwrap();
    if let Some(data) = data {
        std::io::Write::write_all(&mut stdin, data).unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (body, status) = text.rsplit_once('\n').unwrap();
    Answer {
        status: status.parse().unwrap(),
        body: body.to_owned(),
    }
}

fn hex_sha256(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An AssumeRole against the fake STS: (id, secret, token).
async fn issued_key(cloud: &FakeCloud) -> (String, String, String) {
    let (status, body) = Rpc::assume_role(AK, None)
        .sign_hmac(SECRET)
        .send(cloud)
        .await;
    assert_eq!(status, 200, "{body}");
    let c = &body["Credentials"];
    let field = |name: &str| c[name].as_str().unwrap().to_owned();
    (
        field("AccessKeyId"),
        field("AccessKeySecret"),
        field("SecurityToken"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn curl_signed_objects_round_trip_list_and_delete() {
    let cloud = start().await;
    let key = (AK, SECRET);
    let put = curl(
        &cloud,
        "PUT",
        "/bkt/dir/a.txt",
        key,
        None,
        Some(b"hello s3"),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    let put = curl(&cloud, "PUT", "/bkt/b.txt", key, None, Some(b"second"));
    assert_eq!(put.status, 200, "{}", put.body);

    let got = curl(&cloud, "GET", "/bkt/dir/a.txt", key, None, None);
    assert_eq!((got.status, got.body.as_str()), (200, "hello s3"));
    let head = curl(&cloud, "HEAD", "/bkt/dir/a.txt", key, None, None);
    assert_eq!(head.status, 200);
    assert!(
        head.body.to_ascii_lowercase().contains("content-length: 8"),
        "{}",
        head.body
    );

    // Sorted by hand: curl 7.x signs the query in the order given.
    let list = curl(
        &cloud,
        "GET",
        "/bkt?delimiter=%2F&list-type=2",
        key,
        None,
        None,
    );
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("<Key>b.txt</Key>"), "{}", list.body);
    assert!(list.body.contains("<Prefix>dir/</Prefix>"), "{}", list.body);
    assert!(!list.body.contains("<Key>dir/a.txt</Key>"), "{}", list.body);

    let del = curl(&cloud, "DELETE", "/bkt/dir/a.txt", key, None, None);
    assert_eq!(del.status, 204, "{}", del.body);
    let gone = curl(&cloud, "GET", "/bkt/dir/a.txt", key, None, None);
    assert_eq!((gone.status, gone.code()), (404, Some("NoSuchKey")));
    let no_bucket = curl(&cloud, "GET", "/no-such-bucket/k", key, None, None);
    assert_eq!(
        (no_bucket.status, no_bucket.code()),
        (404, Some("NoSuchBucket"))
    );

    assert_eq!(cloud.count(Endpoint::S3), 8);
    let recorded = cloud.requests();
    assert!(recorded.iter().all(|r| r.endpoint == Some(Endpoint::S3)));
    assert_eq!(recorded[0].body, "hello s3");
    assert_eq!(
        recorded.last().unwrap().verdict,
        Verdict::Rejected {
            status: 404,
            code: "NoSuchBucket".into()
        }
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_secret_unknown_key_and_unsigned_requests_are_refused() {
    let cloud = start().await;
    let wrong = curl(
        &cloud,
        "PUT",
        "/bkt/k",
        (AK, "not-the-secret"),
        None,
        Some(b"x"),
    );
    assert_eq!(
        (wrong.status, wrong.code()),
        (403, Some("SignatureDoesNotMatch")),
        "{}",
        wrong.body
    );
    assert!(wrong.body.starts_with("<?xml"), "{}", wrong.body);
    let unknown = curl(
        &cloud,
        "GET",
        "/bkt/k",
        ("AKIDNOSUCHKEY0000000", "s"),
        None,
        None,
    );
    assert_eq!(
        (unknown.status, unknown.code()),
        (403, Some("InvalidAccessKeyId")),
        "{}",
        unknown.body
    );
    let unsigned = client()
        .get(format!("{}/bkt/k", cloud.s3_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 403);
    assert!(unsigned
        .text()
        .await
        .unwrap()
        .contains("<Code>AccessDenied</Code>"));
    // Nothing was stored by the refused PUT.
    let got = curl(&cloud, "GET", "/bkt/k", (AK, SECRET), None, None);
    assert_eq!(got.code(), Some("NoSuchBucket"));
}

#[tokio::test(flavor = "multi_thread")]
async fn issued_keys_need_their_token_and_expire_on_the_fake_clock() {
    let cloud = start().await;
    let (id, secret, token) = issued_key(&cloud).await;
    let key = (id.as_str(), secret.as_str());
    let ok = curl(
        &cloud,
        "PUT",
        "/sts-bucket/k",
        key,
        Some(&token),
        Some(b"by sts"),
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    let got = curl(&cloud, "GET", "/sts-bucket/k", key, Some(&token), None);
    assert_eq!((got.status, got.body.as_str()), (200, "by sts"));

    let without = curl(&cloud, "GET", "/sts-bucket/k", key, None, None);
    assert_eq!(
        (without.status, without.code()),
        (403, Some("InvalidAccessKeyId")),
        "{}",
        without.body
    );
    let other = format!("{}A", &token[..token.len() - 1]);
    let wrong = curl(&cloud, "GET", "/sts-bucket/k", key, Some(&other), None);
    assert_eq!(
        (wrong.status, wrong.code()),
        (400, Some("InvalidToken")),
        "{}",
        wrong.body
    );

    // Two hours on, the one-hour key has expired on the fake's clock.
    cloud.set_clock_offset(7200);
    let expired = curl(&cloud, "GET", "/sts-bucket/k", key, Some(&token), None);
    assert_eq!(
        (expired.status, expired.code()),
        (400, Some("ExpiredToken")),
        "{}",
        expired.body
    );
    assert!(!expired.body.contains(&token) && !expired.body.contains(&secret));
}

#[tokio::test(flavor = "multi_thread")]
async fn huawei_issued_keys_are_known_too() {
    let cloud = start().await;
    let resp = client()
        .get(cloud.url("/openstack/latest/securitykey"))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = resp.json().await.unwrap();
    let c = &body["credential"];
    let field = |name: &str| c[name].as_str().unwrap().to_owned();
    let (access, secret, token) = (field("access"), field("secret"), field("securitytoken"));
    let key = (access.as_str(), secret.as_str());
    let put = curl(
        &cloud,
        "PUT",
        "/obs-bucket/k",
        key,
        Some(&token),
        Some(b"by hw"),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    let without = curl(&cloud, "GET", "/obs-bucket/k", key, None, None);
    assert_eq!(
        without.code(),
        Some("InvalidAccessKeyId"),
        "{}",
        without.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_and_counters_apply_to_the_s3_endpoint() {
    let cloud = start().await;
    cloud.set_fault_times(Endpoint::S3, Fault::Status(503), 1);
    cloud.set_fault_times(Endpoint::S3, Fault::Throttle, 1);
    let first = curl(&cloud, "GET", "/bkt?list-type=2", (AK, SECRET), None, None);
    assert_eq!(
        (first.status, first.code()),
        (503, Some("SlowDown")),
        "{}",
        first.body
    );
    let second = curl(&cloud, "GET", "/bkt?list-type=2", (AK, SECRET), None, None);
    assert_eq!((second.status, second.code()), (503, Some("SlowDown")));
    let third = curl(&cloud, "PUT", "/bkt/k", (AK, SECRET), None, Some(b"v"));
    assert_eq!(third.status, 200, "{}", third.body);
    cloud.set_fault_times(Endpoint::S3, Fault::DropConnection, 1);
    let dropped = client()
        .get(format!("{}/bkt/k", cloud.s3_url()))
        .send()
        .await;
    assert!(dropped.is_err());
    assert_eq!(cloud.count(Endpoint::S3), 4);
    assert_eq!(cloud.count(Endpoint::StsAssumeRole), 0);
    let recorded = cloud.requests();
    assert_eq!(recorded[0].fault, Some(Fault::Status(503)));
    assert_eq!(recorded[3].verdict, Verdict::Dropped);
    cloud.reset_counters();
    assert_eq!(cloud.count(Endpoint::S3), 0);
}
