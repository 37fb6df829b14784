//! The S3-compatible object endpoint: what object_store and aws-sdk-s3 speak to OSS and OBS
//! (their S3-compatible APIs), on a listener of its own, with path-style buckets.
//!
//! AWS Signature Version 4 is verified by [s3s] — the header form, presigned URLs and the
//! `aws-chunked` streaming payloads (signed chunks, and unsigned ones with a checksum trailer) —
//! so this check is an implementation no one here wrote, as the library's signers are not. The
//! fake cloud supplies what a service knows about its keys: the secret of every configured key
//! and of every key its STS (and Huawei's endpoints) issued; the security token an issued key
//! must come with (`x-amz-security-token`, header or query); its expiry on the fake's clock. Errors
//! carry S3's codes (`SignatureDoesNotMatch`, `InvalidAccessKeyId`, `InvalidToken`,
//! `ExpiredToken`, `AccessDenied`, `NoSuchKey`, `NoSuchBucket`) in S3's XML shape, written by s3s.
//!
//! Objects live in the store every object protocol shares ([`crate::objects`]); a `PUT` creates
//! its bucket, as the fake's other object endpoints do. Faults, counters and recorded requests
//! work as for the other endpoints, under [`Endpoint::S3`]. Of the faults, the ones with no S3
//! meaning (malformed or truncated JSON, expired credentials, a missing field, a slow body) leave
//! the answer as it is; an echo answers as its status does (S3's errors quote nothing back).
//!
//! s3s logs requests with `tracing` at debug level (target `s3s`): the authorization and
//! security-token headers are marked sensitive so they print redacted, but a presigned URL's
//! query is logged as sent. A program that records debug logs of every target while it uses this
//! endpoint should filter out `s3s`.

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use md5::{Digest, Md5};
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::dto::{
    CommonPrefix, CreateBucketInput, CreateBucketOutput, DeleteObjectInput, DeleteObjectOutput,
    DeleteObjectsInput, DeleteObjectsOutput, DeletedObject, ETag, GetObjectInput, GetObjectOutput,
    HeadBucketInput, HeadBucketOutput, HeadObjectInput, HeadObjectOutput, ListObjectsV2Input,
    ListObjectsV2Output, Object as S3Object, PutObjectInput, PutObjectOutput, StreamingBlob,
    Timestamp,
};
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::{s3_error, Body, S3Request, S3Response, S3Result, S3};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::http::Req;
use crate::model::{Endpoint, Fault, Verdict};
use crate::objects::{Listing, Object};
use crate::server;
use crate::state::{self, Shared};

/// Object bodies above this are refused: the tests move kilobytes, and a bound keeps a runaway
/// client from exhausting memory.
const MAX_OBJECT_BYTES: usize = 16 << 20;

/// S3's page size when `max-keys` is absent.
const DEFAULT_MAX_KEYS: usize = 1000;

/// Binds `addr` and serves the S3 protocol from `shared` until `shutdown` flips.
pub(crate) async fn start(
    addr: std::net::SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
) -> io::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let mut builder = S3ServiceBuilder::new(Store(shared.clone()));
    builder.set_auth(Keys(shared.clone()));
    builder.set_access(Tokens(shared.clone()));
    tokio::spawn(serve(listener, shared, builder.build(), shutdown));
    Ok(bound)
}

async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    s3: S3Service,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of descriptors or similar: back off instead of spinning.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let (shared, s3, mut stop) = (shared.clone(), s3.clone(), shutdown.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(shared.clone(), s3.clone(), req));
                    let conn = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::select! {
                        _ = conn => {}
                        _ = stop.changed() => {}
                    }
                });
            }
        }
    }
}

async fn handle(
    shared: Arc<Shared>,
    s3: S3Service,
    request: Request<Incoming>,
) -> Result<Response<Body>, io::Error> {
    let (parts, body) = request.into_parts();
    // Read whole so the request can be recorded like any other; s3s still parses `aws-chunked`
    // framing and checks every chunk signature from these bytes.
    let body = match Limited::new(body, MAX_OBJECT_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let reply = error_reply(
                413,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed object size.",
            );
            return Ok(reply);
        }
    };
    let recorded = Req::new(
        parts.method.to_string(),
        parts.uri.path().to_owned(),
        parts.uri.query().unwrap_or("").to_owned(),
        parts
            .headers
            .iter()
            .map(|(k, v)| {
                let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (k.as_str().to_owned(), v)
            })
            .collect(),
        body.to_vec(),
    );
    let fault = shared.arrive(Endpoint::S3);
    if let Some(Fault::Delay(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    let mut response = match &fault {
        Some(Fault::DropConnection) => {
            server::record(
                &shared,
                recorded,
                Some(Endpoint::S3),
                Verdict::Dropped,
                fault,
                None,
            );
            return Err(io::Error::other("connection dropped by fault injection"));
        }
        Some(Fault::Status(status) | Fault::Echo(status)) => {
            let (code, message) = fault_error(*status);
            error_reply(*status, code, message)
        }
        Some(Fault::Throttle) => error_reply(503, "SlowDown", "Please reduce your request rate."),
        Some(Fault::StatusWithBody(status, text)) => {
            let mut r = Response::new(Body::from(text.clone()));
            *r.status_mut() =
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            r
        }
        _ => {
            let mut parts = parts;
            // s3s logs each request at debug level: these print as `Sensitive` there. A
            // presigned URL's signature and token are in the URI, which it logs as it is.
            for name in ["authorization", "x-amz-security-token"] {
                if let Some(v) = parts.headers.get_mut(name) {
                    v.set_sensitive(true);
                }
            }
            let request = Request::from_parts(parts, Body::from(body));
            match s3.call(request).await {
                Ok(r) => r,
                Err(_) => error_reply(
                    500,
                    "InternalError",
                    "We encountered an internal error. Please try again.",
                ),
            }
        }
    };
    let status = response.status().as_u16();
    let verdict = if response.status().is_success() || response.status().is_redirection() {
        Verdict::Accepted
    } else {
        let code = response
            .body()
            .bytes()
            .and_then(|b| error_code(&b))
            .unwrap_or_else(|| status.to_string());
        Verdict::Rejected { status, code }
    };
    let headers = response.headers_mut();
    if let Ok(v) = state::request_id().parse() {
        headers.insert("x-amz-request-id", v);
    }
    if let Ok(v) = shared
        .now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
        .parse()
    {
        headers.insert("date", v);
    }
    let verified = matches!(verdict, Verdict::Accepted)
        .then(|| sigv4_claim(&recorded))
        .flatten();
    server::record(
        &shared,
        recorded,
        Some(Endpoint::S3),
        verdict,
        fault,
        verified,
    );
    Ok(response)
}

/// How an accepted request authenticated, for `RecordedRequest::verified`: the SigV4 form and
/// the key id (never the signature or the token).
fn sigv4_claim(req: &Req) -> Option<String> {
    let key_of = |credential: &str| credential.split('/').next().unwrap_or("").to_owned();
    if let Some((_, auth)) = req
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
    {
        let credential = auth.split("Credential=").nth(1)?;
        return Some(format!(
            "S3 SigV4 header signature of key {}",
            key_of(credential)
        ));
    }
    let (_, credential) = req.query.iter().find(|(k, _)| k == "X-Amz-Credential")?;
    Some(format!(
        "S3 SigV4 presigned URL of key {}",
        key_of(credential)
    ))
}

/// The S3 code and message of an injected status.
fn fault_error(status: u16) -> (&'static str, &'static str) {
    match status {
        403 => ("AccessDenied", "Access Denied"),
        404 => ("NoSuchKey", "The specified key does not exist."),
        429 | 503 => ("SlowDown", "Please reduce your request rate."),
        400..=499 => ("InvalidRequest", "Invalid Request"),
        _ => (
            "InternalError",
            "We encountered an internal error. Please try again.",
        ),
    }
}

/// An error answer written here (faults, oversized bodies), in the shape s3s writes its own.
fn error_reply(status: u16, code: &str, message: &str) -> Response<Body> {
    let id = state::request_id();
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>{id}</RequestId></Error>"
    );
    let mut r = Response::new(Body::from(xml));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = "application/xml".parse() {
        r.headers_mut().insert("content-type", v);
    }
    r
}

/// The `<Code>` of an S3 error body.
fn error_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let len = text[start..].find("</Code>")?;
    Some(text[start..start + len].to_owned())
}

/// The secret lookup s3s verifies signatures with: the keys the fake cloud knows.
struct Keys(Arc<Shared>);

#[async_trait::async_trait]
impl S3Auth for Keys {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        let key = known_key(&self.0, access_key).ok_or_else(|| {
            s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            )
        })?;
        if key.expiration.is_some_and(|e| e <= self.0.now()) {
            return Err(s3_error!(ExpiredToken, "The provided token has expired."));
        }
        Ok(SecretKey::from(key.secret))
    }
}

/// What the endpoint knows about a key: `(secret, token, expiration)`.
struct Known {
    secret: String,
    token: Option<String>,
    expiration: Option<DateTime<Utc>>,
}

/// A configured or Alibaba-issued key from the registry, else a Huawei-issued one from the log
/// (Huawei's endpoints do not register theirs as STS callers).
fn known_key(shared: &Shared, access_key: &str) -> Option<Known> {
    let m = shared.lock();
    if let Some(k) = m.keys.get(access_key) {
        return Some(Known {
            secret: k.secret.clone(),
            token: k.token.clone(),
            expiration: k.expiration,
        });
    }
    m.issued
        .iter()
        .rev()
        .find(|i| i.endpoint.is_huawei() && i.access_key_id == access_key)
        .map(|i| Known {
            secret: i.access_key_secret.clone(),
            token: i.security_token.clone(),
            expiration: Some(DateTime::<Utc>::from(i.expiration)),
        })
}

/// Runs after the signature is verified: anonymous requests are refused, and an issued key must
/// come with the token it was issued with.
struct Tokens(Arc<Shared>);

#[async_trait::async_trait]
impl S3Access for Tokens {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let Some(credentials) = cx.credentials() else {
            return Err(s3_error!(AccessDenied, "Access Denied"));
        };
        let Some(key) = known_key(&self.0, &credentials.access_key) else {
            return Err(s3_error!(InvalidAccessKeyId));
        };
        let Some(expected) = key.token else {
            return Ok(());
        };
        let sent = cx
            .headers()
            .get("x-amz-security-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| query_param(cx.uri().query().unwrap_or(""), "X-Amz-Security-Token"));
        match sent {
            Some(token) if token == expected => Ok(()),
            Some(_) => Err(s3_error!(
                InvalidToken,
                "The provided token is malformed or otherwise invalid."
            )),
            // S3's answer to temporary credentials without their token.
            None => Err(s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            )),
        }
    }
}

fn query_param(query: &str, name: &str) -> Option<String> {
    crate::rpc_signature::parse_pairs(query)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The S3 operations, over the shared store: PutObject, GetObject, HeadObject, DeleteObject,
/// DeleteObjects, ListObjectsV2, CreateBucket and HeadBucket; s3s answers `NotImplemented` to
/// the rest.
struct Store(Arc<Shared>);

fn timestamp(t: DateTime<Utc>) -> Timestamp {
    Timestamp::from(SystemTime::from(t))
}

impl Store {
    fn object(&self, bucket: &str, key: &str) -> S3Result<Object> {
        if !self.0.objects.bucket_exists(bucket) {
            return Err(s3_error!(
                NoSuchBucket,
                "The specified bucket does not exist."
            ));
        }
        self.0
            .objects
            .get(bucket, key)
            .ok_or_else(|| s3_error!(NoSuchKey, "The specified key does not exist."))
    }
}

#[async_trait::async_trait]
impl S3 for Store {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.0.objects.create_bucket(&req.input.bucket);
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(format!("/{}", req.input.bucket)),
        }))
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        if !self.0.objects.bucket_exists(&req.input.bucket) {
            return Err(s3_error!(NoSuchBucket));
        }
        Ok(S3Response::new(HeadBucketOutput::default()))
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let input = req.input;
        let body = match input.body {
            Some(blob) => read_all(blob).await?,
            None => Bytes::new(),
        };
        let etag = format!("\"{}\"", hex_md5(&body));
        let object = Object {
            body,
            content_type: input.content_type,
            meta: input
                .metadata
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect::<BTreeMap<_, _>>()
                .into_iter()
                .collect(),
            etag,
            last_modified: self.0.now(),
        };
        let out = PutObjectOutput {
            e_tag: Some(etag_of(&object.etag)),
            ..Default::default()
        };
        self.0.objects.put(&input.bucket, &input.key, object);
        Ok(S3Response::new(out))
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let object = self.object(&req.input.bucket, &req.input.key)?;
        Ok(S3Response::new(GetObjectOutput {
            content_length: Some(object.body.len() as i64),
            content_type: object.content_type.clone(),
            e_tag: Some(etag_of(&object.etag)),
            last_modified: Some(timestamp(object.last_modified)),
            metadata: Some(object.meta.iter().cloned().collect()),
            body: Some(StreamingBlob::from(Body::from(object.body))),
            ..Default::default()
        }))
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let object = self.object(&req.input.bucket, &req.input.key)?;
        Ok(S3Response::new(HeadObjectOutput {
            content_length: Some(object.body.len() as i64),
            content_type: object.content_type.clone(),
            e_tag: Some(etag_of(&object.etag)),
            last_modified: Some(timestamp(object.last_modified)),
            metadata: Some(object.meta.iter().cloned().collect()),
            ..Default::default()
        }))
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        if !self.0.objects.bucket_exists(&req.input.bucket) {
            return Err(s3_error!(
                NoSuchBucket,
                "The specified bucket does not exist."
            ));
        }
        self.0.objects.delete(&req.input.bucket, &req.input.key);
        Ok(S3Response::new(DeleteObjectOutput::default()))
    }

    /// The batch form object_store's `delete` uses (`POST ?delete`).
    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let input = req.input;
        if !self.0.objects.bucket_exists(&input.bucket) {
            return Err(s3_error!(
                NoSuchBucket,
                "The specified bucket does not exist."
            ));
        }
        let quiet = input.delete.quiet.unwrap_or(false);
        let mut deleted = Vec::new();
        for id in input.delete.objects {
            self.0.objects.delete(&input.bucket, &id.key);
            if !quiet {
                deleted.push(DeletedObject {
                    key: Some(id.key),
                    ..Default::default()
                });
            }
        }
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: Some(deleted),
            ..Default::default()
        }))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let max_keys = input
            .max_keys
            .map_or(DEFAULT_MAX_KEYS, |n| usize::try_from(n).unwrap_or(0));
        // The continuation token is the last key of the previous page: opaque to clients.
        let marker = input
            .continuation_token
            .as_deref()
            .or(input.start_after.as_deref());
        let Listing {
            objects,
            prefixes,
            next_marker,
        } = self
            .0
            .objects
            .list(
                &input.bucket,
                &prefix,
                input.delimiter.as_deref(),
                marker,
                max_keys,
            )
            .ok_or_else(|| s3_error!(NoSuchBucket, "The specified bucket does not exist."))?;
        let key_count = (objects.len() + prefixes.len()) as i32;
        let contents = objects
            .into_iter()
            .map(|(key, size, tag, modified)| S3Object {
                key: Some(key),
                size: Some(size as i64),
                e_tag: Some(etag_of(&tag)),
                last_modified: Some(timestamp(modified)),
                ..Default::default()
            })
            .collect();
        let common_prefixes = prefixes
            .into_iter()
            .map(|p| CommonPrefix { prefix: Some(p) })
            .collect();
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(prefix),
            delimiter: input.delimiter,
            max_keys: Some(max_keys as i32),
            key_count: Some(key_count),
            is_truncated: Some(next_marker.is_some()),
            continuation_token: input.continuation_token,
            start_after: input.start_after,
            next_continuation_token: next_marker,
            contents: Some(contents),
            common_prefixes: Some(common_prefixes),
            ..Default::default()
        }))
    }
}

fn etag_of(quoted: &str) -> ETag {
    ETag::Strong(quoted.trim_matches('"').to_owned())
}

fn hex_md5(body: &[u8]) -> String {
    Md5::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The whole body, `aws-chunked` framing already removed and verified by s3s.
async fn read_all(blob: StreamingBlob) -> S3Result<Bytes> {
    let mut body = Body::from(blob);
    body.store_all_limited(MAX_OBJECT_BYTES)
        .await
        // A chunk whose signature does not verify ends the stream with s3s's own error.
        .map_err(|e| match e.downcast::<s3s::S3Error>() {
            Ok(err) => *err,
            Err(e) => {
                let mut err = s3_error!(IncompleteBody);
                err.set_source(e);
                err
            }
        })
}
