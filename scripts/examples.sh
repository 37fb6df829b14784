#!/usr/bin/env bash
# Runs every example of crates/cloudcred/examples against local services only, and checks its
# output: exit status, the expected lines, and that no secret, token or signature is printed
# unless the user asked for it (obs_presign --print-url). CI runs it (.ci/run).
#
# It starts `cloudcred-fakecloud` (STS on 127.0.0.1) and `cloudcred serve` (a credentials URI
# backed by a two-hop role chain against that STS), both on loopback, and stops them on exit.
# The cloud variables of the caller's environment are cleared first: nothing here can reach a
# real cloud or use real credentials.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TERM_COLOR=never
target="${CARGO_TARGET_DIR:-$root/target}"

for var in $(env | grep -oE '^(ALIBABA_CLOUD|ALIBABACLOUD|ALICLOUD|ALIYUN|HUAWEICLOUD|HUAWEI_CLOUD|OBS|OSS|HC_CONTAINER|CLOUDCRED)_[A-Za-z0-9_]*' || true); do
  unset "$var"
done

cargo build -q -p cloudcred-fakecloud -p cloudcred-cli --bins
cargo build -q -p cloudcred --examples

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "examples: $*" >&2
  exit 1
}

# Waits up to 30 s for a line matching $2 in file $1 and prints it.
wait_line() {
  local file=$1 pattern=$2 line
  for _ in $(seq 300); do
    if line=$(grep -m1 -E "$pattern" "$file" 2>/dev/null); then
      echo "$line"
      return 0
    fi
    sleep 0.1
  done
  fail "no line matching '$pattern' in $file: $(cat "$file")"
}

"$target/debug/cloudcred-fakecloud" --port 0 >"$work/fakecloud.out" 2>"$work/fakecloud.err" &
pids+=($!)
sts=$(wait_line "$work/fakecloud.out" '^export ALIBABA_CLOUD_STS_ENDPOINT=' | cut -d= -f2-)
[[ $sts == http://127.0.0.1:* ]] || fail "fake cloud address: $sts"

# Fake keys the fake cloud's STS accepts (crates/cloudcred-fakecloud/src/config.rs).
AK_ID=LTAIFAKEDEFAULT00001
AK_SECRET=fake-secret-default-00001
HW_AK=HWFAKEEXAMPLEAK00001
HW_SK=fake-huawei-example-secret-00001
SERVE_TOKEN=examples-serve-token-$RANDOM$RANDOM
# Every security token the fake cloud issues starts with this (state.rs).
FAKE_TOKEN_PREFIX=gQpjbi1ub3J0aC00
secrets=("$AK_SECRET" "$HW_SK" "$SERVE_TOKEN" "$FAKE_TOKEN_PREFIX" "fake-secret-" "fake-cli-secret-")

# Runs one example with the given variables; its stdout+stderr go to $work/NAME.out.
run_example() {
  local name=$1
  shift
  local vars=()
  while [[ $# -gt 0 && $1 != -- ]]; do vars+=("$1"); shift; done
  [[ ${1:-} == -- ]] && shift
  echo "-- $name $*"
  if ! env "${vars[@]}" timeout 60 cargo run -q -p cloudcred --example "$name" -- "$@" \
    >"$work/$name.out" 2>&1; then
    fail "$name exited with an error: $(cat "$work/$name.out")"
  fi
  cat "$work/$name.out"
}

expect() {
  local name=$1 text=$2
  grep -qF -- "$text" "$work/$name.out" || fail "$name: expected '$text' in: $(cat "$work/$name.out")"
}

no_secret() {
  local name=$1 s
  shift
  for s in "${secrets[@]}" "$@"; do
    if grep -qF -- "$s" "$work/$name.out"; then
      fail "$name printed a secret (${#s} characters starting ${s:0:3})"
    fi
  done
}

# (a) OSS V4 signing from the environment: method, URL, header names; no signature.
run_example oss_sign_from_env ALIBABA_CLOUD_ACCESS_KEY_ID=$AK_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET=$AK_SECRET \
  -- examplebucket "dir/a b.txt" cn-hangzhou
expect oss_sign_from_env "method: GET"
expect oss_sign_from_env "url: https://examplebucket.oss-cn-hangzhou.aliyuncs.com/dir/a%20b.txt"
expect oss_sign_from_env "headers: authorization, x-oss-content-sha256, x-oss-date"
expect oss_sign_from_env "from env"
no_secret oss_sign_from_env "OSS4-HMAC-SHA256" "Signature=" "$AK_ID"

# (b) OBS presigned URL: redacted unless asked for.
run_example obs_presign HUAWEICLOUD_SDK_AK=$HW_AK HUAWEICLOUD_SDK_SK=$HW_SK -- examplebucket photos/a.jpg
expect obs_presign "presigned GET, valid 3600 s"
expect obs_presign "https://examplebucket.obs.cn-north-4.myhuaweicloud.com/photos/a.jpg?** redacted **"
no_secret obs_presign "Signature=" "AccessKeyId=" "$HW_AK"
echo "-- obs_presign --print-url (stdout only)"
url=$(env HUAWEICLOUD_SDK_AK=$HW_AK HUAWEICLOUD_SDK_SK=$HW_SK timeout 60 \
  cargo run -q -p cloudcred --example obs_presign -- --print-url examplebucket photos/a.jpg 2>/dev/null)
[[ $(wc -l <<<"$url") == 1 ]] || fail "obs_presign --print-url printed more than the URL"
[[ $url =~ ^https://examplebucket\.obs\.cn-north-4\.myhuaweicloud\.com/photos/a\.jpg\?Expires=[0-9]+\&AccessKeyId=$HW_AK\&Signature=[A-Za-z0-9%]+$ ]] \
  || fail "obs_presign --print-url: not a presigned URL (${#url} characters)"
[[ $url != *"$HW_SK"* ]] || fail "obs_presign --print-url printed the secret key"
echo "presigned URL printed on request (${#url} characters)"

# (c) Role chaining against the fake cloud's STS; refuses to run without an STS endpoint.
echo "-- role_chaining without ALIBABA_CLOUD_STS_ENDPOINT"
if out=$(env ALIBABA_CLOUD_ACCESS_KEY_ID=$AK_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET=$AK_SECRET timeout 60 \
  cargo run -q -p cloudcred --example role_chaining -- a b 2>&1); then
  fail "role_chaining ran without an STS endpoint"
fi
grep -qF "set ALIBABA_CLOUD_STS_ENDPOINT" <<<"$out" || fail "role_chaining refusal: $out"
echo "$out"
run_example role_chaining ALIBABA_CLOUD_ACCESS_KEY_ID=$AK_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET=$AK_SECRET \
  ALIBABA_CLOUD_STS_ENDPOINT="$sts" -- \
  acs:ram::1000000000000000:role/example-hop-1 acs:ram::1000000000000000:role/example-hop-2
expect role_chaining "hop 0: access_key LT"
expect role_chaining "hop 1: sts STS"
expect role_chaining "hop 2: sts STS"
expect role_chaining "from ram_role_arn/ram_role_arn/env"
expect role_chaining "second call, same credentials: yes"
no_secret role_chaining

# (d) Reading from `cloudcred serve`, itself resolving a two-hop chain of the fixture profiles.
home="$work/home"
mkdir -p "$home/.aliyun"
sed "s#@FIXTURES@#$root/testdata/fixtures#g; s#@PORT@#${sts##*:}#g" testdata/fixtures/aliyun/config.json \
  >"$home/.aliyun/config.json"
env HOME="$home" ALIBABA_CLOUD_STS_ENDPOINT="$sts" ALIBABA_CLOUD_ECS_METADATA_DISABLED=true \
  CLOUDCRED_SERVE_TOKEN="$SERVE_TOKEN" "$target/debug/cloudcred" serve --profile chain-two-hops \
  >"$work/serve.out" 2>"$work/serve.err" &
pids+=($!)
uri_line=$(wait_line "$work/serve.out" '^export ALIBABA_CLOUD_CREDENTIALS_URI=')
eval "$uri_line"
# What serve hands out, read with curl: the example must print none of it.
served=$(curl -sf --max-time 10 "$ALIBABA_CLOUD_CREDENTIALS_URI")
served_secret=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["AccessKeySecret"])' <<<"$served")
served_token=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["SecurityToken"])' <<<"$served")
served_id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["AccessKeyId"])' <<<"$served")
run_example read_from_serve ALIBABA_CLOUD_CREDENTIALS_URI="$ALIBABA_CLOUD_CREDENTIALS_URI"
expect read_from_serve "credentials: sts ${served_id:0:2}"
expect read_from_serve "from credential_uri"
expect read_from_serve "security token: present"
no_secret read_from_serve "$served_secret" "$served_token" "$served_id" "token="
unset ALIBABA_CLOUD_CREDENTIALS_URI
echo "examples: all 4 ran and printed no secret"
