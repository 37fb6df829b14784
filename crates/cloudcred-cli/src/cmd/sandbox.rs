//! `cloudcred sandbox`: the whole product offline. Starts the fake cloud in this process on
//! 127.0.0.1, writes a throw-away home whose profiles point at it, and resolves credentials
//! through a real signed AssumeRole, a role chained on top of it, and a real instance-metadata
//! flow; then uses them: a signed PUT and a presigned GET on the fake's OSS, and Huawei
//! Cloud's metadata credentials on its OBS. Every request the fake cloud saw is printed with
//! how it was verified and what came back (secrets masked; no presigned URL is printed).

use cloudcred::alibaba::DefaultChain;
use cloudcred::http::{HttpClient, RequestOptions, ReqwestClient};
use cloudcred::huawei;
use cloudcred::prelude::*;
use cloudcred::sign::{Addressing, ObsMode, ObsSigner, ObsV4Signer, OssV4Signer};
use cloudcred::{Context, Error, MapEnv, Result};
use cloudcred_fakecloud::{FakeCloud, FakeCloudConfig, Verdict};
use http::{HeaderMap, Method, Request, Uri};
use std::process::ExitCode;
use std::time::Duration;

/// The bucket the sandbox writes to, on OSS and OBS alike.
const BUCKET: &str = "sandbox-bucket";

/// How long the sandbox's presigned URLs live: they are used at once.
const PRESIGN_EXPIRES: Duration = Duration::from_secs(300);

/// `cloudcred sandbox`: no options.
#[derive(clap::Args, Debug)]
pub struct Args {}

fn config_json(sts: &str) -> String {
    serde_json::json!({
        "current": "sandbox-role",
        "profiles": [
            {
                "name": "sandbox-role",
                "mode": "RamRoleArn",
                "access_key_id": "LTAIFAKECLIRAMSRC005",
                "access_key_secret": "fake-cli-secret-ram-00005",
                "ram_role_arn": "acs:ram::1000000000000000:role/sandbox-role",
                "ram_session_name": "cloudcred-sandbox",
                "policy": "{\"Statement\": [{\"Action\": [\"oss:GetObject\"], \"Effect\": \"Allow\", \"Resource\": [\"*\"]}], \"Version\": \"1\"}",
                "sts_endpoint": sts
            },
            {
                "name": "sandbox-chained",
                "mode": "ChainableRamRoleArn",
                "source_profile": "sandbox-role",
                "ram_role_arn": "acs:ram::1000000000000000:role/sandbox-second-hop",
                "sts_endpoint": sts
            },
            {"name": "sandbox-ecs", "mode": "EcsRamRole"}
        ]
    })
    .to_string()
}

/// Prints a line through [`super::write_stdout`], ending the command if stdout is gone or full.
macro_rules! say {
    ($($arg:tt)*) => {
        if let Err(code) = super::write_stdout(&format!("{}\n", format_args!($($arg)*))) {
            return Ok(code);
        }
    };
}

/// The fake cloud's requests from index `from` on, one line each, and the new count.
fn report(cloud: &FakeCloud, from: usize) -> (String, usize) {
    let requests = cloud.requests();
    let mut out = String::new();
    for r in &requests[from..] {
        let what = r
            .endpoint
            .map(|e| format!("{e:?}"))
            .unwrap_or_else(|| "unknown".to_owned());
        let action = r
            .param("Action")
            .map(|a| format!(" Action={a}"))
            .unwrap_or_default();
        let verdict = match &r.verdict {
            Verdict::Accepted => "accepted".to_owned(),
            Verdict::Rejected { status, code } => format!("rejected {status} {code}"),
            Verdict::Dropped => "dropped".to_owned(),
        };
        let verified = r
            .verified
            .as_ref()
            .map(|v| format!(" (verified: {})", masked_key(v)))
            .unwrap_or_default();
        out.push_str(&format!(
            "    fake cloud: {} {}{action} -> {what}: {verdict}{verified}\n",
            r.method, r.path
        ));
    }
    (out, requests.len())
}

/// Starts the fake cloud in-process and resolves through it, offline.
pub fn run(_ctx: &Context, _args: Args) -> Result<ExitCode> {
    let rt = super::runtime();
    rt.block_on(async {
        let cloud = FakeCloud::start(FakeCloudConfig::default())
            .await
            .map_err(|e| Error::internal(format!("cannot start the fake cloud: {}", e.kind())))?;
        let home = tempfile::tempdir().map_err(|e| Error::internal(format!("cannot create a temporary home: {}", e.kind())))?;
        let aliyun = home.path().join(".aliyun");
        std::fs::create_dir_all(&aliyun).map_err(|e| Error::io(&aliyun, &e))?;
        let config = aliyun.join("config.json");
        std::fs::write(&config, config_json(&cloud.base_url())).map_err(|e| Error::io(&config, &e))?;
        say!("fake cloud listening on {} (STS, ECS metadata, credentials URI, CloudSSO, OAuth)", cloud.base_url());
        say!("sandbox home {}\n", home.path().display());
        let env = MapEnv::from([
            ("HOME", home.path().to_string_lossy().into_owned()),
            ("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", cloud.base_url()),
        ]);
        let ctx = Context::from_env(env);
        let mut seen = 0;
        let mut role_creds = None;
        for (title, profile) in [
            ("1. AssumeRole, signed with an AccessKey (profile sandbox-role)", "sandbox-role"),
            ("2. Role chaining: a second AssumeRole signed with the first one's STS token", "sandbox-chained"),
            ("3. ECS instance metadata: token, role discovery, role credentials", "sandbox-ecs"),
        ] {
            say!("{title}");
            let chain = DefaultChain::builder(&ctx).profile(profile).build();
            let creds = chain.get().await?;
            if role_creds.is_none() {
                role_creds = Some(creds.clone());
            }
            let (requests, count) = report(&cloud, seen);
            seen = count;
            say!("{requests}    resolved: {creds}\n");
            // A second read is served from the refresh engine's cache: no request.
            let again = chain.get().await?;
            let before = seen;
            let (requests, count) = report(&cloud, seen);
            seen = count;
            say!(
                "{requests}    second read: {} ({} new requests)\n",
                if creds.access_key_id() == again.access_key_id() && creds.expiration() == again.expiration() { "same snapshot from the cache" } else { "refreshed" },
                seen - before
            );
        }
        let client = ReqwestClient::from_context(&ctx);
        let object = format!("{}/{BUCKET}/hello.txt", cloud.oss_url());
        say!("4. OSS: a signed PUT, then a presigned GET, with the AssumeRole credentials of step 1");
        let creds = role_creds.ok_or_else(|| Error::internal("step 1 resolved no credentials"))?;
        let oss = OssV4Signer::new("cn-hangzhou", Some(BUCKET)).with_addressing(Addressing::PathStyle);
        let mut put = object_request(Method::PUT, &object, b"hello from the cloudcred sandbox (OSS)")?;
        oss.sign_request(&mut put, &creds, chrono::Utc::now())?;
        let status = send(&client, put).await?.0;
        let (requests, count) = report(&cloud, seen);
        seen = count;
        say!("{requests}    signed PUT (OSS V4 header): HTTP {status}");
        let url = parse_uri(&object)?;
        let presigned = oss.presign(&Method::GET, &url, &HeaderMap::new(), &creds, chrono::Utc::now(), PRESIGN_EXPIRES)?;
        let (status, body) = send(&client, object_request(Method::GET, &presigned.url, b"")?).await?;
        let (requests, count) = report(&cloud, seen);
        seen = count;
        say!("{requests}    presigned GET (OSS V4 URL): HTTP {status}, {body:?}\n");

        say!("5. Huawei Cloud: ECS metadata credentials, then an OBS PUT (native header) and a presigned GET (V4 URL)");
        let hw_ctx = Context::from_env(MapEnv::from([
            ("HOME", home.path().to_string_lossy().into_owned()),
            ("HUAWEICLOUD_SDK_METADATA_ENDPOINT", cloud.base_url()),
        ]));
        let hw_creds = huawei::DefaultChain::builder(&hw_ctx).build().get().await?;
        let (requests, count) = report(&cloud, seen);
        seen = count;
        say!("{requests}    resolved: {hw_creds}");
        let object = format!("{}/{BUCKET}/hello.txt", cloud.obs_url());
        let mut put = object_request(Method::PUT, &object, b"hello from the cloudcred sandbox (OBS)")?;
        ObsSigner::new(ObsMode::Native, Some(BUCKET))
            .with_addressing(Addressing::PathStyle)
            .sign_request(&mut put, &hw_creds, chrono::Utc::now())?;
        let status = send(&client, put).await?.0;
        let (requests, count) = report(&cloud, seen);
        seen = count;
        say!("{requests}    signed PUT (OBS native header): HTTP {status}");
        let url = parse_uri(&object)?;
        let presigned = ObsV4Signer::new("cn-north-4").presign(&Method::GET, &url, &HeaderMap::new(), &hw_creds, chrono::Utc::now(), PRESIGN_EXPIRES)?;
        let (status, body) = send(&client, object_request(Method::GET, &presigned.url, b"")?).await?;
        let (requests, _) = report(&cloud, seen);
        say!("{requests}    presigned GET (OBS V4 URL): HTTP {status}, {body:?}\n");
        say!("Every request above was verified by the fake cloud as the real services would (signatures, tokens, durations).");
        Ok(ExitCode::SUCCESS)
    })
}

/// A verification line with its key id masked the way `resolved:` lines show it.
fn masked_key(verified: &str) -> String {
    let Some((head, rest)) = verified.split_once(" key ") else {
        return verified.to_owned();
    };
    let (id, tail) = rest.split_once(' ').unwrap_or((rest, ""));
    let mut out = format!("{head} key {}", cloudcred::model::mask_access_key_id(id));
    if !tail.is_empty() {
        out.push(' ');
        out.push_str(tail);
    }
    out
}

fn parse_uri(url: &str) -> Result<Uri> {
    url.parse()
        .map_err(|_| Error::internal("the fake cloud's object URL does not parse"))
}

fn object_request(method: Method, url: &str, body: &[u8]) -> Result<Request<Vec<u8>>> {
    let mut builder = Request::builder().method(method).uri(parse_uri(url)?);
    if !body.is_empty() {
        builder = builder.header("content-type", "text/plain");
    }
    builder
        .body(body.to_vec())
        .map_err(|_| Error::internal("the sandbox's object request cannot be built"))
}

/// Sends one object request to the fake cloud: its status and body text (object bodies here are
/// the sandbox's own greeting or the service's error document, never a credential).
async fn send(client: &ReqwestClient, request: Request<Vec<u8>>) -> Result<(u16, String)> {
    let response = client
        .send(request, &RequestOptions::credential_service())
        .await
        .map_err(|e| {
            Error::internal(format!(
                "the fake cloud's object endpoint did not answer: {e}"
            ))
        })?;
    Ok((
        response.status,
        String::from_utf8_lossy(&response.body).into_owned(),
    ))
}
