"""The HTML report: one self-contained file an owner can read on a phone and a client can print.

:func:`render_html` reads only the report document (:mod:`freecost.report.data`). All of its
text may come from the outside world, so the template autoescapes everything, links are
emitted only for http(s) URLs, and the page carries no script and loads nothing: the styles and
drawings are inline, and a logo travels inside the file as a ``data:`` URI. A
Content-Security-Policy in the page forbids scripts and remote loads as a second line of
defence, should anything ever slip through the escaping.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from markupsafe import Markup

from freecost.durations import format_duration
from freecost.report.svg import GRADE_COLOURS, grade_colours, map_svg, uptime_chart, uptime_summary

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)

# Raster formats only, each recognised by its first bytes. SVG is refused on purpose: an SVG
# file is a document that can carry script and references to other resources, while these
# formats are pixels. (An <img> would not run an SVG's script today, but the report is meant
# to stay safe however it is opened or converted.)
LOGO_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}
LOGO_MAX_BYTES = 1024 * 1024
"""A logo larger than this is left out: it would make the report heavy to send."""

SEVERITIES = ("critical", "high", "medium", "low", "info")
STATUSES = ("ok", "warn", "fail", "error")


def logo_data_uri(logo: Mapping[str, Any] | None) -> str | None:
    """The logo as a ``data:`` URI, or None when it is absent, not a raster image or broken."""
    if not logo:
        return None
    media_type = str(logo.get("media_type", "")).strip().lower()
    signatures = LOGO_SIGNATURES.get(media_type)
    encoded = logo.get("data_base64")
    if signatures is None or not isinstance(encoded, str):
        return None
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not data or len(data) > LOGO_MAX_BYTES or not data.startswith(signatures):
        return None
    if media_type == "image/webp" and data[8:12] != b"WEBP":
        return None
    # Re-encoded from the decoded bytes, so only canonical base64 reaches the page.
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def safe_href(url: object) -> str | None:
    """``url`` if it is an absolute http(s) URL fit for an ``href``, else None."""
    if not isinstance(url, str):
        return None
    text = url.strip()
    if not text or any(ord(c) < 0x21 or c in "\"'<>`\\\x7f" for c in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def _link_text(url: str) -> str:
    """A source link's visible text: the address without its scheme, kept short."""
    parts = urlsplit(url)
    shown = parts.netloc + parts.path.rstrip("/")
    return shown if len(shown) <= 60 else shown[:59] + "…"


def _pct(value: object) -> str:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return "unknown"
    return f"{round(float(value), 3):g}%"


def _money(value: object) -> str:
    """A monthly cost; the packs state amounts without a currency, so none is added."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return "unknown"
    if value == 0:
        return "none (free)"
    return f"{value:,.2f} a month"


def _duration(seconds: object) -> str:
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        return "unknown"
    # To the minute: an incident's length in milliseconds is noise to a reader.
    rounded = round(seconds / 60) * 60 if seconds >= 60 else round(seconds)
    return format_duration(timedelta(seconds=rounded))


def _latency(millis: object) -> str:
    if not isinstance(millis, int | float) or isinstance(millis, bool):
        return "–"
    if millis < 1000:
        return f"{round(millis)} ms"
    return _duration(millis / 1000)


def _zone(name: object) -> ZoneInfo | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _periods(periods: object) -> str:
    """``{"7d": {"uptime_pct": ...}}`` in words."""
    if not isinstance(periods, Mapping) or not periods:
        return "not measured yet"
    shown = []
    for name, figures in periods.items():
        if not isinstance(figures, Mapping):
            continue
        text = f"{name}: up {_pct(figures.get('uptime_pct'))}, "
        text += f"{_pct(figures.get('coverage_pct'))} observed"
        count = figures.get("incidents")
        if isinstance(count, int) and count:
            text += f", {count} incident{'s' if count != 1 else ''}"
        shown.append(text)
    return "; ".join(shown) if shown else "not measured yet"


def grade_badge(grade: object, extra: str = "") -> Markup:
    """A grade letter in a coloured badge (the letter is what carries the meaning)."""
    letter = str(grade)
    known = letter if letter in GRADE_COLOURS else "unknown"
    classes = f"grade grade-{known}" + (f" {extra}" if extra else "")
    return Markup('<span class="{}" title="Grade {}">{}</span>').format(classes, letter, letter)


def _tag(value: object, known: tuple[str, ...], prefix: str) -> Markup:
    text = str(value)
    kind = text if text in known else "other"
    return Markup('<span class="tag {}-{}">{}</span>').format(prefix, kind, text)


def _grade_css() -> Markup:
    """Badge colours, from the same table the map uses."""
    rules = [
        f".grade-{letter} {{ background: {fill}; color: {ink}; }}"
        for letter, (fill, ink) in GRADE_COLOURS.items()
    ]
    fill, ink = grade_colours("unknown")
    rules.append(f".grade-unknown {{ background: {fill}; color: {ink}; }}")
    return Markup("\n".join(rules))


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("freecost.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(document: Mapping[str, Any]) -> str:
    """The report as one HTML5 file: no script, nothing fetched, the same bytes every time."""
    zone = _zone(document.get("period", {}).get("timezone"))
    dependencies = {str(d["id"]): str(d["name"]) for d in document.get("dependencies", [])}
    functions = {str(f["id"]): str(f["name"]) for f in document.get("functions", [])}
    alternative_ids = {
        str(e["to"])
        for e in document.get("map", {}).get("edges", [])
        if e.get("kind") == "alternative"
    }

    def when(value: object, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
        """An ISO timestamp in the business's timezone, as written when it is not one."""
        if not isinstance(value, str):
            return "unknown" if value is None else str(value)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if zone is not None and moment.tzinfo is not None:
            moment = moment.astimezone(zone)
        return moment.strftime(fmt).strip()

    template = _environment().get_template("report.html.j2")
    return template.render(
        doc=document,
        brand=document.get("branding", {}),
        logo=logo_data_uri(document.get("branding", {}).get("logo")),
        csp=CSP,
        grade_css=_grade_css(),
        map_svg=map_svg(document.get("map", {})),
        alternative_ids=alternative_ids,
        dep_name=lambda i: dependencies.get(str(i), str(i)),
        fn_name=lambda i: functions.get(str(i), str(i)),
        when=when,
        href=safe_href,
        link_text=lambda url: _link_text(str(url)),
        pct=_pct,
        money=_money,
        duration=_duration,
        latency=_latency,
        periods=_periods,
        grade_badge=grade_badge,
        severity_tag=lambda value: _tag(value, SEVERITIES, "sev"),
        status_tag=lambda value: _tag(value, STATUSES, "status"),
        chart=uptime_chart,
        chart_summary=uptime_summary,
    )


__all__ = ["CSP", "logo_data_uri", "render_html", "safe_href"]
