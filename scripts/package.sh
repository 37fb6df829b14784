#!/usr/bin/env bash
# Packages every crate as `cargo publish` would (without the verifying build) and fails on any
# warning, on a package of 1 MB or more, and on a test, bench, fuzz or test-data file in one.
# The one expected notice is cargo's "ignoring test/benchmark … is not included in the
# published package": it is the `exclude` of tests and benches working, and cargo has no way
# to exclude a target's file without saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Not --quiet: it hides the warnings.
# cloudcred-fuzzing is `publish = false`: a dev-only crate of the workspace, never packaged.
cargo package --workspace --exclude cloudcred-fuzzing --no-verify --allow-dirty 2>"$log" || { cat "$log" >&2; exit 1; }
unexpected=$(grep -E '^(warning|error)' "$log" |
  grep -v -E '^warning: ignoring (test|benchmark) `[A-Za-z0-9_-]+` as `(tests|benches)/[A-Za-z0-9_./-]+` is not included in the published package$' || true)
if [ -n "$unexpected" ]; then
  echo "cargo package printed more than the excluded-target notices:" >&2
  echo "$unexpected" >&2
  exit 1
fi
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml)
for crate in cloudcred cloudcred-cli cloudcred-fakecloud; do
  file="$target/package/$crate-$version.crate"
  size=$(stat -c %s "$file")
  files=$(cargo package -p "$crate" --list --allow-dirty 2>/dev/null)
  echo "$crate: $size bytes, $(echo "$files" | wc -l) files"
  [ "$size" -lt 1000000 ] || { echo "$file is 1 MB or more" >&2; exit 1; }
  for required in LICENSE README.md Cargo.toml src/lib.rs; do
    grep -qx "$required" <<<"$files" || { echo "$crate lacks $required" >&2; exit 1; }
  done
  if grep -E '^(tests|benches|fuzz|testdata|proptest-regressions)/' <<<"$files"; then
    echo "$crate packages test, bench or fuzz files (above)" >&2
    exit 1
  fi
done
