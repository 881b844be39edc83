"""`make soak`: load the real Envoy (from envoy.yaml) with wrk and mix.lua for
a fixed time, sampling the Envoy binary's resident memory, then report
requests served, answers by class and RSS at start, middle and end.

Fails (exit 1) on any 5xx, socket error or status outside the mix's
expected set, or if RSS grows more than 5% over the second half."""
import argparse
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
from envoy_harness import Envoy  # noqa: E402

HOT = ["/avatar/Ada%20Lovelace", "/avatar/Grace%20Hopper?size=64", "/avatar/jane.doe@example.com",
       "/avatar/Alan%20Turing?shape=rounded", "/avatar/Di%20Wu?seed=42", "/avatar/%E7%8E%8B",
       "/avatar/Mary%20Ann%20Smith?length=3", "/avatar/x?initials=QJ&bg=000&fg=ff0"]
EXPECTED = {200, 304, 400, 405}
MAX_GROWTH = 0.05


def envoy_binary_pid(pid):
    """venv/bin/envoy is a Python shim that execs the binary; follow children
    too, in case a future shim forks instead."""
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            if os.path.basename(os.readlink(f"/proc/{p}/exe")) == "envoy":
                return p
            for task in os.listdir(f"/proc/{p}/task"):
                todo += [int(c) for c in Path(f"/proc/{p}/task/{task}/children").read_text().split()]
        except OSError:
            continue
    raise RuntimeError(f"no envoy binary under pid {pid}")


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args()

    envoy = Envoy()
    try:
        pid = envoy_binary_pid(envoy.proc.pid)
        hot = []
        for path in HOT:
            with urllib.request.urlopen(envoy.base + path, timeout=10) as r:
                hot.append(f"{path} {r.headers['etag']}")
        samples = []  # (seconds since load start, RSS MB)
        stop = threading.Event()
        t0 = time.monotonic()

        def sample():
            while not stop.is_set():
                samples.append((time.monotonic() - t0, rss_mb(pid)))
                stop.wait(1.0)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        wrk = subprocess.run(
            ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "10s",
             "-s", str(HERE / "mix.lua"), envoy.base],
            env={**os.environ, "MONOGRAM_SOAK_HOT": ";".join(hot)},
            capture_output=True, text=True, timeout=args.seconds + 120)
        samples.append((time.monotonic() - t0, rss_mb(pid)))
        stop.set()
        sampler.join()
        wasm = envoy.stats("wasm.monogram.")
    finally:
        envoy.stop()

    if wrk.returncode != 0:
        print(wrk.stdout, wrk.stderr)
        return 1
    out = wrk.stdout
    statuses = {int(s): int(c) for s, c in re.findall(r"^SOAK status (\d+) (\d+)$", out, re.M)}
    requests = int(re.search(r"^SOAK requests (\d+)$", out, re.M).group(1))
    duration = int(re.search(r"^SOAK duration_us (\d+)$", out, re.M).group(1)) / 1e6
    socket_errors = dict(re.findall(r"(\w+)=(\d+)", re.search(r"^SOAK socket_errors (.*)$", out, re.M).group(1)))
    p99 = int(re.search(r"^SOAK latency_p99_us (\d+)$", out, re.M).group(1)) / 1000

    start = samples[0][1]
    middle = min(samples, key=lambda s: abs(s[0] - args.seconds / 2))[1]
    end = samples[-1][1]
    growth = (end - middle) / middle
    classes = {}
    for status, count in statuses.items():
        classes[f"{status // 100}xx"] = classes.get(f"{status // 100}xx", 0) + count
    five = classes.get("5xx", 0)
    unexpected = {s: c for s, c in statuses.items() if s not in EXPECTED}
    errors = sum(int(v) for v in socket_errors.values())

    print(f"soak: {args.seconds} s, wrk -t2 -c{args.connections}, Envoy --concurrency 2")
    print(f"requests served: {requests} ({requests / duration:,.0f}/s, p99 {p99:.1f} ms)")
    print("by status: " + ", ".join(f"{s}: {c}" for s, c in sorted(statuses.items())))
    print("by class:  " + ", ".join(f"{k}: {v}" for k, v in sorted(classes.items())))
    print("socket errors: " + ", ".join(f"{k} {v}" for k, v in socket_errors.items()))
    print(f"Envoy RSS (MB): start {start:.1f}, middle {middle:.1f}, end {end:.1f}; "
          f"growth over the second half {growth:+.2%} (limit {MAX_GROWTH:.0%})")
    print("wasm stats: " + ", ".join(f"{k.split('.')[-1]} {v}" for k, v in sorted(wasm.items())))

    failures = []
    if five:
        failures.append(f"{five} responses 5xx")
    if unexpected:
        failures.append(f"unexpected statuses {unexpected}")
    if errors:
        failures.append(f"socket errors {socket_errors}")
    if growth > MAX_GROWTH:
        failures.append(f"RSS grew {growth:.1%} over the second half")
    if any(v != "0" for k, v in wasm.items() if "reload" in k):
        failures.append(f"VM reloads {wasm}")
    for f in failures:
        print("FAIL:", f)
    print("soak: " + ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
