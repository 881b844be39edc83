"""Signing keys from the environment, the recommended way: the plugin
configuration names a variable (`signing_keys_env`), Envoy passes its own
process environment's variable into the VM (`vm_config.environment_variables
.host_env_keys`), and the key never appears in the configuration, so not in
the admin `/config_dump` either."""
import yaml

from conftest import native_render, request
from envoy_harness import Envoy, render_config
from test_signing import NEW, OLD, avatar_url, readme_snippet  # noqa: F401 - fixture


def env_config(port, admin):
    """envoy.yaml with the configuration and environment of docs/SIGNING.md's keys-env snippet."""
    snippet = yaml.safe_load(readme_snippet("keys-env"))
    env = snippet["vm_config"]["environment_variables"]
    assert env == {"host_env_keys": ["MONOGRAM_SIGNING_KEYS"]}
    text = render_config(port, admin, extra_json=snippet["configuration"]["value"])
    text = text.replace("                  vm_id: monogram\n",
                        "                  vm_id: monogram\n"
                        "                  environment_variables:\n"
                        f"                    host_env_keys: {env['host_env_keys']}\n", 1)
    assert "host_env_keys" in text
    return text


def test_keys_from_the_environment_verify_and_stay_out_of_config_dump(avatar_url):  # noqa: F811
    e = Envoy(config_text=env_config, env={"MONOGRAM_SIGNING_KEYS": f"{NEW},{OLD}"})
    try:
        for key in (NEW, OLD):
            url = avatar_url(key, "Ada Lovelace", size="64")
            r = request(e, url)
            assert r.status == 200, r.body
            assert r.body == native_render(url)
        assert request(e, "/avatar/Ada%20Lovelace?size=64").status == 403
        dump = e.admin("/config_dump")
        assert "MONOGRAM_SIGNING_KEYS" in dump
        for key in (NEW, OLD):
            assert key not in dump
    finally:
        e.stop()


def test_an_unset_variable_refuses_the_configuration():
    try:
        Envoy(config_text=env_config, env={"MONOGRAM_SIGNING_KEYS": ""}).stop()
    except RuntimeError as e:
        assert "signing_keys_env" in str(e)
    else:
        raise AssertionError("Envoy accepted a configuration whose keys are missing")
