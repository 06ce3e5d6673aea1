"""What the answer to a ``form`` submission says, judged by ``success_text`` and ``failure_text``.

A site's own words are read the way a person reads them (markup, scripts and styles left out,
whitespace ignored), so a phrase is found however the page breaks its lines or nests its tags.
That reading is HTML work of its own, apart from the status and Contact Form 7 verdicts.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from freecost.probes.formhttp import MAX_BODY, PARSE_IN_THREAD
from freecost.probes.http import Hider
from freecost.probes.httpbody import excerpt, plain
from freecost.results import Layer, Outcome

if TYPE_CHECKING:
    from freecost.checktypes.form import Check
    from freecost.probes.formhttp import Answer


class _TextParser(HTMLParser):
    """The text a person sees: markup, scripts and styles left out, entities resolved."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _squeezed(text: str) -> str:
    return "".join(text.split())


@dataclass(frozen=True)
class Said:
    """An answer's text as sent, and as a person reads it with all whitespace taken out."""

    raw: str
    read: str

    def says(self, needle: str) -> bool:
        """Whether the answer says ``needle``, as written or as read.

        As read, whitespace does not count, so "Thanks! We'll be <i>in touch</i>." says
        "Thanks! We'll be in touch." however the page breaks its lines and nests its tags.
        """
        return needle in self.raw or _squeezed(needle) in self.read


def read_said(text: str, content_type: str | None) -> Said:
    """The answer's text both ways; markup is read only when the answer is (or looks like) it."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if not kind.endswith(("html", "xml")) and not (not kind and text.lstrip()[:1] == "<"):
        return Said(text, _squeezed(text))
    parser = _TextParser()
    parser.feed(text)
    parser.close()
    return Said(text, _squeezed("".join(parser.parts)))


async def judge_text(
    check: Check, answer: Answer, hide: Hider, details: dict[str, Any]
) -> Outcome | None:
    """``failure_text`` first, then ``success_text``."""
    if check.failure_text is None and check.success_text is None:
        return None
    text = answer.text()
    if len(text) > PARSE_IN_THREAD:
        said = await asyncio.to_thread(read_said, text, answer.content_type)
    else:
        said = read_said(text, answer.content_type)
    if check.failure_text is not None and said.says(check.failure_text):
        summary = f"the answer to the submission says '{plain(check.failure_text, 80)}'"
        details["excerpt"] = excerpt(hide(text), answer.content_type)
        return Outcome.fail(summary, Layer.CONTENT, **details)
    if check.success_text is not None:
        if not said.says(check.success_text):
            summary = f"the answer to the submission does not say '{plain(check.success_text, 80)}'"
            if answer.body.truncated:
                summary += f" (only its first {MAX_BODY // (1024 * 1024)} MiB was read)"
            details["excerpt"] = excerpt(hide(text), answer.content_type)
            return Outcome.fail(summary, Layer.CONTENT, **details)
        details["success_text"] = plain(check.success_text, 80)
    return None
