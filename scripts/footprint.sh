#!/usr/bin/env bash
# What depending on cloudcred costs (issue 13): for each main feature set, and for
# reqsign-aliyun-oss and aws-config beside it, the number of crates, the clean release build time
# and the CLI binary size, written to docs/footprint.md from one run.
#
#   scripts/footprint.sh               full run: every build from a fresh target directory, -j2;
#                                      run it on a quiet machine (minutes; fetches aws-config)
#   FOOTPRINT_QUICK=1 scripts/footprint.sh
#                                      crate counts only (seconds), build times marked pending
#   scripts/footprint.sh --check-lean  CI: fail when the lean set exceeds LEAN_MAX_CRATES
#
# Each row is a scratch crate under $CARGO_TARGET_DIR/footprint (default target/footprint) that
# depends on one library, so every row is measured the same way. Crates: the unique
# `name version` lines of `cargo tree -p LIBRARY -e normal --prefix none` (the library itself
# counted, build-only and dev-only crates not, one line per version). Nothing here contacts a
# cloud; cargo talks to the crates.io registry only to resolve reqsign-aliyun-oss and aws-config.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TERM_COLOR=never

LEAN_MAX_CRATES=35
work="${CARGO_TARGET_DIR:-$root/target}/footprint"
out="$root/docs/footprint.md"
quick="${FOOTPRINT_QUICK:-}"

# name | dependency line of the scratch crate | library package | what the row is
rows=(
  "cloudcred lean|cloudcred = { path = \"$root/crates/cloudcred\", default-features = false, features = [\"sign\", \"alibaba\", \"huawei\"] }|cloudcred|\`default-features = false, features = [\"sign\", \"alibaba\", \"huawei\"]\`: model, errors, both clouds' environment and static providers, every signer (\`sign\` alone counts the same)"
  "cloudcred alibaba+http|cloudcred = { path = \"$root/crates/cloudcred\", default-features = false, features = [\"alibaba\", \"http\", \"tls-webpki-roots\"] }|cloudcred|\`features = [\"alibaba\", \"http\", \"tls-webpki-roots\"]\`: every Alibaba Cloud source and signer"
  "cloudcred default|cloudcred = { path = \"$root/crates/cloudcred\" }|cloudcred|default features: both clouds, every source and signer"
  "reqsign-aliyun-oss|reqsign-aliyun-oss = \"3.2\"|reqsign-aliyun-oss|default features"
  "aws-config|aws-config = \"1\"|aws-config|default features"
)

# Writes the scratch crate of a row; cloudcred rows start from the workspace lock file, so they
# measure the versions the project builds with.
scratch() {
  local dir=$1 dep=$2 lib=$3
  mkdir -p "$dir/src"
  printf '[package]\nname = "footprint-scratch"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[workspace]\n\n[dependencies]\n%s\n' \
    "$dep" >"$dir/Cargo.toml"
  echo 'fn main() {}' >"$dir/src/main.rs"
  if [[ $lib == cloudcred && ! -f $dir/Cargo.lock ]]; then
    cp "$root/Cargo.lock" "$dir/Cargo.lock"
  fi
}

count_crates() {
  local dir=$1 lib=$2
  cargo tree --manifest-path "$dir/Cargo.toml" -p "$lib" -e normal --prefix none \
    | sed 's/ (\*)$//' | sort -u | wc -l | tr -d ' '
}

fail() {
  echo "build failed, see $1:" >&2
  tail -20 "$1" >&2
  exit 1
}

# Seconds of `cargo build --release -j2` from an empty target directory.
build_seconds() {
  local dir=$1 target=$2
  rm -rf "$target"
  cargo fetch --manifest-path "$dir/Cargo.toml" >"$dir/build.log" 2>&1 || fail "$dir/build.log"
  local start end
  start=$(date +%s.%N)
  cargo build --release -j2 --manifest-path "$dir/Cargo.toml" --target-dir "$target" \
    >>"$dir/build.log" 2>&1 || fail "$dir/build.log"
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", e - s }'
}

if [[ ${1:-} == --check-lean ]]; then
  IFS='|' read -r name dep lib _ <<<"${rows[0]}"
  scratch "$work/lean" "$dep" "$lib"
  n=$(count_crates "$work/lean" "$lib")
  echo "$name: $n crates (budget $LEAN_MAX_CRATES)"
  if ((n > LEAN_MAX_CRATES)); then
    echo "the lean build pulls $n crates, over issue 13's budget of $LEAN_MAX_CRATES:" >&2
    cargo tree --manifest-path "$work/lean/Cargo.toml" -p "$lib" -e normal --prefix none \
      | sed 's/ (\*)$//' | sort -u >&2
    exit 1
  fi
  exit 0
fi

table="| Library and features | Crates | Clean release build, -j2 | Binary (release, stripped) |
|---|---:|---:|---:|"
notes=""
i=0
for row in "${rows[@]}"; do
  IFS='|' read -r name dep lib what <<<"$row"
  dir="$work/row$i"
  scratch "$dir" "$dep" "$lib"
  crates=$(count_crates "$dir" "$lib")
  if [[ -n $quick ]]; then
    secs="pending a quiet run"
  else
    secs="$(build_seconds "$dir" "$work/target$i") s"
  fi
  binary="n/a (library)"
  if [[ $name == "cloudcred default" ]]; then
    # The cloudcred CLI enables the default features; its binary is the default row's.
    if [[ -n $quick ]]; then
      binary="pending a quiet run"
    else
      target="$work/target-cli"
      rm -rf "$target"
      cargo build --release -j2 -p cloudcred-cli --target-dir "$target" >"$work/cli.log" 2>&1 \
        || fail "$work/cli.log"
      cp "$target/release/cloudcred" "$work/cloudcred-stripped"
      strip "$work/cloudcred-stripped"
      binary="$(du -k --apparent-size "$work/cloudcred-stripped" | cut -f1) KiB ($(du -k --apparent-size "$target/release/cloudcred" | cut -f1) KiB unstripped)"
    fi
  fi
  table+="
| $name | $crates | $secs | $binary |"
  notes+="
- **$name**: $what."
  i=$((i + 1))
done

if [[ -n $quick ]]; then
  run_kind="Quick run (\`FOOTPRINT_QUICK=1\`): crate counts only; build times: pending a quiet run."
else
  run_kind="Full run: each build from an empty target directory, \`cargo build --release -j2\`, timed by the wall clock, one after the other."
fi

cat >"$out" <<EOF
# Footprint

What depending on cloudcred costs, beside reqsign-aliyun-oss and aws-config (issue 13), written by
\`scripts/footprint.sh\` from one run on $(date -u +%Y-%m-%d) ($(nproc) cores, $(rustc --version)).
$run_kind

$table

Rows:
$notes

How it is measured: each row is a scratch crate under \`target/footprint/\` depending on the one
library. **Crates** counts the unique \`name version\` lines of
\`cargo tree -p LIBRARY -e normal --prefix none\` (the library itself included; build-only and
dev-only crates not; two versions of a crate count twice); the lean row must stay at or under
$LEAN_MAX_CRATES (\`scripts/footprint.sh --check-lean\` in CI). **Build** is the wall-clock time of
\`cargo build --release -j2\` in an empty target directory after \`cargo fetch\` (downloads not
counted). **Binary** is the \`cloudcred\` command (default features), stripped with \`strip\`; the
libraries alone have no binary.
EOF
echo "wrote $out"
cat "$out"
