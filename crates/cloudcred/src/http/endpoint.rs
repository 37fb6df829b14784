//! Which endpoints credentials may be fetched from, and how they are named in errors
//! (spec 4.2, 10.2): HTTPS everywhere; plain HTTP only for the metadata service's address,
//! loopback test servers and (credentials URI) link-local sidecars.

use crate::error::{Error, Result};
use std::net::{IpAddr, Ipv4Addr};
use url::Url;

/// The ECS metadata service's fixed address.
pub const ECS_METADATA_HOST: Ipv4Addr = Ipv4Addr::new(100, 100, 100, 200);

fn ip_of(host: &str) -> Option<IpAddr> {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// `localhost`, `127.0.0.0/8`, `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || ip_of(host).is_some_and(|ip| ip.is_loopback())
}

/// `169.254.0.0/16`, `fe80::/10`.
pub fn is_link_local_host(host: &str) -> bool {
    match ip_of(host) {
        Some(IpAddr::V4(v4)) => v4.is_link_local(),
        Some(IpAddr::V6(v6)) => (v6.segments()[0] & 0xffc0) == 0xfe80,
        None => false,
    }
}

/// Where plain HTTP is acceptable for an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpAllowed {
    /// Loopback only (STS, CloudSSO, OAuth).
    Loopback,
    /// Loopback and link-local (credentials URI sidecars).
    LoopbackOrLinkLocal,
    /// Loopback, link-local and the metadata address (instance metadata).
    Metadata,
}

fn http_ok(host: &str, allowed: HttpAllowed) -> bool {
    is_loopback_host(host)
        || (allowed != HttpAllowed::Loopback && is_link_local_host(host))
        || (allowed == HttpAllowed::Metadata && ip_of(host) == Some(IpAddr::V4(ECS_METADATA_HOST)))
}

/// Parses an absolute URL and applies the scheme rule; `origin` names the setting in errors.
/// The value itself is not quoted: a URL may carry a token in its query.
pub fn checked_url(raw: &str, origin: &str, allowed: HttpAllowed) -> Result<Url> {
    let url = Url::parse(raw.trim()).map_err(|_| {
        Error::invalid_config(
            origin,
            "is not a valid absolute URL (scheme://host[:port][/path])",
        )
    })?;
    let host = url
        .host_str()
        .ok_or_else(|| Error::invalid_config(origin, "the URL has no host"))?
        .to_owned();
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid_config(
            origin,
            "the URL must not carry user information",
        ));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if http_ok(&host, allowed) => Ok(url),
        "http" => Err(Error::invalid_config(
            origin,
            format!(
                "plain http is only allowed for {}; use https",
                match allowed {
                    HttpAllowed::Loopback => "loopback addresses",
                    HttpAllowed::LoopbackOrLinkLocal => "loopback and link-local addresses",
                    HttpAllowed::Metadata =>
                        "the metadata address, loopback and link-local addresses",
                }
            ),
        )),
        _ => Err(Error::invalid_config(
            origin,
            "the URL scheme must be https",
        )),
    }
}

/// An STS endpoint: a host with an optional port (meaning `https://host[:port]/`) or an absolute
/// URL without query or fragment (spec 4.2).
pub fn sts_endpoint(raw: &str, origin: &str) -> Result<Url> {
    let raw = raw.trim();
    let url = if raw.contains("://") {
        checked_url(raw, origin, HttpAllowed::Loopback)?
    } else {
        Url::parse(&format!("https://{raw}/"))
            .ok()
            .filter(|u| u.path() == "/" && u.query().is_none())
            .ok_or_else(|| {
                Error::invalid_config(origin, "is neither a host[:port] nor an absolute URL")
            })?
    };
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid_config(
            origin,
            "an STS endpoint must not have a query or fragment",
        ));
    }
    Ok(url)
}

/// The metadata base URL (spec 4.2): trailing `/` ignored, a path prefix kept.
pub fn metadata_endpoint(raw: &str, origin: &str) -> Result<Url> {
    let mut url = checked_url(raw, origin, HttpAllowed::Metadata)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid_config(
            origin,
            "the metadata endpoint must not have a query or fragment",
        ));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

/// Longest path shown by [`describe`]: a path may end in a server-chosen name (an ECS role
/// discovered from the metadata service), which must not flood an error.
const MAX_SHOWN_PATH_CHARS: usize = 256;

/// `scheme://host[:port]/path`, without query or fragment: safe to show in errors and logs.
pub fn describe(url: &Url) -> String {
    let mut s = format!("{}://{}", url.scheme(), url.host_str().unwrap_or("?"));
    if let Some(port) = url.port() {
        s.push_str(&format!(":{port}"));
    }
    let path = url.path();
    if path.chars().count() > MAX_SHOWN_PATH_CHARS {
        s.extend(path.chars().take(MAX_SHOWN_PATH_CHARS));
        s.push('…');
    } else {
        s.push_str(path);
    }
    s
}

/// The same for an `http::Uri`.
pub fn describe_uri(uri: &http::Uri) -> String {
    format!(
        "{}://{}{}",
        uri.scheme_str().unwrap_or("https"),
        uri.authority().map(|a| a.as_str()).unwrap_or("?"),
        uri.path()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_rules() {
        assert!(checked_url("https://sts.example/", "o", HttpAllowed::Loopback).is_ok());
        assert!(checked_url("http://127.0.0.1:8080/x", "o", HttpAllowed::Loopback).is_ok());
        assert!(checked_url("http://localhost/x", "o", HttpAllowed::Loopback).is_ok());
        assert!(checked_url("http://[::1]:9/x", "o", HttpAllowed::Loopback).is_ok());
        let e = checked_url(
            "http://sts.example/?token=SECRETVALUE",
            "VAR",
            HttpAllowed::Loopback,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("VAR:") && e.contains("https") && !e.contains("SECRETVALUE"),
            "{e}"
        );
        assert!(checked_url("http://169.254.1.1/c", "o", HttpAllowed::Loopback).is_err());
        assert!(checked_url(
            "http://169.254.1.1/c",
            "o",
            HttpAllowed::LoopbackOrLinkLocal
        )
        .is_ok());
        assert!(checked_url(
            "http://100.100.100.200",
            "o",
            HttpAllowed::LoopbackOrLinkLocal
        )
        .is_err());
        assert!(checked_url("http://100.100.100.200", "o", HttpAllowed::Metadata).is_ok());
        assert!(checked_url("https://user:pw@h/", "o", HttpAllowed::Loopback).is_err());
        assert!(checked_url("ftp://h/", "o", HttpAllowed::Loopback).is_err());
        assert!(checked_url("not a url", "o", HttpAllowed::Loopback).is_err());
    }

    #[test]
    fn sts_endpoint_forms() {
        assert_eq!(
            sts_endpoint("sts.example", "o").unwrap().as_str(),
            "https://sts.example/"
        );
        assert_eq!(
            sts_endpoint("sts.example:8443", "o").unwrap().as_str(),
            "https://sts.example:8443/"
        );
        assert_eq!(
            sts_endpoint("http://127.0.0.1:9/sts", "o")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/sts"
        );
        assert!(sts_endpoint("http://sts.example", "o").is_err());
        assert!(sts_endpoint("https://sts.example/?a=b", "o").is_err());
        assert!(sts_endpoint("sts.example/path", "o").is_err());
    }

    #[test]
    fn metadata_endpoint_keeps_prefix_drops_slash() {
        assert_eq!(
            metadata_endpoint("http://127.0.0.1:1/prefix/", "o")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:1/prefix"
        );
        assert_eq!(
            metadata_endpoint("http://100.100.100.200", "o")
                .unwrap()
                .as_str(),
            "http://100.100.100.200/"
        );
        assert!(metadata_endpoint("http://example.com", "o").is_err());
        assert_eq!(
            describe(&Url::parse("http://h:1/p?q=secret").unwrap()),
            "http://h:1/p"
        );
    }
}
