"""The HTML report: every section, escaping, self-containment, the logo rules, determinism."""

from __future__ import annotations

import base64
import re
import struct
import zlib
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

import pytest

from freecost.report.data import Logo
from freecost.report.html import CSP, logo_data_uri, render_html, safe_href
from freecost.report.svg import BOX_W, layout_map, map_svg, uptime_chart, wrap_label
from tests.report.conftest import BREAKOUT, DAYS, HOSTILE, SCRIPT, DocumentFactory

SECTIONS = ("summary", "impact", "map", "dependencies", "recommendations", "accounting", "appendix")


class Page(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def attrs(self, tag: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag]

    def ids(self) -> set[str]:
        return {a["id"] for _, a in self.tags if "id" in a}


def png(width: int = 1, height: int = 1) -> bytes:
    """A small valid PNG, made here so the test needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x30\x60\x90" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def html(example_document: dict[str, Any]) -> str:
    return render_html(example_document)


@pytest.fixture(scope="module")
def hostile_html(hostile_document: dict[str, Any]) -> str:
    return render_html(hostile_document)


def assert_self_contained(page_html: str) -> None:
    """Nothing to run and nothing to fetch: the page stands alone."""
    page = Page(page_html)
    tags = {t for t, _ in page.tags}
    assert not tags & {"script", "iframe", "object", "embed", "link", "base", "form"}
    for tag, attrs in page.tags:
        assert not [a for a in attrs if a.startswith("on")], tag
        assert "srcset" not in attrs
        if "href" in attrs:
            assert attrs["href"].startswith(("#", "https://", "http://")), attrs["href"]
            assert tag == "a"
        if "src" in attrs:
            assert re.fullmatch(
                r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+", attrs["src"]
            )
    assert not re.search(r"(src\s*=|url\(|@import)\s*[\"']?\s*(https?:)?//", page_html, re.I)
    assert not re.search(r"href\s*=\s*[\"']?\s*javascript:", page_html, re.I)


def test_the_example_renders_every_section(html: str, example_document: dict[str, Any]) -> None:
    page = Page(html)
    assert html.startswith("<!DOCTYPE html>")
    assert set(SECTIONS) <= page.ids()
    for dep in example_document["dependencies"]:
        assert f"dep-{dep['id']}" in page.ids()
    text = " ".join(" ".join(page.text).split())
    assert "Overall grade C" in text
    assert "Bailey WorkPlay" in text
    for action in example_document["summary"]["top_actions"]:
        assert action["action"] in text
    assert "monthly cost unknown" in text
    for dep in example_document["dependencies"]:
        for impact in dep["customer_impact"]:
            assert " ".join(impact["text"].split()) in text
    assert " ".join(example_document["accounting_policy"].split()) in text
    for result in example_document["results"]:
        assert result["summary"] in text
    assert "20d19h" in text  # the Google Voice incident's length
    assert "Support: https://support.google.com/voice/" in text


def test_the_map_is_drawn_with_its_single_points_of_failure_and_shared_fate(
    html: str, example_document: dict[str, Any]
) -> None:
    page = Page(html)
    assert len(page.attrs("svg")) >= 2
    svg = html[html.index('<svg class="map-svg"') : html.index("</svg>", html.index("map-svg"))]
    for node in example_document["map"]["nodes"]:
        # The full label is in a <title> even where the box shows it cut short.
        assert f"<title>{node['label'].replace(chr(39), '&#39;')}" in svg.replace(
            "<title>Function: ", "<title>"
        )
    spofs = [n for n in example_document["map"]["nodes"] if n.get("spof")]
    assert svg.count("single point of failure</text>") == len(spofs)
    assert svg.count('class="node node-spof"') == len(spofs)
    assert 'stroke-dasharray="6 4"' in svg
    assert svg.count("edge-needs") + svg.count("edge-alternative") == len(
        example_document["map"]["edges"]
    )
    assert "shared fate S1" in svg
    assert "S1</span>" in html  # the legend names the pair


def test_the_uptime_chart_has_a_titled_bar_per_day_and_a_text_summary(
    example_document: dict[str, Any],
) -> None:
    voice = next(d for d in example_document["dependencies"] if d["id"] == "google-voice")
    chart = str(uptime_chart(voice["daily"]))
    assert chart.count('<g class="bar">') == DAYS
    assert chart.count("<title>") == DAYS
    assert "2026-10-28: up 16.667% of the observed time; 100% of the day observed" in chart
    html = render_html(example_document)
    assert f"{DAYS} days from 2026-10-24 to 2026-11-22" in html


def test_hostile_strings_are_escaped(hostile_html: str) -> None:
    for raw in HOSTILE[:2]:
        assert raw not in hostile_html
    assert "<script" not in hostile_html.lower()
    assert "<img src=x" not in hostile_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile_html
    assert_self_contained(hostile_html)
    text = " ".join(Page(hostile_html).text)
    # Shown as text, exactly as it came.
    assert SCRIPT in text
    assert BREAKOUT in text
    assert "javascript:alert(1)" in text


def test_only_http_sources_become_links(example_document: dict[str, Any], html: str) -> None:
    page = Page(html)
    hrefs = [a["href"] for a in page.attrs("a") if not a["href"].startswith("#")]
    assert "https://support.google.com/voice/answer/1065667" in hrefs
    assert all(h.startswith(("https://", "http://")) for h in hrefs)
    assert_self_contained(html)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a?b=1", "https://example.com/a?b=1"),
        (" http://example.com/ ", "http://example.com/"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("data:text/html,<script>", None),
        ("//example.com/", None),
        ("https:///nohost", None),
        ('https://example.com/"><img>', None),
        ("the business's own contract", None),
        (None, None),
    ],
)
def test_safe_href(url: object, expected: str | None) -> None:
    assert safe_href(url) == expected


def test_content_security_policy_forbids_scripts_and_remote_loads(html: str) -> None:
    metas = Page(html).attrs("meta")
    csp = [m["content"] for m in metas if m.get("http-equiv") == "Content-Security-Policy"]
    assert csp == [CSP]
    assert "default-src 'none'" in CSP
    assert "script-src" not in CSP
    assert "img-src data:" in CSP


def test_a_png_logo_is_embedded(make_document: DocumentFactory) -> None:
    image = png()
    html = render_html(make_document(Logo("image/png", image)))
    expected = f"data:image/png;base64,{base64.b64encode(image).decode()}"
    assert [a["src"] for a in Page(html).attrs("img")] == [expected]
    assert_self_contained(html)


def test_an_svg_logo_is_refused(make_document: DocumentFactory) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    html = render_html(make_document(Logo("image/svg+xml", svg)))
    assert Page(html).attrs("img") == []
    assert "image/svg" not in html


@pytest.mark.parametrize(
    "logo",
    [
        {"media_type": "image/png", "data_base64": "not base64!!"},
        {"media_type": "image/png", "data_base64": "iVBORw0KGgo=AAAA"},
        {"media_type": "image/png", "data_base64": base64.b64encode(b"GIF89a...").decode()},
        {"media_type": "image/webp", "data_base64": base64.b64encode(b"RIFF0000WAVE").decode()},
        {"media_type": "text/html", "data_base64": base64.b64encode(png()).decode()},
        {"media_type": "image/png", "data_base64": ""},
        {"media_type": "image/png"},
    ],
)
def test_a_broken_logo_is_left_out(
    example_document: dict[str, Any], logo: Mapping[str, Any]
) -> None:
    assert logo_data_uri(logo) is None
    doc = {**example_document, "branding": {**example_document["branding"], "logo": logo}}
    assert Page(render_html(doc)).attrs("img") == []


def test_other_raster_logos_are_accepted() -> None:
    for media_type, data in (
        ("image/jpeg", b"\xff\xd8\xff\xe0rest"),
        ("image/gif", b"GIF89a rest"),
        ("image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 "),
    ):
        encoded = base64.b64encode(data).decode()
        uri = logo_data_uri({"media_type": media_type, "data_base64": encoded})
        assert uri == f"data:{media_type};base64,{encoded}"


def test_the_output_is_deterministic(make_document: DocumentFactory) -> None:
    first = render_html(make_document())
    assert first == render_html(make_document())


def test_branding_names_the_client_and_who_prepared_it(
    example_document: dict[str, Any],
) -> None:
    doc = {
        **example_document,
        "branding": {"prepared_by": "Ada Consulting", "client_name": "Client Ltd", "logo": None},
    }
    text = " ".join(" ".join(Page(render_html(doc)).text).split())
    assert "prepared by Ada Consulting" in text
    assert "Risk audit: Client Ltd" in text


def test_unknown_costs_and_missing_history_read_plainly(
    example_document: dict[str, Any],
) -> None:
    doc = {**example_document, "dependencies": [dict(d) for d in example_document["dependencies"]]}
    doc["recommendations"] = [{**doc["recommendations"][0], "monthly_cost": 12.5}]
    doc["dependencies"][0] = {**doc["dependencies"][0], "daily": [], "uptime": None}
    html = render_html(doc)
    assert "12.50 a month" in html
    assert "No uptime has been recorded yet." in html


def test_long_labels_are_wrapped_and_cut() -> None:
    assert wrap_label("short") == ["short"]
    lines = wrap_label("Prospects find us and send enquiries through the website and more")
    assert len(lines) == 2
    assert lines[-1].endswith("…")
    assert all(len(line) <= 24 for line in lines)
    assert wrap_label("x" * 100)[1].endswith("…")


def test_the_layout_puts_functions_left_and_alternatives_beside_what_they_replace(
    example_document: dict[str, Any],
) -> None:
    layout = layout_map(example_document["map"])
    functions = [n for n in layout.nodes.values() if n.kind == "function"]
    dependencies = [n for n in layout.nodes.values() if n.kind == "dependency"]
    assert {n.column for n in functions} == {0}
    assert min(n.x for n in dependencies) >= max(n.x for n in functions) + BOX_W
    nodes = layout.nodes
    # google-voice needs google-account: the account is further right.
    assert nodes["google-account"].column > nodes["google-voice"].column
    # The mobile line stands in for Google Voice: same column, just below it.
    assert nodes["mobile-line"].column == nodes["google-voice"].column
    assert nodes["mobile-line"].y > nodes["google-voice"].y
    # Boxes in a column never overlap.
    for a in layout.nodes.values():
        for b in layout.nodes.values():
            if a is not b and a.column == b.column:
                assert abs(a.y - b.y) >= 84
    assert layout_map(example_document["map"]) == layout


def test_a_map_with_a_cycle_or_unknown_ids_still_draws() -> None:
    document_map = {
        "nodes": [
            {"id": "f", "kind": "function", "label": "F", "grade": "A", "criticality": "high"},
            {"id": "a", "kind": "dependency", "label": "A", "grade": "B", "spof": False},
            {"id": "b", "kind": "dependency", "label": "B", "grade": "Z", "spof": True},
        ],
        "edges": [
            {"from": "f", "to": "a", "kind": "needs"},
            {"from": "a", "to": "b", "kind": "needs"},
            {"from": "b", "to": "a", "kind": "needs"},
            {"from": "a", "to": "ghost", "kind": "needs"},
        ],
        "shared_fate": [["a", "ghost"]],
    }
    svg = str(map_svg(document_map))
    assert svg.count('<g class="node') == 3
    assert svg.count("edge-needs") == 3
    assert "shared fate" not in svg
    assert map_svg({"nodes": [], "edges": []}) == ""
