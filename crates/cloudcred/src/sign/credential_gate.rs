//! What a credential snapshot lets a signer do: sign with an AccessKey (and STS token), place a
//! bearer token (RPC and ACS3 only), or leave the request unsigned (anonymous).

use crate::error::{Error, Result};
use crate::model::{CredentialKind, Credentials};

/// What a credential snapshot lets a signer do.
pub(crate) enum Auth<'a> {
    /// CLI mode `Anonymous`: leave the request unsigned.
    Anonymous,
    /// A bearer token (only RPC and ACS3 define where it goes).
    Bearer { token: &'a str, header: &'a str },
    /// An AccessKey pair, with the STS token when there is one.
    Key {
        id: &'a str,
        secret: &'a str,
        token: Option<&'a str>,
    },
}

/// Classifies `creds` for a signer named `algorithm`.
pub(crate) fn auth(creds: &Credentials) -> Auth<'_> {
    match creds.kind() {
        CredentialKind::Anonymous => Auth::Anonymous,
        CredentialKind::Bearer => Auth::Bearer {
            token: creds.bearer_token().map(|t| t.expose()).unwrap_or(""),
            header: creds.bearer_token_header(),
        },
        _ => Auth::Key {
            id: creds.access_key_id(),
            secret: creds.access_key_secret().expose(),
            token: creds
                .security_token()
                .map(|t| t.expose())
                .filter(|t| !t.is_empty()),
        },
    }
}

/// The error of an HMAC signer handed a bearer credential (alibaba-credentials.md 6.8).
pub(crate) fn bearer_error(algorithm: &'static str) -> Error {
    Error::signing(
        algorithm,
        "the credential source yields a bearer token, but this algorithm needs an AccessKey \
         pair; configure an AccessKey, STS or role source for this request",
    )
}

/// The AccessKey pair of `creds`, `None` for anonymous, an error for a bearer token.
pub(crate) fn access_key<'a>(
    creds: &'a Credentials,
    algorithm: &'static str,
) -> Result<Option<(&'a str, &'a str, Option<&'a str>)>> {
    match auth(creds) {
        Auth::Anonymous => Ok(None),
        Auth::Bearer { .. } => Err(bearer_error(algorithm)),
        Auth::Key { id, secret, token } => Ok(Some((id, secret, token))),
    }
}
