"""/avatar/{name}.svg through the real hosts (Envoy, and Nginx when built)."""
import xml.etree.ElementTree as ET

import pytest

from conftest import assert_framed, request

SVG = "{http://www.w3.org/2000/svg}"


def test_svg_answers_with_the_png_headers_but_its_own_type_and_etag(host):
    png = request(host, "/avatar/Ada%20Lovelace?size=64")
    svg = request(host, "/avatar/Ada%20Lovelace.svg?size=64")
    assert svg.status == 200
    assert svg.header("content-type") == "image/svg+xml"
    for h in ["cache-control", "access-control-allow-origin", "x-content-type-options"]:
        assert svg.header(h) == png.header(h), h
    assert svg.header("etag") != png.header("etag")
    assert_framed(host, svg)
    root = ET.fromstring(svg.body)
    assert root.tag == SVG + "svg"
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("64", "64", "0 0 64 64")
    tags = [e.tag.removeprefix(SVG) for e in root.iter()]
    assert tags == ["svg", "circle", "path"]
    assert root.find(SVG + "path").get("d").startswith("M")


def test_svg_conditional_and_head(host):
    first = request(host, "/avatar/Grace%20Hopper.svg")
    etag = first.header("etag")
    again = request(host, "/avatar/Grace%20Hopper.svg", headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    head = request(host, "/avatar/Grace%20Hopper.svg", method="HEAD")
    assert head.status == 200 and head.body == b""
    assert int(head.header("content-length")) == len(first.body)
    assert head.header("etag") == etag


@pytest.mark.parametrize("name", ["%3C%2Fsvg%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E",
                                  "%22%20onload%3D%22alert(1)", "%26amp%3B%3C!--"])
def test_no_user_text_reaches_the_markup(host, name):
    for query in ["", "?initials=%3Cs%3E", "?seed=%3Cscript%3E"]:
        r = request(host, f"/avatar/{name}.svg{query}")
        assert r.status == 200
        root = ET.fromstring(r.body)  # well-formed
        text = r.body.decode()
        for bad in ["script", "alert", "onload", "<!--", "&"]:
            assert bad not in text, (bad, text)
        assert {e.tag.removeprefix(SVG) for e in root.iter()} <= {"svg", "circle", "rect", "path",
                                                                  "clipPath", "g"}


def test_svg_placeholder_and_shapes(host):
    r = request(host, "/avatar/.svg?shape=rounded&size=80")
    root = ET.fromstring(r.body)
    assert root.find(SVG + "rect").get("rx") == "16"
    assert root.find(SVG + "clipPath") is not None
    square = ET.fromstring(request(host, "/avatar/Ada.svg?shape=square").body)
    assert square.find(SVG + "rect").get("rx") is None
