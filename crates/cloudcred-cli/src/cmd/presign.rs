//! `cloudcred presign oss://BUCKET/KEY` and `obs://BUCKET/KEY`: print a presigned URL (and
//! nothing else on stdout) signed with the credentials the chain resolves.

use cloudcred::sign::{
    encoding, presign_checks, ObsMode, ObsSigner, ObsV4Signer, OssV1Signer, OssV4Signer,
};
use cloudcred::{Context, Error, Result};
use http::{HeaderMap, Method, Uri};
use std::process::ExitCode;
use std::time::Duration;

/// `cloudcred presign oss://BUCKET/KEY`: a presigned OSS or OBS URL on stdout.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// `oss://BUCKET/KEY` or `obs://BUCKET/KEY`; the key is given unencoded.
    target: String,
    /// OSS region (`cn-hangzhou`); OBS V4 region.
    #[arg(long)]
    region: Option<String>,
    /// Endpoint host, optionally with `https://` (the default) or `http://` and `:PORT`; the URL
    /// is `https://BUCKET.HOST/KEY`. Required for OBS; for OSS the default is the region's public
    /// endpoint.
    #[arg(long)]
    endpoint: Option<String>,
    /// Seconds the URL stays valid: at least 1; at most 604800 (7 days) for V4 URLs.
    #[arg(long, default_value_t = 3600)]
    expires: u64,
    /// HTTP method the URL is for, in any case (`GET`, `put`).
    #[arg(long, value_enum, ignore_case = true, default_value = "get")]
    method: HttpMethod,
    /// OSS: sign with V1 (HMAC-SHA1) instead of V4.
    #[arg(long)]
    v1: bool,
    /// OBS: sign with V4 (needs --region) instead of the native OBS signature.
    #[arg(long)]
    v4: bool,
    /// Profile of ~/.aliyun/config.json or ~/.alibabacloud/credentials; for obs:// (signed with
    /// the Huawei Cloud chain) the credential type, basic or global.
    #[arg(long)]
    profile: Option<String>,
}

/// The methods a presigned URL or a signed request can be for: the object methods of OSS and
/// OBS, named as HTTP names them.
// Variant doc comments would become clap's per-value help and turn `--help` into the long form.
#[allow(missing_docs)]
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum HttpMethod {
    Get,
    Put,
    Head,
    Delete,
}

impl HttpMethod {
    /// The `http` crate's method.
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
    super::exit::usage_error("presign", message)
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
    if !bucket
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        return Err(usage(
            "the target's bucket is not a bucket name: bucket names are lower-case letters, \
             digits, `-` (and `.` on OBS); the key follows the first `/`",
        ));
    }
    Ok((scheme, bucket, key))
}

/// `(scheme, host[:port])` of `--endpoint`: a host name with an optional `https://` or `http://`
/// and port, nothing else. Anything after the host would be pasted into the URL (`http://h`
/// gave `https://b.http://h`; a `/`, `?` or `#` moved the key into a path, query or fragment).
fn endpoint_host(endpoint: &str) -> Result<(&'static str, &str)> {
    const FIX: &str = "--endpoint takes a host name such as oss-cn-hangzhou.aliyuncs.com, \
                       optionally with https:// or http:// and a :PORT, and nothing after it";
    let lower = endpoint.to_ascii_lowercase();
    let (scheme, rest) = if lower.starts_with("https://") {
        ("https", &endpoint[8..])
    } else if lower.starts_with("http://") {
        ("http", &endpoint[7..])
    } else if endpoint.contains("://") {
        return Err(usage(format!(
            "{FIX}: only https:// and http:// are URLs OSS and OBS serve"
        )));
    } else {
        ("https", endpoint)
    };
    let host_port = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (host_port, None),
    };
    // The value is not echoed: a pasted URL can carry a token in its query.
    let problem = if host_port.contains('?') {
        Some("it has a query (`?`)")
    } else if host_port.contains('#') {
        Some("it has a fragment (`#`)")
    } else if host_port.contains('/') {
        Some("it has a path (`/`)")
    } else if host_port.contains('@') {
        Some("it has user information (`@`)")
    } else if port.is_some_and(|p| !p.parse::<u16>().is_ok_and(|p| p > 0)) {
        Some("its port is not a number from 1 to 65535")
    } else if host.is_empty() {
        Some("it has no host name")
    } else if !host.split('.').all(|label| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    }) {
        Some("its host name has characters or empty labels a host name cannot have")
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err(usage(format!("{FIX}; {problem}")));
    }
    Ok((scheme, host_port))
}

/// The URL to sign: virtual-hosted, the key encoded with `encode_object_key` (its `.` and `..`
/// segments survive every URL parser).
pub fn object_url(
    scheme: &str,
    bucket: &str,
    key: &str,
    region: Option<&str>,
    endpoint: Option<&str>,
) -> Result<Uri> {
    if region.is_some_and(|r| !presign_checks::is_region_name(r)) {
        return Err(usage(
            "--region is not a region name (it has a `/`, `?`, `#`, space or other character \
             no region has): use letters, digits and `-` only, such as cn-hangzhou",
        ));
    }
    let (url_scheme, host) = match (scheme, endpoint, region) {
        (_, Some(e), _) => {
            let (s, h) = endpoint_host(e)?;
            (s, h.to_owned())
        }
        ("oss", None, Some(r)) => ("https", format!("oss-{r}.aliyuncs.com")),
        ("oss", None, None) => return Err(usage("OSS needs --region (or --endpoint)")),
        (_, None, _) => {
            return Err(usage(
                "OBS needs --endpoint, e.g. obs.REGION.myhuaweicloud.com",
            ))
        }
    };
    let key = encoding::encode_object_key(key).map_err(|_| {
        usage(
            "an object key of `.` or `..` cannot be presigned: every client resolves it to the \
             bucket's root; rename the object",
        )
    })?;
    format!("{url_scheme}://{bucket}.{host}/{key}")
        .parse()
        .map_err(|_| usage("the bucket, key or endpoint does not form a valid URL"))
}

/// `--expires` is one the service accepts: at least a second; at most 7 days for V4 URLs; an
/// absolute `Expires` (OSS V1, OBS native) that a Unix time can name.
fn check_expires(args: &Args, scheme: &str, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
    let v4 = (scheme == "oss" && !args.v1) || (scheme == "obs" && args.v4);
    let max = presign_checks::MAX_V4_PRESIGN_EXPIRES.as_secs();
    if args.expires == 0 {
        return Err(usage(
            "--expires 0 makes a URL that is already expired: give the seconds it stays valid, \
             at least 1",
        ));
    }
    if v4 && args.expires > max {
        return Err(usage(format!(
            "--expires {} is longer than V4 presigned URLs may live: use at most {max} seconds \
             (7 days)",
            args.expires
        )));
    }
    let end = i64::try_from(args.expires)
        .ok()
        .and_then(|e| now.timestamp().checked_add(e));
    if end.is_none_or(|e| e > presign_checks::MAX_EXPIRES_EPOCH_SECS) {
        return Err(usage(format!(
            "--expires {} ends after the year 9999: use a shorter expiry",
            args.expires
        )));
    }
    Ok(())
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

/// Resolves, then prints the presigned URL (a secret: printed because asked for).
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let (scheme, bucket, url) = target_url(&args)?;
    let now = chrono::Utc::now();
    check_expires(&args, scheme, now)?;
    // OBS accepts Huawei Cloud keys only: an Alibaba key in an OBS URL can never be valid.
    let creds = match scheme {
        "obs" => super::resolve_for(ctx, super::Cloud::Huawei, args.profile.as_deref())?,
        _ => super::resolve(ctx, args.profile.as_deref())?,
    };
    let method = args.method.as_method();
    let headers = HeaderMap::new();
    let expires = Duration::from_secs(args.expires);
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
