#!/usr/bin/env bash
# Checks the library and the command with the declared minimum Rust version (workspace
# `rust-version`), dependencies resolved for that toolchain by cargo's MSRV-aware resolver, as a
# user on that toolchain would resolve them. Works on a copy: the committed Cargo.lock (newest
# versions, for everyone else) stays as it is. `check`, not `test`: a second toolchain's build
# is costly, and the tests run on stable.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)
[ -n "$msrv" ] || { echo "no rust-version in Cargo.toml" >&2; exit 1; }
rustup toolchain install "$msrv" --profile minimal --no-self-update >/dev/null
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$copy"
cd "$copy"
# What a user builds: the packages' normal and optional dependencies. The tests' and benches'
# dev-dependencies (aws-sdk-s3, opendal, criterion, …) and the dev-only fuzzing crate are ours
# alone, and several need a newer cargo just to parse their manifests.
python3 - <<'PY'
import pathlib, re
root = pathlib.Path(".")
ws = root / "Cargo.toml"
ws.write_text(ws.read_text().replace('"crates/cloudcred-fuzzing", ', "").replace(', "crates/cloudcred-fuzzing"', ""))
for manifest in root.glob("crates/*/Cargo.toml"):
    text = manifest.read_text()
    text = re.sub(r"(?ms)^\[dev-dependencies\]\n.*?(?=^\[)", "", text + "\n[end]\n")[: -len("[end]\n")]
    manifest.write_text(text)
PY
# The resolver fallback needs cargo 1.84 or newer: the current toolchain's cargo resolves,
# the MSRV toolchain builds from that lockfile unchanged (--locked).
CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback cargo generate-lockfile --quiet
# The workspace's target directory: the other toolchain's artifacts get their own hashes there.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo "+$msrv" check --locked -p cloudcred -p cloudcred-cli
echo "cloudcred and cloudcred-cli build with Rust $msrv"
