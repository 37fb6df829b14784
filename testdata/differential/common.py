"""Shared pieces of the differential generators (gen_*.py).

Every generator imports this module first: it refuses any connection that is not to loopback
(the official packages must never reach a real cloud address), gives each algorithm its own
seeded random source, and writes vectors in one shape:

    {"algorithm": ..., "generator": "gen_x.py", "packages": {"oss2": "2.19.1", ...},
     "seed": ..., "cases": [ {...}, ... ]}

A case holds its inputs, the official package's output ("official", with intermediate strings
such as the string to sign where the package exposes them) and, only where the official package
is wrong, "expected" (the correct output cloudcred gives) with "reason" citing the decision of
../../docs or the spec that settles it.
"""

import importlib.metadata
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "python"))
import netguard  # noqa: E402

netguard.install(allow_loopback=True)

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "vectors")

# Fixed credentials for every case: tokens with the `+/=` that break naive encoders.
ACCESS_KEY_ID = "LTAI5tDiffAccessKeyId01"
ACCESS_KEY_SECRET = "diffSecret+/=0123456789abcdefXYZ"
SECURITY_TOKEN = "CAIS+diff/token==AbCdEf0123456789+/="


def rng(algorithm, seed=20261202):
    """A random source of its own per algorithm, so adding cases to one leaves the others alone."""
    return random.Random(f"{seed}:{algorithm}")


def versions(*packages):
    return {p: importlib.metadata.version(p) for p in packages}


# Characters object keys, header values and query values are drawn from: unicode, spaces and
# every character the encoders treat specially.
KEY_CHARS = "abcXYZ019-_.~ +%=&?#/!*'()[]@:;,$éü中文🙂\t"


def random_text(r, chars=KEY_CHARS, lo=1, hi=24):
    return "".join(r.choice(chars) for _ in range(r.randint(lo, hi)))


def write(algorithm, generator, packages, cases, seed=20261202, notes=None):
    os.makedirs(VECTORS, exist_ok=True)
    doc = {
        "algorithm": algorithm,
        "generator": generator,
        "packages": packages,
        "seed": seed,
        "count": len(cases),
        "cases": cases,
    }
    if notes:
        doc["notes"] = notes
    path = os.path.join(VECTORS, f"{algorithm}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1, sort_keys=False)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.relpath(path, HERE)}", file=sys.stderr)
