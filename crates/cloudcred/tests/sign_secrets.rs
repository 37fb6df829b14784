//! No signer input, output record or error shows a planted secret, token or signature in `Debug`
//! or `Display`; bearer and anonymous credentials behave as signing.md §1.1 says.

use chrono::{DateTime, Utc};
use cloudcred::sign::{
    acs3, huawei_apig, roa, rpc, ObsMode, ObsSigner, ObsV4Signer, OssV1Signer, OssV4Signer,
    TablestoreSigner, TablestoreVersion,
};
use cloudcred::{Credentials, ProviderName};
use http::{HeaderMap, Method, Request, Uri};
use std::time::Duration;

const SECRET: &str = "PLANTED-SECRET-do-not-print";
const TOKEN: &str = "PLANTED-TOKEN-do-not-print";

fn t() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap()
}

fn req() -> Request<Vec<u8>> {
    Request::builder()
        .method(Method::PUT)
        .uri("https://bucket.h.example.invalid/key?acl")
        .body(b"{}".to_vec())
        .unwrap()
}

fn assert_clean(text: &str, signature: Option<&str>) {
    assert!(!text.contains(SECRET), "secret in: {text}");
    assert!(!text.contains(TOKEN), "token in: {text}");
    if let Some(sig) = signature {
        assert!(!text.contains(sig), "signature in: {text}");
    }
}

#[test]
fn debug_of_inputs_outputs_and_signed_headers_is_clean() {
    let c = Credentials::sts("STS.id", SECRET, TOKEN, None, ProviderName::new("t"));
    let url: Uri = "https://bucket.h.example.invalid/key".parse().unwrap();
    let exp = Duration::from_secs(60);
    let h = HeaderMap::new();

    let mut outputs = Vec::new();
    let mut header_signed = Vec::new();
    macro_rules! header_form {
        ($r:ident => $call:expr) => {{
            let mut $r = req();
            let d = $call.unwrap().unwrap();
            header_signed.push((format!("{:?}", $r.headers()), d.signature.clone()));
            outputs.push(d);
        }};
    }
    header_form!(r => roa::sign_request_with_details(&mut r, &c, t()));
    header_form!(r => acs3::sign_request_with_details(&mut r, &c, t(), "n"));
    header_form!(r => huawei_apig::sign_request_with_details(&mut r, &c, t()));
    let v1 = OssV1Signer::new(Some("bucket"));
    let v4 = OssV4Signer::new("r", Some("bucket"));
    let obs = ObsSigner::new(ObsMode::Native, Some("bucket"));
    let obs4 = ObsV4Signer::new("r");
    let ots = TablestoreSigner::new("i", TablestoreVersion::V2);
    header_form!(r => v1.sign_request_with_details(&mut r, &c, t()));
    header_form!(r => v4.sign_request_with_details(&mut r, &c, t()));
    header_form!(r => obs.sign_request_with_details(&mut r, &c, t()));
    header_form!(r => obs4.sign_request_with_details(&mut r, &c, t()));
    header_form!(r => ots.sign_request_with_details(&mut r, &c, t()));
    // RPC puts the token and the signature in the query by design; its record must be clean.
    outputs.push(
        rpc::sign_request_with_details(&mut req(), &c, t(), "n")
            .unwrap()
            .unwrap(),
    );

    let presigned = vec![
        v1.presign(&Method::GET, &url, &h, &c, t(), exp).unwrap(),
        v4.presign(&Method::GET, &url, &h, &c, t(), exp).unwrap(),
        obs.presign(&Method::GET, &url, &h, &c, t(), exp).unwrap(),
        obs4.presign(&Method::GET, &url, &h, &c, t(), exp).unwrap(),
    ];
    for p in &presigned {
        let sig = &p.details.as_ref().unwrap().signature;
        assert!(p.url.contains(TOKEN), "the token is in the URL itself");
        assert_clean(&format!("{p:?}"), Some(sig));
        assert_clean(&format!("{p:#?}"), Some(sig));
    }
    for d in &outputs {
        assert_clean(&format!("{d:?}"), Some(&d.signature));
    }
    for (debug, sig) in &header_signed {
        assert_clean(debug, Some(sig));
    }
    for signer in [
        format!("{v1:?}"),
        format!("{v4:?}"),
        format!("{obs:?}"),
        format!("{obs4:?}"),
        format!("{ots:?}"),
        format!("{c:?}"),
    ] {
        assert_clean(&signer, None);
    }
}

#[test]
fn errors_name_the_problem_not_the_value() {
    // A token that cannot be a header value: the error names the header, not the token.
    let bad_token = format!("{TOKEN}\n");
    let c = Credentials::sts(
        "id",
        SECRET,
        bad_token.as_str(),
        None,
        ProviderName::new("t"),
    );
    let e = OssV4Signer::new("r", Some("b"))
        .sign_request(&mut req(), &c, t())
        .unwrap_err();
    assert!(e.to_string().contains("x-oss-security-token"), "{e}");
    assert_clean(&format!("{e} {e:?}"), None);
}

#[cfg(feature = "rsa")]
#[test]
fn an_rsa_key_that_does_not_parse_is_not_echoed() {
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{SECRET}\n");
    let e = cloudcred::sign::RsaKey::from_pem(&pem).unwrap_err();
    assert_clean(&format!("{e} {e:?}"), None);
}

#[test]
fn bearer_credentials_are_refused_by_hmac_signers_and_placed_by_rpc_and_acs3() {
    let c = Credentials::bearer(TOKEN, ProviderName::new("bearer"));
    let errors = [
        roa::sign_request(&mut req(), &c, t()).unwrap_err(),
        huawei_apig::sign_request(&mut req(), &c, t()).unwrap_err(),
        OssV1Signer::new(Some("b"))
            .sign_request(&mut req(), &c, t())
            .unwrap_err(),
        OssV4Signer::new("r", Some("b"))
            .presign(
                &Method::GET,
                &"https://h.example.invalid/k".parse().unwrap(),
                &HeaderMap::new(),
                &c,
                t(),
                Duration::from_secs(1),
            )
            .unwrap_err(),
        ObsSigner::new(ObsMode::AwsV2, None)
            .sign_request(&mut req(), &c, t())
            .unwrap_err(),
        TablestoreSigner::new("i", TablestoreVersion::V2)
            .sign_request(&mut req(), &c, t())
            .unwrap_err(),
    ];
    for e in errors {
        assert!(e.to_string().contains("bearer token"), "{e}");
        assert_eq!(e.kind_name(), "signing");
        assert_clean(&format!("{e} {e:?}"), None);
    }

    let mut r = req();
    assert!(rpc::sign_request_with_details(&mut r, &c, t(), "n")
        .unwrap()
        .is_none());
    let mut fast = req();
    assert!(!rpc::sign_request(&mut fast, &c, t(), "n").unwrap());
    assert_eq!(fast.uri(), r.uri());
    let q = r.uri().query().unwrap();
    assert!(
        q.ends_with(&format!("&BearerToken={TOKEN}&SignatureType=BEARERTOKEN")),
        "{q}"
    );
    assert!(!q.contains("Signature="));

    let mut r = req();
    assert!(!acs3::sign_request(&mut r, &c, t(), "n").unwrap());
    assert_eq!(r.headers()["x-acs-bearer-token"], TOKEN);
    assert_eq!(r.headers()["x-acs-signature-type"], "BEARERTOKEN");
    assert!(!r.headers().contains_key("authorization"));
}

#[test]
fn anonymous_credentials_leave_requests_unsigned() {
    let c = Credentials::anonymous(ProviderName::new("anonymous"));
    let mut r = req();
    assert!(!OssV4Signer::new("r", Some("b"))
        .sign_request(&mut r, &c, t())
        .unwrap());
    assert!(OssV4Signer::new("r", Some("b"))
        .sign_request_with_details(&mut r, &c, t())
        .unwrap()
        .is_none());
    assert!(!ObsV4Signer::new("r").sign_request(&mut r, &c, t()).unwrap());
    assert!(!rpc::sign_request(&mut r, &c, t(), "n").unwrap());
    assert!(rpc::sign_request_with_details(&mut r, &c, t(), "n")
        .unwrap()
        .is_none());
    assert!(!acs3::sign_request(&mut r, &c, t(), "n").unwrap());
    assert!(r.headers().is_empty());
    assert_eq!(r.uri(), &req().uri().clone());
    let url: Uri = "https://h.example.invalid/k?x=1".parse().unwrap();
    let p = OssV1Signer::new(Some("b"))
        .presign(
            &Method::GET,
            &url,
            &HeaderMap::new(),
            &c,
            t(),
            Duration::from_secs(1),
        )
        .unwrap();
    assert_eq!(p.url, url.to_string());
    assert!(p.details.is_none());
}

/// The presigners' input errors (expiry, dot segments, region) name the input and the fix, never
/// the token, secret or the query of the URL they refused.
#[test]
fn presign_input_errors_are_clean() {
    let c = Credentials::sts("STS.id", SECRET, TOKEN, None, ProviderName::new("t"));
    let h = HeaderMap::new();
    let m = Method::GET;
    let day = Duration::from_secs(86_400);
    let query = "x-oss-security-token=PLANTED-TOKEN-do-not-print";
    let dotted: Uri = format!("https://bucket.h.example.invalid/a/../b?{query}")
        .parse()
        .unwrap();
    let plain: Uri = format!("https://bucket.h.example.invalid/k?{query}")
        .parse()
        .unwrap();
    let errors = [
        OssV1Signer::new(Some("bucket")).presign(&m, &dotted, &h, &c, t(), day),
        OssV1Signer::new(Some("bucket")).presign(&m, &plain, &h, &c, t(), Duration::ZERO),
        OssV4Signer::new("r", Some("bucket")).presign(&m, &plain, &h, &c, t(), day * 8),
        OssV4Signer::new("r/x", Some("bucket")).presign(&m, &plain, &h, &c, t(), day),
        ObsSigner::new(ObsMode::Native, Some("bucket")).presign(&m, &dotted, &h, &c, t(), day),
        ObsV4Signer::new("r").presign(&m, &plain, &h, &c, t(), day * 8),
    ];
    for e in errors {
        let e = e.unwrap_err();
        for text in [e.to_string(), format!("{e:?}")] {
            assert_clean(&text, None);
            assert!(!text.contains("x-oss-security-token"), "{text}");
        }
    }
}
