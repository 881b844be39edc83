"""A URL that traps every time, requested in a loop: what it costs the rest of
the gateway at each reload backoff. Figures only (nothing asserted): the
"What one trap costs" in docs/OPERATIONS.md quotes them.

    make trap-measure            (TRAP_SECONDS per backoff, default 5)

For each `reload_config.backoff.base_interval`, Envoy runs the repository's
envoy.yaml with the test-only trapping module (`make trap-build`) and 2
workers; steady load (3 keep-alive client threads and 1 opening a connection
per request, at avatars and `/healthz`) runs throughout, and for TRAP_SECONDS six
more connections request only `/avatar/trap-for-tests`, as fast as they are
answered. Printed per backoff: the trapping requests sent, `/healthz`
requests served with their median and slowest time, avatars served, and
Envoy's counts of fresh VMs and of 503s answered during the backoff.
"""
import http.client
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from envoy_harness import Envoy  # noqa: E402
from steady_load import SteadyLoad  # noqa: E402
from test_trap import PATHS, TRAP_PATH, TRAP_WASM, config  # noqa: E402


# Enough connections that both workers get some (the kernel spreads them).
ATTACKERS = 6


def poison(port, stop, sent):
    while not stop.is_set():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while not stop.is_set():
                conn.request("GET", TRAP_PATH)
                conn.getresponse().read()
                sent.append(1)
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()


def measure(backoff, seconds):
    envoy = Envoy(config_text=lambda port, admin: config(port, admin, True, backoff))
    try:
        with SteadyLoad(envoy.port, PATHS, keepalive=3, fresh=1, quota=10**6) as load:
            time.sleep(1.6)  # past any backoff since start
            stop, sent = threading.Event(), []
            attackers = [threading.Thread(target=poison, args=(envoy.port, stop, sent))
                         for _ in range(ATTACKERS)]
            t0 = time.monotonic()
            for a in attackers:
                a.start()
            time.sleep(seconds)
            stop.set()
            for a in attackers:
                a.join()
            t1 = time.monotonic()
        window = [r for r in load.records if r.t0 >= t0 and r.t1 <= t1]
        stats = envoy.stats("wasm.monogram.")
    finally:
        envoy.stop()
    healthz = sorted(r.t1 - r.t0 for r in window if r.path == "/healthz" and r.status == 200)
    avatars = [r for r in window if r.path != "/healthz"]
    ms = lambda s: f"{s * 1000:.0f} ms"  # noqa: E731
    return (f"| {backoff} | {len(sent)} | {len(healthz)} | "
            f"{ms(healthz[len(healthz) // 2]) if healthz else '-'} | "
            f"{ms(healthz[-1]) if healthz else '-'} | "
            f"{sum(r.status == 200 for r in avatars)} of {len(avatars)} | "
            f"{stats['wasm.monogram.vm_reload_success']} | {stats['wasm.monogram.vm_reload_backoff']} |")


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    assert TRAP_WASM.exists(), f"{TRAP_WASM} is missing: run `make trap-build`"
    print(f"A trapping URL requested in a loop for {seconds:.0f} s, 2 workers:\n")
    print("| base_interval | trapping requests | /healthz served | median | slowest "
          "| avatars served | fresh VMs | 503s in backoff |")
    print("|---|---|---|---|---|---|---|---|")
    for backoff in ["1s", "0.5s", "0.1s"]:
        print(measure(backoff, seconds), flush=True)


if __name__ == "__main__":
    main()
