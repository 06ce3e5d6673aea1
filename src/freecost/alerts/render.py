"""An alert as the plain text a person reads on a phone: a title and a short body.

The summary comes from the outside world (a status page, a server's banner), so everything is
flattened to one plain line before it is used: terminal escapes and control characters are
removed and lengths are capped. The text is sent as plain text; notification services that
show HTML escape it themselves, so ``<script>`` arrives as those eight characters.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from freecost.alerts.alert import Alert, HurtFunction
from freecost.results import Layer

TITLE_LIMIT = 200
NAME_LIMIT = 120
SUMMARY_LIMIT = 300
STEP_LIMIT = 300
MAX_FUNCTIONS = 10
MAX_STEPS = 6

_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[@-_]"  # any other two-character escape
)
_SPACES = re.compile(r"\s+")

_LAYER_WORDS: dict[Layer, str] = {
    Layer.LOCAL: "this machine could not run the check",
    Layer.CONFIG: "the check cannot run as written",
    Layer.DNS: "the name does not resolve (DNS)",
    Layer.CONNECT: "the server does not accept connections",
    Layer.TLS: "the secure connection (TLS certificate) fails",
    Layer.PROTOCOL: "the server answers, but wrongly",
    Layer.HTTP: "the web server answers with an error",
    Layer.CONTENT: "the page or answer does not say what it should",
    Layer.TIMEOUT: "no answer in time",
    Layer.VENDOR: "the vendor reports a problem",
    Layer.DELIVERY: "a test message was sent but did not arrive",
}

_LABELS = {"opened": "DOWN", "reminder": "STILL DOWN", "closed": "RECOVERED"}


def plain(text: str, limit: int) -> str:
    """``text`` as one line of plain text at most ``limit`` characters long."""
    text = _ESCAPE.sub("", text)
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char.isspace() or category in ("Zl", "Zp"):
            kept.append(" ")
        elif category[0] != "C":  # control, format (bidi overrides), surrogate, private, unassigned
            kept.append(char)
    flat = _SPACES.sub(" ", "".join(kept)).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def spoken(duration: timedelta) -> str:
    """A duration as people say it: ``45 s``, ``12 min``, ``2 h 15 min``, ``3 d 4 h``."""
    seconds = max(0, int(duration.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"


def local_time(moment: datetime, zone: tzinfo) -> str:
    """``Tue 03 Mar 2026 09:12 CST``: the business's clock, with the zone spelled out."""
    here = moment.astimezone(zone)
    return f"{here:%a %d %b %Y %H:%M} {here.tzname() or ''}".rstrip()


def render(alert: Alert, business_name: str, timezone: str | tzinfo) -> tuple[str, str]:
    """The alert's title and body, plain text, times in the business's ``timezone``."""
    zone = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
    return _title(alert), "\n".join(_body(alert, plain(business_name, NAME_LIMIT), zone))


def _title(alert: Alert) -> str:
    what = f"{plain(alert.dependency_name, NAME_LIMIT)} ({alert.dependency}/{alert.check})"
    title = f"{_LABELS[alert.kind]}: {what}"
    if alert.functions:
        title += f" — {plain(alert.functions[0].name, NAME_LIMIT)}"
        if len(alert.functions) > 1:
            title += f" (+{len(alert.functions) - 1} more)"
    return plain(title, TITLE_LIMIT)


def _body(alert: Alert, business: str, zone: tzinfo) -> list[str]:
    name = plain(alert.dependency_name, NAME_LIMIT)
    check = f"{alert.dependency}/{alert.check}"
    summary = plain(alert.summary, SUMMARY_LIMIT) or "(no summary)"
    if alert.kind == "closed":
        ended = alert.ended or alert.at
        return [
            f"{business}: {name} is working again.",
            "",
            f"What recovered: check {check}.",
            f"Down from {local_time(alert.since, zone)} to {local_time(ended, zone)} "
            f"({spoken(alert.lasted)}).",
            f"Last result: {summary}",
            "",
            "Who it hurt:",
            *_function_lines(alert),
        ]
    state = "is still down" if alert.kind == "reminder" else "is down"
    broke = f"What broke: check {check}"
    if alert.layer is not None:
        broke += f" — {_LAYER_WORDS[alert.layer]}"
    return [
        f"{business}: {name} {state}.",
        "",
        f"{broke}.",
        f"Last result: {summary}",
        f"Since: {local_time(alert.since, zone)} (for {spoken(alert.lasted)})",
        "",
        "Who it hurts:",
        *_function_lines(alert),
        *_alternative_lines(alert),
        "",
        "What to do first:",
        *_step_lines(alert),
    ]


def _function_lines(alert: Alert) -> list[str]:
    if not alert.functions:
        lines = ["- No business function lists it as needed."]
        if alert.stands_in_for:
            names = ", ".join(plain(n, NAME_LIMIT) for n in alert.stands_in_for)
            lines.append(f"- It is the stand-in for: {names}.")
        return lines
    shown = [_function_line(f) for f in alert.functions[:MAX_FUNCTIONS]]
    hidden = len(alert.functions) - MAX_FUNCTIONS
    return shown + ([f"- … and {hidden} more"] if hidden > 0 else [])


def _function_line(function: HurtFunction) -> str:
    line = f"- {plain(function.name, NAME_LIMIT)} ({function.criticality})"
    if function.via:
        line += ", through " + " → ".join(plain(n, NAME_LIMIT) for n in function.via)
    return line


def _alternative_lines(alert: Alert) -> list[str]:
    if not alert.alternatives:
        return []
    names = ", ".join(plain(n, NAME_LIMIT) for n in alert.alternatives)
    return [f"Can take over: {names}"]


def _step_lines(alert: Alert) -> list[str]:
    steps = [plain(step, STEP_LIMIT) for step in alert.first_steps[:MAX_STEPS]]
    lines = [f"{number}. {step}" for number, step in enumerate(steps, start=1)]
    if alert.support_url:
        lines.append(f"Help: {plain(alert.support_url, STEP_LIMIT)}")
    return lines
