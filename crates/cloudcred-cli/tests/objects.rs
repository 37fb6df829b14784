//! `cloudcred presign` and `cloudcred sign` proved against the fake cloud's verifying OSS and
//! OBS endpoints, with curl (which no one here wrote) as the HTTP client: URLs and headers the
//! binary prints make requests the services accept, and a changed or expired one is refused with
//! the service's code.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, Verdict};

const OSS_HOST: &str = "bkt.oss-cn-hangzhou.fake.test";
const OBS_HOST: &str = "bkt.obs.cn-north-4.fake.test";
const SECRETS: [&str; 4] = [
    "fake-cli-secret-default-00001",
    "fake-cli-sts-token-00004",
    "fake-cli-secret-sts-00004",
    "fake-hw-basic-sk-00000000000000000001",
];

/// The fake cloud on a runtime of its own, serving while the test runs synchronously.
struct Cloud {
    cloud: FakeCloud,
    _rt: tokio::runtime::Runtime,
    home: tempfile::TempDir,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures")
}

impl Cloud {
    fn start() -> Cloud {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let cloud = rt
            .block_on(FakeCloud::start(FakeCloudConfig::default()))
            .unwrap();
        let home = tempfile::tempdir().unwrap();
        for (fixture, rel) in [
            ("alibabacloud/credentials", ".alibabacloud/credentials"),
            ("aliyun/config.json", ".aliyun/config.json"),
            ("huaweicloud/credentials", ".huaweicloud/credentials"),
        ] {
            let text = std::fs::read_to_string(fixtures().join(fixture))
                .unwrap()
                .replace("@FIXTURES@", fixtures().to_str().unwrap())
                .replace("@PORT@", "9");
            let path = home.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Cloud {
            cloud,
            _rt: rt,
            home,
        }
    }

    fn port(url: &str) -> u16 {
        url.rsplit(':').next().unwrap().parse().unwrap()
    }

    fn oss_endpoint(&self) -> String {
        format!(
            "http://oss-cn-hangzhou.fake.test:{}",
            Self::port(&self.cloud.oss_url())
        )
    }

    fn obs_endpoint(&self) -> String {
        format!(
            "http://obs.cn-north-4.fake.test:{}",
            Self::port(&self.cloud.obs_url())
        )
    }

    /// Runs `cloudcred` in the fixture home; `env` adds to (or overrides) the defaults.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_cloudcred"))
            .args(args)
            .env_clear()
            .env("HOME", self.home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
            .env("HUAWEICLOUD_SDK_METADATA_DISABLED", "true")
            .env("ALIBABA_CLOUD_STS_ENDPOINT", "http://127.0.0.1:9")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
        for s in SECRETS {
            assert!(!stderr.contains(s), "{s} on stderr: {stderr}");
        }
        out
    }

    fn stdout(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        String::from_utf8(self.run(args, env).stdout).unwrap()
    }

    /// curl, with `bkt.<endpoint>` connected to the fake's listeners: (status, body).
    fn curl(&self, args: &[&str]) -> (u16, String) {
        let oss = Self::port(&self.cloud.oss_url());
        let obs = Self::port(&self.cloud.obs_url());
        let out = Command::new("curl")
            .args(["-sS", "--noproxy", "*", "--max-time", "10"])
            .args(["--connect-to", &format!("{OSS_HOST}:{oss}:127.0.0.1:{oss}")])
            .args(["--connect-to", &format!("{OBS_HOST}:{obs}:127.0.0.1:{obs}")])
            .args(["-w", "\n%{http_code}"])
            .args(args)
            .output()
            .expect("curl runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap();
        (code.parse().unwrap_or(0), body.to_owned())
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.home.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

fn code(xml: &str) -> &str {
    xml.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map_or("", |(c, _)| c)
}

/// Replaces the last character of the `name=` query value (a signature) with another one.
fn tamper(url: &str, name: &str) -> String {
    let start = url.find(&format!("{name}=")).unwrap() + name.len() + 1;
    let end = url[start..].find('&').map_or(url.len(), |i| start + i);
    let last = &url[end - 1..end];
    let other = if last == "A" { "B" } else { "A" };
    format!("{}{other}{}", &url[..end - 1], &url[end..])
}

#[test]
fn presigned_oss_urls_get_and_put_through_curl() {
    let c = Cloud::start();
    let endpoint = c.oss_endpoint();
    for (flags, profile, signature) in [
        (&["--v1"][..], "default", "Signature"),
        (&[][..], "sts", "x-oss-signature"),
        (&["--v1"][..], "sts", "Signature"),
        (&[][..], "default", "x-oss-signature"),
    ] {
        let what = format!("{flags:?} --profile {profile}");
        let target = format!("oss://bkt/dir/presigned {profile} {}.txt", flags.len());
        let presign = |method: &str| {
            let mut argv = vec![
                "presign",
                target.as_str(),
                "--region",
                "cn-hangzhou",
                "--endpoint",
                endpoint.as_str(),
                "--method",
                method,
                "--profile",
                profile,
            ];
            argv.extend_from_slice(flags);
            c.stdout(&argv, &[]).trim().to_owned()
        };
        let put = presign("put");
        assert!(put.starts_with(&format!("http://{OSS_HOST}:")), "{put}");
        let upload = c.file("upload.txt", &format!("uploaded for {what}"));
        let (status, body) = c.curl(&["-T", &upload, &put]);
        assert_eq!(status, 200, "{what}: {body}");
        let get = presign("get");
        let (status, body) = c.curl(&[&get]);
        assert_eq!(
            (status, body.as_str()),
            (200, format!("uploaded for {what}").as_str())
        );

        let (status, body) = c.curl(&[&tamper(&get, signature)]);
        assert_eq!(
            (status, code(&body)),
            (403, "SignatureDoesNotMatch"),
            "{what}: {body}"
        );
        for s in SECRETS {
            assert!(!body.contains(s), "{s} echoed: {body}");
        }
        // A GET URL does not PUT.
        let (status, body) = c.curl(&["-T", &upload, &get]);
        assert_eq!(
            (status, code(&body)),
            (403, "SignatureDoesNotMatch"),
            "{what}: {body}"
        );
        // An hour and a bit later (the default --expires is 3600) the URL is refused.
        c.cloud.set_clock_offset(3700);
        let (status, body) = c.curl(&[&get]);
        c.cloud.set_clock_offset(0);
        assert_eq!(
            (status, code(&body)),
            (403, "AccessDenied"),
            "{what}: {body}"
        );
        assert!(
            body.contains("<Message>Request has expired.</Message>"),
            "{body}"
        );
    }
    let verified: Vec<String> = c
        .cloud
        .requests()
        .iter()
        .filter(|r| r.endpoint == Some(Endpoint::Oss) && r.verdict == Verdict::Accepted)
        .filter_map(|r| r.verified.clone())
        .collect();
    assert!(
        verified.contains(
            &"OSS V1 presigned URL signature of key STS.FAKECLISTATIC004 with its security token"
                .to_owned()
        ),
        "{verified:?}"
    );
    assert!(
        verified.contains(
            &"OSS V4 presigned URL signature of key LTAIFAKECLIDEFAULT01 (region cn-hangzhou)"
                .to_owned()
        ),
        "{verified:?}"
    );
}

#[test]
fn presigned_obs_urls_get_and_put_through_curl_with_file_and_metadata_credentials() {
    let c = Cloud::start();
    let endpoint = c.obs_endpoint();
    let base = c.cloud.base_url();
    // In a home without a credentials file the Huawei chain ends at the (fake) ECS metadata
    // service, whose temporary keys come with a security token.
    let empty = tempfile::tempdir().unwrap();
    let empty_home = empty.path().to_str().unwrap();
    let metadata: [(&str, &str); 3] = [
        ("HUAWEICLOUD_SDK_METADATA_DISABLED", "false"),
        ("HUAWEICLOUD_SDK_METADATA_ENDPOINT", base.as_str()),
        ("HOME", empty_home),
    ];
    for (flags, env, signature) in [
        (&[][..], &[][..], "Signature"),
        (
            &["--v4", "--region", "cn-north-4"][..],
            &[][..],
            "X-Amz-Signature",
        ),
        (&[][..], &metadata[..], "Signature"),
        (
            &["--v4", "--region", "cn-north-4"][..],
            &metadata[..],
            "X-Amz-Signature",
        ),
    ] {
        let what = format!("{flags:?} metadata={}", !env.is_empty());
        let target = format!("obs://bkt/presigned {}-{}.txt", flags.len(), env.len());
        let presign = |method: &str| {
            let mut argv = vec![
                "presign",
                target.as_str(),
                "--endpoint",
                endpoint.as_str(),
                "--method",
                method,
            ];
            argv.extend_from_slice(flags);
            c.stdout(&argv, env).trim().to_owned()
        };
        let put = presign("put");
        let upload = c.file("upload.txt", &format!("obs upload {what}"));
        let (status, body) = c.curl(&["-T", &upload, &put]);
        assert_eq!(status, 200, "{what}: {body}");
        let get = presign("get");
        let (status, body) = c.curl(&[&get]);
        assert_eq!(
            (status, body.as_str()),
            (200, format!("obs upload {what}").as_str()),
            "{what}"
        );
        let (status, body) = c.curl(&[&tamper(&get, signature)]);
        assert_eq!(
            (status, code(&body)),
            (403, "SignatureDoesNotMatch"),
            "{what}: {body}"
        );
        c.cloud.set_clock_offset(3700);
        let (status, body) = c.curl(&[&get]);
        c.cloud.set_clock_offset(0);
        assert_eq!(
            (status, code(&body)),
            (403, "AccessDenied"),
            "{what}: {body}"
        );
    }
    let verified: Vec<String> = c
        .cloud
        .requests()
        .iter()
        .filter_map(|r| r.verified.clone())
        .collect();
    assert!(
        verified
            .iter()
            .any(|v| v == "OBS native presigned URL signature of key FAKEHWBASICAK0000001"),
        "{verified:?}"
    );
    assert!(
        verified
            .iter()
            .any(|v| v.starts_with("OBS V4 presigned URL signature of key")
                && v.contains("with its security token")),
        "{verified:?}"
    );
}

/// `cloudcred sign` prints `Name: value` lines; curl sends them as they are.
fn signed_curl(c: &Cloud, sign_args: &[&str], curl_args: &[&str]) -> (u16, String) {
    let headers = c.stdout(sign_args, &[]);
    let mut argv: Vec<String> = Vec::new();
    for line in headers.lines() {
        argv.push("-H".into());
        argv.push(line.to_owned());
    }
    argv.extend(curl_args.iter().map(|s| s.to_string()));
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    c.curl(&argv)
}

#[test]
fn signed_headers_make_requests_oss_and_obs_accept() {
    let c = Cloud::start();
    let oss_port = Cloud::port(&c.cloud.oss_url());
    let obs_port = Cloud::port(&c.cloud.obs_url());
    let cases = [
        (
            "oss",
            format!("http://{OSS_HOST}:{oss_port}/signed/v4.txt"),
            &["--region", "cn-hangzhou", "--profile", "sts"][..],
        ),
        (
            "oss",
            format!("http://{OSS_HOST}:{oss_port}/signed/v1.txt"),
            &["--v1"][..],
        ),
        (
            "obs",
            format!("http://{OBS_HOST}:{obs_port}/signed/native.txt"),
            &[][..],
        ),
        (
            "obs",
            format!("http://{OBS_HOST}:{obs_port}/signed/v4.txt"),
            &["--v4", "--region", "cn-north-4"][..],
        ),
    ];
    for (service, url, flags) in &cases {
        let what = format!("{service} {flags:?}");
        let mut put = vec![
            "sign",
            "--service",
            service,
            "--url",
            url,
            "--method",
            "put",
            "-H",
            "Content-Type: text/plain",
        ];
        put.extend_from_slice(flags);
        let upload = c.file("signed.txt", &format!("signed {what}"));
        let data = format!("@{upload}");
        let (status, body) = signed_curl(
            &c,
            &put,
            &[
                "-X",
                "PUT",
                "-H",
                "Content-Type: text/plain",
                "--data-binary",
                &data,
                url,
            ],
        );
        assert_eq!(status, 200, "{what}: {body}");
        let mut get = vec!["sign", "--service", service, "--url", url];
        get.extend_from_slice(flags);
        let (status, body) = signed_curl(&c, &get, &[url]);
        assert_eq!(
            (status, body.as_str()),
            (200, format!("signed {what}").as_str()),
            "{what}"
        );
        // The same headers for another object are refused.
        let other = url.replace("/signed/", "/other/");
        let (status, body) = signed_curl(&c, &get, &[&other]);
        assert_eq!(
            (status, code(&body)),
            (403, "SignatureDoesNotMatch"),
            "{what}: {body}"
        );
    }
    let verified: Vec<String> = c
        .cloud
        .requests()
        .iter()
        .filter_map(|r| r.verified.clone())
        .collect();
    for form in [
        "OSS V4 header",
        "OSS V1 header",
        "OBS native header",
        "OBS V4 header",
    ] {
        assert!(
            verified.iter().any(|v| v.starts_with(form)),
            "{form}: {verified:?}"
        );
    }
}
