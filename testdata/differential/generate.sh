#!/usr/bin/env bash
# Regenerates the differential vectors: installs the pinned official packages
# (requirements.txt) in a virtualenv under target/, then runs every gen_*.py (or only the
# ones named: `generate.sh gen_oss.py`). Each generator refuses any non-loopback connection,
# draws its cases from a fixed seed and writes vectors/<algorithm>.json. `cargo test` replays
# the committed vectors; nothing here runs in CI.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${DIFFERENTIAL_VENV:-$root/target/differential-venv}
req="$here/requirements.txt"
want=$(sha256sum "$req" | cut -d' ' -f1)
stamp="$venv/.cloudcred-differential-requirements"
if ! [ -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    echo "$want" >"$stamp"
fi
cd "$here"
if [ $# -gt 0 ]; then gens=("$@"); else gens=(gen_*.py); fi
for gen in "${gens[@]}"; do
    echo "== $gen" >&2
    "$venv/bin/python" "$gen"
done
