//! The lenient INI dialect of `~/.alibabacloud/credentials` (spec 7.1, D38), also used for the
//! Huawei Cloud credentials file.
//!
//! The official SDKs parse this file three different ways (configparser interpolation, java's
//! hand-written reader, go-ini); the dialect here is the small common ground the spec fixes, with
//! no continuation lines, no interpolation and no quote handling, so that a file means the same
//! thing to every reader. Parsing is all-or-nothing: a syntax error rejects the whole file, so a
//! typo can never silently select other credentials.
//!
//! Values are secrets more often than not: they are held in [`SecretString`] (zeroized on drop),
//! and neither `Debug`, errors nor warnings ever show a value or a line's text.

use crate::context::{bool_error, parse_bool};
use crate::error::{Error, ErrorKind, Result};
use crate::model::SecretString;
use std::fmt;
use std::path::Path;

/// A parsed INI file: its sections in file order, and what `doctor` should warn about.
#[derive(Clone, Default)]
pub struct IniFile {
    sections: Vec<IniSection>,
    warnings: Vec<IniWarning>,
}

/// One section, with the keys of every header of that name merged (later keys win).
#[derive(Clone)]
pub struct IniSection {
    name: String,
    line: usize,
    entries: Vec<Entry>,
}

#[derive(Clone)]
struct Entry {
    key: String,
    value: SecretString,
    line: usize,
}

/// Something legal but suspicious in a file, for `doctor`. Never holds a value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IniWarning {
    /// The 1-based line.
    pub line: usize,
    /// The section the line is in, if any.
    pub section: Option<String>,
    /// The key concerned, if any.
    pub key: Option<String>,
    /// What is wrong (never a value).
    pub message: String,
}

impl fmt::Display for IniWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(section) = &self.section {
            write!(f, ", section [{}]", super::printable(section))?;
        }
        if let Some(key) = &self.key {
            write!(f, ", key {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

const BOM: char = '\u{feff}';

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Rule 6: cuts at the first `#` or `;` preceded by a space or tab. A `#` glued to the text
/// belongs to the value (secrets may contain it).
fn strip_inline_comment(text: &str) -> &str {
    let mut prev_blank = false;
    for (i, c) in text.char_indices() {
        if (c == '#' || c == ';') && prev_blank {
            return &text[..i];
        }
        prev_blank = is_blank(c);
    }
    text
}

impl IniFile {
    /// Parses `text`; `path` is only used in errors. A syntax error rejects the whole file:
    /// `Error::Syntax { path, line (1-based), column: None, message }`, and the message never
    /// quotes the line.
    pub fn parse(text: &str, path: &Path) -> Result<IniFile> {
        let syntax = |line: usize, message: &str| -> Error {
            ErrorKind::Syntax {
                path: path.to_owned(),
                line,
                column: None,
                message: message.to_owned(),
            }
            .into()
        };
        let text = text.strip_prefix(BOM).unwrap_or(text);
        let mut file = IniFile::default();
        // Index into `file.sections` of the section that keys currently go to.
        let mut current: Option<usize> = None;

        for (index, raw) in text.split('\n').enumerate() {
            let line_no = index + 1;
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            let line = raw.trim_matches(is_blank);
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }

            if let Some(rest) = line.strip_prefix('[') {
                let Some(close) = rest.find(']') else {
                    return Err(syntax(line_no, "section header without a closing `]`"));
                };
                let name = rest[..close].trim_matches(is_blank);
                if name.is_empty() {
                    return Err(syntax(line_no, "empty section name"));
                }
                let after = &rest[close + 1..];
                let trimmed = after.trim_start_matches(is_blank);
                let comment_ok = after.len() != trimmed.len()
                    && (trimmed.starts_with('#') || trimmed.starts_with(';'));
                if !trimmed.is_empty() && !comment_ok {
                    return Err(syntax(
                        line_no,
                        "unexpected text after the section header's `]` (only a comment starting \
                         with whitespace then `#` or `;` may follow)",
                    ));
                }
                current = Some(file.open_section(name, line_no));
                continue;
            }

            let Some(sep) = line.find(['=', ':']) else {
                return Err(syntax(
                    line_no,
                    "expected `key = value`: the line has no `=` or `:`",
                ));
            };
            let key = line[..sep].trim_matches(is_blank).to_ascii_lowercase();
            if key.is_empty() {
                return Err(syntax(line_no, "empty key before `=` or `:`"));
            }
            let Some(section_index) = current else {
                return Err(syntax(
                    line_no,
                    "key before any section header: add a header such as `[default]` above it",
                ));
            };
            let value = strip_inline_comment(&line[sep + 1..]).trim_matches(is_blank);
            file.set(section_index, key, value, line_no);
        }
        Ok(file)
    }

    /// Rule 8: a repeated header reopens the earlier section instead of creating a second one.
    fn open_section(&mut self, name: &str, line: usize) -> usize {
        if let Some(i) = self.sections.iter().position(|s| s.name == name) {
            self.warnings.push(IniWarning {
                line,
                section: Some(name.to_owned()),
                key: None,
                message: format!(
                    "section [{}] appears again (first at line {}): its keys are merged into \
                     the first one and later keys win",
                    super::printable(name),
                    self.sections[i].line
                ),
            });
            return i;
        }
        self.sections.push(IniSection {
            name: name.to_owned(),
            line,
            entries: Vec::new(),
        });
        self.sections.len() - 1
    }

    fn set(&mut self, section_index: usize, key: String, value: &str, line: usize) {
        let section = &mut self.sections[section_index];
        let quoted = value.len() >= 2
            && ((value.starts_with('"') && value.ends_with('"'))
                || (value.starts_with('\'') && value.ends_with('\'')));
        if quoted {
            self.warnings.push(IniWarning {
                line,
                section: Some(section.name.clone()),
                key: Some(key.clone()),
                message: "quoted value: quotes are kept (this dialect does not remove quotes)"
                    .to_owned(),
            });
        }
        match section.entries.iter_mut().find(|e| e.key == key) {
            Some(entry) => {
                self.warnings.push(IniWarning {
                    line,
                    section: Some(section.name.clone()),
                    key: Some(key),
                    message: format!(
                        "duplicate key (also at line {}): the last value wins",
                        entry.line
                    ),
                });
                entry.value = SecretString::new(value);
                entry.line = line;
            }
            None => section.entries.push(Entry {
                key,
                value: SecretString::new(value),
                line,
            }),
        }
    }

    /// The section named exactly `name` (section names are case-sensitive).
    pub fn section(&self, name: &str) -> Option<&IniSection> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// Sections in the order of their first header.
    pub fn sections(&self) -> impl Iterator<Item = &IniSection> {
        self.sections.iter()
    }

    /// Whole-file warnings (duplicate keys, repeated sections, quoted values), in line order.
    pub fn warnings(&self) -> &[IniWarning] {
        &self.warnings
    }
}

impl IniSection {
    /// The section's name, as written.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Line of the (first) header of this section.
    pub fn line(&self) -> usize {
        self.line
    }

    fn entry(&self, key: &str) -> Option<&Entry> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            let key = key.to_ascii_lowercase();
            self.entries.iter().find(|e| e.key == key)
        } else {
            self.entries.iter().find(|e| e.key == key)
        }
    }

    /// The value of `key` (matched case-insensitively): trimmed, inline comment removed, last
    /// occurrence. `Some("")` means the key is present with an empty value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entry(key).map(|e| e.value.expose())
    }

    /// The line the value returned by [`IniSection::get`] came from.
    pub fn line_of(&self, key: &str) -> Option<usize> {
        self.entry(key).map(|e| e.line)
    }

    /// The (lower-cased) keys, in order of first appearance.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.key.as_str())
    }

    /// The D6 boolean of `key`: `Ok(None)` when absent, an empty value is `false`. The error
    /// names the key but not the value; the caller adds file and section.
    pub fn flag(&self, key: &str) -> std::result::Result<Option<bool>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => parse_bool(v)
                .map(Some)
                .ok_or_else(|| format!("key `{}`: {}", key.to_ascii_lowercase(), bool_error(v))),
        }
    }
}

/// Names and keys only: values are secrets.
impl fmt::Debug for IniSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IniSection")
            .field("name", &self.name)
            .field("line", &self.line)
            .field("keys", &self.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Names and keys only: values are secrets.
impl fmt::Debug for IniFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IniFile")
            .field("sections", &self.sections)
            .field("warnings", &self.warnings)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(text: &str) -> IniFile {
        IniFile::parse(text, Path::new("/t/credentials")).expect("parses")
    }

    fn syntax_line(text: &str) -> (usize, String) {
        match IniFile::parse(text, Path::new("/t/credentials")) {
            Err(e) => match e.kind() {
                ErrorKind::Syntax { line, column, .. } => {
                    assert_eq!(*column, None);
                    (*line, e.to_string())
                }
                other => panic!("expected a syntax error, got {other:?}"),
            },
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn values_comments_and_separators() {
        let f = parse(
            "[s]\n\
             a = 1 # c\n\
             b = 2 ; c\n\
             c = x#y;z\n\
             d: v:w=q\n\
             e =\n\
             f = #only a comment\n\
             g=\t'x' \n\
             h = %(x)s %%\n",
        );
        let s = f.section("s").unwrap();
        assert_eq!(s.get("a"), Some("1"));
        assert_eq!(s.get("b"), Some("2"));
        assert_eq!(s.get("c"), Some("x#y;z"));
        assert_eq!(s.get("d"), Some("v:w=q"));
        assert_eq!(s.get("e"), Some(""));
        assert_eq!(s.get("f"), Some(""));
        assert_eq!(s.get("g"), Some("'x'"));
        assert_eq!(s.get("h"), Some("%(x)s %%"));
        assert_eq!(s.get("missing"), None);
        assert_eq!(s.line_of("d"), Some(5));
        assert_eq!(
            s.keys().collect::<Vec<_>>(),
            ["a", "b", "c", "d", "e", "f", "g", "h"]
        );
        assert_eq!(f.warnings().len(), 1, "{:?}", f.warnings());
        assert_eq!(f.warnings()[0].key.as_deref(), Some("g"));
    }

    #[test]
    fn first_separator_wins_even_if_colon() {
        let s = parse("[s]\nurl: http://h:1/p?a=b\nk = acs:ram::1:role/x\n");
        let s = s.section("s").unwrap();
        assert_eq!(s.get("url"), Some("http://h:1/p?a=b"));
        assert_eq!(s.get("k"), Some("acs:ram::1:role/x"));
    }

    #[test]
    fn keys_are_lowercased_and_sections_case_sensitive() {
        let f = parse("[Prod]\nAccess_Key_ID = x\n[prod]\nk = y\n");
        assert_eq!(f.section("Prod").unwrap().get("access_key_id"), Some("x"));
        assert_eq!(f.section("Prod").unwrap().get("ACCESS_KEY_ID"), Some("x"));
        assert_eq!(f.section("prod").unwrap().get("access_key_id"), None);
        assert_eq!(f.sections().count(), 2);
    }

    #[test]
    fn section_header_forms() {
        let f = parse("[ spaced name ]  # c\n[b]\t; c\n[c]\n");
        let names: Vec<_> = f.sections().map(|s| s.name()).collect();
        assert_eq!(names, ["spaced name", "b", "c"]);
        assert_eq!(syntax_line("[a]#c\n").0, 1);
        assert_eq!(syntax_line("[a] x\n").0, 1);
        assert_eq!(syntax_line("\n[ ]\n").0, 2);
        assert_eq!(syntax_line("[]\n").0, 1);
        assert_eq!(syntax_line("[a\n").0, 1);
    }

    #[test]
    fn syntax_errors_name_line_and_not_content() {
        let (line, text) = syntax_line("[s]\nk = v\nsecretWithoutSeparator\n");
        assert_eq!(line, 3);
        assert!(text.starts_with("/t/credentials:3: "), "{text}");
        assert!(!text.contains("secretWithoutSeparator"), "{text}");
        assert_eq!(syntax_line("orphan = SECRETVALUE\n[s]\n").0, 1);
        assert!(!syntax_line("orphan = SECRETVALUE\n[s]\n")
            .1
            .contains("SECRETVALUE"));
        assert_eq!(syntax_line("[s]\n = v\n").0, 2);
    }

    #[test]
    fn duplicates_and_repeated_sections() {
        let f = parse("[a]\nk = 1\nk = 2\n[b]\nx = 1\n[a]\nk = 3\nj = 4\n");
        let a = f.section("a").unwrap();
        assert_eq!(a.get("k"), Some("3"));
        assert_eq!(a.line_of("k"), Some(7));
        assert_eq!(a.get("j"), Some("4"));
        assert_eq!(a.line(), 1);
        assert_eq!(f.sections().count(), 2);
        let w = f.warnings();
        assert_eq!(w.len(), 3, "{w:?}");
        assert_eq!((w[0].line, w[0].key.as_deref()), (3, Some("k")));
        assert_eq!((w[1].line, w[1].key.as_deref()), (6, None));
        assert_eq!(w[1].section.as_deref(), Some("a"));
        assert_eq!((w[2].line, w[2].key.as_deref()), (7, Some("k")));
        assert!(w[1].to_string().contains("first at line 1"), "{}", w[1]);
    }

    #[test]
    fn crlf_bom_and_blank_lines() {
        let f = parse("\u{feff}[a]\r\n\r\n  k = v  \r\n\t; c\r\n");
        let a = f.section("a").unwrap();
        assert_eq!(a.get("k"), Some("v"));
        assert_eq!(a.line_of("k"), Some(3));
    }

    #[test]
    fn bool_values_follow_d6() {
        let f = parse("[s]\na = Yes\nb = off\nc = maybe\nd =\n");
        let s = f.section("s").unwrap();
        assert_eq!(s.flag("a"), Ok(Some(true)));
        assert_eq!(s.flag("B"), Ok(Some(false)));
        assert_eq!(s.flag("d"), Ok(Some(false)));
        assert_eq!(s.flag("absent"), Ok(None));
        let err = s.flag("c").unwrap_err();
        assert!(err.contains("`c`") && err.contains("true"), "{err}");
        assert!(!err.contains("maybe"));
    }

    #[test]
    fn debug_shows_no_value() {
        let f = parse("[s]\nsecret = PLANTED-SECRET-1\nq = \"PLANTED-SECRET-2\"\nq = x\n[s]\n");
        let dbg = format!("{f:?} {:?}", f.section("s").unwrap());
        assert!(dbg.contains("secret") && dbg.contains("\"s\""), "{dbg}");
        assert!(!dbg.contains("PLANTED"), "{dbg}");
        for w in f.warnings() {
            assert!(!w.to_string().contains("PLANTED"));
        }
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(text in any::<String>()) {
            let _ = IniFile::parse(&text, Path::new("p"));
        }

        #[test]
        fn never_panics_on_line_soup(text in "([\\[\\]=:#; \\ta-zA-Z\\r\\n]|\u{feff}|é){0,200}") {
            if let Ok(f) = IniFile::parse(&text, Path::new("p")) {
                for s in f.sections() {
                    for k in s.keys() {
                        let _ = s.get(k);
                        let _ = s.flag(k);
                    }
                }
            }
        }

        #[test]
        fn well_formed_files_round_trip(
            sections in proptest::collection::btree_map(
                "[A-Za-z0-9_.-]{1,12}",
                proptest::collection::btree_map(
                    "[a-z][a-z0-9_]{0,10}",
                    // No outer blanks, no leading `#`/`;` (the separator may end in a blank),
                    // no blank before `#`/`;`: such values are the ones rule 6 keeps intact.
                    "([A-Za-z0-9%:=/+.\"'-]([A-Za-z0-9%#;:=/+. \"'-]{0,20}[A-Za-z0-9%#;:=/+.\"'-])?)?"
                        .prop_filter("no comment marker after a blank", |v: &String| {
                            !v.contains(" #") && !v.contains(" ;")
                        }),
                    0..6,
                ),
                0..5,
            ),
            crlf in any::<bool>(),
            sep in prop_oneof![Just("="), Just(" = "), Just(":"), Just("\t:  ")],
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = String::new();
            for (name, entries) in &sections {
                text.push_str(&format!("[{name}]{eol}"));
                for (k, v) in entries {
                    text.push_str(&format!("{}{sep}{v}{eol}", k.to_ascii_uppercase()));
                }
            }
            let f = IniFile::parse(&text, Path::new("p")).unwrap();
            prop_assert_eq!(f.sections().count(), sections.len());
            for (name, entries) in &sections {
                let s = f.section(name).unwrap();
                prop_assert_eq!(s.keys().count(), entries.len());
                for (k, v) in entries {
                    prop_assert_eq!(s.get(k), Some(v.as_str()));
                }
            }
        }
    }
}
