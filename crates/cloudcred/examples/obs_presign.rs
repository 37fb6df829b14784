//! An OBS presigned GET URL (V2 native, `AccessKeyId`/`Expires`/`Signature`) from Huawei Cloud
//! credentials in the environment.
//!
//! ```sh
//! export HUAWEICLOUD_SDK_AK=… HUAWEICLOUD_SDK_SK=…   # and HUAWEICLOUD_SDK_SECURITY_TOKEN for STS
//! cargo run -p cloudcred --example obs_presign -- [--print-url] [BUCKET] [KEY] [REGION]
//! ```
//!
//! A presigned URL is a secret: anyone holding it can read the object until it expires. By
//! default this program prints it redacted (path only, query replaced by `** redacted **`);
//! with `--print-url` it prints the whole URL, alone, on stdout — the one thing asked for, ready
//! for `$(…)` — and the description goes to stderr.

use cloudcred::huawei::{CredentialType, EnvProvider};
use cloudcred::prelude::*;
use cloudcred::sign::{encoding, ObsMode, ObsSigner};
use cloudcred::{Context, ProviderName, SharedProvider};
use http::{HeaderMap, Method};
use std::process::ExitCode;
use std::time::Duration;

/// One hour: long enough to hand the link to someone, short enough to limit a leak.
const EXPIRES: Duration = Duration::from_secs(3600);

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> cloudcred::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let print_url = match args.iter().position(|a| a == "--print-url") {
        Some(i) => {
            args.remove(i);
            true
        }
        None => false,
    };
    let mut args = args.into_iter();
    let bucket = args.next().unwrap_or_else(|| "examplebucket".to_owned());
    let key = args
        .next()
        .unwrap_or_else(|| "photos/example.jpg".to_owned());
    let region = args.next().unwrap_or_else(|| "cn-north-4".to_owned());

    let ctx = Context::from_process();
    let provider = SharedProvider::new(EnvProvider::sdk(
        &ctx,
        CredentialType::Basic,
        ProviderName::new("env"),
    ));
    let creds = provider.get_blocking()?;

    let url = format!(
        "https://{bucket}.obs.{region}.myhuaweicloud.com/{}",
        encoding::encode_path(&key)
    )
    .parse()
    .map_err(|e: http::uri::InvalidUri| {
        cloudcred::Error::invalid_config("the command line", e.to_string())
    })?;
    let signer = ObsSigner::new(ObsMode::Native, Some(&bucket));
    let presigned = signer.presign(
        &Method::GET,
        &url,
        &HeaderMap::new(),
        &creds,
        chrono::Utc::now(),
        EXPIRES,
    )?;

    if print_url {
        eprintln!("credentials: {creds}");
        eprintln!("presigned GET, valid {} s:", EXPIRES.as_secs());
        println!("{}", presigned.url);
    } else {
        println!("credentials: {creds}");
        println!(
            "presigned GET, valid {} s: {presigned:?}",
            EXPIRES.as_secs()
        );
        println!("(the URL is a secret; pass --print-url to print it)");
    }
    Ok(())
}
