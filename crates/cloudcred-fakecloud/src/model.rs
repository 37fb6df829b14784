//! Public vocabulary: the endpoints, the faults that can be injected into them, and what the
//! server records about requests and issued credentials for tests to assert on.

use std::fmt;
use std::time::{Duration, SystemTime};

/// What `Debug` prints instead of a secret, as the library does.
pub(crate) const REDACTED: &str = "** redacted **";

/// The names of name/value pairs, for a `Debug` that must not show the values.
pub(crate) fn names(pairs: &[(String, String)]) -> Vec<&str> {
    pairs.iter().map(|(k, _)| k.as_str()).collect()
}

/// One service endpoint of the fake cloud; faults and counters are kept per endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// STS `Action=AssumeRole` (any path).
    StsAssumeRole,
    /// STS `Action=AssumeRoleWithOIDC`.
    StsAssumeRoleWithOidc,
    /// STS `Action=GenerateSessionAccessKey`.
    StsGenerateSessionAccessKey,
    /// `PUT /latest/api/token`.
    ImdsToken,
    /// `GET /latest/meta-data/ram/security-credentials/`.
    ImdsRoleList,
    /// `GET /latest/meta-data/ram/security-credentials/<role>`.
    ImdsCredentials,
    /// `GET <credentials_uri_path>`.
    CredentialsUri,
    /// `POST /cloud-credentials`.
    CloudSso,
    /// `POST /v1/token`.
    OAuthToken,
    /// `POST /v1/exchange`.
    OAuthExchange,
    /// Huawei ECS metadata `PUT /meta-data/latest/api/token`.
    HwMetadataToken,
    /// Huawei ECS metadata `GET /openstack/latest/securitykey`.
    HwSecurityKey,
    /// Huawei IAM `POST /v3.0/OS-AUTH/id-token/tokens` (IdP id-token federation).
    HwIdTokenTokens,
    /// Huawei IAM `POST /v3.0/OS-CREDENTIAL/securitytokens` (temporary AK/SK by token).
    HwSecurityTokens,
    /// Huawei STS `POST /v5/agencies/assume-with-oidc`.
    HwOidcSts,
    /// Huawei CCE pod identity `POST <hw_pod_identity_path>`.
    HwPodIdentity,
    /// Every request to the OSS listener ([`crate::FakeCloud::oss_url`]).
    Oss,
    /// Every request to the OBS listener ([`crate::FakeCloud::obs_url`]).
    Obs,
    /// The S3-compatible object endpoint: every request to `FakeCloud::s3_url()`.
    S3,
}

impl Endpoint {
    /// Every endpoint, in declaration order.
    pub const ALL: [Endpoint; 19] = [
        Endpoint::StsAssumeRole,
        Endpoint::StsAssumeRoleWithOidc,
        Endpoint::StsGenerateSessionAccessKey,
        Endpoint::ImdsToken,
        Endpoint::ImdsRoleList,
        Endpoint::ImdsCredentials,
        Endpoint::CredentialsUri,
        Endpoint::CloudSso,
        Endpoint::OAuthToken,
        Endpoint::OAuthExchange,
        Endpoint::HwMetadataToken,
        Endpoint::HwSecurityKey,
        Endpoint::HwIdTokenTokens,
        Endpoint::HwSecurityTokens,
        Endpoint::HwOidcSts,
        Endpoint::HwPodIdentity,
        Endpoint::Oss,
        Endpoint::Obs,
        Endpoint::S3,
    ];

    /// Whether errors of this endpoint use the STS (RPC) error format.
    pub(crate) fn is_sts(self) -> bool {
        matches!(
            self,
            Endpoint::StsAssumeRole
                | Endpoint::StsAssumeRoleWithOidc
                | Endpoint::StsGenerateSessionAccessKey
        )
    }

    /// Whether this is one of the Huawei Cloud endpoints.
    pub(crate) fn is_huawei(self) -> bool {
        matches!(
            self,
            Endpoint::HwMetadataToken
                | Endpoint::HwSecurityKey
                | Endpoint::HwIdTokenTokens
                | Endpoint::HwSecurityTokens
                | Endpoint::HwOidcSts
                | Endpoint::HwPodIdentity
        )
    }
}

/// A misbehaviour injected into an endpoint's next responses.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status and the endpoint's usual error body for it.
    Status(u16),
    /// Answer with this status and exactly this body.
    StatusWithBody(u16, String),
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// A 200 whose body is not JSON (an empty body for the plain-text metadata endpoints).
    MalformedBody,
    /// A 200 whose body is the first half of the normal body (with a matching Content-Length).
    TruncatedBody,
    /// Issue credentials (or a metadata token, or an OAuth access token) that are already expired.
    ExpiredCredentials,
    /// Remove the field of this name, at any depth, from the JSON body, and the response header
    /// of this name (case-insensitive) if there is one.
    MissingField(&'static str),
    /// Close the connection without answering.
    DropConnection,
    /// Flow control: STS answers 400 `Throttling.User`, the others 429.
    Throttle,
    /// Send the status and headers (with the full `Content-Length`) at once, then the normal
    /// body in small pieces spread evenly over this long: a server that keeps the connection
    /// busy, so only a client with a deadline on the whole exchange (not just between reads)
    /// gives up in time.
    SlowBody(Duration),
    /// Answer with this status and the endpoint's usual error shape, its message (and code)
    /// quoting the request back: path and query, body, and header values, as a debug server or a
    /// misconfigured gateway does. The metadata credential endpoint and the credentials URI
    /// answer `{"Code", "Message"}`, as they do for a failure (with status 200 too).
    Echo(u16),
}

/// What the server did with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Answered with a 2xx status.
    Accepted,
    /// Answered with an error status; `code` is the service error code (or a short reason).
    Rejected {
        /// HTTP status sent.
        status: u16,
        /// Service error code, e.g. `SignatureDoesNotMatch`.
        code: String,
    },
    /// The connection was closed without an answer.
    Dropped,
}

/// One request as the server saw it. `Debug` shows names only: values hold signatures, tokens
/// and secrets (the fields themselves are there for tests to assert on).
#[derive(Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Request path without the query.
    pub path: String,
    /// Decoded query pairs in arrival order.
    pub query: Vec<(String, String)>,
    /// Decoded form-body pairs (only for `application/x-www-form-urlencoded` bodies).
    pub form: Vec<(String, String)>,
    /// Headers with lower-case names.
    pub headers: Vec<(String, String)>,
    /// The raw body as text (lossy UTF-8).
    pub body: String,
    /// The endpoint it was routed to; `None` for unknown paths and actions.
    pub endpoint: Option<Endpoint>,
    /// The outcome.
    pub verdict: Verdict,
    /// The injected fault that shaped the answer, if any.
    pub fault: Option<Fault>,
    /// True when an OIDC token (the `OIDCToken` parameter or the configured token text) was in
    /// the query string, where it leaks into proxy and access logs.
    pub token_in_query: bool,
    /// How an object request was authenticated, when it was (`OSS V4 header signature of key
    /// STS.… with its security token`); no secret, token or signature.
    pub verified: Option<String>,
}

impl RecordedRequest {
    /// The first value of a parameter, from the query, else the form body.
    pub fn param(&self, name: &str) -> Option<&str> {
        first_param(&self.query, &self.form, name)
    }

    /// The first value of a header (name matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The first value of `name` in the query, else in the form: how the services read parameters
/// that a client may put on either side.
pub(crate) fn first_param<'a>(
    query: &'a [(String, String)],
    form: &'a [(String, String)],
    name: &str,
) -> Option<&'a str> {
    query
        .iter()
        .chain(form)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A credential the server handed out. `Debug` redacts the secret and the token.
#[derive(Clone)]
#[non_exhaustive]
pub struct Issued {
    /// Which endpoint issued it.
    pub endpoint: Endpoint,
    /// The issued AccessKey id (`STS.…`, or `TMPSK.…` for session access keys; Huawei: 20
    /// upper-case alphanumerics).
    pub access_key_id: String,
    /// The issued secret.
    pub access_key_secret: String,
    /// The issued security token (none for session access keys).
    pub security_token: Option<String>,
    /// Requested role (STS), or the metadata role as an ARN; Huawei OIDC STS: the agency URN.
    pub role_arn: Option<String>,
    /// Requested session name (STS; Huawei OIDC STS: `agency_session_name`).
    pub role_session_name: Option<String>,
    /// Requested or applied duration (STS, GenerateSessionAccessKey, every Huawei endpoint).
    pub duration_seconds: Option<u64>,
    /// Requested policy (STS).
    pub policy: Option<String>,
    /// Requested external id (AssumeRole).
    pub external_id: Option<String>,
    /// OIDC provider of the request (AssumeRoleWithOIDC; Huawei OIDC STS: `provider_urn`).
    pub oidc_provider_arn: Option<String>,
    /// The AccessKey id that signed the request (AssumeRole, GenerateSessionAccessKey).
    pub caller_access_key_id: Option<String>,
    /// Expiration as sent.
    pub expiration: SystemTime,
    /// Expiration in the wire text form: `YYYY-MM-DDThh:mm:ssZ` (Alibaba),
    /// `YYYY-MM-DDThh:mm:ss.ffffffZ` (Huawei metadata and IAM), `YYYY-MM-DDThh:mm:ss.fffZ`
    /// (Huawei STS v5).
    pub expiration_text: String,
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &names(&self.query))
            .field("form", &names(&self.form))
            .field("headers", &names(&self.headers))
            .field("body_len", &self.body.len())
            .field("endpoint", &self.endpoint)
            .field("verdict", &self.verdict)
            .field("fault", &self.fault)
            .field("token_in_query", &self.token_in_query)
            .finish()
    }
}

impl fmt::Debug for Issued {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issued")
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &REDACTED)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| REDACTED),
            )
            .field("role_arn", &self.role_arn)
            .field("role_session_name", &self.role_session_name)
            .field("duration_seconds", &self.duration_seconds)
            .field("policy", &self.policy)
            .field("external_id", &self.external_id)
            .field("oidc_provider_arn", &self.oidc_provider_arn)
            .field("caller_access_key_id", &self.caller_access_key_id)
            .field("expiration_text", &self.expiration_text)
            .finish_non_exhaustive()
    }
}
