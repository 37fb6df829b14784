//! The server's RPC canonicalisation and verification against the shared vectors
//! (`testdata/vectors/rpc.json`), offline and over HTTP.

mod common;
use common::assert_code;

use cloudcred_fakecloud::rpc_signature::{string_to_sign, verify_hmac_sha1};
use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors/rpc.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_string(),
                        p[1].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every parameter of a vector: `params`, or the union of `query` and `form`.
fn params(inputs: &Value) -> Vec<(String, String)> {
    let mut all = pairs(&inputs["params"]);
    all.extend(pairs(&inputs["query"]));
    all.extend(pairs(&inputs["form"]));
    all
}

#[test]
fn every_vector_string_to_sign_and_signature_verify() {
    let doc = vectors();
    let list = doc["vectors"].as_array().unwrap();
    assert!(list.len() >= 11, "vector file shrank: {}", list.len());
    let mut verified = 0;
    for v in list {
        let id = v["id"].as_str().unwrap();
        let inputs = &v["inputs"];
        let method = inputs["method"].as_str().unwrap();
        let sts = string_to_sign(method, &params(inputs));
        assert_eq!(
            sts,
            v["expected"]["string_to_sign"].as_str().unwrap(),
            "{id}"
        );
        if let (Some(secret), Some(sig)) = (
            inputs["access_key_secret"].as_str(),
            v["expected"]["signature"].as_str(),
        ) {
            assert!(verify_hmac_sha1(secret, &sts, sig), "{id} must verify");
            // Tampering with the signature, the secret or the signed text must each be caught.
            let mut bad_sig = sig.to_string();
            bad_sig.replace_range(0..1, if sig.starts_with('A') { "B" } else { "A" });
            assert!(!verify_hmac_sha1(secret, &sts, &bad_sig), "{id} bad sig");
            assert!(!verify_hmac_sha1("wrong", &sts, sig), "{id} bad secret");
            let tampered = sts.replacen("Timestamp", "Timestamq", 1);
            assert!(!verify_hmac_sha1(secret, &tampered, sig), "{id} bad text");
            verified += 1;
        }
    }
    assert!(verified >= 6, "only {verified} signatures checked");
}

#[test]
fn python_quote_plus_defect_is_not_reproduced() {
    let doc = vectors();
    let defect = &doc["defect_references"][0];
    let same_as = defect["inputs"]["same_as"].as_str().unwrap();
    let base = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == same_as)
        .unwrap();
    let inputs = &base["inputs"];
    let sts = string_to_sign(inputs["method"].as_str().unwrap(), &params(inputs));
    assert_ne!(sts, defect["expected"]["string_to_sign"].as_str().unwrap());
    assert!(sts.contains("%2520"), "space must be %20, then %2520");
    let secret = inputs["access_key_secret"].as_str().unwrap();
    assert!(!verify_hmac_sha1(
        secret,
        &sts,
        defect["expected"]["signature"].as_str().unwrap()
    ));
}

/// The POST vectors replayed over HTTP, with the server clock moved to the vector's time: proves
/// the query/form decoding feeds the canonicaliser exactly what the client signed.
#[tokio::test]
async fn post_vectors_are_accepted_over_http() {
    let doc = vectors();
    for id in ["rpc-tv2-assumerole-post", "rpc-tv3-assumerole-post-spaces"] {
        let v = doc["vectors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["id"] == id)
            .unwrap();
        let inputs = &v["inputs"];
        let (key_id, secret) = (
            inputs["access_key_id"].as_str().unwrap(),
            inputs["access_key_secret"].as_str().unwrap(),
        );
        // A vector with a token is an STS caller: the server must know the key with that token.
        let config = match inputs["security_token"].as_str() {
            Some(token) => FakeCloudConfig::default().with_sts_access_key(key_id, secret, token),
            None => FakeCloudConfig::default().with_access_key(key_id, secret),
        };
        let cloud = FakeCloud::start(config).await.unwrap();
        let query = pairs(&inputs["query"]);
        let ts = &query.iter().find(|(k, _)| k == "Timestamp").unwrap().1;
        let then = chrono::DateTime::parse_from_rfc3339(ts).unwrap();
        cloud.set_clock_offset((then.timestamp() - chrono::Utc::now().timestamp()) + 5);
        let mut q = query.clone();
        q.push((
            "Signature".into(),
            v["expected"]["signature"].as_str().unwrap().into(),
        ));
        let rpc = common::Rpc {
            method: "POST",
            path: "/".into(),
            query: q,
            form: pairs(&inputs["form"]),
        };
        let (status, body) = rpc.send(&cloud).await;
        assert_eq!(status, 200, "{id}: {body}");
        assert_eq!(cloud.count(Endpoint::StsAssumeRole), 1);
        // The same signed request again is a replay.
        assert_code(rpc.send(&cloud).await, 400, "SignatureNonceUsed");
    }
}

#[test]
fn test_signer_agrees_with_vectors() {
    // The tests' own signer (common::Rpc) must itself be right, or the HTTP tests prove nothing.
    let doc = vectors();
    let v = &doc["vectors"][2];
    let inputs = &v["inputs"];
    let rpc = common::Rpc {
        method: "POST",
        path: "/".into(),
        query: pairs(&inputs["query"]),
        form: pairs(&inputs["form"]),
    };
    assert_eq!(
        rpc.string_to_sign(),
        v["expected"]["string_to_sign"].as_str().unwrap()
    );
    let signed = rpc.sign_hmac(inputs["access_key_secret"].as_str().unwrap());
    assert_eq!(
        signed.query.last().unwrap().1,
        v["expected"]["signature"].as_str().unwrap()
    );
}
