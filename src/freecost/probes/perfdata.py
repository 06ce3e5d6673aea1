"""Reading what a Nagios-compatible plugin prints: summary, long output and performance data.

The Nagios plugin guidelines put the summary on the first line, with performance data after
a ``|``. Long output follows on later lines; the first later line holding a ``|`` ends it,
and everything after that ``|`` (that line's rest and every line below) is more perfdata::

    DISK OK - free space: / 3326 MB (56%) | /=2643MB;5948;5958;0;5968
    / 15272 MB (77%);
    /boot 68 MB (69%); | /boot=68MB;88;93;0;98
    /home=69357MB;253404;253409;0;253414

Each perfdata item is ``'label'=value[unit];[warn];[crit];[min];[max]``. A label holding
spaces or ``=`` is quoted, a quote inside it doubled; ``U`` stands for a value the plugin
could not measure; fields may be left empty or off. Items that break these rules are kept
aside as text rather than dropped, so a person can see why a graph is missing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MAX_ITEMS = 200
MAX_LABEL = 100
MAX_FIELD = 40
MAX_INVALID = 10

_VALUE = re.compile(r"([-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?)([^\d\s;]*)")
_NUMBER = re.compile(r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class PerfValue:
    """One measurement. ``value`` is None for ``U``; thresholds are kept as range text."""

    label: str
    value: float | None
    unit: str = ""
    warn: str | None = None
    crit: str | None = None
    min: float | None = None
    max: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "value": self.value,
            "unit": self.unit,
            "warn": self.warn,
            "crit": self.crit,
            "min": self.min,
            "max": self.max,
        }


@dataclass(frozen=True)
class PluginOutput:
    """A plugin's output, split the way the guidelines define it."""

    summary: str
    long_output: str
    perfdata: tuple[PerfValue, ...]
    invalid: tuple[str, ...]


def parse_output(text: str) -> PluginOutput:
    """Split plugin output into its summary, long output and performance data."""
    lines = text.splitlines()
    first = lines[0] if lines else ""
    summary, _, perf = first.partition("|")
    perf_parts = [perf]
    long_lines: list[str] = []
    rest = lines[1:]
    for index, line in enumerate(rest):
        if "|" in line:
            before, _, after = line.partition("|")
            long_lines.append(before)
            perf_parts.append(after)
            perf_parts.extend(rest[index + 1 :])
            break
        long_lines.append(line)
    values, invalid = parse_perfdata(" ".join(perf_parts))
    long_output = "\n".join(line.rstrip() for line in long_lines).strip("\n")
    return PluginOutput(summary.strip(), long_output, tuple(values), tuple(invalid))


def parse_perfdata(text: str) -> tuple[list[PerfValue], list[str]]:
    """The items of a perfdata string, and the tokens that are not valid items."""
    values: list[PerfValue] = []
    invalid: list[str] = []
    for token in _tokens(text):
        try:
            value = _item(token)
        except ValueError:
            if len(invalid) < MAX_INVALID:
                invalid.append(token[:MAX_LABEL])
            continue
        if len(values) < MAX_ITEMS:
            values.append(value)
    return values, invalid


def _tokens(text: str) -> Iterator[str]:
    # Whitespace separates items, except inside a quoted label.
    index, end = 0, len(text)
    while index < end:
        if text[index].isspace():
            index += 1
            continue
        start = index
        if text[index] == "'":
            closing = _closing_quote(text, index + 1)
            index = end if closing is None else closing + 1
        while index < end and not text[index].isspace():
            index += 1
        yield text[start:index]


def _closing_quote(text: str, index: int) -> int | None:
    """Where the quote opened before ``index`` closes; a doubled quote is a quote inside."""
    while index < len(text):
        if text[index] == "'":
            if text[index + 1 : index + 2] != "'":
                return index
            index += 1
        index += 1
    return None


def _item(token: str) -> PerfValue:
    label, fields = _split_label(token)
    parts = fields.split(";")
    value, unit = _measurement(parts[0])
    warn, crit, low, high = [*parts[1:5], "", "", "", ""][:4]
    return PerfValue(
        label=label[:MAX_LABEL],
        value=value,
        unit=unit[:MAX_FIELD],
        warn=warn.strip()[:MAX_FIELD] or None,
        crit=crit.strip()[:MAX_FIELD] or None,
        min=_optional_number(low),
        max=_optional_number(high),
    )


def _split_label(token: str) -> tuple[str, str]:
    if token.startswith("'"):
        closing = _closing_quote(token, 1)
        if closing is None or closing == 1 or token[closing + 1 : closing + 2] != "=":
            raise ValueError("not a quoted label followed by '='")
        return token[1:closing].replace("''", "'"), token[closing + 2 :]
    # A value never holds '=', so the last one ends the label.
    label, sep, fields = token.rpartition("=")
    if not sep or not label:
        raise ValueError("no label")
    return label, fields


def _measurement(text: str) -> tuple[float | None, str]:
    if text == "U":
        return None, ""
    match = _VALUE.fullmatch(text)
    if match is None:
        raise ValueError("not a number with a unit")
    return _number(match.group(1)), match.group(2)


def _optional_number(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    if not _NUMBER.fullmatch(text):
        raise ValueError("not a number")
    return _number(text)


def _number(text: str) -> float:
    # Plugins run under a locale with a decimal comma print "0,5"; read it as 0.5.
    number = float(text.replace(",", "."))
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number
