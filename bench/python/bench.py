"""The Python peers of cloudcred's benchmarks (issue 6): cached credential reads with the official
credentials SDK, and OSS/RPC/OBS signing with oss2, the SDKs' RPC signers and esdk-obs-python.

Prints one JSON object on stdout: the median over repeats of the time per operation, in
nanoseconds, for each figure, with the details (repeats, operations per repeat, every repeat's
figure, package versions) under "details". Run it with the venv's interpreter (setup.sh).

The inputs are those of crates/cloudcred/benches/sign.rs (bucket, key, headers, region, keys);
the RPC and OBS inputs, which that bench does not cover yet, are the constants below so a Rust
bench can use the same ones.

Nothing here touches the network: the credential reads run in child processes whose environment
is built from scratch (AccessKey in the environment or an INI profile in a temporary HOME, ECS
metadata disabled, no credentials URI, no OIDC); the signers compute strings and HMACs only; and
netguard refuses every outgoing connection in both parent and children.
"""

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import timeit

import netguard

AK_ID = "LTAI5tExampleAccessKey"
AK_SECRET = "ExampleAccessKeySecretValue0123"

# sign.rs: URL https://examplebucket.oss.example.invalid/dir/photo%201.jpg?versionId=v1
BUCKET = "examplebucket"
REGION = "cn-hangzhou"
OSS_ENDPOINT = "https://oss.example.invalid"
OSS_URL = "https://examplebucket.oss.example.invalid/dir/photo%201.jpg"
KEY = "dir/photo 1.jpg"
VERSION_ID = "v1"
OSS_HEADERS = {
    "host": "examplebucket.oss.example.invalid",
    "content-type": "image/jpeg",
    "x-oss-meta-author": "alice",
}
PRESIGN_EXPIRES = 3600

# An STS AssumeRole request as the credentials SDK's RamRoleArnCredentialsProvider builds it,
# with the time and nonce pinned (the Rust signers take both as arguments).
RPC_METHOD = "GET"
RPC_ASSUME_ROLE = {
    "Action": "AssumeRole",
    "Format": "JSON",
    "Version": "2015-04-01",
    "DurationSeconds": "3600",
    "RoleArn": "acs:ram::1234567890123456:role/bench-role",
    "RoleSessionName": "cloudcred-bench",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureVersion": "1.0",
    "Timestamp": "2024-05-06T07:08:09Z",
    "SignatureNonce": "3b7c2f9e-5a1d-4c8b-9e2f-0a1b2c3d4e5f",
    "AccessKeyId": AK_ID,
}

# OBS: the same object as OSS, a PUT with the OBS meta prefix.
OBS_SERVER = "https://obs.example.invalid"
OBS_HEADERS = {
    "Host": "examplebucket.obs.example.invalid",
    "Content-Type": "image/jpeg",
    "x-obs-meta-author": "alice",
}
OBS_AWS_HEADERS = {
    "Host": "examplebucket.obs.example.invalid",
    "Content-Type": "image/jpeg",
    "x-amz-meta-author": "alice",
}

# The INI profile of crates/cloudcred/benches/hot_path.rs.
HOT_PATH_PROFILE = (
    "[default]\ntype = access_key\naccess_key_id = LTAIBENCH\naccess_key_secret = bench-secret\n"
)


def calibrate(timer, min_time):
    """Operations per repeat so that one repeat lasts at least `min_time` seconds."""
    number, elapsed = timer.autorange()
    return max(1, int(number * min_time / elapsed) + 1)


def summarize(per_op_ns, number):
    return {
        "median_ns": round(statistics.median(per_op_ns), 1),
        "ops_per_repeat": number,
        "repeats_ns": [round(x, 1) for x in per_op_ns],
    }


def bench_call(stmt, namespace, repeats, min_time):
    """timeit over `stmt`, which must not mutate its inputs."""
    timer = timeit.Timer(stmt, globals=namespace)
    number = calibrate(timer, min_time)
    times = timer.repeat(repeat=repeats, number=number)
    return summarize([t * 1e9 / number for t in times], number)


def bench_fresh_input(make, stmt, namespace, repeats, min_time):
    """timeit over `stmt` applied to a fresh input `item` each time, built outside the timing.

    Each repeat builds its list of inputs in timeit's untimed setup, then times one pass over
    it, as criterion's iter_batched does for the Rust signers that mutate the request.
    """
    ns = dict(namespace, make=make)
    probe = timeit.Timer(f"for item in items: {stmt}", setup="items = make(1000)", globals=ns)
    per_op = probe.timeit(number=1) / 1000
    number = max(1000, int(min_time / per_op) + 1)
    timer = timeit.Timer(f"for item in items: {stmt}", setup=f"items = make({number})", globals=ns)
    times = timer.repeat(repeat=repeats, number=1)
    return summarize([t * 1e9 / number for t in times], number)


def bench_two_threads(fn, number, repeats):
    """Two threads each call `fn` `number` times at once; per-op time = wall / `number`."""
    per_op = []
    for _ in range(repeats):
        start = threading.Barrier(3)

        def worker():
            start.wait()
            for _ in itertools.repeat(None, number):
                fn()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        start.wait()
        t0 = timeit.default_timer()
        for t in threads:
            t.join()
        per_op.append((timeit.default_timer() - t0) * 1e9 / number)
    return summarize(per_op, number)


# ---------------------------------------------------------------------------- cached credential


def cached_child(variant, repeats, min_time):
    """Runs in a child whose environment the parent built: the SDK reads it at import."""
    from alibabacloud_credentials.client import Client

    client = Client()
    first = client.get_credential()
    expected = AK_ID if variant == "env" else "LTAIBENCH"
    if first.access_key_id != expected:
        raise SystemExit(f"resolved the wrong credentials for {variant}: {first.provider_name}")
    one = bench_call("get()", {"get": client.get_credential}, repeats, min_time)
    two = bench_two_threads(client.get_credential, one["ops_per_repeat"], repeats)
    return {"provider_name": first.provider_name, "1t": one, "2t": two}


def child_env(home, variant):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
    }
    if variant == "env":
        env["ALIBABA_CLOUD_ACCESS_KEY_ID"] = AK_ID
        env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = AK_SECRET
    return env


def run_cached(variant, repeats, min_time):
    with tempfile.TemporaryDirectory(prefix="cloudcred-pybench-") as home:
        if variant == "profile":
            os.makedirs(os.path.join(home, ".alibabacloud"))
            # The Python SDK's default profile file is credentials.ini (cloudcred's: credentials).
            with open(os.path.join(home, ".alibabacloud", "credentials.ini"), "w") as f:
                f.write(HOT_PATH_PROFILE)
        out = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--child", variant,
             "--repeat", str(repeats), "--min-time", str(min_time)],
            env=child_env(home, variant),
            stdout=subprocess.PIPE,
            check=True,
        )
    return json.loads(out.stdout)


# ---------------------------------------------------------------------------------------- signing


def bench_oss(repeats, min_time):
    import oss2
    from oss2 import http as oss_http

    results = {}
    auth_v4 = oss2.AuthV4(AK_ID, AK_SECRET)

    def put_requests(n):
        return [
            oss_http.Request("PUT", OSS_URL, headers=OSS_HEADERS, params={"versionId": VERSION_ID},
                             region=REGION, product="oss")
            for _ in range(n)
        ]

    # What Bucket._do calls before sending: auth._sign_request(req, bucket_name, key).
    sample = put_requests(1)[0]
    auth_v4._sign_request(sample, BUCKET, KEY)
    want = f"OSS4-HMAC-SHA256 Credential={AK_ID}/"
    if not sample.headers["authorization"].startswith(want) or "/cn-hangzhou/oss/" not in \
            sample.headers["authorization"]:
        raise SystemExit("oss2 V4 did not produce an OSS4-HMAC-SHA256 authorization")
    results["sign_oss_v4_header"] = bench_fresh_input(
        put_requests, "sign(item, B, K)",
        {"sign": auth_v4._sign_request, "B": BUCKET, "K": KEY}, repeats, min_time)

    # Bucket.sign_url is the public V1 presign: it builds the request and calls Auth._sign_url.
    bucket = oss2.Bucket(oss2.Auth(AK_ID, AK_SECRET), OSS_ENDPOINT, BUCKET)
    get_headers = {k: v for k, v in OSS_HEADERS.items() if k != "host"}
    url = bucket.sign_url("GET", KEY, PRESIGN_EXPIRES, headers=get_headers,
                          params={"versionId": VERSION_ID}, slash_safe=True)
    if not url.startswith(OSS_URL + "?versionId=v1&OSSAccessKeyId=") or "Signature=" not in url:
        raise SystemExit("oss2 V1 presign did not produce a signed URL of the expected form")
    results["sign_oss_v1_presign"] = bench_call(
        "presign('GET', K, E, headers=H, params={'versionId': V}, slash_safe=True)",
        {"presign": bucket.sign_url, "K": KEY, "E": PRESIGN_EXPIRES, "H": get_headers,
         "V": VERSION_ID},
        repeats, min_time)
    return results


def bench_rpc(repeats, min_time):
    from alibabacloud_credentials.utils import parameter_helper as ph
    from alibabacloud_openapi_util.client import Client as OpenApiUtil

    # The credentials SDK's own STS signing (RamRoleArnCredentialsProvider._refresh_credentials):
    # compose_string_to_sign, then sign_string keyed with "secret&".
    ns = {"compose": ph.compose_string_to_sign, "sign": ph.sign_string, "M": RPC_METHOD,
          "Q": RPC_ASSUME_ROLE, "S": AK_SECRET}
    stmt = "sign(compose(M, Q), S + '&')"
    ours = eval(stmt, ns)
    theirs = OpenApiUtil.get_rpcsignature(RPC_ASSUME_ROLE, RPC_METHOD, AK_SECRET)
    # Both encoders agree on these inputs (no space, '*' or '~'), so both sign the same string.
    if ours != theirs:
        raise SystemExit("the two Python RPC signers disagree on the AssumeRole inputs")
    return {
        "sign_rpc_assume_role": bench_call(stmt, ns, repeats, min_time),
        "sign_rpc_assume_role_openapi_util": bench_call(
            "rpc(Q, M, S)",
            {"rpc": OpenApiUtil.get_rpcsignature, "Q": RPC_ASSUME_ROLE, "M": RPC_METHOD,
             "S": AK_SECRET},
            repeats, min_time),
    }


def bench_obs(repeats, min_time):
    try:
        from obs import ObsClient
    except ImportError as e:
        return {"sign_obs_v2": None, "sign_obs_v2_aws": None,
                "null_reason": f"esdk-obs-python does not import: {e}"}
    results = {}
    for name, signature, headers, scheme in (
        ("sign_obs_v2", "obs", OBS_HEADERS, "OBS"),
        ("sign_obs_v2_aws", "v2", OBS_AWS_HEADERS, "AWS"),
    ):
        # No negotiation: with it the client would ask the server which signature to use.
        client = ObsClient(access_key_id=AK_ID, secret_access_key=AK_SECRET, server=OBS_SERVER,
                           signature=signature, is_signature_negotiation=False)

        def fresh_headers(n, headers=headers):
            return [dict(headers) for _ in range(n)]

        # _add_auth_headers is what every ObsClient request calls to sign: Date, then the
        # V2 Authorization header.
        sample = client._add_auth_headers(dict(headers), "PUT", BUCKET, KEY,
                                          {"versionId": VERSION_ID})
        if not sample["Authorization"].startswith(f"{scheme} {AK_ID}:"):
            raise SystemExit(f"esdk-obs-python did not sign with {scheme}")
        results[name] = bench_fresh_input(
            fresh_headers, "sign(item, 'PUT', B, K, {'versionId': V})",
            {"sign": client._add_auth_headers, "B": BUCKET, "K": KEY, "V": VERSION_ID},
            repeats, min_time)
        client.close()
    return results


def versions():
    from importlib.metadata import version

    out = {"python": sys.version.split()[0]}
    for pkg in ("alibabacloud-credentials", "oss2", "alibabacloud-openapi-util",
                "esdk-obs-python"):
        try:
            out[pkg] = version(pkg)
        except Exception:
            out[pkg] = None
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="repeats per figure (median)")
    parser.add_argument("--min-time", type=float, default=0.2,
                        help="seconds each repeat lasts at least")
    parser.add_argument("--child", choices=("env", "profile"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    netguard.install(allow_loopback=False)

    if args.child:
        json.dump(cached_child(args.child, args.repeat, args.min_time), sys.stdout)
        return

    env = run_cached("env", args.repeat, args.min_time)
    profile = run_cached("profile", args.repeat, args.min_time)
    oss = bench_oss(args.repeat, args.min_time)
    rpc = bench_rpc(args.repeat, args.min_time)
    obs = bench_obs(args.repeat, args.min_time)

    details = {
        "get_cached_1t": env["1t"],
        "get_cached_2t": env["2t"],
        "get_cached_profile_1t": profile["1t"],
        "get_cached_profile_2t": profile["2t"],
        "provider_name_env": env["provider_name"],
        "provider_name_profile": profile["provider_name"],
    }
    figures = {}
    for name in ("get_cached_1t", "get_cached_2t", "get_cached_profile_1t",
                 "get_cached_profile_2t"):
        figures[name] = details[name]["median_ns"]
    null_reason = obs.pop("null_reason", None)
    for name, result in itertools.chain(oss.items(), rpc.items(), obs.items()):
        figures[name] = None if result is None else result["median_ns"]
        details[name] = result
    if null_reason:
        details["sign_obs_v2_null_reason"] = null_reason
    figures["unit"] = "ns/op (median of repeats)"
    figures["repeats"] = args.repeat
    figures["versions"] = versions()
    figures["details"] = details
    json.dump(figures, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
