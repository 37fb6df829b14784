//! Property tests of the signers: no panic on arbitrary input, percent-encoding round trips, and
//! header-name case and order never changing a signature (http lower-cases names, and every
//! algorithm sorts its canonical headers).

use chrono::{DateTime, Utc};
use cloudcred::sign::encoding::{decode, encode, encode_path};
use cloudcred::sign::{
    acs3, huawei_apig, roa, rpc, ObsMode, ObsSigner, ObsV4Signer, OssV1Signer, OssV4Signer,
    TablestoreSigner, TablestoreVersion,
};
use cloudcred::{Credentials, ProviderName};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};
use proptest::prelude::*;
use std::time::Duration;

fn time(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

fn creds(id: &str, secret: &str, token: Option<&str>) -> Credentials {
    let name = ProviderName::new("prop");
    match token {
        Some(t) => Credentials::sts(id, secret, t, None, name),
        None => Credentials::access_key(id, secret, name),
    }
}

/// Runs every signer and presigner on one request; results may be errors, never panics.
fn sign_everything(
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    c: &Credentials,
    t: DateTime<Utc>,
    exp: Duration,
) {
    let req = || {
        let mut r = Request::builder()
            .method(Method::POST)
            .uri(uri.clone())
            .body(body.to_vec())
            .unwrap();
        *r.headers_mut() = headers.clone();
        r
    };
    let _ = rpc::sign_request(&mut req(), c, t, "nonce");
    let _ = roa::sign_request(&mut req(), c, t);
    let _ = acs3::sign_request(&mut req(), c, t, "nonce");
    let _ = huawei_apig::sign_request(&mut req(), c, t);
    let v1 = OssV1Signer::new(Some("bucket")).with_extra_subresources(["resourceGroup"]);
    let _ = v1.sign_request(&mut req(), c, t);
    let _ = v1.presign(&Method::GET, uri, headers, c, t, exp);
    let v4 = OssV4Signer::new("cn-hangzhou", Some("bucket")).with_additional_headers(["abc"]);
    let _ = v4.sign_request(&mut req(), c, t);
    let _ = v4.presign(&Method::GET, uri, headers, c, t, exp);
    for version in [
        TablestoreVersion::V2,
        TablestoreVersion::V4 {
            region: "cn-hangzhou".into(),
        },
    ] {
        let _ = TablestoreSigner::new("inst", version).sign_request(&mut req(), c, t);
    }
    for mode in [ObsMode::Native, ObsMode::AwsV2] {
        let s = ObsSigner::new(mode, Some("bucket"));
        let _ = s.sign_request(&mut req(), c, t);
        let _ = s.presign(&Method::GET, uri, headers, c, t, exp);
    }
    let v4 = ObsV4Signer::new("cn-north-4");
    let _ = v4.sign_request(&mut req(), c, t);
    let _ = v4.presign(&Method::GET, uri, headers, c, t, exp);
}

fn header_name() -> impl Strategy<Value = String> {
    "(x-oss-|x-obs-|x-acs-|x-ots-|x-amz-|content-|)[a-z0-9_-]{1,12}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn encoding_round_trips(s in any::<String>()) {
        let strict = encode(&s);
        let path = encode_path(&s);
        prop_assert_eq!(decode(&strict).unwrap(), s.as_str());
        prop_assert_eq!(decode(&path).unwrap(), s.as_str());
        // Strict output holds only unreserved characters and escapes.
        prop_assert!(encode(&s).bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)));
    }

    #[test]
    fn signing_never_panics(
        id in any::<String>(),
        secret in any::<String>(),
        token in proptest::option::of(any::<String>()),
        query in any::<String>(),
        path in any::<String>(),
        headers in proptest::collection::vec((header_name(), any::<String>()), 0..6),
        body in proptest::collection::vec(any::<u8>(), 0..64),
        secs in 0i64..4_102_444_800,
        expires in any::<u64>(),
    ) {
        // Arbitrary text becomes a URI the way a caller would build one: encoded, or, when the
        // raw text happens to parse, as is.
        let encoded = format!("https://h.example.invalid/{}?{}", encode_path(&path), encode(&query));
        let raw = format!("https://h.example.invalid/{path}?{query}");
        let mut h = HeaderMap::new();
        for (name, value) in &headers {
            if let (Ok(n), Ok(v)) = (HeaderName::try_from(name.as_str()), HeaderValue::from_str(value)) {
                h.append(n, v);
            }
        }
        let c = creds(&id, &secret, token.as_deref());
        for u in [encoded, raw] {
            if let Ok(uri) = u.parse::<Uri>() {
                sign_everything(&uri, &h, &body, &c, time(secs), Duration::from_secs(expires));
            }
        }
    }

    #[test]
    fn header_case_and_order_do_not_change_signatures(
        headers in proptest::collection::btree_map(header_name(), "[ -~]{0,16}", 1..6),
        secs in 0i64..4_102_444_800,
    ) {
        let uri: Uri = "https://bucket.h.example.invalid/k%20ey?acl&b=1".parse().unwrap();
        let c = creds("ak", "sk", Some("token"));
        let t = time(secs);
        let build = |upper: bool, reverse: bool| {
            let mut pairs: Vec<_> = headers.iter().collect();
            if reverse {
                pairs.reverse();
            }
            let mut r = Request::builder().method(Method::PUT).uri(uri.clone()).body(Vec::new()).unwrap();
            for (name, value) in pairs {
                let name = if upper { name.to_ascii_uppercase() } else { name.clone() };
                r.headers_mut().append(
                    HeaderName::try_from(name.as_str()).unwrap(),
                    HeaderValue::from_str(value).unwrap(),
                );
            }
            r
        };
        let signatures = |upper: bool, reverse: bool| {
            let v4 = OssV4Signer::new("r", Some("bucket"));
            let v1 = OssV1Signer::new(Some("bucket"));
            let obs = ObsSigner::new(ObsMode::Native, Some("bucket"));
            vec![
                v4.sign_request_with_details(&mut build(upper, reverse), &c, t).unwrap().unwrap().signature,
                v1.sign_request_with_details(&mut build(upper, reverse), &c, t).unwrap().unwrap().signature,
                obs.sign_request_with_details(&mut build(upper, reverse), &c, t).unwrap().unwrap().signature,
                acs3::sign_request_with_details(&mut build(upper, reverse), &c, t, "n").unwrap().unwrap().signature,
                roa::sign_request_with_details(&mut build(upper, reverse), &c, t).unwrap().unwrap().signature,
                huawei_apig::sign_request_with_details(&mut build(upper, reverse), &c, t).unwrap().unwrap().signature,
                ObsV4Signer::new("r").sign_request_with_details(&mut build(upper, reverse), &c, t).unwrap().unwrap().signature,
            ]
        };
        let base = signatures(false, false);
        prop_assert_eq!(&base, &signatures(true, false));
        prop_assert_eq!(&base, &signatures(false, true));
        prop_assert_eq!(&base, &signatures(true, true));
    }
}
