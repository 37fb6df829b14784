//! Concurrent write-back (issue 7, item 4): 8 OS processes at once refresh, round after round,
//! the External profile and the OAuth profile of the same config.json. Every script run prints
//! new values, and the OAuth access token the fake cloud hands out is always due for a refresh
//! and its STS credentials never reusable, so every round of every process rewrites the file
//! twice and rotates the OAuth refresh token once — under the config lock, against one fake
//! cloud (started here, its address passed to the children) that accepts only the newest
//! refresh token.
//!
//! Afterwards the file parses, every field not owned by a write-back (unknown fields included,
//! everywhere) is unchanged against the fixture, each profile holds one complete set of values
//! that was issued, nothing was skipped (no warning: lock timeout, invalid file, unsaved
//! token), every rotation presented the then-current refresh token, the refresh token left in the
//! file is the one the fake cloud accepts (a last refresh with it succeeds), and every process
//! ended with valid credentials.
//!
//! The processes are this test binary re-run in child mode (`WB_CHILD_HOME` set). Rounds per
//! process: `WB_ROUNDS` (default 200, the issue's figure).

#![cfg(unix)]

mod common;

use cloudcred::alibaba::CliProfileProvider;
use cloudcred::{Credentials, MapEnv, ProvideCredentials, Resolution};
use cloudcred_fakecloud::{Endpoint, FakeCloud, FakeCloudConfig, Verdict};
use common::{assert_only_owned_changed_in, fixture, profile, Home, OAUTH_OWNED, STS_OWNED};
use serde_json::Value;
use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CHILD_VAR: &str = "WB_CHILD_HOME";
const ROUNDS_VAR: &str = "WB_ROUNDS";
/// The fake cloud's OAuth base URL, for the children.
const OAUTH_VAR: &str = "WB_OAUTH_ENDPOINT";
const PROCESSES: usize = 8;
const PROFILE: &str = "external-sts";
const OAUTH_PROFILE: &str = "oauth-cn";

/// Prints fresh StsToken JSON (id unique per run, expiration two hours ahead) and logs the id.
const SCRIPT: &str = r#"#!/bin/sh
n=$(date +%s%N)
id="STS.WB$$x$n"
echo "$id" >> "$(dirname "$0")/issued.log"
exp=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
printf '{"mode":"StsToken","access_key_id":"%s","access_key_secret":"fake-wb-secret-%s","sts_token":"fake-wb-token-%s","expiration":"%s"}\n' "$id" "$n" "$n" "$exp"
"#;

fn rounds() -> usize {
    std::env::var(ROUNDS_VAR)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

/// A context on `profile` of the config.json under `home`, OAuth pointed at `oauth`.
fn profile_ctx(home: &str, oauth: &str, profile: &str) -> cloudcred::Context {
    cloudcred::Context::from_env(MapEnv::from([
        ("HOME", home),
        ("ALIBABA_CLOUD_PROFILE", profile),
        ("ALIBABA_CLOUD_OAUTH_ENDPOINT", oauth),
        ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
    ]))
}

/// One refresh through a fresh provider (so nothing is cached in the process): valid
/// credentials of `provider_name`.
fn refresh(ctx: &cloudcred::Context, provider_name: &str, round: usize) -> Arc<Credentials> {
    let p = CliProfileProvider::new(ctx);
    let c = match futures::executor::block_on(p.resolve()) {
        Ok(Resolution::Credentials(c)) => c,
        other => panic!("{provider_name} round {round}: {other:?}"),
    };
    assert_eq!(c.provider_name().as_str(), provider_name, "round {round}");
    assert!(
        c.expiration().unwrap() > chrono::Utc::now(),
        "{provider_name} round {round}"
    );
    c
}

/// Child mode: `rounds()` rounds of an External and an OAuth refresh, each writing back.
#[test]
fn write_back_child() {
    let Ok(home) = std::env::var(CHILD_VAR) else {
        return;
    };
    let oauth = std::env::var(OAUTH_VAR).expect("the parent passes the fake cloud");
    // Write-back problems are warnings: the parent fails on any in this stderr.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::WARN)
        .init();
    let external = profile_ctx(&home, &oauth, PROFILE);
    let oauth = profile_ctx(&home, &oauth, OAUTH_PROFILE);
    let mut last = None;
    for round in 0..rounds() {
        let e = refresh(&external, "cli_profile/external", round);
        assert!(e.access_key_id().starts_with("STS.WB"), "round {round}");
        let o = refresh(&oauth, "cli_profile/oauth", round);
        last = Some((e, o));
    }
    let (e, o) = last.expect("at least one round");
    // The last credentials are still valid at the end.
    let now = chrono::Utc::now();
    assert!(e.expiration().unwrap() > now && o.expiration().unwrap() > now);
    println!("CHILD-OK {} {}", e.access_key_id(), o.access_key_id());
}

/// The fake cloud of the OAuth profile, on its own runtime (the parent test is synchronous and
/// blocks on the children). Access tokens live 1,200 s, so each is due for a refresh at once
/// (≤ 1,200 s left); exchanged STS credentials live 900 s, inside the 15-minute window, so a
/// persisted set is never reused: every OAuth round rotates the refresh token and exchanges.
fn oauth_cloud() -> (tokio::runtime::Runtime, FakeCloud) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let config = FakeCloudConfig {
        oauth_access_token_lifetime: Duration::from_secs(1200),
        ..FakeCloudConfig::default()
    }
    .with_default_lifetime(Duration::from_secs(900));
    let cloud = rt.block_on(FakeCloud::start(config)).unwrap();
    (rt, cloud)
}

fn parse(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn eight_processes_write_back_the_same_config() {
    if std::env::var(CHILD_VAR).is_ok() {
        return;
    }
    let (_rt, cloud) = oauth_cloud();
    let home = Home::new();
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("external-sts");
    std::fs::write(&script, SCRIPT).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let text = fixture("aliyun/config.json")
        .replace("@FIXTURES@/bin/external-sts", script.to_str().unwrap())
        .replace("@PORT@", &cloud.port().to_string());
    let config = home.write(".aliyun/config.json", &text);
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    let before = parse(&config);

    let started = Instant::now();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "write_back_child",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_VAR, home.path())
                .env(ROUNDS_VAR, rounds().to_string())
                .env(OAUTH_VAR, cloud.base_url())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stdout}\n{stderr}");
        assert!(stdout.contains("CHILD-OK STS.WB"), "{stdout}\n{stderr}");
        assert!(!stderr.contains("WARN"), "{stderr}");
    }
    let elapsed = started.elapsed();

    // The file parses; only the owned fields of the two profiles changed.
    let after = parse(&config);
    assert_only_owned_changed_in(
        &before,
        &after,
        &[(PROFILE, STS_OWNED), (OAUTH_PROFILE, OAUTH_OWNED)],
    );
    assert_eq!(
        std::fs::metadata(&config).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // No temporary file left behind.
    let leftovers: Vec<_> = std::fs::read_dir(config.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "config.json" && n != "config.json.lock")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The profile holds one complete set of values that a process was issued.
    let issued: HashSet<String> = std::fs::read_to_string(bin.join("issued.log"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        issued.len(),
        PROCESSES * rounds(),
        "every run issued a new id"
    );
    let p = profile(&after, PROFILE);
    let id = p["access_key_id"].as_str().unwrap();
    assert!(issued.contains(id), "{id}");
    let n = id.rsplit('x').next().unwrap();
    assert_eq!(
        p["access_key_secret"],
        format!("fake-wb-secret-{n}").as_str()
    );
    assert_eq!(p["sts_token"], format!("fake-wb-token-{n}").as_str());
    assert!(p["sts_expiration"].as_i64().unwrap() > chrono::Utc::now().timestamp());

    let rotations = check_oauth_chain(&cloud, &after);
    check_oauth_chain_continues(&cloud, &home, &config);
    println!(
        "write-back: {PROCESSES} processes × {} rounds = {} External + {} OAuth refreshes with \
         write-back ({rotations} refresh-token rotations, all accepted) in {elapsed:?}; \
         a last refresh from the token left in the file succeeded",
        rounds(),
        PROCESSES * rounds(),
        PROCESSES * rounds(),
    );
}

/// Every rotation presented the then-current refresh token (the fake cloud accepts no other:
/// all accepted, none presented twice), one per OAuth round; the file holds the newest refresh
/// token and one complete set of exchanged STS values. Returns the rotations.
fn check_oauth_chain(cloud: &FakeCloud, after: &Value) -> usize {
    let requests = cloud.requests();
    let tokens: Vec<_> = requests
        .iter()
        .filter(|r| r.endpoint == Some(Endpoint::OAuthToken))
        .collect();
    let rejected: Vec<_> = requests
        .iter()
        .filter(|r| r.verdict != Verdict::Accepted)
        .map(|r| (&r.path, &r.verdict))
        .collect();
    assert!(rejected.is_empty(), "{rejected:?}");
    let presented: HashSet<_> = tokens.iter().map(|r| r.param("refresh_token")).collect();
    assert_eq!(presented.len(), tokens.len(), "a refresh token used twice");
    assert_eq!(tokens.len(), PROCESSES * rounds(), "one rotation per round");
    assert_eq!(
        cloud.count(Endpoint::OAuthExchange) as usize,
        PROCESSES * rounds(),
        "one exchange per round"
    );
    let p = profile(after, OAUTH_PROFILE);
    assert_eq!(
        p["oauth_refresh_token"],
        cloud.oauth_refresh_token().as_str()
    );
    let issued = cloud.issued();
    let id = p["access_key_id"].as_str().unwrap();
    let set = issued
        .iter()
        .find(|i| i.access_key_id == id && i.endpoint == Endpoint::OAuthExchange)
        .unwrap_or_else(|| panic!("{id} was not issued"));
    assert_eq!(p["access_key_secret"], set.access_key_secret.as_str());
    assert_eq!(p["sts_token"], set.security_token.as_deref().unwrap());
    assert!(p["sts_expiration"].as_i64().unwrap() > chrono::Utc::now().timestamp());
    assert_eq!(
        p["x_fixture_unknown_profile_field"],
        "must survive write-back"
    );
    tokens.len()
}

/// The refresh token left in the file still works: one more refresh from it rotates and
/// exchanges, and writes the next token back.
fn check_oauth_chain_continues(cloud: &FakeCloud, home: &Home, config: &std::path::Path) {
    let before = cloud.count(Endpoint::OAuthToken);
    let ctx = profile_ctx(
        home.path().to_str().unwrap(),
        &cloud.base_url(),
        OAUTH_PROFILE,
    );
    refresh(&ctx, "cli_profile/oauth", PROCESSES * rounds());
    assert_eq!(cloud.count(Endpoint::OAuthToken), before + 1);
    let last = cloud.requests().pop().unwrap();
    assert_eq!(last.verdict, Verdict::Accepted);
    let after = parse(config);
    let token = cloud.oauth_refresh_token();
    assert_eq!(
        profile(&after, OAUTH_PROFILE)["oauth_refresh_token"],
        token.as_str()
    );
}
