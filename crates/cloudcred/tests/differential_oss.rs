//! Replays the OSS V1 and V4 differential vectors (`testdata/differential/vectors/oss_*.json`,
//! drawn by `gen_oss.py` and signed by oss2 2.19.1): for every case cloudcred must give the
//! official output, or the `expected` one where the case records an oss2 defect with its reason,
//! intermediate strings included.
//!
//! The request is built as the wire contract wants it (signing.md §1.1): the raw key encoded with
//! [`encoding::encode_object_key`] (dot segments kept through URL parsers), query names and
//! values RFC 3986 strict, so the signers decode what oss2 was given raw. No Python runs here.

mod common;

use cloudcred::sign::encoding::{self, encode_object_key};
use cloudcred::sign::{OssV1Signer, OssV4Signer, Presigned, SigningDetails};
use common::differential::{creds, s, time, MIN_CASES};
use common::encoded_query;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};
use serde_json::Value;
use std::time::Duration;

const ENDPOINT: &str = "oss-cn-hangzhou.aliyuncs.com";
const REGION: &str = "cn-hangzhou";

fn load(algorithm: &str) -> Value {
    common::differential::load(algorithm, "oss2", "2.19.1")
}

/// `https://bucket.endpoint/<key>?<query>` encoded as the wire contract wants it.
fn url(case: &Value) -> Uri {
    let key = encode_object_key(s(case, "key")).unwrap();
    let mut u = match case["bucket"].as_str() {
        Some(b) => format!("https://{b}.{ENDPOINT}/{key}"),
        None => format!("https://{ENDPOINT}/"),
    };
    let params: Vec<(&str, Option<&str>)> = case["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap(), p[1].as_str()))
        .collect();
    if !params.is_empty() {
        u.push('?');
        u.push_str(&encoded_query(&params));
    }
    u.parse().unwrap_or_else(|e| panic!("{u}: {e}"))
}

fn headers(case: &Value) -> HeaderMap {
    let mut h = HeaderMap::new();
    for p in case["headers"].as_array().unwrap() {
        h.append(
            HeaderName::try_from(p[0].as_str().unwrap()).unwrap(),
            HeaderValue::from_bytes(p[1].as_str().unwrap().as_bytes()).unwrap(),
        );
    }
    h
}

fn method(case: &Value) -> Method {
    Method::from_bytes(s(case, "method").as_bytes()).unwrap()
}

/// What cloudcred must give: `expected` where oss2 is wrong (with a reason), else `official`.
fn target(case: &Value) -> &Value {
    match case.get("expected") {
        Some(e) => {
            assert!(
                case["reason"].as_str().is_some_and(|r| !r.is_empty()),
                "{}: an expected output without a reason",
                case["id"]
            );
            e
        }
        None => &case["official"],
    }
}

/// The decoded query parameters of a URL, sorted, an absent value as empty.
fn query_params(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let mut params: Vec<(String, String)> = encoding::decode_query(query)
        .unwrap()
        .into_iter()
        .map(|(k, v)| {
            (
                k.into_owned(),
                v.map(|v| v.into_owned()).unwrap_or_default(),
            )
        })
        .collect();
    params.sort();
    params
}

fn check_details(case: &Value, want: &Value, details: &SigningDetails) {
    let id = &case["id"];
    if let Some(canonical) = want.get("canonical_request") {
        assert_eq!(
            details.canonical_request.as_deref(),
            canonical.as_str(),
            "{id}: canonical request"
        );
    }
    assert_eq!(
        details.string_to_sign,
        s(want, "string_to_sign"),
        "{id}: string to sign"
    );
    assert_eq!(details.signature, s(want, "signature"), "{id}: signature");
}

fn check_presigned(case: &Value, want: &Value, p: &Presigned) {
    check_details(case, want, p.details.as_ref().unwrap());
    assert_eq!(
        query_params(&p.url),
        query_params(s(want, "url")),
        "{}: presigned query",
        case["id"]
    );
}

fn v4_signer(case: &Value) -> OssV4Signer {
    let bucket = case["bucket"].as_str();
    let signer = match case.get("cloudbox").and_then(Value::as_str) {
        Some(id) => OssV4Signer::cloudbox(id, bucket),
        None => OssV4Signer::new(REGION, bucket),
    };
    match case.get("additional_headers").and_then(Value::as_array) {
        Some(names) => signer.with_additional_headers(names.iter().map(|n| n.as_str().unwrap())),
        None => signer,
    }
}

/// Replays every case of `algorithm`; returns (cases, cases settled as an oss2 defect).
fn replay(algorithm: &str) -> (usize, usize) {
    let doc = load(algorithm);
    let cases = doc["cases"].as_array().unwrap();
    let mut defects = 0;
    for case in cases {
        let want = target(case);
        defects += usize::from(case.get("expected").is_some());
        let (url, headers, creds, time) = (url(case), headers(case), creds(case), time(case));
        let bucket = case["bucket"].as_str();
        let presign_expires = || Duration::from_secs(case["expires"].as_u64().unwrap());
        match algorithm {
            "oss_v1_header" | "oss_v4_header" => {
                let mut req = Request::builder()
                    .method(method(case))
                    .uri(url)
                    .body(())
                    .unwrap();
                *req.headers_mut() = headers;
                let details = if algorithm == "oss_v1_header" {
                    OssV1Signer::new(bucket).sign_request_with_details(&mut req, &creds, time)
                } else {
                    v4_signer(case).sign_request_with_details(&mut req, &creds, time)
                }
                .unwrap_or_else(|e| panic!("{}: {e}", case["id"]))
                .unwrap();
                check_details(case, want, &details);
                assert_eq!(
                    req.headers()["authorization"],
                    s(want, "authorization"),
                    "{}: Authorization",
                    case["id"]
                );
            }
            "oss_v1_presign" | "oss_v4_presign" => {
                let (m, e) = (method(case), presign_expires());
                let p = if algorithm == "oss_v1_presign" {
                    OssV1Signer::new(bucket).presign(&m, &url, &headers, &creds, time, e)
                } else {
                    v4_signer(case).presign(&m, &url, &headers, &creds, time, e)
                }
                .unwrap_or_else(|e| panic!("{}: {e}", case["id"]));
                check_presigned(case, want, &p);
            }
            other => panic!("no replay for {other}"),
        }
    }
    assert_eq!(doc["count"].as_u64().unwrap() as usize, cases.len());
    (cases.len(), defects)
}

fn replay_at_least(algorithm: &str) {
    let (count, defects) = replay(algorithm);
    assert!(
        count >= MIN_CASES,
        "{algorithm}: {count} cases, fewer than {MIN_CASES}: the vector file lost cases"
    );
    eprintln!("{algorithm}: {count} cases, {defects} settled as oss2 defects");
}

#[test]
fn oss_v1_header_matches_oss2() {
    replay_at_least("oss_v1_header");
}

#[test]
fn oss_v1_presign_matches_oss2() {
    replay_at_least("oss_v1_presign");
}

#[test]
fn oss_v4_header_matches_oss2() {
    replay_at_least("oss_v4_header");
}

#[test]
fn oss_v4_presign_matches_oss2() {
    replay_at_least("oss_v4_presign");
}

/// Every name of the V1 union the generator drew is in cloudcred's list, and the vectors drew
/// most of the list: the union is tested, not only claimed.
#[test]
fn oss_v1_vectors_cover_the_subresource_union() {
    let mut drawn = std::collections::BTreeSet::new();
    for algorithm in ["oss_v1_header", "oss_v1_presign"] {
        for case in load(algorithm)["cases"].as_array().unwrap() {
            for p in case["params"].as_array().unwrap() {
                drawn.insert(p[0].as_str().unwrap().to_owned());
            }
        }
    }
    let listed: Vec<&str> = cloudcred::sign::oss_v1::SUBRESOURCES.to_vec();
    let covered = listed.iter().filter(|n| drawn.contains(**n)).count();
    assert!(
        covered * 10 >= listed.len() * 9,
        "only {covered} of {} sub-resources drawn",
        listed.len()
    );
}
