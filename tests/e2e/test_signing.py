"""Signed URLs through the real hosts (Envoy, and Nginx when built), using the
documented signing snippets (Python from README.md, shell + openssl from
docs/SIGNING.md, extracted verbatim), with a rotated key, for tricky names and a name in every script."""
import hashlib
import json
import os
import subprocess

import pytest

from conftest import HOSTS, native_render, readme_snippet, request, running
from test_parity import TRICKY_NAMES
from test_scripts import script_names

NEW = "new-key-b2d1f0c9a8e7d6c5-4f3e2d1c0b9a"
OLD = "old-key-0f1e2d3c4b5a6978-9a8b7c6d5e4f"
GONE = "gone-key-aa55aa55aa55aa55-0123456789ab"


def signing_config(keys):
    return json.dumps({"max_size": 512, "signing_keys": keys})


@pytest.fixture(scope="module", params=HOSTS)
def kind(request):
    return request.param


@pytest.fixture(scope="module")
def rotating(kind):
    """Accepts the new key and, while it is rotated out, the old one."""
    with running(kind, signing_config([NEW, OLD])) as h:
        yield h


@pytest.fixture(scope="module")
def rotated(kind):
    """After the rotation: only the new key."""
    with running(kind, signing_config([NEW])) as h:
        yield h


@pytest.fixture(scope="module")
def avatar_url():
    namespace = {}
    exec(readme_snippet("sign-python"), namespace)  # noqa: S102 - our own docs
    return namespace["avatar_url"]


def shell_signed(key):
    out = subprocess.run(["bash", "-euo", "pipefail", "-c", readme_snippet("sign-shell")],
                         env={**os.environ, "MONOGRAM_KEY": key},
                         check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


CASES = [
    ("Ada Lovelace", {"size": "64"}),
    ("logo.png", {}),
    ("vector.svg", {"size": "96"}),
    ("x%2Esvg", {}),
    ("Élodie Núñez", {}),
    ("jane.doe@example.com", {"shape": "rounded", "bg": "#ffeb3b", "length": "1"}),
    ("a/b & c=d?e#f+g%h", {"size": "9999", "fg": "000"}),
    ("Mary Ann Smith", {"length": "3", "size": "-5", "seed": "user 7"}),
]


@pytest.mark.parametrize("name,params", CASES)
def test_python_snippet_urls_are_rendered(rotating, avatar_url, name, params):
    for key in (NEW, OLD):
        url = avatar_url(key, name, **params)
        r = request(rotating, url)
        assert r.status == 200, (url, r.body)
        assert r.body == native_render(url)  # the same image as unsigned
        # Unknown parameters are not signed and change nothing.
        assert request(rotating, url + "&utm_source=mail").body == r.body


# The snippet signs the name as given; a name ending in .png or .svg is read
# as that format's suffix, so its URL does not verify (a snippet limitation,
# the same on every host). A control character is a 400 whether signed or not.
# Every printable name, a name's own `.png` or `.svg` and the dot segments
# included: the README's function spells them so that they survive
# normalisation.
SIGNABLE = [n for n in TRICKY_NAMES if n.isprintable()] + ["..", "logo.svg.png", "%2E"] + \
    [p.values[1] for p in script_names()]


@pytest.mark.parametrize("name", SIGNABLE)
def test_every_tricky_name_verifies(rotating, avatar_url, name):
    url = avatar_url(NEW, name, size="40")
    r = request(rotating, url)
    assert r.status == 200, (url, r.body)
    assert r.body == native_render(url)


def test_shell_snippet_urls_are_rendered(rotating, rotated, avatar_url):
    for key in (NEW, OLD):
        url = shell_signed(key)
        assert url.startswith("/avatar/Ada%20Lovelace?size=64&sig=")
        assert url == avatar_url(key, "Ada Lovelace", size="64"), "shell and Python agree"
        r = request(rotating, url)
        assert r.status == 200 and r.image().size == (64, 64), r.body
    assert request(rotated, shell_signed(NEW)).status == 200


def test_rotated_out_key_is_refused(rotated, avatar_url):
    for key in (OLD, GONE):
        r = request(rotated, avatar_url(key, "Ada Lovelace", size="64"))
        assert r.status == 403
        assert r.body == b"the signature 'sig' does not match this URL\n"
    assert request(rotated, avatar_url(NEW, "Ada Lovelace", size="64")).status == 200


@pytest.mark.parametrize("mutate,message", [
    (lambda u: u.split("?")[0], "this server renders only signed avatar URLs: parameter 'sig' is missing"),
    (lambda u: u.replace("size=64", "size=65"), "the signature 'sig' does not match this URL"),
    (lambda u: u.replace("Ada", "Bob"), "the signature 'sig' does not match this URL"),
    (lambda u: u + "&shape=square", "the signature 'sig' does not match this URL"),
    (lambda u: u[:-1], "parameter 'sig' must be 22 characters of URL-safe base64 without padding"),
    (lambda u: u + "==", "parameter 'sig' must be 22 characters of URL-safe base64 without padding"),
])
def test_anything_else_is_403_with_a_clear_message(rotating, avatar_url, mutate, message):
    for method in ("GET", "HEAD"):
        r = request(rotating, mutate(avatar_url(NEW, "Ada Lovelace", size="64")), method=method)
        assert r.status == 403
        assert r.header("cache-control") == "no-store"
        if method == "GET":
            assert r.body == (message + "\n").encode()
    r = request(rotating, mutate(avatar_url(NEW, "Ada Lovelace", size="64")),
                headers={"If-None-Match": "*"})
    assert r.status == 403, "no 304 without a signature"


def test_equivalent_spellings_verify(rotating, avatar_url):
    url = avatar_url(NEW, "Ada Lovelace", size="64", bg="#abc")
    path, query = url.split("?")
    reordered = "&".join(reversed(query.split("&")))
    for variant in [url.replace("%20", "+"), url.replace("bg=%23abc", "bg=%23%61bc"),
                    path.replace("Lovelace", "Lovelace.png") + "?" + query, path + "?" + reordered]:
        assert request(rotating, variant).status == 200, variant


def test_privacy_friendly_form(rotating):
    """docs/SIGNING.md's privacy snippet, run after the README's signing snippet."""
    namespace = {}
    exec(readme_snippet("sign-python"), namespace)  # noqa: S102 - our own docs
    namespace["key"] = NEW
    namespace["SEED_KEY"] = b"a secret of the backend, not a signing key"
    exec(readme_snippet("privacy"), namespace)  # noqa: S102 - our own docs
    seed, url = namespace["seed"], namespace["url"]
    assert "Di" not in url and url.startswith("/avatar/?")
    # Not the plain hash of the id, which anyone can recompute.
    assert seed != hashlib.sha256(b"user-42").hexdigest()[:16]
    r = request(rotating, url)
    assert r.status == 200
    assert r.body == native_render(f"/avatar/Di%20Wu?seed={seed}")


def test_other_routes_need_no_signature(rotating):
    assert request(rotating, "/").status == 200
