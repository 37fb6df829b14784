//! File formats read by the providers: the lenient INI dialect shared by the Alibaba and Huawei
//! credentials files (spec 7.1), and the aliyun CLI's `config.json` (spec 7.2).

#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod cli_config;
#[cfg(feature = "write-back")]
#[cfg_attr(docsrs, doc(cfg(feature = "write-back")))]
pub mod cli_config_write;
pub mod ini;

use std::borrow::Cow;

/// "a number", "a boolean", …: what a JSON value is, for an error saying a string was expected
/// (never the value itself, which may be a secret typed without quotes).
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub fn json_type(value: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A user-given name (a profile or section name, from a file, a variable or an argument) as it
/// may appear in an error, a log line or `doctor` output: control and other invisible
/// characters escaped Rust-style (`\u{1b}`, `\n`), everything else as written. A raw escape
/// sequence in a name would otherwise drive the reader's terminal, and a newline would forge
/// a line of the report.
pub fn printable(name: &str) -> Cow<'_, str> {
    let invisible = |c: char| !matches!(c, '"' | '\'' | '\\') && c.escape_debug().len() > 1;
    if !name.chars().any(invisible) {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 8);
    for c in name.chars() {
        if invisible(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn printable_escapes_only_what_a_terminal_would_act_on() {
        assert!(matches!(
            printable("dev-eu_1"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            printable("o'neil \"x\" a\\b café 東京"),
            "o'neil \"x\" a\\b café 東京"
        );
        assert_eq!(
            printable("a\u{1b}[31mred\n\t\r\0"),
            "a\\u{1b}[31mred\\n\\t\\r\\0"
        );
        // Bidirectional overrides reorder what the reader sees (Trojan Source).
        assert_eq!(printable("x\u{202e}y\u{7f}"), "x\\u{202e}y\\u{7f}");
    }
}
