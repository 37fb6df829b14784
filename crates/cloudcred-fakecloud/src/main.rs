//! `cloudcred-fakecloud`: runs the fake cloud until Ctrl-C so programs can be tested offline.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use clap::Parser;
use cloudcred_fakecloud::{FakeCloud, FakeCloudConfig, ImdsMode};

/// A local fake of the Alibaba Cloud credential endpoints (STS, ECS metadata, credentials URI,
/// CloudSSO, OAuth) and the Huawei Cloud ones (ECS metadata securitykey, IAM federation and
/// temporary AK/SK, STS assume-with-oidc), plus verifying OSS, OBS and S3-compatible object
/// endpoints on ports of their own (printed at start-up; path-style `/bucket/key`, or for OSS and
/// OBS a `bucket.` Host mapped to the port). Listens on loopback only.
#[derive(Parser, Debug)]
#[command(name = "cloudcred-fakecloud", version)]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to bind; must be a loopback address.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Metadata token behaviour: both, token-required or v1-only.
    #[arg(long, default_value = "both", value_parser = parse_imds_mode)]
    imds_mode: ImdsMode,
    /// Huawei metadata token behaviour: both, token-required or v1-only.
    #[arg(long, default_value = "both", value_parser = parse_imds_mode)]
    hw_imds_mode: ImdsMode,
    /// PEM public key that verifies GenerateSessionAccessKey.
    #[arg(long, value_name = "FILE")]
    rsa_public_key: Option<std::path::PathBuf>,
}

fn parse_imds_mode(s: &str) -> Result<ImdsMode, String> {
    match s {
        "both" => Ok(ImdsMode::Both),
        "token-required" => Ok(ImdsMode::TokenRequired),
        "v1-only" => Ok(ImdsMode::V1Only),
        _ => Err("expected both, token-required or v1-only".into()),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    if !args.bind.is_loopback() {
        eprintln!(
            "cloudcred-fakecloud: refusing to bind {}: only loopback addresses (127.0.0.0/8, ::1) are allowed",
            args.bind
        );
        return ExitCode::from(2);
    }
    let mut config = FakeCloudConfig::default()
        .with_imds_mode(args.imds_mode)
        .with_hw_imds_mode(args.hw_imds_mode);
    if let Some(path) = &args.rsa_public_key {
        match std::fs::read_to_string(path) {
            Ok(pem) => config = config.with_rsa_public_key_pem(pem),
            Err(e) => {
                eprintln!("cloudcred-fakecloud: cannot read {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    let cloud = match FakeCloud::start_on(SocketAddr::new(args.bind, args.port), config).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cloudcred-fakecloud: {e}");
            return ExitCode::from(1);
        }
    };
    let base = cloud.base_url();
    println!("cloudcred-fakecloud listening on {base}");
    println!("export ALIBABA_CLOUD_STS_ENDPOINT={base}");
    println!("export ALIBABA_CLOUD_ECS_METADATA_ENDPOINT={base}");
    println!(
        "export ALIBABA_CLOUD_CREDENTIALS_URI={}",
        cloud.url(&cloud.config().credentials_uri_path)
    );
    println!("export HUAWEICLOUD_SDK_METADATA_ENDPOINT={base}");
    println!("export HUAWEICLOUD_SDK_IAM_ENDPOINT={base}");
    println!("export HUAWEICLOUD_SDK_STS_ENDPOINT={base}");
    println!(
        "OSS endpoint (V1, V4; header and presigned): {}",
        cloud.oss_url()
    );
    println!(
        "OBS endpoint (native, V4; header and presigned): {}",
        cloud.obs_url()
    );
    #[cfg(feature = "s3")]
    println!(
        "S3-compatible object endpoint (path-style buckets): {}",
        cloud.s3_url()
    );
    println!("Press Ctrl-C to stop.");
    if tokio::signal::ctrl_c().await.is_err() {
        eprintln!("cloudcred-fakecloud: cannot listen for Ctrl-C; stopping");
    }
    cloud.shutdown();
    ExitCode::SUCCESS
}
