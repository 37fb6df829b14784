//! Huawei providers against a scripted HTTP client injected through `Context::http_client`: the
//! exact requests (paths, headers, bodies) and every branch of the metadata token flow, IdP
//! federation and temporary keys, without any network. (The fake-cloud tests are in
//! `huawei_fakecloud.rs`.)

mod common;

use chrono::{DateTime, SecondsFormat, Utc};
use cloudcred::context::ManualClock;
use cloudcred::engine::RefreshConfig;
use cloudcred::http::{HttpClient, RequestOptions, Response, TransportError, TransportErrorKind};
use cloudcred::huawei::federation::IdpFederationProvider;
use cloudcred::huawei::metadata::MetadataProvider;
use cloudcred::huawei::{CredentialType, ProfileProvider, TemporaryKeysProvider};
use cloudcred::prelude::*;
use cloudcred::{Clock, Context, MapEnv, Resolution, SharedProvider};
use futures::future::BoxFuture;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Reply = Result<Response, TransportError>;

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: http::HeaderMap,
    body: String,
}

#[derive(Debug, Default)]
struct Script {
    replies: Mutex<VecDeque<Reply>>,
    seen: Mutex<Vec<Seen>>,
}

#[derive(Debug, Clone, Default)]
struct Scripted(Arc<Script>);

impl Scripted {
    fn push(&self, r: Reply) -> &Self {
        self.0.replies.lock().unwrap().push_back(r);
        self
    }
    fn seen(&self) -> Vec<Seen> {
        self.0.seen.lock().unwrap().clone()
    }
}

impl HttpClient for Scripted {
    fn send<'a>(
        &'a self,
        request: http::Request<Vec<u8>>,
        _options: &'a RequestOptions,
    ) -> BoxFuture<'a, Reply> {
        self.0.seen.lock().unwrap().push(Seen {
            method: request.method().to_string(),
            path: request.uri().path().to_owned(),
            headers: request.headers().clone(),
            body: String::from_utf8_lossy(request.body()).into_owned(),
        });
        let reply = self
            .0
            .replies
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected request {} {}", request.method(), request.uri()));
        Box::pin(futures::future::ready(reply))
    }
}

fn reply(status: u16, body: &str) -> Reply {
    reply_with(status, body, &[])
}

fn reply_with(status: u16, body: &str, headers: &[(&'static str, &str)]) -> Reply {
    let mut map = http::HeaderMap::new();
    for (k, v) in headers {
        map.insert(*k, v.parse().unwrap());
    }
    Ok(Response::new(status, map, body.as_bytes().to_vec()))
}

fn refused() -> Reply {
    Err(TransportError::new(
        TransportErrorKind::Connect,
        "connection refused",
    ))
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn credential_body(ak: &str, expires: DateTime<Utc>) -> String {
    format!(
        r#"{{"credential":{{"access":"{ak}","secret":"planted-hw-sk-{ak}","securitytoken":"planted-hw-token-{ak}","expires_at":"{}"}}}}"#,
        rfc(expires)
    )
}

fn setup(vars: &[(&str, &str)]) -> (Context, ManualClock, Scripted) {
    let (clock, manual) = Clock::manual(Utc::now());
    let env: MapEnv = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let script = Scripted::default();
    (
        Context::from_env(env)
            .with_clock(clock)
            .with_http_client(script.clone()),
        manual,
        script,
    )
}

fn start(m: &ManualClock) -> DateTime<Utc> {
    m.now()
}

fn clean(text: &str) {
    assert!(!text.contains("planted"), "secret leaked into: {text}");
}

fn metadata(ctx: &Context, port: u16, in_chain: bool) -> SharedProvider {
    let mut b = MetadataProvider::builder(ctx)
        .endpoint(format!("http://127.0.0.1:{port}"))
        .refresh(
            RefreshConfig::default()
                .window(Duration::from_secs(2400))
                .background(false),
        );
    if in_chain {
        b = b.in_chain();
    }
    SharedProvider::new(b.build().unwrap())
}

#[test]
fn metadata_token_flow_uses_documented_headers() {
    let (ctx, m, s) = setup(&[]);
    s.push(reply(200, "planted-imds-token")).push(reply(
        200,
        &credential_body("HWAK1", start(&m) + chrono::Duration::hours(1)),
    ));
    let c = metadata(&ctx, 2001, false).get_blocking().unwrap();
    assert_eq!(c.access_key_id(), "HWAK1");
    assert_eq!(
        c.security_token().unwrap().expose(),
        "planted-hw-token-HWAK1"
    );
    assert_eq!(c.provider_name().as_str(), "metadata");
    clean(&format!("{c:?} {c}"));
    let seen = s.seen();
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("PUT", "/meta-data/latest/api/token")
    );
    assert_eq!(seen[0].headers["x-metadata-token-ttl-seconds"], "21600");
    assert_eq!(
        (seen[1].method.as_str(), seen[1].path.as_str()),
        ("GET", "/openstack/latest/securitykey")
    );
    assert_eq!(seen[1].headers["x-metadata-token"], "planted-imds-token");
}

#[test]
fn metadata_v1_fallback_and_no_put_for_a_day() {
    for status in [404, 405, 503, 200] {
        let (ctx, m, s) = setup(&[]);
        s.push(reply(status, "")).push(reply(
            200,
            &credential_body("HWV1", start(&m) + chrono::Duration::hours(2)),
        ));
        let p = metadata(&ctx, 2002, false);
        assert_eq!(p.get_blocking().unwrap().access_key_id(), "HWV1");
        assert!(!s.seen()[1].headers.contains_key("x-metadata-token"));
        // Past the refresh point: one GET, no new PUT.
        m.advance(Duration::from_secs(100 * 60));
        s.push(reply(
            200,
            &credential_body("HWV1B", start(&m) + chrono::Duration::hours(3)),
        ));
        // Refresh ahead: this caller drives the refresh and still gets the cached keys.
        let _ = futures::executor::block_on(p.resolve()).unwrap();
        assert_eq!(p.get_blocking().unwrap().access_key_id(), "HWV1B");
        assert_eq!(s.seen().len(), 3, "status {status}");
        assert_eq!(s.seen()[2].method, "GET");
    }
}

#[test]
fn metadata_401_takes_a_fresh_token_once() {
    let (ctx, m, s) = setup(&[]);
    s.push(reply(200, "tok-1"))
        .push(reply(401, r#"{"error_msg":"token expired"}"#))
        .push(reply(200, "tok-2"))
        .push(reply(
            200,
            &credential_body("HWAK2", start(&m) + chrono::Duration::hours(1)),
        ));
    let c = metadata(&ctx, 2003, false).get_blocking().unwrap();
    assert_eq!(c.access_key_id(), "HWAK2");
    assert_eq!(s.seen()[3].headers["x-metadata-token"], "tok-2");
}

#[test]
fn metadata_without_agency_is_not_configured_in_a_chain_and_an_error_alone() {
    let body = r#"{"error_msg":"Please configure Cloud Service Agency first"}"#;
    let (ctx, _m, s) = setup(&[]);
    s.push(reply(200, "tok")).push(reply(401, body));
    let r = futures::executor::block_on(metadata(&ctx, 2004, true).resolve()).unwrap();
    assert!(
        matches!(r, Resolution::NotConfigured(ref why) if why.contains("agency")),
        "{r:?}"
    );
    let (ctx, _m, s) = setup(&[]);
    s.push(reply(200, "tok")).push(reply(401, body));
    let e = metadata(&ctx, 2005, false).get_blocking().unwrap_err();
    assert!(e.to_string().contains("agency"), "{e}");
}

#[test]
fn metadata_unreachable_is_not_configured_in_a_chain_and_memoised() {
    let (ctx, _m, s) = setup(&[]);
    s.push(refused());
    let p = metadata(&ctx, 2006, true);
    let r = futures::executor::block_on(p.resolve()).unwrap();
    assert!(matches!(r, Resolution::NotConfigured(_)), "{r:?}");
    // A second guess at the same endpoint sends nothing.
    let r = futures::executor::block_on(metadata(&ctx, 2006, true).resolve()).unwrap();
    assert!(
        matches!(r, Resolution::NotConfigured(ref w) if w.contains("earlier")),
        "{r:?}"
    );
    assert_eq!(s.seen().len(), 1);
    // Explicitly built: an error.
    let (ctx, _m, s) = setup(&[]);
    s.push(refused());
    let e = metadata(&ctx, 2007, false).get_blocking().unwrap_err();
    assert_eq!(e.kind_name(), "transport");
}

#[test]
fn metadata_errors_carry_the_iam_error_and_no_secret() {
    let (ctx, _m, s) = setup(&[]);
    s.push(reply(403, "planted-body"));
    let e = metadata(&ctx, 2008, false).get_blocking().unwrap_err();
    assert!(e.to_string().contains("403"), "{e}");
    clean(&format!("{e} {e:?}"));
    let (ctx, _m, s) = setup(&[]);
    s.push(reply(200, "tok")).push(reply(
        500,
        r#"{"error_code":"ECS.0001","error_msg":"internal"}"#,
    ));
    let e = metadata(&ctx, 2009, false)
        .get_blocking()
        .unwrap_err()
        .to_string();
    assert!(e.contains("ECS.0001") && e.contains("500"), "{e}");
    let (ctx, m, s) = setup(&[]);
    s.push(reply(200, "tok")).push(reply(
        200,
        &credential_body("HWAK", start(&m) + chrono::Duration::hours(1))
            .replace("\"access\"", "\"nope\""),
    ));
    let e = metadata(&ctx, 2010, false).get_blocking().unwrap_err();
    assert!(e.to_string().contains("credential.access"), "{e}");
    clean(&format!("{e} {e:?}"));
}

#[test]
fn metadata_serves_stale_while_valid_then_fails() {
    let (ctx, m, s) = setup(&[]);
    s.push(reply(200, "tok")).push(reply(
        200,
        &credential_body("HWOLD", start(&m) + chrono::Duration::hours(1)),
    ));
    let p = metadata(&ctx, 2011, false);
    assert_eq!(p.get_blocking().unwrap().access_key_id(), "HWOLD");
    // In the refresh window (30 min = half the lifetime): the refresh fails, the old keys stay.
    m.advance(Duration::from_secs(45 * 60));
    s.push(reply(500, "{}"));
    let r = futures::executor::block_on(p.resolve()).unwrap();
    let Resolution::Credentials(c) = r else {
        panic!()
    };
    assert_eq!(c.access_key_id(), "HWOLD");
    // Past expiry: never the old keys.
    m.advance(Duration::from_secs(16 * 60));
    s.push(reply(500, "{}"));
    let e = futures::executor::block_on(p.resolve()).unwrap_err();
    clean(&format!("{e} {e:?}"));
}

#[test]
fn metadata_disabled_and_bad_endpoints() {
    let (ctx, _m, _s) = setup(&[("HUAWEICLOUD_SDK_METADATA_DISABLED", "true")]);
    let e = MetadataProvider::builder(&ctx)
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.contains("HUAWEICLOUD_SDK_METADATA_DISABLED"), "{e}");
    let (ctx, _m, _s) = setup(&[(
        "HUAWEICLOUD_SDK_METADATA_ENDPOINT",
        "http://metadata.example",
    )]);
    let e = MetadataProvider::builder(&ctx)
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.contains("HUAWEICLOUD_SDK_METADATA_ENDPOINT"), "{e}");
    let (ctx, _m, s) = setup(&[(
        "HUAWEICLOUD_SDK_METADATA_ENDPOINT",
        "http://127.0.0.1:2012/prefix/",
    )]);
    s.push(reply(404, ""));
    s.push(reply(404, ""));
    let _ = MetadataProvider::builder(&ctx).build().unwrap().source();
    let p = SharedProvider::new(MetadataProvider::builder(&ctx).build().unwrap());
    let _ = p.get_blocking();
    assert_eq!(s.seen()[0].path, "/prefix/meta-data/latest/api/token");
    assert_eq!(s.seen()[1].path, "/prefix/openstack/latest/securitykey");
}

fn id_token() -> String {
    common::fixture("tokens/huawei-id-token").trim().to_owned()
}

fn federation_replies(s: &Scripted, m: &ManualClock) {
    s.push(reply_with(
        201,
        "{}",
        &[("x-subject-token", "planted-subject-token")],
    ))
    .push(reply(
        201,
        &credential_body("HWFED", start(m) + chrono::Duration::hours(6)),
    ));
}

fn check_federation_requests(s: &Scripted, idp: &str) {
    let seen = s.seen();
    assert_eq!(seen[0].path, "/v3.0/OS-AUTH/id-token/tokens");
    assert_eq!(seen[0].headers["x-idp-id"], idp);
    assert_eq!(
        seen[0].headers["content-type"],
        "application/json;charset=utf8"
    );
    let body: serde_json::Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(body["auth"]["id_token"]["id"], id_token().as_str());
    assert!(body["auth"].get("scope").is_none());
    assert_eq!(seen[1].path, "/v3.0/OS-CREDENTIAL/securitytokens");
    assert_eq!(seen[1].headers["x-auth-token"], "planted-subject-token");
    let body: serde_json::Value = serde_json::from_str(&seen[1].body).unwrap();
    assert_eq!(body["auth"]["identity"]["methods"][0], "token");
    assert_eq!(
        body["auth"]["identity"]["token"]["id"],
        "planted-subject-token"
    );
    assert_eq!(body["auth"]["identity"]["token"]["duration_seconds"], 21600);
}

#[test]
fn federation_from_env() {
    let token_file = common::fixtures_dir().join("tokens/huawei-id-token");
    let (ctx, m, s) = setup(&[
        ("HUAWEICLOUD_SDK_IDP_ID", "fake-fixture-idp"),
        (
            "HUAWEICLOUD_SDK_ID_TOKEN_FILE",
            token_file.to_str().unwrap(),
        ),
        ("HUAWEICLOUD_SDK_IAM_ENDPOINT", "http://127.0.0.1:2020"),
        ("HUAWEICLOUD_SDK_PROJECT_ID", "proj-1"),
        // Federation beats AK/SK.
        ("HUAWEICLOUD_SDK_AK", "FAKEIGNORED"),
        ("HUAWEICLOUD_SDK_SK", "planted-ignored"),
        ("HUAWEICLOUD_SDK_METADATA_DISABLED", "true"),
    ]);
    federation_replies(&s, &m);
    let c = cloudcred::huawei::default_chain(&ctx)
        .get_blocking()
        .unwrap();
    assert_eq!(c.access_key_id(), "HWFED");
    assert_eq!(c.provider_name().as_str(), "default/idp_federation");
    assert_eq!(c.project_id(), Some("proj-1"));
    check_federation_requests(&s, "fake-fixture-idp");
}

#[test]
fn federation_profile_fixture_ignores_the_ak_sk() {
    let home = common::Home::new();
    let text = common::fixture("huaweicloud/credentials-federated")
        .replace("@FIXTURES@", common::fixtures_dir().to_str().unwrap())
        .replace("@PORT@", "2021");
    let path = home.write(".huaweicloud/credentials", &text);
    let (ctx, m, s) = setup(&[("HOME", home.path().to_str().unwrap())]);
    federation_replies(&s, &m);
    let p = ProfileProvider::new(&ctx, CredentialType::Basic);
    let c = SharedProvider::new(p).get_blocking().unwrap();
    assert_eq!(c.access_key_id(), "HWFED");
    assert_eq!(c.provider_name().as_str(), "profile/idp_federation");
    assert_eq!(c.project_id(), Some("0000000000000000fakeproject00004"));
    check_federation_requests(&s, "fake-fixture-idp");
    assert!(path.exists());
}

#[test]
fn federation_refusals_name_the_cause_without_tokens() {
    let token_file = common::fixtures_dir().join("tokens/huawei-id-token");
    for (status, body, want) in [
        (
            401,
            r#"{"error":{"code":"1101","message":"The id token has expired"}}"#,
            "expired",
        ),
        (
            401,
            r#"{"error_code":"IAM.1001","error_msg":"invalid"}"#,
            "refused",
        ),
        (
            400,
            r#"{"error_code":"IAM.0002","error_msg":"bad idp"}"#,
            "IAM.0002",
        ),
    ] {
        let (ctx, _m, s) = setup(&[]);
        s.push(reply(status, body));
        let p = IdpFederationProvider::builder(&ctx, "fake-fixture-idp", &token_file)
            .iam_endpoint("http://127.0.0.1:2022")
            .build()
            .unwrap();
        let e = SharedProvider::new(p).get_blocking().unwrap_err();
        let text = format!("{e} {e:?}");
        assert!(text.contains(want), "{text}");
        assert!(!text.contains(&id_token()), "{text}");
    }
    // A 2xx without X-Subject-Token.
    let (ctx, _m, s) = setup(&[]);
    s.push(reply(201, "{}"));
    let p = IdpFederationProvider::builder(&ctx, "i", &token_file)
        .iam_endpoint("http://127.0.0.1:2023")
        .build()
        .unwrap();
    let e = SharedProvider::new(p)
        .get_blocking()
        .unwrap_err()
        .to_string();
    assert!(e.contains("X-Subject-Token"), "{e}");
    // Step 2 refused: the subject token is not in the error.
    let (ctx, _m, s) = setup(&[]);
    s.push(reply_with(
        201,
        "{}",
        &[("x-subject-token", "planted-subject")],
    ))
    .push(reply(
        403,
        r#"{"error_code":"IAM.0003","error_msg":"forbidden"}"#,
    ));
    let p = IdpFederationProvider::builder(&ctx, "i", &token_file)
        .iam_endpoint("http://127.0.0.1:2024")
        .build()
        .unwrap();
    let e = SharedProvider::new(p).get_blocking().unwrap_err();
    assert!(e.to_string().contains("IAM.0003"), "{e}");
    clean(&format!("{e} {e:?}"));
}

#[test]
fn temporary_keys_from_a_token() {
    let (ctx, m, s) = setup(&[("HUAWEICLOUD_SDK_IAM_ENDPOINT", "http://127.0.0.1:2030")]);
    s.push(reply(
        201,
        &credential_body("HWTMP", start(&m) + chrono::Duration::minutes(15)),
    ));
    let p = TemporaryKeysProvider::builder(&ctx, "planted-user-token")
        .duration_seconds(900)
        .build()
        .unwrap();
    clean(&format!("{p:?}"));
    let c = SharedProvider::new(p).get_blocking().unwrap();
    assert_eq!(
        (c.access_key_id(), c.provider_name().as_str()),
        ("HWTMP", "temporary_keys")
    );
    let seen = s.seen();
    assert_eq!(seen[0].headers["x-auth-token"], "planted-user-token");
    assert!(seen[0].body.contains("\"duration_seconds\":900"));
}
