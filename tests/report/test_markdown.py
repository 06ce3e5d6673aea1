"""The Markdown report: the example against its golden file, and hostile text kept inert.

To accept a deliberate change to the output, regenerate the golden file and review its diff:

    FREECOST_UPDATE_GOLDEN=1 python -m pytest tests/report/test_markdown.py -k golden
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

import pytest

from freecost.report.compare import compare
from freecost.report.markdown import inline, link, render_markdown, sparkline
from tests.report.documents import HOSTILE_INCIDENT, build

GOLDEN = Path(__file__).parent / "golden" / "example.md"
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    found = build()
    # The version changes with every release; the golden file should not.
    found["freecost_version"] = "0.0.0"
    return found


def test_the_example_matches_the_golden_file(document: dict[str, Any]) -> None:
    rendered = render_markdown(document)
    if os.environ.get("FREECOST_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(rendered, encoding="utf-8")
    assert GOLDEN.exists(), "no golden file: run with FREECOST_UPDATE_GOLDEN=1 to write it"
    assert rendered == GOLDEN.read_text(encoding="utf-8"), (
        "the Markdown differs from tests/report/golden/example.md; if the change is meant, "
        "run with FREECOST_UPDATE_GOLDEN=1 and review the diff"
    )


def test_rendering_is_deterministic(document: dict[str, Any]) -> None:
    assert render_markdown(document) == render_markdown(copy.deepcopy(document))


def test_the_report_has_every_section(document: dict[str, Any]) -> None:
    text = render_markdown(document)
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Executive summary",
        "## Functions",
        "## What customers experience",
        "## Dependencies",
        "## All recommendations",
        "## How uptime is counted",
        "## Appendix: check results",
    ]
    assert text.startswith("# Audit: Bailey WorkPlay, 2026-11-23\n")
    assert "### Google Voice business number (`google-voice`)" in text
    assert "(+7): Google Voice business number promises no support response" in text
    assert "<https://support.google.com/voice/answer/1065667>" in text
    # Times are the business's local time (America/Chicago), as the owner reads them.
    assert "| `voicemail` | fail | 2026-11-23 09:00 |" in text
    assert "1. **Watch The owner's mobile phone" in text
    assert text.endswith("\n")
    assert not text.endswith("\n\n")


def test_outside_markup_is_shown_as_text(document: dict[str, Any]) -> None:
    text = render_markdown(document)
    assert HOSTILE_INCIDENT not in text
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in text
    assert "<b>" not in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in text


def hostile(document: dict[str, Any]) -> dict[str, Any]:
    """The example with outside text that tries every way out of its place."""
    bad = copy.deepcopy(document)
    attack = "a | b\n# Pwned\n<script>alert(1)</script> `code` *bold* [x](javascript:alert(1))"
    bad["business"]["name"] = "Shop <img src=x onerror=alert(1)>"
    bad["branding"]["client_name"] = "Client\n# Heading"
    bad["summary"]["headline"] = "- list\n---\n" + attack
    gv = next(d for d in bad["dependencies"] if d["id"] == "google-voice")
    gv["name"] = "Voice | ###"
    gv["findings"][0]["message"] = attack
    gv["findings"][0]["evidence"] = "1. numbered\r\n> quote"
    gv["sla_facts"][0]["source"] = "javascript:alert(1)"
    gv["sla_facts"][1]["source"] = "https://example.com/a|b)"
    gv["sla_facts"][2]["note"] = attack
    gv["when_it_breaks"]["support_url"] = "javascript:alert(2)"
    gv["when_it_breaks"]["first_steps"] = [attack]
    gv["checks"][0]["summary"] = attack
    gv["incidents"][0]["first_summary"] = attack
    bad["recommendations"][0]["action"] = attack
    bad["results"][0]["summary"] = "cell | break\n| new | row |"
    return bad


def table_widths(text: str) -> list[set[int]]:
    """For each table, the counts of unescaped pipes on its lines (one count: intact)."""
    widths: list[set[int]] = []
    current: set[int] | None = None
    for line in text.splitlines():
        if line.startswith("|"):
            if current is None:
                current = set()
                widths.append(current)
            current.add(len(UNESCAPED_PIPE.findall(line)))
        else:
            current = None
    return widths


def test_hostile_text_cannot_break_out(document: dict[str, Any]) -> None:
    text = render_markdown(hostile(document))
    assert "<script" not in text
    assert "<img" not in text
    assert not re.search(r"(?<!\\)\]\(javascript:", text)
    assert "<javascript:" not in text
    assert all(len(widths) == 1 for widths in table_widths(text)), table_widths(text)
    lines = text.splitlines()
    assert not any(line.startswith(("# Pwned", "# Heading", "---", "> quote")) for line in lines)
    assert "https://example.com/a|b)" not in text
    assert "Voice \\| \\#\\#\\#" in text


def test_hostile_text_renders_as_text_in_a_markdown_parser(document: dict[str, Any]) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    parser = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table")
    html = parser.render(render_markdown(hostile(document)))
    assert "<script" not in html
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert "<h1>Pwned" not in html
    assert "<h1>Heading" not in html
    assert "<blockquote>" not in html
    # Every link in the report goes to an http(s) address.
    assert all(h.startswith(("http://", "https://")) for h in re.findall(r'href="([^"]*)"', html))
    # Every table row keeps its header's number of cells.
    for table in re.findall(r"<table>.*?</table>", html, flags=re.S):
        header = len(re.findall(r"<th[ >]", table))
        rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]
        assert all(len(re.findall(r"<td[ >]", row)) == header for row in rows)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a | b", "a \\| b"),
        ("<script>", "&lt;script&gt;"),
        ("one\ntwo\r\nthree\u2028four", "one two three four"),
        ("[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))"),
        ("`code` *b* ~s~ $m$", "\\`code\\` \\*b\\* \\~s\\~ \\$m\\$"),
        ("snake_case and _em_", "snake_case and \\_em\\_"),
        ("# title", "\\# title"),
        ("- item", "\\- item"),
        ("2. item", "2\\. item"),
        ("name #", "name \\#"),
        ("AT&T &amp; Q & A", "AT&amp;T &amp;amp; Q & A"),
        ("back\\slash", "back\\\\slash"),
        ("bidi\u202eevil", "bidi evil"),
    ],
)
def test_inline_escaping(raw: str, shown: str) -> None:
    assert inline(raw) == shown


def test_mid_line_text_keeps_a_leading_marker_plain() -> None:
    assert inline("0.1.0", mid_line=True) == "0.1.0"
    assert inline("0.1.0") == "0\\.1.0"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://example.com/sla?x=1", "<https://example.com/sla?x=1>"),
        ("http://example.com", "<http://example.com>"),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("https://example.com/a b", "https://example.com/a b"),
        ("https://example.com/a>b", "https://example.com/a&gt;b"),
        ("the business's own contract", "the business's own contract"),
        (None, "—"),
    ],
)
def test_only_http_urls_become_links(url: str | None, shown: str) -> None:
    assert link(url) == shown


def test_sparkline_scales_uptime_to_blocks() -> None:
    assert sparkline([100.0, 0.0, 50.0]) == "█ ▄"


def test_the_comparison_is_included_when_the_document_has_one(document: dict[str, Any]) -> None:
    current = copy.deepcopy(document)
    current["compare"] = compare(document, document)
    text = render_markdown(current)
    assert "## Since the last audit (2026-11-23)" in text
    assert text.index("## Since the last audit") < text.index("## How uptime is counted")
    assert "## Since the last audit" not in render_markdown(document)
