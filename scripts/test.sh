#!/usr/bin/env bash
# All tests: unit, integration, property and CLI tests of every crate, plus the benches compiled
# (not run: performance claims live in `cargo bench`, never in timed tests).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --all-targets
cargo test --workspace --doc
