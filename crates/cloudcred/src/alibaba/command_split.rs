//! Splits an External profile's `process_command` into an argument vector (spec 6.11, D28).
//!
//! The command is never given to a shell: a shell would expand variables, globs and `;` in a
//! value that comes from a config file. The rules are those of credentials-go and
//! credentials-java, so a command that works with the official SDKs works here:
//!
//! - whitespace outside quotes separates arguments; adjacent quoted and unquoted parts join;
//! - single quotes are literal;
//! - inside double quotes a backslash escapes only `"`, `\`, `$` and `` ` `` (otherwise it is
//!   kept, so `"C:\Program Files\x.exe"` survives);
//! - outside quotes a backslash escapes the next character;
//! - backslash-newline continues the line (both are removed);
//! - `""` and `''` yield an empty argument;
//! - on Windows a backslash is literal except `\"` inside double quotes, so unquoted paths keep
//!   their separators.
//!
//! Errors never quote the command: it may carry a secret on its command line.

use std::fmt;

/// Why a command could not be split. The text is fixed: it never contains the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SplitError {
    /// Nothing but whitespace, or an empty program name.
    Empty,
    /// A quote is opened and never closed.
    UnclosedQuote,
    /// The command ends with an escaping backslash.
    TrailingBackslash,
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SplitError::Empty => "process_command is empty",
            SplitError::UnclosedQuote => "invalid process_command: unclosed quote",
            SplitError::TrailingBackslash => "invalid process_command: trailing backslash",
        })
    }
}

impl std::error::Error for SplitError {}

/// Which escape rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dialect {
    /// POSIX shell words: single and double quotes, backslash escapes.
    Posix,
    /// Windows `CommandLineToArgvW` rules: double quotes, backslashes literal except before a quote.
    Windows,
}

impl Dialect {
    /// The dialect of the platform this build runs on.
    pub const fn native() -> Dialect {
        if cfg!(windows) {
            Dialect::Windows
        } else {
            Dialect::Posix
        }
    }
}

/// Splits `command` with the rules of this platform.
pub fn split_command(command: &str) -> Result<Vec<String>, SplitError> {
    split_command_for(command, Dialect::native())
}

/// Splits `command` with the rules of `dialect`.
pub fn split_command_for(command: &str, dialect: Dialect) -> Result<Vec<String>, SplitError> {
    let posix = dialect == Dialect::Posix;
    let mut args = Vec::new();
    let mut current = String::new();
    // A quoted part makes an argument even when it adds no character (`""`).
    let mut started = false;
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                started = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => current.push(ch),
                        None => return Err(SplitError::UnclosedQuote),
                    }
                }
            }
            '"' => {
                started = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.peek().copied() {
                            Some('"') => {
                                current.push('"');
                                chars.next();
                            }
                            Some(e @ ('\\' | '$' | '`')) if posix => {
                                current.push(e);
                                chars.next();
                            }
                            Some('\n') if posix => {
                                chars.next();
                            }
                            _ => current.push('\\'),
                        },
                        Some(ch) => current.push(ch),
                        None => return Err(SplitError::UnclosedQuote),
                    }
                }
            }
            '\\' if posix => match chars.next() {
                Some('\n') => {}
                Some(ch) => {
                    started = true;
                    current.push(ch);
                }
                None => return Err(SplitError::TrailingBackslash),
            },
            ws if ws.is_whitespace() => {
                if started {
                    args.push(std::mem::take(&mut current));
                    started = false;
                }
            }
            other => {
                started = true;
                current.push(other);
            }
        }
    }
    if started {
        args.push(current);
    }
    match args.first() {
        Some(program) if !program.is_empty() => Ok(args),
        _ => Err(SplitError::Empty),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use Dialect::{Posix, Windows};

    /// (input, expected argv) pairs, both dialects, from credentials-go `command_split_test.go`
    /// and credentials-java `CommandLineUtilsTest`.
    const BOTH: &[(&str, &[&str])] = &[
        ("cmd arg1 arg2", &["cmd", "arg1", "arg2"]),
        ("  cmd   arg1\targ2  ", &["cmd", "arg1", "arg2"]),
        (
            r#""C:\Program Files\tool\cred.exe" get --profile default"#,
            &[
                r"C:\Program Files\tool\cred.exe",
                "get",
                "--profile",
                "default",
            ],
        ),
        (
            "'/usr/local/my tools/cred' arg",
            &["/usr/local/my tools/cred", "arg"],
        ),
        (
            r#"tool --name "First Last""#,
            &["tool", "--name", "First Last"],
        ),
        (r#"tool "say \"hi\"""#, &["tool", r#"say "hi""#]),
        (
            r#""C:\Program Files\tool.exe""#,
            &[r"C:\Program Files\tool.exe"],
        ),
        (r#"tool "" arg"#, &["tool", "", "arg"]),
        ("tool '' arg", &["tool", "", "arg"]),
        (r#"tool "a b"'c d'"#, &["tool", "a bc d"]),
    ];

    const POSIX_ONLY: &[(&str, &[&str])] = &[
        (r"tool arg\ with\ space", &["tool", "arg with space"]),
        (r#"tool "a\$b\`c\\d\x""#, &["tool", r"a$b`c\d\x"]),
        ("tool 'a\\b\"c'", &["tool", "a\\b\"c"]),
        ("tool one \\\n two", &["tool", "one", "two"]),
        ("tool \"one\\\ntwo\"", &["tool", "onetwo"]),
        (
            r#"/bin/echo '{"mode":"AK","access_key_id":"X"}'"#,
            &["/bin/echo", r#"{"mode":"AK","access_key_id":"X"}"#],
        ),
    ];

    const WINDOWS_ONLY: &[(&str, &[&str])] = &[
        (
            r"C:\Users\RUNNER~1\AppData\Local\Temp\external_test\sts_script.bat",
            &[r"C:\Users\RUNNER~1\AppData\Local\Temp\external_test\sts_script.bat"],
        ),
        (
            r#""C:\Program Files\tool\cred.exe" get"#,
            &[r"C:\Program Files\tool\cred.exe", "get"],
        ),
        (r"tool\", &[r"tool\"]),
        (r#"tool "a\\b""#, &["tool", r"a\\b"]),
    ];

    const ERRORS: &[(&str, SplitError, bool)] = &[
        ("   ", SplitError::Empty, true),
        ("", SplitError::Empty, true),
        ("\"\"", SplitError::Empty, true),
        (
            r#""C:\Program Files\tool.exe"#,
            SplitError::UnclosedQuote,
            true,
        ),
        ("'/usr/bin/tool", SplitError::UnclosedQuote, true),
        (r"tool\", SplitError::TrailingBackslash, false),
    ];

    fn check(cases: &[(&str, &[&str])], dialect: Dialect) {
        for (input, want) in cases {
            let got = split_command_for(input, dialect)
                .unwrap_or_else(|e| panic!("{input:?} ({dialect:?}): {e}"));
            assert_eq!(got, *want, "{input:?} ({dialect:?})");
        }
    }

    #[test]
    fn shared_cases() {
        check(BOTH, Posix);
        check(BOTH, Windows);
    }

    #[test]
    fn dialect_cases() {
        check(POSIX_ONLY, Posix);
        check(WINDOWS_ONLY, Windows);
    }

    #[test]
    fn errors() {
        for (input, want, windows_too) in ERRORS {
            assert_eq!(split_command_for(input, Posix), Err(*want), "{input:?}");
            if *windows_too {
                assert_eq!(split_command_for(input, Windows), Err(*want), "{input:?}");
            }
        }
        assert_eq!(SplitError::Empty.to_string(), "process_command is empty");
        assert!(SplitError::UnclosedQuote
            .to_string()
            .contains("unclosed quote"));
        assert!(SplitError::TrailingBackslash
            .to_string()
            .contains("trailing backslash"));
    }

    proptest! {
        #[test]
        fn never_panics(s in "[ a-z'\"\\\\$`\n\t]{0,40}", any_text in "\\PC{0,40}") {
            for d in [Posix, Windows] {
                let _ = split_command_for(&s, d);
                let _ = split_command_for(&any_text, d);
            }
        }

        /// Words of safe characters, single-quoted, always come back unchanged.
        #[test]
        fn quoted_words_round_trip(words in proptest::collection::vec("[a-z0-9 \"\\\\$]{1,8}", 1..5)) {
            let line = words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" ");
            for d in [Posix, Windows] {
                prop_assert_eq!(&split_command_for(&line, d).unwrap(), &words);
            }
        }
    }
}
