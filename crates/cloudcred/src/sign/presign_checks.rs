//! What every presigner (OSS V1 and V4, OBS native/V2 and V4) checks before it signs: an expiry
//! the service accepts, and a path no client rewrites into another object's.
//!
//! A presigned URL leaves the program that made it: a browser, curl or another SDK sends it. So
//! the checks refuse inputs that would yield a URL that silently does something else — one that
//! is already expired or rejected for its expiry, or one whose `.`/`..` segments every URL parser
//! resolves away (`/a/../b` reaches `/b`) — rather than hand such a URL out.

use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The longest validity OSS accepts for `OSS4-HMAC-SHA256` URLs (`x-oss-expires`, 1 to 604800:
/// OSS error 0002-00000232) and AWS SigV4 query authentication, which OBS V4 follows
/// (`X-Amz-Expires`), allows: 7 days.
pub const MAX_V4_PRESIGN_EXPIRES: Duration = Duration::from_secs(7 * 24 * 3600);

/// The last absolute expiry an epoch-seconds `Expires` (OSS V1, OBS native/V2) can name
/// (9999-12-31T23:59:59Z). Those services set no maximum validity of their own (they check only
/// that `Expires` is a Unix time still in the future), but a later time is no date any client
/// or service parses.
pub const MAX_EXPIRES_EPOCH_SECS: i64 = 253_402_300_799;

/// `expires` is at least a second and within `max` (V4) or, for absolute `Expires` (`max` =
/// `None`), ends by [`MAX_EXPIRES_EPOCH_SECS`].
pub(crate) fn check_expires(
    algorithm: &'static str,
    time: DateTime<Utc>,
    expires: Duration,
    max: Option<Duration>,
) -> Result<()> {
    let secs = expires.as_secs();
    if secs == 0 {
        return Err(Error::signing(
            algorithm,
            "a presigned URL needs an expiry of at least 1 second; 0 makes a URL that is \
             already expired",
        ));
    }
    match max {
        Some(max) if expires > max => Err(Error::signing(
            algorithm,
            format!(
                "the expiry of {secs} s is longer than the service accepts: use 1 to {} seconds \
                 ({} days)",
                max.as_secs(),
                max.as_secs() / 86_400
            ),
        )),
        None if i64::try_from(secs)
            .ok()
            .and_then(|s| time.timestamp().checked_add(s))
            .is_none_or(|at| at > MAX_EXPIRES_EPOCH_SECS) =>
        {
            Err(Error::signing(
                algorithm,
                format!(
                    "the expiry of {secs} s ends after the year 9999, which no `Expires` can \
                     name: use a shorter expiry"
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// Whether `region` is made of the characters region and CloudBox ids use (letters, digits,
/// `-`, `_`, `.`), so it can enter a host name, a scope and a query value as is.
pub fn is_region_name(region: &str) -> bool {
    !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A region (or CloudBox id) enters the scope `date/region/product/…` and the credential
/// parameter: only the characters region names use, so it cannot inject a `/`, `?` or `#`.
pub(crate) fn check_region(algorithm: &'static str, region: &str) -> Result<()> {
    if !is_region_name(region) {
        return Err(Error::signing(
            algorithm,
            "the region is not a region name (it has a `/`, `?`, `#`, space or other character \
             no region has): use letters, digits and `-` only, such as cn-hangzhou",
        ));
    }
    Ok(())
}

/// Whether a path segment (as sent, percent-encoded) is one that URL parsers resolve: `.` and
/// `..`, also written with `%2E` (the WHATWG URL standard, and so browsers and the `url` crate,
/// treat `%2e` like `.` here).
pub fn is_dot_segment(segment: &str) -> bool {
    // Compared without case, not lower-cased into a new string per segment.
    segment.len() <= 6
        && matches!(segment.as_bytes().first(), Some(b'.' | b'%'))
        && [".", "%2e", "..", ".%2e", "%2e.", "%2e%2e"]
            .iter()
            .any(|dot| segment.eq_ignore_ascii_case(dot))
}

/// The URL path has no dot segment (see [`is_dot_segment`]).
pub(crate) fn check_path(algorithm: &'static str, path: &str) -> Result<()> {
    // Segment by segment by bytes: `str::split('/')` ran a `CharSearcher` whose set-up was 2 %
    // of a V1 presign, for paths of a few segments.
    let mut rest = path;
    let dot = loop {
        let end = rest.bytes().position(|b| b == b'/');
        if is_dot_segment(&rest[..end.unwrap_or(rest.len())]) {
            break true;
        }
        match end {
            Some(end) => rest = &rest[end + 1..],
            None => break false,
        }
    };
    if dot {
        return Err(Error::signing(
            algorithm,
            "the URL path has a `.` or `..` segment, which HTTP clients and browsers remove \
             before sending, so the URL would reach another object; encode the object key with \
             `encoding::encode_object_key`, which writes the `/` next to such a segment as %2F",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn expiry_bounds() {
        let t = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        let v4 = Some(MAX_V4_PRESIGN_EXPIRES);
        assert!(check_expires("a", t, Duration::ZERO, v4).is_err());
        assert!(check_expires("a", t, Duration::from_millis(999), None).is_err());
        assert!(check_expires("a", t, Duration::from_secs(1), v4).is_ok());
        assert!(check_expires("a", t, MAX_V4_PRESIGN_EXPIRES, v4).is_ok());
        assert!(
            check_expires("a", t, MAX_V4_PRESIGN_EXPIRES + Duration::from_secs(1), v4).is_err()
        );
        assert!(check_expires("a", t, Duration::from_secs(10 * 365 * 86_400), None).is_ok());
        assert!(check_expires("a", t, Duration::from_secs(u64::MAX), None).is_err());
        let last = Duration::from_secs((MAX_EXPIRES_EPOCH_SECS - t.timestamp()) as u64);
        assert!(check_expires("a", t, last, None).is_ok());
        assert!(check_expires("a", t, last + Duration::from_secs(1), None).is_err());
    }

    /// Every presigner of the library refuses the inputs, whatever the credentials.
    #[test]
    fn every_presigner_checks_its_input() {
        use crate::sign::{ObsMode, ObsSigner, ObsV4Signer, OssV1Signer, OssV4Signer};
        use crate::{Credentials, ProviderName};
        use http::{HeaderMap, Method, Uri};
        let t = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        let creds = Credentials::access_key("ak", "sk", ProviderName::new("t"));
        let h = HeaderMap::new();
        let presign = |url: &str, secs: u64, region: &str| -> Vec<bool> {
            let url: Uri = url.parse().unwrap();
            let e = Duration::from_secs(secs);
            let m = Method::GET;
            vec![
                OssV1Signer::new(Some("b"))
                    .presign(&m, &url, &h, &creds, t, e)
                    .is_ok(),
                OssV4Signer::new(region, Some("b"))
                    .presign(&m, &url, &h, &creds, t, e)
                    .is_ok(),
                ObsSigner::new(ObsMode::Native, Some("b"))
                    .presign(&m, &url, &h, &creds, t, e)
                    .is_ok(),
                ObsV4Signer::new(region)
                    .presign(&m, &url, &h, &creds, t, e)
                    .is_ok(),
            ]
        };
        let good = "https://b.h.invalid/a%2F..%2Fb";
        assert_eq!(presign(good, 604_800, "r1"), [true; 4]);
        assert_eq!(presign(good, 604_801, "r1"), [true, false, true, false]);
        assert_eq!(presign(good, 0, "r1"), [false; 4]);
        assert_eq!(presign("https://b.h.invalid/a/../b", 60, "r1"), [false; 4]);
        assert_eq!(presign("https://b.h.invalid/%2E%2E", 60, "r1"), [false; 4]);
        assert_eq!(presign(good, 60, "r/1"), [true, false, true, false]);
    }

    #[test]
    fn regions_are_names() {
        for ok in ["cn-hangzhou", "cb-f8z7yvzgwfkl9q0h", "ap-southeast-1"] {
            assert!(check_region("a", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "cn/hangzhou",
            "cn-hangzhou?x=1",
            "cn#",
            "cn hangzhou",
            "中",
        ] {
            assert!(check_region("a", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dot_segments_in_any_spelling() {
        for path in [
            "/a/../b",
            "/..",
            "/a/.",
            "/%2E%2e/b",
            "/.%2E",
            "/a/%2e/b",
            "/a/b/..",
            "../a",
            ".",
        ] {
            assert!(check_path("a", path).is_err(), "{path}");
        }
        for path in [
            "/a/..%2Fb",
            "/...",
            "/a..b/.c",
            "/",
            "/a%2F..",
            "/%2E%2E%2E",
            "",
            "/a/b",
            "a.b",
            "/%2/.e",
        ] {
            assert!(check_path("a", path).is_ok(), "{path}");
        }
    }
}
