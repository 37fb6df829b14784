"""Differential vectors for OSS V1 and OSS V4 (header and presigned forms), signed by oss2 2.19.1.

Each case is drawn from the algorithm's own seeded source: object keys with unicode, spaces,
`+ ~ % = /` and `.`/`..` segments; query parameters from the union of the official SDKs'
sub-resource lists, `x-oss-` names and unknown names (odd case, with and without values);
`x-oss-`/`x-acs-`/`x-obs-` headers with odd case and inner/outer whitespace; with and without a
security token; every method; random signing times and expiries. The signature comes from
oss2's own code (`ProviderAuth` / `ProviderAuthV4` through `Auth`, `StsAuth`, `AuthV4`: the
`_sign_request` / `_sign_url` entry points with an `oss2.http.Request`); wrappers around oss2's
private `__get_bytes_to_sign`, `__get_canonical_request_bytes` and `__get_string_to_sign_bytes`
capture the intermediate strings, and oss2's time sources (`time.time`, `datetime.utcnow`) are
frozen at the case's time. No request is sent.

Where oss2 is wrong, the case also holds "expected": oss2 run again on corrected inputs (never a
re-implementation, never cloudcred), with "reason" naming the decision:

- S5 / signing.md 6.2: header values are trimmed of outer SP/HTAB before signing. oss2 signs
  them raw, but HTTP (RFC 9110 5.5) strips that whitespace on the wire, so the service computes
  its string from the trimmed value. Correction: the same request with trimmed values.
- S4: a query name is a sub-resource when any official SDK signs it (oss2, Go v2, Java,
  Python v2: the lists below) or it starts with `x-oss-` (Go v2 rule). oss2 2.19.1 knows only
  its own list. Correction: oss2's `_subresource_key_set` extended with those names.
- S6 / S7 (V4 header form): oss2 writes `Credential=…, Signature=…, AdditionalHeaders=…` with
  the additional list sorted by its first character only; the v2 SDKs write
  `Credential=…,AdditionalHeaders=…,Signature=…` with the full lower-cased sort. Correction:
  the corrected run's Authorization rewritten in that layout.
- 6.2 (V4 header form): oss2's `_sign_request` takes the caller's additional header names as
  given (duplicates kept, absent headers listed); the v2 SDKs and cloudcred keep the names
  present in the request, lower-cased and de-duplicated. Correction: that filtered list passed
  to oss2.
"""

import os
import sys

# oss2's presigner and the additional-header filter iterate Python sets: fix the hash seed so
# regenerating gives the same vectors.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import datetime as _dt  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402

import common  # noqa: E402  (installs the loopback-only network guard)
import oss2  # noqa: E402
import oss2.auth  # noqa: E402
import oss2.http  # noqa: E402

GENERATOR = "gen_oss.py"
CASES = 320
REGION = "cn-hangzhou"
ENDPOINT = "oss-cn-hangzhou.aliyuncs.com"
MAX_V4_EXPIRES = 604800

# The other official SDKs' V1 sub-resource lists (S4), as their sources define them; oss2's own
# list is read from the installed package (`ProviderAuth._subresource_key_set`).
GO_V2_FIXED = """acl bucketInfo location stat delete append tagging objectMeta uploads uploadId partNumber
security-token position response-content-type response-content-language response-expires
response-cache-control response-content-disposition response-content-encoding restore callback
callback-var versions versioning versionId sequential continuation-token regionList cloudboxes
symlink""".split()  # alibabacloud-oss-go-sdk-v2 b3226d1 oss/signer/v1.go requiredSignedParametersMap
GO_V2_PER_OPERATION = """accessPoint accessPointConfigForObjectProcess accessPointForObjectProcess
accessPointPolicy accessPointPolicyForObjectProcess bucketArchiveDirectRead cleanRestoredObject
cloudboxes cname comp cors encryption httpsConfig inventory inventoryId legalHold lifecycle logging
metaQuery objectWorm overwriteConfig policy policyStatus publicAccessBlock redundancyTransition
referer regions replication replicationLocation replicationProgress requestPayment resourceGroup
retention rtc seal style styleName tagging transferAcceleration userDefinedLogFieldsConfig website
worm wormExtend wormId x-oss-write-get-object-response""".split()  # oss/api_op_*.go signer.SubResource
JAVA = """accessPoint accessPointPolicy acl append asyncFetch bucketArchiveDirectRead bucketInfo callback
callback-var cname comp continuation-token cors delete encryption endTime httpsConfig img inventory
inventoryId lifecycle live location logging metaQuery objectMeta partNumber policy policyStatus
position processConfiguration publicAccessBlock qos qosInfo redundancyTransition referer regionList
replication replicationLocation replicationProgress requestPayment resourceGroup
response-cache-control response-content-disposition response-content-encoding
response-content-language response-content-type response-expires restore seal security-token
sequential startTime stat status style styleName symlink tagging transferAcceleration udf
udfApplication udfApplicationLog udfImage udfImageDesc udfName uploadId uploads versionId versioning
versions vip vod vpcip website worm wormExtend wormId x-oss-ac-forward-allow x-oss-ac-source-ip
x-oss-ac-subnet-mask x-oss-ac-vpc-id x-oss-async-process x-oss-delete x-oss-dir x-oss-process
x-oss-redundancy-transition-taskid x-oss-rename x-oss-request-payer x-oss-target-redundancy-type
x-oss-traffic-limit x-oss-write-get-object-response""".split()  # aliyun-oss-java-sdk 44426bf SignParameters
PY_V2 = """acl bucketInfo location stat delete append tagging objectMeta uploads uploadId partNumber
security-token position response-content-type response-content-language response-expires
response-cache-control response-content-disposition response-content-encoding restore callback
callback-var versions versioning versionId sequential continuation-token regionList cloudboxes
symlink resourceGroup MetaQuery dataPipeline accessPoint accessPointPolicy bucketArchiveDirectRead
cleanRestoredObject cname comp cors encryption httpsConfig inventory inventoryId legalHold
lifecycle logging metaQuery objectWorm overwriteConfig policy policyStatus publicAccessBlock
redundancyTransition referer replication replicationLocation replicationProgress requestPayment
retention rtc seal style styleName transferAcceleration userDefinedLogFieldsConfig website worm
wormExtend wormId""".split()  # alibabacloud-oss-python-sdk-v2 ebe9a43 SignerV1 + operations' sub-resource
OSS2 = sorted(oss2.auth.ProviderAuth._subresource_key_set)
UNION = sorted(set(OSS2) | set(GO_V2_FIXED) | set(GO_V2_PER_OPERATION) | set(JAVA) | set(PY_V2))

# Names the presigners write themselves: a caller's parameter of that name would be replaced.
V1_PRESIGN_OWN = {"OSSAccessKeyId", "Expires", "Signature", "security-token"}
V4_OWN = {
    "x-oss-signature-version", "x-oss-date", "x-oss-expires", "x-oss-credential",
    "x-oss-signature", "x-oss-additional-headers", "x-oss-security-token",
}
UNKNOWN_PARAMS = [
    "ACL", "Acl", "UploadId", "uploadid", "Style", "stylename", "STYLENAME", "max-keys", "prefix",
    "marker", "delimiter", "encoding-type", "foo", "a b", "+plus", "x/y", "ä", "中文", "tilde~",
    "pct%", "eq=", "X-Oss-Process", "X-OSS-TRAFFIC-LIMIT",
]
METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH"]
VALUE_CHARS = common.KEY_CHARS.replace("\t", "")
HEADER_CHARS = "abcXYZ019-_.~+%=&?#/!*'()[]@:;,$ éü中文🙂"
# Outer whitespace: HTTP's SP and HTAB (trimmed by the service's HTTP parser), and two Unicode
# spaces that HTTP keeps (a trim that strips them would sign another value than OSS sees).
OUTER_SPACE = [" ", "  ", "\t", " \t ", "\u00a0", "\u3000"]


class Capture:
    """Wraps oss2's private canonicalisation steps to record what they return."""

    def __init__(self):
        self.seen = {}

    def wrap(self, cls, name, field):
        original = getattr(cls, name)

        def wrapper(*args, **kwargs):
            out = original(*args, **kwargs)
            self.seen[field] = out.decode("utf-8") if isinstance(out, bytes) else out
            return out

        setattr(cls, name, wrapper)


CAPTURE = Capture()
CAPTURE.wrap(oss2.auth.ProviderAuth, "_ProviderAuth__get_bytes_to_sign", "string_to_sign")
CAPTURE.wrap(oss2.auth.ProviderAuthV4, "_ProviderAuthV4__get_canonical_request_bytes", "canonical_request")
CAPTURE.wrap(oss2.auth.ProviderAuthV4, "_ProviderAuthV4__get_string_to_sign_bytes", "string_to_sign")

NOW = [0]
time.time = lambda: float(NOW[0])


class FrozenDatetime(_dt.datetime):
    @classmethod
    def utcnow(cls):
        return _dt.datetime.fromtimestamp(NOW[0], _dt.timezone.utc).replace(tzinfo=None)


oss2.auth.datetime = FrozenDatetime


def pick_key(r):
    """An object key: random segments, some `.`/`..`, never a whole key of dots alone."""
    while True:
        segments = []
        for _ in range(r.randint(1, 4)):
            roll = r.random()
            if roll < 0.12:
                segments.append("..")
            elif roll < 0.2:
                segments.append(".")
            else:
                segments.append(common.random_text(r, hi=8))
        key = "/".join(segments)
        if key.strip() and key not in (".", "..") and not key.startswith("?"):
            return key


def pick_value(r):
    roll = r.random()
    if roll < 0.25:
        return None  # key-only (`?acl`)
    if roll < 0.35:
        return ""
    return common.random_text(r, VALUE_CHARS, hi=10)


def pick_params(r, own):
    params = {}
    for _ in range(r.choice([0, 1, 1, 2, 2, 3, 4])):
        roll = r.random()
        if roll < 0.5:
            name = r.choice(UNION)
        elif roll < 0.65:
            name = "x-oss-" + r.choice(["process", "traffic-limit", "ac-vpc-id", "meta-q", "custom"]) \
                + ("-" + common.random_text(r, "abcxyz019", 1, 3) if r.random() < 0.5 else "")
        else:
            name = r.choice(UNKNOWN_PARAMS)
        if name in own or name in params:
            continue
        params[name] = pick_value(r)
    return list(params.items())


def header_value(r):
    core = common.random_text(r, HEADER_CHARS, hi=10).strip(" ")
    if not core:
        core = "v"
    if r.random() < 0.3:
        mid = len(core) // 2
        core = core[:mid] + r.choice(["  ", "\t", " \t "]) + core[mid:] + "x"
    return outer_space(r, core)


def outer_space(r, value, http_only=False):
    """`value`, sometimes with whitespace before or after it."""
    spaces = OUTER_SPACE[:4] if http_only else OUTER_SPACE
    if r.random() < 0.2:
        value = r.choice(spaces) + value
    if r.random() < 0.2:
        value = value + r.choice(spaces)
    return value


def odd_case(r, name):
    return "".join(c.upper() if r.random() < 0.4 else c for c in name)


def pick_headers(r, form, v4):
    headers = {}
    for _ in range(r.randint(0, 4)):
        roll = r.random()
        if roll < 0.55:
            name = "x-oss-meta-" + common.random_text(r, "abcxyz019-", 1, 6)
        elif roll < 0.65:
            name = r.choice(["x-oss-storage-class", "x-oss-object-acl", "x-oss-tagging", "x-oss-forbid-overwrite"])
        elif roll < 0.8:
            name = r.choice(["x-acs-", "x-obs-"]) + common.random_text(r, "abcxyz", 1, 5)
        else:
            name = r.choice(["range", "if-modified-since", "x-custom", "abc", "zabc", "cache-control"])
        name = odd_case(r, name)
        if name.lower() in {h.lower() for h in headers}:
            continue
        headers[name] = header_value(r)
    if r.random() < 0.4:
        headers[odd_case(r, "content-type")] = outer_space(r, r.choice(["text/plain", "application/octet-stream", "image/jpeg"]))
    if r.random() < 0.25:
        headers[odd_case(r, "content-md5")] = outer_space(r, "1B2M2Y8AsgTpgAmY7PhCfg==")
    if form == "header" and not v4 and r.random() < 0.15:
        headers["x-oss-date"] = outer_space(r, oss2.utils.http_date(NOW[0] + r.randint(-900, 900)), http_only=True)
    return headers


def trimmed(headers):
    return {k: v.strip(" \t") for k, v in headers.items()}


def request(method, bucket, key, params, headers, v4, cloudbox):
    url = f"https://{bucket}.{ENDPOINT}/{urllib.parse.quote(key, safe='')}" if bucket else f"https://{ENDPOINT}"
    return oss2.http.Request(
        method, url,
        params={k: ("" if v is None and v4 else v) for k, v in params},
        headers=dict(headers),
        region=REGION,
        product="oss-cloudbox" if cloudbox else "oss",
        cloudbox_id=cloudbox,
    )


def auth_for(token, v4):
    if token and v4:
        # StsAuth's wrappers drop `in_additional_headers`: use the V4 class it wraps.
        return oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(
            common.ACCESS_KEY_ID, common.ACCESS_KEY_SECRET, common.SECURITY_TOKEN))
    if token:
        return oss2.StsAuth(common.ACCESS_KEY_ID, common.ACCESS_KEY_SECRET, common.SECURITY_TOKEN,
                            auth_version="v4" if v4 else "v1")
    if v4:
        return oss2.AuthV4(common.ACCESS_KEY_ID, common.ACCESS_KEY_SECRET)
    return oss2.Auth(common.ACCESS_KEY_ID, common.ACCESS_KEY_SECRET)


def run(case, headers, additional=None, subresources=None):
    """One signature by oss2 for `case` with these headers; the strings it produced."""
    v4 = case["algorithm"].startswith("oss_v4")
    saved = oss2.auth.ProviderAuth._subresource_key_set
    if subresources is not None:
        oss2.auth.ProviderAuth._subresource_key_set = frozenset(subresources)
    try:
        CAPTURE.seen = {}
        req = request(case["method"], case["bucket"], case["key"], case["params"], headers, v4, case.get("cloudbox"))
        auth = auth_for(case["token"], v4)
        out = dict()
        if case["form"] == "header":
            if v4:
                auth._sign_request(req, case["bucket"], case["key"], in_additional_headers=additional)
            else:
                auth._sign_request(req, case["bucket"], case["key"])
            out["authorization"] = req.headers["authorization"]
        else:
            if v4:
                out["url"] = auth._sign_url(req, case["bucket"], case["key"], case["expires"],
                                            in_additional_headers=additional)
            else:
                out["url"] = auth._sign_url(req, case["bucket"], case["key"], case["expires"])
        out.update(CAPTURE.seen)
        sig = req.params.get("x-oss-signature") or req.params.get("Signature")
        if sig is None:
            auth_header = out["authorization"]
            sig = auth_header.split("Signature=")[1].split(",")[0] if v4 else auth_header.rsplit(":", 1)[1]
        out["signature"] = sig
        return out
    finally:
        oss2.auth.ProviderAuth._subresource_key_set = saved


def v2_layout(authorization, additional):
    """The Authorization of S6/S7 from oss2's: no spaces, AdditionalHeaders (full sort) first."""
    parts = dict(p.split("=", 1) for p in authorization[len("OSS4-HMAC-SHA256 "):].split(", "))
    out = "OSS4-HMAC-SHA256 Credential=" + parts["Credential"]
    if additional:
        out += ",AdditionalHeaders=" + ";".join(sorted(additional))
    return out + ",Signature=" + parts["Signature"]


def draw(algorithm, r, i):
    v4 = algorithm.startswith("oss_v4")
    form = "header" if algorithm.endswith("header") else "presign"
    roll = r.random()
    bucket = None if (form == "header" and roll < 0.05) else "bkt-" + common.random_text(r, "abc019", 1, 4)
    key = "" if (bucket is None or (form == "header" and roll < 0.15)) else pick_key(r)
    NOW[0] = r.randint(946684800, 4102444799)
    own = V4_OWN if v4 else (V1_PRESIGN_OWN if form == "presign" else set())
    case = {
        "id": f"{algorithm}-{i:04d}",
        "algorithm": algorithm,
        "form": form,
        "method": r.choice(METHODS),
        "bucket": bucket,
        "key": key,
        "params": pick_params(r, own),
        "headers": None,
        "token": r.random() < 0.5,
        "time": NOW[0],
    }
    if form == "presign":
        case["expires"] = r.randint(1, MAX_V4_EXPIRES) if v4 else r.choice([1, r.randint(1, 10**6), r.randint(1, 10**9)])
    if v4 and r.random() < 0.15:
        case["cloudbox"] = "cb-" + common.random_text(r, "abc019", 4, 8)
    headers = pick_headers(r, form, v4)
    case["headers"] = list(headers.items())
    additional = None
    if v4 and r.random() < 0.6:
        pool = [h for h in headers] + ["x-oss-no-exist", "Absent-Header", "content-type", "Range"]
        additional = [odd_case(r, n) for n in r.sample(pool, min(len(pool), r.randint(1, 4)))]
        if r.random() < 0.2 and additional:
            additional.append(additional[0].upper())
        case["additional_headers"] = additional
    return case, headers, additional


def settle(case, headers, additional):
    """`official` from oss2 as is; `expected` from oss2 on corrected inputs, where they differ.

    The corrections are applied one after another; each one's reason is recorded only when it
    changed oss2's output."""
    v4 = case["algorithm"].startswith("oss_v4")
    official = run(case, headers, additional)
    reasons = []
    current = official
    subresources = None

    def step(reason, **changes):
        nonlocal current, headers, additional, subresources
        headers = changes.get("headers", headers)
        additional = changes.get("additional", additional)
        subresources = changes.get("subresources", subresources)
        after = run(case, headers, additional, subresources)
        if after != current:
            reasons.append(reason)
        current = after

    step("S5/6.2: header values trimmed of outer SP/HTAB (oss2 signs them raw, HTTP strips them)",
         headers=trimmed(headers))
    if not v4:
        extra = {k for k, _ in case["params"]
                 if (k in UNION or k.startswith("x-oss-")) and k not in oss2.auth.ProviderAuth._subresource_key_set}
        if extra:
            step("S4: sub-resources another official SDK (or the x-oss- rule) signs and oss2 2.19.1 does not: "
                 + ", ".join(sorted(extra)),
                 subresources=set(oss2.auth.ProviderAuth._subresource_key_set) | set(UNION) | extra)
    if v4 and case["form"] == "header" and additional is not None:
        present = {k.lower() for k, v in headers.items() if v}
        wanted = []
        for n in additional:
            n = n.lower()
            if n in present and n not in wanted:
                wanted.append(n)
        step("6.2: additional headers lower-cased, de-duplicated, absent ones dropped (oss2 lists them as given)",
             additional=wanted)
    expected = dict(current)
    if v4 and case["form"] == "header":
        signed_extra = [n for n in (additional or []) if not (n.startswith("x-oss-") or n in ("content-type", "content-md5"))]
        expected["authorization"] = v2_layout(expected["authorization"], signed_extra)
        reasons.append("S6/S7: Authorization without spaces, AdditionalHeaders (full sort) before Signature")
    case["official"] = official
    if expected != official:
        case["expected"] = expected
        case["reason"] = "; ".join(reasons)


def main():
    for algorithm in ["oss_v1_header", "oss_v1_presign", "oss_v4_header", "oss_v4_presign"]:
        r = common.rng(algorithm)
        cases = []
        for i in range(CASES):
            case, headers, additional = draw(algorithm, r, i)
            settle(case, headers, additional)
            cases.append(case)
        common.write(
            algorithm, GENERATOR, common.versions("oss2"), cases,
            notes="params: [name, value|null] raw, in wire order; headers: [name, value] as the caller "
                  "gives them; time: epoch seconds of signing; expires: seconds from time. "
                  "`expected` (with `reason`) is oss2 on corrected inputs where oss2 is wrong; see the "
                  "generator's docstring. V1 sub-resource union: " + " ".join(UNION),
        )


if __name__ == "__main__":
    main()
