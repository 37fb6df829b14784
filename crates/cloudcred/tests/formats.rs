//! The file-format parsers against the shared fixtures (testdata/fixtures, see its README): the
//! INI dialect of spec 7.1 and the aliyun CLI config.json of spec 7.2 / 6.13.

use cloudcred::format::cli_config::{CliConfig, Mode};
use cloudcred::format::ini::IniFile;
use cloudcred::ErrorKind;
use std::path::PathBuf;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/fixtures"
    ))
    .join(rel)
}

fn read(rel: &str) -> (String, PathBuf) {
    let path = fixture(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (text, path)
}

fn ini(rel: &str) -> IniFile {
    let (text, path) = read(rel);
    IniFile::parse(&text, &path).expect("fixture parses")
}

fn cli(rel: &str) -> CliConfig {
    let (text, path) = read(rel);
    CliConfig::parse(&text, &path).expect("fixture parses")
}

// ---------------------------------------------------------------- INI

const SECTIONS: [&str; 27] = [
    "default",
    "ak_literal_chars",
    "ak_tab_comment",
    "ak_mixed_case_keys",
    "ak_indented",
    "ak_enabled",
    "ak_disabled",
    "ak_enable_invalid",
    "ak_missing_secret",
    "ak_empty_id",
    "ak_quoted",
    "ak_duplicate_key",
    "sts_static",
    "ram",
    "ram_default_session",
    "ram_missing_role_arn",
    "ram_short_duration",
    "oidc",
    "oidc_missing_token_file",
    "ecs",
    "ecs_discover",
    "rsa",
    "bearer",
    "unknown_type",
    "no_type",
    "DEFAULT",
    // Not in the fixture: checked absent below.
    "nonexistent",
];

#[test]
fn ini_fixture_sections_in_order() {
    let f = ini("alibabacloud/credentials");
    let names: Vec<&str> = f.sections().map(|s| s.name()).collect();
    assert_eq!(names, SECTIONS[..26]);
    assert!(f.section("nonexistent").is_none());
    assert!(
        f.section("Default").is_none(),
        "section names are case-sensitive"
    );
    assert_eq!(f.section("default").unwrap().line(), 6);
    assert_eq!(f.section("ak_indented").unwrap().line(), 27);
}

#[test]
fn ini_fixture_values() {
    let f = ini("alibabacloud/credentials");
    let get = |s: &str, k: &str| f.section(s).unwrap().get(k);

    // Inline comments after spaces, `;` and `#`, are stripped.
    assert_eq!(get("default", "type"), Some("access_key"));
    assert_eq!(
        get("default", "access_key_id"),
        Some("LTAIFAKEDEFAULT00001")
    );
    assert_eq!(
        get("default", "access_key_secret"),
        Some("fake-secret-default-00001")
    );
    // `%` is literal, `#`/`;` glued to the value belong to it.
    assert_eq!(
        get("ak_literal_chars", "access_key_secret"),
        Some("fa%ke#sec;ret%%00002")
    );
    // TAB + `#` starts a comment.
    assert_eq!(
        get("ak_tab_comment", "access_key_id"),
        Some("LTAIFAKETABCMNT00003")
    );
    // Keys are case-insensitive.
    assert_eq!(get("ak_mixed_case_keys", "type"), Some("access_key"));
    assert_eq!(
        get("ak_mixed_case_keys", "access_key_id"),
        Some("LTAIFAKEMIXEDCASE004")
    );
    assert_eq!(
        get("ak_mixed_case_keys", "Access_Key_Secret"),
        Some("fake-secret-mixed-case-00004")
    );
    // Indentation means nothing.
    assert_eq!(
        get("ak_indented", "access_key_id"),
        Some("LTAIFAKEINDENTED0005")
    );
    assert_eq!(
        get("ak_indented", "access_key_secret"),
        Some("fake-secret-indented-00005")
    );
    // Missing versus empty.
    assert_eq!(get("ak_missing_secret", "access_key_secret"), None);
    assert_eq!(get("ak_empty_id", "access_key_id"), Some(""));
    // No quote removal; last duplicate wins.
    assert_eq!(
        get("ak_quoted", "access_key_id"),
        Some("\"LTAIFAKEQUOTED000011\"")
    );
    assert_eq!(
        get("ak_duplicate_key", "access_key_id"),
        Some("LTAIFAKELASTVALUE012")
    );
    assert_eq!(
        f.section("ak_duplicate_key")
            .unwrap()
            .line_of("access_key_id"),
        Some(67)
    );
    // Values with `:` and spaces; the first separator wins.
    assert_eq!(
        get("ram", "role_arn"),
        Some("acs:ram::1000000000000000:role/fake-fixture-role")
    );
    assert_eq!(
        get("ram", "policy"),
        Some(
            r#"{"Statement": [{"Action": ["oss:GetObject"], "Effect": "Allow", "Resource": ["*"]}], "Version": "1"}"#
        )
    );
    assert_eq!(get("ram", "role_session_expiration"), Some("1800"));
    assert_eq!(
        get("sts_static", "security_token"),
        Some("fake-security-token-00013")
    );
    assert_eq!(get("ecs", "role_name"), Some("FakeFixtureEcsRole"));
    assert_eq!(get("ecs_discover", "role_name"), None);
    assert_eq!(
        get("rsa", "private_key_file"),
        Some("@FIXTURES@/keys/fake-rsa-private-key.pem")
    );
    assert_eq!(get("unknown_type", "type"), Some("magic_key"));
    // `[DEFAULT]` is ordinary: nothing is inherited by `[no_type]` or `[default]`.
    assert_eq!(
        get("DEFAULT", "access_key_id"),
        Some("LTAIFAKEUPPERDEFLT25")
    );
    assert_eq!(get("no_type", "type"), None);
    assert_eq!(
        get("default", "access_key_id"),
        Some("LTAIFAKEDEFAULT00001")
    );
}

#[test]
fn ini_fixture_enable_booleans() {
    let f = ini("alibabacloud/credentials");
    let enable = |s: &str| f.section(s).unwrap().flag("enable");
    assert_eq!(enable("ak_enabled"), Ok(Some(true)));
    assert_eq!(enable("ak_disabled"), Ok(Some(false)));
    assert_eq!(enable("default"), Ok(None));
    let err = enable("ak_enable_invalid").unwrap_err();
    assert!(
        err.contains("enable") && err.contains("true, false"),
        "{err}"
    );
    assert!(!err.contains("maybe"), "{err}");
}

#[test]
fn ini_fixture_warnings() {
    let f = ini("alibabacloud/credentials");
    let w = f.warnings();
    assert_eq!(w.len(), 2, "{w:?}");
    assert_eq!(
        (w[0].line, w[0].section.as_deref(), w[0].key.as_deref()),
        (61, Some("ak_quoted"), Some("access_key_id"))
    );
    assert!(
        w[0].message.contains("quoted value: quotes are kept"),
        "{}",
        w[0].message
    );
    assert_eq!(
        (w[1].line, w[1].section.as_deref(), w[1].key.as_deref()),
        (67, Some("ak_duplicate_key"), Some("access_key_id"))
    );
    assert!(w[1].message.contains("last value wins"), "{}", w[1].message);
    for w in w {
        let text = format!("{w} {w:?}");
        assert!(!text.contains("LTAIFAKE"), "{text}");
    }
}

#[test]
fn ini_fixture_debug_shows_no_value() {
    let f = ini("alibabacloud/credentials");
    let dbg = format!("{f:?}");
    assert!(
        dbg.contains("ak_literal_chars") && dbg.contains("access_key_secret"),
        "{dbg}"
    );
    for marker in ["LTAIFAKE", "fake-secret", "fa%ke", "STS.", "acs:ram"] {
        assert!(!dbg.contains(marker), "{marker} in {dbg}");
    }
}

#[test]
fn ini_broken_files_reject_with_line_and_no_content() {
    for (rel, want_line, content) in [
        (
            "alibabacloud/credentials-broken-section",
            4,
            "LTAIFAKEBROKEN",
        ),
        (
            "alibabacloud/credentials-key-before-section",
            1,
            "LTAIFAKEORPHAN000001",
        ),
        (
            "alibabacloud/credentials-no-separator",
            6,
            "LTAIFAKENOSEPARATOR1",
        ),
    ] {
        let (text, path) = read(rel);
        let err = IniFile::parse(&text, &path).unwrap_err();
        match err.kind() {
            ErrorKind::Syntax {
                path: p,
                line,
                column,
                ..
            } => {
                assert_eq!(p, &path);
                assert_eq!(*line, want_line, "{rel}");
                assert_eq!(*column, None);
            }
            other => panic!("{rel}: {other:?}"),
        }
        let display = err.to_string();
        assert!(display.contains(&path.display().to_string()), "{display}");
        assert!(display.contains(&format!(":{want_line}: ")), "{display}");
        let both = format!("{display} {err:?}");
        for needle in [content, "access_key_id ="] {
            assert!(!both.contains(needle), "{needle} in {both}");
        }
    }
}

#[test]
fn ini_crlf_and_bom_read_the_same() {
    let (text, path) = read("alibabacloud/credentials");
    let lf = IniFile::parse(&text, &path).unwrap();
    let crlf_text = format!("\u{feff}{}", text.replace('\n', "\r\n"));
    let crlf = IniFile::parse(&crlf_text, &path).unwrap();
    assert_eq!(lf.sections().count(), crlf.sections().count());
    for (a, b) in lf.sections().zip(crlf.sections()) {
        assert_eq!(a.name(), b.name());
        assert_eq!(a.line(), b.line());
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        for k in a.keys() {
            assert_eq!(a.get(k), b.get(k), "[{}] {k}", a.name());
            assert_eq!(a.line_of(k), b.line_of(k));
        }
    }
    assert_eq!(lf.warnings(), crlf.warnings());
}

#[test]
fn ini_repeated_section_merges() {
    let text = "[a]\nk = 1\nonly_first = x\n\n[b]\nk = b\n\n[a]\nk = 2\nonly_second = y\n";
    let f = IniFile::parse(text, &fixture("merged")).unwrap();
    assert_eq!(
        f.sections().map(|s| s.name()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    let a = f.section("a").unwrap();
    assert_eq!(a.line(), 1);
    assert_eq!(a.get("k"), Some("2"));
    assert_eq!(a.get("only_first"), Some("x"));
    assert_eq!(a.get("only_second"), Some("y"));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        ["k", "only_first", "only_second"]
    );
    let w = f.warnings();
    assert_eq!(w.len(), 2, "{w:?}");
    assert_eq!((w[0].line, w[0].key.as_deref()), (8, None));
    assert_eq!((w[1].line, w[1].key.as_deref()), (9, Some("k")));
}

#[test]
fn ini_legacy_and_huawei_fixtures_parse() {
    let f = ini("alibabacloud/credentials.ini");
    assert_eq!(
        f.section("default").unwrap().get("access_key_id"),
        Some("LTAIFAKEINIFALLBACK1")
    );
    let hw = ini("huaweicloud/credentials");
    assert_eq!(
        hw.section("basic").unwrap().get("ak"),
        Some("FAKEHWBASICAK0000001")
    );
    assert_eq!(
        hw.section("global").unwrap().get("ak"),
        Some("FAKEHWGLOBALAK000002")
    );
    for rel in [
        "huaweicloud/credentials-temporary",
        "huaweicloud/credentials-federated",
        "huaweicloud/credentials-partial",
    ] {
        assert!(ini(rel).section("basic").is_some(), "{rel}");
    }
}

// ---------------------------------------------------------------- config.json

#[test]
fn cli_fixture_every_profile_parses_with_its_mode() {
    let c = cli("aliyun/config.json");
    assert_eq!(c.current(), Some("default"));
    assert_eq!(c.path(), fixture("aliyun/config.json"));
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    let expected = [
        ("default", Mode::Ak),
        ("ak-lowercase-mode", Mode::Ak),
        ("ak-missing-secret", Mode::Ak),
        ("sts", Mode::StsToken),
        ("ramrole", Mode::RamRoleArn),
        ("ramrole-vpc", Mode::RamRoleArn),
        ("ramrole-endpoint", Mode::RamRoleArn),
        ("ecs", Mode::EcsRamRole),
        ("ecs-discover", Mode::EcsRamRole),
        ("oidc", Mode::Oidc),
        ("oidc-role-session-name-key", Mode::Oidc),
        ("chain-one-hop", Mode::ChainableRamRoleArn),
        ("chain-two-hops", Mode::ChainableRamRoleArn),
        ("chain-cycle-a", Mode::ChainableRamRoleArn),
        ("chain-cycle-b", Mode::ChainableRamRoleArn),
        ("chain-self", Mode::ChainableRamRoleArn),
        ("chain-missing-source", Mode::ChainableRamRoleArn),
        ("ram-with-ecs", Mode::RamRoleArnWithRoleName),
        ("sso", Mode::CloudSso),
        ("sso-expired", Mode::CloudSso),
        ("oauth-cn", Mode::OAuth),
        ("oauth-intl-no-refresh", Mode::OAuth),
        ("oauth-bad-site", Mode::OAuth),
        ("chain-over-oauth", Mode::ChainableRamRoleArn),
        ("external-sts", Mode::External),
        ("external-fails", Mode::External),
        ("external-echo-ak", Mode::External),
        ("uri", Mode::CredentialsUri),
        ("bearer", Mode::BearerToken),
        ("rsa", Mode::RsaKeyPair),
        ("anonymous", Mode::Anonymous),
    ];
    let names: Vec<&str> = c.profiles().map(|p| p.name()).collect();
    let mut want_names: Vec<&str> = expected.iter().map(|(n, _)| *n).collect();
    want_names.push("unsupported");
    assert_eq!(names, want_names);
    for (name, mode) in expected {
        let p = c.profile(name).unwrap();
        assert_eq!(p.mode().unwrap(), (mode, false), "{name}");
        assert_eq!(
            p.origin(),
            format!("{} profile {name}", fixture("aliyun/config.json").display())
        );
    }
    // The fixture exercises all 14 modes.
    let mut seen: Vec<Mode> = expected.iter().map(|(_, m)| *m).collect();
    seen.sort_by_key(|m| m.as_str());
    seen.dedup();
    assert_eq!(seen.len(), 14);
}

#[test]
fn cli_every_mode_by_name_in_mixed_case() {
    for (i, m) in Mode::ALL.into_iter().enumerate() {
        // Alternate upper/lower per character: "aK", "sTsToKeN", ...
        let mixed: String = m
            .as_str()
            .chars()
            .enumerate()
            .map(|(j, ch)| {
                if (i + j) % 2 == 0 {
                    ch.to_ascii_lowercase()
                } else {
                    ch.to_ascii_uppercase()
                }
            })
            .collect();
        let text = format!(r#"{{"profiles":[{{"name":"p","mode":"{mixed}"}}]}}"#);
        let c = CliConfig::parse(&text, &fixture("mixed.json")).unwrap();
        assert_eq!(
            c.profile("p").unwrap().mode().unwrap(),
            (m, false),
            "{mixed}"
        );
    }
}

#[test]
fn cli_unknown_mode_lists_supported_modes() {
    let c = cli("aliyun/config.json");
    let err = c.profile("unsupported").unwrap().mode().unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Unsupported { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("profile unsupported"), "{text}");
    for m in Mode::ALL {
        assert!(
            text.contains(m.as_str()),
            "{} missing from {text}",
            m.as_str()
        );
    }
    assert!(!text.contains("fake-cli-secret"));
}

#[test]
fn cli_mode_inference() {
    let text = r#"{"profiles": [
        {"name": "ak", "access_key_id": "a", "access_key_secret": "s"},
        {"name": "sts", "mode": "", "access_key_id": "a", "access_key_secret": "s", "sts_token": "t"},
        {"name": "ram", "access_key_id": "a", "access_key_secret": "s", "ram_role_arn": "r"},
        {"name": "rsa", "private_key": "k", "key_pair_name": "n"},
        {"name": "ecs", "ram_role_name": "r"},
        {"name": "ext", "process_command": "c"},
        {"name": "oidc", "oidc_provider_arn": "p", "oidc_token_file": "f", "ram_role_arn": "r"},
        {"name": "sso", "cloud_sso_sign_in_url": "u"},
        {"name": "half-ak", "access_key_id": "a", "access_key_secret": " "},
        {"name": "nothing", "region_id": "cn-hangzhou"}
    ]}"#;
    let c = CliConfig::parse(text, &fixture("infer.json")).unwrap();
    for (name, mode) in [
        ("ak", Mode::Ak),
        ("sts", Mode::StsToken),
        ("ram", Mode::RamRoleArn),
        ("rsa", Mode::RsaKeyPair),
        ("ecs", Mode::EcsRamRole),
        ("ext", Mode::External),
        ("oidc", Mode::Oidc),
        ("sso", Mode::CloudSso),
    ] {
        assert_eq!(
            c.profile(name).unwrap().mode().unwrap(),
            (mode, true),
            "{name}"
        );
    }
    for name in ["half-ak", "nothing"] {
        let err = c.profile(name).unwrap().mode().unwrap_err().to_string();
        assert!(
            err.contains(&format!("profile {name}")) && err.contains("`mode`"),
            "{err}"
        );
    }
}

fn chain_names(c: &CliConfig, name: &str) -> Vec<String> {
    c.source_chain(name)
        .unwrap()
        .iter()
        .map(|p| p.name().to_owned())
        .collect()
}

#[test]
fn cli_source_chains() {
    let c = cli("aliyun/config.json");
    assert_eq!(chain_names(&c, "default"), ["default"]);
    assert_eq!(
        chain_names(&c, "chain-one-hop"),
        ["chain-one-hop", "default"]
    );
    assert_eq!(
        chain_names(&c, "chain-two-hops"),
        ["chain-two-hops", "chain-one-hop", "default"]
    );
    assert_eq!(
        chain_names(&c, "chain-over-oauth"),
        ["chain-over-oauth", "oauth-cn"]
    );

    for (start, cycle) in [
        (
            "chain-cycle-a",
            "chain-cycle-a -> chain-cycle-b -> chain-cycle-a",
        ),
        (
            "chain-cycle-b",
            "chain-cycle-b -> chain-cycle-a -> chain-cycle-b",
        ),
        ("chain-self", "chain-self -> chain-self"),
    ] {
        let err = c.source_chain(start).unwrap_err();
        match err.kind() {
            ErrorKind::InvalidConfig { origin, message } => {
                assert!(origin.ends_with(&format!("profile {start}")), "{origin}");
                assert!(message.contains(cycle), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    let err = c
        .source_chain("chain-missing-source")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no-such-profile") && err.contains("profile chain-missing-source"),
        "{err}"
    );

    let err = c.source_chain("absent").unwrap_err().to_string();
    assert!(err.contains("absent"), "{err}");

    let text = r#"{"profiles":[{"name":"c","mode":"ChainableRamRoleArn","ram_role_arn":"r"}]}"#;
    let c = CliConfig::parse(text, &fixture("nosrc.json")).unwrap();
    let err = c.source_chain("c").unwrap_err().to_string();
    assert!(
        err.contains("source_profile") && err.contains("profile c"),
        "{err}"
    );
}

#[test]
fn cli_invalid_json_is_a_syntax_error_without_content() {
    let (text, path) = read("aliyun/config-invalid.json");
    let err = CliConfig::parse(&text, &path).unwrap_err();
    match err.kind() {
        ErrorKind::Syntax {
            path: p,
            line,
            column,
            message,
        } => {
            assert_eq!(p, &path);
            // The file ends after line 9's newline: EOF is on line 10.
            assert_eq!(*line, 10, "{message}");
            assert!(column.is_some());
            assert!(message.contains("EOF"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let display = err.to_string();
    assert!(display.contains(&path.display().to_string()), "{display}");
    let both = format!("{display} {err:?}");
    for needle in [
        "FAKE-SECRET-MUST-NOT-APPEAR-IN-ERRORS",
        "LTAIFAKELEAKCHECK001",
    ] {
        assert!(!both.contains(needle), "{both}");
    }
}

#[test]
fn cli_current_naming_a_missing_profile() {
    let c = cli("aliyun/config-current-missing.json");
    assert_eq!(c.current(), Some("vanished"));
    assert!(c.profile("vanished").is_none());
    assert!(c.profile("other").is_some());
}

#[test]
fn cli_typed_fields() {
    let c = cli("aliyun/config.json");
    let ram = c.profile("ramrole").unwrap();
    assert_eq!(ram.int("expired_seconds").unwrap(), Some(1800));
    assert_eq!(ram.bool("enable_vpc").unwrap(), Some(false));
    assert_eq!(ram.str("external_id"), Some("fake external id"));
    assert_eq!(
        c.profile("ramrole-vpc")
            .unwrap()
            .bool("enable_vpc")
            .unwrap(),
        Some(true)
    );
    assert_eq!(
        c.profile("ramrole-vpc")
            .unwrap()
            .int("expired_seconds")
            .unwrap(),
        None
    );
    assert_eq!(
        c.profile("sso")
            .unwrap()
            .int("cloud_sso_access_token_expire")
            .unwrap(),
        Some(4102444800)
    );
    let default = c.profile("default").unwrap();
    assert_eq!(default.str("verified"), None);
    assert!(default.has("verified"));
    assert_eq!(default.str("region_id"), Some("cn-hangzhou"));
    assert!(default.raw().contains_key("x_fixture_future_field"));

    let text = r#"{"profiles":[{"name":"p","a":1800,"b":"1800","c":"abc","t":true,"y":"yes","n":"maybe"}]}"#;
    let c = CliConfig::parse(text, &fixture("typed.json")).unwrap();
    let p = c.profile("p").unwrap();
    assert_eq!(p.int("a").unwrap(), Some(1800));
    assert_eq!(p.int("b").unwrap(), Some(1800));
    let err = p.int("c").unwrap_err().to_string();
    assert!(err.contains("profile p") && err.contains("`c`"), "{err}");
    assert_eq!(p.bool("t").unwrap(), Some(true));
    assert_eq!(p.bool("y").unwrap(), Some(true));
    let err = p.bool("n").unwrap_err().to_string();
    assert!(
        err.contains("profile p") && err.contains("`n`") && !err.contains("maybe"),
        "{err}"
    );
}

#[test]
fn cli_keeps_the_whole_document() {
    let c = cli("aliyun/config.json");
    let top = c.value().as_object().unwrap();
    let keys: Vec<&str> = top.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "current",
            "profiles",
            "meta_path",
            "x_fixture_top_level_field"
        ]
    );
    let oauth = c.profile("oauth-cn").unwrap();
    assert_eq!(
        c.value()["profiles"][oauth.index()]["x_fixture_unknown_profile_field"],
        "must survive write-back"
    );
}

#[test]
fn cli_debug_shows_no_value() {
    let c = cli("aliyun/config.json");
    let dbg = format!("{c:?}");
    assert!(
        dbg.contains("oauth-cn") && dbg.contains("access_key_secret"),
        "{dbg}"
    );
    for marker in [
        "LTAIFAKE",
        "fake-cli-secret",
        "fake-oauth",
        "fake-sso",
        "acs:ram",
        "must survive",
    ] {
        assert!(!dbg.contains(marker), "{marker} in {dbg}");
    }
}
