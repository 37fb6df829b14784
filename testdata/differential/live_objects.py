"""The official OSS and OBS clients (oss2, esdk-obs-python) against the fake cloud's object
endpoints: every request they send and what they made of each answer go to
vectors/objects_live.json, which crates/cloudcred-fakecloud/tests/objects_official.rs replays
byte for byte against the fake (its clock at each request's time) and compares.

    live_objects.py PATH/TO/cloudcred-fakecloud

The clients run unmodified; only the socket layer is watched (http.client, which both use) and
host names under .fake.test resolve to 127.0.0.1 (common.py refuses anything not loopback).
"""

import base64
import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time

import common  # noqa: F401  (installs the loopback-only guard)
import oss2
import requests
from obs import ObsClient

OSS_KEY = ("LTAIFAKEDEFAULT00001", "fake-secret-default-00001")
OSS_STS = ("STS.FAKESTATIC000013", "fake-secret-sts-00013", "fake-security-token-00013")
OBS_KEY = ("FAKEHWBASICAK0000001", "fake-hw-basic-sk-00000000000000000001")

_real_getaddrinfo = socket.getaddrinfo


def _getaddrinfo(host, port, *args, **kwargs):
    # Virtual-hosted buckets: only the test domain resolves, and only to loopback.
    if isinstance(host, str) and host.endswith(".fake.test"):
        host = "127.0.0.1"
    elif host not in ("127.0.0.1", "localhost"):
        raise OSError(f"live_objects.py resolves no name but *.fake.test, not {host!r}")
    return _real_getaddrinfo(host, port, *args, **kwargs)


socket.getaddrinfo = _getaddrinfo

EXCHANGES = []
_real_send = http.client.HTTPConnection.send
_real_getresponse = http.client.HTTPConnection.getresponse


def _send(self, data):
    if hasattr(data, "read"):
        data = data.read()
    if isinstance(data, str):
        data = data.encode()
    self.__dict__.setdefault("_captured", bytearray()).extend(data)
    return _real_send(self, data)


def _getresponse(self, *args, **kwargs):
    raw = bytes(self.__dict__.pop("_captured", b""))
    response = _real_getresponse(self, *args, **kwargs)
    EXCHANGES.append(
        {"time": int(time.time()), "request": base64.b64encode(raw).decode(), "status": response.status}
    )
    return response


http.client.HTTPConnection.send = _send
http.client.HTTPConnection.getresponse = _getresponse

STEPS = []


def step(sdk, name, fn):
    first = len(EXCHANGES)
    try:
        result = fn()
        outcome = {"ok": True, "result": result}
    except oss2.exceptions.OssError as e:
        outcome = {"ok": False, "status": e.status, "code": e.code, "request_id": e.request_id}
    STEPS.append({"sdk": sdk, "step": name, "exchanges": list(range(first, len(EXCHANGES))), **outcome})
    print(f"{sdk}: {name}: {outcome}", file=sys.stderr)


def obs_step(name, fn):
    first = len(EXCHANGES)
    resp = fn()
    outcome = {
        "ok": resp.status < 300,
        "status": resp.status,
        "code": resp.errorCode,
        "request_id": resp.requestId,
    }
    if resp.status < 300 and name.startswith("get "):
        outcome["result"] = resp.body.response.read().decode()
    if resp.status < 300 and name.startswith("list"):
        outcome["result"] = sorted(c.key for c in resp.body.contents)
    if resp.status < 300 and name.startswith("put"):
        outcome["result"] = resp.body.etag
    STEPS.append({"sdk": "esdk-obs-python", "step": name, "exchanges": list(range(first, len(EXCHANGES))), **outcome})
    print(f"esdk-obs-python: {name}: {outcome}", file=sys.stderr)


def main():
    fake = subprocess.Popen([sys.argv[1], "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        urls = {}
        for line in fake.stdout:
            if line.startswith(("OSS endpoint", "OBS endpoint")):
                urls[line[:3]] = line.split()[-1]
            if len(urls) == 2:
                break
        run(urls["OSS"], urls["OBS"])
    finally:
        fake.terminate()
        fake.wait()
    out = os.path.join(common.VECTORS, "objects_live.json")
    doc = {
        "generator": "live_objects.py",
        "packages": common.versions("oss2", "esdk-obs-python"),
        "exchanges": EXCHANGES,
        "steps": STEPS,
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(EXCHANGES)} exchanges, {len(STEPS)} steps to {out}", file=sys.stderr)


def run(oss_url, obs_url):
    body = b"hello from oss2"
    md5 = hashlib.md5(body).hexdigest().upper()
    port = oss_url.rsplit(":", 1)[1]
    for label, auth, endpoint in [
        ("V1", oss2.Auth(*OSS_KEY), oss_url),
        ("V1 STS", oss2.StsAuth(*OSS_STS), oss_url),
        ("V4", oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(*OSS_KEY)), f"http://oss-cn-hangzhou.fake.test:{port}"),
    ]:
        bucket = oss2.Bucket(auth, endpoint, "live-bucket", region="cn-hangzhou")
        key = f"dir/{label} key+1.txt"
        step("oss2", f"put {label}", lambda: bucket.put_object(key, body, headers={"Content-Type": "text/plain", "x-oss-meta-colour": "blue"}).etag == md5)
        step("oss2", f"get {label}", lambda: bucket.get_object(key).read().decode())
        step("oss2", f"head {label}", lambda: [bucket.head_object(key).content_length, bucket.head_object(key).headers.get("x-oss-meta-colour")])
        step("oss2", f"list {label}", lambda: sorted(o.key for o in bucket.list_objects(prefix="dir/").object_list))
        step("oss2", f"list v2 {label}", lambda: sorted(o.key for o in bucket.list_objects_v2(prefix="dir/", max_keys=1).object_list))
        url = bucket.sign_url("GET", key, 300)
        step("oss2", f"presigned get {label}", lambda: [requests.get(url, timeout=5).status_code, requests.get(url, timeout=5).text])
        step("oss2", f"get missing {label}", lambda: bucket.get_object("no/such/key").read())
        bad = oss2.Bucket(oss2.Auth(OSS_KEY[0], "wrong-secret"), endpoint, "live-bucket", region="cn-hangzhou")
        step("oss2", f"wrong secret {label}", lambda: bad.get_object(key).read())
        step("oss2", f"delete {label}", lambda: bucket.delete_object(key).status)

    for label, kwargs in [
        ("native", {"signature": "obs", "server": f"http://obs.cn-north-4.fake.test:{obs_url.rsplit(':', 1)[1]}"}),
        ("V4", {"signature": "v4", "region": "cn-north-4", "server": obs_url, "path_style": True}),
    ]:
        client = ObsClient(access_key_id=OBS_KEY[0], secret_access_key=OBS_KEY[1], is_signature_negotiation=False, **kwargs)
        key = f"dir/{label} key+1.txt"
        obs_step(f"put {label}", lambda: client.putContent("live-bucket", key, "hello from esdk-obs", headers=None))
        obs_step(f"get {label}", lambda: client.getObject("live-bucket", key, loadStreamInMemory=False))
        obs_step(f"head {label}", lambda: client.getObjectMetadata("live-bucket", key))
        obs_step(f"list {label}", lambda: client.listObjects("live-bucket", prefix="dir/"))
        obs_step(f"get missing {label}", lambda: client.getObject("live-bucket", "no/such/key", loadStreamInMemory=False))
        bad = ObsClient(access_key_id=OBS_KEY[0], secret_access_key="wrong-secret", is_signature_negotiation=False, **kwargs)
        obs_step(f"wrong secret {label}", lambda: bad.getObject("live-bucket", key, loadStreamInMemory=False))
        obs_step(f"delete {label}", lambda: client.deleteObject("live-bucket", key))


if __name__ == "__main__":
    main()
