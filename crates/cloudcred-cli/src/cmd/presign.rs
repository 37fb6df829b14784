//! `cloudcred presign oss://BUCKET/KEY` and `obs://BUCKET/KEY`: print a presigned URL (and
//! nothing else on stdout) signed with the credentials the chain resolves.

use cloudcred::sign::{encoding, ObsMode, ObsSigner, ObsV4Signer, OssV1Signer, OssV4Signer};
use cloudcred::{Context, Error, Result};
use http::{HeaderMap, Method, Uri};
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// `oss://BUCKET/KEY` or `obs://BUCKET/KEY`; the key is given unencoded.
    target: String,
    /// OSS region (`cn-hangzhou`); OBS V4 region.
    #[arg(long)]
    region: Option<String>,
    /// Endpoint host; the URL is `https://BUCKET.HOST/KEY`. Required for OBS; for OSS the
    /// default is the region's public endpoint.
    #[arg(long)]
    endpoint: Option<String>,
    /// Seconds the URL stays valid.
    #[arg(long, default_value_t = 3600)]
    expires: u64,
    /// HTTP method the URL is for.
    #[arg(long, value_enum, default_value = "get")]
    method: HttpMethod,
    /// OSS: sign with V1 (HMAC-SHA1) instead of V4.
    #[arg(long)]
    v1: bool,
    /// OBS: sign with V4 (needs --region) instead of the native OBS signature.
    #[arg(long)]
    v4: bool,
    /// Profile of ~/.aliyun/config.json or ~/.alibabacloud/credentials.
    #[arg(long)]
    profile: Option<String>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum HttpMethod {
    Get,
    Put,
    Head,
    Delete,
}

impl HttpMethod {
    pub fn as_method(self) -> Method {
        match self {
            HttpMethod::Get => Method::GET,
            HttpMethod::Put => Method::PUT,
            HttpMethod::Head => Method::HEAD,
            HttpMethod::Delete => Method::DELETE,
        }
    }
}

fn usage(message: impl Into<String>) -> Error {
    Error::invalid_config("presign", message)
}

/// `(scheme, bucket, key)` of `oss://bucket/key`.
fn parse_target(target: &str) -> Result<(&str, &str, &str)> {
    let (scheme, rest) = target
        .split_once("://")
        .ok_or_else(|| usage("the target must look like oss://BUCKET/KEY or obs://BUCKET/KEY"))?;
    if scheme != "oss" && scheme != "obs" {
        return Err(usage("the scheme must be oss:// or obs://"));
    }
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() || key.is_empty() {
        return Err(usage(
            "the target needs a bucket and an object key: oss://BUCKET/KEY",
        ));
    }
    Ok((scheme, bucket, key))
}

/// The URL to sign: virtual-hosted, key percent-encoded with `/` kept.
pub fn object_url(
    scheme: &str,
    bucket: &str,
    key: &str,
    region: Option<&str>,
    endpoint: Option<&str>,
) -> Result<Uri> {
    let host = match (scheme, endpoint, region) {
        (_, Some(e), _) => e
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_owned(),
        ("oss", None, Some(r)) => format!("oss-{r}.aliyuncs.com"),
        ("oss", None, None) => return Err(usage("OSS needs --region (or --endpoint)")),
        (_, None, _) => {
            return Err(usage(
                "OBS needs --endpoint, e.g. obs.REGION.myhuaweicloud.com",
            ))
        }
    };
    format!("https://{bucket}.{host}/{}", encoding::encode_path(key))
        .parse()
        .map_err(|_| usage("the bucket, key or endpoint does not form a valid URL"))
}

/// The scheme (`oss`, `obs`), the bucket and the URL to presign, from the arguments alone.
pub fn target_url(args: &Args) -> Result<(&str, &str, Uri)> {
    let (scheme, bucket, key) = parse_target(&args.target)?;
    let url = object_url(
        scheme,
        bucket,
        key,
        args.region.as_deref(),
        args.endpoint.as_deref(),
    )?;
    Ok((scheme, bucket, url))
}

pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let (scheme, bucket, url) = target_url(&args)?;
    let creds = super::resolve(ctx, args.profile.as_deref())?;
    let method = args.method.as_method();
    let headers = HeaderMap::new();
    let expires = Duration::from_secs(args.expires);
    let now = chrono::Utc::now();
    let presigned = match scheme {
        "oss" if args.v1 => {
            OssV1Signer::new(Some(bucket)).presign(&method, &url, &headers, &creds, now, expires)?
        }
        "oss" => {
            let region = args
                .region
                .as_deref()
                .ok_or_else(|| usage("OSS V4 needs --region"))?;
            OssV4Signer::new(region, Some(bucket))
                .presign(&method, &url, &headers, &creds, now, expires)?
        }
        _ if args.v4 => {
            let region = args
                .region
                .as_deref()
                .ok_or_else(|| usage("OBS V4 needs --region"))?;
            ObsV4Signer::new(region).presign(&method, &url, &headers, &creds, now, expires)?
        }
        _ => ObsSigner::new(ObsMode::Native, Some(bucket))
            .presign(&method, &url, &headers, &creds, now, expires)?,
    };
    Ok(super::emit(
        &format!("{}\n", presigned.url),
        ExitCode::SUCCESS,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_oss_url_is_virtual_hosted_with_an_encoded_key() {
        let (s, b, k) = parse_target("oss://my-bucket/dir/a b+c.txt").unwrap();
        let url = object_url(s, b, k, Some("cn-hangzhou"), None).unwrap();
        assert_eq!(
            url.to_string(),
            "https://my-bucket.oss-cn-hangzhou.aliyuncs.com/dir/a%20b%2Bc.txt"
        );
        assert!(object_url("oss", "b", "k", None, None).is_err());
        assert!(object_url("obs", "b", "k", None, None).is_err());
        assert!(parse_target("oss://bucket").is_err());
        assert!(parse_target("s3://b/k").is_err());
    }
}
