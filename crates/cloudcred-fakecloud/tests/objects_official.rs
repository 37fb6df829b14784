//! Requests signed by the official SDKs, replayed against the fake's OSS and OBS verifiers: the
//! differential vectors under `testdata/differential/vectors/` were signed by oss2 2.19.1 and
//! esdk-obs-python 3.26.6 (`testdata/differential/generate.sh`), on random methods, keys,
//! queries and headers. Each case goes over a raw socket byte for byte as the SDK would send it
//! (its Host, its percent-encoded path and query), with the fake's clock set to the case's
//! signing time; the fake must authenticate every one. The vectors and the fake's verifier are
//! two independent readings of the signatures: neither was derived from the other.
//!
//! `vectors/objects_live.json` is a session of the official clients themselves against the fake
//! (`testdata/differential/live_objects.py`: put, get, head, list, presigned get, a missing key,
//! a wrong secret, delete, with oss2 V1, STS and V4 and esdk-obs native and V4): every request
//! they sent, replayed, must get the answer they got and accepted then.
//!
//! Left out: CNAME-addressed OBS cases (the fake cannot know which bucket a custom domain is
//! bound to). Where a vector corrects the SDK (`expected`, with its `reason`), the corrected
//! signature is replayed: the SDK's own cannot verify on the service either.

use cloudcred_fakecloud::{FakeCloud, FakeCloudConfig};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `testdata/differential/common.py`'s credentials.
const AK: &str = "LTAI5tDiffAccessKeyId01";
const SK: &str = "diffSecret+/=0123456789abcdefXYZ";
const TOKEN: &str = "CAIS+diff/token==AbCdEf0123456789+/=";

fn cases(name: &str) -> Vec<Value> {
    let path = format!(
        "{}/../../testdata/differential/vectors/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["cases"].as_array().unwrap().clone()
}

/// Two fakes: one knows the vectors' key as a long-term key, the other as a temporary key with
/// the vectors' token (a key is one or the other, on both services).
async fn fakes() -> (FakeCloud, FakeCloud) {
    let mut plain = FakeCloudConfig::default();
    plain.access_keys.push((AK.into(), SK.into()));
    plain.hw_access_keys.push((AK.into(), SK.into()));
    let mut with_token = FakeCloudConfig::default();
    with_token
        .sts_access_keys
        .push((AK.into(), SK.into(), TOKEN.into()));
    with_token
        .hw_sts_access_keys
        .push((AK.into(), SK.into(), TOKEN.into()));
    (
        FakeCloud::start(plain).await.unwrap(),
        FakeCloud::start(with_token).await.unwrap(),
    )
}

/// RFC 3986: unreserved characters stay, everything else is `%XX` of its UTF-8 bytes.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A key as a path: segments encoded, `.` and `..` segments as `%2E` so nothing resolves them.
fn key_path(key: &str) -> String {
    key.split('/')
        .map(|seg| match seg {
            "." | ".." => seg.replace('.', "%2E"),
            _ => enc(seg),
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn query_string(pairs: &[Value]) -> String {
    pairs
        .iter()
        .map(|p| match p[1].as_str() {
            Some(v) => format!("{}={}", enc(p[0].as_str().unwrap()), enc(v)),
            None => enc(p[0].as_str().unwrap()),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn with_query(path: String, query: &str) -> String {
    if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    }
}

fn http_date(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

fn basic_time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

fn has(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

/// The status and body of one request written on a fresh connection.
async fn send(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(String, String)],
) -> (u16, String) {
    let mut raw = format!("{method} {target} HTTP/1.1\r\n").into_bytes();
    for (n, v) in headers {
        raw.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    raw.extend_from_slice(b"Content-Length: 0\r\nConnection: close\r\n\r\n");
    send_raw(port, &raw).await
}

/// Writes `raw` (a whole request that closes the connection) and reads the answer.
async fn send_raw(port: u16, raw: &[u8]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stream.write_all(raw).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

/// Method, request target and headers of a request.
type Wire = (String, String, Vec<(String, String)>);

/// The request a case's SDK sent.
fn request(case: &Value) -> Option<Wire> {
    let algorithm = case["algorithm"].as_str().unwrap_or_default();
    let signed = case.get("expected").unwrap_or(&case["official"]);
    let time = case["time"].as_i64().unwrap();
    let token = case["token"].as_bool().unwrap();
    let method = case["method"].as_str().unwrap().to_owned();
    let mut headers: Vec<(String, String)> = case["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h[0].as_str().unwrap().into(), h[1].as_str().unwrap().into()))
        .collect();
    let push = |headers: &mut Vec<(String, String)>, n: &str, v: &str| {
        if !has(headers, n) {
            headers.push((n.into(), v.into()));
        }
    };
    if let Some(url) = signed.get("url").and_then(Value::as_str) {
        // OSS presigned: the SDK's URL as it is.
        let rest = url.split_once("://").unwrap().1;
        let (host, target) = rest.split_at(rest.find('/').unwrap());
        push(&mut headers, "Host", host);
        return Some((method, target.to_owned(), headers));
    }
    if algorithm.starts_with("oss_") {
        let host = match case["bucket"].as_str() {
            Some(bucket) => format!("{bucket}.oss-cn-hangzhou.aliyuncs.com"),
            None => "oss-cn-hangzhou.aliyuncs.com".to_owned(),
        };
        let key = case["key"].as_str().unwrap_or_default();
        let target = with_query(
            format!("/{}", key_path(key)),
            &query_string(case["params"].as_array().unwrap()),
        );
        push(&mut headers, "Host", &host);
        if algorithm == "oss_v1_header" {
            push(&mut headers, "Date", &http_date(time));
        } else {
            push(&mut headers, "x-oss-date", &basic_time(time));
            push(&mut headers, "x-oss-content-sha256", "UNSIGNED-PAYLOAD");
        }
        if token {
            push(&mut headers, "x-oss-security-token", TOKEN);
        }
        headers.push((
            "Authorization".into(),
            signed["authorization"].as_str()?.into(),
        ));
        return Some((method, target, headers));
    }
    // OBS: the case names its host and addressing.
    let addressing = case["addressing"].as_str().unwrap();
    if addressing == "cname" {
        return None;
    }
    let bucket = case["bucket"].as_str();
    let key = case["key"].as_str();
    let path = match (addressing, bucket, key) {
        ("path", Some(b), Some(k)) => format!("/{}/{}", enc(b), key_path(k)),
        ("path", Some(b), None) => format!("/{}", enc(b)),
        (_, _, Some(k)) => format!("/{}", key_path(k)),
        _ => "/".to_owned(),
    };
    let mut query: Vec<Value> = case["query"].as_array().unwrap().clone();
    if let Some(auth) = signed.get("query").and_then(Value::as_array) {
        query.extend(auth.iter().cloned());
    }
    push(&mut headers, "Host", case["host"].as_str().unwrap());
    if let Some(auth) = signed.get("authorization").and_then(Value::as_str) {
        if auth.starts_with("AWS4-HMAC-SHA256") {
            push(&mut headers, "x-amz-date", &basic_time(time));
            push(&mut headers, "x-amz-content-sha256", "UNSIGNED-PAYLOAD");
            if token {
                push(&mut headers, "x-amz-security-token", TOKEN);
            }
        } else {
            push(&mut headers, "Date", &http_date(time));
            if token {
                let name = if auth.starts_with("OBS ") {
                    "x-obs-security-token"
                } else {
                    "x-amz-security-token"
                };
                push(&mut headers, name, TOKEN);
            }
        }
        headers.push(("Authorization".into(), auth.into()));
    }
    Some((method, with_query(path, &query_string(&query)), headers))
}

async fn replay(families: &[&str], port_of: fn(&FakeCloud) -> String) {
    let (plain, with_token) = fakes().await;
    let mut failures = Vec::new();
    let mut replayed = 0;
    let mut tampered_refused = 0;
    for family in families {
        for case in cases(family) {
            let Some((method, target, headers)) = request(&case) else {
                continue;
            };
            let cloud = if case["token"].as_bool().unwrap() {
                &with_token
            } else {
                &plain
            };
            // Presigned: half a minute early, so a URL valid for one second is still valid on
            // arrival on a busy machine. Header forms: on time, as some carry an `x-oss-date`
            // almost 15 minutes from it.
            let time = case["time"].as_i64().unwrap();
            let early = if case.get("expires").is_some() { 30 } else { 0 };
            cloud.set_clock_offset(time - chrono::Utc::now().timestamp() - early);
            cloud.reset_counters();
            let port: u16 = port_of(cloud).rsplit(':').next().unwrap().parse().unwrap();
            let (status, body) = send(port, &method, &target, &headers).await;
            replayed += 1;
            let verified = cloud
                .requests()
                .last()
                .is_some_and(|r| r.verified.is_some());
            // And the same request with its signature's last character changed is refused.
            if let Some(i) = headers.iter().position(|(n, _)| n == "Authorization") {
                let mut tampered = headers.clone();
                let auth = &mut tampered[i].1;
                let last = auth.pop().unwrap();
                auth.push(if last == 'A' { 'B' } else { 'A' });
                cloud.reset_counters();
                let (status, _) = send(port, &method, &target, &tampered).await;
                let refused = cloud
                    .requests()
                    .last()
                    .is_some_and(|r| r.verified.is_none());
                if !refused || status != 403 {
                    failures.push(format!("{}: a tampered signature got {status}", case["id"]));
                }
                tampered_refused += 1;
            }
            if !verified {
                let signed = case.get("expected").unwrap_or(&case["official"]);
                failures.push(format!(
                    "{}: {status} {}\n  sent: {method} {target} {headers:?}\n  SDK string to sign: {:?}",
                    case["id"],
                    body.replace('\n', " "),
                    signed["string_to_sign"]
                ));
            }
        }
    }
    assert!(replayed >= 900, "only {replayed} cases replayed");
    assert!(
        tampered_refused >= 400,
        "only {tampered_refused} tampered cases"
    );
    assert!(
        failures.is_empty(),
        "{} of {replayed} official requests refused:\n{}",
        failures.len(),
        failures
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[tokio::test]
async fn oss2_signed_requests_are_accepted_by_the_oss_verifier() {
    replay(
        &[
            "oss_v1_header",
            "oss_v1_presign",
            "oss_v4_header",
            "oss_v4_presign",
        ],
        FakeCloud::oss_url,
    )
    .await;
}

#[tokio::test]
async fn esdk_obs_signed_requests_are_accepted_by_the_obs_verifier() {
    replay(
        &[
            "obs_native_header",
            "obs_native_presign",
            "obs_awsv2_header",
            "obs_awsv2_presign",
            "obs_v4_header",
            "obs_v4_presign",
        ],
        FakeCloud::obs_url,
    )
    .await;
}

/// `raw` with its `Connection` header replaced by `Connection: close`.
fn closing(raw: &[u8]) -> Vec<u8> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut out: Vec<u8> = Vec::with_capacity(raw.len() + 20);
    for line in head.split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out.extend_from_slice(&raw[end + 4..]);
    out
}

#[tokio::test]
async fn official_client_sessions_replay_with_the_answers_the_clients_accepted() {
    use base64::Engine as _;
    let path = format!(
        "{}/../../testdata/differential/vectors/objects_live.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let exchanges = doc["exchanges"].as_array().unwrap();
    let mut sdk_of = vec![""; exchanges.len()];
    for step in doc["steps"].as_array().unwrap() {
        assert!(
            step["ok"].as_bool().unwrap()
                || step["step"].as_str().unwrap().contains("missing")
                || step["step"].as_str().unwrap().contains("wrong secret"),
            "the client failed a step it should pass: {step}"
        );
        for i in step["exchanges"].as_array().unwrap() {
            sdk_of[i.as_u64().unwrap() as usize] = step["sdk"].as_str().unwrap();
        }
    }
    let cloud = FakeCloud::start(FakeCloudConfig::default()).await.unwrap();
    let port = |url: String| -> u16 { url.rsplit(':').next().unwrap().parse().unwrap() };
    let mut mismatches = Vec::new();
    for (i, exchange) in exchanges.iter().enumerate() {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(exchange["request"].as_str().unwrap())
            .unwrap();
        let time = exchange["time"].as_i64().unwrap();
        cloud.set_clock_offset(time - chrono::Utc::now().timestamp());
        let to = match sdk_of[i] {
            "oss2" => port(cloud.oss_url()),
            _ => port(cloud.obs_url()),
        };
        let (status, body) = send_raw(to, &closing(&raw)).await;
        if status as u64 != exchange["status"].as_u64().unwrap() {
            mismatches.push(format!("exchange {i} ({}): {status} {body}", sdk_of[i]));
        }
    }
    assert!(exchanges.len() >= 40, "{} exchanges", exchanges.len());
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
