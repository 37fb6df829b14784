//! Role chaining: an AccessKey from the environment → AssumeRole → AssumeRole, each hop signed
//! with the credentials of the one before, each cached and refreshed by the engine.
//!
//! ```sh
//! export ALIBABA_CLOUD_ACCESS_KEY_ID=… ALIBABA_CLOUD_ACCESS_KEY_SECRET=…
//! export ALIBABA_CLOUD_STS_ENDPOINT=http://127.0.0.1:PORT   # cloudcred-fakecloud prints it
//! cargo run -p cloudcred --example role_chaining -- FIRST_ROLE_ARN SECOND_ROLE_ARN
//! ```
//!
//! The STS endpoint must be given: without `ALIBABA_CLOUD_STS_ENDPOINT` the program refuses to
//! run, so trying it out never reaches a real cloud by accident. Point it at the real STS
//! (`https://sts.aliyuncs.com`) only on purpose. Prints each hop's provider, masked key id and
//! expiry, never a secret or a token.

use cloudcred::alibaba::sts::STS_ENDPOINT_VAR;
use cloudcred::alibaba::{EnvProvider, RamRoleArnProvider};
use cloudcred::prelude::*;
use cloudcred::{Context, Error, SharedProvider};
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
    let ctx = Context::from_process();
    let Some(endpoint) = ctx.var(STS_ENDPOINT_VAR) else {
        return Err(Error::invalid_config(
            "the role_chaining example",
            format!("set {STS_ENDPOINT_VAR} to the STS endpoint to use (this example never picks one for you)"),
        ));
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [first, second] = &args[..] else {
        return Err(Error::invalid_config(
            "the role_chaining example",
            "usage: role_chaining FIRST_ROLE_ARN SECOND_ROLE_ARN",
        ));
    };

    let key = SharedProvider::new(EnvProvider::new(&ctx));
    let hop1 = SharedProvider::new(
        RamRoleArnProvider::builder(&ctx, key.clone())
            .role_arn(first)
            .role_session_name("cloudcred-example-hop-1")
            .sts_endpoint(&endpoint)
            .build()?,
    );
    let hop2 = SharedProvider::new(
        RamRoleArnProvider::builder(&ctx, hop1.clone())
            .role_arn(second)
            .role_session_name("cloudcred-example-hop-2")
            .duration_seconds(900)
            .sts_endpoint(&endpoint)
            .build()?,
    );

    // One call resolves the whole chain: hop 2 asks hop 1, which asks the key provider.
    let creds = hop2.get().await?;
    println!("hop 0: {}", key.get().await?);
    println!("hop 1: {}", hop1.get().await?);
    println!("hop 2: {creds}");
    // A second call is served from the engine's cache: no STS request, the same key.
    let again = hop2.get().await?;
    let same = again.access_key_id() == creds.access_key_id();
    println!(
        "second call, same credentials: {}",
        if same { "yes" } else { "no" }
    );
    Ok(())
}
