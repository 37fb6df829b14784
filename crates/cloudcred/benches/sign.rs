//! cloudcred against reqsign on the same inputs (issue 6, row 6): an OSS V4 header signature and
//! an OSS V1 presigned URL (`reqsign-aliyun-oss`), an OBS V2 header signature
//! (`reqsign-huaweicloud-obs`), and the RPC signature of an STS AssumeRole call (reqsign has no
//! Alibaba RPC signer; `bench/python/bench.py` measures the Python SDKs on the same inputs). Both
//! libraries read the clock once per signature (reqsign has no public way to pin it), and both
//! start each iteration from a fresh copy of the request, so the figures compare signing work
//! only.

use chrono::Utc;
use cloudcred::sign::{rpc, ObsMode, ObsSigner, OssV1Signer, OssV4Signer};
use cloudcred::{Credentials, ProviderName};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use http::request::Parts;
use http::{HeaderValue, Method, Request, Uri};
use reqsign_aliyun_oss::{Credential, RequestSigner, SigningVersion};
use reqsign_core::{Context, SignRequest};
use std::hint::black_box;
use std::time::Duration;

const BUCKET: &str = "examplebucket";
const REGION: &str = "cn-hangzhou";
// A placeholder host: the signature of neither algorithm covers it, and nothing is sent.
const URL: &str = "https://examplebucket.oss.example.invalid/dir/photo%201.jpg?versionId=v1";

fn parts(method: Method) -> Parts {
    let mut req = Request::builder()
        .method(method)
        .uri(URL.parse::<Uri>().unwrap())
        .body(())
        .unwrap();
    let h = req.headers_mut();
    h.insert(
        "host",
        HeaderValue::from_static("examplebucket.oss.example.invalid"),
    );
    h.insert("content-type", HeaderValue::from_static("image/jpeg"));
    h.insert("x-oss-meta-author", HeaderValue::from_static("alice"));
    req.into_parts().0
}

fn bench(c: &mut Criterion) {
    let creds = Credentials::access_key(
        "LTAI5tExampleAccessKey",
        "ExampleAccessKeySecretValue0123",
        ProviderName::new("bench"),
    );
    let cred = Credential {
        access_key_id: "LTAI5tExampleAccessKey".to_owned(),
        access_key_secret: "ExampleAccessKeySecretValue0123".to_owned(),
        security_token: None,
        expires_in: None,
    };
    let ctx = Context::new();

    let put = parts(Method::PUT);
    let ours_v4 = OssV4Signer::new(REGION, Some(BUCKET));
    let theirs_v4 = RequestSigner::new(BUCKET)
        .with_region(REGION)
        .with_signing_version(SigningVersion::V4);
    let mut g = c.benchmark_group("oss_v4_header");
    g.bench_function("cloudcred", |b| {
        b.iter_batched(
            || Request::from_parts(put.clone(), ()),
            |mut req| {
                ours_v4.sign_request(&mut req, &creds, Utc::now()).unwrap();
                black_box(req)
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("reqsign", |b| {
        b.iter_batched(
            || put.clone(),
            |mut p| {
                futures::executor::block_on(theirs_v4.sign_request(
                    &ctx,
                    &mut p,
                    Some(&cred),
                    None,
                ))
                .unwrap();
                black_box(p)
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let get = parts(Method::GET);
    let uri: Uri = URL.parse().unwrap();
    let ours_v1 = OssV1Signer::new(Some(BUCKET));
    let theirs_v1 = RequestSigner::new(BUCKET);
    let expires = Duration::from_secs(3600);
    let mut g = c.benchmark_group("oss_v1_presign");
    g.bench_function("cloudcred", |b| {
        b.iter(|| {
            let p = ours_v1
                .presign(
                    &Method::GET,
                    &uri,
                    &get.headers,
                    &creds,
                    Utc::now(),
                    expires,
                )
                .unwrap();
            black_box(p)
        })
    });
    g.bench_function("reqsign", |b| {
        b.iter_batched(
            || get.clone(),
            |mut p| {
                futures::executor::block_on(theirs_v1.sign_request(
                    &ctx,
                    &mut p,
                    Some(&cred),
                    Some(expires),
                ))
                .unwrap();
                black_box(p)
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    // OBS V2 (native `OBS ak:sig` header), virtual-hosted, same object and metadata header.
    let obs_put = {
        let mut req = Request::builder()
            .method(Method::PUT)
            .uri(OBS_URL.parse::<Uri>().unwrap())
            .body(())
            .unwrap();
        let h = req.headers_mut();
        h.insert(
            "host",
            HeaderValue::from_static("examplebucket.obs.example.invalid"),
        );
        h.insert("content-type", HeaderValue::from_static("image/jpeg"));
        h.insert("x-obs-meta-author", HeaderValue::from_static("alice"));
        req.into_parts().0
    };
    let ours_obs = ObsSigner::new(ObsMode::Native, Some(BUCKET));
    let theirs_obs = reqsign_huaweicloud_obs::RequestSigner::new(BUCKET);
    let obs_cred = reqsign_huaweicloud_obs::Credential::new(
        "LTAI5tExampleAccessKey".to_owned(),
        "ExampleAccessKeySecretValue0123".to_owned(),
        None,
    );
    let mut g = c.benchmark_group("obs_v2_header");
    g.bench_function("cloudcred", |b| {
        b.iter_batched(
            || Request::from_parts(obs_put.clone(), ()),
            |mut req| {
                ours_obs.sign_request(&mut req, &creds, Utc::now()).unwrap();
                black_box(req)
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("reqsign", |b| {
        b.iter_batched(
            || obs_put.clone(),
            |mut p| {
                futures::executor::block_on(theirs_obs.sign_request(
                    &ctx,
                    &mut p,
                    Some(&obs_cred),
                    None,
                ))
                .unwrap();
                black_box(p)
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    // RPC HMAC-SHA1 of an STS AssumeRole GET: time and nonce pinned, as in bench/python.
    let time = chrono::DateTime::parse_from_rfc3339("2024-05-06T07:08:09Z")
        .unwrap()
        .with_timezone(&Utc);
    let mut g = c.benchmark_group("rpc_assume_role");
    g.bench_function("cloudcred", |b| {
        b.iter_batched(
            || Request::get(RPC_URL).body(Vec::<u8>::new()).unwrap(),
            |mut req| {
                rpc::sign_request(&mut req, &creds, time, RPC_NONCE).unwrap();
                black_box(req)
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    // The floor under the RPC figure: the HMAC of its string to sign alone.
    let mut signed = Request::get(RPC_URL).body(Vec::<u8>::new()).unwrap();
    let details = rpc::sign_request(&mut signed, &creds, time, RPC_NONCE)
        .unwrap()
        .unwrap();
    let sts = details.string_to_sign.clone();
    // The floor under the OSS V4 figure: hashing its canonical request and MACing its string to
    // sign with an already derived key (what the signer does on a cached-key day).
    let mut v4 = Request::from_parts(put.clone(), ());
    let v4_details = ours_v4
        .sign_request(&mut v4, &creds, Utc::now())
        .unwrap()
        .unwrap();
    let v4_canonical = v4_details.canonical_request.clone().unwrap();
    let v4_sts = v4_details.string_to_sign.clone();
    let v4_key = [7u8; 32];
    let mut g = c.benchmark_group("sign_parts");
    g.bench_function("oss_v4_hashing_with_derived_key", |b| {
        b.iter(|| {
            black_box(cloudcred::sign::primitives::sha256_hex(
                v4_canonical.as_bytes(),
            ));
            black_box(cloudcred::sign::primitives::hmac_sha256(
                &v4_key,
                v4_sts.as_bytes(),
            ))
        })
    });
    g.bench_function("rpc_hmac_sha1_of_string_to_sign", |b| {
        b.iter(|| black_box(rpc::hmac_signature("ExampleAccessKeySecretValue0123", &sts)))
    });
    g.finish();
}

const OBS_URL: &str = "https://examplebucket.obs.example.invalid/dir/photo%201.jpg?versionId=v1";
const RPC_URL: &str = "https://sts.example.invalid/?Action=AssumeRole&Format=JSON&Version=2015-04-01&DurationSeconds=3600&RoleArn=acs%3Aram%3A%3A1234567890123456%3Arole%2Fbench-role&RoleSessionName=cloudcred-bench";
const RPC_NONCE: &str = "3b7c2f9e-5a1d-4c8b-9e2f-0a1b2c3d4e5f";

criterion_group!(benches, bench);
criterion_main!(benches);
