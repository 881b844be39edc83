"""The README's and docs' snippets and figures, taken from the files themselves.

- The Envoy snippets (README "Deployment" > "Envoy"; the remote fetch and the
  metric labels in docs/OPERATIONS.md), pasted into a minimal bootstrap, must
  validate, and Envoy must serve avatars with them, from a local file and
  from a remote fetch.
- The quick start's curl answer is what Envoy answers, header for header.
- The byte sizes quoted under "PNG or SVG" are the renderer's.
- The configuration check command works as described.
- Every link in README.md and docs/*.md resolves, and the README's contents
  list every section.
(The signing snippets are run by test_signing.py, the ui-avatars and
Gravatar ones by test_doors.py, the Nginx reload by test_nginx.py.)"""
import copy
import hashlib
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import yaml

from conftest import documents, native_render, quick_start, readme_snippet, request
from envoy_harness import Envoy, ROOT
from test_metrics import wait_for

sys.path.insert(0, str(ROOT / "tests"))
from links import headings, links, slug  # noqa: E402

ENVOY = os.environ.get("MONOGRAM_ENVOY", str(ROOT / "venv/bin/envoy"))
WASM = Path(os.environ.get("MONOGRAM_WASM", ROOT / "target/wasm32-wasip1/release/monogram.wasm")).resolve()
CHECK_CONFIG = os.environ.get("MONOGRAM_CHECK_CONFIG",
                              str(ROOT / "target/tools/release/examples/check_config"))


def snippets():
    """Every YAML snippet of README.md and docs/*.md, by name."""
    found = {}
    for doc in documents():
        for name, block in re.findall(r"<!-- snippet: ([\w-]+) -->\n```yaml\n(.*?)```",
                                      doc.read_text(), re.S):
            assert name not in found, f"snippet '{name}' is marked twice"
            found[name] = block
    # keys-env is run by test_keys_env.py, the photo and Gravatar routes by test_photo.py.
    assert set(found) == {"filter", "route", "stats", "remote-code", "remote-cluster", "keys-env",
                          "photo-route", "gravatar-route", "gravatar-cluster"}, set(found)
    return {k: yaml.safe_load(v) for k, v in found.items()}


def bootstrap(s, listen_port, admin_port, remote=False):
    """A minimal bootstrap of someone else's Envoy, with the snippets pasted in."""
    monogram = copy.deepcopy(s["filter"][0])
    vm = monogram["typed_config"]["config"]["vm_config"]
    if remote:
        vm["code"] = copy.deepcopy(s["remote-code"]["code"])
    else:
        # The README's path is an example; the test's module lives in target/.
        assert vm["code"]["local"]["filename"] == "/etc/envoy/monogram.wasm"
        vm["code"]["local"]["filename"] = str(WASM)
    config = {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin_port}}},
        "static_resources": {
            "listeners": [{
                "name": "existing",
                "address": {"socket_address": {"address": "127.0.0.1", "port_value": listen_port}},
                "filter_chains": [{"filters": [{
                    "name": "envoy.filters.network.http_connection_manager",
                    "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.network"
                                 ".http_connection_manager.v3.HttpConnectionManager",
                        "stat_prefix": "existing",
                        "route_config": {"virtual_hosts": [{
                            "name": "existing",
                            "domains": ["*"],
                            "routes": copy.deepcopy(s["route"]) + [{
                                "match": {"prefix": "/"},
                                "direct_response": {"status": 200,
                                                    "body": {"inline_string": "the existing site\n"}},
                            }],
                        }]},
                        "http_filters": [monogram, {
                            "name": "envoy.filters.http.router",
                            "typed_config": {"@type": "type.googleapis.com/envoy.extensions"
                                                      ".filters.http.router.v3.Router"},
                        }],
                    },
                }]}],
            }],
            "clusters": copy.deepcopy(s["remote-cluster"]) if remote else [],
        },
    }
    config.update(copy.deepcopy(s["stats"]))
    return config


def validate(config):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        yaml.safe_dump(config, f)
        f.flush()
        run = subprocess.run([ENVOY, "--mode", "validate", "-c", f.name, "--log-level", "warn"],
                             capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "OK" in run.stdout + run.stderr, run.stdout + run.stderr


def test_stats_snippet_is_the_one_envoy_yaml_uses():
    ours = yaml.safe_load((ROOT / "envoy.yaml").read_text())
    assert snippets()["stats"]["stats_config"] == ours["stats_config"]


def test_filter_snippet_configuration_is_accepted_by_the_filter():
    value = snippets()["filter"][0]["typed_config"]["config"]["configuration"]["value"]
    json.loads(value)
    run = subprocess.run([CHECK_CONFIG], input=value.encode(), capture_output=True)
    assert run.returncode == 0, run.stdout


def test_local_file_form_validates_and_serves_avatars_on_its_route_only():
    s = snippets()
    validate(bootstrap(s, 10001, 10002))
    e = Envoy(config_text=lambda port, admin: yaml.safe_dump(bootstrap(s, port, admin)))
    try:
        r = request(e, "/avatar/Ada%20Lovelace?size=48")
        assert r.status == 200 and r.header("content-type") == "image/png"
        assert r.image().size == (48, 48)
        other = request(e, "/somewhere/else")
        assert other.status == 200 and other.body == b"the existing site\n"
        # The filter hands its counts to Envoy once a second.
        wait_for(lambda: 'monogram_requests{outcome="rendered"} 1' in e.admin("/stats/prometheus"),
                 "the render counted")
    finally:
        e.stop()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_remote_form_fetches_the_release_artifact_checked_by_its_sha256sums_line():
    s = snippets()
    code = s["remote-code"]["code"]["remote"]
    cluster = s["remote-cluster"][0]
    assert code["http_uri"]["cluster"] == cluster["name"]
    assert code["sha256"] == "SHA256_FROM_SHA256SUMS"  # the docs' placeholder
    # Exactly as written (placeholder and all), the config is well-formed.
    validate(bootstrap(s, 10001, 10002, remote=True))

    # The release's artifact by the name the snippet fetches, from dist/
    # (make dist), served over plain HTTP on loopback instead of TLS to
    # example.com, with the sha256 the documented command reads from
    # dist/SHA256SUMS.
    version = re.search(r'^version = "(.*)"$', (ROOT / "Cargo.toml").read_text(), re.M).group(1)
    file_name = code["http_uri"]["uri"].rsplit("/", 1)[1]
    assert file_name == f"monogram-{version}.wasm", "the docs fetch another release"
    served = ROOT / "dist"
    assert (served / file_name).read_bytes() == WASM.read_bytes(), "run make dist"
    command = readme_snippet("release-sha256").strip()
    assert file_name in command
    digest = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    assert digest == hashlib.sha256(WASM.read_bytes()).hexdigest()
    handler = lambda *a, **k: _Quiet(*a, directory=str(served), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def config(port, admin, sha256):
        c = bootstrap(s, port, admin, remote=True)
        c["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"][
            "http_filters"][0]["typed_config"]["config"]["vm_config"]["code"]["remote"]["sha256"] = sha256
        cl = c["static_resources"]["clusters"][0]
        cl.pop("transport_socket")
        cl["type"] = "STATIC"
        cl.pop("dns_lookup_family")
        cl["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"][
            "socket_address"] = {"address": "127.0.0.1", "port_value": server.server_address[1]}
        return yaml.safe_dump(c)

    try:
        e = Envoy(config_text=lambda port, admin: config(port, admin, digest))
        try:
            r = request(e, "/avatar/Grace%20Hopper?size=40")
            assert r.status == 200 and r.image().size == (40, 40)
        finally:
            e.stop()
        # A wrong hash: Envoy starts, refuses the module, and answers 503 on
        # the avatar route (fail closed); the rest of the site is unaffected.
        bad = Envoy(config_text=lambda port, admin: config(port, admin, "0" * 64))
        try:
            assert request(bad, "/avatar/Grace%20Hopper?size=40").status == 503
            assert request(bad, "/somewhere/else").status == 200
        finally:
            bad.stop()
        assert "Plugin monogram failed to load" in bad.log_text()
    finally:
        server.shutdown()
        server.server_close()


# --- the quick start, figures and commands ---------------------------------

def test_quick_start_answer_is_what_envoy_answers(envoy):
    got, expected = quick_start(envoy.port)
    assert got == expected, (
        "README quick start: update its curl answer to what Envoy now says:\n" + "\n".join(got))


def test_byte_sizes_quoted_in_the_readme_are_the_renderers():
    text = " ".join((ROOT / "README.md").read_text().split())
    m = re.search(r"`Ada Lovelace` is ([\d,]+) bytes as a 128 px SVG and ([\d,]+) at 512 px, "
                  r"against ([\d,]+) and ([\d,]+) as PNG", text)
    assert m, "the README's sentence on SVG and PNG sizes changed: update this test with it"
    quoted = [int(g.replace(",", "")) for g in m.groups()]
    actual = [len(native_render(p)) for p in (
        "/avatar/Ada%20Lovelace.svg?size=128", "/avatar/Ada%20Lovelace.svg?size=512",
        "/avatar/Ada%20Lovelace?size=128", "/avatar/Ada%20Lovelace?size=512")]
    assert quoted == actual, f"README quotes {quoted} bytes; the renderer gives {actual}"


def test_check_config_command_prints_ok_or_the_reason():
    command = readme_snippet("check-config").strip()
    # cargo finds Cargo.toml from any directory inside the repository.
    work = ROOT / "target" / "readme-check-config"
    work.mkdir(parents=True, exist_ok=True)
    filter_config = snippets()["filter"][0]["typed_config"]["config"]["configuration"]["value"]
    for config, code, out in [(filter_config, 0, "ok"),
                              ('{"max_size": 4096}', 1, "monogram configuration key 'max_size'")]:
        (work / "config.json").write_text(config)
        # In the Makefile's tools build (target/tools, no LTO): the command
        # is the README's, and cargo finds check_config already built there
        # instead of linking the whole crate again with LTO.
        env = {**os.environ, "CARGO_TARGET_DIR": str(ROOT / "target/tools"),
               "CARGO_PROFILE_RELEASE_LTO": "false", "CARGO_PROFILE_RELEASE_CODEGEN_UNITS": "16"}
        run = subprocess.run(["bash", "-c", command], cwd=work, capture_output=True, text=True,
                             timeout=600, env=env)
        assert run.returncode == code, run.stdout + run.stderr
        assert run.stdout.startswith(out), run.stdout


# --- links ---------------------------------------------------------------------

def test_the_readme_contents_list_every_section():
    text = (ROOT / "README.md").read_text()
    contents = text.split("## Contents\n", 1)[1].split("\n## ", 1)[0]
    listed = [t.lstrip("#") for t in links(contents)]
    sections = [slug(t) for level, t in headings(text) if level in (2, 3) and t != "Contents"]
    assert listed == sections, "README: keep the contents in step with the ## and ### headings"
