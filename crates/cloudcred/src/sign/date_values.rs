//! The date header values of the current second, kept per thread: every signature of a second
//! carries the same `Date`, `x-oss-date` or `X-Sdk-Date`, so the text is formatted, validated
//! and allocated once and each further signature takes a reference-counted clone. The last
//! AccessKey ID sent in a header of its own (`x-ots-accesskeyid`) is kept the same way.
//!
//! Formatting, `HeaderValue` validation and the value's allocation were 6 % of an OSS V1 or
//! OBS V2 signature and 15 % of a Tablestore one, counting its sign date (callgrind, issue 12). Dates are not secrets, so sharing them across
//! requests exposes nothing.

use super::time_format;
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use http::HeaderValue;
use std::cell::RefCell;

/// The date formats signers put in headers.
#[derive(Clone, Copy)]
pub(crate) enum DateFormat {
    /// `Wed, 28 Dec 2022 10:27:41 GMT` (`Date`).
    Http = 0,
    /// `20231216T162057Z` (`x-oss-date`, `X-Amz-Date`, `X-Sdk-Date`).
    Iso8601Basic = 1,
    /// `2016-02-23T12:46:24Z` (`x-acs-date`).
    Iso8601Extended = 2,
    /// `2024-01-02T03:04:05.000Z` (`x-ots-date`).
    Tablestore = 3,
    /// `20240102` (`x-ots-signdate`).
    Day = 4,
}

const FORMATS: usize = 5;

thread_local! {
    /// Per format: the second it was formatted for and its value.
    static CURRENT: RefCell<[Option<(i64, HeaderValue)>; FORMATS]> =
        const { RefCell::new([None, None, None, None, None]) };
}

/// `time` in `format` as a header value; its text is `value.as_bytes()`.
pub(crate) fn date_value(
    format: DateFormat,
    time: DateTime<Utc>,
    algorithm: &'static str,
) -> Result<HeaderValue> {
    // Every format is whole seconds: the sub-second part never shows.
    let second = time.timestamp();
    let cached = CURRENT.with(|c| match &c.borrow()[format as usize] {
        Some((s, v)) if *s == second => Some(v.clone()),
        _ => None,
    });
    if let Some(v) = cached {
        return Ok(v);
    }
    let text = match format {
        DateFormat::Http => time_format::http_date(time),
        DateFormat::Iso8601Basic => time_format::iso8601_basic(time),
        DateFormat::Iso8601Extended => time_format::iso8601_extended(time),
        DateFormat::Tablestore => time_format::tablestore_date(time),
        DateFormat::Day => time_format::iso8601_basic(time)[..8].to_owned(),
    };
    let value = HeaderValue::from_maybe_shared(bytes::Bytes::from(text))
        .map_err(|_| Error::signing(algorithm, "a formatted date is not a header value"))?;
    // The first clone turns the value's buffer into a shared one; every later clone is then a
    // reference count.
    let keep = value.clone();
    CURRENT.with(|c| c.borrow_mut()[format as usize] = Some((second, keep)));
    Ok(value)
}

thread_local! {
    /// The last AccessKey ID made a header value, and that value.
    static ACCESS_KEY_ID: RefCell<Option<(Box<str>, HeaderValue)>> = const { RefCell::new(None) };
}

/// `id` as a header value (an AccessKey ID is an identifier, not a secret: it is in every
/// `Authorization` header in clear). `None` when it holds what a header value cannot.
pub(crate) fn access_key_id_value(id: &str) -> Option<HeaderValue> {
    let cached = ACCESS_KEY_ID.with(|c| match &*c.borrow() {
        Some((last, v)) if **last == *id => Some(v.clone()),
        _ => None,
    });
    if cached.is_some() {
        return cached;
    }
    let value = HeaderValue::from_str(id).ok()?;
    // Shared by the first clone, as the dates are.
    let keep = value.clone();
    ACCESS_KEY_ID.with(|c| *c.borrow_mut() = Some((id.into(), keep)));
    Some(value)
}

/// The sixteen bytes of an [`DateFormat::Iso8601Basic`] value, copied out so that the value
/// itself can move into the header map: a clone kept beside it for the canonical strings was an
/// atomic increment and decrement per signature (2 % of an OSS V4 one).
pub(crate) fn basic_bytes(value: &HeaderValue, algorithm: &'static str) -> Result<[u8; 16]> {
    <[u8; 16]>::try_from(value.as_bytes())
        .map_err(|_| Error::signing(algorithm, "a formatted date is not sixteen bytes"))
}

/// The text of a [`date_value`] (ASCII by construction).
#[cfg(test)]
fn text(value: &HeaderValue) -> &str {
    time_format::ascii_date(value.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_key_id_follows_the_id() {
        for id in ["LTAI-a", "LTAI-a", "LTAI-b", "LTAI-", "LTAI-ab", ""] {
            assert_eq!(access_key_id_value(id).unwrap(), id);
        }
        assert!(access_key_id_value("bad\nid").is_none());
        // A refused id leaves the last good one in place and is refused again.
        assert_eq!(access_key_id_value("").unwrap(), "");
        assert!(access_key_id_value("bad\nid").is_none());
    }

    #[test]
    fn each_format_follows_the_second() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let a = t("2024-05-06T07:08:09.100Z");
        let b = t("2024-05-06T07:08:09.900Z");
        let c = t("2024-05-06T07:08:10Z");
        for (format, at_a, at_c) in [
            (
                DateFormat::Http,
                "Mon, 06 May 2024 07:08:09 GMT",
                "Mon, 06 May 2024 07:08:10 GMT",
            ),
            (
                DateFormat::Iso8601Basic,
                "20240506T070809Z",
                "20240506T070810Z",
            ),
            (
                DateFormat::Iso8601Extended,
                "2024-05-06T07:08:09Z",
                "2024-05-06T07:08:10Z",
            ),
            (
                DateFormat::Tablestore,
                "2024-05-06T07:08:09.000Z",
                "2024-05-06T07:08:10.000Z",
            ),
            (DateFormat::Day, "20240506", "20240506"),
        ] {
            assert_eq!(text(&date_value(format, a, "t").unwrap()), at_a);
            assert_eq!(text(&date_value(format, b, "t").unwrap()), at_a);
            assert_eq!(text(&date_value(format, c, "t").unwrap()), at_c);
            // Back in time (a pinned clock, another request's time) is not served the newer one.
            assert_eq!(text(&date_value(format, a, "t").unwrap()), at_a);
        }
    }
}
