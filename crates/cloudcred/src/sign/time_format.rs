//! The time formats of signing.md §1.3 (ISO 8601 basic and extended, the HTTP date, the
//! Tablestore date) and presigned expiry instants, written by hand for the hot path.

use chrono::{DateTime, Datelike, Timelike, Utc};

fn push_digits(out: &mut String, value: u32, width: usize) {
    let mut buf = [b'0'; 10];
    let mut v = value;
    for slot in buf[..width].iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    // SAFETY: ASCII digits keep `out` UTF-8. One slice, unchecked: a `char` iterator, then
    // `from_utf8`, were most of a date's cost.
    unsafe { out.as_mut_vec() }.extend_from_slice(&buf[..width]);
}

/// `20231216T162057Z`, written by hand: it is on the hot path of every V4 signature.
pub fn iso8601_basic(t: DateTime<Utc>) -> String {
    let bytes = iso8601_basic_bytes(t);
    std::str::from_utf8(&bytes).unwrap_or_default().to_owned()
}

/// [`iso8601_basic`] on the stack, for signers that copy it into a header and a canonical
/// string anyway. The date is read once: each of `DateTime`'s field getters converts from
/// chrono's packed form again (six conversions were a fifth of the formatting).
pub(crate) fn iso8601_basic_bytes(t: DateTime<Utc>) -> [u8; 16] {
    let n = t.naive_utc();
    let mut out = *b"00000000T000000Z";
    put_digits(&mut out[0..4], n.year() as u32);
    put_digits(&mut out[4..6], n.month());
    put_digits(&mut out[6..8], n.day());
    put_digits(&mut out[9..11], n.hour());
    put_digits(&mut out[11..13], n.minute());
    put_digits(&mut out[13..15], n.second());
    out
}

/// `2016-02-23T12%3A46%3A24Z`: [`iso8601_extended`] percent-encoded (RFC 3986 strict escapes
/// the colons), as RPC's `Timestamp` goes into its query and string to sign, without a string
/// of its own; `None` outside the years 0 to 9999.
pub(crate) fn iso8601_extended_encoded_bytes(t: DateTime<Utc>) -> Option<[u8; 24]> {
    let n = t.naive_utc();
    let year = u32::try_from(n.year()).ok().filter(|y| *y < 10_000)?;
    let mut out = *b"0000-00-00T00%3A00%3A00Z";
    put_digits(&mut out[0..4], year);
    put_digits(&mut out[5..7], n.month());
    put_digits(&mut out[8..10], n.day());
    put_digits(&mut out[11..13], n.hour());
    put_digits(&mut out[16..18], n.minute());
    put_digits(&mut out[21..23], n.second());
    Some(out)
}

/// Writes `value`'s last `slot.len()` decimal digits into `slot`.
fn put_digits(slot: &mut [u8], value: u32) {
    let mut v = value;
    for d in slot.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Text of a formatted date (ASCII digits and separators).
pub(crate) fn ascii_date(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// `2016-02-23T12:46:24Z` (RPC `Timestamp`, ACS3 `x-acs-date`).
pub fn iso8601_extended(t: DateTime<Utc>) -> String {
    if !(0..10_000).contains(&t.year()) {
        return t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    }
    let n = t.naive_utc();
    let mut s = String::with_capacity(20);
    push_digits(&mut s, n.year() as u32, 4);
    s.push('-');
    push_digits(&mut s, n.month(), 2);
    s.push('-');
    push_digits(&mut s, n.day(), 2);
    s.push('T');
    push_digits(&mut s, n.hour(), 2);
    s.push(':');
    push_digits(&mut s, n.minute(), 2);
    s.push(':');
    push_digits(&mut s, n.second(), 2);
    s.push('Z');
    s
}

/// `Wed, 28 Dec 2022 10:27:41 GMT`.
pub fn http_date(t: DateTime<Utc>) -> String {
    // Written by hand: chrono's strftime interpreter was an eighth of an OBS signature.
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    fn two(out: &mut String, n: u32) {
        out.push(char::from(b'0' + (n / 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    }
    let t = t.naive_utc();
    let mut out = String::with_capacity(29);
    out.push_str(DAYS[t.weekday().num_days_from_monday() as usize]);
    out.push_str(", ");
    two(&mut out, t.day());
    out.push(' ');
    out.push_str(MONTHS[t.month0() as usize]);
    out.push(' ');
    let year = t.year();
    if (0..10_000).contains(&year) {
        two(&mut out, year as u32 / 100);
        two(&mut out, year as u32 % 100);
    } else {
        out.push_str(&year.to_string());
    }
    out.push(' ');
    two(&mut out, t.hour());
    out.push(':');
    two(&mut out, t.minute());
    out.push(':');
    two(&mut out, t.second());
    out.push_str(" GMT");
    out
}

/// `2024-01-02T03:04:05.000Z` (Tablestore `x-ots-date`; milliseconds always `.000`).
pub fn tablestore_date(t: DateTime<Utc>) -> String {
    if !(0..10_000).contains(&t.year()) {
        return t.format("%Y-%m-%dT%H:%M:%S.000Z").to_string();
    }
    let mut s = iso8601_extended(t);
    s.insert_str(19, ".000");
    s
}

/// The absolute expiry `time + expires` in epoch seconds (OSS V1 and OBS V2 `Expires`),
/// saturating rather than overflowing on absurd durations.
pub(crate) fn expires_epoch(time: DateTime<Utc>, expires: std::time::Duration) -> Decimal {
    let secs = i64::try_from(expires.as_secs()).unwrap_or(i64::MAX);
    Decimal::new(time.timestamp().saturating_add(secs))
}

/// An integer's decimal text on the stack: `to_string` went through the formatter and an
/// allocation, 4 % of a V1 presign.
pub(crate) struct Decimal {
    /// Right-aligned text (`i64::MIN` takes all twenty bytes).
    text: [u8; 20],
    start: usize,
}

impl Decimal {
    pub(crate) fn new(n: i64) -> Self {
        let mut text = [0u8; 20];
        let mut start = text.len();
        let mut v = n.unsigned_abs();
        loop {
            start -= 1;
            text[start] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        if n < 0 {
            start -= 1;
            text[start] = b'-';
        }
        Self { text, start }
    }

    pub(crate) fn as_str(&self) -> &str {
        ascii_date(&self.text[self.start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn decimal_text_of_any_i64() {
        for n in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            1_700_000_000,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            assert_eq!(Decimal::new(n).as_str(), n.to_string());
        }
    }

    #[test]
    fn http_date_matches_the_strftime_form() {
        // Every day of a leap year and a non-leap year, at varying times of day.
        for start in [946_684_800i64, 1_700_000_000, 4_102_444_800] {
            for i in 0..400i64 {
                let t = Utc
                    .timestamp_opt(start + i * 86_400 + i * 3_917, 0)
                    .unwrap();
                assert_eq!(
                    http_date(t),
                    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
                );
                assert_eq!(
                    iso8601_extended(t),
                    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
                );
                assert_eq!(
                    tablestore_date(t),
                    t.format("%Y-%m-%dT%H:%M:%S.000Z").to_string()
                );
                assert_eq!(iso8601_basic(t), t.format("%Y%m%dT%H%M%SZ").to_string());
            }
        }
    }

    #[test]
    fn time_formats_of_section_1_3() {
        let t = Utc.with_ymd_and_hms(2016, 2, 23, 12, 46, 24).unwrap();
        assert_eq!(iso8601_basic(t), "20160223T124624Z");
        assert_eq!(iso8601_extended(t), "2016-02-23T12:46:24Z");
        assert_eq!(http_date(t), "Tue, 23 Feb 2016 12:46:24 GMT");
        assert_eq!(tablestore_date(t), "2016-02-23T12:46:24.000Z");
    }
}
