//! The OAuth tokens aliyun-cli keeps in a config.json profile, and the rule that decides when
//! they rotate (spec 6.10, D27): what the provider re-reads under the file's lock before it
//! spends a refresh token.

use crate::model::SecretString;
use serde_json::{Map, Value};

/// Refresh the access token when this little validity is left.
pub const ACCESS_TOKEN_MARGIN_SECS: i64 = 1200;
/// Without a saved refresh, the current access token is still used while this much validity is
/// left: the exchange follows within seconds.
pub const ACCESS_TOKEN_MIN_LEFT_SECS: i64 = 60;

/// The OAuth tokens of a config.json profile as last read (`oauth_access_token`,
/// `oauth_access_token_expire` in epoch seconds, `oauth_refresh_token`). Debug shows no token.
pub struct Tokens {
    pub(super) access: Option<SecretString>,
    pub(super) expire: i64,
    pub(super) refresh: Option<SecretString>,
}

pub(super) fn str_field(p: &Map<String, Value>, key: &str) -> Option<String> {
    p.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

pub(super) fn int_field(p: &Map<String, Value>, key: &str) -> Option<i64> {
    match p.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl Tokens {
    /// Reads the three keys of a profile object; a missing or blank token is `None`, a missing
    /// or unreadable expiry is 0 (treated as expired).
    pub fn from_profile(p: &Map<String, Value>) -> Tokens {
        Tokens {
            access: str_field(p, "oauth_access_token").map(SecretString::new),
            expire: int_field(p, "oauth_access_token_expire").unwrap_or(0),
            refresh: str_field(p, "oauth_refresh_token").map(SecretString::new),
        }
    }

    /// Whether to rotate now (`now` in epoch seconds): a refresh token exists and the access
    /// token is missing, has expiry 0, or has at most [`ACCESS_TOKEN_MARGIN_SECS`] left.
    pub fn needs_refresh(&self, now: i64) -> bool {
        self.refresh.is_some()
            && (self.access.is_none()
                || self.expire == 0
                // Saturating: the stored expire is whatever integer the file holds.
                || self.expire.saturating_sub(now) <= ACCESS_TOKEN_MARGIN_SECS)
    }
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("access", &self.access.is_some())
            .field("expire", &self.expire)
            .field("refresh", &self.refresh.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::super::wire::token_answer;
    use super::*;

    #[test]
    fn refresh_rule() {
        let t = |access: bool, expire: i64, refresh: bool| Tokens {
            access: access.then(|| SecretString::new("a".to_owned())),
            expire,
            refresh: refresh.then(|| SecretString::new("r".to_owned())),
        };
        let now = 1_000_000;
        assert!(t(false, now + 9999, true).needs_refresh(now));
        assert!(t(true, 0, true).needs_refresh(now));
        assert!(t(true, now + 1200, true).needs_refresh(now));
        assert!(!t(true, now + 1201, true).needs_refresh(now));
        assert!(!t(true, 10, false).needs_refresh(now));
    }

    /// Found by the fuzz targets (fuzz/regressions/cli_config/oauth-expire-underflow and
    /// alibaba_responses/oauth-expires-in-overflow): extreme integers from the file or the
    /// token endpoint overflowed the expiry arithmetic (a panic in debug builds).
    #[test]
    fn extreme_expiry_integers_saturate() {
        let t = |expire: i64| Tokens {
            access: Some(SecretString::new("a".to_owned())),
            expire,
            refresh: Some(SecretString::new("r".to_owned())),
        };
        assert!(t(i64::MIN).needs_refresh(1_000_000));
        assert!(!t(i64::MAX).needs_refresh(-1_000_000));
        let answer = |expires_in: i64| {
            let json = serde_json::json!({
                "access_token": "a", "refresh_token": "r", "expires_in": expires_in,
            });
            token_answer(&json, 1_000_000).map(|(_, _, expire)| expire)
        };
        assert_eq!(answer(i64::MAX), Some(i64::MAX));
        assert_eq!(answer(i64::MIN), Some(i64::MIN + 1_000_000));
        assert_eq!(answer(600), Some(1_000_600));
    }
}
