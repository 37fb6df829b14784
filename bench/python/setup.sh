#!/usr/bin/env bash
# Creates the virtualenv of the Python peers (bench/python/requirements.txt) in VENV_DIR.
# Idempotent: a venv whose stamp matches the requirements file is left as it is.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 VENV_DIR" >&2
    exit 2
fi
venv=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
req="$here/requirements.txt"
want=$(sha256sum "$req" | cut -d' ' -f1)
stamp="$venv/.cloudcred-bench-requirements"

if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "setup.sh: $venv is up to date" >&2
    exit 0
fi

python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
# Only a complete install gets the stamp, so an interrupted one is redone next time.
echo "$want" >"$stamp"
echo "setup.sh: installed $req into $venv" >&2
