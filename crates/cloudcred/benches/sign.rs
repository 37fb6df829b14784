//! Every signer, its hashing floor, and reqsign where it has the same signer (issues 6 and 12).
//!
//! Group `<algorithm>` holds `cloudcred` (and `reqsign` for OSS V4 header, OSS V1 presign and
//! OBS V2 header); group `sign_parts` holds, under the same algorithm name, the *floor*: the
//! hashing and MACs that algorithm cannot avoid on these inputs, measured on the strings the
//! signer itself produced (SHA-256 of the canonical request and one HMAC with an already derived
//! key for the V4 family, one HMAC of the string to sign for the HMAC-SHA1 family, plus the body
//! hash where the algorithm must hash the body). `bench/report.py` divides the two.
//!
//! Both libraries read the clock once per signature (reqsign has no public way to pin it;
//! cloudcred's cases read [`cloudcred::sign::signing_time`], the clock it offers signers), and
//! both start each iteration from a fresh request, which they sign in place behind a `&mut`
//! (criterion's `iter_batched_ref`), as a client does: the figures compare signing work only,
//! not the moves of a 200-byte request into and out of the measured closure.
//! Every request is built as a client builds one (`Request::builder()`, then its headers), never
//! cloned: a cloned `HeaderMap` has no spare room, so the first header a signer adds would
//! reallocate it, a cost of the clone that no client request carries. RPC and ACS3 pin time and nonce, as in bench/python.
//!
//! Batches hold 32 requests: with criterion's `SmallInput` (thousands of live requests a batch)
//! glibc returned the top of the heap to the kernel after each batch and page-faulted it back in
//! the next (a third of ROA's samples in a profile of that pattern, and up to 40 % between runs
//! of ROA and ACS3); a client signing one request after another keeps a warm heap.
//!
//! `CLOUDCRED_SIGN_LOOP=<algorithm>[/floor]:<n>[:<rounds>]` runs one case `n` times (`rounds`
//! times over, for a sampling profiler such as `perf record`: `:32:20000` gives criterion's
//! batches) instead of criterion,
//! for `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measured*'`: the
//! requests are built before and dropped after the collected function, so the instruction count
//! divided by `n` is the signing work alone (see docs/benchmarks.md). It prints the median time
//! per call over the rounds, which `bench/paired_ratio.py` reads: it alternates a signer's loop
//! with its floor's, so that both are timed under the same load.

use chrono::{DateTime, Utc};
use cloudcred::sign::primitives::{hmac_sha1, hmac_sha256};
use cloudcred::sign::tablestore::v4_signing_key_base64;
use cloudcred::sign::{
    acs3, huawei_apig, roa, rpc, signing_time, ObsMode, ObsSigner, ObsV4Signer, OssV1Signer,
    OssV4Signer, SigningDetails, TablestoreSigner, TablestoreVersion,
};
use cloudcred::{Credentials, ProviderName};
use criterion::{BatchSize, Criterion};
use http::request::Parts;
use http::{HeaderValue, Method, Request, Uri};
use md5::Digest as _;
use reqsign_aliyun_oss::{Credential, RequestSigner, SigningVersion};
use reqsign_core::{Context, SignRequest};
use std::hint::black_box;
use std::time::{Duration, Instant};

const BUCKET: &str = "examplebucket";
const REGION: &str = "cn-hangzhou";
const AK: &str = "LTAI5tExampleAccessKey";
const SK: &str = "ExampleAccessKeySecretValue0123";
// Placeholder hosts: nothing is sent.
const URL: &str = "https://examplebucket.oss.example.invalid/dir/photo%201.jpg?versionId=v1";
const OBS_URL: &str = "https://examplebucket.obs.example.invalid/dir/photo%201.jpg?versionId=v1";
const RPC_URL: &str = "https://sts.example.invalid/?Action=AssumeRole&Format=JSON&Version=2015-04-01&DurationSeconds=3600&RoleArn=acs%3Aram%3A%3A1234567890123456%3Arole%2Fbench-role&RoleSessionName=cloudcred-bench";
const RPC_POST_URL: &str =
    "https://sts.example.invalid/?Action=AssumeRole&Format=JSON&Version=2015-04-01";
const RPC_FORM: &str = "DurationSeconds=3600&RoleArn=acs%3Aram%3A%3A1234567890123456%3Arole%2Fbench-role&RoleSessionName=cloudcred-bench";
const RPC_NONCE: &str = "3b7c2f9e-5a1d-4c8b-9e2f-0a1b2c3d4e5f";
const ACS3_URL: &str = "https://ecs.example.invalid/?InstanceIds=%5B%22i-bp67acfmxazb4p%22%5D&PageSize=10&RegionId=cn-hangzhou";
const ROA_URL: &str =
    "https://cs.example.invalid/clusters/c82e6987e2961451182edacd74faf3ae/nodes?pageNumber=1&pageSize=10";
const OTS_URL: &str = "https://bench-instance.cn-hangzhou.ots.example.invalid/GetRow";
const APIG_URL: &str = "https://iam.example.invalid/v3/projects?name=cn-north-4&page=1";

/// Runs each case under criterion, or one case in a loop for callgrind.
enum Mode<'c> {
    Criterion(&'c mut Criterion),
    Loop {
        case: String,
        n: usize,
        rounds: usize,
    },
}

impl Mode<'_> {
    fn case<I, O>(
        &mut self,
        group: &str,
        name: &str,
        setup: impl Fn() -> I,
        routine: impl Fn(&mut I) -> O,
    ) {
        match self {
            Mode::Criterion(c) => {
                let mut g = c.benchmark_group(group);
                g.bench_function(name, |b| {
                    b.iter_batched_ref(&setup, &routine, BatchSize::NumIterations(32))
                });
                g.finish();
            }
            Mode::Loop { case, n, rounds } => {
                let this = if name == "floor" {
                    format!("{group}/floor")
                } else {
                    format!("{group}/{name}")
                };
                let wanted = if case.contains('/') {
                    case.clone()
                } else {
                    format!("{case}/cloudcred")
                };
                if this == wanted {
                    let mut per_call = Vec::with_capacity(*rounds);
                    for _ in 0..*rounds {
                        let mut inputs: Vec<I> = (0..*n).map(|_| setup()).collect();
                        // Timed around the collected function, so callgrind never counts it.
                        let start = Instant::now();
                        let out = measured(&mut inputs, &routine);
                        per_call.push(start.elapsed().as_secs_f64() * 1e9 / *n as f64);
                        drop(black_box(out));
                    }
                    // The median time per call, for bench/paired_ratio.py.
                    per_call.sort_by(f64::total_cmp);
                    println!("{:.3}", per_call[per_call.len() / 2]);
                }
            }
        }
    }

    /// The floor of `group`: in group `sign_parts` under criterion (where report.py reads it),
    /// `<group>/floor` in a loop.
    fn floor<O>(&mut self, group: &str, routine: impl Fn() -> O) {
        match self {
            Mode::Criterion(_) => self.case("sign_parts", group, || (), |_| routine()),
            Mode::Loop { .. } => self.case(group, "floor", || (), |_| routine()),
        }
    }
}

/// The collected function under callgrind (`--toggle-collect='*measured*'`).
#[inline(never)]
fn measured<I, O>(inputs: &mut [I], routine: &impl Fn(&mut I) -> O) -> Vec<O> {
    inputs.iter_mut().map(routine).collect()
}

/// An object PUT/GET with a content type and one metadata header (`meta`), as a reusable head.
fn object_parts(method: Method, url: &str, host: &'static str, meta: &'static str) -> Parts {
    let mut req = Request::builder()
        .method(method)
        .uri(url.parse::<Uri>().unwrap())
        .body(())
        .unwrap();
    let h = req.headers_mut();
    h.insert("host", HeaderValue::from_static(host));
    h.insert("content-type", HeaderValue::from_static("image/jpeg"));
    h.insert(meta, HeaderValue::from_static("alice"));
    req.into_parts().0
}

fn oss_parts(method: Method) -> Parts {
    object_parts(
        method,
        URL,
        "examplebucket.oss.example.invalid",
        "x-oss-meta-author",
    )
}

fn obs_parts(method: Method) -> Parts {
    object_parts(
        method,
        OBS_URL,
        "examplebucket.obs.example.invalid",
        "x-obs-meta-author",
    )
}

/// A request with `headers` and `body`, built fresh per iteration.
fn request(
    method: Method,
    url: &str,
    headers: &[(&'static str, &'static str)],
    body: &[u8],
) -> Request<Vec<u8>> {
    let mut req = Request::builder()
        .method(method)
        .uri(url)
        .body(body.to_vec())
        .unwrap();
    for (k, v) in headers {
        req.headers_mut().insert(*k, HeaderValue::from_static(v));
    }
    req
}

const ACS3_HEADERS: &[(&str, &str)] = &[
    ("x-acs-action", "DescribeInstances"),
    ("x-acs-version", "2014-05-26"),
];
const ROA_HEADERS: &[(&str, &str)] = &[
    ("accept", "application/json"),
    ("content-type", "application/json"),
    ("x-acs-version", "2015-12-15"),
];
const OTS_HEADERS: &[(&str, &str)] = &[];
const OTS_BODY: &[u8] =
    b"\n\x08bench_table\x12\x20\x03\x04\x00\x00\x00\x08\x00\x00\x00\x00pk-0001\x18\x01";
const APIG_HEADERS: &[(&str, &str)] = &[
    ("content-type", "application/json"),
    ("x-project-id", "0123456789abcdef0123456789abcdef"),
];

/// The hashing a V4-family signature cannot avoid: SHA-256 of its canonical request and one
/// HMAC-SHA256 of its string to sign under `key`.
fn v4_floor(d: &SigningDetails, key: &[u8]) -> impl Fn() -> [u8; 32] + use<> {
    let canonical = d.canonical_request.clone().unwrap();
    let sts = d.string_to_sign.clone();
    let key = key.to_vec();
    move || {
        black_box(sha2::Sha256::digest(canonical.as_bytes()));
        hmac_sha256(&key, sts.as_bytes())
    }
}

/// One HMAC-SHA1 of the string to sign under `key`: the floor of the HMAC-SHA1 family.
fn sha1_floor(d: &SigningDetails, key: &[u8]) -> impl Fn() -> [u8; 20] + use<> {
    let sts = d.string_to_sign.clone();
    let key = key.to_vec();
    move || hmac_sha1(&key, sts.as_bytes())
}

fn bench_all(mut m: Mode<'_>) {
    let creds = Credentials::access_key(AK, SK, ProviderName::new("bench"));
    let cred = Credential {
        access_key_id: AK.to_owned(),
        access_key_secret: SK.to_owned(),
        security_token: None,
        expires_in: None,
    };
    let ctx = Context::new();
    let expires = Duration::from_secs(3600);
    let pinned: DateTime<Utc> = DateTime::parse_from_rfc3339("2024-05-06T07:08:09Z")
        .unwrap()
        .with_timezone(&Utc);
    // Any derived key: the floor is the cost of one HMAC under a 32-byte key.
    let derived = [7u8; 32];
    let rpc_key = format!("{SK}&");

    // OSS V4, header form (PUT) and presigned URL (GET).
    let get = oss_parts(Method::GET);
    let uri: Uri = URL.parse().unwrap();
    let ours_v4 = OssV4Signer::new(REGION, Some(BUCKET));
    let theirs_v4 = RequestSigner::new(BUCKET)
        .with_region(REGION)
        .with_signing_version(SigningVersion::V4);
    m.case(
        "oss_v4_header",
        "cloudcred",
        || Request::from_parts(oss_parts(Method::PUT), ()),
        |req| {
            ours_v4.sign_request(req, &creds, signing_time()).unwrap();
        },
    );
    m.case(
        "oss_v4_header",
        "reqsign",
        || oss_parts(Method::PUT),
        |p| {
            futures::executor::block_on(theirs_v4.sign_request(&ctx, p, Some(&cred), None))
                .unwrap();
        },
    );
    let d = ours_v4
        .sign_request_with_details(
            &mut Request::from_parts(oss_parts(Method::PUT), ()),
            &creds,
            signing_time(),
        )
        .unwrap()
        .unwrap();
    m.floor("oss_v4_header", v4_floor(&d, &derived));

    m.case(
        "oss_v4_presign",
        "cloudcred",
        || (),
        |_| {
            ours_v4
                .presign(
                    &Method::GET,
                    &uri,
                    &get.headers,
                    &creds,
                    signing_time(),
                    expires,
                )
                .unwrap()
        },
    );
    let d = ours_v4
        .presign(
            &Method::GET,
            &uri,
            &get.headers,
            &creds,
            signing_time(),
            expires,
        )
        .unwrap()
        .details
        .unwrap();
    m.floor("oss_v4_presign", v4_floor(&d, &derived));

    // OSS V1, header form (PUT) and presigned URL (GET).
    let ours_v1 = OssV1Signer::new(Some(BUCKET));
    let theirs_v1 = RequestSigner::new(BUCKET);
    m.case(
        "oss_v1_header",
        "cloudcred",
        || Request::from_parts(oss_parts(Method::PUT), ()),
        |req| {
            ours_v1.sign_request(req, &creds, signing_time()).unwrap();
        },
    );
    let d = ours_v1
        .sign_request_with_details(
            &mut Request::from_parts(oss_parts(Method::PUT), ()),
            &creds,
            signing_time(),
        )
        .unwrap()
        .unwrap();
    m.floor("oss_v1_header", sha1_floor(&d, SK.as_bytes()));

    m.case(
        "oss_v1_presign",
        "cloudcred",
        || (),
        |_| {
            ours_v1
                .presign(
                    &Method::GET,
                    &uri,
                    &get.headers,
                    &creds,
                    signing_time(),
                    expires,
                )
                .unwrap()
        },
    );
    m.case(
        "oss_v1_presign",
        "reqsign",
        || oss_parts(Method::GET),
        |p| {
            futures::executor::block_on(theirs_v1.sign_request(
                &ctx,
                p,
                Some(&cred),
                Some(expires),
            ))
            .unwrap();
        },
    );
    let d = ours_v1
        .presign(
            &Method::GET,
            &uri,
            &get.headers,
            &creds,
            signing_time(),
            expires,
        )
        .unwrap()
        .details
        .unwrap();
    m.floor("oss_v1_presign", sha1_floor(&d, SK.as_bytes()));

    // OBS V2 (native `OBS ak:sig` header), virtual-hosted, same object and metadata header.
    let obs_get = obs_parts(Method::GET);
    let obs_uri: Uri = OBS_URL.parse().unwrap();
    let ours_obs = ObsSigner::new(ObsMode::Native, Some(BUCKET));
    let theirs_obs = reqsign_huaweicloud_obs::RequestSigner::new(BUCKET);
    let obs_cred = reqsign_huaweicloud_obs::Credential::new(AK.to_owned(), SK.to_owned(), None);
    m.case(
        "obs_v2_header",
        "cloudcred",
        || Request::from_parts(obs_parts(Method::PUT), ()),
        |req| {
            ours_obs.sign_request(req, &creds, signing_time()).unwrap();
        },
    );
    m.case(
        "obs_v2_header",
        "reqsign",
        || obs_parts(Method::PUT),
        |p| {
            futures::executor::block_on(theirs_obs.sign_request(&ctx, p, Some(&obs_cred), None))
                .unwrap();
        },
    );
    let d = ours_obs
        .sign_request_with_details(
            &mut Request::from_parts(obs_parts(Method::PUT), ()),
            &creds,
            signing_time(),
        )
        .unwrap()
        .unwrap();
    m.floor("obs_v2_header", sha1_floor(&d, SK.as_bytes()));

    // OBS V4 (AWS SigV4, service s3), header form (PUT) and presigned URL (GET).
    let ours_obs4 = ObsV4Signer::new(REGION);
    m.case(
        "obs_v4_header",
        "cloudcred",
        || Request::from_parts(obs_parts(Method::PUT), ()),
        |req| {
            ours_obs4.sign_request(req, &creds, signing_time()).unwrap();
        },
    );
    let d = ours_obs4
        .sign_request_with_details(
            &mut Request::from_parts(obs_parts(Method::PUT), ()),
            &creds,
            signing_time(),
        )
        .unwrap()
        .unwrap();
    m.floor("obs_v4_header", v4_floor(&d, &derived));
    m.case(
        "obs_v4_presign",
        "cloudcred",
        || (),
        |_| {
            ours_obs4
                .presign(
                    &Method::GET,
                    &obs_uri,
                    &obs_get.headers,
                    &creds,
                    signing_time(),
                    expires,
                )
                .unwrap()
        },
    );
    let d = ours_obs4
        .presign(
            &Method::GET,
            &obs_uri,
            &obs_get.headers,
            &creds,
            signing_time(),
            expires,
        )
        .unwrap()
        .details
        .unwrap();
    m.floor("obs_v4_presign", v4_floor(&d, &derived));

    // RPC HMAC-SHA1 of an STS AssumeRole call: GET with the query, POST with a form body.
    m.case(
        "rpc_assume_role",
        "cloudcred",
        || Request::get(RPC_URL).body(Vec::<u8>::new()).unwrap(),
        |req| {
            rpc::sign_request(req, &creds, pinned, RPC_NONCE).unwrap();
        },
    );
    let mut req = Request::get(RPC_URL).body(Vec::<u8>::new()).unwrap();
    let d = rpc::sign_request_with_details(&mut req, &creds, pinned, RPC_NONCE)
        .unwrap()
        .unwrap();
    m.floor("rpc_assume_role", sha1_floor(&d, rpc_key.as_bytes()));
    let form = || {
        Request::post(RPC_POST_URL)
            .body(RPC_FORM.as_bytes().to_vec())
            .unwrap()
    };
    m.case("rpc_assume_role_post", "cloudcred", form, |req| {
        rpc::sign_form_request(req, &creds, pinned, RPC_NONCE).unwrap();
    });
    let d = rpc::sign_form_request_with_details(&mut form(), &creds, pinned, RPC_NONCE)
        .unwrap()
        .unwrap();
    m.floor("rpc_assume_role_post", sha1_floor(&d, rpc_key.as_bytes()));

    // ACS3 (OpenAPI V3), an RPC-style call with its parameters in the query, empty body.
    let acs3_req = || request(Method::POST, ACS3_URL, ACS3_HEADERS, b"");
    m.case("acs3", "cloudcred", acs3_req, |req| {
        acs3::sign_request(req, &creds, pinned, RPC_NONCE).unwrap();
    });
    let d = acs3::sign_request_with_details(&mut acs3_req(), &creds, pinned, RPC_NONCE)
        .unwrap()
        .unwrap();
    let sts_floor = v4_floor(&d, SK.as_bytes());
    // ACS3 must hash the body for `x-acs-content-sha256`.
    m.floor("acs3", move || {
        black_box(sha2::Sha256::digest(b""));
        sts_floor()
    });

    // ROA HMAC-SHA1.
    let roa_req = || request(Method::GET, ROA_URL, ROA_HEADERS, b"");
    m.case("roa", "cloudcred", roa_req, |req| {
        roa::sign_request(req, &creds, signing_time()).unwrap();
    });
    let d = roa::sign_request_with_details(&mut roa_req(), &creds, signing_time())
        .unwrap()
        .unwrap();
    m.floor("roa", sha1_floor(&d, SK.as_bytes()));

    // Tablestore V4: the body's MD5 (`x-ots-contentmd5`) and one HMAC-SHA256 keyed with the
    // Base64 text of the derived key.
    let ots = TablestoreSigner::new(
        "bench-instance",
        TablestoreVersion::V4 {
            region: REGION.to_owned(),
        },
    );
    let ots_req = || request(Method::POST, OTS_URL, OTS_HEADERS, OTS_BODY);
    m.case("tablestore_v4", "cloudcred", ots_req, |req| {
        ots.sign_request(req, &creds, signing_time()).unwrap();
    });
    let d = ots
        .sign_request_with_details(&mut ots_req(), &creds, signing_time())
        .unwrap()
        .unwrap();
    let ots_key = v4_signing_key_base64(SK, "20240506", REGION);
    let ots_sts = d.string_to_sign.clone();
    m.floor("tablestore_v4", move || {
        black_box(md5::Md5::digest(OTS_BODY));
        hmac_sha256(ots_key.as_bytes(), ots_sts.as_bytes())
    });

    // Huawei APIG SDK-HMAC-SHA256, a GET without a body (its payload hash is a constant).
    let apig_req = || request(Method::GET, APIG_URL, APIG_HEADERS, b"");
    m.case("huawei_apig", "cloudcred", apig_req, |req| {
        huawei_apig::sign_request(req, &creds, signing_time()).unwrap();
    });
    let d = huawei_apig::sign_request_with_details(&mut apig_req(), &creds, signing_time())
        .unwrap()
        .unwrap();
    m.floor("huawei_apig", v4_floor(&d, SK.as_bytes()));
}

fn main() {
    if let Ok(spec) = std::env::var("CLOUDCRED_SIGN_LOOP") {
        let (case, n) = spec
            .split_once(':')
            .expect("CLOUDCRED_SIGN_LOOP=<case>:<n>[:<rounds>]");
        let (n, rounds) = n.split_once(':').unwrap_or((n, "1"));
        bench_all(Mode::Loop {
            case: case.to_owned(),
            n: n.parse().expect("a count"),
            rounds: rounds.parse().expect("a count of rounds"),
        });
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench_all(Mode::Criterion(&mut c));
    c.final_summary();
}
