"""Names in every script through the real hosts (Envoy, and Nginx when
built): 200, the same bytes as the native renderer, and real initials (not
the placeholder)."""
import urllib.parse

import pytest

from conftest import request, native_render
from envoy_harness import ROOT


def script_names():
    out = []
    for line in (ROOT / "tests/scripts.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            fields = line.split("\t")
            query = f"?{fields[2]}" if len(fields) > 2 else ""
            out.append(pytest.param(fields[0], fields[1], query, id=fields[0]))
    return out


def avatar_path(name, query=""):
    return "/avatar/" + urllib.parse.quote(name, safe="") + query


def override_path(initials):
    return avatar_path("x", "?initials=" + urllib.parse.quote(initials))


@pytest.fixture(scope="module")
def placeholder(host):
    return request(host, "/avatar/").body


@pytest.mark.parametrize("slug,name,query", script_names())
def test_every_script_matches_the_native_renderer(host, placeholder, slug, name, query):
    path = avatar_path(name, query)
    r = request(host, path)
    assert r.status == 200, r.body
    assert r.header("content-type") == "image/png"
    assert r.body == native_render(path)
    assert r.body != placeholder, f"{slug}: got the placeholder"


@pytest.mark.parametrize("path", [
    avatar_path("王小明", "?size=16"),
    avatar_path("김민준", "?size=512"),
    avatar_path("محمد علي", "?size=512&shape=square"),
    avatar_path("x", "?initials=" + urllib.parse.quote("王")),
    avatar_path("x", "?initials=" + urllib.parse.quote("مع")),
    avatar_path("x", "?initials=" + urllib.parse.quote("E\u0301\u00d1")),
    avatar_path("ｼﾞｮﾝ"),
    avatar_path("𠮷田太郎", "?size=16"),
    avatar_path("བསྟན་འཛིན་རྒྱ་མཚོ", "?size=512"),
    avatar_path("ᠴᠢᠩᠭᠢᠰ ᠬᠠᠭᠠᠨ", "?size=512&shape=square"),
    avatar_path("አበበ ቢቂላ", "?size=40&length=1"),
    # The override draws every script as given: upright Mongolian, Adlam and
    # Cherokee lower case (Adlam right to left), a Tibetan and a Telugu letter.
    *[override_path(text) for text in ["ᠪᠠ", "𞤢𞤦", "ꮳꭰ", "ཀཁ", "మర"]],
])
def test_sizes_and_overrides_match_the_native_renderer(host, path):
    r = request(host, path)
    assert r.status == 200, r.body
    assert r.body == native_render(path)


def test_composed_and_decomposed_names_are_the_same_image(host):
    composed = request(host, avatar_path("\u00c9lodie \u00d1\u00fa\u00f1ez"))
    decomposed = request(host, avatar_path("E\u0301lodie N\u0303u\u0301n\u0303ez"))
    assert composed.status == decomposed.status == 200
    assert composed.body == decomposed.body


def test_override_counts_user_perceived_characters(host):
    # Three grapheme clusters, five code points: accepted.
    assert request(host, avatar_path("x", "?initials=" + urllib.parse.quote("E\u0301N\u0303Z"))).status == 200
    # A family emoji is one character: accepted (drawn as the placeholder: no emoji font).
    assert request(host, avatar_path("x", "?initials=" + urllib.parse.quote("👩‍👩‍👧‍👦"))).status == 200
    assert request(host, avatar_path("x", "?initials=" + urllib.parse.quote("王小明李"))).status == 400


@pytest.mark.parametrize("override", ["ᠪᠠ", "𞤢𞤦", "ꮳꭰ", "ཀཁ", "మర", "ܐ", "ހ", "ߞ", "ⵣ", "ᐊ", "ᱚ", "ሀ", "𠮷"])
def test_overrides_in_every_new_script_are_drawn(envoy, placeholder, override):
    r = request(envoy, override_path(override))
    assert r.status == 200, r.body
    assert r.body != placeholder


@pytest.mark.parametrize("name", ["😀", "👩‍💻", "🇯🇵", "★☆", "١٢٣", "(Sales)"])
def test_names_without_letters_get_the_placeholder(host, placeholder, name):
    r = request(host, avatar_path(name))
    assert r.status == 200
    assert r.body == placeholder
