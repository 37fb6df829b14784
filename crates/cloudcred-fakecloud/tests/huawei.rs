//! Huawei Cloud endpoints: ECS metadata `securitykey`, IAM id-token federation, the temporary
//! AK/SK API and STS `assume-with-oidc` (`huawei-credentials.md` sections 7, 8, 9).

mod common;

use std::time::Duration;

use cloudcred_fakecloud::{
    Endpoint, FakeCloud, FakeCloudConfig, Fault, ImdsMode, Verdict, FIXTURE_HUAWEI_ID_TOKEN,
    FIXTURE_HUAWEI_POD_TOKEN, HW_NO_AGENCY_MESSAGE,
};
use common::{client, status_json};
use serde_json::{json, Value};

const TOKEN: &str = "/meta-data/latest/api/token";
const SECURITY_KEY: &str = "/openstack/latest/securitykey";
const ID_TOKEN: &str = "/v3.0/OS-AUTH/id-token/tokens";
const SECURITY_TOKENS: &str = "/v3.0/OS-CREDENTIAL/securitytokens";
const OIDC_STS: &str = "/v5/agencies/assume-with-oidc";
const IDP: &str = "fake-fixture-idp";
const JSON_TYPE: &str = "application/json;charset=utf8";

async fn start_with(config: FakeCloudConfig) -> FakeCloud {
    FakeCloud::start(config).await.unwrap()
}

async fn start() -> FakeCloud {
    start_with(FakeCloudConfig::default()).await
}

async fn put_token(cloud: &FakeCloud, ttl: Option<&str>) -> (u16, String) {
    let mut req = client().put(cloud.url(TOKEN));
    if let Some(ttl) = ttl {
        req = req.header("X-Metadata-Token-Ttl-Seconds", ttl);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn get_key(cloud: &FakeCloud, token: Option<&str>) -> (u16, Value) {
    get_key_at(cloud, SECURITY_KEY, token).await
}

async fn get_key_at(cloud: &FakeCloud, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut req = client().get(cloud.url(path));
    if let Some(t) = token {
        req = req.header("X-Metadata-Token", t);
    }
    status_json(req.send().await.unwrap()).await
}

fn id_token_body(token: &str) -> Value {
    json!({"auth": {"id_token": {"id": token}}})
}

/// Step 1 of spec 8.1: status, `X-Subject-Token`, JSON body.
async fn federate(
    cloud: &FakeCloud,
    idp: Option<&str>,
    body: &Value,
) -> (u16, Option<String>, Value) {
    let mut req = client()
        .post(cloud.url(ID_TOKEN))
        .header("Content-Type", JSON_TYPE)
        .body(body.to_string());
    if let Some(idp) = idp {
        req = req.header("X-Idp-Id", idp);
    }
    let resp = req.send().await.unwrap();
    let subject = resp
        .headers()
        .get("x-subject-token")
        .map(|v| v.to_str().unwrap().to_string());
    let (status, json) = status_json(resp).await;
    (status, subject, json)
}

async fn subject_token(cloud: &FakeCloud) -> String {
    let (status, subject, _) =
        federate(cloud, Some(IDP), &id_token_body(FIXTURE_HUAWEI_ID_TOKEN)).await;
    assert_eq!(status, 201);
    subject.unwrap()
}

fn securitytokens_body(id: Option<&str>, duration: Option<Value>) -> Value {
    let mut token = json!({});
    if let Some(id) = id {
        token["id"] = json!(id);
    }
    if let Some(d) = duration {
        token["duration_seconds"] = d;
    }
    json!({"auth": {"identity": {"methods": ["token"], "token": token}}})
}

async fn security_tokens(cloud: &FakeCloud, auth: Option<&str>, body: &Value) -> (u16, Value) {
    let mut req = client()
        .post(cloud.url(SECURITY_TOKENS))
        .header("Content-Type", JSON_TYPE)
        .body(body.to_string());
    if let Some(t) = auth {
        req = req.header("X-Auth-Token", t);
    }
    status_json(req.send().await.unwrap()).await
}

fn oidc_body() -> Value {
    json!({
        "provider_urn": "iam::0000000000000000fakedomain000002:identity-provider:fake-oidc",
        "agency_urn": "iam::0000000000000000fakedomain000002:agency:fake-oidc-agency",
        "agency_session_name": "oidc-sts-session",
        "id_token": FIXTURE_HUAWEI_ID_TOKEN,
    })
}

async fn assume_with_oidc(cloud: &FakeCloud, body: &Value) -> (u16, Value) {
    status_json(
        client()
            .post(cloud.url(OIDC_STS))
            .header("Content-Type", "application/json;charset=UTF-8")
            .body(body.to_string())
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// `YYYY-MM-DDThh:mm:ss.<digits>Z` with exactly `digits` fractional digits.
fn assert_fractional(text: &str, digits: usize) {
    let b = text.as_bytes();
    assert_eq!(b.len(), 21 + digits, "{text}");
    for (i, c) in b.iter().enumerate() {
        let expected = match i {
            4 | 7 => Some(b'-'),
            10 => Some(b'T'),
            13 | 16 => Some(b':'),
            19 => Some(b'.'),
            _ if i == b.len() - 1 => Some(b'Z'),
            _ => None,
        };
        match expected {
            Some(e) => assert_eq!(*c, e, "{text} at {i}"),
            None => assert!(c.is_ascii_digit(), "{text} at {i}"),
        }
    }
}

fn seconds_left(text: &str) -> i64 {
    let t = chrono::DateTime::parse_from_rfc3339(text).unwrap();
    t.timestamp() - chrono::Utc::now().timestamp()
}

/// The four fields of a `credential` object; returns (access, expires_at).
fn check_credential(v: &Value) -> (String, String) {
    let c = &v["credential"];
    for k in ["access", "secret", "securitytoken", "expires_at"] {
        assert!(c[k].as_str().is_some_and(|s| !s.is_empty()), "{k} in {v}");
    }
    let access = c["access"].as_str().unwrap();
    assert_eq!(access.len(), 20);
    assert!(access
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    let expires_at = c["expires_at"].as_str().unwrap().to_string();
    assert_fractional(&expires_at, 6);
    (access.to_string(), expires_at)
}

// ---------------------------------------------------------------- metadata

#[tokio::test]
async fn metadata_both_mode_with_and_without_token() {
    let cloud = start().await;
    let (status, token) = put_token(&cloud, Some("21600")).await;
    assert_eq!(status, 200);
    assert!(token.len() >= 32);
    let resp = client()
        .get(cloud.url(SECURITY_KEY))
        .header("X-Metadata-Token", &token)
        .send()
        .await
        .unwrap();
    assert!(resp.headers().contains_key("date"));
    assert!(resp.headers().contains_key("x-request-id"));
    let (status, first) = status_json(resp).await;
    assert_eq!(status, 200);
    let (ak1, expires_at) = check_credential(&first);
    // 24 hours by default.
    let left = seconds_left(&expires_at);
    assert!((86395..=86400).contains(&left), "{left}");
    // Fresh credentials on each GET, also without a token.
    let (status, second) = get_key(&cloud, None).await;
    assert_eq!(status, 200);
    let (ak2, _) = check_credential(&second);
    assert_ne!(ak1, ak2);
    // A token never issued is refused even where tokens are optional; not the agency message.
    let (status, body) = get_key(&cloud, Some("forged")).await;
    assert_eq!(status, 401);
    assert!(!body.to_string().contains(HW_NO_AGENCY_MESSAGE));
    assert_eq!(cloud.count(Endpoint::HwMetadataToken), 1);
    assert_eq!(cloud.count(Endpoint::HwSecurityKey), 3);
    let issued = cloud.issued();
    assert_eq!(issued.len(), 2);
    assert_eq!(issued[0].endpoint, Endpoint::HwSecurityKey);
    assert_eq!(issued[0].access_key_id, ak1);
    assert_eq!(issued[0].duration_seconds, Some(86400));
    assert_eq!(issued[0].expiration_text, expires_at);
    // Alibaba's token endpoint and header are not Huawei's.
    let reqs = cloud.requests();
    assert_eq!(reqs[0].endpoint, Some(Endpoint::HwMetadataToken));
    assert_eq!(
        reqs[0].header("x-metadata-token-ttl-seconds"),
        Some("21600")
    );
    assert_eq!(reqs[1].header("x-metadata-token"), Some(token.as_str()));
}

#[tokio::test]
async fn metadata_token_required_mode() {
    let cloud =
        start_with(FakeCloudConfig::default().with_hw_imds_mode(ImdsMode::TokenRequired)).await;
    let (status, body) = get_key(&cloud, None).await;
    assert_eq!(status, 401);
    assert!(body["error_msg"].is_string());
    assert!(!body.to_string().contains(HW_NO_AGENCY_MESSAGE));
    let (_, token) = put_token(&cloud, Some("60")).await;
    assert_eq!(get_key(&cloud, Some(&token)).await.0, 200);
    // Alibaba metadata tokens are no Huawei tokens.
    let (status, ali) = common::put_token(&cloud, Some("60")).await;
    assert_eq!(status, 200);
    assert_eq!(get_key(&cloud, Some(&ali)).await.0, 401);
}

#[tokio::test]
async fn metadata_v1_only_mode_has_no_token_endpoint() {
    let cloud = start_with(FakeCloudConfig::default().with_hw_imds_mode(ImdsMode::V1Only)).await;
    assert_eq!(put_token(&cloud, Some("21600")).await.0, 404);
    let (status, body) = get_key(&cloud, None).await;
    assert_eq!(status, 200);
    check_credential(&body);
    assert_eq!(get_key(&cloud, Some("anything")).await.0, 200);
}

#[tokio::test]
async fn metadata_token_ttl_bounds_and_methods() {
    let cloud = start().await;
    for ttl in [None, Some("0"), Some("21601"), Some("-1"), Some("abc")] {
        assert_eq!(put_token(&cloud, ttl).await.0, 400, "{ttl:?}");
    }
    for ttl in ["1", "21600"] {
        assert_eq!(put_token(&cloud, Some(ttl)).await.0, 200, "{ttl}");
    }
    let get = client().get(cloud.url(TOKEN)).send().await.unwrap();
    assert_eq!(get.status().as_u16(), 405);
    let post = client().post(cloud.url(SECURITY_KEY)).send().await.unwrap();
    assert_eq!(post.status().as_u16(), 405);
}

#[tokio::test]
async fn metadata_token_expires_on_the_server_clock() {
    let cloud =
        start_with(FakeCloudConfig::default().with_hw_imds_mode(ImdsMode::TokenRequired)).await;
    let (_, token) = put_token(&cloud, Some("60")).await;
    assert_eq!(get_key(&cloud, Some(&token)).await.0, 200);
    cloud.set_clock_offset(61);
    assert_eq!(get_key(&cloud, Some(&token)).await.0, 401);
    let (_, fresh) = put_token(&cloud, Some("60")).await;
    assert_eq!(get_key(&cloud, Some(&fresh)).await.0, 200);
}

#[tokio::test]
async fn metadata_without_agency_says_so() {
    let cloud = start_with(FakeCloudConfig::default().with_hw_metadata_agency(false)).await;
    let (_, token) = put_token(&cloud, Some("21600")).await;
    for t in [Some(token.as_str()), None] {
        let (status, body) = get_key(&cloud, t).await;
        assert_eq!(status, 401);
        assert!(body.to_string().contains(HW_NO_AGENCY_MESSAGE), "{body}");
    }
    assert!(cloud.issued().is_empty());
}

#[tokio::test]
async fn metadata_endpoint_with_path_prefix() {
    let cloud = start().await;
    let (status, body) =
        get_key_at(&cloud, "/some/prefix/openstack/latest/securitykey", None).await;
    assert_eq!(status, 200);
    check_credential(&body);
    assert_eq!(
        get_key_at(&cloud, "/openstack/latest/meta_data.json", None)
            .await
            .0,
        404
    );
}

// ---------------------------------------------------------------- IAM federation

#[tokio::test]
async fn federation_then_temporary_keys() {
    let cloud = start().await;
    let (status, subject, body) =
        federate(&cloud, Some(IDP), &id_token_body(FIXTURE_HUAWEI_ID_TOKEN)).await;
    assert_eq!(status, 201);
    let subject = subject.expect("X-Subject-Token");
    assert!(subject.len() > 100);
    assert!(body["token"]["expires_at"].is_string());
    // cloudcred's form (H6): the token as header and as body id.
    let (status, v) = security_tokens(
        &cloud,
        Some(&subject),
        &securitytokens_body(Some(&subject), Some(json!(21600))),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let (ak, expires_at) = check_credential(&v);
    let left = seconds_left(&expires_at);
    assert!((21595..=21600).contains(&left), "{left}");
    // obs form: header only; core form: body id only.
    let (status, v2) = security_tokens(
        &cloud,
        Some(&subject),
        &securitytokens_body(None, Some(json!(86400))),
    )
    .await;
    assert_eq!(status, 201);
    let (ak2, _) = check_credential(&v2);
    let (status, _) = security_tokens(
        &cloud,
        None,
        &securitytokens_body(Some(&subject), Some(json!(900))),
    )
    .await;
    assert_eq!(status, 201);
    assert_ne!(ak, ak2);
    let issued = cloud.issued();
    assert_eq!(issued.len(), 3);
    assert!(issued
        .iter()
        .all(|i| i.endpoint == Endpoint::HwSecurityTokens));
    assert_eq!(issued[0].access_key_id, ak);
    assert_eq!(
        issued
            .iter()
            .map(|i| i.duration_seconds)
            .collect::<Vec<_>>(),
        [Some(21600), Some(86400), Some(900)]
    );
    let reqs = cloud.requests();
    assert_eq!(reqs[0].endpoint, Some(Endpoint::HwIdTokenTokens));
    assert_eq!(reqs[0].header("x-idp-id"), Some(IDP));
    assert_eq!(reqs[1].endpoint, Some(Endpoint::HwSecurityTokens));
    assert_eq!(reqs[1].verdict, Verdict::Accepted);
    assert_eq!(cloud.count(Endpoint::HwIdTokenTokens), 1);
    assert_eq!(cloud.count(Endpoint::HwSecurityTokens), 3);
}

#[tokio::test]
async fn federation_refuses_wrong_idp_token_and_shapes() {
    let cloud = start().await;
    let good = id_token_body(FIXTURE_HUAWEI_ID_TOKEN);
    let (status, subject, body) = federate(&cloud, Some("other-idp"), &good).await;
    assert_eq!((status, subject.is_none()), (401, true));
    assert!(
        body["error"]["code"].is_string() && body["error"]["message"].is_string(),
        "{body}"
    );
    let (status, subject, body) = federate(&cloud, Some(IDP), &id_token_body("eyJ.not.it")).await;
    assert_eq!((status, subject.is_none()), (401, true));
    assert_eq!(body["error"]["title"], "Unauthorized");
    // The trailing newline of the fixture file must have been trimmed by the client.
    let newline = id_token_body(&format!("{FIXTURE_HUAWEI_ID_TOKEN}\n"));
    assert_eq!(federate(&cloud, Some(IDP), &newline).await.0, 401);
    assert_eq!(federate(&cloud, None, &good).await.0, 400);
    assert_eq!(
        federate(&cloud, Some(IDP), &json!({"auth": {}})).await.0,
        400
    );
    assert_eq!(federate(&cloud, Some(IDP), &id_token_body("")).await.0, 400);
    let mut bad_scope = good.clone();
    bad_scope["auth"]["scope"] = json!({"project": {}});
    assert_eq!(federate(&cloud, Some(IDP), &bad_scope).await.0, 400);
    for scope in [
        json!({"project": {"id": "0000000000000000fakeproject00004"}}),
        json!({"domain": {"name": "fake-domain"}}),
    ] {
        let mut scoped = good.clone();
        scoped["auth"]["scope"] = scope.clone();
        let (status, subject, body) = federate(&cloud, Some(IDP), &scoped).await;
        assert_eq!((status, subject.is_some()), (201, true));
        assert_eq!(body["token"]["scope"], scope);
    }
    // Method and content type.
    let get = client()
        .get(cloud.url(ID_TOKEN))
        .header("X-Idp-Id", IDP)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 405);
    let plain = client()
        .post(cloud.url(ID_TOKEN))
        .header("X-Idp-Id", IDP)
        .header("Content-Type", "text/plain")
        .body(good.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status().as_u16(), 400);
    assert!(cloud.issued().is_empty());
}

#[tokio::test]
async fn configured_idp_and_token() {
    let cloud = start_with(
        FakeCloudConfig::default()
            .with_hw_idp_id("my-idp")
            .with_hw_id_token("my-token"),
    )
    .await;
    assert_eq!(
        federate(&cloud, Some(IDP), &id_token_body("my-token"))
            .await
            .0,
        401
    );
    assert_eq!(
        federate(
            &cloud,
            Some("my-idp"),
            &id_token_body(FIXTURE_HUAWEI_ID_TOKEN)
        )
        .await
        .0,
        401
    );
    assert_eq!(
        federate(&cloud, Some("my-idp"), &id_token_body("my-token"))
            .await
            .0,
        201
    );
}

#[tokio::test]
async fn security_tokens_duration_bounds() {
    let cloud = start().await;
    let subject = subject_token(&cloud).await;
    for d in [
        json!(899),
        json!(86401),
        json!(0),
        json!(-1),
        json!("3600"),
        json!(3600.5),
    ] {
        let (status, body) = security_tokens(
            &cloud,
            Some(&subject),
            &securitytokens_body(None, Some(d.clone())),
        )
        .await;
        assert_eq!(status, 400, "{d}");
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("duration_seconds"));
    }
    for d in [900, 86400] {
        let (status, _) = security_tokens(
            &cloud,
            Some(&subject),
            &securitytokens_body(None, Some(json!(d))),
        )
        .await;
        assert_eq!(status, 201, "{d}");
    }
    // No duration: IAM's default of 15 minutes; no token object at all is fine too.
    let (status, v) =
        security_tokens(&cloud, Some(&subject), &securitytokens_body(None, None)).await;
    assert_eq!(status, 201);
    let left = seconds_left(v["credential"]["expires_at"].as_str().unwrap());
    assert!((895..=900).contains(&left), "{left}");
    let bare = json!({"auth": {"identity": {"methods": ["token"]}}});
    assert_eq!(security_tokens(&cloud, Some(&subject), &bare).await.0, 201);
    assert_eq!(cloud.issued().last().unwrap().duration_seconds, Some(900));
}

#[tokio::test]
async fn security_tokens_refuses_bad_tokens_and_shapes() {
    let cloud = start().await;
    let subject = subject_token(&cloud).await;
    let body = securitytokens_body(None, Some(json!(3600)));
    let (status, err) = security_tokens(&cloud, Some("MIIunknown"), &body).await;
    assert_eq!(status, 401);
    assert_eq!(err["error"]["title"], "Unauthorized");
    assert_eq!(security_tokens(&cloud, None, &body).await.0, 401);
    // Header and body id disagree.
    let mismatch = securitytokens_body(Some("MIIother"), Some(json!(3600)));
    assert_eq!(
        security_tokens(&cloud, Some(&subject), &mismatch).await.0,
        400
    );
    for methods in [json!(["password"]), json!([]), json!("token"), Value::Null] {
        let b =
            json!({"auth": {"identity": {"methods": methods, "token": {"duration_seconds": 900}}}});
        assert_eq!(
            security_tokens(&cloud, Some(&subject), &b).await.0,
            400,
            "{methods}"
        );
    }
    assert!(cloud.issued().is_empty());
}

#[tokio::test]
async fn subject_token_expires() {
    let cloud = start().await;
    let subject = subject_token(&cloud).await;
    let body = securitytokens_body(None, Some(json!(900)));
    assert_eq!(security_tokens(&cloud, Some(&subject), &body).await.0, 201);
    cloud.set_clock_offset(24 * 3600 + 1);
    assert_eq!(security_tokens(&cloud, Some(&subject), &body).await.0, 401);
    // ExpiredCredentials on step 1 hands out a token that is already dead.
    cloud.set_clock_offset(0);
    cloud.set_fault_times(Endpoint::HwIdTokenTokens, Fault::ExpiredCredentials, 1);
    let dead = subject_token(&cloud).await;
    assert_eq!(security_tokens(&cloud, Some(&dead), &body).await.0, 401);
}

#[tokio::test]
async fn missing_field_strips_the_subject_token_header() {
    let cloud = start().await;
    cloud.set_fault_times(
        Endpoint::HwIdTokenTokens,
        Fault::MissingField("X-Subject-Token"),
        1,
    );
    let (status, subject, body) =
        federate(&cloud, Some(IDP), &id_token_body(FIXTURE_HUAWEI_ID_TOKEN)).await;
    assert_eq!(status, 201);
    assert!(subject.is_none(), "the header is gone");
    assert!(body["token"]["expires_at"].is_string(), "the body is whole");
    assert!(subject_token(&cloud).await.len() > 100, "one request only");
}

// ---------------------------------------------------------------- STS assume-with-oidc

#[tokio::test]
async fn oidc_sts_success() {
    let cloud = start().await;
    let mut body = oidc_body();
    body["policy_ids"] = json!(["fake-policy-id"]);
    let (status, v) = assume_with_oidc(&cloud, &body).await;
    assert_eq!(status, 200, "{v}");
    let c = &v["credentials"];
    for k in [
        "access_key_id",
        "secret_access_key",
        "security_token",
        "expiration",
    ] {
        assert!(c[k].as_str().is_some_and(|s| !s.is_empty()), "{k}");
    }
    let expiration = c["expiration"].as_str().unwrap();
    assert_fractional(expiration, 3);
    // Default 3600 s.
    let left = seconds_left(expiration);
    assert!((3595..=3600).contains(&left), "{left}");
    let issued = cloud.issued();
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].endpoint, Endpoint::HwOidcSts);
    assert_eq!(
        issued[0].access_key_id,
        c["access_key_id"].as_str().unwrap()
    );
    assert_eq!(issued[0].duration_seconds, Some(3600));
    assert_eq!(issued[0].role_arn.as_deref(), body["agency_urn"].as_str());
    assert_eq!(
        issued[0].oidc_provider_arn.as_deref(),
        body["provider_urn"].as_str()
    );
    assert_eq!(
        issued[0].role_session_name.as_deref(),
        Some("oidc-sts-session")
    );
    // An explicit duration and policy.
    body["duration_seconds"] = json!(900);
    body["policy"] = json!(r#"{"Version":"5.0","Statement":[]}"#);
    let (status, _) = assume_with_oidc(&cloud, &body).await;
    assert_eq!(status, 200);
    assert_eq!(cloud.issued()[1].duration_seconds, Some(900));
    assert!(cloud.issued()[1].policy.is_some());
    assert_eq!(cloud.count(Endpoint::HwOidcSts), 2);
}

#[tokio::test]
async fn oidc_sts_refusals() {
    let cloud = start_with(FakeCloudConfig {
        hw_oidc_agency_urn: Some(oidc_body()["agency_urn"].as_str().unwrap().to_string()),
        ..FakeCloudConfig::default()
    })
    .await;
    let mut wrong_token = oidc_body();
    wrong_token["id_token"] = json!("eyJ.wrong.token");
    let (status, v) = assume_with_oidc(&cloud, &wrong_token).await;
    assert_eq!(status, 401);
    assert!(
        v["error_code"].is_string() && v["error_msg"].is_string(),
        "{v}"
    );
    let mut wrong_agency = oidc_body();
    wrong_agency["agency_urn"] = json!("iam::1:agency:other");
    assert_eq!(assume_with_oidc(&cloud, &wrong_agency).await.0, 403);
    for missing in [
        "provider_urn",
        "agency_urn",
        "agency_session_name",
        "id_token",
    ] {
        let mut b = oidc_body();
        b.as_object_mut().unwrap().remove(missing);
        assert_eq!(assume_with_oidc(&cloud, &b).await.0, 400, "{missing}");
    }
    for (k, v) in [
        ("duration_seconds", json!(899)),
        ("duration_seconds", json!(43201)),
        ("duration_seconds", json!("3600")),
        ("agency_session_name", json!("x")),
        ("agency_session_name", json!("has space")),
        ("policy", json!("not json")),
        ("policy_ids", json!("a,b")),
    ] {
        let mut b = oidc_body();
        b[k] = v.clone();
        assert_eq!(assume_with_oidc(&cloud, &b).await.0, 400, "{k}={v}");
    }
    let mut b = oidc_body();
    b["duration_seconds"] = json!(43200);
    assert_eq!(assume_with_oidc(&cloud, &b).await.0, 200);
    assert_eq!(cloud.issued().len(), 1);
}

// ---------------------------------------------------------------- faults and vocabulary

#[tokio::test]
async fn faults_on_huawei_endpoints() {
    let cloud = start().await;
    // Status: the endpoint's own error shape, then normal service.
    cloud.set_fault_times(Endpoint::HwSecurityKey, Fault::Status(503), 1);
    let (status, body) = get_key(&cloud, None).await;
    assert_eq!(status, 503);
    assert!(body["error_code"].is_string(), "{body}");
    assert_eq!(get_key(&cloud, None).await.0, 200);
    // MissingField strips expires_at.
    cloud.set_fault_times(
        Endpoint::HwSecurityKey,
        Fault::MissingField("expires_at"),
        1,
    );
    let (status, body) = get_key(&cloud, None).await;
    assert_eq!(status, 200);
    assert!(body["credential"]["access"].is_string());
    assert!(body["credential"].get("expires_at").is_none());
    // An empty 200 from the token PUT ("continue without a token", H2).
    cloud.set_fault_times(Endpoint::HwMetadataToken, Fault::MalformedBody, 1);
    assert_eq!(put_token(&cloud, Some("60")).await, (200, String::new()));
    // Throttling on the temporary AK/SK API.
    let subject = subject_token(&cloud).await;
    cloud.set_fault_times(Endpoint::HwSecurityTokens, Fault::Throttle, 1);
    let resp = client()
        .post(cloud.url(SECURITY_TOKENS))
        .header("Content-Type", JSON_TYPE)
        .header("X-Auth-Token", &subject)
        .body(securitytokens_body(None, Some(json!(900))).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(resp.headers()["retry-after"], "1");
    let (_, body) = status_json(resp).await;
    assert!(body["error"]["code"].is_string(), "{body}");
    // Status 401 on federation in IAM's shape.
    cloud.set_fault_times(Endpoint::HwIdTokenTokens, Fault::Status(401), 1);
    let (status, subject, body) =
        federate(&cloud, Some(IDP), &id_token_body(FIXTURE_HUAWEI_ID_TOKEN)).await;
    assert_eq!((status, subject), (401, None));
    assert!(body["error"]["message"].is_string());
    // A dropped connection on STS.
    cloud.set_fault_times(Endpoint::HwOidcSts, Fault::DropConnection, 1);
    assert!(client()
        .post(cloud.url(OIDC_STS))
        .header("Content-Type", JSON_TYPE)
        .body(oidc_body().to_string())
        .send()
        .await
        .is_err());
    assert_eq!(assume_with_oidc(&cloud, &oidc_body()).await.0, 200);
    // A delay.
    cloud.set_fault_times(
        Endpoint::HwSecurityKey,
        Fault::Delay(Duration::from_millis(200)),
        1,
    );
    let started = std::time::Instant::now();
    assert_eq!(get_key(&cloud, None).await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(200));
    // Faulted requests are recorded with their fault.
    let faulted: Vec<_> = cloud
        .requests()
        .into_iter()
        .filter(|r| r.fault.is_some())
        .collect();
    assert_eq!(faulted.len(), 7);
    assert_eq!(faulted[0].fault, Some(Fault::Status(503)));
    assert!(matches!(
        faulted[0].verdict,
        Verdict::Rejected { status: 503, .. }
    ));
}

#[test]
fn endpoint_all_lists_the_huawei_endpoints() {
    assert_eq!(Endpoint::ALL.len(), 19);
    for e in [
        Endpoint::HwMetadataToken,
        Endpoint::HwSecurityKey,
        Endpoint::HwIdTokenTokens,
        Endpoint::HwSecurityTokens,
        Endpoint::HwOidcSts,
        Endpoint::HwPodIdentity,
    ] {
        assert!(Endpoint::ALL.contains(&e), "{e:?}");
    }
    let config = FakeCloudConfig::default();
    assert_eq!(config.hw_idp_id, IDP);
    assert_eq!(config.hw_id_token, FIXTURE_HUAWEI_ID_TOKEN);
    assert_eq!(config.hw_imds_mode, ImdsMode::Both);
    assert_eq!(config.hw_metadata_lifetime, Duration::from_secs(86400));
}

#[test]
fn fixture_id_token_matches_the_file() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/fixtures/tokens/huawei-id-token"
    );
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(text.trim(), FIXTURE_HUAWEI_ID_TOKEN);
}

async fn pod_identity(cloud: &FakeCloud, path: &str, auth: Option<&str>) -> (u16, Value) {
    let mut req = client().post(cloud.url(path)).body("{}");
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    status_json(req.send().await.unwrap()).await
}

#[tokio::test]
async fn pod_identity_checks_the_token_and_faults_apply() {
    const POD: &str = "/v1/pod-identity/credentials";
    let cloud = start().await;
    let (status, v) = pod_identity(&cloud, POD, Some(FIXTURE_HUAWEI_POD_TOKEN)).await;
    assert_eq!(status, 200, "{v}");
    let (ak, _) = check_credential(&v);
    let issued = cloud.issued();
    assert_eq!(issued.last().unwrap().endpoint, Endpoint::HwPodIdentity);
    assert_eq!(issued.last().unwrap().access_key_id, ak);
    for auth in [None, Some("wrong-token")] {
        let (status, v) = pod_identity(&cloud, POD, auth).await;
        assert_eq!(
            (status, v["error"]["code"].as_str()),
            (401, Some("POD.0003"))
        );
    }
    let resp = client().get(cloud.url(POD)).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    cloud.set_fault_times(Endpoint::HwPodIdentity, Fault::Status(503), 1);
    let (status, v) = pod_identity(&cloud, POD, Some(FIXTURE_HUAWEI_POD_TOKEN)).await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (503, Some("POD.Fault503"))
    );
    assert_eq!(cloud.count(Endpoint::HwPodIdentity), 5);

    // A configured path and token.
    let cloud = start_with(
        FakeCloudConfig::default()
            .with_hw_pod_identity_path("/custom/pod")
            .with_hw_pod_identity_token("my-pod-token"),
    )
    .await;
    let (status, _) = pod_identity(&cloud, "/custom/pod", Some("my-pod-token")).await;
    assert_eq!(status, 200);
    assert_eq!(cloud.count(Endpoint::HwPodIdentity), 1);
}
