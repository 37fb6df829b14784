//! Every vector of `testdata/vectors/*.json` against the signers, intermediate strings included.
//!
//! The vectors give raw paths and query values; these tests build the percent-encoded URI the wire
//! contract expects (signing.md §1.1) and let the signers decode. Hosts come from the JSON when
//! they are signed; otherwise a placeholder host is used, since no test talks to a network.

mod common;

use chrono::{DateTime, NaiveDateTime, Utc};
use cloudcred::sign::encoding::{encode, encode_path};
use cloudcred::sign::{
    acs3, huawei_apig, primitives, roa, rpc, tablestore, ObsMode, ObsSigner, ObsV4Signer,
    OssV1Signer, OssV4Signer, TablestoreSigner, TablestoreVersion,
};
use cloudcred::{Credentials, ProviderName};
use common::encoded_query;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

fn load(file: &str) -> Value {
    let path = format!(
        "{}/../../testdata/vectors/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("missing string `{key}` in {v}"))
}

fn opt<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// `[[name, value|null], ...]` as pairs.
fn pairs(v: &Value) -> Vec<(String, Option<String>)> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_owned(),
                        p[1].as_str().map(str::to_owned),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn uri(base: &str, path: &str, query: &str) -> Uri {
    let mut u = format!("{base}{path}");
    if !query.is_empty() {
        u.push('?');
        u.push_str(query);
    }
    u.parse().unwrap_or_else(|e| panic!("{u}: {e}"))
}

fn headers(v: &Value) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, val) in pairs(v) {
        h.append(
            HeaderName::try_from(k.as_str()).unwrap(),
            HeaderValue::from_str(val.as_deref().unwrap_or("")).unwrap(),
        );
    }
    h
}

fn request(method: &str, uri: Uri, h: HeaderMap, body: &str) -> Request<Vec<u8>> {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .body(body.as_bytes().to_vec())
        .unwrap();
    *req.headers_mut() = h;
    req
}

fn creds(i: &Value) -> Credentials {
    let id = opt(i, "access_key_id").unwrap_or("ak");
    let secret = opt(i, "access_key_secret")
        .or_else(|| opt(i, "secret_access_key"))
        .unwrap_or("sk");
    let name = ProviderName::new("test");
    match opt(i, "security_token") {
        Some(t) => Credentials::sts(id, secret, t, None, name),
        None => Credentials::access_key(id, secret, name),
    }
}

fn epoch(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

fn basic(t: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(t, "%Y%m%dT%H%M%SZ")
        .unwrap()
        .and_utc()
}

fn extended(t: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%SZ")
        .unwrap()
        .and_utc()
}

fn header<'a, B>(req: &'a Request<B>, name: &str) -> &'a str {
    req.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no header {name}"))
        .to_str()
        .unwrap()
}

/// The query parameters of a URL as a set of encoded `name=value` strings.
fn query_set(url: &str) -> BTreeSet<String> {
    url.split_once('?')
        .map(|(_, q)| q.split('&').map(str::to_owned).collect())
        .unwrap_or_default()
}

fn vectors(doc: &Value) -> &Vec<Value> {
    doc["vectors"].as_array().unwrap()
}

/// Runs `check` on every vector of `file` and asserts that all ran.
fn run(file: &str, check: impl Fn(&str, &Value, &Value)) -> usize {
    let doc = load(file);
    let vs = vectors(&doc);
    assert!(!vs.is_empty(), "{file} has no vectors");
    for v in vs {
        let id = s(v, "id");
        check(id, &v["inputs"], &v["expected"]);
    }
    eprintln!("{file}: {} vectors passed", vs.len());
    vs.len()
}

const RPC_SIGNER_PARAMS: &[&str] = &[
    "AccessKeyId",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "Timestamp",
    "SecurityToken",
];

type Params = Vec<(String, String)>;

/// The (query, form) parameters of an RPC vector.
fn rpc_params(i: &Value) -> (Params, Params) {
    let flat = |v: &Value| -> Params {
        pairs(v)
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect()
    };
    if i.get("params").is_some() {
        (flat(&i["params"]), Vec::new())
    } else {
        (flat(&i["query"]), flat(&i["form"]))
    }
}

fn rpc_string_to_sign(i: &Value) -> String {
    let (query, form) = rpc_params(i);
    let all: Vec<_> = query.into_iter().chain(form).collect();
    rpc::string_to_sign(s(i, "method"), &all)
}

#[test]
fn rpc_vectors() {
    let n = run("rpc.json", |id, i, e| {
        let sts = rpc_string_to_sign(i);
        assert_eq!(sts, s(e, "string_to_sign"), "{id}");
        if let Some(cq) = opt(e, "canonicalized_query") {
            let (q, f) = rpc_params(i);
            let all: Vec<_> = q.into_iter().chain(f).collect();
            assert_eq!(rpc::canonicalized_query(&all), cq, "{id}");
        }
        let Some(secret) = opt(i, "access_key_secret") else {
            return;
        };
        let sig = rpc::hmac_signature(secret, &sts);
        assert_eq!(sig, s(e, "signature"), "{id}");
        if let Some(enc) = opt(e, "signature_urlencoded") {
            assert_eq!(encode(&sig), enc, "{id}");
        }

        // The same vector through the request signer: the caller's parameters only, the signer
        // adding its own from the credentials, the time and the nonce.
        let (query, form) = rpc_params(i);
        let find = |name: &str| {
            query
                .iter()
                .chain(&form)
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        let time = extended(&find("Timestamp"));
        let nonce = find("SignatureNonce");
        let keep = |p: &&(String, String)| !RPC_SIGNER_PARAMS.contains(&p.0.as_str());
        let caller_query: Vec<_> = query
            .iter()
            .filter(keep)
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect();
        let caller_form: Vec<_> = form
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect();
        let q = encoded_query(&caller_query);
        let host = opt(i, "host").unwrap_or("rpc.example.invalid");
        let mut h = HeaderMap::new();
        if !form.is_empty() {
            h.insert(
                "content-type",
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
        }
        let mut req = request(
            s(i, "method"),
            uri(&format!("https://{host}"), "/", &q),
            h,
            &encoded_query(&caller_form),
        );
        let mut fast = request(
            s(i, "method"),
            req.uri().clone(),
            req.headers().clone(),
            std::str::from_utf8(req.body()).unwrap(),
        );
        let details = rpc::sign_request_with_details(&mut req, &creds(i), time, &nonce)
            .unwrap()
            .unwrap();
        // Without the details, the same request.
        assert!(rpc::sign_request(&mut fast, &creds(i), time, &nonce).unwrap());
        assert_eq!((fast.uri(), fast.body()), (req.uri(), req.body()), "{id}");
        assert_eq!(details.string_to_sign, sts, "{id}");
        assert_eq!(details.signature, sig, "{id}");
        let signed_query = req.uri().query().unwrap();
        assert!(signed_query.starts_with(&q), "{id}: caller's query kept");
        assert!(
            signed_query.ends_with(&format!("&Signature={}", encode(&sig))),
            "{id}: {signed_query}"
        );
    });
    assert_eq!(n, 11);

    // The defect reference: what credentials-python produces with quote_plus. Ours must differ.
    let doc = load("rpc.json");
    for d in doc["defect_references"].as_array().unwrap() {
        let same = s(&d["inputs"], "same_as");
        let v = vectors(&doc).iter().find(|v| s(v, "id") == same).unwrap();
        let ours = rpc_string_to_sign(&v["inputs"]);
        assert_ne!(ours, s(&d["expected"], "string_to_sign"), "{}", s(d, "id"));
        let sig = rpc::hmac_signature(s(&v["inputs"], "access_key_secret"), &ours);
        assert_ne!(sig, s(&d["expected"], "signature"));
        assert_eq!(sig, s(&v["expected"], "signature"));
    }
}

#[test]
fn hmac_primitive_vectors() {
    let n = run("hmac_primitives.json", |id, i, e| {
        let mac = primitives::hmac_sha1(s(i, "key").as_bytes(), s(i, "message").as_bytes());
        assert_eq!(primitives::base64(&mac), s(e, "base64"), "{id}");
    });
    assert_eq!(n, 6);
}

#[test]
fn roa_vectors() {
    let n = run("roa.json", |id, i, e| {
        if let Some(expected) = opt(e, "canonical_headers") {
            assert_eq!(
                roa::canonical_headers(&headers(&i["headers"])).unwrap(),
                expected,
                "{id}"
            );
            return;
        }
        let q = encoded_query(&pairs(&i["query"]));
        let mut req = request(
            s(i, "method"),
            uri("https://roa.example.invalid", s(i, "path"), &q),
            headers(&i["headers"]),
            "",
        );
        assert_eq!(
            roa::string_to_sign(&req).unwrap(),
            s(e, "string_to_sign"),
            "{id}"
        );
        if let Some(fmt) = opt(i, "format") {
            assert_eq!(roa::accept_for_format(fmt), header(&req, "accept"));
        }
        if let Some(auth) = opt(e, "authorization") {
            let mut fast = request(
                req.method().as_str(),
                req.uri().clone(),
                req.headers().clone(),
                "",
            );
            let d = roa::sign_request_with_details(&mut req, &creds(i), epoch(0))
                .unwrap()
                .unwrap();
            // Without the details, the same request.
            assert!(roa::sign_request(&mut fast, &creds(i), epoch(0)).unwrap());
            assert_eq!(fast.headers(), req.headers(), "{id}");
            assert_eq!(d.string_to_sign, s(e, "string_to_sign"), "{id}");
            assert_eq!(d.signature, s(e, "signature"), "{id}");
            assert_eq!(header(&req, "authorization"), auth, "{id}");
        }
    });
    assert_eq!(n, 3);
}

fn check_acs3(id: &str, req: &mut Request<Vec<u8>>, i: &Value, e: &Value, time: DateTime<Utc>) {
    let nonce = opt(i, "nonce").unwrap_or("unused");
    let mut fast = request(
        req.method().as_str(),
        req.uri().clone(),
        req.headers().clone(),
        std::str::from_utf8(req.body()).unwrap(),
    );
    let d = acs3::sign_request_with_details(req, &creds(i), time, nonce)
        .unwrap()
        .unwrap();
    // Without the details, the same request.
    assert!(acs3::sign_request(&mut fast, &creds(i), time, nonce).unwrap());
    assert_eq!(fast.headers(), req.headers(), "{id}");
    let canonical = d.canonical_request.as_deref().unwrap();
    assert_eq!(canonical, s(e, "canonical_request"), "{id}");
    if let Some(h) = opt(e, "hashed_canonical_request") {
        assert_eq!(primitives::sha256_hex(canonical.as_bytes()), h, "{id}");
    }
    assert_eq!(d.string_to_sign, s(e, "string_to_sign"), "{id}");
    assert_eq!(d.signature, s(e, "signature"), "{id}");
    assert_eq!(header(req, "authorization"), s(e, "authorization"), "{id}");
}

#[test]
fn acs3_vectors() {
    let n = run("acs3.json", |id, i, e| {
        let q = encoded_query(&pairs(&i["query"]));
        let base = format!("https://{}", s(i, "host"));
        let mut req = request(
            s(i, "method"),
            uri(&base, s(i, "path"), &q),
            headers(&i["headers"]),
            s(i, "body"),
        );
        check_acs3(id, &mut req, i, e, epoch(0));
    });
    assert_eq!(n, 1);
}

#[test]
fn acs3_derived_vectors() {
    let doc = load("acs3_derived.json");
    assert_eq!(s(&doc["package"], "name"), "alibabacloud-openapi-util");
    let n = run("acs3_derived.json", |id, i, e| {
        let q = encoded_query(&pairs(&i["query"]));
        let path: Vec<_> = s(i, "path").split('/').map(|p| encode(p)).collect();
        let base = format!("https://{}", s(i, "host"));
        let mut req = request(
            s(i, "method"),
            uri(&base, &path.join("/"), &q),
            headers(&i["headers_before_signing"]),
            s(i, "body"),
        );
        check_acs3(id, &mut req, i, e, extended(s(i, "x_acs_date")));
        for (name, value) in e["signed_headers_sent"].as_object().unwrap() {
            assert_eq!(header(&req, name), value.as_str().unwrap(), "{id}: {name}");
        }
    });
    assert_eq!(n, 4);
}

fn oss_v1_signer(i: &Value) -> OssV1Signer {
    let extra: Vec<String> = i
        .get("extra_subresources")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|x| x.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    OssV1Signer::new(opt(i, "bucket")).with_extra_subresources(extra)
}

#[test]
fn oss_v1_vectors() {
    let n = run("oss_v1.json", |id, i, e| {
        let signer = oss_v1_signer(i);
        let q = encoded_query(&pairs(&i["query"]));
        let path = format!("/{}", encode_path(opt(i, "key").unwrap_or("")));
        if let Some(expires_at) = i.get("expires_at_epoch").and_then(Value::as_i64) {
            let u = uri(s(i, "endpoint"), &path, &q);
            assert_eq!(path, s(i, "url_path"), "{id}");
            // Any signing time works: only the absolute expiry is signed.
            let p = signer
                .presign(
                    &Method::GET,
                    &u,
                    &HeaderMap::new(),
                    &creds(i),
                    epoch(expires_at - 900),
                    Duration::from_secs(900),
                )
                .unwrap();
            let d = p.details.as_ref().unwrap();
            assert_eq!(d.string_to_sign, s(e, "string_to_sign"), "{id}");
            assert_eq!(d.signature, s(e, "signature"), "{id}");
            assert!(p.url.starts_with(&u.to_string()), "{id}: append only");
            if let Some(url) = opt(e, "url") {
                // The Go SDK sorts every parameter; cloudcred appends. Order is not significant.
                assert_eq!(p.url.split('?').next(), url.split('?').next(), "{id}");
                assert_eq!(query_set(&p.url), query_set(url), "{id}");
            }
        } else {
            let t = i["signing_time"]["epoch"].as_i64().unwrap();
            let u = uri("http://bucket.example.invalid", &path, &q);
            let mut plain = request(s(i, "method"), u.clone(), headers(&i["headers"]), "");
            let mut req = request(s(i, "method"), u, headers(&i["headers"]), "");
            let d = signer
                .sign_request_with_details(&mut req, &creds(i), epoch(t))
                .unwrap()
                .unwrap();
            assert_eq!(d.string_to_sign, s(e, "string_to_sign"), "{id}");
            assert_eq!(header(&req, "authorization"), s(e, "authorization"), "{id}");
            // The plain signer builds no details, in a working buffer: the same headers.
            assert!(signer
                .sign_request(&mut plain, &creds(i), epoch(t))
                .unwrap());
            assert_eq!(plain.headers(), req.headers(), "{id}");
            assert_eq!(
                header(&req, "date"),
                s(&i["signing_time"], "http_date"),
                "{id}"
            );
        }
    });
    assert_eq!(n, 7);
}

fn oss_v4_signer(i: &Value) -> OssV4Signer {
    let extra: Vec<&str> = i["additional_headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    let signer = match s(i, "product") {
        "oss-cloudbox" => OssV4Signer::cloudbox(s(i, "region"), opt(i, "bucket")),
        _ => OssV4Signer::new(s(i, "region"), opt(i, "bucket")),
    };
    signer.with_additional_headers(extra)
}

#[test]
fn oss_v4_vectors() {
    let n = run("oss_v4.json", |id, i, e| {
        let signer = oss_v4_signer(i);
        let q = encoded_query(&pairs(&i["query"]));
        let path = format!("/{}", encode_path(s(i, "key")));
        let u = uri("http://bucket.example.invalid", &path, &q);
        let t = i["signing_time"]["epoch"].as_i64().unwrap();
        assert_eq!(
            cloudcred::sign::time_format::iso8601_basic(epoch(t)),
            s(&i["signing_time"], "iso8601_basic")
        );
        let details;
        if let Some(expires_at) = i.get("expires_at_epoch").and_then(Value::as_i64) {
            let p = signer
                .presign(
                    &Method::from_bytes(s(i, "method").as_bytes()).unwrap(),
                    &u,
                    &headers(&i["headers"]),
                    &creds(i),
                    epoch(t),
                    Duration::from_secs((expires_at - t) as u64),
                )
                .unwrap();
            let (base, added) = p.url.split_at(u.to_string().len());
            assert_eq!(base, u.to_string(), "{id}: append only");
            let added: BTreeSet<String> = added[1..].split('&').map(str::to_owned).collect();
            let want: BTreeSet<String> = pairs(&e["query_added_encoded"])
                .into_iter()
                .map(|(k, v)| format!("{k}={}", v.unwrap()))
                .collect();
            assert_eq!(added, want, "{id}");
            details = p.details.unwrap();
            assert_eq!(details.signature, s(e, "signature"), "{id}");
        } else {
            let mut req = request(s(i, "method"), u, headers(&i["headers"]), "");
            details = signer
                .sign_request_with_details(&mut req, &creds(i), epoch(t))
                .unwrap()
                .unwrap();
            assert_eq!(header(&req, "authorization"), s(e, "authorization"), "{id}");
            // The plain signer streams the string to sign instead of building it: same request.
            let mut plain = request(
                s(i, "method"),
                req.uri().clone(),
                headers(&i["headers"]),
                "",
            );
            assert!(signer
                .sign_request(&mut plain, &creds(i), epoch(t))
                .unwrap());
            assert_eq!(plain.headers(), req.headers(), "{id}");
        }
        assert_eq!(
            details.canonical_request.as_deref(),
            Some(s(e, "canonical_request")),
            "{id}"
        );
        assert_eq!(details.string_to_sign, s(e, "string_to_sign"), "{id}");
    });
    assert_eq!(n, 12);
}

#[test]
fn tablestore_vectors() {
    let n = run("tablestore.json", |id, i, e| {
        if let Some(resp) = i.get("response_headers") {
            let h = headers(resp);
            let sts = tablestore::response_string_to_sign(&h, s(i, "api")).unwrap();
            assert_eq!(sts, s(e, "string_to_sign"), "{id}");
            let sig = primitives::base64(&primitives::hmac_sha1(
                s(i, "key").as_bytes(),
                sts.as_bytes(),
            ));
            assert_eq!(sig, s(e, "signature"), "{id}");
            let mut h = h;
            h.insert(
                "authorization",
                HeaderValue::from_str(&format!("OTS ak:{sig}")).unwrap(),
            );
            let c = Credentials::access_key("ak", s(i, "key"), ProviderName::new("t"));
            let signer = TablestoreSigner::new("myinstance", TablestoreVersion::V2);
            signer
                .verify_response(&h, s(i, "api"), &c, epoch(0))
                .unwrap();
            h.insert("x-ots-requestid", HeaderValue::from_static("forged"));
            assert!(signer
                .verify_response(&h, s(i, "api"), &c, epoch(0))
                .is_err());
            return;
        }
        let version = match opt(i, "region") {
            Some(region) => {
                let key = tablestore::v4_signing_key_base64(
                    s(i, "access_key_secret"),
                    s(i, "sign_date"),
                    region,
                );
                assert_eq!(key, s(e, "signing_key_base64"), "{id}");
                TablestoreVersion::V4 {
                    region: region.to_owned(),
                }
            }
            None => TablestoreVersion::V2,
        };
        let h = headers(&i["headers"]);
        let instance = h["x-ots-instancename"].to_str().unwrap().to_owned();
        let time = NaiveDateTime::parse_from_str(
            h["x-ots-date"].to_str().unwrap(),
            "%Y-%m-%dT%H:%M:%S%.3fZ",
        )
        .unwrap()
        .and_utc();
        // The signer adds the credential and V4 headers itself: start from the others.
        let mut given = HeaderMap::new();
        for name in ["x-ots-date", "x-ots-apiversion", "x-ots-instancename"] {
            given.insert(name, h[name].clone());
        }
        let u = uri("https://inst.example.invalid", s(i, "path"), "");
        let mut plain = request(s(i, "method"), u.clone(), given.clone(), "");
        let mut req = request(s(i, "method"), u, given, "");
        let signer = TablestoreSigner::new(&instance, version);
        let d = signer
            .sign_request_with_details(&mut req, &creds(i), time)
            .unwrap()
            .unwrap();
        // The plain signer builds no details, in a working buffer: the same headers.
        assert!(signer.sign_request(&mut plain, &creds(i), time).unwrap());
        assert_eq!(plain.headers(), req.headers(), "{id}");
        assert_eq!(d.string_to_sign, s(e, "string_to_sign"), "{id}");
        let (name, value) = (
            e["header"][0].as_str().unwrap(),
            e["header"][1].as_str().unwrap(),
        );
        assert_eq!(header(&req, name), value, "{id}");
        assert_eq!(d.signature, value, "{id}");
        for (name, value) in pairs(&i["headers"]) {
            assert_eq!(header(&req, &name), value.unwrap(), "{id}: {name}");
        }
    });
    assert_eq!(n, 5);
}

fn obs_mode(i: &Value) -> ObsMode {
    match s(i, "signature_mode") {
        "v2" => ObsMode::AwsV2,
        _ => ObsMode::Native,
    }
}

#[test]
fn obs_vectors() {
    let n = run("obs.json", |id, i, e| {
        let q = encoded_query(&pairs(&i["query"]));
        let path = format!("/{}", encode_path(opt(i, "key").unwrap_or("")));
        let h = headers(&i["headers"]);
        let method = Method::from_bytes(s(i, "method").as_bytes()).unwrap();
        if s(i, "signature_mode") == "v4" {
            let host = h["host"].to_str().unwrap().to_owned();
            let u = uri(&format!("https://{host}"), &path, &q);
            let t = basic(s(&i["signing_time"], "iso8601_basic"));
            let signer = ObsV4Signer::new(s(i, "region"));
            let d = if s(i, "kind") == "presign" {
                let secs = i["expires_in"].as_u64().unwrap();
                let p = signer
                    .presign(&method, &u, &h, &creds(i), t, Duration::from_secs(secs))
                    .unwrap();
                assert!(p.url.starts_with(&u.to_string()), "{id}");
                let qs = query_set(&p.url);
                let sig = s(e, "x_amz_signature");
                assert!(qs.contains(&format!("X-Amz-Signature={sig}")), "{id}");
                if let Some(sh) = opt(e, "x_amz_signed_headers_encoded") {
                    assert!(qs.contains(&format!("X-Amz-SignedHeaders={sh}")), "{id}");
                }
                let d = p.details.unwrap();
                assert_eq!(d.signature, sig, "{id}");
                d
            } else {
                let mut req = request(s(i, "method"), u, h, "");
                let d = signer
                    .sign_request_with_details(&mut req, &creds(i), t)
                    .unwrap()
                    .unwrap();
                assert_eq!(header(&req, "authorization"), s(e, "authorization"), "{id}");
                // The plain signer streams the string to sign instead of building it.
                let mut plain = request(
                    s(i, "method"),
                    req.uri().clone(),
                    headers(&i["headers"]),
                    "",
                );
                assert!(signer.sign_request(&mut plain, &creds(i), t).unwrap());
                assert_eq!(plain.headers(), req.headers(), "{id}");
                d
            };
            assert_eq!(
                d.canonical_request.as_deref(),
                Some(s(e, "canonical_request")),
                "{id}"
            );
            assert_eq!(d.string_to_sign, s(e, "string_to_sign"), "{id}");
            return;
        }

        let signer = ObsSigner::new(obs_mode(i), opt(i, "bucket"));
        let base = match (opt(i, "server"), opt(i, "bucket")) {
            // Virtual-hosted: the bucket joins the server's host name.
            (Some(server), Some(bucket)) => server.replacen("://", &format!("://{bucket}."), 1),
            _ => "https://bucket.obs.example.invalid".to_owned(),
        };
        let u = uri(&base, &path, &q);
        let expires = match (
            i.get("expires_at_epoch").and_then(Value::as_i64),
            i.get("now_epoch").and_then(Value::as_i64),
        ) {
            (Some(at), _) => Some((epoch(at - 300), Duration::from_secs(300))),
            (None, Some(now)) => Some((
                epoch(now),
                Duration::from_secs(i["expires_in"].as_u64().unwrap()),
            )),
            _ => None,
        };
        if let Some((t, dur)) = expires {
            let p = signer.presign(&method, &u, &h, &creds(i), t, dur).unwrap();
            let d = p.details.as_ref().unwrap();
            assert_eq!(d.string_to_sign, s(e, "string_to_sign"), "{id}");
            assert_eq!(d.signature, s(e, "signature"), "{id}");
            if let Some(url) = opt(e, "url") {
                assert_eq!(p.url, url, "{id}");
            }
        } else if let Some(auth) = opt(e, "authorization") {
            let mut plain = request(s(i, "method"), u.clone(), h.clone(), "");
            let mut req = request(s(i, "method"), u, h, "");
            let d = signer
                .sign_request_with_details(&mut req, &creds(i), epoch(0))
                .unwrap()
                .unwrap();
            assert_eq!(d.string_to_sign, s(e, "string_to_sign"), "{id}");
            assert_eq!(header(&req, "authorization"), auth, "{id}");
            // The plain signer builds no details, in a working buffer: the same headers.
            assert!(signer
                .sign_request(&mut plain, &creds(i), epoch(0))
                .unwrap());
            assert_eq!(plain.headers(), req.headers(), "{id}");
        } else {
            let sts = signer.string_to_sign(&method, &u, &h, None, &[]).unwrap();
            assert_eq!(sts, s(e, "string_to_sign"), "{id}");
        }
    });
    assert_eq!(n, 13);
}

#[test]
fn huawei_apig_vectors() {
    let n = run("huawei_apig.json", |id, i, e| {
        let q = encoded_query(&pairs(&i["query"]));
        let base = format!("{}://{}", s(i, "scheme"), s(i, "host"));
        let h = headers(&i["headers"]);
        let t = basic(h["x-sdk-date"].to_str().unwrap());
        let mut req = request(
            s(i, "method"),
            uri(&base, s(i, "path"), &q),
            h,
            s(i, "body"),
        );
        if let Some(hash) = opt(e, "body_sha256") {
            assert_eq!(primitives::sha256_hex(s(i, "body").as_bytes()), hash);
        }
        let mut fast = request(
            s(i, "method"),
            req.uri().clone(),
            req.headers().clone(),
            s(i, "body"),
        );
        let d = huawei_apig::sign_request_with_details(&mut req, &creds(i), t)
            .unwrap()
            .unwrap();
        // Without the details, the same request.
        assert!(huawei_apig::sign_request(&mut fast, &creds(i), t).unwrap());
        assert_eq!(fast.headers(), req.headers(), "{id}");
        assert_eq!(
            d.canonical_request.as_deref(),
            Some(s(e, "canonical_request")),
            "{id}"
        );
        assert_eq!(d.string_to_sign, s(e, "string_to_sign"), "{id}");
        assert_eq!(header(&req, "authorization"), s(e, "authorization"), "{id}");
    });
    assert_eq!(n, 2);
}

/// Every vector file of the directory is exercised by a test above.
#[test]
fn no_vector_file_is_left_out() {
    let dir = format!("{}/../../testdata/vectors", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "acs3.json",
            "acs3_derived.json",
            "hmac_primitives.json",
            "huawei_apig.json",
            "obs.json",
            "oss_v1.json",
            "oss_v4.json",
            "roa.json",
            "rpc.json",
            "tablestore.json"
        ]
    );
}
