//! `cloudcred get`: resolve and print credentials as JSON, shell exports or masked text.

use cloudcred::{Context, CredentialKind, Credentials, Result};
use serde_json::{json, Value};
use std::io::IsTerminal;
use std::process::ExitCode;

/// `cloudcred get`: resolves and prints credentials (JSON, `export` lines or masked text).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Profile of ~/.aliyun/config.json or ~/.alibabacloud/credentials (as ALIBABA_CLOUD_PROFILE).
    #[arg(long)]
    profile: Option<String>,
    /// Which cloud's chain: alibaba (default) or huawei.
    #[arg(long, value_enum, default_value_t = super::Cloud::Alibaba)]
    cloud: super::Cloud,
    /// Output format; `text` (masked) on a terminal, `json` otherwise.
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Json,
    Env,
    Text,
}

/// Resolves and prints in the chosen format; text output is masked.
pub fn run(ctx: &Context, args: Args) -> Result<ExitCode> {
    let creds = super::resolve_for(ctx, args.cloud, args.profile.as_deref())?;
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Text
    } else {
        Format::Json
    });
    let text = match format {
        Format::Json => format!("{}\n", to_json(&creds)),
        Format::Env => to_env(&creds, args.cloud),
        Format::Text => to_text(&creds),
    };
    Ok(super::emit(&text, ExitCode::SUCCESS))
}

fn to_json(c: &Credentials) -> Value {
    let expiration = c
        .expiration()
        .map(|e| e.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    match c.kind() {
        CredentialKind::Bearer => json!({
            "access_key_id": null,
            "access_key_secret": null,
            "security_token": null,
            "expiration": expiration,
            "provider": c.provider_name().as_str(),
            "bearer_token": c.bearer_token().map(|t| t.expose()),
        }),
        CredentialKind::Anonymous => json!({
            "access_key_id": null,
            "access_key_secret": null,
            "security_token": null,
            "expiration": null,
            "provider": c.provider_name().as_str(),
            "anonymous": true,
        }),
        _ => {
            let mut v = json!({
                "access_key_id": c.access_key_id(),
                "access_key_secret": c.access_key_secret().expose(),
                "security_token": c.security_token().map(|t| t.expose()),
                "expiration": expiration,
                "provider": c.provider_name().as_str(),
            });
            // Huawei scope ids, only when the source named one.
            if let Some(p) = c.project_id() {
                v["project_id"] = json!(p);
            }
            if let Some(d) = c.domain_id() {
                v["domain_id"] = json!(d);
            }
            v
        }
    }
}

/// POSIX shell single-quoting: safe for any value.
pub fn shell_quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', r"'\''"))
}

fn to_env(c: &Credentials, cloud: super::Cloud) -> String {
    let mut s = String::new();
    if c.kind() == CredentialKind::Bearer {
        if let Some(t) = c.bearer_token() {
            s.push_str(&format!(
                "export ALIBABA_CLOUD_BEARER_TOKEN={}\n",
                shell_quote(t.expose())
            ));
        }
        return s;
    }
    let vars = super::exported_vars_for(c, cloud);
    let n = if cloud == super::Cloud::Alibaba {
        3
    } else {
        vars.len()
    };
    for (name, value) in vars.into_iter().take(n) {
        match value {
            Some(v) => s.push_str(&format!("export {name}={}\n", shell_quote(&v))),
            None => s.push_str(&format!("unset {name}\n")),
        }
    }
    s
}

fn to_text(c: &Credentials) -> String {
    let mut s = format!(
        "provider:          {}\nkind:              {}\n",
        c.provider_name(),
        c.kind()
    );
    match c.kind() {
        CredentialKind::Bearer => s.push_str("bearer token:      ** redacted **\n"),
        CredentialKind::Anonymous => {
            s.push_str("credentials:       none (anonymous profile: requests are sent unsigned)\n")
        }
        _ => {
            s.push_str(&format!(
                "access key id:     {}\n",
                c.masked_access_key_id()
            ));
            s.push_str("access key secret: ** redacted **\n");
            s.push_str(&format!(
                "security token:    {}\n",
                if c.security_token().is_some() {
                    "** redacted **"
                } else {
                    "none"
                }
            ));
        }
    }
    s.push_str(&format!(
        "expiration:        {}\n",
        c.expiration()
            .map(|e| e.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_else(|| "none (long-term or unknown)".to_owned())
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_quotes() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
        assert_eq!(shell_quote("$x y"), "'$x y'");
    }
}
