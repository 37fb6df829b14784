#!/usr/bin/env bash
# The main job, offline: build cloudcred, lay out an example home with the fixture profile files
# (fake keys, no cloud account needed), and show what `doctor` and `get` resolve from them.
# Nothing here contacts a network address: the metadata provider is disabled.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --quiet -p cloudcred-cli
bin="$root/target/debug/cloudcred"
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
mkdir -p "$home/.alibabacloud" "$home/.aliyun"
sed "s#@FIXTURES@#$root/testdata/fixtures#g" testdata/fixtures/alibabacloud/credentials > "$home/.alibabacloud/credentials"
sed "s#@FIXTURES@#$root/testdata/fixtures#g; s#@PORT@#9#g" testdata/fixtures/aliyun/config.json > "$home/.aliyun/config.json"
run() { env -i HOME="$home" PATH="$PATH" ALIBABA_CLOUD_ECS_METADATA_DISABLED=true "$@"; }
echo "== cloudcred doctor (example home $home)"
run "$bin" doctor
echo
echo "== cloudcred get --format text --profile sts_static"
run "$bin" get --format text --profile sts_static
echo
echo "== cloudcred exec --profile sts -- sh -c 'echo \$OSS_ACCESS_KEY_ID'"
run "$bin" exec --profile sts -- sh -c 'echo "$OSS_ACCESS_KEY_ID"'
