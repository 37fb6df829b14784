//! What reading local files must survive (issue 11, items 5 and 13): every kind of thing that
//! can sit where a credentials, configuration or token file is expected — a symlink, a dangling
//! link, a link loop, a FIFO, `/dev/zero`, `/dev/null`, a directory, a file over the size cap,
//! an unreadable file — through the real default chains with another source configured behind
//! the file, so a refusal that let the chain move on would show as that other identity.
//!
//! Each case runs on its own thread with a deadline: a reader that blocks (a FIFO) or never
//! ends (`/dev/zero`) fails the test instead of hanging it.

mod common;

use cloudcred::alibaba::DefaultChain;
use cloudcred::prelude::*;
use cloudcred::{Chain, Context, ErrorKind};
use cloudcred_fakecloud::{
    Endpoint, FakeCloud, FakeCloudConfig, FIXTURE_HUAWEI_ID_TOKEN, FIXTURE_HUAWEI_POD_TOKEN,
    FIXTURE_OIDC_TOKEN,
};
use common::{assert_no_secret, fixture, Home};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What is put at the file's path.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Regular,
    /// Regular, padded with newlines to exactly the size cap: the cap is not off by one.
    AtLimit,
    /// A symlink to a regular file in another directory, as Kubernetes projects tokens.
    Symlink,
    Dangling,
    Loop,
    Fifo,
    DevZero,
    DevNull,
    Directory,
    /// One byte over the cap (sparse, so the test writes nothing).
    Huge,
    /// Mode 000, read by a user who is not root.
    Unreadable,
}

const HOSTILE: [Kind; 8] = [
    Kind::Dangling,
    Kind::Loop,
    Kind::Fifo,
    Kind::DevZero,
    Kind::DevNull,
    Kind::Directory,
    Kind::Huge,
    Kind::Unreadable,
];

/// Far beyond a refusal (milliseconds) and far below the 30 s resolve deadline.
const CASE_DEADLINE: Duration = Duration::from_secs(10);

/// One file a chain reads, the configuration that makes the chain read it, and the source
/// configured behind it.
struct Target {
    label: &'static str,
    /// Where the file goes, under the home.
    rel: &'static str,
    max_bytes: u64,
    max_text: &'static str,
    /// The content of a good file.
    good: String,
    /// Variables naming the file, and the source behind it (`@FILE@` is the file's path).
    vars: Vec<(&'static str, String)>,
    /// Extra files of the home (the source behind, for the Alibaba token file).
    with_ini: bool,
    huawei: bool,
    /// The provider that answers when the file is good.
    provider: &'static str,
    /// The endpoint of the source behind, which must never be asked when the file is bad.
    behind: Option<Endpoint>,
}

fn targets(cloud: &FakeCloud) -> Vec<Target> {
    let base = cloud.base_url();
    let pod_uri = cloud.url("/v1/pod-identity/credentials");
    let fill = |rel: &str| {
        fixture(rel)
            .replace("@PORT@", &cloud.port().to_string())
            .replace("@FIXTURES@", common::fixtures_dir().to_str().unwrap())
    };
    let config_json = fill("aliyun/config.json");
    vec![
        Target {
            label: "Alibaba INI credentials file",
            rel: ".alibabacloud/credentials",
            max_bytes: 1 << 20,
            max_text: "1 MiB",
            good: fill("alibabacloud/credentials"),
            // Behind the INI file: a credentials URI served by the fake cloud.
            vars: vec![("ALIBABA_CLOUD_CREDENTIALS_URI", cloud.url("/uri/fixture"))],
            with_ini: false,
            huawei: false,
            provider: "default/profile/static_ak",
            behind: Some(Endpoint::CredentialsUri),
        },
        Target {
            label: "aliyun config.json",
            rel: ".aliyun/config.json",
            max_bytes: 1 << 20,
            max_text: "1 MiB",
            good: config_json,
            // Behind config.json: the INI file, and a credentials URI behind that.
            vars: vec![("ALIBABA_CLOUD_CREDENTIALS_URI", cloud.url("/uri/fixture"))],
            with_ini: true,
            huawei: false,
            provider: "default/cli_profile/static_ak",
            behind: Some(Endpoint::CredentialsUri),
        },
        Target {
            label: "Alibaba OIDC token file",
            rel: "tokens/oidc",
            max_bytes: 64 << 10,
            max_text: "64 KiB",
            good: format!("{FIXTURE_OIDC_TOKEN}\n"),
            vars: vec![
                (
                    "ALIBABA_CLOUD_ROLE_ARN",
                    "acs:ram::1000000000000000:role/fake-oidc-role".into(),
                ),
                (
                    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                    "acs:ram::1000000000000000:oidc-provider/fake-oidc-provider".into(),
                ),
                ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "@FILE@".into()),
                ("ALIBABA_CLOUD_STS_ENDPOINT", base.clone()),
                ("ALIBABA_CLOUD_CREDENTIALS_URI", cloud.url("/uri/fixture")),
            ],
            with_ini: true,
            huawei: false,
            provider: "default/oidc_role_arn",
            behind: Some(Endpoint::CredentialsUri),
        },
        Target {
            label: "Huawei credentials file",
            rel: ".huaweicloud/credentials",
            max_bytes: 1 << 20,
            max_text: "1 MiB",
            good: fill("huaweicloud/credentials"),
            // Behind the profile file: CCE pod identity served by the fake cloud.
            vars: vec![
                ("HC_CONTAINER_CREDENTIALS_FULL_URI", pod_uri.clone()),
                ("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", "@POD@".into()),
                ("HUAWEICLOUD_SDK_METADATA_DISABLED", "true".into()),
            ],
            with_ini: false,
            huawei: true,
            provider: "default/profile/static_ak",
            behind: Some(Endpoint::HwPodIdentity),
        },
        Target {
            label: "Huawei IdP id token file",
            rel: "tokens/id-token",
            max_bytes: 64 << 10,
            max_text: "64 KiB",
            good: format!("{FIXTURE_HUAWEI_ID_TOKEN}\n"),
            vars: vec![
                ("HUAWEICLOUD_SDK_IDP_ID", "fake-fixture-idp".into()),
                ("HUAWEICLOUD_SDK_ID_TOKEN_FILE", "@FILE@".into()),
                ("HUAWEICLOUD_SDK_IAM_ENDPOINT", base.clone()),
                ("HUAWEICLOUD_SDK_PROJECT_ID", "proj-env".into()),
                ("HC_CONTAINER_CREDENTIALS_FULL_URI", pod_uri.clone()),
                ("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", "@POD@".into()),
                ("HUAWEICLOUD_SDK_METADATA_DISABLED", "true".into()),
            ],
            with_ini: false,
            huawei: true,
            provider: "default/idp_federation",
            behind: Some(Endpoint::HwPodIdentity),
        },
        Target {
            label: "Huawei pod identity token file",
            rel: "tokens/pod",
            max_bytes: 64 << 10,
            max_text: "64 KiB",
            good: format!("{FIXTURE_HUAWEI_POD_TOKEN}\n"),
            // Behind pod identity: ECS metadata served by the fake cloud.
            vars: vec![
                ("HC_CONTAINER_CREDENTIALS_FULL_URI", pod_uri),
                ("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", "@FILE@".into()),
                ("HUAWEICLOUD_SDK_METADATA_ENDPOINT", base),
            ],
            with_ini: false,
            huawei: true,
            provider: "default/pod_identity",
            behind: Some(Endpoint::HwSecurityKey),
        },
    ]
}

/// Puts `kind` at `path`; `good` is the content of a regular file.
fn plant(path: &Path, kind: Kind, good: &str, max_bytes: u64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let link = |target: &Path| std::os::unix::fs::symlink(target, path).unwrap();
    match kind {
        Kind::Regular => std::fs::write(path, good).unwrap(),
        Kind::AtLimit => {
            let mut text = good.as_bytes().to_vec();
            text.resize(max_bytes as usize, b'\n');
            std::fs::write(path, text).unwrap();
        }
        Kind::Symlink => {
            let real = path.with_file_name("..data").join("real");
            std::fs::create_dir_all(real.parent().unwrap()).unwrap();
            std::fs::write(&real, good).unwrap();
            link(&real);
        }
        Kind::Dangling => link(&path.with_file_name("missing-target")),
        Kind::Loop => {
            let other = path.with_file_name("loop-partner");
            std::os::unix::fs::symlink(path, &other).unwrap();
            link(&other);
        }
        // The real tool, not a library call: what a user (or an attacker) would run.
        Kind::Fifo => assert!(Command::new("mkfifo").arg(path).status().unwrap().success()),
        Kind::DevZero => link(Path::new("/dev/zero")),
        Kind::DevNull => link(Path::new("/dev/null")),
        Kind::Directory => std::fs::create_dir(path).unwrap(),
        Kind::Huge => std::fs::File::create(path)
            .unwrap()
            .set_len(max_bytes + 1)
            .unwrap(),
        Kind::Unreadable => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::write(path, good).unwrap();
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o000)).unwrap();
        }
    }
}

/// The words the error must contain for `kind` (besides the path).
fn expected_words(kind: Kind, t: &Target) -> Vec<&'static str> {
    match kind {
        Kind::Dangling => vec!["dangling", "missing-target"],
        Kind::Loop => vec!["symlink loop"],
        Kind::Fifo => vec!["FIFO", "not a regular file"],
        Kind::DevZero | Kind::DevNull => vec!["character device", "not a regular file"],
        Kind::Directory => vec!["directory", "not a regular file"],
        Kind::Huge => vec![t.max_text, "larger than"],
        Kind::Unreadable => vec!["permission denied"],
        _ => unreachable!("{kind:?} is not hostile"),
    }
}

/// Runs `f` on its own thread; a case that does not answer in time fails instead of hanging.
fn bounded<T: Send + 'static>(what: String, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(CASE_DEADLINE)
        .unwrap_or_else(|_| panic!("{what}: no answer within {CASE_DEADLINE:?} (blocked?)"))
}

/// Plants `kind` for target `t` in a fresh home, resolves the default chain once, and checks
/// the outcome: the file's own provider for good kinds; for hostile kinds a clear error naming
/// the path and the kind, with the source behind never asked.
fn check(rt: &tokio::runtime::Runtime, cloud: &FakeCloud, t: &Target, kind: Kind) {
    let home = Home::new();
    let path = home.path().join(t.rel);
    let pod = home.write("tokens/pod-behind", FIXTURE_HUAWEI_POD_TOKEN);
    let mut home = home;
    if t.with_ini {
        home = home.with_ini();
    }
    for (k, v) in &t.vars {
        let v = v
            .replace("@FILE@", path.to_str().unwrap())
            .replace("@POD@", pod.to_str().unwrap());
        home = home.set(k, &v);
    }
    plant(&path, kind, &t.good, t.max_bytes);
    let ctx: Context = home.ctx();
    let chain: Chain = if t.huawei {
        cloudcred::huawei::default_chain(&ctx)
    } else {
        DefaultChain::builder(&ctx).build()
    };
    let behind_before = t.behind.map(|e| cloud.count(e));
    let handle = rt.handle().clone();
    let started = Instant::now();
    let got = bounded(format!("{} as {kind:?}", t.label), move || {
        handle.block_on(chain.get())
    });
    let took = started.elapsed();
    let case = format!("{} as {kind:?} ({})", t.label, path.display());
    match kind {
        Kind::Regular | Kind::AtLimit | Kind::Symlink => {
            let c = got.unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(c.provider_name().as_str(), t.provider, "{case}");
        }
        _ => {
            let e = got
                .err()
                .unwrap_or_else(|| panic!("{case}: resolved credentials"));
            let text = e.to_string();
            assert!(
                !matches!(e.kind(), ErrorKind::NoCredentials { .. }),
                "{case}: the chain moved on: {text}"
            );
            assert!(
                text.contains(path.to_str().unwrap()),
                "{case}: the path is not named: {text}"
            );
            for word in expected_words(kind, t) {
                assert!(text.contains(word), "{case}: no {word:?} in: {text}");
            }
            assert_eq!(
                t.behind.map(|e| cloud.count(e)),
                behind_before,
                "{case}: the source behind the file was asked"
            );
            let shown = format!("{e} {e:?}");
            assert_no_secret(&shown);
            for token in [
                FIXTURE_OIDC_TOKEN,
                FIXTURE_HUAWEI_ID_TOKEN,
                FIXTURE_HUAWEI_POD_TOKEN,
            ] {
                assert!(!shown.contains(token), "{case}: token leaked: {shown}");
            }
        }
    }
    if kind == Kind::Fifo {
        // Proof of no blocking open: a refusal is a few system calls.
        assert!(took < Duration::from_secs(1), "{case}: took {took:?}");
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn run(kinds: &[Kind], only: Option<&str>) {
    let rt = runtime();
    let cloud = rt
        .block_on(FakeCloud::start(FakeCloudConfig::default()))
        .unwrap();
    for t in targets(&cloud) {
        if only.is_some_and(|o| !t.label.contains(o)) {
            continue;
        }
        for &kind in kinds {
            check(&rt, &cloud, &t, kind);
        }
    }
}

fn root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Every kind but the unreadable file (which needs a user who is not root).
fn kinds_as_root() -> Vec<Kind> {
    let mut kinds = vec![Kind::Regular, Kind::AtLimit, Kind::Symlink];
    kinds.extend(HOSTILE.iter().filter(|k| **k != Kind::Unreadable));
    kinds
}

#[test]
fn alibaba_ini_file_every_kind() {
    run(&kinds_as_root(), Some("Alibaba INI"));
}

#[test]
fn config_json_every_kind() {
    run(&kinds_as_root(), Some("config.json"));
}

#[test]
fn alibaba_oidc_token_file_every_kind() {
    run(&kinds_as_root(), Some("Alibaba OIDC"));
}

#[test]
fn huawei_credentials_file_every_kind() {
    run(&kinds_as_root(), Some("Huawei credentials"));
}

#[test]
fn huawei_id_token_file_every_kind() {
    run(&kinds_as_root(), Some("Huawei IdP"));
}

#[test]
fn huawei_pod_token_file_every_kind() {
    run(&kinds_as_root(), Some("Huawei pod"));
}

/// Root reads mode-000 files, so as root this test runs itself again as `nobody` (uid 65534)
/// and checks that run passed; as any other user it runs the cases directly.
#[test]
fn unreadable_files_are_a_clear_error() {
    if !root() {
        run(&[Kind::Unreadable], None);
        return;
    }
    use std::os::unix::process::CommandExt;
    let out = bounded("the unreadable-file child".into(), || {
        Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "unreadable_files_are_a_clear_error",
                "--test-threads=1",
            ])
            .env("TMPDIR", "/tmp")
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap()
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child as uid 65534 failed:\n{stdout}\n{stderr}"
    );
}

/// The boundary of "a link counts as configured": only the file's own path. Under a directory
/// that is a link to nowhere, nothing is at the path, so the file is absent as before and the
/// next source answers.
#[test]
fn a_missing_file_is_still_absent() {
    let rt = runtime();
    let cloud = rt
        .block_on(FakeCloud::start(FakeCloudConfig::default()))
        .unwrap();
    let home = Home::new().set("ALIBABA_CLOUD_CREDENTIALS_URI", &cloud.url("/uri/fixture"));
    std::os::unix::fs::symlink(home.path().join("nowhere"), home.path().join(".aliyun")).unwrap();
    let chain = DefaultChain::builder(&home.ctx()).build();
    let c = rt.block_on(chain.get()).unwrap();
    assert_eq!(c.provider_name().as_str(), "default/credential_uri");
}

/// The path named by the error for the explicit-variable spelling, so `doctor` users see it.
#[test]
fn an_explicit_path_variable_to_a_fifo_names_the_variable() {
    let home = Home::new();
    let fifo: PathBuf = home.path().join("creds-fifo");
    plant(&fifo, Kind::Fifo, "", 0);
    for var in [
        "ALIBABA_CLOUD_CREDENTIALS_FILE",
        "ALIBABA_CLOUD_CONFIG_FILE",
    ] {
        let home = Home::new().set(var, fifo.to_str().unwrap());
        let chain = DefaultChain::builder(&home.ctx()).build();
        let e = bounded(var.into(), move || {
            futures::executor::block_on(chain.get()).unwrap_err()
        })
        .to_string();
        assert!(
            e.contains(fifo.to_str().unwrap()) && e.contains("FIFO"),
            "{var}: {e}"
        );
    }
    let home = Home::new().set("HUAWEICLOUD_SDK_CREDENTIALS_FILE", fifo.to_str().unwrap());
    let chain = cloudcred::huawei::default_chain(&home.ctx());
    let e = bounded("huawei".into(), move || {
        futures::executor::block_on(chain.get()).unwrap_err()
    })
    .to_string();
    assert!(
        e.contains("HUAWEICLOUD_SDK_CREDENTIALS_FILE") && e.contains("FIFO"),
        "{e}"
    );
}

/// `doctor` inspects every provider, reading the files again for warnings: with a FIFO at
/// every file of both clouds, each inspection still answers at once.
#[test]
fn doctor_inspections_do_not_block_on_fifos() {
    let home = Home::new();
    for rel in [
        ".alibabacloud/credentials",
        ".alibabacloud/credentials.ini",
        ".aliyun/config.json",
        ".huaweicloud/credentials",
    ] {
        plant(&home.path().join(rel), Kind::Fifo, "", 0);
    }
    let ctx = home.ctx();
    let chains = [
        DefaultChain::builder(&ctx).build(),
        cloudcred::huawei::default_chain(&ctx),
    ];
    for chain in chains {
        for p in chain.providers().to_vec() {
            let name = p.name().to_owned();
            let started = Instant::now();
            let inspection = bounded(format!("inspect {name}"), move || p.inspect());
            assert!(started.elapsed() < Duration::from_secs(1), "{name}");
            assert_no_secret(&format!("{inspection:?}"));
        }
    }
}

/// The config.json write-back locks the file before re-reading it: a FIFO swapped in after the
/// provider read the file must not hang the lock's open, and the re-read refuses it.
#[test]
fn the_write_back_lock_does_not_block_on_a_fifo() {
    use cloudcred::format::cli_config_write::ConfigLock;
    let home = Home::new();
    let path = home.path().join(".aliyun/config.json");
    plant(&path, Kind::Fifo, "", 0);
    let started = Instant::now();
    let outcome = bounded("lock and update".into(), move || {
        let lock = ConfigLock::acquire_blocking(&path, Duration::from_secs(1))
            .unwrap()
            .expect("the locks are free");
        lock.update("p", &[("sts_token", "x".into())])
    });
    assert!(started.elapsed() < Duration::from_secs(1));
    let e = outcome.unwrap_err();
    assert!(e.contains("config.json") && e.contains("FIFO"), "{e}");
}
