"""`make bench` builds its Envoy config from envoy.yaml with text surgery; this
keeps that from rotting when envoy.yaml changes: the generated config must
pass Envoy's own validation and have the listeners the scenarios need."""
import os
import subprocess
import sys

from conftest import skip_without_nginx
import envoy_harness
from envoy_harness import ROOT, render_config
from nginx_harness import nginx_binary, prepare_prefix
from test_deploy import CHECK_CONFIG

sys.path.insert(0, str(ROOT / "bench"))
import run as bench  # noqa: E402


def ceiling_wasm():
    """Envoy's validation opens every wasm file, so build bench/ceiling once."""
    if not bench.CEILING_WASM.exists():
        env = dict(os.environ, CARGO_TARGET_DIR=str(ROOT / "target/ceiling"))
        subprocess.run(["cargo", "build", "--release", "--target", "wasm32-wasip1",
                        "--manifest-path", str(ROOT / "bench/ceiling/Cargo.toml")],
                       check=True, capture_output=True, env=env)
    return bench.CEILING_WASM


def test_the_bench_config_is_valid_and_has_every_listener(tmp_path, monkeypatch):
    ceiling_wasm()
    # The demo photo origin's port is a free one: fixed here, as the others are.
    monkeypatch.setattr(envoy_harness, "free_port", lambda: 20007)
    ports = dict(main=20001, nocache=20002, floor=20003, admin=20004, ceiling=20005, control=20006)
    text = bench.bench_config(ports["main"], ports["nocache"], ports["floor"], ports["admin"],
                              ports["ceiling"], ports["control"])
    assert text == bench.bench_config(*ports.values()), "deterministic"
    listeners = text.split("\n  - name: ")[1:]
    by_name = {chunk.split("\n", 1)[0]: chunk for chunk in listeners}
    # The photo cluster is a list item at the same depth, before the listeners.
    assert set(by_name) == {"photo_origin", "demo_photo_origin", "main", "nocache", "floor",
                            "control", "ceiling"}
    assert '"cache_bytes": 0' in by_name["nocache"] and "vm_id: monogram" in by_name["nocache"]
    for plain in ("floor", "control"):
        assert "wasm" not in by_name[plain] and "/healthz" in by_name[plain]
    assert str(bench.CEILING_WASM) in by_name["ceiling"] and "vm_id: ceiling" in by_name["ceiling"]
    # Everything else is envoy.yaml as users run it.
    assert by_name["main"].split("\n", 3)[3] in render_config(ports["main"], ports["admin"])
    config = tmp_path / "bench.yaml"
    config.write_text(text)
    envoy = os.environ.get("MONOGRAM_ENVOY", str(ROOT / "venv/bin/envoy"))
    r = subprocess.run([envoy, "--mode", "validate", "-c", str(config), "--log-level", "warn"],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_client_scripts_send_what_the_scenarios_say():
    hot = bench.cycle_lua(["/avatar/A?size=128", "/avatar/B?size=128"], {"If-None-Match": '"x"'})
    assert '"/avatar/A?size=128", "/avatar/B?size=128"' in hot
    assert """["If-None-Match"] = '"x"'""" in hot
    assert "init = function" in hot and "request = function" in hot
    # (a) starts each run from a different counter, so rounds never repeat names.
    assert "os.time()" in bench.UNCACHED_LUA


def test_the_nginx_bench_config_passes_nginx_t_and_the_filter(tmp_path):
    """The same for the Nginx rows: the generated config is accepted by
    `nginx -t` and by the filter's parser, and its second server has no cache."""
    skip_without_nginx()
    text = bench.nginx_bench_config(20011, 20012)
    assert "listen 127.0.0.1:20011;" in text and "listen 127.0.0.1:20012;" in text
    prefix = prepare_prefix(tmp_path)
    conf = prefix / "conf/nginx.conf"
    conf.write_text(text)
    check = subprocess.run([CHECK_CONFIG, "--nginx", str(conf)], capture_output=True, text=True)
    # Two servers, each with the doors' location and the photo route's.
    assert check.returncode == 0 and check.stdout.count(": ok") == 4, check.stdout
    assert '\\"cache_bytes\\": 0' not in text and '"cache_bytes": 0' in text
    t = subprocess.run([str(nginx_binary()), "-p", str(prefix), "-c", str(conf), "-t"],
                       capture_output=True, text=True)
    assert t.returncode == 0, t.stderr
