//! `cloudcred sign --service oss|obs|tablestore|acs3 --url URL …`: sign a request and print the
//! headers to add, one `Name: value` per line, for `curl -H @file`.

use cloudcred::sign::{
    acs3, ObsMode, ObsSigner, ObsV4Signer, OssV1Signer, OssV4Signer, TablestoreSigner,
    TablestoreVersion,
};
use cloudcred::{Context, Error, Result};
use http::{HeaderMap, HeaderName, HeaderValue, Request, Uri};
use std::process::ExitCode;

use super::presign::HttpMethod;

/// `cloudcred sign`: the headers that sign a request, for `curl -H @file`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The signature to compute.
    #[arg(long, value_enum)]
    service: Service,
    /// The request URL, already percent-encoded as it will be sent.
    #[arg(long)]
    url: String,
    /// HTTP method of the request, in any case (`PUT`, `put`).
    #[arg(long, value_enum, ignore_case = true, default_value = "get")]
    method: HttpMethod,
    /// A header the request will carry (`Name: value`); repeatable.
    #[arg(long = "header", short = 'H')]
    headers: Vec<String>,
    /// A file with the request body (ACS3 and Tablestore hash it).
    #[arg(long)]
    body_file: Option<std::path::PathBuf>,
    /// Region (OSS V4, OBS V4, Tablestore V4).
    #[arg(long)]
    region: Option<String>,
    /// Bucket (OSS, OBS); default: the first label of a virtual-hosted host.
    #[arg(long)]
    bucket: Option<String>,
    /// Tablestore instance; default: the first label of the host.
    #[arg(long)]
    instance: Option<String>,
    /// Use the older signature version (OSS V1, Tablestore V2).
    #[arg(long)]
    v1: bool,
    /// OBS: V4 instead of the native signature.
    #[arg(long)]
    v4: bool,
    /// Profile of ~/.aliyun/config.json or ~/.alibabacloud/credentials; for `--service obs`
    /// (signed with the Huawei Cloud chain) the credential type, basic or global.
    #[arg(long)]
    profile: Option<String>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Service {
    Oss,
    Obs,
    Tablestore,
    Acs3,
}

fn usage(message: impl Into<String>) -> Error {
    super::exit::usage_error("sign", message)
}

fn parse_header(raw: &str) -> Result<(HeaderName, HeaderValue)> {
    let (name, value) = raw
        .split_once(':')
        .ok_or_else(|| usage("a --header must look like `Name: value`"))?;
    let name =
        HeaderName::try_from(name.trim()).map_err(|_| usage("a --header has an invalid name"))?;
    let value = HeaderValue::try_from(value.trim())
        .map_err(|_| usage(format!("--header {name} has an invalid value")))?;
    Ok((name, value))
}

/// The URL, its host and the `--header`s, from the arguments alone.
pub fn url_and_headers(args: &Args) -> Result<(Uri, String, HeaderMap)> {
    let uri: Uri = args
        .url
        .parse()
        .map_err(|_| usage("--url is not a valid URL"))?;
    let host = uri
        .host()
        .ok_or_else(|| usage("--url needs a host"))?
        .to_owned();
    let mut headers = HeaderMap::new();
    for raw in &args.headers {
        let (n, v) = parse_header(raw)?;
        headers.append(n, v);
    }
    Ok((uri, host, headers))
}

/// Signs the request described by `args` and prints the headers to add.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let (uri, host, headers) = url_and_headers(&args)?;
    let first_label = host.split('.').next().unwrap_or_default().to_owned();
    let body = match &args.body_file {
        Some(p) => std::fs::read(p).map_err(|e| Error::io(p, &e))?,
        None => Vec::new(),
    };
    let mut req = Request::builder()
        .method(args.method.as_method())
        .uri(uri)
        .body(body)
        .map_err(|_| usage("the request cannot be built from these arguments"))?;
    *req.headers_mut() = headers;
    let before: HeaderMap = req.headers().clone();
    // OBS accepts Huawei Cloud keys only; every other service here is Alibaba Cloud's.
    let creds = match args.service {
        Service::Obs => super::resolve_for(ctx, super::Cloud::Huawei, args.profile.as_deref())?,
        _ => super::resolve(ctx, args.profile.as_deref())?,
    };
    let now = chrono::Utc::now();
    // `bucket.oss-….` / `bucket.obs.….`: a virtual-hosted bucket is the first label.
    let bucket = args.bucket.clone().or_else(|| {
        let (first, rest) = host.split_once('.')?;
        (rest.starts_with("oss") || rest.starts_with("obs")).then(|| first.to_owned())
    });
    let region = || {
        args.region
            .clone()
            .ok_or_else(|| usage("this signature needs --region"))
    };
    match args.service {
        Service::Oss if args.v1 => {
            OssV1Signer::new(bucket.as_deref()).sign_request(&mut req, &creds, now)?;
        }
        Service::Oss => {
            OssV4Signer::new(&region()?, bucket.as_deref()).sign_request(&mut req, &creds, now)?;
        }
        Service::Obs if args.v4 => {
            ObsV4Signer::new(&region()?).sign_request(&mut req, &creds, now)?;
        }
        Service::Obs => {
            ObsSigner::new(ObsMode::Native, bucket.as_deref())
                .sign_request(&mut req, &creds, now)?;
        }
        Service::Tablestore => {
            let version = if args.v1 {
                TablestoreVersion::V2
            } else {
                TablestoreVersion::V4 { region: region()? }
            };
            let instance = args.instance.clone().unwrap_or(first_label);
            TablestoreSigner::new(&instance, version).sign_request(&mut req, &creds, now)?;
        }
        Service::Acs3 => {
            let nonce = hex::encode(rand::random::<[u8; 16]>());
            acs3::sign_request(&mut req, &creds, now, &nonce)?;
        }
    }
    let mut text = String::new();
    for (name, value) in req.headers() {
        if before.get_all(name).iter().any(|v| v == value) {
            continue;
        }
        let value = value
            .to_str()
            .map_err(|_| usage("a signed header is not printable"))?;
        text.push_str(&format!("{name}: {value}\n"));
    }
    Ok(super::emit(&text, ExitCode::SUCCESS))
}
