#!/usr/bin/env python3
"""Process-level figures of the benchmark report (issue 6, rows 3, 4 and 7): start-up wall time of
`cloudcred get` and of the Python SDK's one-shot child, the off-cloud chain walk against a closed
and a silent loopback metadata endpoint, and memory (peak RSS of one-shot runs; `cloudcred serve`
before and after a burst of credential requests).

Prints one JSON object on stdout and nothing else (README-process.md lists its keys). Linux only
(/proc, wait4). Every child runs in an environment built from scratch (PATH, HOME = an empty
temporary directory, plus the variables of the case); the credentials are fake and only ids and
counts are printed. Nothing leaves the machine: ECS metadata is disabled except in the off-cloud
cases, which point it at 127.0.0.1, and this process itself may connect to loopback only
(bench/python/netguard.py).
"""

import argparse
import collections
import http.client
import json
import math
import os
import platform
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "python"))
import netguard  # noqa: E402

STARTUP_PY = HERE / "python" / "startup.py"

# The fake long-term key of bench/python (and crates/cloudcred/benches/sign.rs).
AK_ID = "LTAI5tExampleAccessKey"
AK_SECRET = "ExampleAccessKeySecretValue0123"
# Fake temporary credentials for `serve`, which hands out STS credentials only.
STS_ID = "STS.NTExampleTemporaryKeyId"
STS_SECRET = "ExampleTemporarySecretValue4567"
STS_TOKEN = "CAISExampleSecurityTokenValue0123456789"
# The fixed serve token (CLOUDCRED_SERVE_TOKEN, so it is not on the command line).
SERVE_TOKEN = "bench-fixed-serve-token-0123456789"

CHILD_TIMEOUT_S = 120

# Peak RSS is measured through this minimal interpreter (python -S -I, nothing imported but os)
# rather than from this process: on Linux, ru_maxrss of a child that exec()s includes the peak
# RSS of the memory image it replaced, and a child spawned straight from this script starts as
# a copy (fork) or a borrower (vfork) of this interpreter's memory, so every figure would read at
# least this process's own peak (about 14 MiB). The grandchild forked here starts from this
# small image instead; its floor is measured with `true` and reported next to the figures.
# Input on stdin: argv items, an empty item, then KEY=VALUE items, all NUL-terminated.
# Output: "EXIT_STATUS MAXRSS_KIB".
SPAWNER = r"""
import os
data = b""
while True:
    chunk = os.read(0, 65536)
    if not chunk:
        break
    data += chunk
fields = data.split(b"\0")
cut = fields.index(b"")
argv = fields[:cut]
env = dict(f.split(b"=", 1) for f in fields[cut + 1:] if f)
null = os.open(os.devnull, os.O_RDWR)
pid = os.fork()
if pid == 0:
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    try:
        os.execve(argv[0], argv, env)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
os.write(1, b"%d %d" % (os.waitstatus_to_exitcode(status), usage.ru_maxrss))
"""


def ms(seconds):
    return round(seconds * 1000.0, 3)


def mib(kib):
    return round(kib / 1024.0, 2)


def p90(values):
    """Nearest-rank 90th percentile."""
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def clean_env(home, **extra):
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": home}
    env.update(extra)
    return env


class Home:
    """An empty temporary HOME; `check()` fails if a run left anything in it, since later runs
    would then measure a different setup."""

    def __init__(self, stack):
        self.path = stack.enter_context(tempfile.TemporaryDirectory(prefix="cloudcred-proc-home-"))

    def check(self, case):
        left = os.listdir(self.path)
        if left:
            raise RuntimeError(f"{case}: the run wrote {sorted(left)} into the empty HOME")


# --- checks of one run's output (outside the timed region) -----------------------------------

def expect_credentials(result):
    if result.returncode != 0:
        return f"exit status {result.returncode}"
    try:
        doc = json.loads(result.stdout)
    except ValueError:
        return "stdout is not JSON"
    if doc.get("access_key_id") != AK_ID or doc.get("access_key_secret") != AK_SECRET:
        return "stdout does not hold the environment's credentials"
    return None


def expect_failure(result):
    if result.returncode == 0:
        return "exit status 0"
    if result.stdout.strip():
        return "something on stdout"
    if not result.stderr.strip():
        return "no error on stderr"
    return None


def expect_sdk_failure(result):
    problem = expect_failure(result)
    if problem is None and not result.stderr.startswith(b"CredentialException"):
        return "stderr does not start with the SDK's CredentialException"
    return problem


# --- measurements ------------------------------------------------------------------------------

def wall_times(case, argv, env, check, runs, warmups, home):
    """Wall time of `runs` runs of argv (after `warmups` untimed ones), each checked by `check`."""
    times = []
    statuses = collections.Counter()
    for i in range(warmups + runs):
        start = time.perf_counter()
        result = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                timeout=CHILD_TIMEOUT_S)
        elapsed = time.perf_counter() - start
        problem = check(result)
        if problem:
            raise RuntimeError(f"{case}: run {i}: {problem}")
        if i >= warmups:
            times.append(elapsed)
            statuses[result.returncode] += 1
    home.check(case)
    return {
        "median_ms": ms(statistics.median(times)),
        "p90_ms": ms(p90(times)),
        "min_ms": ms(min(times)),
        "max_ms": ms(max(times)),
        "runs": runs,
        "warmups": warmups,
        "exit_status": sorted(statuses),
    }


def spawn_maxrss_kib(argv, env):
    """(exit status, ru_maxrss KiB) of argv run as a grandchild of the minimal spawner."""
    payload = b"".join(os.fsencode(a) + b"\0" for a in argv) + b"\0"
    payload += b"".join(os.fsencode(f"{k}={v}") + b"\0" for k, v in env.items())
    result = subprocess.run([sys.executable, "-S", "-I", "-c", SPAWNER], input=payload,
                            capture_output=True, env={}, timeout=CHILD_TIMEOUT_S)
    if result.returncode != 0:
        raise RuntimeError(f"the RSS spawner failed: {result.stderr.decode(errors='replace')}")
    status, kib = result.stdout.split()
    return int(status), int(kib)


def gnu_time_maxrss_kib(argv, env):
    """ru_maxrss by GNU time (a small C parent, so a floor near 1 MiB), or None without it."""
    tool = "/usr/bin/time"
    if not os.access(tool, os.X_OK):
        return None
    result = subprocess.run([tool, "-f", "%M", *argv], env=env, capture_output=True,
                            stdin=subprocess.DEVNULL, timeout=CHILD_TIMEOUT_S)
    last = result.stderr.strip().splitlines()[-1:] or [b""]
    return int(last[0]) if last[0].isdigit() else None


def peak_rss(case, argv, env, runs, floor_kib, home):
    values, statuses, cross = [], collections.Counter(), []
    for _ in range(runs):
        status, kib = spawn_maxrss_kib(argv, env)
        if status != 0:
            raise RuntimeError(f"{case}: exit status {status} in the peak-RSS run")
        values.append(kib)
        statuses[status] += 1
        gnu = gnu_time_maxrss_kib(argv, env)
        if gnu is not None:
            cross.append(gnu)
    home.check(case)
    return {
        "peak_rss_mib": mib(statistics.median(values)),
        "max_mib": mib(max(values)),
        "runs": runs,
        "exit_status": sorted(statuses),
        # At or near the floor the figure is an upper bound only (see SPAWNER).
        "above_floor": statistics.median(values) > floor_kib * 1.05,
        "gnu_time_peak_rss_mib": mib(statistics.median(cross)) if cross else None,
    }


def closed_loopback_port():
    """A loopback port nothing listens on (bound, then closed), checked to refuse."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError("the closed port was taken meanwhile; run again")
    return port


class SilentListener:
    """A loopback listener that accepts connections and holds them open without answering."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.stopping = True
        # shutdown wakes the blocked accept() so the thread ends.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(timeout=5)
        for conn in self.held:
            conn.close()


def proc_status_kib(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                fields[key] = int(value.split()[0])
    return fields


def read_line(stream, deadline_s):
    """The first line a child writes to `stream` (a pipe), waiting at most deadline_s."""
    fd = stream.fileno()
    data = b""
    end = time.monotonic() + deadline_s
    while b"\n" not in data:
        left = end - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise RuntimeError("serve printed no URL in time")
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RuntimeError("serve exited before printing its URL")
        data += chunk
    return data.split(b"\n", 1)[0].decode()


def fetch(port, path):
    """One GET on a fresh connection; None when the answer is the served credentials, else why
    not (a class name, a status or a short reason: never the body)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
        finally:
            conn.close()
    except (OSError, http.client.HTTPException) as e:
        return type(e).__name__
    if resp.status != 200:
        return f"status {resp.status}"
    try:
        doc = json.loads(body)
    except ValueError:
        return "invalid JSON"
    if (doc.get("Code") != "Success" or doc.get("AccessKeyId") != STS_ID
            or doc.get("AccessKeySecret") != STS_SECRET or doc.get("SecurityToken") != STS_TOKEN
            or not isinstance(doc.get("Expiration"), str)):
        return "not the served credentials"
    return None


def serve_load(cloudcred, home, requests, concurrency, stack):
    """Starts `cloudcred serve`, sends `requests` GETs from `concurrency` threads released
    together (each thread sends its share one after another, one connection per request) and
    reads the server's memory before and after."""
    if requests % concurrency:
        raise ValueError("requests must be a multiple of the concurrency")
    env = clean_env(home.path, ALIBABA_CLOUD_ECS_METADATA_DISABLED="true",
                    ALIBABA_CLOUD_ACCESS_KEY_ID=STS_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET=STS_SECRET,
                    ALIBABA_CLOUD_SECURITY_TOKEN=STS_TOKEN, CLOUDCRED_SERVE_TOKEN=SERVE_TOKEN)
    errlog = stack.enter_context(tempfile.TemporaryFile())
    proc = subprocess.Popen([cloudcred, "serve"], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=errlog)
    try:
        line = read_line(proc.stdout, 30)
        m = re.search(r"http://127\.0\.0\.1:(\d+)(/credentials)\?token=([^'\s]+)", line)
        if not m or m.group(3) != SERVE_TOKEN:
            raise RuntimeError("serve's first line is not the expected credentials URI")
        port, path = int(m.group(1)), f"{m.group(2)}?token={SERVE_TOKEN}"
        before = proc_status_kib(proc.pid)

        per_thread = requests // concurrency
        outcomes = collections.Counter()
        lock = threading.Lock()
        started = {}
        # Every client thread is ready before the clock starts; the last party to arrive
        # (whichever) takes the start time.
        barrier = threading.Barrier(concurrency + 1,
                                    action=lambda: started.setdefault("t", time.perf_counter()))

        def client():
            local = collections.Counter()
            barrier.wait()
            for _ in range(per_thread):
                local[fetch(port, path) or "ok"] += 1
            with lock:
                outcomes.update(local)

        threads = [threading.Thread(target=client) for _ in range(concurrency)]
        for t in threads:
            t.start()
        barrier.wait()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started["t"]
        after = proc_status_kib(proc.pid)
        if proc.poll() is not None:
            raise RuntimeError(f"serve exited during the load (status {proc.returncode})")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # serve stops on Ctrl-C
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        proc.stdout.close()
    home.check("serve")
    ok = outcomes.pop("ok", 0)
    return {
        "requests": requests,
        "concurrency": concurrency,
        "requests_per_thread": per_thread,
        "connection": "new per request",
        "ok": ok,
        "errors": dict(outcomes),
        "wall_s": round(wall, 4),
        "requests_per_s": round(requests / wall, 1),
        "rss_before_mib": mib(before["VmRSS"]),
        "hwm_before_mib": mib(before["VmHWM"]),
        "peak_mib": mib(after["VmHWM"]),
        "rss_after_mib": mib(after["VmRSS"]),
        "serve_exit_status": proc.returncode,
    }


def versions(cloudcred, python):
    cc = subprocess.run([cloudcred, "--version"], capture_output=True, check=True, env={},
                        timeout=CHILD_TIMEOUT_S)
    probe = ("import importlib.metadata as m, json, platform; print(json.dumps({"
             "'python': platform.python_version(), "
             "'alibabacloud_credentials': m.version('alibabacloud-credentials')}))")
    py = subprocess.run([python, "-c", probe], capture_output=True, check=True, env={},
                        timeout=CHILD_TIMEOUT_S)
    found = json.loads(py.stdout)
    return {
        "cloudcred": cc.stdout.decode().strip(),
        "python": found["python"],
        "alibabacloud_credentials": found["alibabacloud_credentials"],
        "runner_python": platform.python_version(),
        "kernel": platform.release(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cloudcred", required=True, help="the cloudcred binary (release build)")
    parser.add_argument("--python", required=True, help="the interpreter of the Python SDK venv")
    parser.add_argument("--runs", type=int, default=50, help="timed runs per start-up case")
    parser.add_argument("--warmups", type=int, default=3, help="untimed runs before each case")
    parser.add_argument("--python-runs", type=int, help="timed runs of the Python cases "
                        "(default: --runs)")
    parser.add_argument("--silent-runs", type=int, default=5,
                        help="runs against the silent metadata listener (each waits out timeouts)")
    parser.add_argument("--memory-runs", type=int, default=5, help="runs per peak-RSS figure")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--no-burst", action="store_true",
                        help="skip the serve run where every request connects at once")
    args = parser.parse_args()
    cloudcred = os.path.abspath(args.cloudcred)
    python = os.path.abspath(args.python)
    python_runs = args.python_runs or args.runs
    # This process talks to serve and probes a closed port on loopback only.
    netguard.install(allow_loopback=True)

    report = {
        "versions": versions(cloudcred, python),
        "machine": {"cpus": os.cpu_count(), "loadavg_start": list(os.getloadavg())},
    }
    with ExitStack() as stack:
        # Start-up (row 3).
        home = Home(stack)
        env_creds = clean_env(home.path, ALIBABA_CLOUD_ECS_METADATA_DISABLED="true",
                              ALIBABA_CLOUD_ACCESS_KEY_ID=AK_ID,
                              ALIBABA_CLOUD_ACCESS_KEY_SECRET=AK_SECRET)
        env_nothing = clean_env(home.path, ALIBABA_CLOUD_ECS_METADATA_DISABLED="true")
        get = [cloudcred, "get", "--format", "json"]
        sdk = [python, str(STARTUP_PY)]
        report["startup"] = {
            "cloudcred_get_env": wall_times("cloudcred_get_env", get, env_creds,
                                            expect_credentials, args.runs, args.warmups, home),
            "cloudcred_get_nothing": wall_times("cloudcred_get_nothing", get, env_nothing,
                                                expect_failure, args.runs, args.warmups, home),
            "python_get_env": wall_times("python_get_env", sdk, env_creds, expect_credentials,
                                         python_runs, args.warmups, home),
            "python_get_nothing": wall_times("python_get_nothing", sdk, env_nothing,
                                             expect_sdk_failure, python_runs, args.warmups, home),
        }

        # Off-cloud chain walk (row 4): nothing configured, metadata enabled, at loopback.
        port = closed_loopback_port()
        refused = wall_times("offcloud_refused", get,
                             clean_env(home.path,
                                       ALIBABA_CLOUD_ECS_METADATA_ENDPOINT=f"http://127.0.0.1:{port}"),
                             expect_failure, args.runs, args.warmups, home)
        silent = SilentListener()
        stack.callback(silent.close)
        no_answer = wall_times("offcloud_no_answer", get,
                               clean_env(home.path, ALIBABA_CLOUD_ECS_METADATA_ENDPOINT=(
                                   f"http://127.0.0.1:{silent.port}")),
                               expect_failure, args.silent_runs, 0, home)
        no_answer["connections_per_run"] = round(len(silent.held) / args.silent_runs, 2)
        report["off_cloud"] = {"refused": refused, "no_answer": no_answer}

        # Memory (row 7).
        true = shutil.which("true")
        _, floor_kib = spawn_maxrss_kib([true], env_nothing)
        memory = {
            "spawn_floor_mib": mib(floor_kib),
            "cloudcred_get_env": peak_rss("cloudcred_get_env", get, env_creds, args.memory_runs,
                                          floor_kib, home),
            "python_get_env": peak_rss("python_get_env", sdk, env_creds, args.memory_runs,
                                       floor_kib, home),
            "serve": serve_load(cloudcred, home, args.requests, args.concurrency, stack),
        }
        if not args.no_burst:
            memory["serve_burst"] = serve_load(cloudcred, home, args.requests, args.requests,
                                               stack)
        report["memory"] = memory
    report["machine"]["loadavg_end"] = list(os.getloadavg())

    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    if memory["serve"]["ok"] != args.requests:
        print(f"process.py: serve answered {memory['serve']['ok']} of {args.requests} requests "
              "with the credentials", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
