//! What a signature can hand back besides the signed request: the intermediate strings
//! ([`SigningDetails`], built only when [`Details::Want`] asks) and presigned URLs
//! ([`Presigned`]). Both unlock the request, so their `Debug` is redacted.

use http::Uri;
use std::fmt;

/// Whether a signer hands back the intermediate strings of a signature ([`SigningDetails`]).
///
/// Only tests and debugging read them; building them cost three allocations and copies per
/// signature, so the plain `sign_request`s skip them and `sign_request_with_details` asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Details {
    /// Build the canonical request, string to sign and signature as strings.
    Want,
    /// Build only what goes on the wire.
    Skip,
}

/// The intermediate strings of one signature, for tests and debugging.
///
/// They unlock the request (a string to sign plus its signature is a replayable credential, and
/// presigned canonical requests hold the security token), so `Debug` prints lengths only and a
/// signer never logs them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SigningDetails {
    /// The canonical request, for the algorithms that have one.
    pub canonical_request: Option<String>,
    /// The exact bytes that were MACed or signed.
    pub string_to_sign: String,
    /// The signature as it is sent (Base64 or lower-hex, not percent-encoded).
    pub signature: String,
}

impl SigningDetails {
    pub(crate) fn new(
        canonical_request: Option<String>,
        string_to_sign: String,
        signature: String,
    ) -> Self {
        Self {
            canonical_request,
            string_to_sign,
            signature,
        }
    }
}

impl fmt::Debug for SigningDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningDetails")
            .field(
                "canonical_request_len",
                &self.canonical_request.as_ref().map(String::len),
            )
            .field("string_to_sign_len", &self.string_to_sign.len())
            .field("signature", &crate::model::REDACTED)
            .finish()
    }
}

/// A presigned URL and how it was computed.
#[derive(Clone, PartialEq, Eq)]
pub struct Presigned {
    /// The caller's URL with the signing parameters appended.
    pub url: String,
    /// `None` when the credentials were anonymous and the URL was left unsigned.
    pub details: Option<SigningDetails>,
}

impl Presigned {
    /// The caller's URL as is, for anonymous credentials.
    pub(crate) fn unsigned(url: &Uri) -> Self {
        Self {
            url: url.to_string(),
            details: None,
        }
    }
}

impl fmt::Debug for Presigned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The query carries the signature and possibly the token: show the URL without it.
        let shown = self.url.split('?').next().unwrap_or_default();
        f.debug_struct("Presigned")
            .field("url", &format_args!("{shown}?{}", crate::model::REDACTED))
            .field("details", &self.details)
            .finish()
    }
}
