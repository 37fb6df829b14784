"""Counts the ECS metadata requests one credential refresh of the official Python SDK makes.

Usage: imds_count.py PATH/TO/cloudcred-fakecloud

Starts the fake cloud (loopback, a free port) and a small counting HTTP proxy in front of it,
points the SDK's EcsRamRoleCredentialsProvider at the proxy, resolves credentials once (the
first get is one blocking refresh) and prints one JSON object: {"requests_per_refresh": N, ...}
for the default configuration (role name discovered), plus the same with the role name given.

The fake cloud keeps its request log in process (FakeCloud::requests() in Rust) and serves no
HTTP view of it, hence the proxy.

How the provider is pointed at 127.0.0.1: the SDK (alibabacloud-credentials 1.0.12) has no
constructor argument or environment variable for the metadata host, and no module constant
either: __init__ assigns the literal '100.100.100.200' to the private instance attribute
`__metadata_service_host`. This script overwrites that attribute, name-mangled to
`_EcsRamRoleCredentialsProvider__metadata_service_host`, on the instance right after construction
and before the first get; every request the provider builds reads it. netguard refuses every
connection but loopback, so a miss fails instead of reaching the real address.
"""

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import netguard

ROLE = "FakeFixtureEcsRole"  # the fake cloud's default ECS role (FakeCloudConfig::default)
HOST_ATTRIBUTE = "_EcsRamRoleCredentialsProvider__metadata_service_host"


class CountingProxy:
    """Forwards every request to the fake cloud and records its method and path."""

    def __init__(self, upstream_port):
        self.seen = []
        lock = threading.Lock()
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def forward(self):
                with lock:
                    seen.append(f"{self.command} {self.path.split('?')[0]}")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=5)
                try:
                    conn.request(self.command, self.path, body=body, headers=dict(self.headers))
                    resp = conn.getresponse()
                    payload = resp.read()
                finally:
                    conn.close()
                self.send_response(resp.status)
                for name, value in resp.getheaders():
                    if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_PUT = do_POST = forward

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self):
        out = list(self.seen)
        self.seen.clear()
        return out

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def start_fakecloud(binary):
    proc = subprocess.Popen([binary, "--port", "0"], stdout=subprocess.PIPE, text=True)
    first = proc.stdout.readline().strip()
    prefix = "cloudcred-fakecloud listening on http://127.0.0.1:"
    if not first.startswith(prefix):
        proc.kill()
        raise SystemExit(f"the fake cloud did not start: {first!r}")
    return proc, int(first[len(prefix):].rstrip("/"))


def one_refresh(proxy, role_name):
    from alibabacloud_credentials.provider import EcsRamRoleCredentialsProvider

    # Built as the default chain builds it (async refresh on), or with the role named.
    provider = EcsRamRoleCredentialsProvider(role_name=role_name)
    if not hasattr(provider, HOST_ATTRIBUTE):
        raise SystemExit(f"the SDK no longer has {HOST_ATTRIBUTE}: update this script")
    setattr(provider, HOST_ATTRIBUTE, f"127.0.0.1:{proxy.port}")
    cred = provider.get_credentials()
    if not cred.get_access_key_id() or not cred.get_security_token():
        raise SystemExit("the SDK's refresh returned no STS credentials")
    # A second get must come from the cache: it proves the count above is one refresh.
    provider.get_credentials()
    requests = proxy.take()
    return {"requests_per_refresh": len(requests), "requests": requests}


def main():
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} PATH/TO/cloudcred-fakecloud")
    for name in ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "ALIBABA_CLOUD_ECS_METADATA",
                 "ALIBABA_CLOUD_IMDSV1_DISABLED", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY",
                 "https_proxy", "ALL_PROXY", "all_proxy"):
        # Read by the SDK (at import) or by requests: the defaults are what is measured.
        os.environ.pop(name, None)
    os.environ["NO_PROXY"] = "127.0.0.1"
    netguard.install(allow_loopback=True)

    fake, port = start_fakecloud(sys.argv[1])
    proxy = CountingProxy(port)
    try:
        discovered = one_refresh(proxy, None)
        named = one_refresh(proxy, ROLE)
    finally:
        proxy.close()
        fake.send_signal(signal.SIGINT)
        try:
            fake.wait(timeout=5)
        except subprocess.TimeoutExpired:
            fake.kill()
    json.dump({
        "requests_per_refresh": discovered["requests_per_refresh"],
        "requests": discovered["requests"],
        "role_name_configured": named,
        "host_override": f"instance attribute {HOST_ATTRIBUTE} (no constructor argument)",
    }, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
