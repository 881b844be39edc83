"""The configurations for other hosts (deploy/), checked without running the
host: the files parse, use only fields the host defines, and carry a plugin
configuration the filter's own parser accepts (examples/check_config.rs, the
code on_configure runs). No Istio cluster runs here; Nginx with
ngx_wasm_module serves deploy/nginx/nginx.conf in the rest of the suite
whenever its build is present (nginx_harness.py)."""
import json
import os
import re
import subprocess

import crossplane
import pytest
import yaml

from envoy_harness import ROOT

CHECK_CONFIG = os.environ.get("MONOGRAM_CHECK_CONFIG",
                              str(ROOT / "target/tools/release/examples/check_config"))


def filter_accepts(config_json):
    """(accepted, message) from the filter's configuration parser."""
    run = subprocess.run([CHECK_CONFIG], input=config_json.encode(), capture_output=True)
    assert run.returncode in (0, 1), run.stderr
    return run.returncode == 0, run.stdout.decode().strip()


def assert_filter_accepts(config_json):
    ok, message = filter_accepts(config_json)
    assert ok, f"the filter would refuse {config_json!r}: {message}"


@pytest.mark.parametrize("config,key", [('{"path_prefix": "avatar"}', "path_prefix"),
                                        ('{"max_size": 9999}', "max_size"),
                                        ('{"colour": "red"}', "colour"),
                                        ("{not json", "JSON")])
def test_the_checker_refuses_what_the_filter_refuses(config, key):
    ok, message = filter_accepts(config)
    assert not ok and key in message


# --- Istio --------------------------------------------------------------------

# Fields of the WasmPlugin spec (extensions.istio.io/v1alpha1, Istio 1.27).
WASMPLUGIN_FIELDS = {"selector", "targetRef", "targetRefs", "url", "sha256", "imagePullPolicy",
                     "imagePullSecret", "pluginConfig", "pluginName", "phase", "priority",
                     "vmConfig", "match", "type", "failStrategy"}


@pytest.fixture(scope="module")
def wasmplugin():
    docs = list(yaml.safe_load_all((ROOT / "deploy/istio/wasmplugin.yaml").read_text()))
    assert len(docs) == 1
    return docs[0]


def test_wasmplugin_uses_only_fields_istio_defines(wasmplugin):
    assert wasmplugin["apiVersion"] == "extensions.istio.io/v1alpha1"
    assert wasmplugin["kind"] == "WasmPlugin"
    assert set(wasmplugin["metadata"]) <= {"name", "namespace", "labels", "annotations"}
    spec = wasmplugin["spec"]
    assert set(spec) <= WASMPLUGIN_FIELDS, set(spec) - WASMPLUGIN_FIELDS
    assert re.match(r"^(oci|https?|file)://", spec["url"])
    if "sha256" in spec:
        assert re.fullmatch(r"[0-9a-f]{64}", spec["sha256"])
    assert spec.get("type", "HTTP") == "HTTP"
    assert spec.get("imagePullPolicy", "IfNotPresent") in {"IfNotPresent", "Always"}
    assert spec.get("failStrategy", "FAIL_CLOSE") in {"FAIL_CLOSE", "FAIL_OPEN", "FAIL_RELOAD"}
    assert spec.get("phase", "UNSPECIFIED_PHASE") in {"UNSPECIFIED_PHASE", "AUTHN", "AUTHZ", "STATS"}
    assert spec["selector"]["matchLabels"]


def test_wasmplugin_config_is_accepted_by_the_filter(wasmplugin):
    config = wasmplugin["spec"]["pluginConfig"]
    assert config["path_prefix"] == "/avatar/"
    # Istio hands pluginConfig to the filter as JSON.
    assert_filter_accepts(json.dumps(config))


def test_the_oci_image_copies_the_built_module():
    text = (ROOT / "deploy/istio/Dockerfile").read_text()
    copies = re.findall(r"^COPY (\S+) (\S+)$", text, re.M)
    assert copies == [("target/wasm32-wasip1/release/monogram.wasm", "./plugin.wasm")]
    assert (ROOT / copies[0][0]).is_file()


# --- Nginx + ngx_wasm_module ----------------------------------------------------

def nginx_directives(block, path=()):
    for d in block:
        yield path, d
        yield from nginx_directives(d.get("block", []), path + ((d["directive"], *d["args"]),))


@pytest.fixture(scope="module")
def nginx():
    # crossplane checks the contexts and arguments of the directives it knows
    # (listen, root, location ...); the wasm ones it does not know pass.
    parsed = crossplane.parse(str(ROOT / "deploy/nginx/nginx.conf"), check_ctx=True,
                              check_args=True, strict=False)
    assert parsed["status"] == "ok", parsed["errors"]
    return list(nginx_directives(parsed["config"][0]["parsed"]))


def test_nginx_loads_the_module_at_top_level(nginx):
    modules = [(p, d) for p, d in nginx if d["directive"] == "module"]
    assert len(modules) == 1
    path, module = modules[0]
    assert path == (("wasm",),)
    name, wasm = module["args"][:2]
    assert name == "monogram" and wasm.startswith("/") and wasm.endswith("monogram.wasm")


def test_nginx_runs_the_filter_in_the_avatar_location_with_a_content_handler(nginx):
    filters = [(p, d) for p, d in nginx if d["directive"] == "proxy_wasm"]
    # The doors' location, and the photo route's with the same configuration.
    assert len(filters) == 2
    assert filters[1][0][-1] == ("location", "/photos/")
    assert filters[1][1]["args"] == filters[0][1]["args"]
    assert {"proxy_pass"} <= {d["directive"] for p, d in nginx if p == filters[1][0]}
    path, directive = filters[0]
    # One location for both doors: one configuration, one cache per worker.
    assert path[-1] == ("location", "~", "^/(avatar|api)/")
    name, config = directive["args"]
    assert name == "monogram"
    assert json.loads(config)["path_prefix"] == "/avatar/"
    assert json.loads(config)["ui_avatars_prefix"] == "/api/"
    assert_filter_accepts(config)
    siblings = [d["directive"] for p, d in nginx if p == path]
    # `return` would answer instead of the filter (observed with
    # ngx_wasm_module); a content handler is the fallback.
    assert "return" not in siblings
    assert {"root", "alias", "proxy_pass"} & set(siblings)


# --- The ABI both hosts provide ---------------------------------------------------

# Host functions ngx_wasm_module registers (its proxy-wasm and WASI host
# function tables). A module importing anything else does not load there.
# Some are registered as "not yet implemented" and trap when called; the
# filter calls none of those with the release the tests run (see docs/DESIGN.md,
# "A request's path").
NGX_WASM_MODULE_IMPORTS = {
    "env": {
        "proxy_log", "proxy_get_log_level", "proxy_set_effective_context", "proxy_done",
        "proxy_context_finalize", "proxy_continue_stream", "proxy_close_stream",
        "proxy_resume_stream", "proxy_send_local_response", "proxy_send_http_response",
        "proxy_continue_request", "proxy_continue_response", "proxy_resume_http_stream",
        "proxy_get_buffer", "proxy_get_buffer_bytes", "proxy_set_buffer",
        "proxy_set_buffer_bytes", "proxy_get_header_map_pairs", "proxy_get_header_map_value",
        "proxy_set_header_map_pairs", "proxy_add_header_map_value",
        "proxy_replace_header_map_value", "proxy_remove_header_map_value",
        "proxy_get_map_values", "proxy_set_map_values", "proxy_get_shared_data",
        "proxy_set_shared_data", "proxy_register_shared_queue", "proxy_resolve_shared_queue",
        "proxy_dequeue_shared_queue", "proxy_enqueue_shared_queue", "proxy_define_metric",
        "proxy_get_metric", "proxy_record_metric", "proxy_increment_metric", "proxy_http_call",
        "proxy_dispatch_http_call", "proxy_grpc_call", "proxy_grpc_stream", "proxy_grpc_send",
        "proxy_grpc_cancel", "proxy_grpc_close", "proxy_get_status",
        "proxy_call_foreign_function", "proxy_set_tick_period_milliseconds",
        "proxy_get_current_time_nanoseconds", "proxy_get_configuration", "proxy_get_property",
        "proxy_set_property", "proxy_clear_route_cache",
    },
    "wasi_snapshot_preview1": {
        "args_get", "args_sizes_get", "clock_time_get", "environ_get", "environ_sizes_get",
        "fd_write", "proc_exit", "random_get",
    },
}


def wasm_imports(data):
    """(module, name) of every function import of a wasm binary."""
    def leb(i):
        value = shift = 0
        while True:
            byte = data[i]
            i += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value, i

    def name(i):
        n, i = leb(i)
        return data[i:i + n].decode(), i + n

    assert data[:8] == b"\0asm\1\0\0\0"
    out, i = [], 8
    while i < len(data):
        section, i = data[i], i + 1
        size, i = leb(i)
        if section == 2:
            j = i
            count, j = leb(j)
            for _ in range(count):
                module, j = name(j)
                field, j = name(j)
                kind, j = data[j], j + 1
                assert kind == 0, f"non-function import {module}.{field}"
                _, j = leb(j)
                out.append((module, field))
        i += size
    return out


def test_the_module_imports_only_what_both_hosts_provide():
    wasm = os.environ.get("MONOGRAM_WASM", str(ROOT / "target/wasm32-wasip1/release/monogram.wasm"))
    imports = wasm_imports(open(wasm, "rb").read())
    assert ("env", "proxy_send_local_response") in imports
    missing = [f"{m}.{f}" for m, f in imports if f not in NGX_WASM_MODULE_IMPORTS.get(m, set())]
    assert not missing, f"ngx_wasm_module does not provide {missing}"
