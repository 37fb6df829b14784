//! What the fake cloud accepts and how it answers.
//!
//! The default matches the shared test fixtures (`testdata/fixtures`), so a client test can lay
//! out the fixture files, point the endpoints at the fake cloud and expect every network profile to
//! work without further set-up.

use std::fmt;
use std::time::Duration;

/// Instance metadata service behaviour (IMDSv2 "security hardening mode" or not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ImdsMode {
    /// Metadata GETs need a valid `X-aliyun-ecs-metadata-token` (401 without one).
    TokenRequired,
    /// No token endpoint (`PUT /latest/api/token` → 404), GETs without a token.
    V1Only,
    /// Tokens are issued and checked when sent, GETs without a token also work.
    #[default]
    Both,
}

/// CN site OAuth client id (`alibaba-credentials.md` 6.10).
pub const OAUTH_CLIENT_ID_CN: &str = "4038181954557748008";
/// INTL site OAuth client id.
pub const OAUTH_CLIENT_ID_INTL: &str = "4103531455503354461";

/// The OIDC token of `testdata/fixtures/tokens/alibaba-oidc-token`, trimmed. Embedded rather than
/// read so the binary works from any directory.
pub const FIXTURE_OIDC_TOKEN: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImZha2UifQ.eyJpc3MiOiJodHRwczovL2Zha2Utb2lkYy5pbnZhbGlkIiwic3ViIjoiZmFrZS1zdWJqZWN0IiwiYXVkIjoic3RzLmFsaXl1bmNzLmNvbSJ9.ZmFrZS1zaWduYXR1cmUtbm90LXJlYWw";

/// The id token of `testdata/fixtures/tokens/huawei-id-token`, trimmed: what Huawei IAM
/// (`/v3.0/OS-AUTH/id-token/tokens`) and STS (`/v5/agencies/assume-with-oidc`) accept by default.
pub const FIXTURE_HUAWEI_ID_TOKEN: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImZha2UifQ.eyJpc3MiOiJodHRwczovL2Zha2UtaWRwLmludmFsaWQiLCJzdWIiOiJmYWtlLWh1YXdlaS1zdWJqZWN0In0.ZmFrZS1odWF3ZWktc2lnbmF0dXJl";

/// The authorization token the Huawei pod-identity endpoint accepts by default.
pub const FIXTURE_HUAWEI_POD_TOKEN: &str = "fake-fixture-pod-identity-token-00001";

/// The identity provider id of `testdata/fixtures/huaweicloud/credentials-federated`.
pub const FIXTURE_HUAWEI_IDP_ID: &str = "fake-fixture-idp";

/// The body of Huawei metadata's 401 when no agency is attached to the instance (spec 7.2 H3).
pub const HW_NO_AGENCY_MESSAGE: &str = "Please configure Cloud Service Agency first";

/// Every AccessKey pair of the INI and config.json fixtures that a profile may sign with
/// (static ones too: a chain may start from any of them).
const FIXTURE_ACCESS_KEYS: &[(&str, &str)] = &[
    // testdata/fixtures/alibabacloud/credentials
    ("LTAIFAKEDEFAULT00001", "fake-secret-default-00001"),
    ("LTAIFAKELITERAL00002", "fa%ke#sec;ret%%00002"),
    ("LTAIFAKETABCMNT00003", "fake-secret-tab-00003"),
    ("LTAIFAKEMIXEDCASE004", "fake-secret-mixed-case-00004"),
    ("LTAIFAKEINDENTED0005", "fake-secret-indented-00005"),
    ("LTAIFAKEENABLED00006", "fake-secret-enabled-00006"),
    ("LTAIFAKELASTVALUE012", "fake-secret-duplicate-00012"),
    ("LTAIFAKERAMSOURCE014", "fake-secret-ram-00014"),
    ("LTAIFAKERAMSOURCE015", "fake-secret-ram-00015"),
    ("LTAIFAKERAMSOURCE016", "fake-secret-ram-00016"),
    ("LTAIFAKERAMSOURCE017", "fake-secret-ram-00017"),
    ("LTAIFAKEUPPERDEFLT25", "fake-secret-upper-default-00025"),
    // testdata/fixtures/alibabacloud/credentials.ini
    ("LTAIFAKEINIFALLBACK1", "fake-secret-ini-fallback-00001"),
    ("LTAIFAKEINIONLY00002", "fake-secret-ini-only-00002"),
    // testdata/fixtures/aliyun/config.json
    ("LTAIFAKECLIDEFAULT01", "fake-cli-secret-default-00001"),
    ("LTAIFAKECLILOWER0002", "fake-cli-secret-lower-00002"),
    ("LTAIFAKECLIRAMSRC005", "fake-cli-secret-ram-00005"),
    ("LTAIFAKECLIRAMSRC006", "fake-cli-secret-ram-00006"),
    ("LTAIFAKECLIRAMSRC007", "fake-cli-secret-ram-00007"),
];

/// The static STS triples of the fixtures (id, secret, token): a role chain may start from them.
const FIXTURE_STS_KEYS: &[(&str, &str, &str)] = &[
    (
        "STS.FAKESTATIC000013",
        "fake-secret-sts-00013",
        "fake-security-token-00013",
    ),
    (
        "STS.FAKECLISTATIC004",
        "fake-cli-secret-sts-00004",
        "fake-cli-sts-token-00004",
    ),
];

/// The long-term AK/SK pairs of `testdata/fixtures/huaweicloud/credentials`: what OBS accepts
/// besides the credentials the Huawei endpoints issue.
const FIXTURE_HW_ACCESS_KEYS: &[(&str, &str)] = &[
    (
        "FAKEHWBASICAK0000001",
        "fake-hw-basic-sk-00000000000000000001",
    ),
    (
        "FAKEHWGLOBALAK000002",
        "fake-hw-global-sk-0000000000000000002",
    ),
];

/// Configuration of a [`crate::FakeCloud`]. Every field is public; [`Default`] gives the fixture
/// set-up and the `with_*` helpers change one thing at a time. Not `#[non_exhaustive]`, so tests
/// can write `FakeCloudConfig { imds_mode: ImdsMode::V1Only, ..Default::default() }`.
/// `Debug` shows the key ids and the settings, never a secret or a token.
#[derive(Clone)]
pub struct FakeCloudConfig {
    /// Long-term AccessKey id → secret pairs that STS accepts as callers.
    pub access_keys: Vec<(String, String)>,
    /// Pre-issued STS keys (id, secret, security token) accepted as callers; they never expire.
    pub sts_access_keys: Vec<(String, String, String)>,
    /// Account id used in role ARNs of issued sessions.
    pub account_id: String,
    /// Maximum `DurationSeconds` of AssumeRole / AssumeRoleWithOIDC (the role's MaxSessionDuration).
    pub sts_max_duration: u64,
    /// The OIDC token AssumeRoleWithOIDC accepts.
    pub oidc_token: String,
    /// The OIDC provider ARN accepted; `None` accepts any.
    pub oidc_provider_arn: Option<String>,
    /// SPKI or PKCS#1 PEM public key that verifies GenerateSessionAccessKey; `None` = no key
    /// pair known (every such request is refused as an unknown key).
    pub rsa_public_key_pem: Option<String>,
    /// Id of that public key (`AccessKeyId` / `PublicKeyId` of the request).
    pub rsa_public_key_id: String,
    /// Token behaviour of the metadata service.
    pub imds_mode: ImdsMode,
    /// Role attached to the instance; `None` = no role (role discovery → 404).
    pub imds_role_name: Option<String>,
    /// More role names whose credentials can be fetched (not listed by discovery).
    pub imds_extra_roles: Vec<String>,
    /// Largest token TTL the metadata service grants.
    pub imds_token_ttl_max: u64,
    /// Lifetime of metadata credentials.
    pub imds_credential_lifetime: Duration,
    /// Path of the credentials-URI endpoint.
    pub credentials_uri_path: String,
    /// Bearer token CloudSSO accepts.
    pub sso_access_token: String,
    /// Refresh token accepted by `/v1/token` until it is rotated.
    pub oauth_refresh_token: String,
    /// Access token accepted by `/v1/exchange` (besides the ones `/v1/token` issues).
    pub oauth_access_token: String,
    /// Further access tokens accepted by `/v1/exchange` (profiles without a refresh token).
    pub oauth_extra_access_tokens: Vec<String>,
    /// OAuth client ids accepted by `/v1/token`.
    pub oauth_client_ids: Vec<String>,
    /// Lifetime (`expires_in`) of OAuth access tokens.
    pub oauth_access_token_lifetime: Duration,
    /// Answer `/v1/exchange` with PascalCase keys instead of camelCase.
    pub oauth_pascal_case: bool,
    /// Send the exchange `expiration` as integer epoch seconds instead of an ISO 8601 string.
    pub oauth_expiration_as_epoch: bool,
    /// Lifetime of credentials from the credentials URI, CloudSSO and the OAuth exchange.
    pub default_lifetime: Duration,
    /// Allowed distance between a request `Timestamp` and the server clock.
    pub timestamp_tolerance: Duration,
    /// Huawei metadata token behaviour: `TokenRequired` refuses `securitykey` GETs without a
    /// valid `X-Metadata-Token` (401), `V1Only` answers the token PUT with 404 and ignores
    /// tokens, `Both` checks a token only when one is sent.
    pub hw_imds_mode: ImdsMode,
    /// Largest `X-Metadata-Token-Ttl-Seconds` the Huawei metadata token PUT grants (1..=this).
    pub hw_metadata_token_ttl_max: u64,
    /// Lifetime of Huawei metadata `securitykey` credentials.
    pub hw_metadata_lifetime: Duration,
    /// Whether an agency is attached to the Huawei instance; `false` answers `securitykey` with
    /// 401 and a body containing [`HW_NO_AGENCY_MESSAGE`].
    pub hw_metadata_agency: bool,
    /// The `X-Idp-Id` Huawei IAM federation accepts.
    pub hw_idp_id: String,
    /// The id token Huawei IAM federation and STS `assume-with-oidc` accept.
    pub hw_id_token: String,
    /// Lifetime of the `X-Subject-Token` federation tokens Huawei IAM issues.
    pub hw_subject_token_lifetime: Duration,
    /// The `provider_urn` Huawei STS `assume-with-oidc` accepts; `None` accepts any non-empty one.
    pub hw_oidc_provider_urn: Option<String>,
    /// The `agency_urn` Huawei STS `assume-with-oidc` accepts; `None` accepts any non-empty one.
    pub hw_oidc_agency_urn: Option<String>,
    /// Largest `duration_seconds` of Huawei STS `assume-with-oidc` (smallest is 900).
    pub hw_oidc_max_duration: u64,
    /// Path of the Huawei pod-identity endpoint.
    pub hw_pod_identity_path: String,
    /// The `Authorization` value the pod-identity endpoint accepts.
    pub hw_pod_identity_token: String,
    /// Long-term Huawei AK/SK pairs OBS accepts (besides the credentials the Huawei endpoints
    /// issue, which it always accepts until they expire).
    pub hw_access_keys: Vec<(String, String)>,
    /// Huawei temporary keys (AK, SK, security token) OBS accepts without an endpoint having
    /// issued them; they never expire. Empty by default.
    pub hw_sts_access_keys: Vec<(String, String, String)>,
}

impl Default for FakeCloudConfig {
    fn default() -> Self {
        FakeCloudConfig {
            access_keys: FIXTURE_ACCESS_KEYS
                .iter()
                .map(|(k, s)| (k.to_string(), s.to_string()))
                .collect(),
            sts_access_keys: FIXTURE_STS_KEYS
                .iter()
                .map(|(k, s, t)| (k.to_string(), s.to_string(), t.to_string()))
                .collect(),
            account_id: "1000000000000000".into(),
            sts_max_duration: 43200,
            oidc_token: FIXTURE_OIDC_TOKEN.into(),
            oidc_provider_arn: None,
            rsa_public_key_pem: None,
            rsa_public_key_id: "TMPSK.FAKEPUBLICKEY0021".into(),
            imds_mode: ImdsMode::Both,
            imds_role_name: Some("FakeFixtureEcsRole".into()),
            imds_extra_roles: vec!["FakeCliEcsRole".into()],
            imds_token_ttl_max: 21600,
            imds_credential_lifetime: Duration::from_secs(6 * 3600),
            credentials_uri_path: "/uri/fixture".into(),
            sso_access_token: "fake-sso-access-token-00001".into(),
            oauth_refresh_token: "fake-oauth-refresh-token-00001".into(),
            oauth_access_token: "fake-oauth-access-token-00001".into(),
            oauth_extra_access_tokens: vec!["fake-oauth-access-token-00002".into()],
            oauth_client_ids: vec![OAUTH_CLIENT_ID_CN.into(), OAUTH_CLIENT_ID_INTL.into()],
            oauth_access_token_lifetime: Duration::from_secs(3600),
            oauth_pascal_case: false,
            oauth_expiration_as_epoch: false,
            default_lifetime: Duration::from_secs(3600),
            timestamp_tolerance: Duration::from_secs(15 * 60),
            hw_imds_mode: ImdsMode::Both,
            hw_metadata_token_ttl_max: 21600,
            hw_metadata_lifetime: Duration::from_secs(24 * 3600),
            hw_metadata_agency: true,
            hw_idp_id: FIXTURE_HUAWEI_IDP_ID.into(),
            hw_id_token: FIXTURE_HUAWEI_ID_TOKEN.into(),
            hw_subject_token_lifetime: Duration::from_secs(24 * 3600),
            hw_oidc_provider_urn: None,
            hw_oidc_agency_urn: None,
            hw_oidc_max_duration: 43200,
            hw_pod_identity_path: "/v1/pod-identity/credentials".into(),
            hw_pod_identity_token: FIXTURE_HUAWEI_POD_TOKEN.into(),
            hw_access_keys: FIXTURE_HW_ACCESS_KEYS
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            hw_sts_access_keys: Vec::new(),
        }
    }
}

impl FakeCloudConfig {
    /// The fixture set-up (same as [`Default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts one more long-term AccessKey.
    pub fn with_access_key(mut self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.access_keys.push((id.into(), secret.into()));
        self
    }

    /// Accepts one more pre-issued STS key with its security token.
    pub fn with_sts_access_key(
        mut self,
        id: impl Into<String>,
        secret: impl Into<String>,
        token: impl Into<String>,
    ) -> Self {
        self.sts_access_keys
            .push((id.into(), secret.into(), token.into()));
        self
    }

    /// Sets the public key (PEM) that verifies GenerateSessionAccessKey.
    pub fn with_rsa_public_key_pem(mut self, pem: impl Into<String>) -> Self {
        self.rsa_public_key_pem = Some(pem.into());
        self
    }

    /// Sets the metadata token behaviour.
    pub fn with_imds_mode(mut self, mode: ImdsMode) -> Self {
        self.imds_mode = mode;
        self
    }

    /// Sets the Huawei metadata token behaviour.
    pub fn with_hw_imds_mode(mut self, mode: ImdsMode) -> Self {
        self.hw_imds_mode = mode;
        self
    }

    /// Attaches (`true`) or detaches an agency from the Huawei instance.
    pub fn with_hw_metadata_agency(mut self, attached: bool) -> Self {
        self.hw_metadata_agency = attached;
        self
    }

    /// Sets the identity provider id Huawei IAM federation accepts.
    pub fn with_hw_idp_id(mut self, idp_id: impl Into<String>) -> Self {
        self.hw_idp_id = idp_id.into();
        self
    }

    /// Sets the id token Huawei IAM federation and STS accept.
    pub fn with_hw_id_token(mut self, token: impl Into<String>) -> Self {
        self.hw_id_token = token.into();
        self
    }

    /// Sets the path of the Huawei pod-identity endpoint.
    pub fn with_hw_pod_identity_path(mut self, path: impl Into<String>) -> Self {
        self.hw_pod_identity_path = path.into();
        self
    }

    /// Sets the authorization token the Huawei pod-identity endpoint accepts.
    pub fn with_hw_pod_identity_token(mut self, token: impl Into<String>) -> Self {
        self.hw_pod_identity_token = token.into();
        self
    }

    /// Sets (or with `None` removes) the role attached to the instance.
    pub fn with_imds_role(mut self, role: Option<&str>) -> Self {
        self.imds_role_name = role.map(str::to_string);
        self
    }

    /// Sets the accepted OIDC token.
    pub fn with_oidc_token(mut self, token: impl Into<String>) -> Self {
        self.oidc_token = token.into();
        self
    }

    /// Makes the OAuth exchange answer with PascalCase keys.
    pub fn with_oauth_pascal_case(mut self, on: bool) -> Self {
        self.oauth_pascal_case = on;
        self
    }

    /// Makes the OAuth exchange send `expiration` as epoch seconds.
    pub fn with_oauth_expiration_as_epoch(mut self, on: bool) -> Self {
        self.oauth_expiration_as_epoch = on;
        self
    }

    /// Sets the lifetime of URI, CloudSSO and OAuth credentials.
    pub fn with_default_lifetime(mut self, lifetime: Duration) -> Self {
        self.default_lifetime = lifetime;
        self
    }
}

impl fmt::Debug for FakeCloudConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.access_keys.iter().map(|(id, _)| id.as_str()).collect();
        let sts_ids: Vec<&str> = self
            .sts_access_keys
            .iter()
            .map(|(id, _, _)| id.as_str())
            .collect();
        // The tokens (OIDC, SSO, OAuth, id token, pod identity) are left out with the secrets.
        f.debug_struct("FakeCloudConfig")
            .field("access_keys", &ids)
            .field("sts_access_keys", &sts_ids)
            .field("account_id", &self.account_id)
            .field("sts_max_duration", &self.sts_max_duration)
            .field("oidc_provider_arn", &self.oidc_provider_arn)
            .field("rsa_public_key_id", &self.rsa_public_key_id)
            .field("imds_mode", &self.imds_mode)
            .field("imds_role_name", &self.imds_role_name)
            .field("credentials_uri_path", &self.credentials_uri_path)
            .field("default_lifetime", &self.default_lifetime)
            .field("timestamp_tolerance", &self.timestamp_tolerance)
            .field("hw_imds_mode", &self.hw_imds_mode)
            .field("hw_idp_id", &self.hw_idp_id)
            .field("hw_pod_identity_path", &self.hw_pod_identity_path)
            .finish_non_exhaustive()
    }
}
