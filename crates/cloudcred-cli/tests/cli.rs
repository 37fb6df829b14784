//! The built `cloudcred` binary in a temporary HOME with a controlled environment.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures")
}

struct Home(tempfile::TempDir);

impl Home {
    fn new() -> Self {
        Home(tempfile::tempdir().unwrap())
    }
    fn install(self, fixture: &str, rel: &str) -> Self {
        let text = std::fs::read_to_string(fixtures().join(fixture))
            .unwrap()
            .replace("@FIXTURES@", fixtures().to_str().unwrap())
            .replace("@PORT@", "9");
        let path = self.0.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }
    fn with_files(self) -> Self {
        self.install("alibabacloud/credentials", ".alibabacloud/credentials")
            .install("aliyun/config.json", ".aliyun/config.json")
    }
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_cloudcred"))
            .args(args)
            .env_clear()
            .env("HOME", self.0.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
            .env("ALIBABA_CLOUD_STS_ENDPOINT", "http://127.0.0.1:9")
            .env("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", "http://127.0.0.1:9")
            .envs(env.iter().copied())
            .output()
            .unwrap()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

const SECRETS: [&str; 6] = [
    "fake-cli-secret-default-00001",
    "fake-secret-default-00001",
    "fake-cli-sts-token-00004",
    "fake-cli-secret-sts-00004",
    "FAKE-SECRET-MUST-NOT-APPEAR-IN-ERRORS",
    "fake-cli-bearer-token-00001",
];

fn assert_no_secret(text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{s} leaked: {text}");
    }
}

#[test]
fn get_json_prints_exactly_one_object() {
    let home = Home::new().with_files();
    let out = home.run(&["get", "--format", "json"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 5);
    for k in [
        "access_key_id",
        "access_key_secret",
        "security_token",
        "expiration",
        "provider",
    ] {
        assert!(keys.contains(&k), "{keys:?}");
    }
    assert_eq!(v["access_key_id"], "LTAIFAKECLIDEFAULT01");
    assert_eq!(v["access_key_secret"], "fake-cli-secret-default-00001");
    assert_eq!(v["security_token"], Value::Null);
    assert_eq!(v["expiration"], Value::Null);
    assert_eq!(v["provider"], "default/cli_profile/static_ak");
    assert_eq!(stdout(&out).lines().count(), 1);

    let out = home.run(&["get", "--profile", "sts", "--format", "json"], &[]);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["security_token"], "fake-cli-sts-token-00004");
    // Not a terminal: JSON by default.
    let out = home.run(&["get"], &[("ALIBABA_CLOUD_PROFILE", "sts_static")]);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["provider"], "default/profile/static_sts");
}

#[test]
fn get_failure_prints_nothing_on_stdout() {
    for (home, env, needle) in [
        (Home::new(), vec![], "no credentials found"),
        (
            Home::new().install("aliyun/config-invalid.json", ".aliyun/config.json"),
            vec![],
            "config.json:10",
        ),
        (
            Home::new().with_files(),
            vec![("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIONLY")],
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        ),
        (
            Home::new().with_files(),
            vec![("ALIBABA_CLOUD_PROFILE", "chain-self")],
            "chain-self -> chain-self",
        ),
    ] {
        let out = home.run(&["get", "--format", "json"], &env);
        assert!(!out.status.success());
        assert_eq!(stdout(&out), "");
        let err = stderr(&out);
        assert!(err.contains(needle), "{needle}: {err}");
        assert_no_secret(&err);
    }
}

#[test]
fn get_text_masks_and_env_exports() {
    let home = Home::new().with_files();
    let out = home.run(&["get", "--format", "text", "--profile", "sts"], &[]);
    let text = stdout(&out);
    assert!(
        text.contains("access key id:     STS**************004"),
        "{text}"
    );
    assert!(text.contains("** redacted **"), "{text}");
    assert_no_secret(&text);

    let out = home.run(&["get", "--format", "env"], &[]);
    let text = stdout(&out);
    assert!(
        text.contains("export ALIBABA_CLOUD_ACCESS_KEY_ID='LTAIFAKECLIDEFAULT01'"),
        "{text}"
    );
    assert!(
        text.contains("export ALIBABA_CLOUD_ACCESS_KEY_SECRET='fake-cli-secret-default-00001'"),
        "{text}"
    );
    assert!(
        text.contains("unset ALIBABA_CLOUD_SECURITY_TOKEN"),
        "{text}"
    );
    // The output is valid shell: evaluate it and read the values back.
    let script = format!("{text}\nprintf '%s|%s' \"$ALIBABA_CLOUD_ACCESS_KEY_ID\" \"${{ALIBABA_CLOUD_SECURITY_TOKEN-unset}}\"");
    let sh = Command::new("sh")
        .arg("-c")
        .arg(script)
        .env("ALIBABA_CLOUD_SECURITY_TOKEN", "stale")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(sh.stdout).unwrap(),
        "LTAIFAKECLIDEFAULT01|unset"
    );
}

#[test]
fn doctor_explains_without_secrets() {
    let home = Home::new().with_files().install(
        "alibabacloud/credentials.ini",
        ".alibabacloud/credentials.ini",
    );
    let out = home.run(
        &["doctor"],
        &[
            ("ALICLOUD_ACCESS_KEY_ID", "x"),
            ("ALIBABA_CLOUD_PROFILE", "ak_duplicate_key"),
        ],
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    for needle in [
        "default/env",
        "not configured",
        "APPLIES",
        "default/profile/static_ak",
        "credentials.ini is ignored",
        "duplicate key",
        "ALICLOUD_ACCESS_KEY_ID: use ALIBABA_CLOUD_ACCESS_KEY_ID",
        "Result:",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    assert_no_secret(&text);
    for profile in [
        "default",
        "sts",
        "bearer",
        "ak-missing-secret",
        "chain-cycle-a",
        "nonexistent",
    ] {
        let out = home.run(&["doctor"], &[("ALIBABA_CLOUD_PROFILE", profile)]);
        assert_no_secret(&stdout(&out));
        assert_no_secret(&stderr(&out));
    }
    let broken = Home::new().install("aliyun/config-invalid.json", ".aliyun/config.json");
    let out = broken.run(&["doctor"], &[]);
    assert!(!out.status.success());
    assert!(stdout(&out).contains("the chain stops here"));
    assert_no_secret(&stdout(&out));
}

#[test]
fn exec_passes_credentials_and_exit_status() {
    let home = Home::new().with_files();
    let script = r#"printf '%s|%s|%s|%s|%s' "$ALIBABA_CLOUD_ACCESS_KEY_ID" "$OSS_ACCESS_KEY_ID" "$TABLESTORE_ACCESS_KEY_SECRET" "$OSS_SESSION_TOKEN" "$TABLESTORE_SESSION_TOKEN"; exit 7"#;
    let out = home.run(&["exec", "--profile", "sts", "--", "sh", "-c", script], &[]);
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(
        stdout(&out),
        "STS.FAKECLISTATIC004|STS.FAKECLISTATIC004|fake-cli-secret-sts-00004|fake-cli-sts-token-00004|fake-cli-sts-token-00004"
    );
    // No token: stale token variables of the parent are removed.
    let out = home.run(
        &[
            "exec",
            "--",
            "sh",
            "-c",
            "printf %s \"${ALIBABA_CLOUD_SECURITY_TOKEN-none}\"",
        ],
        &[("ALIBABA_CLOUD_SECURITY_TOKEN", " ")],
    );
    assert_eq!(stdout(&out), "none");
    // Resolution failure: the command does not run.
    let out = Home::new().run(&["exec", "--", "sh", "-c", "echo ran"], &[]);
    assert!(!out.status.success());
    assert_eq!(stdout(&out), "");
}

#[test]
fn presign_prints_only_the_url() {
    let home = Home::new().with_files();
    let out = home.run(
        &[
            "presign",
            "oss://my-bucket/dir/a b.txt",
            "--region",
            "cn-hangzhou",
            "--endpoint",
            "oss-cn-hangzhou.example.invalid",
            "--expires",
            "600",
            "--profile",
            "sts",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let url = stdout(&out);
    assert_eq!(url.lines().count(), 1);
    assert!(url.starts_with("https://my-bucket.oss-cn-hangzhou.example.invalid/dir/a%20b.txt?x-oss-signature-version=OSS4-HMAC-SHA256"), "{url}");
    assert!(url.contains("&x-oss-expires=600&"), "{url}");
    assert!(
        url.contains("x-oss-credential=STS.FAKECLISTATIC004%2F"),
        "{url}"
    );
    assert!(
        url.contains("x-oss-security-token=fake-cli-sts-token-00004"),
        "{url}"
    );
    assert!(url.contains("&x-oss-signature="), "{url}");

    let out = home.run(
        &[
            "presign",
            "oss://b/k",
            "--region",
            "cn-beijing",
            "--endpoint",
            "oss.example.invalid",
            "--v1",
            "--method",
            "put",
        ],
        &[],
    );
    let url = stdout(&out);
    assert!(
        url.starts_with(
            "https://b.oss.example.invalid/k?OSSAccessKeyId=LTAIFAKECLIDEFAULT01&Expires="
        ),
        "{url}"
    );
    assert!(url.contains("&Signature="), "{url}");

    let out = home.run(
        &["presign", "obs://b/k", "--endpoint", "obs.example.invalid"],
        &[],
    );
    let url = stdout(&out);
    assert!(
        url.starts_with("https://b.obs.example.invalid/k?Expires="),
        "{url}"
    );
    assert!(
        url.contains("&AccessKeyId=LTAIFAKECLIDEFAULT01&Signature="),
        "{url}"
    );

    for args in [
        &["presign", "oss://b/k"][..],
        &["presign", "obs://b/k"],
        &["presign", "oss://bucket-only", "--region", "r"],
    ] {
        let out = home.run(args, &[]);
        assert!(!out.status.success());
        assert_eq!(stdout(&out), "");
        assert!(stderr(&out).contains("presign"), "{}", stderr(&out));
    }
}

#[test]
fn sign_prints_the_headers_to_add() {
    let home = Home::new().with_files();
    let out = home.run(
        &[
            "sign",
            "--service",
            "oss",
            "--region",
            "cn-hangzhou",
            "--url",
            "https://bkt.oss-cn-hangzhou.example.invalid/k",
            "-H",
            "Content-Type: text/plain",
            "--profile",
            "sts",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("authorization: OSS4-HMAC-SHA256 Credential=STS.FAKECLISTATIC004/"),
        "{text}"
    );
    assert!(
        text.contains("x-oss-date: ")
            && text.contains("x-oss-security-token: fake-cli-sts-token-00004"),
        "{text}"
    );
    assert!(
        !text.contains("content-type"),
        "headers the caller gave are not repeated: {text}"
    );

    let body = home.0.path().join("body.json");
    std::fs::write(&body, "{}").unwrap();
    let out = home.run(
        &[
            "sign",
            "--service",
            "acs3",
            "--method",
            "put",
            "--url",
            "https://ecs.example.invalid/?RegionId=cn-hangzhou",
            "-H",
            "x-acs-action: DescribeRegions",
            "-H",
            "x-acs-version: 2014-05-26",
            "--body-file",
            body.to_str().unwrap(),
        ],
        &[],
    );
    let text = stdout(&out);
    assert!(
        text.contains(
            "authorization: ACS3-HMAC-SHA256 Credential=LTAIFAKECLIDEFAULT01,SignedHeaders="
        ),
        "{text}"
    );
    assert!(text.contains("x-acs-signature-nonce: "), "{text}");

    for (service, url, expected) in [
        (
            "tablestore",
            "https://inst.example.invalid/GetRow",
            "x-ots-signature: ",
        ),
        (
            "obs",
            "https://bkt.obs.example.invalid/k",
            "authorization: OBS LTAIFAKECLIDEFAULT01:",
        ),
    ] {
        let out = home.run(&["sign", "--service", service, "--v1", "--url", url], &[]);
        assert!(out.status.success(), "{service}: {}", stderr(&out));
        assert!(
            stdout(&out).contains(expected),
            "{service}: {}",
            stdout(&out)
        );
    }
    // A bearer credential cannot make an HMAC signature: a clear error, no token on any stream.
    let out = home.run(
        &[
            "sign",
            "--service",
            "oss",
            "--region",
            "r",
            "--url",
            "https://b.oss-r.example.invalid/k",
            "--profile",
            "bearer",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("bearer"), "{}", stderr(&out));
    assert_no_secret(&stderr(&out));
    assert_eq!(stdout(&out), "");
}

/// A raw HTTP/1.1 GET, so the test depends on no client library: (status, body).
fn http_get(port: u16, target: &str, auth: Option<&str>) -> (u16, String) {
    http_read(http_send(port, target, auth))
}

/// Connects and sends the GET of [`http_get`], without waiting for the answer.
fn http_send(port: u16, target: &str, auth: Option<&str>) -> std::net::TcpStream {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    s
}

/// Reads the answer to [`http_send`]: (status, body).
fn http_read(mut s: std::net::TcpStream) -> (u16, String) {
    use std::io::Read;
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status = raw[9..12].parse().unwrap();
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Kills the child process however the test ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_answers_only_with_the_token() {
    let home = Home::new().with_files();
    let token = "test-serve-token-0123456789";
    let (_guard, line, port) = start_serve(&home, token);
    let url = line
        .trim()
        .trim_start_matches("export ALIBABA_CLOUD_CREDENTIALS_URI='")
        .trim_end_matches('\'');
    assert!(
        url.starts_with(&format!("http://127.0.0.1:{port}/"))
            && url.ends_with(&format!("/credentials?token={token}")),
        "{line}"
    );

    let (status, body) = http_get(port, &format!("/credentials?token={token}"), None);
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["Code"], "Success");
    assert_eq!(v["AccessKeyId"], "STS.FAKECLISTATIC004");
    assert_eq!(v["SecurityToken"], "fake-cli-sts-token-00004");
    assert!(v["Expiration"].as_str().unwrap().ends_with('Z'));
    let (status, _) = http_get(port, "/credentials", Some(&format!("Bearer {token}")));
    assert_eq!(status, 200);
    for (target, auth) in [
        ("/credentials".to_owned(), None),
        ("/credentials?token=wrong-token-0123456789".to_owned(), None),
        (
            "/credentials".to_owned(),
            Some("Bearer wrong-token-0123456789"),
        ),
        (format!("/credentials?token={}", &token[..10]), None),
    ] {
        let (status, body) = http_get(port, &target, auth);
        assert_eq!((status, body.as_str()), (401, ""), "{target}");
    }
    assert_eq!(
        http_get(port, &format!("/other?token={token}"), None).0,
        404
    );
}

#[test]
fn serve_refuses_long_term_keys_and_foreign_addresses() {
    let home = Home::new().with_files();
    let out = home.run(
        &[
            "serve",
            "--port",
            "0",
            "--token",
            "test-serve-token-0123456789",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("temporary STS credentials only"),
        "{}",
        stderr(&out)
    );
    assert_no_secret(&stderr(&out));
    let out = home.run(&["serve", "--profile", "sts", "--bind", "0.0.0.0"], &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("loopback"), "{}", stderr(&out));
    let out = home.run(&["serve", "--profile", "sts", "--token", "short"], &[]);
    assert!(stderr(&out).contains("at least 16"), "{}", stderr(&out));
}

#[test]
fn sandbox_resolves_against_the_embedded_fake_cloud() {
    let out = Home::new().run(&["sandbox"], &[]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(
        text.contains("fake cloud listening on http://127.0.0.1:"),
        "{text}"
    );
    assert_eq!(
        text.matches("Action=AssumeRole -> StsAssumeRole: accepted")
            .count(),
        3,
        "{text}"
    );
    assert!(text.contains("GET /latest/meta-data/ram/security-credentials/FakeFixtureEcsRole -> ImdsCredentials: accepted"), "{text}");
    assert!(
        text.contains("from default/cli_profile/ram_role_arn/ram_role_arn/static_ak"),
        "{text}"
    );
    assert_eq!(
        text.matches("same snapshot from the cache (0 new requests)")
            .count(),
        3,
        "{text}"
    );
    assert!(!text.contains("fake-cli-secret-ram-00005"), "{text}");
}

const HW_ENV: [(&str, &str); 2] = [
    ("HUAWEICLOUD_SDK_METADATA_DISABLED", "true"),
    ("HUAWEICLOUD_SDK_IAM_ENDPOINT", "http://127.0.0.1:9"),
];

#[test]
fn huawei_get_exec_and_doctor() {
    let home = Home::new().install("huaweicloud/credentials", ".huaweicloud/credentials");
    let o = home.run(&["get", "--cloud", "huawei", "--format", "json"], &HW_ENV);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["access_key_id"], "FAKEHWBASICAK0000001");
    assert_eq!(v["provider"], "default/profile/static_ak");
    assert_eq!(v["project_id"], "0000000000000000fakeproject00001");
    let o = home.run(
        &[
            "get",
            "--cloud",
            "huawei",
            "--profile",
            "global",
            "--format",
            "env",
        ],
        &HW_ENV,
    );
    let out = stdout(&o);
    assert!(
        out.contains("export OBS_ACCESS_KEY_ID='FAKEHWGLOBALAK000002'"),
        "{out}"
    );
    assert!(out.contains("export HUAWEICLOUD_SDK_DOMAIN_ID="), "{out}");
    assert!(out.contains("unset OBS_SECURITY_TOKEN"), "{out}");
    let o = home.run(
        &[
            "exec",
            "--cloud",
            "huawei",
            "--",
            "sh",
            "-c",
            "test \"$OBS_ACCESS_KEY_ID\" = FAKEHWBASICAK0000001 && test \"$HUAWEICLOUD_SDK_AK\" = \"$OBS_ACCESS_KEY_ID\" && test -n \"$HUAWEICLOUD_SDK_PROJECT_ID\"",
        ],
        &HW_ENV,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = home.run(&["doctor", "--cloud", "huawei"], &HW_ENV);
    let text = format!("{}{}", stdout(&o), stderr(&o));
    assert!(text.contains("Huawei Cloud chain"), "{text}");
    assert!(text.contains("default/profile"), "{text}");
    assert!(
        !text.contains("fake-hw-basic-sk-00000000000000000001"),
        "{text}"
    );
    let o = home.run(&["get", "--cloud", "huawei", "--profile", "x"], &HW_ENV);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("basic or global"), "{}", stderr(&o));
}

#[test]
fn huawei_partial_profile_is_an_error_without_secrets() {
    let home = Home::new().install(
        "huaweicloud/credentials-partial",
        ".huaweicloud/credentials",
    );
    let o = home.run(&["get", "--cloud", "huawei"], &HW_ENV);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("[basic]") && e.contains("sk is not"), "{e}");
    assert!(stdout(&o).is_empty());
}

#[cfg(unix)]
#[test]
fn doctor_warns_about_exposed_credential_files() {
    use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
    let chmod = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    let home = Home::new()
        .install("alibabacloud/credentials", ".alibabacloud/credentials")
        .install("huaweicloud/credentials", ".huaweicloud/credentials");
    let ini = home.0.path().join(".alibabacloud/credentials");
    let hw = home.0.path().join(".huaweicloud/credentials");
    chmod(&ini, 0o640);
    chmod(&hw, 0o604);

    // config.json: a private file (0600) behind a symlink, owned by another user.
    let me = std::fs::metadata(home.0.path()).unwrap().uid();
    let target = if me == 0 {
        let t = home.0.path().join("elsewhere.json");
        std::fs::write(&t, r#"{"current": "", "profiles": []}"#).unwrap();
        chmod(&t, 0o600);
        std::os::unix::fs::chown(&t, Some(65534), Some(65534)).unwrap();
        t
    } else {
        // Not root: any root-owned file is another user's.
        PathBuf::from("/etc/passwd")
    };
    let owner = std::fs::metadata(&target).unwrap().uid();
    assert_ne!(owner, me);
    let config = home.0.path().join(".aliyun/config.json");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    symlink(&target, &config).unwrap();

    let out = home.run(&["doctor"], &[]);
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "warning {} is readable by group or others (mode 640): run chmod 600",
            ini.display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("warning {} is a symlink to ", config.display()))
            && text.contains(&format!("another user (uid {owner}) owns")),
        "{text}"
    );
    assert_no_secret(&text);

    let out = home.run(&["doctor", "--cloud", "huawei"], &HW_ENV);
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "warning {} is readable by group or others (mode 604)",
            hw.display()
        )),
        "{text}"
    );

    // Private files, no symlink: no such warning.
    chmod(&ini, 0o600);
    chmod(&hw, 0o600);
    std::fs::remove_file(&config).unwrap();
    for args in [&["doctor"][..], &["doctor", "--cloud", "huawei"][..]] {
        let text = stdout(&home.run(args, &HW_ENV));
        assert!(!text.contains("readable by group"), "{text}");
        assert!(!text.contains("symlink"), "{text}");
    }
}

/// Starts `cloudcred serve` for profile `sts` of the fixtures: (guard, first stdout line, port).
fn start_serve(home: &Home, token: &str) -> (KillOnDrop, String, u16) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_cloudcred"))
        .args(["serve", "--profile", "sts", "--port", "0", "--token", token])
        .env_clear()
        .env("HOME", home.0.path())
        .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let guard = KillOnDrop(child);
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    (guard, line, port)
}

#[test]
fn serve_answers_a_thousand_concurrent_clients() {
    const CLIENTS: usize = 1000;
    const THREADS: usize = 50;
    let home = Home::new().with_files();
    let token = "test-serve-token-0123456789";
    let (_guard, _, port) = start_serve(&home, token);
    let started = std::time::Instant::now();
    // All 1,000 connections open with their requests sent before any answer is read; then 50
    // threads read the answers.
    let target = format!("/credentials?token={token}");
    let mut streams: Vec<_> = (0..CLIENTS)
        .map(|_| http_send(port, &target, None))
        .collect();
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let mine: Vec<_> = streams.drain(..CLIENTS / THREADS).collect();
            std::thread::spawn(move || mine.into_iter().map(http_read).collect::<Vec<_>>())
        })
        .collect();
    let mut ok = 0;
    for h in handles {
        for (status, body) in h.join().unwrap() {
            assert_eq!(status, 200, "{body}");
            assert!(body.contains("STS.FAKECLISTATIC004"), "{body}");
            ok += 1;
        }
    }
    let elapsed = started.elapsed();
    assert_eq!(ok, CLIENTS);
    assert!(elapsed < std::time::Duration::from_secs(30), "{elapsed:?}");
    println!("serve: {CLIENTS} concurrent connections answered 200 in {elapsed:?}");

    // Wrong or missing tokens, also under load: 401 with an empty body.
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            std::thread::spawn(move || {
                let (target, auth) = match i % 3 {
                    0 => ("/credentials".to_owned(), None),
                    1 => ("/credentials?token=wrong-token-0123456789".to_owned(), None),
                    _ => ("/credentials".to_owned(), Some("Bearer wrong-token-0123")),
                };
                http_get(port, &target, auth)
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), (401, String::new()));
    }
}

/// The CLI side of the secret-leak audit (issue 7, item 2): `get`, `doctor`, `exec` and `serve`
/// on failing configurations, with `CLOUDCRED_LOG=trace`; neither stdout nor stderr holds a
/// fixture secret, the serve token or a planted environment secret.
#[test]
fn audit_failing_commands_under_trace_print_no_secret() {
    const SERVE_TOKEN: &str = "planted-serve-token-0123456789";
    const ENV_SECRET: &str = "PLANTED-ENV-SECRET-0123456789";
    const ENV_TOKEN: &str = "PLANTED-ENV-TOKEN-0123456789";
    let files = Home::new().with_files();
    let broken = Home::new().install("aliyun/config-invalid.json", ".aliyun/config.json");
    let hw = Home::new().install(
        "huaweicloud/credentials-partial",
        ".huaweicloud/credentials",
    );
    let trace = [("CLOUDCRED_LOG", "trace")];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut v = trace.to_vec();
        v.extend_from_slice(extra);
        v
    };
    type Env<'a> = Vec<(&'a str, &'a str)>;
    let cases: Vec<(&Home, Vec<&str>, Env)> = vec![
        (
            &files,
            vec!["get"],
            with(&[("ALIBABA_CLOUD_PROFILE", "ramrole")]),
        ),
        (&files, vec!["get", "--profile", "chain-cycle-a"], with(&[])),
        (
            &files,
            vec!["get", "--profile", "ak-missing-secret"],
            with(&[]),
        ),
        (
            &files,
            vec!["get"],
            with(&[("ALIBABA_CLOUD_SECURITY_TOKEN", ENV_TOKEN)]),
        ),
        (
            &files,
            vec!["get"],
            with(&[("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ENV_SECRET)]),
        ),
        (&broken, vec!["get"], with(&[])),
        (
            &hw,
            [&["get", "--cloud", "huawei"][..]].concat(),
            [&trace[..], &HW_ENV[..]].concat(),
        ),
        (
            &files,
            vec!["doctor"],
            with(&[("ALIBABA_CLOUD_PROFILE", "ramrole")]),
        ),
        (&broken, vec!["doctor"], with(&[])),
        (
            &hw,
            vec!["doctor", "--cloud", "huawei"],
            [&trace[..], &HW_ENV[..]].concat(),
        ),
        (
            &files,
            vec!["exec", "--profile", "ramrole", "--", "sh", "-c", "echo ran"],
            with(&[]),
        ),
        (
            &broken,
            vec!["exec", "--", "sh", "-c", "echo ran"],
            with(&[]),
        ),
        (
            &files,
            vec!["serve", "--port", "0", "--token", SERVE_TOKEN],
            with(&[]),
        ),
        (
            &files,
            vec![
                "serve",
                "--profile",
                "ramrole",
                "--port",
                "0",
                "--token",
                SERVE_TOKEN,
            ],
            with(&[]),
        ),
        (
            &files,
            vec![
                "serve",
                "--profile",
                "sts",
                "--bind",
                "0.0.0.0",
                "--token",
                SERVE_TOKEN,
            ],
            with(&[]),
        ),
    ];
    let mut logged = false;
    for (home, args, env) in cases {
        let out = home.run(&args, &env);
        assert!(!out.status.success(), "{args:?} succeeded");
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert!(
            !stdout(&out).contains("ran\n"),
            "{args:?}: the command ran: {text}"
        );
        logged |= stderr(&out).contains("TRACE") || stderr(&out).contains("DEBUG");
        assert_no_secret(&text);
        for s in [
            SERVE_TOKEN,
            ENV_SECRET,
            ENV_TOKEN,
            "fake-hw-basic-sk-00000000000000000001",
            "fake-cli-secret-ram-00005",
        ] {
            assert!(!text.contains(s), "{args:?}: {s} leaked: {text}");
        }
    }
    assert!(logged, "CLOUDCRED_LOG=trace logs to stderr");
}

/// The `(name, value)` query parameters of a URL, percent-decoded.
fn url_query(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url.trim())
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn query_value(url: &str, name: &str) -> String {
    url_query(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no {name} in {url}"))
        .1
}

/// Base64(HMAC-SHA1) with the fixture's default secret: what OSS V1 computes for `sts`.
fn v1_signature(sts: &str) -> String {
    cloudcred::sign::primitives::base64_hmac_sha1(b"fake-cli-secret-default-00001", sts)
}

#[test]
fn presign_and_sign_take_the_method_in_any_case() {
    let home = Home::new().with_files();
    for method in ["PUT", "Put", "put"] {
        let out = home.run(
            &[
                "presign",
                "oss://b/k",
                "--endpoint",
                "oss.example.invalid",
                "--v1",
                "--method",
                method,
            ],
            &[],
        );
        assert!(out.status.success(), "{method}: {}", stderr(&out));
        let url = stdout(&out);
        // The URL is signed for PUT: the service recomputes this string from a PUT request.
        let expires = query_value(&url, "Expires");
        assert_eq!(
            query_value(&url, "Signature"),
            v1_signature(&format!("PUT\n\n\n{expires}\n/b/k"))
        );
    }
    let out = home.run(
        &[
            "sign",
            "--service",
            "oss",
            "--v1",
            "--method",
            "DELETE",
            "--url",
            "https://b.oss-cn-hangzhou.example.invalid/k",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let header = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
            .to_owned()
    };
    assert_eq!(
        header("authorization"),
        format!(
            "OSS LTAIFAKECLIDEFAULT01:{}",
            v1_signature(&format!("DELETE\n\n\n{}\n/b/k", header("date")))
        )
    );
    let out = home.run(
        &[
            "sign",
            "--service",
            "oss",
            "--method",
            "BREW",
            "--url",
            "https://b.oss-x.example.invalid/k",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--method"), "{}", stderr(&out));
}

/// Every row: arguments after `presign`, and what stderr must say (the flag and the fix).
#[test]
fn presign_refuses_bad_input_naming_the_flag_and_the_fix() {
    let home = Home::new().with_files();
    let rows: &[(&[&str], &str)] = &[
        (
            &[
                "oss://b/k",
                "--endpoint",
                "oss.example.invalid/extra",
                "--v1",
            ],
            "--endpoint takes a host name",
        ),
        (
            &["oss://b/k", "--endpoint", "oss.example.invalid?x=1", "--v1"],
            "--endpoint takes a host name",
        ),
        (
            &["oss://b/k", "--endpoint", "oss.example.invalid#f", "--v1"],
            "--endpoint takes a host name",
        ),
        (
            &[
                "oss://b/k",
                "--endpoint",
                "ftp://oss.example.invalid",
                "--v1",
            ],
            "only https:// and http://",
        ),
        (
            &["oss://b/k", "--endpoint", "https://", "--v1"],
            "--endpoint takes a host name",
        ),
        (
            &["oss://b/k", "--endpoint", "h.invalid:99999", "--v1"],
            "--endpoint takes a host name",
        ),
        (
            &["oss://b/k", "--region", "cn/hangzhou"],
            "--region `cn/hangzhou` is not a region name",
        ),
        (
            &["oss://b/k", "--region", "cn-hangzhou#x"],
            "--region `cn-hangzhou#x` is not a region name",
        ),
        (&["oss://b/k", "--region", "cn?x=1"], "is not a region name"),
        (
            &[
                "obs://b/k",
                "--endpoint",
                "obs.example.invalid",
                "--v4",
                "--region",
                "r/1",
            ],
            "is not a region name",
        ),
        (
            &["oss://b/..", "--region", "cn-hangzhou"],
            "cannot be presigned",
        ),
        (
            &["oss://b/.", "--region", "cn-hangzhou"],
            "cannot be presigned",
        ),
        (
            &["oss://B_x/k", "--region", "cn-hangzhou"],
            "is not a bucket name",
        ),
        (
            &["oss://b/k", "--region", "cn-hangzhou", "--expires", "0"],
            "--expires 0 makes a URL that is already expired",
        ),
        (
            &[
                "oss://b/k",
                "--region",
                "cn-hangzhou",
                "--expires",
                "604801",
            ],
            "use at most 604800 seconds",
        ),
        (
            &[
                "obs://b/k",
                "--endpoint",
                "obs.example.invalid",
                "--v4",
                "--region",
                "r",
                "--expires",
                "700000",
            ],
            "use at most 604800 seconds",
        ),
        (
            &[
                "obs://b/k",
                "--endpoint",
                "obs.example.invalid",
                "--expires",
                "0",
            ],
            "--expires 0",
        ),
        (
            &[
                "oss://b/k",
                "--region",
                "cn-hangzhou",
                "--v1",
                "--expires",
                "9223372036854775807",
            ],
            "ends after the year 9999",
        ),
    ];
    for (args, want) in rows {
        let mut argv = vec!["presign"];
        argv.extend_from_slice(args);
        let out = home.run(&argv, &[]);
        let err = stderr(&out);
        assert!(
            !out.status.success(),
            "{argv:?} was accepted: {}",
            stdout(&out)
        );
        assert_eq!(stdout(&out), "", "{argv:?}");
        assert!(err.contains(want), "{argv:?}: {err}");
        assert_no_secret(&err);
    }
    // What the rows' neighbours accept.
    let ok: &[(&[&str], &str)] = &[
        (
            &[
                "oss://b/k",
                "--endpoint",
                "http://oss.example.invalid",
                "--v1",
            ],
            "http://b.oss.example.invalid/k?",
        ),
        (
            &[
                "oss://b/k",
                "--endpoint",
                "HTTPS://oss.example.invalid:8443/",
                "--v1",
            ],
            "https://b.oss.example.invalid:8443/k?",
        ),
        (
            &[
                "oss://b/k",
                "--region",
                "cn-hangzhou",
                "--expires",
                "604800",
            ],
            "https://b.oss-cn-hangzhou.aliyuncs.com/k?",
        ),
        (
            &[
                "oss://b/k",
                "--region",
                "cn-hangzhou",
                "--v1",
                "--expires",
                "604801",
            ],
            "https://b.oss-cn-hangzhou.aliyuncs.com/k?",
        ),
        (
            &[
                "obs://b/k",
                "--endpoint",
                "obs.example.invalid",
                "--expires",
                "700000",
            ],
            "https://b.obs.example.invalid/k?",
        ),
    ];
    for (args, prefix) in ok {
        let mut argv = vec!["presign"];
        argv.extend_from_slice(args);
        let out = home.run(&argv, &[]);
        assert!(out.status.success(), "{argv:?}: {}", stderr(&out));
        assert!(
            stdout(&out).starts_with(prefix),
            "{argv:?}: {}",
            stdout(&out)
        );
    }
}

/// One HTTP request on a loopback listener; returns its request target as received.
fn serve_one_request(listener: std::net::TcpListener) -> std::thread::JoinHandle<String> {
    use std::io::{BufRead, Write};
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap() == 0 || h == "\r\n" {
                break;
            }
        }
        let mut stream = stream;
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .unwrap();
        line.split(' ').nth(1).unwrap_or_default().to_owned()
    })
}

#[test]
fn presigned_dot_segment_keys_reach_the_same_object_through_url_parsers_and_curl() {
    let home = Home::new().with_files();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let endpoint = format!("http://oss.example.invalid:{port}");
    for (scheme, key, extra) in [
        ("oss", "a/../b", &["--region", "cn-hangzhou"][..]),
        ("oss", "../x/./y/..", &["--region", "cn-hangzhou", "--v1"]),
        ("obs", "dir/../k", &[]),
        ("obs", "x/../../y", &["--v4", "--region", "r1"]),
    ] {
        let target = format!("{scheme}://b/{key}");
        let mut argv = vec!["presign", target.as_str(), "--endpoint", endpoint.as_str()];
        argv.extend_from_slice(extra);
        let out = home.run(&argv, &[]);
        assert!(out.status.success(), "{argv:?}: {}", stderr(&out));
        let presigned = stdout(&out).trim().to_owned();
        let sent_path = presigned
            .split_once(&format!(":{port}"))
            .unwrap()
            .1
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        // A WHATWG parser (browsers, reqwest) keeps the path, which decodes to the key.
        let parsed = url::Url::parse(&presigned).unwrap();
        assert_eq!(parsed.path(), sent_path, "{key}");
        let decoded = cloudcred::sign::encoding::decode(&sent_path[1..]).unwrap();
        assert_eq!(decoded, key);
        // curl without --path-as-is (it removes dot segments) sends the same path.
        let server = serve_one_request(listener.try_clone().unwrap());
        let curl = Command::new("curl")
            .args([
                "-sS",
                "--max-time",
                "10",
                "--noproxy",
                "*",
                "-o",
                "/dev/null",
            ])
            .arg("--resolve")
            .arg(format!("b.oss.example.invalid:{port}:127.0.0.1"))
            .arg(&presigned)
            .output()
            .unwrap();
        assert!(
            curl.status.success(),
            "{}",
            String::from_utf8_lossy(&curl.stderr)
        );
        let received = server.join().unwrap();
        assert_eq!(received.split('?').next().unwrap(), sent_path, "{key}");
        assert_eq!(
            url_query(&format!("http://h{received}")),
            url_query(&presigned),
            "{key}: curl sent the query as signed"
        );
    }
}
