"""Reconfiguration under load, with the files of deploy/envoy-dynamic/: Envoy
reads the filter's configuration from monogram.yaml through ECDS and follows
every atomic replacement of that file while steady local load flows.

The configuration changes four times: a signing key is added, the palette and
max-age change and the render budget is raised, a broken version is refused
(the previous one keeps serving), and the old key is removed. Each change is written to a new file
and renamed over monogram.yaml; the test then polls Envoy's ECDS stats (a
bounded number of tries) until every worker has the version. Every request
whose whole life falls after that point must be answered exactly as the new
configuration says (status, background colour, cache-control), on
connections opened before the change too, and so must every answer from a
worker's cache: URLs signed with the old key get 403 only once the key is
removed, and no image in the old palette is served after the palette change,
neither as a 200 nor as a 304 to its old ETag. Requests in flight during a
change may be answered under either version. No 5xx, no reset connection.
"""
import base64
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import tempfile
import textwrap
import time
import urllib.parse
from pathlib import Path

import yaml
from PIL import Image

from envoy_harness import ROOT, Envoy
from steady_load import SteadyLoad, wait_until

DYNAMIC = ROOT / "deploy/envoy-dynamic"
WASM = Path(os.environ.get("MONOGRAM_WASM", ROOT / "target/wasm32-wasip1/release/monogram.wasm"))
ECDS = "extension_config_discovery.http_filter.monogram."

NEW_KEY = "Yc8vN2pT5rK0wQ7eJ4hL9sD1gF6bX3zA8mU2iO5nV0c"
GREEN, PURPLE = "#2e7d32", "#6a1b9a"
NAMES = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra",
         "Barbara Liskov", "Donald Knuth"]
SIZE = "48"


def shipped():
    """deploy/envoy-dynamic/monogram.yaml and the filter JSON inside it."""
    doc = yaml.safe_load((DYNAMIC / "monogram.yaml").read_text())
    wasm = doc["resources"][0]["typed_config"]["config"]
    return doc, json.loads(wasm["configuration"]["value"])


def old_key():
    return shipped()[1]["signing_keys"][0]


def version_file(version, filter_json):
    """The shipped monogram.yaml with another version and filter JSON, and
    the module's path made absolute (the test's Envoy runs elsewhere)."""
    doc, _ = shipped()
    doc["version_info"] = str(version)
    wasm = doc["resources"][0]["typed_config"]["config"]
    wasm["configuration"]["value"] = json.dumps(filter_json)
    wasm["vm_config"]["code"]["local"]["filename"] = str(WASM.resolve())
    return yaml.safe_dump(doc, sort_keys=False)


def replace_atomically(directory, text):
    """What an operator does: write the new version beside the live file,
    then rename it over the live file (one rename: Envoy never reads half a
    file, and the rename is the event it watches for)."""
    tmp = directory / ".monogram.yaml.new"
    tmp.write_text(text)
    os.replace(tmp, directory / "monogram.yaml")


def bootstrap(port, admin, ecds_dir):
    text = (DYNAMIC / "envoy.yaml").read_text()
    for old, new in [("port_value: 10000", f"port_value: {port}"),
                     ("port_value: 9901", f"port_value: {admin}"),
                     ("path: deploy/envoy-dynamic/monogram.yaml", f"path: {ecds_dir}/monogram.yaml"),
                     ("path: deploy/envoy-dynamic }", f"path: {ecds_dir} }}")]:
        assert old in text, old
        text = text.replace(old, new)
    return text


def signed(key, name):
    """A signed URL (docs/SIGNING.md, "The canonical form": its lines
    are the prefixed name, then shape and size in alphabetical order)."""
    message = f"/avatar/{name}\nshape=square\nsize={SIZE}"
    tag = hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()[:16]
    sig = base64.urlsafe_b64encode(tag).rstrip(b"=").decode()
    return f"/avatar/{urllib.parse.quote(name, safe='')}?size={SIZE}&shape=square&sig={sig}"


def colour(body):
    """The background: a square avatar's corner pixel, as #rrggbb."""
    r, g, b, _ = Image.open(io.BytesIO(body)).convert("RGBA").getpixel((0, 0))
    return f"#{r:02x}{g:02x}{b:02x}"


def stats(envoy):
    """The stats this test reads, asked for by name: the whole list is
    large, and the admin handler shares Envoy's main thread with ECDS."""
    wanted = r"^(extension_config_discovery\.|wasm\.|wasmcustom\.monogram\.cache|http\.main\.)"
    out = {}
    for line in envoy.admin("/stats?filter=" + urllib.parse.quote(wanted)).splitlines():
        name, _, value = line.partition(": ")
        out[name] = value.strip('"')
    return out


def test_reconfigure_under_load():
    old = old_key()
    assert len(old) >= 32 and len(NEW_KEY) >= 32
    # Each epoch: the configuration in force once a change is applied. The
    # refused version leaves the previous one in force.
    base = {"max_size": 512}
    # The render budget raised (defaults 100 ms a second, 100 ms of burst).
    raised = {**base, "palette": [PURPLE], "max_age": 86400,
              "render_budget_ms_per_s": 400, "render_burst_ms": 1000}
    epochs = [
        ("start: one key", {**base, "signing_keys": [old], "palette": [GREEN]}, "accept"),
        ("new key added", {**base, "signing_keys": [old, NEW_KEY], "palette": [GREEN]}, "accept"),
        ("palette, max_age and render budget raised", {**raised, "signing_keys": [old, NEW_KEY]},
         "accept"),
        ("a broken version, refused", {**base, "signing_keys": [NEW_KEY, "too-short"],
                                       "palette": [GREEN]}, "refuse"),
        ("old key removed", {**raised, "signing_keys": [NEW_KEY]}, "accept"),
    ]
    in_force = []
    for _, cfg, verdict in epochs:
        in_force.append(cfg if verdict == "accept" else in_force[-1])

    ecds_dir = Path(tempfile.mkdtemp(prefix="monogram-ecds-"))
    replace_atomically(ecds_dir, version_file(0, epochs[0][1]))
    envoy = Envoy(config_text=lambda port, admin: bootstrap(port, admin, ecds_dir))
    # tick is even while epoch tick // 2 is in force everywhere, odd while
    # the change to epoch (tick + 1) // 2 is in flight.
    tick = [0]
    old_urls = [signed(old, n) for n in NAMES]
    new_urls = [signed(NEW_KEY, n) for n in NAMES]
    paths = [p for pair in zip(old_urls, new_urls) for p in pair] + ["/healthz"]
    etag_colour = {}
    summary = []
    try:
        assert stats(envoy)[ECDS + "version_text"] == "0"
        vms_before = stats(envoy)["wasm.envoy.wasm.runtime.v8.active"]

        def stable(r, t, thread=None):
            return r.before == r.after == t and not r.error and (thread is None or r.thread == thread)

        with SteadyLoad(envoy.port, paths, keepalive=3, fresh=1, quota=4000,
                        stamp=lambda: tick[0], revalidate=True) as load:
            for e, (what, cfg, verdict) in enumerate(epochs):
                applied = 0.0
                if e > 0:
                    s = stats(envoy)
                    reload_before = int(s[ECDS + "config_reload"])
                    rejected_before = int(s[ECDS + "update_rejected"])
                    tick[0] += 1
                    renamed = time.monotonic()
                    replace_atomically(ecds_dir, version_file(e, cfg))
                    if verdict == "accept":
                        def has_version(s):
                            return (s[ECDS + "version_text"] == str(e)
                                    and int(s[ECDS + "config_reload"]) > reload_before)
                        wait_until(lambda: has_version(stats(envoy)), f"version {e} on every worker",
                                   tries=1000, pause=0.02)
                    else:
                        wait_until(lambda: int(stats(envoy)[ECDS + "update_rejected"]) > rejected_before,
                                   f"version {e} refused", tries=1000, pause=0.02)
                        assert stats(envoy)[ECDS + "version_text"] == str(e - 1)
                    applied = time.monotonic() - renamed
                    tick[0] += 1
                # Enough requests wholly within this epoch, on every
                # connection, before the next change.
                t = tick[0]
                wait_until(lambda: all(load.count(lambda r: stable(r, t, i)) >= 8
                                       for i in range(4)),
                           f"requests in epoch {e} ({what})")
                summary.append((e, what, load.count(lambda r: stable(r, t)), applied))
        records = load.records
        final = stats(envoy)
    finally:
        envoy.stop()
        shutil.rmtree(ecds_dir, ignore_errors=True)

    # What each answer says about the configuration that made it.
    for r in records:
        if r.status == 200 and r.path != "/healthz":
            etag_colour[r.headers["etag"]] = colour(r.body)

    def observed(r):
        if r.path == "/healthz":
            return (r.status,)
        if r.status == 200:
            return (200, colour(r.body), r.headers.get("cache-control"))
        if r.status == 304:
            # A 304 confirms the image the client has: its colour is that
            # of the 200 that carried the ETag. cache-control as the 200's.
            return (200, etag_colour.get(r.sent_etag), r.headers.get("cache-control"))
        return (r.status,)

    def expected(r, cfg):
        if r.path == "/healthz":
            return (200,)
        key = old if r.path in old_urls else NEW_KEY
        if key not in cfg["signing_keys"]:
            return (403,)
        max_age = cfg.get("max_age", 31536000)
        return (200, cfg["palette"][0], f"public, max-age={max_age}, immutable")

    errors = [r for r in records if r.error]
    assert not errors, [(r.path, r.error) for r in errors[:5]]
    server_errors = [r for r in records if r.status >= 500]
    assert not server_errors, [(r.path, r.status, r.body[:80]) for r in server_errors[:5]]
    assert int(final["http.main.downstream_rq_5xx"]) == 0

    mismatches = []
    for r in records:
        first, last = r.before // 2, (r.after + 1) // 2
        allowed = {expected(r, in_force[e]) for e in range(first, last + 1)}
        if observed(r) not in allowed:
            mismatches.append((r.path, r.before, r.after, observed(r), allowed))
    assert not mismatches, mismatches[:5]

    # The test saw what it claims to: old-key URLs served until the key's
    # removal and refused after it, both palettes, 304s, the caches in use.
    by_epoch = lambda urls, e, status: sum(  # noqa: E731
        1 for r in records if r.path in urls and r.before == r.after == 2 * e and r.status == status)
    for e in range(4):
        assert by_epoch(old_urls, e, 200) > 0, e
    assert by_epoch(old_urls, 4, 403) > 0
    assert by_epoch(new_urls, 0, 403) > 0
    assert set(etag_colour.values()) == {GREEN, PURPLE}
    assert sum(r.status == 304 for r in records) > 0
    assert int(final["wasmcustom.monogram.cache.hits"]) > 0
    # The workers kept their VMs: a change is a new root context in each.
    assert final["wasm.envoy.wasm.runtime.v8.active"] == vms_before
    assert int(final[ECDS + "update_rejected"]) == 1

    print(f"\n{len(records)} requests, no errors, no 5xx; "
          f"ECDS config_reload {final[ECDS + 'config_reload']}, "
          f"update_rejected {final[ECDS + 'update_rejected']}; "
          f"V8 VMs active {vms_before} before and after, "
          f"created {final['wasm.envoy.wasm.runtime.v8.created']} in all")
    # Times are printed for docs/OPERATIONS.md, never asserted.
    for e, what, n, applied in summary:
        print(f"  epoch {e} ({what}): applied {applied * 1000:.0f} ms after the rename; "
              f"{n} requests wholly within it")
    changing = sum(r.before != r.after or r.before % 2 for r in records)
    print(f"  {changing} requests made while a change was being applied (either version accepted)")


def test_readme_shows_the_tested_files():
    """docs/OPERATIONS.md's "Rotate keys without a restart" shows monogram.yaml
    whole and the filter entry of envoy.yaml as they are in
    deploy/envoy-dynamic/."""
    readme = (ROOT / "docs/OPERATIONS.md").read_text()
    whole = re.findall(r"<!-- file: (\S+) -->\n```yaml\n(.*?)```", readme, re.S)
    assert [f for f, _ in whole] == ["deploy/envoy-dynamic/monogram.yaml"]
    for f, block in whole:
        assert block == (ROOT / f).read_text(), f
    excerpts = re.findall(r"<!-- excerpt: (\S+) -->\n```yaml\n(.*?)```", readme, re.S)
    assert [f for f, _ in excerpts] == ["deploy/envoy-dynamic/envoy.yaml"]
    for f, block in excerpts:
        want = block.splitlines()
        lines = (ROOT / f).read_text().splitlines()
        windows = (textwrap.dedent("\n".join(lines[i:i + len(want)])).splitlines()
                   for i in range(len(lines) - len(want) + 1))
        assert want in windows, f"docs/OPERATIONS.md's excerpt of {f} is not in the file"
