"""The guest scenarios of `make bench`: what a flood of avatar requests does
to the gateway's other routes. Two wrk processes at once on the same Envoy:
32 connections flooding the avatar route, and 8 connections measuring the
plain route `/healthz` of the same listener. Two floods, in interleaved
rounds so drift lands on both alike:
  g0. baseline: one cached avatar, over and over;
  g1. distinct names at sizes 16-512 (every request a render, until the
      render budget refuses it).
The target: /healthz during g1 keeps ≥ 0.5 of its requests/s during g0, its
p99 ≤ max(2 × g0's p99, 3 ms), and the flood sees no socket errors or
timeouts. Loopback only; bounded by ROUNDS × SECONDS."""
import os
import re
import subprocess
import tempfile
import time

ROUNDS = int(os.environ.get("BENCH_GUEST_ROUNDS", "5"))
SECONDS = os.environ.get("BENCH_GUEST_SECONDS", "2")

DISTINCT_LUA = r"""
-- Every request a new name at one of the sizes 16-512.
local n = math.floor(os.time() % 100000) * 1000
local sizes = {16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512}
local letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
local function word(k)
  local s = ""
  repeat
    local d = k % 26
    s = s .. letters:sub(d + 1, d + 1)
    k = (k - d) / 26
  until k == 0
  return s
end
request = function()
  n = n + 1
  return wrk.format("GET", "/avatar/" .. word(n) .. "%20" .. word(n * 7 + 3) ..
                    "?size=" .. sizes[n % #sizes + 1])
end
"""

HOT_LUA = r"""
local req
init = function(args) req = wrk.format("GET", "/avatar/Ada%20Lovelace?size=128") end
request = function() return req end
"""

HEALTHZ_LUA = r"""
local req
init = function(args) req = wrk.format("GET", "/healthz") end
request = function() return req end
"""


def parse(out):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"\s99%\s+([\d.]+)(us|ms|s)\b", out)
    p99 = float(m.group(1))
    p99 = p99 / 1000 if m.group(2) == "us" else p99 * 1000 if m.group(2) == "s" else p99
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = sum(int(x) for x in sock.groups()) if sock else 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p99": p99, "socket_errors": errors,
            "non2xx": int(non2xx.group(1)) if non2xx else 0}


def one_round(base, flood_lua, healthz_lua):
    """Flood and measurement at once; the flood starts first and ends last."""
    flood = subprocess.Popen(["wrk", "-t1", "-c32", "--latency", "-s", flood_lua,
                              f"-d{int(SECONDS) + 1}s", base + "/"],
                             stdout=subprocess.PIPE, text=True)
    try:
        measured = subprocess.run(["wrk", "-t1", "-c8", "--latency", "-s", healthz_lua,
                                   f"-d{SECONDS}s", "--timeout", "5s", base + "/"],
                                  check=True, capture_output=True, text=True).stdout
    finally:
        flood_out, _ = flood.communicate(timeout=60)
    return parse(measured), parse(flood_out)


def guest_rows(base, refused_count):
    """Runs the rounds against `base` (the avatar listener) and returns
    result lines for bench/results.md. `refused_count()` reads the filter's
    refused-render counter."""
    files = {}
    for name, text in (("distinct", DISTINCT_LUA), ("hot", HOT_LUA), ("healthz", HEALTHZ_LUA)):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(text)
        files[name] = f.name
    try:
        runs = {"hot": [], "distinct": []}
        refused0 = refused_count()
        for _ in range(ROUNDS):
            for flood in ("hot", "distinct"):
                runs[flood].append(one_round(base, files[flood], files["healthz"]))
        # The filter hands its counters to Envoy once a second, on its tick.
        time.sleep(1.5)
        refused = refused_count() - refused0
    finally:
        for path in files.values():
            os.unlink(path)

    def median(values):
        values = sorted(values)
        return values[len(values) // 2]

    ratios = [d[0]["rps"] / h[0]["rps"] for h, d in zip(runs["hot"], runs["distinct"])]
    ratio = median(ratios)
    base_p99 = median([h[0]["p99"] for h in runs["hot"]])
    flood_p99 = median([d[0]["p99"] for d in runs["distinct"]])
    p99_limit = max(2 * base_p99, 3.0)
    socket_errors = sum(r[1]["socket_errors"] + r[0]["socket_errors"]
                        for rs in runs.values() for r in rs)
    lines = ["## A guest in the gateway: /healthz while the avatar route is flooded\n",
             f"wrk -t1 -c32 floods the avatar route while wrk -t1 -c8 measures `/healthz` on the same "
             f"listener; {ROUNDS} interleaved rounds of {SECONDS} s per flood; medians; default render "
             f"budget.\n",
             "| flood (32 connections) | /healthz requests/s | × baseline | p99 ms | flood requests/s | flood non-2xx/3xx | socket errors |",
             "|---|---|---|---|---|---|---|"]
    for label, key in (("g0. one cached avatar (baseline)", "hot"),
                       ("g1. distinct names, sizes 16-512", "distinct")):
        rs = runs[key]
        rps = median([r[0]["rps"] for r in rs])
        p99 = median([r[0]["p99"] for r in rs])
        flood_rps = median([r[1]["rps"] for r in rs])
        non2xx = sum(r[1]["non2xx"] for r in rs)
        errs = sum(r[1]["socket_errors"] + r[0]["socket_errors"] for r in rs)
        rel = f"{median([d[0]['rps'] / h[0]['rps'] for h, d in zip(runs['hot'], rs)]):.2f}"
        lines.append(f"| {label} | {rps:,.0f} | {rel} | {p99:.2f} | {flood_rps:,.0f} | {non2xx} | {errs} |")
    ok = ratio >= 0.5 and flood_p99 <= p99_limit and socket_errors == 0
    lines.append("")
    lines.append(f"Target: × baseline ≥ 0.50 (measured {ratio:.2f}, rounds "
                 f"{min(ratios):.2f}–{max(ratios):.2f}), p99 ≤ max(2 × {base_p99:.2f}, 3) = "
                 f"{p99_limit:.2f} ms (measured {flood_p99:.2f}), no socket errors or timeouts "
                 f"(measured {socket_errors}): {'met' if ok else 'NOT met'}. "
                 f"Renders refused by the budget during the floods: {refused:,.0f} "
                 f"(503 with Retry-After, counted in the flood's non-2xx).\n")
    return lines
