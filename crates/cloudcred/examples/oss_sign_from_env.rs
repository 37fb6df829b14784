//! Signs an OSS V4 (`OSS4-HMAC-SHA256`) GET with credentials from the environment.
//!
//! ```sh
//! export ALIBABA_CLOUD_ACCESS_KEY_ID=… ALIBABA_CLOUD_ACCESS_KEY_SECRET=…   # and _SECURITY_TOKEN for STS
//! cargo run -p cloudcred --example oss_sign_from_env -- [BUCKET] [KEY] [REGION]
//! ```
//!
//! Prints the method, the URL and the names of the headers the signer set, never their values:
//! `Authorization` holds the signature and `x-oss-security-token` the token. Nothing is sent; a
//! program would hand the request to its HTTP client.

use cloudcred::alibaba::EnvProvider;
use cloudcred::prelude::*;
use cloudcred::sign::{encoding, OssV4Signer};
use cloudcred::{Context, SharedProvider};
use http::{Method, Request};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // cloudcred's errors name the variable and never hold its value.
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> cloudcred::Result<()> {
    let mut args = std::env::args().skip(1);
    let bucket = args.next().unwrap_or_else(|| "examplebucket".to_owned());
    let key = args
        .next()
        .unwrap_or_else(|| "dir/example object.txt".to_owned());
    let region = args.next().unwrap_or_else(|| "cn-hangzhou".to_owned());

    // Not configured (no variable set) is an error here: this program has no other source.
    let provider = SharedProvider::new(EnvProvider::new(&Context::from_process()));
    let creds = provider.get_blocking()?;
    println!("credentials: {creds}");

    // The caller percent-encodes the key (RFC 3986, `/` kept); signers never re-encode.
    let url = format!(
        "https://{bucket}.oss-{region}.aliyuncs.com/{}",
        encoding::encode_path(&key)
    );
    let mut request = Request::builder()
        .method(Method::GET)
        .uri(&url)
        .body(())
        .map_err(|e| cloudcred::Error::invalid_config("the command line", e.to_string()))?;
    let signer = OssV4Signer::new(&region, Some(&bucket));
    let signed = signer.sign_request(&mut request, &creds, chrono::Utc::now())?;

    println!("signed: {signed}");
    println!("method: {}", request.method());
    println!("url: {}", request.uri());
    let mut names: Vec<_> = request.headers().keys().map(|n| n.as_str()).collect();
    names.sort_unstable();
    println!("headers: {}", names.join(", "));
    Ok(())
}
