#!/usr/bin/env bash
# Instructions per signature of every signer and its floor (issue 12), counted by callgrind.
#
#   bench/callgrind_sign.sh [case ...]     # default: every case of benches/sign.rs
#   CALLGRIND_JSON=out.json bench/callgrind_sign.sh   # also writes {case: {signer, floor,
#                                   signer_hash, floor_hash}} there (the last two: instructions
#                                   inside the SHA-1/SHA-256/MD5 block compressions)
#
# Instruction counts do not move with machine load, unlike criterion's times, so they are the
# evidence for a change in the signers. Each case runs N times inside the `measured` function of
# benches/sign.rs; requests are built before it and dropped after it, outside the count.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200}
BIN=$(cargo bench -p cloudcred --bench sign --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "sign" and m.get("executable"):
        print(m["executable"])')
CASES=("$@")
if [[ ${#CASES[@]} -eq 0 ]]; then
  CASES=(oss_v4_header oss_v4_presign oss_v1_header oss_v1_presign rpc_assume_role
         rpc_assume_role_post acs3 roa tablestore_v4 obs_v2_header obs_v4_header obs_v4_presign
         huawei_apig)
fi
# The instructions inside the hash functions' block compressions (inclusive), so that the
# report can tell a signer's hashing from the rest of its work.
hashing() {
  callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null | python3 -c '
import re, sys
# Per family the outermost compression function (its inclusive count holds the inner ones).
best = {}
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) \(.*?\)\s+\S*?:(sha1::compress::\S*compress|sha2::sha256::compress256|md5::compress::\S*compress) ", line)
    if m:
        family = m.group(2).split("::")[0]
        best[family] = max(best.get(family, 0), int(m.group(1).replace(",", "")))
print(sum(best.values()))'
}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
printf '%-22s %12s %12s %8s\n' case signer floor ratio
: > "$OUT/rows"
for c in "${CASES[@]}"; do
  declare -A ir=()
  for part in cloudcred floor; do
    CLOUDCRED_SIGN_LOOP="$c/$part:$N" valgrind --tool=callgrind --collect-atstart=no \
      --toggle-collect='*measured*' --callgrind-out-file="$OUT/$c.$part" "$BIN" >/dev/null 2>&1
    ir[$part]=$(awk '/^(summary|totals):/ {print $2; exit}' "$OUT/$c.$part")
  done
  python3 -c "import sys; s,f,n=int(sys.argv[1]),int(sys.argv[2]),int(sys.argv[3]); print(f'{sys.argv[4]:<22} {s//n:>12} {f//n:>12} {s/f:>7.2f}x')" \
    "${ir[cloudcred]}" "${ir[floor]}" "$N" "$c"
  echo "$c ${ir[cloudcred]} ${ir[floor]} $(hashing "$OUT/$c.cloudcred") $(hashing "$OUT/$c.floor")" \
    >> "$OUT/rows"
done
if [[ -n "${CALLGRIND_JSON:-}" ]]; then
  python3 -c 'import json,sys
n=int(sys.argv[1]); rows={}
for l in open(sys.argv[2]):
    c,s,f,sh,fh=l.split()
    rows[c]={"signer":int(s)//n,"floor":int(f)//n,"signer_hash":int(sh)//n,"floor_hash":int(fh)//n}
json.dump(rows,open(sys.argv[3],"w"),indent=1)' "$N" "$OUT/rows" "$CALLGRIND_JSON"
fi
