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
            .install("huaweicloud/credentials", ".huaweicloud/credentials")
    }
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.command(args, env).output().unwrap()
    }
    /// The command [`Home::run`] runs, for a test that wires stdin/stdout/stderr itself.
    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        self.wrapped(env!("CARGO_BIN_EXE_cloudcred"), args, env)
    }
    /// `program` (a shell, `script`) in the environment of [`Home::command`].
    fn wrapped(&self, program: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_clear()
            .env("HOME", self.0.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
            .env("ALIBABA_CLOUD_STS_ENDPOINT", "http://127.0.0.1:9")
            .env("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", "http://127.0.0.1:9")
            .envs(env.iter().copied());
        cmd
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
        url.contains("&AccessKeyId=FAKEHWBASICAK0000001&Signature="),
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
            "authorization: OBS FAKEHWBASICAK0000001:",
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
    assert_eq!(out.status.code(), Some(5), "a credential problem");
    // Flag values the command refuses are usage errors, like clap's own.
    let out = home.run(&["serve", "--profile", "sts", "--bind", "0.0.0.0"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("loopback"), "{}", stderr(&out));
    let out = home.run(&["serve", "--profile", "sts", "--token", "short"], &[]);
    assert_eq!(out.status.code(), Some(2));
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
    // From credentials to use: OSS with the AssumeRole keys, OBS with Huawei metadata keys.
    for line in [
        "PUT /sandbox-bucket/hello.txt -> Oss: accepted (verified: OSS V4 header signature of key STS",
        "GET /sandbox-bucket/hello.txt -> Oss: accepted (verified: OSS V4 presigned URL signature of key STS",
        "presigned GET (OSS V4 URL): HTTP 200, \"hello from the cloudcred sandbox (OSS)\"",
        "GET /openstack/latest/securitykey -> HwSecurityKey: accepted",
        "PUT /sandbox-bucket/hello.txt -> Obs: accepted (verified: OBS native header signature of key ",
        "GET /sandbox-bucket/hello.txt -> Obs: accepted (verified: OBS V4 presigned URL signature of key ",
        "presigned GET (OBS V4 URL): HTTP 200, \"hello from the cloudcred sandbox (OBS)\"",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
    assert_eq!(text.matches("with its security token").count(), 4, "{text}");
    // No presigned URL (it is a credential) and no full key id beside the masked ones.
    assert!(!text.contains("Signature="), "{text}");
    assert!(!text.contains("x-oss-signature"), "{text}");
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
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cloudcred"));
    cmd.args(["serve", "--profile", "sts", "--port", "0", "--token", token])
        .env_clear()
        .env("HOME", home.0.path())
        .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
        .stderr(std::process::Stdio::null());
    spawn_serve(cmd)
}

/// Starts [`SERVE_STS`] with `extra` arguments, stderr discarded: (guard, line, port).
fn serve_sts(home: &Home, extra: &[&str]) -> (KillOnDrop, String, u16) {
    let mut cmd = home.command(&[&SERVE_STS[..], extra].concat(), &[]);
    cmd.stderr(std::process::Stdio::null());
    spawn_serve(cmd)
}

/// Spawns a prepared `serve` command and reads its `export` line: (guard, line, port).
fn spawn_serve(mut cmd: Command) -> (KillOnDrop, String, u16) {
    use std::io::BufRead;
    let mut child = cmd.stdout(std::process::Stdio::piped()).spawn().unwrap();
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
        // A pasted presigned URL: refused without echoing its token.
        (
            &[
                "oss://b/k",
                "--endpoint",
                "https://b.oss.example.invalid/k?x-oss-security-token=fake-cli-sts-token-00004",
            ],
            "--endpoint takes a host name",
        ),
        (
            &[
                "oss://b?security-token=fake-cli-sts-token-00004/k",
                "--region",
                "cn-hangzhou",
            ],
            "bucket is not a bucket name",
        ),
        (
            &[
                "oss://b/k",
                "--region",
                "cn-hangzhou?t=fake-cli-sts-token-00004",
            ],
            "--region is not a region name",
        ),
        (
            &[
                "oss://b/k",
                "--endpoint",
                "oss.example.invalid/extra",
                "--v1",
            ],
            "it has a path",
        ),
        (
            &["oss://b/k", "--endpoint", "oss.example.invalid?x=1", "--v1"],
            "it has a query",
        ),
        (
            &["oss://b/k", "--endpoint", "oss.example.invalid#f", "--v1"],
            "it has a fragment",
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
            "it has no host name",
        ),
        (
            &["oss://b/k", "--endpoint", "h.invalid:99999", "--v1"],
            "its port is not a number",
        ),
        (
            &["oss://b/k", "--region", "cn/hangzhou"],
            "--region is not a region name",
        ),
        (
            &["oss://b/k", "--region", "cn-hangzhou#x"],
            "--region is not a region name",
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
            "bucket is not a bucket name",
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
        // A usage error, as clap's own refusals, not a configuration error.
        assert_eq!(out.status.code(), Some(2), "{argv:?}: {err}");
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
    answer_one_request(
        listener,
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
}

/// [`serve_one_request`] with `response` as the answer.
fn answer_one_request(
    listener: std::net::TcpListener,
    response: &'static [u8],
) -> std::thread::JoinHandle<String> {
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
        stream.write_all(response).unwrap();
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

// Issue 11: a hostile local machine (full or closed stdout, descriptor exhaustion, slow clients,
// odd tokens, inherited identities, programs that cannot start).

/// The offline commands that print a result, each able to succeed with the fixtures.
const PRINTING_COMMANDS: [&[&str]; 5] = [
    &["get", "--format", "json"],
    &["get", "--format", "env", "--profile", "sts"],
    &["doctor"],
    &[
        "presign",
        "oss://my-bucket/k",
        "--region",
        "cn-hangzhou",
        "--endpoint",
        "oss-cn-hangzhou.example.invalid",
        "--profile",
        "sts",
    ],
    &[
        "sign",
        "--service",
        "oss",
        "--region",
        "cn-hangzhou",
        "--url",
        "https://bkt.oss-cn-hangzhou.example.invalid/k",
        "--profile",
        "sts",
    ],
];

/// `serve` of the STS fixture profile, which prints its `export` line once resolved.
const SERVE_STS: [&str; 5] = [
    "serve",
    "--profile",
    "sts",
    "--token",
    "test-serve-token-0123456789",
];

#[cfg(target_os = "linux")]
#[test]
fn full_stdout_is_an_error_not_a_silent_success() {
    let home = Home::new().with_files();
    for args in PRINTING_COMMANDS
        .iter()
        .copied()
        .chain([&SERVE_STS[..], &["sandbox"][..]])
    {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = home.command(args, &[]).stdout(full).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("cannot write the output to stdout: No space left on device"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_no_secret(&err);
    }
    // --help is output too.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = home
        .command(&["--help"], &[])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn closed_stdout_pipe_ends_quietly_with_141() {
    let home = Home::new().with_files();
    // A pipe whose read end is closed before the command starts (closing it after the spawn
    // races a fast command, which may finish writing into the pipe buffer first).
    for args in PRINTING_COMMANDS.iter().copied().chain([&SERVE_STS[..]]) {
        let run = || {
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            home.command(args, &[])
                .stdout(writer)
                .stderr(std::process::Stdio::piped())
                .output()
                .unwrap()
        };
        // Another test's child, between its fork and exec, holds a copy of every descriptor of
        // this process, the read end too; a write in that window succeeds. A second try is what
        // tells that race from a bug.
        let out = (0..3)
            .map(|_| run())
            .find(|out| out.status.code() != Some(0))
            .unwrap_or_else(run);
        assert_eq!(out.status.code(), Some(141), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?}");
    }
    // Through a real shell pipeline: the reader exits first; the shell reports the status.
    let sh = |script: &str| {
        home.wrapped(
            "sh",
            &["-c", script, "sh", env!("CARGO_BIN_EXE_cloudcred")],
            &[],
        )
        .output()
        .unwrap()
    };
    let out = sh(r#"{ sleep 0.3; "$1" doctor; echo "status=$?" >&2; } | true"#);
    assert_eq!(stderr(&out), "status=141\n");
    let out = sh(r#""$1" doctor | head -c1"#);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "A");
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}

#[test]
fn logs_have_no_colour_codes_when_stderr_is_a_pipe() {
    let home = Home::new().with_files();
    let out = home.run(&["get", "--format", "json"], &[("CLOUDCRED_LOG", "debug")]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("DEBUG"), "{}", stderr(&out));
    assert!(!out.stderr.contains(&0x1b), "{}", stderr(&out));
}

/// On a terminal (a pty from util-linux `script`) logs are coloured unless `NO_COLOR` is set
/// and non-empty (https://no-color.org).
#[cfg(target_os = "linux")]
#[test]
fn logs_are_coloured_only_on_a_terminal_without_no_color() {
    let home = Home::new().with_files();
    let inner = format!(
        "{} get --profile sts --format json >/dev/null",
        env!("CARGO_BIN_EXE_cloudcred")
    );
    for (no_color, coloured) in [(None, true), (Some(""), true), (Some("1"), false)] {
        let mut cmd = home.wrapped(
            "script",
            &["-qec", &inner, "/dev/null"],
            &[("CLOUDCRED_LOG", "debug")],
        );
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        let out = cmd.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("DEBUG"), "{no_color:?}: {text}");
        assert_eq!(out.stdout.contains(&0x1b), coloured, "{no_color:?}: {text}");
    }
}

/// Each failure class exits with its own status from the one table (`cmd::exit`), for `get`
/// and `doctor` alike, and stderr names the source.
#[test]
fn exit_status_tells_not_configured_from_configuration_from_service_errors() {
    use cloudcred_cli::cmd::exit;
    let files = Home::new().with_files();
    let empty = Home::new();
    let broken = Home::new().install("aliyun/config-invalid.json", ".aliyun/config.json");
    let refused = (
        "ALIBABA_CLOUD_CREDENTIALS_URI",
        "http://127.0.0.1:9/credentials",
    );
    // Home, arguments, environment, status, a text stderr must contain.
    type Case<'a> = (
        &'a Home,
        &'a [&'a str],
        &'a [(&'a str, &'a str)],
        exit::Status,
        &'a str,
    );
    let cases: [Case; 9] = [
        (
            &files,
            &["get"],
            &[],
            exit::Status {
                code: 0,
                meaning: "",
            },
            "",
        ),
        (
            &files,
            &["get", "--no-such-flag"],
            &[],
            exit::USAGE,
            "--no-such-flag",
        ),
        (
            &empty,
            &["get"],
            &[],
            exit::NOT_CONFIGURED,
            "no credentials found",
        ),
        (&empty, &["doctor"], &[], exit::NOT_CONFIGURED, ""),
        (
            &files,
            &["get", "--profile", "ak-missing-secret"],
            &[],
            exit::INVALID_CONFIG,
            "ak-missing-secret",
        ),
        (&broken, &["get"], &[], exit::INVALID_CONFIG, "config.json"),
        (&broken, &["doctor"], &[], exit::INVALID_CONFIG, ""),
        (&empty, &["get"], &[refused], exit::SERVICE, "127.0.0.1:9"),
        (&empty, &["doctor"], &[refused], exit::SERVICE, ""),
    ];
    for (home, args, env, status, names) in cases {
        let out = home.run(args, env);
        let err = stderr(&out);
        assert_eq!(
            out.status.code(),
            Some(i32::from(status.code)),
            "{args:?}: {err}"
        );
        assert!(err.contains(names), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }

    // A credential service that answers with an error is a service error too.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}/credentials", listener.local_addr().unwrap());
    let server = answer_one_request(
        listener,
        b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    let out = empty.run(&["get"], &[("ALIBABA_CLOUD_CREDENTIALS_URI", &uri)]);
    assert_eq!(server.join().unwrap(), "/credentials");
    assert_eq!(
        out.status.code(),
        Some(i32::from(exit::SERVICE.code)),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("403"), "{}", stderr(&out));
}

/// The table is documented where users look: `--help` and the README, every status once.
#[test]
fn exit_statuses_are_documented_in_help_and_readme() {
    use cloudcred_cli::cmd::exit::TABLE;
    let out = Home::new().run(&["--help"], &[]);
    assert!(out.status.success());
    let help = stdout(&out);
    assert!(help.contains("Alibaba Cloud and Huawei Cloud"), "{help}");
    let readme = include_str!("../../../README.md");
    let section = readme
        .split("### Output and exit status")
        .nth(1)
        .and_then(|s| s.split("\n### ").next())
        .expect("README has the exit status section");
    let mut codes: Vec<u8> = TABLE.iter().map(|s| s.code).collect();
    codes.dedup();
    assert_eq!(codes.len(), TABLE.len(), "each status once");
    for status in TABLE {
        let line = format!("  {:<4} {}", status.code, status.meaning);
        assert!(help.contains(&line), "--help lacks {line:?}: {help}");
        assert_eq!(
            section.matches(&format!("\n| {} |", status.code)).count(),
            1,
            "README row for {}: {section}",
            status.code
        );
    }
}

/// clap's help and errors carry no colour codes off a terminal; on one (a pty from util-linux
/// `script`) they are coloured unless `NO_COLOR` is set and non-empty, like the logs.
#[cfg(target_os = "linux")]
#[test]
fn help_and_usage_errors_are_coloured_only_on_a_terminal_without_no_color() {
    let home = Home::new();
    for args in [&["--help"][..], &["get", "--no-such-flag"]] {
        let out = home.run(args, &[("TERM", "xterm")]);
        let text = [out.stdout, out.stderr].concat();
        assert!(!text.is_empty() && !text.contains(&0x1b), "{args:?}");
    }
    for inner in ["--help", "get --no-such-flag"] {
        let inner = format!("{} {inner}", env!("CARGO_BIN_EXE_cloudcred"));
        for (no_color, coloured) in [(None, true), (Some(""), true), (Some("1"), false)] {
            let mut cmd = home.wrapped("script", &["-qec", &inner, "/dev/null"], &[]);
            cmd.env("TERM", "xterm");
            if let Some(v) = no_color {
                cmd.env("NO_COLOR", v);
            }
            let out = cmd.output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("Usage"), "{inner} {no_color:?}: {text}");
            assert_eq!(
                out.stdout.contains(&0x1b),
                coloured,
                "{inner} {no_color:?}: {text}"
            );
        }
    }
}

/// `completions SHELL` prints a script each shell accepts; bash's and fish's, loaded into the
/// real shell, complete a subcommand.
#[test]
fn completions_for_every_shell_load_in_the_shell() {
    let home = Home::new();
    let script = |shell: &str| {
        let out = home.run(&["completions", shell], &[]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.contains("cloudcred") && text.contains("presign"),
            "{shell}: {text}"
        );
        text
    };
    for shell in ["powershell", "elvish"] {
        script(shell);
    }
    let dir = tempfile::tempdir().unwrap();
    let shell_run = |shell: &str, args: &[&str]| {
        let out = Command::new(shell).args(args).output().unwrap_or_else(|e| {
            panic!("{shell} is needed ({e}): apt-get install -y zsh fish, as .ci/run does")
        });
        assert!(out.status.success(), "{shell} {args:?}: {}", stderr(&out));
        stdout(&out)
    };
    for shell in ["bash", "zsh", "fish"] {
        let path = dir.path().join(shell);
        std::fs::write(&path, script(shell)).unwrap();
        shell_run(shell, &["-n", path.to_str().unwrap()]);
    }
    let bash = dir.path().join("bash");
    let offered = shell_run(
        "bash",
        &[
            "-c",
            r#"source "$0"; COMP_WORDS=(cloudcred pre); COMP_CWORD=1; _cloudcred cloudcred pre cloudcred; printf '%s\n' "${COMPREPLY[@]}""#,
            bash.to_str().unwrap(),
        ],
    );
    assert_eq!(offered, "presign\n");
    let fish = dir.path().join("fish");
    let offered = shell_run(
        "fish",
        &[
            "--no-config",
            "-c",
            "source $argv[1]; complete -C 'cloudcred pre'",
            fish.to_str().unwrap(),
        ],
    );
    assert!(offered.starts_with("presign"), "{offered}");
    // The scripts come through the checked stdout path like every other output.
    let out = home.run(&["completions", "bash"], &[]);
    assert!(out.status.success());
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = home
        .command(&["completions", "bash"], &[])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

/// utime + stime of `pid`, in clock ticks (USER_HZ, 100 per second on Linux).
#[cfg(target_os = "linux")]
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the parenthesised command name: state is the first, utime the 12th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// A GET with the answer read under a deadline, so a server that never answers fails the test
/// instead of hanging it: (status, body).
fn http_get_within(port: u16, target: &str, limit: std::time::Duration) -> (u16, String) {
    let s = http_send(port, target, None);
    s.set_read_timeout(Some(limit)).unwrap();
    http_read(s)
}

#[cfg(target_os = "linux")]
#[test]
fn serve_backs_off_at_the_descriptor_limit_and_recovers() {
    let home = Home::new().with_files();
    let token = "test-serve-token-0123456789";
    let errors = home.0.path().join("serve.err");
    // A real shell's `ulimit -n`, as a user would lower it.
    let mut cmd = home.wrapped(
        "sh",
        &[
            "-c",
            r#"ulimit -n 64 && exec "$0" serve --profile sts --port 0 --token "$1""#,
            env!("CARGO_BIN_EXE_cloudcred"),
            token,
        ],
        &[],
    );
    cmd.stderr(std::fs::File::create(&errors).unwrap());
    let (guard, _, port) = spawn_serve(cmd);
    let pid = guard.0.id();

    // Far more idle connections than descriptors: the server fills its table, the rest wait in
    // the backlog.
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let held: Vec<_> = (0..150)
        .map_while(|_| {
            std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(2)).ok()
        })
        .collect();
    assert!(held.len() >= 100, "only {} connections", held.len());
    std::thread::sleep(std::time::Duration::from_millis(300));
    let before = cpu_ticks(pid);
    std::thread::sleep(std::time::Duration::from_secs(1));
    let used = cpu_ticks(pid) - before;
    println!("serve at the descriptor limit: {used} CPU ticks in 1 s");
    assert!(
        used <= 10,
        "serve used {used} ticks of CPU in 1 s at the descriptor limit"
    );
    let text = std::fs::read_to_string(&errors).unwrap();
    assert_eq!(
        text.matches("cannot accept connections").count(),
        1,
        "{text}"
    );

    drop(held);
    let (status, body) = http_get_within(
        port,
        &format!("/credentials?token={token}"),
        std::time::Duration::from_secs(20),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn serve_disconnects_half_sent_requests_and_idle_connections() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    let home = Home::new().with_files();
    let token = SERVE_STS[4];
    let (_guard, _, port) = serve_sts(&home, &["--header-read-timeout-ms", "500"]);

    // Reads until the server closes; a read timeout (the server kept the connection) fails.
    let read_to_close = |mut s: std::net::TcpStream| -> (Vec<u8>, Duration) {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let started = Instant::now();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
                Err(e) => panic!("the server kept the connection open: {e}"),
            }
        }
        (got, started.elapsed())
    };

    let mut half = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        half,
        "GET /credentials?token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    )
    .unwrap();
    let (got, waited) = read_to_close(half);
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert!(!String::from_utf8_lossy(&got).contains("200 OK"));

    // A whole request on a keep-alive connection is answered; the idle connection then closes.
    let mut idle = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        idle,
        "GET /credentials?token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    .unwrap();
    let (got, waited) = read_to_close(idle);
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200 OK"));
}

#[test]
fn serve_holds_at_most_max_connections() {
    use std::time::Duration;
    let home = Home::new().with_files();
    let token = SERVE_STS[4];
    let (_guard, _, port) = serve_sts(&home, &["--max-connections", "2"]);
    let idle: Vec<_> = (0..2)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    // Both slots are taken: a third request waits in the backlog, unanswered.
    let mut third = http_send(port, &format!("/credentials?token={token}"), None);
    third
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut byte = [0u8; 1];
    let waited = std::io::Read::read(&mut third, &mut byte).unwrap_err();
    assert!(
        matches!(
            waited.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{waited}"
    );
    // A slot frees: the waiting request is answered.
    drop(idle);
    third
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let (status, body) = http_read(third);
    assert_eq!(status, 200, "{body}");
}

#[cfg(unix)]
#[test]
fn serve_export_line_works_in_a_shell_for_any_token_character() {
    let home = Home::new().with_files();
    for token in [
        "token&with&ampersands-01",
        "token#with#hashes-0123",
        "token with spaces 0123",
        "token'with'quotes'0123",
        "token%41\"$(x)`y`\\-0123",
    ] {
        let (_guard, line, port) = start_serve(&home, token);
        // curl, driven by the URI the printed line exports in a real shell.
        let script = format!(
            "{line}curl -sS -o /dev/null -w '%{{http_code}}' \"$ALIBABA_CLOUD_CREDENTIALS_URI\""
        );
        let out = Command::new("sh").args(["-c", &script]).output().unwrap();
        assert_eq!(stdout(&out), "200", "{token}: {line} {}", stderr(&out));
        // bash too, and a raw request on the exported URI's path and query.
        let script = format!("{line}printf %s \"$ALIBABA_CLOUD_CREDENTIALS_URI\"");
        let out = Command::new("bash").args(["-c", &script]).output().unwrap();
        assert!(out.status.success(), "{token}: {line} {}", stderr(&out));
        let uri = stdout(&out);
        let target = uri
            .strip_prefix(&format!("http://127.0.0.1:{port}"))
            .unwrap_or_else(|| panic!("{uri}"));
        let (status, body) = http_get(port, target, None);
        assert_eq!(status, 200, "{token}: {uri}: {body}");
        // The header form takes the token as it is.
        let (status, _) = http_get(port, "/credentials", Some(&format!("Bearer {token}")));
        assert_eq!(status, 200, "{token}");
    }
}

/// The child's environment as `env` prints it.
fn child_env(out: &Output) -> std::collections::BTreeMap<String, String> {
    stdout(out)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[test]
fn exec_hands_over_one_identity() {
    const PLANTED: &str = "PARENT-IDENTITY";
    // Identities of the parent that no chain used here reads, and settings to keep.
    let alibaba_planted = [
        ("OSS_ACCESS_KEY_ID", PLANTED),
        ("OSS_ACCESS_KEY_SECRET", PLANTED),
        ("OSS_SESSION_TOKEN", PLANTED),
        ("OSS_STS_ROLE_ARN", PLANTED),
        ("TABLESTORE_ACCESS_KEY_ID", PLANTED),
        ("TABLESTORE_ACCESS_KEY_SECRET", PLANTED),
        ("TABLESTORE_SESSION_TOKEN", PLANTED),
        ("ALIYUN_ACCESS_KEY_ID", PLANTED),
        ("ALIYUN_ACCESS_KEY_SECRET", PLANTED),
        ("ALICLOUD_ACCESS_KEY", PLANTED),
        ("ALIBABACLOUD_SECURITY_TOKEN", PLANTED),
        ("ALIBABA_CLOUD_BEARER_TOKEN", PLANTED),
        (
            "ALIBABA_CLOUD_CREDENTIALS_URI",
            "http://127.0.0.1:9/PARENT-IDENTITY",
        ),
        ("HUAWEICLOUD_SDK_AK", PLANTED),
        ("HUAWEICLOUD_SDK_SK", PLANTED),
        ("OBS_ACCESS_KEY_ID", PLANTED),
        ("OBS_SECRET_ACCESS_KEY", PLANTED),
        ("HC_CONTAINER_CREDENTIALS_FULL_URI", PLANTED),
        ("ALIBABA_CLOUD_REGION_ID", "kept-region"),
        ("OSS_ENDPOINT", "kept-endpoint"),
        ("HUAWEICLOUD_SDK_PROJECT_ID", "kept-project"),
    ];
    let huawei_planted = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", PLANTED),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", PLANTED),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", PLANTED),
        ("OSS_ACCESS_KEY_ID", PLANTED),
        ("OBS_ACCESS_KEY_ID", PLANTED),
        ("OBS_SECRET_ACCESS_KEY", PLANTED),
        ("OBS_SECURITY_TOKEN", PLANTED),
        ("HUAWEI_CLOUD_IDP_ID", PLANTED),
        ("HUAWEICLOUD_SDK_PROJECT_ID", "kept-project"),
        ("HUAWEICLOUD_SDK_METADATA_DISABLED", "true"),
        ("HUAWEICLOUD_SDK_IAM_ENDPOINT", "http://127.0.0.1:9"),
    ];
    let home = Home::new()
        .with_files()
        .install("huaweicloud/credentials", ".huaweicloud/credentials");
    /// Flags of `exec`, the parent's extra environment, and variables the child must see.
    type Case<'a> = (
        &'a [&'a str],
        &'a [(&'a str, &'a str)],
        Vec<(&'a str, Option<&'a str>)>,
    );
    let cases: Vec<Case> = vec![
        (
            &["--profile", "default"],
            &alibaba_planted,
            vec![
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", Some("LTAIFAKECLIDEFAULT01")),
                ("OSS_ACCESS_KEY_ID", Some("LTAIFAKECLIDEFAULT01")),
                (
                    "TABLESTORE_ACCESS_KEY_SECRET",
                    Some("fake-cli-secret-default-00001"),
                ),
                ("OSS_SESSION_TOKEN", None),
                ("ALIBABA_CLOUD_SECURITY_TOKEN", None),
            ],
        ),
        (
            &["--profile", "sts"],
            &alibaba_planted,
            vec![
                ("OSS_ACCESS_KEY_ID", Some("STS.FAKECLISTATIC004")),
                ("OSS_SESSION_TOKEN", Some("fake-cli-sts-token-00004")),
                ("TABLESTORE_SESSION_TOKEN", Some("fake-cli-sts-token-00004")),
                ("ALIBABA_CLOUD_BEARER_TOKEN", None),
            ],
        ),
        (
            &["--profile", "anonymous"],
            &alibaba_planted,
            vec![
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", None),
                ("OSS_ACCESS_KEY_ID", None),
                ("ALIBABA_CLOUD_BEARER_TOKEN", None),
            ],
        ),
        (
            &["--profile", "bearer"],
            &alibaba_planted,
            vec![
                (
                    "ALIBABA_CLOUD_BEARER_TOKEN",
                    Some("fake-cli-bearer-token-00001"),
                ),
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", None),
                ("OSS_ACCESS_KEY_ID", None),
            ],
        ),
        (
            &["--cloud", "huawei"],
            &huawei_planted,
            vec![
                ("HUAWEICLOUD_SDK_AK", Some("FAKEHWBASICAK0000001")),
                ("OBS_ACCESS_KEY_ID", Some("FAKEHWBASICAK0000001")),
                (
                    "HUAWEICLOUD_SDK_PROJECT_ID",
                    Some("0000000000000000fakeproject00001"),
                ),
                ("OBS_SECURITY_TOKEN", None),
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", None),
            ],
        ),
        (
            // A global credential has no project id: the user's stays.
            &["--cloud", "huawei", "--profile", "global"],
            &huawei_planted,
            vec![
                ("HUAWEICLOUD_SDK_AK", Some("FAKEHWGLOBALAK000002")),
                ("HUAWEICLOUD_SDK_PROJECT_ID", Some("kept-project")),
            ],
        ),
    ];
    for (flags, planted, expected) in cases {
        let args = [&["exec"][..], flags, &["--", "env"][..]].concat();
        let out = home.run(&args, planted);
        assert!(out.status.success(), "{flags:?}: {}", stderr(&out));
        let env = child_env(&out);
        for (name, value) in &env {
            assert!(
                !value.contains(PLANTED),
                "{flags:?}: {name} reached the child"
            );
        }
        for (name, value) in planted {
            if value.starts_with("kept") {
                let want = expected
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(Some(*value), |(_, v)| *v);
                assert_eq!(
                    env.get(*name).map(String::as_str),
                    want,
                    "{flags:?}: {name}"
                );
            }
        }
        for (name, value) in expected {
            assert_eq!(
                env.get(name).map(String::as_str),
                value,
                "{flags:?}: {name}"
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn exec_exit_codes_follow_the_shell() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new().with_files();
    let not_executable = home.0.path().join("not-executable.sh");
    std::fs::write(&not_executable, "#!/bin/sh\necho ran\n").unwrap();
    std::fs::set_permissions(&not_executable, std::fs::Permissions::from_mode(0o644)).unwrap();
    let missing = home.0.path().join("missing");
    let dir = home.0.path().to_str().unwrap().to_owned();
    for (program, expected) in [
        (missing.to_str().unwrap(), 127),
        ("cloudcred-no-such-program", 127),
        (not_executable.to_str().unwrap(), 126),
        (dir.as_str(), 126),
    ] {
        let out = home.run(&["exec", "--", program], &[]);
        assert_eq!(
            out.status.code(),
            Some(expected),
            "{program}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains(&format!("cannot run {program}")),
            "{}",
            stderr(&out)
        );
        // A real shell gives the same status for the same program.
        let sh = Command::new("sh")
            .args(["-c", "\"$0\" 2>/dev/null", program])
            .output()
            .unwrap();
        assert_eq!(sh.status.code(), Some(expected), "sh: {program}");
    }
    // The child's own status passes through, 1 included.
    let out = home.run(&["exec", "--", "sh", "-c", "exit 1"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "");

    // A NUL byte in a secret: the variable and the source are named, never the value.
    let nul = Home::new();
    let config = nul.0.path().join(".aliyun/config.json");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        r#"{"current": "nul", "profiles": [{"name": "nul", "mode": "AK", "access_key_id": "LTAIFAKENUL", "access_key_secret": "PLANTED-NUL\u0000SECRET"}]}"#,
    )
    .unwrap();
    let out = nul.run(&["exec", "--", "env"], &[]);
    let err = stderr(&out);
    let invalid_config = cloudcred_cli::cmd::exit::INVALID_CONFIG.code;
    assert_eq!(out.status.code(), Some(i32::from(invalid_config)), "{err}");
    assert!(
        err.contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET") && err.contains("NUL byte"),
        "{err}"
    );
    assert!(err.contains("default/cli_profile"), "{err}");
    assert!(
        !err.contains("PLANTED") && !err.contains("invalid input"),
        "{err}"
    );
    assert_eq!(stdout(&out), "");
}
