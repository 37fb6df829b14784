//! The product conventions of the official guides (spec 6.14, D37): OSS, Tablestore and AcsClient
//! environment chains, the Tablestore-style INI section, Function Compute.

mod common;

use cloudcred::alibaba::function_compute;
use cloudcred::alibaba::{
    acs_client_chain, oss_chain, tablestore_chain, DefaultChain, NamedKeysIniProvider,
};
use cloudcred::prelude::*;
use cloudcred::{Chain, CredentialKind, ErrorKind, ProvideCredentials, SharedProvider};
use common::Home;

fn get(chain: &Chain) -> cloudcred::Result<std::sync::Arc<cloudcred::Credentials>> {
    futures::executor::block_on(chain.get())
}

#[test]
fn product_variables_come_first_then_the_default_chain() {
    let home = Home::new()
        .with_ini()
        .set("OSS_ACCESS_KEY_ID", "LTAIOSS")
        .set("OSS_ACCESS_KEY_SECRET", "oss-secret")
        .set("OSS_SESSION_TOKEN", "oss-token")
        .set("TABLESTORE_ACCESS_KEY_ID", "LTAIOTS")
        .set("TABLESTORE_ACCESS_KEY_SECRET", "ots-secret")
        .set("ALIYUN_ACCESS_KEY_ID", "LTAIACS")
        .set("ALIYUN_ACCESS_KEY_SECRET", "acs-secret");
    let ctx = home.ctx();
    let c = get(&oss_chain(&ctx)).unwrap();
    assert_eq!(
        (c.access_key_id(), c.kind(), c.provider_name().as_str()),
        ("LTAIOSS", CredentialKind::Sts, "oss_env")
    );
    let c = get(&tablestore_chain(&ctx)).unwrap();
    assert_eq!(
        (c.access_key_id(), c.provider_name().as_str()),
        ("LTAIOTS", "tablestore_env")
    );
    let c = get(&acs_client_chain(&ctx)).unwrap();
    assert_eq!(
        (c.access_key_id(), c.provider_name().as_str()),
        ("LTAIACS", "aliyun_env")
    );
    // The generic chain reads none of them.
    let c = get(&DefaultChain::builder(&ctx).build()).unwrap();
    assert_eq!(c.provider_name().as_str(), "default/profile/static_ak");
    // Without product variables the scoped chains fall through to the default chain.
    let plain = Home::new().with_ini();
    for chain in [
        oss_chain(&plain.ctx()),
        tablestore_chain(&plain.ctx()),
        acs_client_chain(&plain.ctx()),
    ] {
        assert_eq!(
            get(&chain).unwrap().provider_name().as_str(),
            "default/profile/static_ak"
        );
    }
}

#[test]
fn partial_product_variables_stop_the_chain() {
    let home = Home::new().with_ini().set("OSS_ACCESS_KEY_ID", "LTAIOSS");
    let e = get(&oss_chain(&home.ctx())).unwrap_err().to_string();
    assert!(e.contains("OSS_ACCESS_KEY_SECRET"), "{e}");
    let home = Home::new().with_ini().set("TABLESTORE_SESSION_TOKEN", "t");
    assert!(get(&tablestore_chain(&home.ctx())).is_err());
}

#[test]
fn oss_sts_role_arn_turns_the_oss_keys_into_a_role_source() {
    let home = Home::new()
        .set("OSS_ACCESS_KEY_ID", "LTAIOSS")
        .set("OSS_ACCESS_KEY_SECRET", "oss-secret")
        .set("OSS_STS_ROLE_ARN", "acs:ram::1:role/oss-role");
    let chain = oss_chain(&home.ctx());
    assert_eq!(chain.providers()[0].name(), "ram_role_arn/oss_env");
    // STS is on the closed local port in tests: the role is tried, and its failure stops the
    // chain (the OSS keys are never handed out instead).
    let e = get(&chain).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Transport { .. }), "{e}");
    assert!(e.to_string().contains("acs:ram::1:role/oss-role"), "{e}");
}

#[test]
fn tablestore_style_ini_section() {
    let home = Home::new();
    let path = home.write(
        "ots.ini",
        "[myConfig]\nTABLESTORE_ACCESS_KEY_ID = LTAIOTSINI\nTABLESTORE_ACCESS_KEY_SECRET = ots-ini-secret\n\n[sts]\ntablestore_access_key_id = STS.OTS\ntablestore_access_key_secret = s\ntablestore_session_token = t\n[broken]\nTABLESTORE_ACCESS_KEY_ID = x\n",
    );
    let p = SharedProvider::new(NamedKeysIniProvider::tablestore(
        &home.ctx(),
        &path,
        "myConfig",
    ));
    let c = futures::executor::block_on(p.get()).unwrap();
    assert_eq!(
        (c.access_key_id(), c.provider_name().as_str()),
        ("LTAIOTSINI", "tablestore_ini")
    );
    let p = SharedProvider::new(NamedKeysIniProvider::tablestore(&home.ctx(), &path, "sts"));
    assert_eq!(
        futures::executor::block_on(p.get()).unwrap().kind(),
        CredentialKind::Sts
    );
    for (section, needle) in [
        ("broken", "TABLESTORE_ACCESS_KEY_SECRET"),
        ("absent", "no section [absent]"),
    ] {
        let p = NamedKeysIniProvider::tablestore(&home.ctx(), &path, section);
        let e = futures::executor::block_on(p.resolve())
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{e}");
    }
    let p = NamedKeysIniProvider::tablestore(&home.ctx(), home.path().join("missing.ini"), "x");
    assert!(futures::executor::block_on(p.resolve())
        .unwrap_err()
        .to_string()
        .contains("missing.ini"));
}

#[test]
fn function_compute_is_detected_and_named_fc() {
    let home = Home::new()
        .set("FC_FUNCTION_NAME", "handler")
        .set("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.FC")
        .set("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "fc-secret")
        .set("ALIBABA_CLOUD_SECURITY_TOKEN", "fc-token");
    let c = get(&DefaultChain::builder(&home.ctx()).build()).unwrap();
    assert_eq!(
        (c.kind(), c.provider_name().as_str(), c.expiration()),
        (CredentialKind::Sts, "default/fc", None)
    );
    let c = function_compute::context_credentials("STS.CTX", "s", "t")
        .unwrap()
        .cached()
        .unwrap();
    assert_eq!(c.provider_name().as_str(), "fc");
}
