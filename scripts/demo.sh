#!/usr/bin/env bash
# The main job, offline, on a fresh machine with no cloud account: build cloudcred, start the
# embedded fake cloud on 127.0.0.1 and resolve credentials through a real signed AssumeRole, a
# chained role and a real instance-metadata flow (`cloudcred sandbox`); then show `doctor` and
# `get` over example profile files. Nothing here contacts an address outside this machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --quiet -p cloudcred-cli
bin="$root/target/debug/cloudcred"
echo "== cloudcred sandbox"
env -i PATH="$PATH" "$bin" sandbox
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
mkdir -p "$home/.alibabacloud" "$home/.aliyun"
sed "s#@FIXTURES@#$root/testdata/fixtures#g" testdata/fixtures/alibabacloud/credentials > "$home/.alibabacloud/credentials"
sed "s#@FIXTURES@#$root/testdata/fixtures#g; s#@PORT@#9#g" testdata/fixtures/aliyun/config.json > "$home/.aliyun/config.json"
run() { env -i HOME="$home" PATH="$PATH" ALIBABA_CLOUD_ECS_METADATA_DISABLED=true ALIBABA_CLOUD_STS_ENDPOINT=http://127.0.0.1:9 "$@"; }
echo
echo "== cloudcred doctor (example home $home)"
run "$bin" doctor
echo
echo "== cloudcred get --format text --profile sts_static"
run "$bin" get --format text --profile sts_static
