"""The HTML report in real headless Chromium: quiet, offline, readable on a phone, printable.

Chromium must be installed (the test command installs the ``chromium`` package); without it
these tests fail rather than skip, so a missing browser cannot pass unnoticed.
"""

from __future__ import annotations

import re
import shutil
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, sync_playwright

from freecost.report.html import render_html


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("Chromium is not installed: the browser tests need `chromium` on PATH")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        yield launched
        launched.close()


def write(tmp_path_factory: pytest.TempPathFactory, name: str, document: dict[str, Any]) -> str:
    path = tmp_path_factory.mktemp("report") / name
    path.write_text(render_html(document), encoding="utf-8")
    return path.as_uri()


@pytest.fixture(scope="module")
def example_url(tmp_path_factory: pytest.TempPathFactory, example_document: dict[str, Any]) -> str:
    return write(tmp_path_factory, "report.html", example_document)


class Watched:
    """A page with everything it logs, throws, fetches and pops up recorded."""

    def __init__(self, browser: Browser, width: int, height: int = 900) -> None:
        self.page: Page = browser.new_page(viewport={"width": width, "height": height})
        self.console: list[ConsoleMessage] = []
        self.errors: list[Exception] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda message: self.console.append(message))
        self.page.on("pageerror", lambda error: self.errors.append(error))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog: Dialog) -> None:
        # A dialog would mean hostile text ran as script; record it and close it.
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, url: str) -> Page:
        self.page.goto(url, wait_until="load")
        return self.page


def pixels(png: bytes) -> set[bytes]:
    """The distinct colours of an 8-bit RGB or RGBA PNG (no image library needed)."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    at, idat, header = 8, b"", b""
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            header = data
        elif kind == b"IDAT":
            idat += data
        at += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8
    assert colour in (2, 6)
    size = 3 if colour == 2 else 4
    stride = width * size
    raw = zlib.decompress(idat)
    previous = bytearray(stride)
    seen: set[bytes] = set()
    for row in range(height):
        kind = raw[row * (stride + 1)]
        line = bytearray(raw[row * (stride + 1) + 1 : (row + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up = previous[i]
            corner = previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                near = min(
                    (abs(guess - left), 0, left),
                    (abs(guess - up), 1, up),
                    (abs(guess - corner), 2, corner),
                )
                line[i] = (line[i] + near[2]) & 0xFF
        seen.update(bytes(line[i : i + 3]) for i in range(0, stride, size))
        previous = line
    return seen


def test_the_report_opens_quietly_offline_and_draws_something(
    browser: Browser, example_url: str
) -> None:
    watched = Watched(browser, 1280)
    page = watched.open(example_url)
    assert [m.text for m in watched.console if m.type == "error"] == []
    assert watched.errors == []
    assert watched.requests == [example_url]
    assert page.evaluate("document.scripts.length") == 0
    assert page.locator("svg.map-svg").is_visible()
    shot = page.screenshot(clip={"x": 0, "y": 0, "width": 480, "height": 320})
    assert len(pixels(shot)) > 16
    page.close()


def test_hostile_text_runs_nothing_and_fetches_nothing(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory, hostile_document: dict[str, Any]
) -> None:
    url = write(tmp_path_factory, "hostile.html", hostile_document)
    watched = Watched(browser, 1024)
    page = watched.open(url)
    assert watched.dialogs == []
    assert watched.errors == []
    assert watched.requests == [url]
    assert (
        page.evaluate("document.querySelectorAll('script, img:not([src^=\"data:\"])').length") == 0
    )
    assert "<script>alert(1)</script>" in page.inner_text("h1")
    page.close()


def test_nothing_overflows_on_a_phone(browser: Browser, example_url: str) -> None:
    watched = Watched(browser, 375, 800)
    page = watched.open(example_url)
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth + 1")
    # The cards stack: each is as wide as the content column, one under the other.
    lefts = page.evaluate(
        "[...document.querySelectorAll('.card')].map(c => c.getBoundingClientRect().left)"
    )
    assert len(set(lefts)) == 1
    page.close()


def test_it_prints_on_several_pages_without_splitting_cards(
    browser: Browser, example_url: str
) -> None:
    watched = Watched(browser, 1024)
    page = watched.open(example_url)
    page.emulate_media(media="print")
    styles = page.evaluate(
        "[...document.querySelectorAll('.card')].map(c => getComputedStyle(c).breakInside)"
    )
    assert styles
    assert set(styles) == {"avoid"}
    assert page.evaluate("getComputedStyle(document.querySelector('.card')).boxShadow") == "none"
    link = page.locator("a[href^='https://support.google.com/voice/answer/1065667']").first
    after = link.evaluate("a => getComputedStyle(a, '::after').content")
    assert "support.google.com/voice/answer/1065667" in after
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) > 1
    assert watched.requests == [example_url]
    page.close()
