//! What several benchmarks set up the same way.

use cloudcred::{Context, MapEnv};

/// A temporary HOME whose `~/.alibabacloud/credentials` holds an AccessKey `default` profile,
/// and a context reading it with metadata disabled: the default chain resolves from the INI
/// profile (chain → profile provider → static provider). Keep the directory alive while the
/// context is used.
pub fn ini_profile_context() -> (tempfile::TempDir, Context) {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".alibabacloud")).unwrap();
    std::fs::write(
        home.path().join(".alibabacloud/credentials"),
        "[default]\ntype = access_key\naccess_key_id = LTAIBENCH\naccess_key_secret = bench-secret\n",
    )
    .unwrap();
    let ctx = Context::from_env(MapEnv::from([
        ("HOME", home.path().to_str().unwrap()),
        ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
    ]));
    (home, ctx)
}
