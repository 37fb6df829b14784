//! STS over HTTP: AssumeRole (signature, keys, chaining, parameters), AssumeRoleWithOIDC and
//! GenerateSessionAccessKey, each request signed by the tests' own signer.

mod common;

use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, Fault, Verdict};
use common::{assert_code, creds, start, Rpc, AK, SECRET};

#[tokio::test]
async fn signed_assume_role_post_succeeds_and_is_recorded() {
    let cloud = start().await;
    let policy = r#"{"Statement": [{"Action": ["oss:GetObject"], "Effect": "Allow", "Resource": ["*"]}], "Version": "1"}"#;
    let rpc = Rpc::assume_role(AK, None)
        .set("Policy", policy)
        .set("ExternalId", "fake external id")
        .sign_hmac(SECRET);
    let (status, body) = rpc.send(&cloud).await;
    assert_eq!(status, 200, "{body}");
    let (id, secret, token) = creds(&body);
    assert!(id.starts_with("STS.") && id.len() == 24, "{id}");
    assert!(!secret.is_empty());
    for c in ['+', '/', '='] {
        assert!(token.contains(c), "token must contain {c}");
    }
    assert_eq!(
        body["AssumedRoleUser"]["Arn"],
        "acs:ram::1000000000000000:assumed-role/fake-fixture-role/fixture-session"
    );
    let left = common::seconds_left(&body["Credentials"]["Expiration"]);
    assert!((1795..=1800).contains(&left), "{left}");
    let issued = cloud.issued();
    assert_eq!(issued.len(), 1);
    let i = &issued[0];
    assert_eq!(i.endpoint, Endpoint::StsAssumeRole);
    assert_eq!(i.access_key_id, id);
    assert_eq!(i.caller_access_key_id.as_deref(), Some(AK));
    assert_eq!(i.role_arn.as_deref(), Some(common::ROLE));
    assert_eq!(i.role_session_name.as_deref(), Some("fixture-session"));
    assert_eq!(i.duration_seconds, Some(1800));
    assert_eq!(i.policy.as_deref(), Some(policy));
    assert_eq!(i.external_id.as_deref(), Some("fake external id"));
    let reqs = cloud.requests();
    assert_eq!(reqs[0].verdict, Verdict::Accepted);
    assert_eq!(reqs[0].param("RoleSessionName"), Some("fixture-session"));
    assert!(reqs[0].form.iter().any(|(k, _)| k == "Policy"));
}

#[tokio::test]
async fn signed_get_and_any_path_succeed() {
    let cloud = start().await;
    let mut rpc = Rpc::assume_role(AK, None).get();
    rpc.path = "/some/prefix".into();
    let (status, body) = rpc.sign_hmac(SECRET).send(&cloud).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn wrong_signature_is_rejected_with_server_string_to_sign() {
    let cloud = start().await;
    let rpc = Rpc::assume_role(AK, None).sign_hmac("not-the-secret");
    let expected_sts = rpc.string_to_sign();
    let (status, body) = rpc.send(&cloud).await;
    assert_eq!(status, 400);
    assert_eq!(body["Code"], "SignatureDoesNotMatch");
    let msg = body["Message"].as_str().unwrap();
    assert!(msg.contains("string to sign is:"), "{msg}");
    assert!(msg.ends_with(&expected_sts), "{msg}");
    for key in ["RequestId", "HostId", "Recommend"] {
        assert!(body[key].is_string(), "{key} missing");
    }
    assert!(cloud.issued().is_empty());
    assert_eq!(
        cloud.requests()[0].verdict,
        Verdict::Rejected {
            status: 400,
            code: "SignatureDoesNotMatch".into()
        }
    );
}

#[tokio::test]
async fn signature_over_a_parameter_changed_after_signing_fails() {
    let cloud = start().await;
    let rpc = Rpc::assume_role(AK, None)
        .sign_hmac(SECRET)
        .set("DurationSeconds", "3600");
    assert_code(rpc.send(&cloud).await, 400, "SignatureDoesNotMatch");
}

#[tokio::test]
async fn form_sent_without_content_type_is_not_signed_over() {
    let cloud = start().await;
    let rpc = Rpc::assume_role(AK, None).sign_hmac(SECRET);
    let status = common::post_raw(&rpc, &cloud, &rpc.encoded_query(), false).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn unknown_key_is_404() {
    let cloud = start().await;
    assert_code(
        Rpc::assume_role("LTAIUNKNOWNKEY000001", None)
            .sign_hmac(SECRET)
            .send(&cloud)
            .await,
        404,
        "InvalidAccessKeyId.NotFound",
    );
}

async fn first_hop(cloud: &FakeCloud) -> (String, String, String) {
    let (status, body) = Rpc::assume_role(AK, None)
        .sign_hmac(SECRET)
        .send(cloud)
        .await;
    assert_eq!(status, 200, "{body}");
    creds(&body)
}

#[tokio::test]
async fn chaining_with_issued_key_and_token() {
    let cloud = start().await;
    let (id, secret, token) = first_hop(&cloud).await;
    let (status, body) = Rpc::assume_role(&id, Some(&token))
        .set("RoleArn", "acs:ram::1000000000000000:role/fake-hop-2")
        .set("ExternalId", "fake-external-id-2")
        .sign_hmac(&secret)
        .send(&cloud)
        .await;
    assert_eq!(status, 200, "{body}");
    let hop2 = &cloud.issued()[1];
    assert_eq!(hop2.caller_access_key_id.as_deref(), Some(id.as_str()));
    assert_eq!(hop2.external_id.as_deref(), Some("fake-external-id-2"));
}

#[tokio::test]
async fn chaining_with_wrong_or_missing_token_is_rejected() {
    let cloud = start().await;
    let (id, secret, token) = first_hop(&cloud).await;
    assert_code(
        Rpc::assume_role(&id, Some("CAIS-not-the-token"))
            .sign_hmac(&secret)
            .send(&cloud)
            .await,
        400,
        "InvalidSecurityToken.MismatchWithAccessKey",
    );
    assert_code(
        Rpc::assume_role(&id, None)
            .sign_hmac(&secret)
            .send(&cloud)
            .await,
        400,
        "MissingSecurityToken",
    );
    // A long-term key with a token attached is as wrong as an STS key without one.
    let (status, _) = Rpc::assume_role(AK, Some(&token))
        .sign_hmac(SECRET)
        .send(&cloud)
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn unencoded_plus_in_token_fails_verification() {
    // A client that puts the token into the query without encoding '+' sends a space instead.
    let cloud = start().await;
    let (id, secret, token) = first_hop(&cloud).await;
    let rpc = Rpc::assume_role(&id, Some(&token)).sign_hmac(&secret);
    let raw_query: String = rpc
        .query
        .iter()
        .map(|(k, v)| {
            if k == "SecurityToken" {
                format!("{k}={v}")
            } else {
                format!("{}={}", common::enc(k), common::enc(v))
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    assert_eq!(common::post_raw(&rpc, &cloud, &raw_query, true).await, 400);
}

#[tokio::test]
async fn expired_issued_key_is_rejected() {
    let cloud = start().await;
    cloud.set_fault_times(Endpoint::StsAssumeRole, Fault::ExpiredCredentials, 1);
    let (id, secret, token) = first_hop(&cloud).await;
    assert_code(
        Rpc::assume_role(&id, Some(&token))
            .sign_hmac(&secret)
            .send(&cloud)
            .await,
        400,
        "InvalidSecurityToken.Expired",
    );
}

#[tokio::test]
async fn fixture_static_sts_key_can_chain() {
    let cloud = start().await;
    let (status, body) =
        Rpc::assume_role("STS.FAKESTATIC000013", Some("fake-security-token-00013"))
            .sign_hmac("fake-secret-sts-00013")
            .send(&cloud)
            .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn action_parameters_are_validated() {
    let cloud = start().await;
    let cases: &[(&str, Option<&str>, &str)] = &[
        (
            "DurationSeconds",
            Some("899"),
            "InvalidParameter.DurationSeconds",
        ),
        (
            "DurationSeconds",
            Some("43201"),
            "InvalidParameter.DurationSeconds",
        ),
        (
            "DurationSeconds",
            Some("abc"),
            "InvalidParameter.DurationSeconds",
        ),
        (
            "RoleArn",
            Some("acs:ram::abc:role/x"),
            "InvalidParameter.RoleArn",
        ),
        ("RoleArn", None, "MissingRoleArn"),
        ("RoleSessionName", None, "MissingRoleSessionName"),
        (
            "RoleSessionName",
            Some("a"),
            "InvalidParameter.RoleSessionName",
        ),
        (
            "RoleSessionName",
            Some("has space"),
            "InvalidParameter.RoleSessionName",
        ),
        (
            "Policy",
            Some("{not json"),
            "InvalidParameter.PolicyGrammar",
        ),
        ("Version", Some("2014-01-01"), "InvalidVersion"),
        ("Format", Some("XML"), "InvalidParameter.Format"),
        (
            "SignatureMethod",
            Some("HMAC-SHA256"),
            "InvalidParameter.SignatureMethod",
        ),
        ("SignatureNonce", None, "MissingSignatureNonce"),
        (
            "Timestamp",
            Some("2016-02-23 12:46:24"),
            "InvalidTimeStamp.Format",
        ),
        (
            "Timestamp",
            Some("2016-02-23T12:46:24Z"),
            "InvalidTimeStamp.Expired",
        ),
    ];
    for (name, value, code) in cases {
        let rpc = Rpc::assume_role(AK, None);
        let rpc = match value {
            Some(v) => rpc.set(name, v),
            None => rpc.remove(name),
        };
        let (status, body) = rpc.sign_hmac(SECRET).send(&cloud).await;
        assert_eq!(
            (status, body["Code"].as_str()),
            (400, Some(*code)),
            "{name}={value:?}"
        );
    }
    assert!(cloud.issued().is_empty());
    // Boundaries are inclusive; absent means 3600.
    for (d, want) in [(Some("900"), 900), (Some("43200"), 43200), (None, 3600)] {
        let rpc = Rpc::assume_role(AK, None);
        let rpc = match d {
            Some(v) => rpc.set("DurationSeconds", v),
            None => rpc.remove("DurationSeconds"),
        };
        let (status, body) = rpc.sign_hmac(SECRET).send(&cloud).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(cloud.issued().last().unwrap().duration_seconds, Some(want));
    }
}

#[tokio::test]
async fn nonce_replay_and_clock_skew() {
    let cloud = start().await;
    let rpc = Rpc::assume_role(AK, None).set("SignatureNonce", "fixed-nonce-1");
    assert_eq!(rpc.clone().sign_hmac(SECRET).send(&cloud).await.0, 200);
    assert_code(
        rpc.sign_hmac(SECRET).send(&cloud).await,
        400,
        "SignatureNonceUsed",
    );
    // A client 20 minutes behind the server is outside the 15-minute window...
    cloud.set_clock_offset(20 * 60);
    assert_code(
        common::assume_role_as_fixture(&cloud).await,
        400,
        "InvalidTimeStamp.Expired",
    );
    // ...10 minutes is inside it, and expirations follow the server clock.
    cloud.set_clock_offset(10 * 60);
    let (status, body) = common::assume_role_as_fixture(&cloud).await;
    assert_eq!(status, 200, "{body}");
    let ahead = common::seconds_left(&body["Credentials"]["Expiration"]);
    assert!((2395..=2400).contains(&ahead), "{ahead}");
}

#[tokio::test]
async fn unknown_and_missing_action() {
    let cloud = start().await;
    assert_code(
        Rpc::new("DescribeRegions", &[], &[]).send(&cloud).await,
        404,
        "InvalidAction.NotFound",
    );
    let resp = common::client().get(cloud.url("/")).send().await.unwrap();
    assert_code(common::status_json(resp).await, 400, "MissingAction");
    assert_eq!(cloud.requests()[0].endpoint, None);
}

#[tokio::test]
async fn oidc_succeeds_with_configured_token_in_form() {
    let cloud = start().await;
    let (status, body) = Rpc::oidc(cloudcred_fakecloud::FIXTURE_OIDC_TOKEN)
        .send(&cloud)
        .await;
    assert_eq!(status, 200, "{body}");
    creds(&body);
    assert_eq!(body["OIDCTokenInfo"]["Subject"], "fake-subject");
    assert_eq!(body["OIDCTokenInfo"]["Issuer"], "https://fake-oidc.invalid");
    let req = &cloud.requests()[0];
    assert_eq!(req.endpoint, Some(Endpoint::StsAssumeRoleWithOidc));
    assert!(!req.token_in_query);
    assert!(req.param("Signature").is_none());
    let issued = &cloud.issued()[0];
    assert_eq!(
        issued.role_session_name.as_deref(),
        Some("fixture-oidc-session")
    );
    assert_eq!(
        issued.oidc_provider_arn.as_deref(),
        Some("acs:ram::1000000000000000:oidc-provider/fake-oidc-provider")
    );
}

#[tokio::test]
async fn oidc_wrong_token_and_token_in_query() {
    let cloud = start().await;
    let got = Rpc::oidc("eyJ.wrong.token").send(&cloud).await;
    assert!(!got.1.to_string().contains("eyJ.wrong.token"));
    assert_code(got, 400, "AuthenticationFail.OIDCToken.Invalid");
    // The python layout: everything in the query. Accepted, but recorded as a leak.
    let (status, _) = Rpc::oidc(cloudcred_fakecloud::FIXTURE_OIDC_TOKEN)
        .get()
        .send(&cloud)
        .await;
    assert_eq!(status, 200);
    let reqs = cloud.requests();
    assert!(!reqs[0].token_in_query);
    assert!(reqs[1].token_in_query);
    assert_code(
        Rpc::oidc("x").remove("OIDCProviderArn").send(&cloud).await,
        400,
        "MissingOIDCProviderArn",
    );
}

#[tokio::test]
async fn oidc_provider_arn_is_checked_when_configured() {
    let config = FakeCloudConfig {
        oidc_provider_arn: Some("acs:ram::1:oidc-provider/other".into()),
        ..Default::default()
    };
    let cloud = FakeCloud::start(config).await.unwrap();
    assert_code(
        Rpc::oidc(cloudcred_fakecloud::FIXTURE_OIDC_TOKEN)
            .send(&cloud)
            .await,
        404,
        "EntityNotExist.OIDCProvider",
    );
}

fn rsa_key() -> rsa::RsaPrivateKey {
    // 1024 bits keeps key generation fast in debug builds; the verification path is identical.
    rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap()
}

fn rsa_request(duration: &str) -> Rpc {
    Rpc::new(
        "GenerateSessionAccessKey",
        &[
            ("SignatureMethod", "SHA256withRSA"),
            ("SignatureType", "PRIVATEKEY"),
            ("SignatureVersion", "1.0"),
            ("AccessKeyId", "TMPSK.FAKEPUBLICKEY0021"),
        ],
        &[
            ("PublicKeyId", "TMPSK.FAKEPUBLICKEY0021"),
            ("DurationSeconds", duration),
        ],
    )
    .get()
}

#[tokio::test]
async fn generate_session_access_key_with_generated_rsa_key() {
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    let key = rsa_key();
    let pem = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let cloud = FakeCloud::start(FakeCloudConfig::default().with_rsa_public_key_pem(pem))
        .await
        .unwrap();
    let (status, body) = rsa_request("3600").sign_rsa(&key).send(&cloud).await;
    assert_eq!(status, 200, "{body}");
    let sak = &body["SessionAccessKey"];
    let id = sak["SessionAccessKeyId"].as_str().unwrap();
    assert!(id.starts_with("TMPSK."));
    assert!(sak["SessionAccessKeySecret"].is_string() && sak["Expiration"].is_string());
    let issued = &cloud.issued()[0];
    assert_eq!(
        issued.caller_access_key_id.as_deref(),
        Some("TMPSK.FAKEPUBLICKEY0021")
    );
    assert!(issued.security_token.is_none());

    // Another key's signature, an HMAC instead of RSA, and a too-long duration are refused.
    assert_code(
        rsa_request("3600").sign_rsa(&rsa_key()).send(&cloud).await,
        400,
        "SignatureDoesNotMatch",
    );
    assert_code(
        rsa_request("3600")
            .set("SignatureMethod", "HMAC-SHA1")
            .sign_hmac("key file content")
            .send(&cloud)
            .await,
        400,
        "InvalidParameter.SignatureMethod",
    );
    assert_code(
        rsa_request("3601").sign_rsa(&key).send(&cloud).await,
        400,
        "InvalidParameter.DurationSeconds",
    );
    assert_code(
        rsa_request("3600")
            .remove("SignatureType")
            .sign_rsa(&key)
            .send(&cloud)
            .await,
        400,
        "InvalidParameter.SignatureType",
    );

    // The session access key signs AssumeRole like a plain AccessKey.
    let (id, secret) = (
        id.to_string(),
        sak["SessionAccessKeySecret"].as_str().unwrap(),
    );
    let (status, body) = Rpc::assume_role(&id, None)
        .sign_hmac(secret)
        .send(&cloud)
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn rsa_without_configured_key_is_unknown_key() {
    let cloud = start().await;
    assert_code(
        rsa_request("3600").sign_rsa(&rsa_key()).send(&cloud).await,
        404,
        "InvalidAccessKeyId.NotFound",
    );
}

#[tokio::test]
async fn invalid_rsa_pem_fails_start() {
    let err = FakeCloud::start(FakeCloudConfig::default().with_rsa_public_key_pem("nope"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
