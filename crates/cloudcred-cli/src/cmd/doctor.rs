//! `cloudcred doctor`: walk the chain and explain, per provider, what it reads, whether it
//! applies and why, and which provider wins. Prints no secret: only names, paths, masked ids.

use cloudcred::alibaba::ignored_vars::ignored_variables;
use cloudcred::{Context, Resolution, Result};
use std::process::ExitCode;

/// `cloudcred doctor`: every source of the chain, what it reads and whether it applies.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Profile of ~/.aliyun/config.json or ~/.alibabacloud/credentials.
    #[arg(long)]
    profile: Option<String>,
    /// Which cloud's chain: alibaba (default) or huawei.
    #[arg(long, value_enum, default_value_t = super::Cloud::Alibaba)]
    cloud: super::Cloud,
}

/// Explains the chain of `args.cloud` source by source; the exit status is that of resolving it.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let chain = super::chain_for(ctx, args.cloud, args.profile.as_deref())?;
    let rt = super::runtime();
    let mut out = String::from(match args.cloud {
        super::Cloud::Alibaba => "Alibaba Cloud default chain (env → OIDC → CLI config.json → INI file → credentials URI → ECS metadata)\n\n",
        super::Cloud::Huawei => "Huawei Cloud chain (IdP federation → HUAWEICLOUD_SDK_* env → ~/.huaweicloud/credentials → ECS securitykey metadata)\n\n",
    });
    let mut winner: Option<String> = None;
    let mut stopped = None;
    for (i, p) in chain.providers().iter().enumerate() {
        let status = if winner.is_some() || stopped.is_some() {
            "not consulted: an earlier provider decided".to_owned()
        } else {
            match rt.block_on(p.resolve()) {
                Ok(Resolution::Credentials(c)) => {
                    winner = Some(c.to_string());
                    format!("APPLIES → {c}")
                }
                Ok(Resolution::NotConfigured(reason)) => format!("not configured: {reason}"),
                Err(e) => {
                    let text = format!("ERROR (the chain stops here): {e}");
                    stopped = Some(super::exit::Status::of(&e));
                    text
                }
            }
        };
        out.push_str(&format!(
            "{:>2}. {:<18} {}\n",
            i + 1,
            p.name(),
            indent(&status)
        ));
        let inspection = p.inspect();
        for r in &inspection.reads {
            out.push_str(&format!("      reads   {r}\n"));
        }
        for w in &inspection.warnings {
            out.push_str(&format!("      warning {w}\n"));
        }
    }
    let ignored = if args.cloud == super::Cloud::Alibaba {
        ignored_variables(ctx)
    } else {
        Vec::new()
    };
    if !ignored.is_empty() {
        out.push_str("\nVariables that are set but ignored (cloudcred reads only the ALIBABA_CLOUD_* names):\n");
        for (var, advice) in ignored {
            out.push_str(&format!("  - {var}: {advice}\n"));
        }
    }
    let skew = ctx.clock().skew().num_seconds();
    if skew != 0 {
        out.push_str(&format!(
            "\nClock: the local clock is {} s {} the services' (from their Date headers); expirations are judged by the services' clock\n",
            skew.abs(),
            if skew > 0 { "behind" } else { "ahead of" }
        ));
    }
    out.push('\n');
    let code = match (&winner, stopped) {
        (Some(w), _) => {
            out.push_str(&format!("Result: {w}\n"));
            ExitCode::SUCCESS
        }
        (None, Some(status)) => {
            out.push_str("Result: no credentials; fix the error above (the chain never falls back past a broken source)\n");
            status.exit()
        }
        (None, None) => {
            out.push_str("Result: no credentials; no provider is configured\n");
            super::exit::NOT_CONFIGURED.exit()
        }
    };
    Ok(super::emit(&out, code))
}

fn indent(s: &str) -> String {
    s.replace('\n', "\n                         ")
}
