//! Reads credentials from a running `cloudcred serve` through the credentials-URI provider, the
//! way every Alibaba Cloud SDK can (`ALIBABA_CLOUD_CREDENTIALS_URI`).
//!
//! ```sh
//! eval "$(cloudcred serve --profile my-role &)"   # prints `export ALIBABA_CLOUD_CREDENTIALS_URI=…`
//! cargo run -p cloudcred --example read_from_serve
//! ```
//!
//! The URI carries serve's access token in its query, so this program never prints it; it
//! prints what it got (kind, masked key id, provider, expiry), never a secret or a token.

use cloudcred::alibaba::CredentialsUriProvider;
use cloudcred::prelude::*;
use cloudcred::{Context, SharedProvider};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> cloudcred::Result<()> {
    // Without the variable, building fails with an error naming it: nothing else is tried.
    let provider =
        SharedProvider::new(CredentialsUriProvider::builder(&Context::from_process()).build()?);
    let creds = provider.get().await?;
    println!("credentials: {creds}");
    println!("kind: {}", creds.kind());
    println!(
        "security token: {}",
        if creds.security_token().is_some() {
            "present"
        } else {
            "absent"
        }
    );
    Ok(())
}
