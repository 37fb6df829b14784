//! The OBS signers against esdk-obs-python 3.26.6: every case of
//! `testdata/differential/vectors/obs_*.json` (drawn and signed by `gen_obs.py`; no Python here).
//!
//! Each case gives the request raw (object key, query, headers in order, token or not, time) and
//! the package's output (`official`). Where the package is wrong the case also holds `expected`
//! with its `reason`, and cloudcred must give `expected`; elsewhere it must give `official`. The
//! URI is built the way the wire contract wants it (signing.md §1.1): key and query encoded RFC
//! 3986, the signer decoding where the algorithm signs raw text.

mod common;

use cloudcred::sign::encoding::{decode_query, encode, encode_object_key, encode_path};
use cloudcred::sign::{Addressing, ObsMode, ObsSigner, ObsV4Signer, SigningDetails};
use common::differential::{creds, s, time, MIN_CASES};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};
use serde_json::Value;
use std::time::Duration;

fn load(algorithm: &str) -> Value {
    common::differential::load(algorithm, "esdk-obs-python", "3.26.6")
}

fn opt<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// What cloudcred must give: `expected` where the package is wrong, else the package's output.
fn want(case: &Value) -> &Value {
    match case.get("expected") {
        Some(e) => {
            assert!(
                case["reason"].as_array().is_some_and(|r| !r.is_empty()),
                "{}: `expected` without a reason",
                s(case, "id")
            );
            e
        }
        None => &case["official"],
    }
}

fn pairs(v: &Value) -> Vec<(String, Option<String>)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_owned(),
                p[1].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// The request URI: path-style `/<bucket>/<key>`, virtual-hosted and CNAME `/<key>`, encoded.
fn request_uri(case: &Value) -> Uri {
    uri_with_key(case, opt(case, "key").map(encode_path).unwrap_or_default())
}

/// The URI a presigner accepts (`sign::presign_checks`): the key through `encode_object_key`, so
/// `.`/`..` segments survive URL parsers. `None` for what every presigner refuses: an expiry of
/// 0 (esdk signs a URL that is already expired) and a key that is only `.` or `..`.
fn presign_uri(case: &Value) -> Option<Uri> {
    if expires(case).is_zero() {
        return None;
    }
    let key = opt(case, "key").map_or(Ok(String::new()), encode_object_key);
    Some(uri_with_key(case, key.ok()?.into()))
}

fn uri_with_key(case: &Value, key: std::borrow::Cow<'_, str>) -> Uri {
    let mut u = format!("https://{}", s(case, "host"));
    match (opt(case, "bucket"), path_style(case)) {
        (Some(bucket), true) if key.is_empty() => u.push_str(&format!("/{bucket}")),
        (Some(bucket), true) => u.push_str(&format!("/{bucket}/{key}")),
        _ => u.push_str(&format!("/{key}")),
    }
    for (i, (k, v)) in pairs(&case["query"]).iter().enumerate() {
        u.push(if i == 0 { '?' } else { '&' });
        u.push_str(&encode(k));
        if let Some(v) = v {
            u.push('=');
            u.push_str(&encode(v));
        }
    }
    u.parse().unwrap_or_else(|e| panic!("{u}: {e}"))
}

fn path_style(case: &Value) -> bool {
    s(case, "addressing") == "path"
}

fn headers(case: &Value) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs(&case["headers"]) {
        h.append(
            HeaderName::try_from(k.as_str()).unwrap(),
            HeaderValue::from_str(&v.unwrap()).unwrap(),
        );
    }
    h
}

fn method(case: &Value) -> Method {
    Method::from_bytes(s(case, "method").as_bytes()).unwrap()
}

fn expires(case: &Value) -> Duration {
    Duration::from_secs(case["expires"].as_u64().unwrap())
}

/// The parameters a presigner appended to `uri`, decoded, in URL order.
fn appended_params(uri: &Uri, url: &str, id: &str) -> Vec<(String, String)> {
    let base = uri.to_string();
    let rest = url
        .strip_prefix(&base)
        .unwrap_or_else(|| panic!("{id}: the presigned URL does not extend the request URI"));
    let rest = rest.strip_prefix(['?', '&']).unwrap_or(rest);
    decode_query(rest)
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k.into_owned(), v.unwrap_or_default().into_owned()))
        .collect()
}

fn query_pairs(v: &Value) -> Vec<(String, String)> {
    pairs(v)
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect()
}

/// The mismatches of one file: every case is checked, then all disagreements are reported at once.
#[derive(Default)]
struct Mismatches(Vec<String>);

impl Mismatches {
    fn eq<T: PartialEq + std::fmt::Debug + ?Sized>(
        &mut self,
        id: &str,
        what: &str,
        got: &T,
        want: &T,
    ) {
        if got != want {
            self.0.push(format!(
                "{id} {what}:\n  cloudcred: {got:?}\n  wanted:    {want:?}"
            ));
        }
    }
}

/// Runs `check` on every case of `algorithm`; asserts the file still holds its cases, that some
/// agree with the package uncorrected, and that no case disagrees with cloudcred.
fn replay(algorithm: &str, check: impl Fn(&mut Mismatches, &str, &Value, &Value)) {
    let doc = load(algorithm);
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(
        doc["count"].as_u64(),
        Some(cases.len() as u64),
        "{algorithm}"
    );
    assert!(
        cases.len() >= MIN_CASES,
        "{algorithm}: {} cases, fewer than {MIN_CASES}",
        cases.len()
    );
    let mut corrected = 0;
    let mut m = Mismatches::default();
    for case in cases {
        corrected += usize::from(case.get("expected").is_some());
        check(&mut m, s(case, "id"), case, want(case));
    }
    let mut failed: Vec<&str> = m.0.iter().map(|l| l.split(' ').next().unwrap()).collect();
    failed.dedup();
    assert!(
        m.0.is_empty(),
        "{algorithm}: {} of {} cases disagree, the first:\n{}",
        failed.len(),
        cases.len(),
        m.0[..m.0.len().min(6)].join("\n")
    );
    assert!(
        corrected < cases.len(),
        "{algorithm}: every case corrects the package"
    );
    eprintln!(
        "{algorithm}: {} cases agree ({corrected} with the package corrected)",
        cases.len()
    );
}

fn v2_signer(case: &Value, mode: ObsMode) -> ObsSigner {
    match s(case, "addressing") {
        // CNAME: the custom domain takes the bucket's place (§8.2).
        "cname" => ObsSigner::new(mode, Some(s(case, "host"))),
        "path" => ObsSigner::new(mode, opt(case, "bucket")).with_addressing(Addressing::PathStyle),
        _ => ObsSigner::new(mode, opt(case, "bucket")),
    }
}

fn request(case: &Value) -> Request<()> {
    let mut req = Request::builder()
        .method(method(case))
        .uri(request_uri(case))
        .body(())
        .unwrap();
    *req.headers_mut() = headers(case);
    req
}

/// The intermediates and the signature (V4 also has a canonical request).
fn details(m: &mut Mismatches, id: &str, d: &SigningDetails, want: &Value) {
    if let Some(got) = d.canonical_request.as_deref() {
        m.eq(id, "canonical request", got, s(want, "canonical_request"));
    }
    let sts = s(want, "string_to_sign");
    m.eq(id, "string to sign", &*d.string_to_sign, sts);
    m.eq(id, "signature", &*d.signature, s(want, "signature"));
}

fn authorization(m: &mut Mismatches, id: &str, req: &Request<()>, want: &Value) {
    let auth = req.headers()["authorization"].to_str().unwrap();
    m.eq(id, "authorization", auth, s(want, "authorization"));
}

fn v2_header(algorithm: &str, mode: ObsMode) {
    replay(algorithm, |m, id, case, want| {
        let mut req = request(case);
        let d = v2_signer(case, mode)
            .sign_request_with_details(&mut req, &creds(case), time(case))
            .unwrap()
            .unwrap();
        details(m, id, &d, want);
        authorization(m, id, &req, want);
    })
}

fn v2_presign(algorithm: &str, mode: ObsMode) {
    replay(algorithm, |m, id, case, want| {
        let (method, h, creds) = (method(case), headers(case), creds(case));
        let signer = v2_signer(case, mode);
        let Some(uri) = presign_uri(case) else {
            let refused = signer.presign(
                &method,
                &request_uri(case),
                &h,
                &creds,
                time(case),
                expires(case),
            );
            m.eq(id, "refused", &refused.is_err(), &true);
            return;
        };
        let p = signer
            .presign(&method, &uri, &h, &creds, time(case), expires(case))
            .unwrap();
        details(m, id, p.details.as_ref().unwrap(), want);
        // Same parameters in the package's order: token, Expires, the key id, Signature.
        let got = appended_params(&uri, &p.url, id);
        m.eq(id, "appended query", &got, &query_pairs(&want["query"]));
    })
}

#[test]
fn native_header_matches_esdk_obs_python() {
    v2_header("obs_native_header", ObsMode::Native);
}

#[test]
fn native_presign_matches_esdk_obs_python() {
    v2_presign("obs_native_presign", ObsMode::Native);
}

#[test]
fn aws_v2_header_matches_esdk_obs_python() {
    v2_header("obs_awsv2_header", ObsMode::AwsV2);
}

#[test]
fn aws_v2_presign_matches_esdk_obs_python() {
    v2_presign("obs_awsv2_presign", ObsMode::AwsV2);
}

#[test]
fn v4_header_matches_esdk_obs_python() {
    replay("obs_v4_header", |m, id, case, want| {
        let mut req = request(case);
        let d = ObsV4Signer::new(s(case, "region"))
            .sign_request_with_details(&mut req, &creds(case), time(case))
            .unwrap()
            .unwrap();
        details(m, id, &d, want);
        authorization(m, id, &req, want);
    });
}

#[test]
fn v4_presign_matches_esdk_obs_python() {
    replay("obs_v4_presign", |m, id, case, want| {
        let (method, h, creds) = (method(case), headers(case), creds(case));
        let signer = ObsV4Signer::new(s(case, "region"));
        let Some(uri) = presign_uri(case) else {
            let refused = signer.presign(
                &method,
                &request_uri(case),
                &h,
                &creds,
                time(case),
                expires(case),
            );
            m.eq(id, "refused", &refused.is_err(), &true);
            return;
        };
        let p = signer
            .presign(&method, &uri, &h, &creds, time(case), expires(case))
            .unwrap();
        details(m, id, p.details.as_ref().unwrap(), want);
        // The package puts the token first; the order of query parameters carries no meaning.
        let mut got = appended_params(&uri, &p.url, id);
        let mut expected = query_pairs(&want["query"]);
        got.sort();
        expected.sort();
        m.eq(id, "appended query", &got, &expected);
    });
}

/// Every vector file of the OBS family is replayed above (a new algorithm needs a test).
#[test]
fn every_obs_vector_file_is_replayed() {
    let dir = format!(
        "{}/../../testdata/differential/vectors",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("obs_") && n.ends_with(".json"))
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "obs_awsv2_header.json",
            "obs_awsv2_presign.json",
            "obs_native_header.json",
            "obs_native_presign.json",
            "obs_v4_header.json",
            "obs_v4_presign.json",
        ]
    );
}
