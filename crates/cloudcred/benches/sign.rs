//! cloudcred against reqsign (`reqsign-aliyun-oss`) on the same inputs: an OSS V4 header
//! signature and an OSS V1 presigned URL. Both libraries read the clock once per signature
//! (reqsign has no public way to pin it), and both start each iteration from a fresh copy of the
//! request, so the figures compare signing work only.

use chrono::Utc;
use cloudcred::sign::{OssV1Signer, OssV4Signer};
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
}

criterion_group!(benches, bench);
criterion_main!(benches);
