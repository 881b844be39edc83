"""The memory budget of issue 3, as a regression guard: Envoy with every
script embedded, --concurrency 2, stays under 200 MB resident after start
and under a load in every script. Its own Envoy, so the figures are not
those of the other tests' instance. `make measure` prints the same figures
for a longer load."""
import time
import urllib.parse

from envoy_harness import Envoy
from measure import load, random_names, script_names, status_kb

RSS_BUDGET_KB = 200 * 1024
# The ready time is printed, not asserted: no test depends on timing
# (`make measure` reports it).


def rss_kb(pid):
    return int(status_kb(pid)["VmRSS"].split()[0])


def test_rss_after_start_and_under_load():
    t0 = time.monotonic()
    envoy = Envoy()
    ready = time.monotonic() - t0
    try:
        time.sleep(0.3)
        after_start = rss_kb(envoy.proc.pid)
        names = script_names() + random_names(600)
        sizes = [16, 64, 128, 512]
        paths = [f"/avatar/{urllib.parse.quote(n, safe='')}?size={sizes[i % len(sizes)]}"
                 for i, n in enumerate(names)]
        errors = load(envoy, paths, threads=4)
        under_load = rss_kb(envoy.proc.pid)
        print(f"ready {ready:.2f} s, RSS after start {after_start} kB, "
              f"after {len(paths)} avatars {under_load} kB")
        assert not errors, errors[:5]
        assert after_start < RSS_BUDGET_KB
        assert under_load < RSS_BUDGET_KB
    finally:
        envoy.stop()
