#!/usr/bin/env python3
"""Signer / floor ratios measured in alternation (issue 12).

criterion measures a signer and its floor seconds apart, and on a shared virtual machine the
load moves between the two: the signers' scalar code runs up to 35 % slower while another tenant
keeps the core busy, the SHA-NI floors hardly at all, so a ratio of two separate measurements
moves by as much. Here each pair is one short run of the signer's loop and one of its floor's
(`CLOUDCRED_SIGN_LOOP`, batches of 32 as under criterion, each run printing its median time per
call), back to back and in alternating order, so both sides of a ratio see the same load.

    bench/paired_ratio.py [--pairs 21] [--run-ms 40] [case ...] > paired.json

Writes {case: {"signer_ns": median, "floor_ns": median, "ratios": [...], "median": m,
"lower_quartile": q1, "low": min, "high": max}}.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

CASES = ["oss_v4_header", "oss_v4_presign", "oss_v1_header", "oss_v1_presign",
         "rpc_assume_role", "rpc_assume_role_post", "acs3", "roa", "tablestore_v4",
         "obs_v2_header", "obs_v4_header", "obs_v4_presign", "huawei_apig"]
BATCH = 32


def bench_binary():
    out = subprocess.run(
        ["cargo", "bench", "-p", "cloudcred", "--bench", "sign", "--no-run",
         "--message-format=json"],
        capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        m = json.loads(line)
        if (m.get("reason") == "compiler-artifact" and m["target"]["name"] == "sign"
                and m.get("executable")):
            return m["executable"]
    sys.exit("paired_ratio.py: no sign bench executable")


def per_call_ns(binary, case, part, rounds):
    env = dict(os.environ, CLOUDCRED_SIGN_LOOP=f"{case}/{part}:{BATCH}:{rounds}")
    out = subprocess.run([binary], env=env, capture_output=True, text=True, check=True).stdout
    return float(out.split()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=21)
    ap.add_argument("--run-ms", type=float, default=40.0)
    ap.add_argument("cases", nargs="*", default=CASES)
    a = ap.parse_args()
    binary = bench_binary()
    result = {}
    for case in a.cases:
        # Rounds for a run of about --run-ms on each side, from a short calibration run.
        rounds = {}
        for part in ("cloudcred", "floor"):
            ns = per_call_ns(binary, case, part, 50)
            rounds[part] = max(50, int(a.run_ms * 1e6 / (ns * BATCH)))
        signer, floor, ratios = [], [], []
        for i in range(a.pairs):
            order = ("cloudcred", "floor") if i % 2 == 0 else ("floor", "cloudcred")
            t = {part: per_call_ns(binary, case, part, rounds[part]) for part in order}
            signer.append(t["cloudcred"])
            floor.append(t["floor"])
            ratios.append(t["cloudcred"] / t["floor"])
        result[case] = {
            "signer_ns": statistics.median(signer),
            "floor_ns": statistics.median(floor),
            "ratios": [round(r, 4) for r in ratios],
            "median": statistics.median(ratios),
            "lower_quartile": statistics.quantiles(ratios, n=4)[0],
            "low": min(ratios),
            "high": max(ratios),
        }
        print(f"{case:22} {result[case]['median']:.2f}x "
              f"({result[case]['low']:.2f}-{result[case]['high']:.2f})", file=sys.stderr)
    json.dump(result, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
