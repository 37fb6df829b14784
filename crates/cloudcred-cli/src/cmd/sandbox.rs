//! `cloudcred sandbox`: the whole product offline. Starts the fake cloud in this process on
//! 127.0.0.1, writes a throw-away home whose profiles point at it, and resolves credentials
//! through a real signed AssumeRole, a role chained on top of it, and a real instance-metadata
//! flow, printing every request the fake cloud saw and what came back (secrets masked).

use cloudcred::alibaba::DefaultChain;
use cloudcred::prelude::*;
use cloudcred::{Context, Error, MapEnv, Result};
use cloudcred_fakecloud::{FakeCloud, FakeCloudConfig, Verdict};
use std::process::ExitCode;

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
        out.push_str(&format!(
            "    fake cloud: {} {}{action} -> {what}: {verdict}\n",
            r.method, r.path
        ));
    }
    (out, requests.len())
}

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
        let ctx = Context::with_env(env);
        let mut seen = 0;
        for (title, profile) in [
            ("1. AssumeRole, signed with an AccessKey (profile sandbox-role)", "sandbox-role"),
            ("2. Role chaining: a second AssumeRole signed with the first one's STS token", "sandbox-chained"),
            ("3. ECS instance metadata: token, role discovery, role credentials", "sandbox-ecs"),
        ] {
            say!("{title}");
            let chain = DefaultChain::builder(&ctx).profile(profile).build();
            let creds = chain.get().await?;
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
        say!("Every request above was verified by the fake cloud as the real services would (signatures, tokens, durations).");
        Ok(ExitCode::SUCCESS)
    })
}
