//! The `cloudcred-fakecloud` binary: loopback-only binding and the printed set-up.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_cloudcred-fakecloud");

#[test]
fn refuses_non_loopback_bind() {
    for addr in ["0.0.0.0", "::"] {
        let out = Command::new(BIN)
            .args(["--bind", addr, "--port", "0"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{addr}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("loopback"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn prints_base_url_and_env_and_serves() {
    let mut child = Command::new(BIN)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for _ in 0..9 {
        printed.push(lines.next().unwrap().unwrap());
    }
    let base = printed[0]
        .strip_prefix("cloudcred-fakecloud listening on ")
        .unwrap()
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert_eq!(
        printed[1],
        format!("export ALIBABA_CLOUD_STS_ENDPOINT={base}")
    );
    assert_eq!(
        printed[2],
        format!("export ALIBABA_CLOUD_ECS_METADATA_ENDPOINT={base}")
    );
    assert_eq!(
        printed[3],
        format!("export ALIBABA_CLOUD_CREDENTIALS_URI={base}/uri/fixture")
    );
    for (line, service) in printed[7..].iter().zip(["OSS", "OBS"]) {
        let url = line.rsplit(' ').next().unwrap();
        assert!(line.starts_with(&format!("{service} endpoint (")), "{line}");
        assert!(
            url.starts_with("http://127.0.0.1:") && url != base,
            "{line}"
        );
    }
    for (line, var) in printed[4..7].iter().zip([
        "HUAWEICLOUD_SDK_METADATA_ENDPOINT",
        "HUAWEICLOUD_SDK_IAM_ENDPOINT",
        "HUAWEICLOUD_SDK_STS_ENDPOINT",
    ]) {
        assert_eq!(*line, format!("export {var}={base}"));
    }
    let status = tokio::runtime::Runtime::new().unwrap().block_on(async {
        common::client()
            .get(format!("{base}/uri/fixture"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(status, 200);
}
