#!/usr/bin/env bash
# Issue 6: every benchmark of the report in one run, then docs/benchmarks.md from the results.
#
#   bench/run.sh            # the report (about 10 minutes on 2 cores)
#   BENCH_QUICK=1 bench/run.sh   # shorter criterion and process runs, for a look while developing
#
# Everything runs on this machine, offline but for the package registries (the Python peers are
# installed into a virtualenv under target/ on first use). Nothing contacts a cloud address: the
# Rust side talks to the fake cloud on 127.0.0.1, the Python side runs behind bench/python/netguard.py.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

OUT=target/bench-report
VENV=${BENCH_VENV:-target/bench-venv}
if [[ -n "${BENCH_QUICK:-}" ]]; then
  CRIT=(--warm-up-time 0.5 --measurement-time 1 --noplot)
  RUNS=10
else
  CRIT=(--warm-up-time 2 --measurement-time 5 --noplot)
  RUNS=50
fi
rm -rf "$OUT" target/criterion
mkdir -p "$OUT"
cut -d' ' -f1-3 /proc/loadavg > "$OUT/load_start"

echo "== build (release)" >&2
cargo build --release -p cloudcred-cli -p cloudcred-fakecloud >&2
cargo bench -p cloudcred --no-run >&2

echo "== Python peers (virtualenv $VENV)" >&2
bench/python/setup.sh "$VENV" >&2

echo "== criterion: cached get (1 and 2 threads)" >&2
cargo bench -p cloudcred --bench hot_path -- "${CRIT[@]}" >&2
echo "== criterion: signing, cloudcred and reqsign" >&2
cargo bench -p cloudcred --bench sign -- "${CRIT[@]}" >&2
echo "== callgrind: instructions per signature and per floor" >&2
CALLGRIND_JSON="$PWD/$OUT/callgrind.json" bench/callgrind_sign.sh >&2
echo "== signer / floor in alternation (paired ratios)" >&2
python3 bench/paired_ratio.py > "$OUT/paired.json"
echo "== scenarios: refresh storm, metadata requests, off-cloud chain, allocations" >&2
CLOUDCRED_BENCH_JSON="$PWD/$OUT/scenarios.json" cargo bench -p cloudcred --bench scenarios >&2

echo "== Python: cached get and signing" >&2
if [[ -n "${BENCH_QUICK:-}" ]]; then
  "$VENV/bin/python" bench/python/bench.py --repeat 3 --min-time 0.05 > "$OUT/python.json"
else
  "$VENV/bin/python" bench/python/bench.py > "$OUT/python.json"
fi
echo "== Python: metadata requests per refresh (against the fake cloud)" >&2
"$VENV/bin/python" bench/python/imds_count.py target/release/cloudcred-fakecloud > "$OUT/python_imds.json"

echo "== processes: start-up, off-cloud, memory" >&2
python3 bench/process.py --cloudcred target/release/cloudcred --python "$VENV/bin/python" \
  --runs "$RUNS" > "$OUT/process.json"

cut -d' ' -f1-3 /proc/loadavg > "$OUT/load_end"
python3 bench/report.py --results "$OUT" --criterion target/criterion > docs/benchmarks.md
echo "wrote docs/benchmarks.md" >&2
